#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the HTTP client costs: the all-bases election scan and a
200,000-record index copy, on a simulated 7.3.0 namespace.

    python bench/bench_client.py [--profile none|real] [--only scan|copy]
                                 [--records N] [--concurrency N]
                                 [--save FILE] [--baseline FILE] [--collections DIR]

With the ``none`` profile (default) the simulator answers at once, so the
time measured is the client's CPU; with ``real`` the proxy takes the time a
2-core 7.3.0 cluster takes (about 300 requests/s), as on a real cluster.

- scan: ``POST admin/status`` of every meta1 base of the ``lab`` preset
  (digits 4: 65,536 bases), one request per base, ``--concurrency`` at once;
- copy: a rawx volume of ``--records`` records copied from its rdir to
  another one and verified record by record (7.3.0 takes one record per
  push, so one request per record: the client's worst case).

Prints each time and rate. With ``--baseline`` (a JSON file this script
wrote with ``--save``), also whether each time stays within 10% of it.
``--collections DIR`` measures another checkout of the collection (DIR holds
ansible_collections/openio/sds), e.g. a ``git worktree`` of an older commit.
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _collections():
    """--collections DIR, read before the collection is imported."""
    for i, arg in enumerate(sys.argv):
        if arg == "--collections" and i + 1 < len(sys.argv):
            return os.path.abspath(sys.argv[i + 1])
        if arg.startswith("--collections="):
            return os.path.abspath(arg.split("=", 1)[1])
    return os.path.join(ROOT, "collections")


sys.path.insert(0, _collections())
sys.path.insert(0, os.path.join(ROOT, "simulator"))

from ansible_collections.openio.sds.plugins.module_utils import meta1_elections as m1  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.client import OioClient  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.rdir import list_rdirs, locate_rdir, volume_id  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.rdir_copy import IndexCopy  # noqa: E402
from oiosim.testing import Simulator  # noqa: E402

TOLERANCE = 0.10


def scan(sim, concurrency):
    client = OioClient(sim.proxy_url, sim.namespace)
    bases = m1.meta1_bases(4)
    sim.reset_stats()
    start = time.time()
    agg = m1.aggregate(m1.scan_meta1_elections(
        client, 4, bases=bases, calls=m1.BulkCalls(client, concurrency=concurrency)))
    took = time.time() - start
    assert agg["counts"]["healthy"] == len(bases), agg["counts"]
    return took, sim.stats()["requests"], len(bases)


def copy(sim, records, concurrency):
    client = OioClient(sim.proxy_url, sim.namespace)
    volume = sorted(volume_id(s) for s in facts(client).conscience_list("rawx"))[0]
    sim.seed_data(containers=1, chunks_per_volume=0, volume_records={volume: records})
    dummy, src, dummy = locate_rdir(client, volume)
    dst = [r["addr"] for r in list_rdirs(client) if r["addr"] != src][0]
    sim.reset_stats()
    start = time.time()
    result = IndexCopy(client, "rawx", volume, src, dst, concurrency=concurrency).run()
    took = time.time() - start
    assert result["copied"] == records and result["verified"] == records, result
    assert result["failed_count"] == 0 and result["unverified_count"] == 0, result
    return took, sim.stats()["requests"], records


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="none", choices=["none", "real"])
    parser.add_argument("--only", choices=["scan", "copy"])
    parser.add_argument("--collections", help="the checkout of the collection to measure")
    parser.add_argument("--records", type=int, default=200000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--save", help="write the figures to this JSON file")
    parser.add_argument("--baseline", help="a JSON file written by --save to compare with")
    args = parser.parse_args()
    figures = {}
    print("collection: %s, profile %s" % (_collections(), args.profile))
    with Simulator(preset="lab", profile=args.profile, ttl=3600) as sim:
        if args.only in (None, "scan"):
            took, sent, bases = scan(sim, args.concurrency)
            figures["scan"] = took
            print("scan: %d bases in %.1f s, %.0f requests/s, %.2f requests per base"
                  % (bases, took, sent / took, sent / float(bases)))
        if args.only in (None, "copy"):
            took, sent, records = copy(sim, args.records, args.concurrency)
            figures["copy"] = took
            print("copy: %d records copied and verified in %.1f s, %.0f records/s, "
                  "%.3f requests per record" % (records, took, records / took,
                                                sent / float(records)))
    if args.save:
        with open(args.save, "w") as out:
            json.dump(figures, out)
    ok = True
    if args.baseline:
        with open(args.baseline) as src:
            base = json.load(src)
        for name in sorted(set(figures) & set(base)):
            ratio = figures[name] / base[name]
            met = ratio <= 1 + TOLERANCE
            ok = ok and met
            print("goal %s within 10%% of the baseline (%.1f s vs %.1f s, %+.0f%%): %s"
                  % (name, figures[name], base[name], (ratio - 1) * 100,
                     "met" if met else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
