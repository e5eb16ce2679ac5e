#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An rdir index copy of one rawx volume at real size, on a simulated
namespace of each release (``oio_rdir_index_copy``'s copy, move and verify).

    python bench/bench_index_copy.py [--records N] [--release 7.3.0|2026.14 ...]

For each release: a volume of ``--records`` records (default 200,000) is
moved from its rdir to another one (pushed, read back, deleted from the
source), and the end state is checked record by record. On 2026.14 the same
volume is also copied as ``openio-admin rdir copy`` does (one page read,
then pushed as one array, one after the other, nothing verified), for
comparison. Prints requests per record and records per second, then whether
each goal is met: one push per 1,000 records on 2026.14, one per record on
7.3.0, every record on the destination and none left on the source.
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "collections"))
sys.path.insert(0, os.path.join(ROOT, "simulator"))

from ansible_collections.openio.sds.plugins.module_utils.client import OioClient  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.rdir import list_rdirs, locate_rdir  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.rdir_copy import IndexCopy  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.rdir_index import IndexReader, push_records  # noqa: E402
from oiosim.testing import Simulator  # noqa: E402

VOLUME = "rawx-1"


def goal(text, met):
    print("goal %s: %s" % (text, "met" if met else "NOT met"))
    return met


def pushes(sim):
    return sum(n for route, n in sim.stats()["by_route"].items() if route.endswith("/rdir/push"))


def admin_like(client, release, src, dst):
    """What openio-admin rdir copy does: read a page, push it as one array,
    one page after the other."""
    for page in IndexReader(client, src, "rawx", VOLUME, page_size=1000).pages():
        push_records(client, "rawx", dst, VOLUME,
                     [release.chunk_record(key, value) for key, value in page])


def run(release, records):
    ok = True
    with Simulator(preset="small_bootstrapped", release=release, profile="none", ttl=3600) as sim:
        sim.seed_data(containers=1, chunks_per_volume=0, volume_records={VOLUME: records})
        client = OioClient(sim.proxy_url, sim.namespace)
        dummy, src, dummy = locate_rdir(client, VOLUME)
        others = [r["addr"] for r in list_rdirs(client) if r["addr"] != src]
        if release == "2026.14":
            sim.reset_stats()
            start = time.time()
            admin_like(client, client_release(client), src, others[1])
            took = admin_took = time.time() - start
            print("%s, as openio-admin rdir copy does (sequential, not verified): %d records "
                  "in %.1f s, %.0f records/s, %.4f requests per record"
                  % (release, records, took, records / took,
                     sim.stats()["requests"] / float(records)))
        sim.reset_stats()
        copy = IndexCopy(client, "rawx", VOLUME, src, others[0], remove_from_source=True)
        verify, marks = copy._verify, []

        def timed_verify():
            marks.append(time.time())
            return verify()
        copy._verify = timed_verify
        start = time.time()
        result = copy.run()
        took = time.time() - start
        sent, pushed = sim.stats()["requests"], pushes(sim)
        print("%s, oio_rdir_index_copy (moved and verified): %d records in %.1f s, "
              "%.0f records/s, %.4f requests per record, %.4f pushes per record; the copy "
              "%.1f s, the verification and the deletes from the source %.1f s"
              % (release, records, took, records / took, sent / float(records),
                 pushed / float(records), marks[0] - start, start + took - marks[0]))
        if release == "2026.14":
            ok &= goal("%s: the copy no longer than openio-admin's (%.1f s against %.1f s)"
                       % (release, marks[0] - start, admin_took), marks[0] - start <= admin_took)
        index = sim.index()["rawx"][VOLUME]["held_by"]
        expected = 0.001 if release == "2026.14" else 1.0
        ok &= goal("%s: %s push per record (%.4f)" % (release, expected, pushed / float(records)),
                   abs(pushed / float(records) - expected) < expected * 0.01)
        ok &= goal("%s: every record moved and verified, none left on the source (%s)"
                   % (release, index), result["verified"] == records
                   and result["removed_from_source"] == records and sorted(index.values()) ==
                   ([records, records] if release == "2026.14" else [records]))
    return ok


def client_release(client):
    from ansible_collections.openio.sds.plugins.module_utils.namespace import facts
    return facts(client).release


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=200000)
    parser.add_argument("--release", action="append", choices=["7.3.0", "2026.14"])
    args = parser.parse_args()
    ok = True
    for release in args.release or ["2026.14", "7.3.0"]:
        ok &= run(release, args.records)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
