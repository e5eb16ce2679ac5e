#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The all-bases election scan (``oio_meta1_elections_info``)
against what ``openio directory warmup`` does, on a simulated proxy that
takes the time a real one takes.

    python bench/bench_election.py [--profile real|none] [--preset lab|large]
                                   [--release 7.3.0|2026.14] [--concurrency N] [--bases N]

Starts a simulated namespace (127.0.0.1, stopped at the end) with the latency
profile (default ``real``: 2.4 to 4.7 ms of cluster work per admin/status and
one request served at a time, about 280 requests/s, as measured on a 7.3.0
cluster of 3 meta1 on 2 cores; as 2026.14, each base's first election makes
its answer about 95 ms later, as on a real 2026.14.2 cluster), then reads the
status of every meta1 base:

- the project: the collection's scan, one request per base through the
  requests-based client, ``--concurrency`` requests at once on pooled
  keep-alive sessions;
- warmup: what ``openio directory warmup`` does, one request per base on a
  new connection each (no keep-alive asked, so the proxy closes it), its
  default concurrency 1, up to 5 attempts after a 503.

Prints, for each, the time, the rate, the connections the simulator saw
opened and the requests per base, then whether each goal is met.
"""

from __future__ import absolute_import, division, print_function

import argparse
import http.client
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "collections"))
sys.path.insert(0, os.path.join(ROOT, "simulator"))

from ansible_collections.openio.sds.plugins.module_utils import meta1_elections as m1  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.client import (  # noqa: E402
    META1_CONCURRENCY, OioClient, pool_size_for)
from ansible_collections.openio.sds.plugins.module_utils.names import base_cid  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts  # noqa: E402
from oiosim.testing import Simulator  # noqa: E402

WARMUP_CONCURRENCY = 1  # openio directory warmup --concurrency default


def warmup_like(proxy_url, namespace, bases, concurrency):
    """One POST admin/status per base on a new connection; 5 attempts, sleeping
    i x 0.5 s after a 503. Returns the number of bases that failed."""
    host, port = proxy_url.split("//", 1)[1].rsplit(":", 1)

    def one(base):
        for attempt in range(5):
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                conn.request("POST", "/v3.0/%s/admin/status?type=meta1&cid=%s"
                             % (namespace, base_cid(base)), headers={"Content-Length": "0"})
                resp = conn.getresponse()
                resp.read()
            finally:
                conn.close()
            if resp.status != 503:
                return resp.status < 400
            time.sleep(attempt * 0.5)
        return False

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return sum(1 for ok in pool.map(one, bases) if not ok)


def goal(text, met):
    print("goal %s: %s" % (text, "met" if met else "NOT met"))
    return met


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="lab", choices=["lab", "large"])
    parser.add_argument("--profile", default="real", choices=["real", "none"])
    parser.add_argument("--release", default="7.3.0", choices=["7.3.0", "2026.14"])
    parser.add_argument("--concurrency", type=int, default=META1_CONCURRENCY)
    parser.add_argument("--warmup-concurrency", type=int, default=WARMUP_CONCURRENCY)
    parser.add_argument("--bases", type=int, default=0,
                        help="read only the first N bases (default: every base)")
    args = parser.parse_args()
    with Simulator(preset=args.preset, profile=args.profile, release=args.release,
                   ttl=3600) as sim:
        client = OioClient(sim.proxy_url, sim.namespace,
                           pool_size=pool_size_for(args.concurrency))
        digits = facts(client).meta1_digits()
        bases = m1.meta1_bases(digits)
        if args.bases:
            bases = bases[:args.bases]
        print("preset=%s profile=%s release=%s digits=%d bases=%d" % (
            args.preset, args.profile, args.release, digits, len(bases)))

        sim.reset_stats()
        calls = m1.BulkCalls(client, concurrency=args.concurrency)
        start = time.time()
        scan = m1.scan_meta1_elections(client, digits, bases=bases, calls=calls)
        ours = time.time() - start
        stats = sim.stats()
        agg = m1.aggregate(scan)
        ours_conns = stats["connections"]["proxy"]
        ours_per_base = stats["requests"] / float(len(bases))
        print("project (concurrency %d, keep-alive): %.1f s, %.0f requests/s, %d connections, "
              "%.2f requests per base, healthy %d/%d" % (
                  args.concurrency, ours, len(bases) / ours, ours_conns, ours_per_base,
                  agg["counts"]["healthy"], agg["total"]))

        sim.reset_stats()
        start = time.time()
        failed = warmup_like(sim.proxy_url, sim.namespace, bases, args.warmup_concurrency)
        theirs = time.time() - start
        stats = sim.stats()
        print("warmup-like (concurrency %d, a new connection per request): %.1f s, "
              "%.0f requests/s, %d connections, %.2f requests per base, failed %d" % (
                  args.warmup_concurrency, theirs, len(bases) / theirs,
                  stats["connections"]["proxy"], stats["requests"] / float(len(bases)), failed))

        ok = all([
            goal("project at least as fast as warmup (%.1f s vs %.1f s)" % (ours, theirs),
                 ours <= theirs),
            goal("<= %d connections (%d)" % (args.concurrency, ours_conns),
                 ours_conns <= args.concurrency),
            goal("1 request per base (%.2f)" % ours_per_base, ours_per_base <= 1.0),
            goal("every base healthy", agg["healthy"]),
        ])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
