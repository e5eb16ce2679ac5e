# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figures of the meta0 mapping planner: time, peak memory, moves vs lower
bound, final spread and min_dist violations, for bootstrap, rebalance after
adding a third more meta1 services, and decommission of one service.

    python bench/bench_meta0_planner.py [--min-dist 3] [--repeat 3]

digits 4 (65,536 bases), replicas 3, services spread over 3 racks
(``dc1.rack{1..3}.host{n}.vol1``). Time is the best of ``--repeat`` runs;
peak memory is measured in a separate run under tracemalloc.
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import sys
import time
import tracemalloc

# collections/ansible_collections/openio/sds links to the repo root.
_COLLECTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "collections")
if os.path.abspath(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, os.path.abspath(_COLLECTIONS))

from ansible_collections.openio.sds.plugins.module_utils.meta0.check import check  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.meta0.planner import bootstrap, decommission, rebalance  # noqa: E402

DIGITS = 4
REPLICAS = 3


def services(count):
    return [{"id": "meta1-%d" % n, "addr": "10.%d.%d.%d:6110" % (n % 3 + 1, n // 250, n % 250 + 1),
             "score": 80, "location": "dc1.rack%d.host%d.vol1" % (n % 3 + 1, n)}
            for n in range(count)]


def measure(func, repeat):
    best = None
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, best, peak


def row(op, count, result, elapsed, peak, svcs, min_dist):
    report = check(result.mapping, svcs, REPLICAS, DIGITS, min_dist)
    live = [result.counts_after.get(a, 0) for a, t in result.targets.items() if t > 0]
    return (op, count, "%.3f" % elapsed, "%.1f" % (peak / 1e6), len(result.moves),
            result.lower_bound, "%d/%d" % (max(live), min(live)),
            result.spread["max_deviation"], report["min_dist_violations"]["count"],
            "yes" if report["ok"] else "no")


def goal(text, met, figure):
    print("goal %s: %s (%s)" % (text, "met" if met else "NOT met", figure))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-dist", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="3,12,100,300")
    args = parser.parse_args()
    md = args.min_dist
    print("meta0 planner: digits %d (%d bases), replicas %d, min_dist %d (%s), 3 racks"
          % (DIGITS, 16 ** DIGITS, REPLICAS, md,
             {1: "distinct volumes", 2: "distinct hosts", 3: "distinct racks",
              4: "distinct sites"}[md]))
    print("time = best of %d runs; peak = tracemalloc peak of one run\n" % args.repeat)
    header = ("operation", "meta1", "time s", "peak MB", "moves", "lower bd",
              "max/min", "max dev", "md viol", "check ok")
    lines = []
    for count in [int(x) for x in args.sizes.split(",")]:
        base = services(count)
        boot, t, peak = measure(lambda: bootstrap(base, REPLICAS, DIGITS, md), args.repeat)
        lines.append(row("bootstrap", str(count), boot, t, peak, base, md))

        grown = services(count + max(1, count // 3))
        reb, t, peak = measure(lambda: rebalance(boot.mapping, grown, REPLICAS, DIGITS, md),
                               args.repeat)
        lines.append(row("rebalance", "%d->%d" % (count, len(grown)), reb, t, peak, grown, md))

        gone = grown[0]["addr"]
        left = [s for s in grown if s["addr"] != gone]
        dec, t, peak = measure(
            lambda: decommission(reb.mapping, grown, [gone], REPLICAS, DIGITS, md), args.repeat)
        lines.append(row("decommission", "%d-1" % len(grown), dec, t, peak, left, md))

    widths = [max(len(str(x[i])) for x in lines + [header]) for i in range(len(header))]
    fmt = "  ".join("%%%ds" % w if i > 1 else "%%-%ds" % w for i, w in enumerate(widths))
    print(fmt % header)
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print(fmt % line)
    print("\nmoves = base replicas moved; lower bd = sum over services of max(0, count - target)"
          "\nmax/min = bases per service with a positive target after the operation;"
          " max dev = largest |count - target|\n")
    by_op = {}
    for line in lines:
        by_op.setdefault(line[0], []).append(line)
    boot = max(float(x[2]) for x in by_op["bootstrap"])
    goal("bootstrap < 0.15 s", boot < 0.15, "slowest %.3f s" % boot)
    reb = max(float(x[2]) for x in by_op["rebalance"])
    goal("rebalance < 1 s", reb < 1.0, "slowest %.3f s" % reb)
    excess = max((x[4] - x[5]) / float(max(1, x[5]))
                 for x in by_op["rebalance"] + by_op["decommission"])
    goal("moves within 1% of the lower bound (rebalance, decommission)", excess <= 0.01,
         "worst +%.2f%%" % (100 * excess))
    dev = max(x[7] for x in lines)
    goal("spread within 1 of the target", dev <= 1, "largest deviation %s" % dev)
    bad = [x for x in lines if x[8] or x[9] != "yes"]
    goal("min_dist respected and the mapping check clean", not bad,
         "%d of %d rows with a violation" % (len(bad), len(lines)))


if __name__ == "__main__":
    main()
