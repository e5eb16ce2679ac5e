#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time of ``oio_election_info all_bases: true``: the status of every meta1
base of a digits-4 namespace (65,536 ``admin/status`` requests).

    python bench/bench_election.py [--preset lab|large] [--connections N] [--depth N]

Starts a simulated namespace (127.0.0.1, stopped at the end), then times
the scan with the pipelined reader the module uses, and for comparison a
sample through the regular client (requests, one keep-alive session per
thread). Prints seconds and requests per second.
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "build", "collections"))
sys.path.insert(0, os.path.join(ROOT, "tests", "simulator"))

from ansible_collections.openio.sds.plugins.module_utils import election as el  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.client import OioClient  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.names import base_cid  # noqa: E402
from oiosim.testing import Simulator  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="lab", choices=["lab", "large"])
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--depth", type=int, default=64)
    parser.add_argument("--sample", type=int, default=4096,
                        help="bases read through the requests-based client for comparison")
    args = parser.parse_args()
    with Simulator(preset=args.preset, ttl=600) as sim:
        client = OioClient(sim.proxy_url, sim.namespace)
        digits = el.meta1_digits(client)
        start = time.time()
        scan = el.scan_meta1_elections(client, digits, connections=args.connections,
                                       depth=args.depth)
        elapsed = time.time() - start
        agg = el.aggregate(scan)
        print("preset=%s digits=%d bases=%d connections=%d depth=%d" % (
            args.preset, digits, agg["total"], args.connections, args.depth))
        print("all_bases scan (pipelined keep-alive): %.2f s, %.0f requests/s, healthy=%d"
              % (elapsed, agg["total"] / elapsed, agg["counts"]["healthy"]))
        if args.sample:
            bases = el.meta1_bases(digits)[:args.sample]
            start = time.time()
            client.map_bounded(lambda b: client.proxy(
                "POST", "admin/status", {"type": "meta1", "cid": base_cid(b)}, idempotent=True),
                bases, workers=8)
            elapsed = time.time() - start
            print("requests client, 8 threads, %d bases: %.2f s, %.0f requests/s "
                  "(%.1f s projected for %d bases)" % (
                      len(bases), elapsed, len(bases) / elapsed,
                      elapsed * agg["total"] / len(bases), agg["total"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
