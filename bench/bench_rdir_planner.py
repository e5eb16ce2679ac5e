#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the rdir assignment planner against the 7.3.0 greedy choice.

    python bench/bench_rdir_planner.py

For each scenario, prints time, peak traced memory, volumes left without an
rdir and volumes whose rdir sits on their own host, for the planner and for
BASELINE, a re-implementation of 7.3.0 ``RdirDispatcher.assign_services``:
volume after volume, avoid the rdirs loaded above the mean (or above
``max_per_rdir - 1``), then take the farthest remaining rdir, at random
weighted by score among equals. With no cap a failed poll is retried without
``avoid``; with a cap the volume stays without an rdir. The LB's hashed
locations are approximated with the Python distance.
"""

from __future__ import absolute_import, division, print_function

import os
import random
import sys
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
# collections/ansible_collections/openio/sds links to the repo root.
sys.path.insert(0, os.path.join(HERE, "..", "collections"))

from ansible_collections.openio.sds.plugins.module_utils.location import (  # noqa: E402
    distance,
    split_location,
)
from ansible_collections.openio.sds.plugins.module_utils.rdir_planner import (  # noqa: E402
    plan_rdir_assignment,
)

SEED = 7


def topology(num_rawx, hosts, racks, num_rdir):
    """``num_rawx`` volumes over ``hosts`` hosts in ``racks`` racks of uneven
    sizes (rack i weighs racks - i), listed in a shuffled order as the
    conscience gives no useful one; rdirs on hosts spread over every rack."""
    weights = [racks - i for i in range(racks)]
    rack_of = []
    for rack, weight in enumerate(weights):
        rack_of += [rack] * (hosts * weight // sum(weights))
    rack_of += [0] * (hosts - len(rack_of))
    per_host = num_rawx // hosts
    volumes = []
    for h in range(hosts):
        rack = rack_of[h]
        for v in range(per_host):
            volumes.append({
                "id": "rawx-%03d-%03d" % (h, v),
                "addr": "10.0.%d.%d:%d" % (rack, h, 6200 + v),
                "location": "dc1.r%d.h%03d.v%d" % (rack, h, v),
                "score": 50,
            })
    random.Random(SEED).shuffle(volumes)
    # Round-robin over racks, then over the hosts of each rack.
    by_rack = [[h for h in range(hosts) if rack_of[h] == r] for r in range(racks)]
    rdirs = []
    for i in range(num_rdir):
        members = by_rack[i % racks]
        h = members[(i // racks) % len(members)]
        rdirs.append({
            "id": "rdir-%03d" % i,
            "addr": "10.1.%d.%d:%d" % (rack_of[h], h, 6300 + i),
            "location": "dc1.r%d.h%03d.rdir%d" % (rack_of[h], h, i),
            "score": 50,
        })
    return volumes, rdirs


def baseline_greedy(volumes, rdirs, max_per_rdir=None, min_dist=None):
    """BASELINE: the 7.3.0 greedy choice (see the module docstring)."""
    rng = random.Random(SEED)
    counts = {r["id"]: 0 for r in rdirs}
    positive = [r for r in rdirs if r["score"] > 0]
    rloc = {r["id"]: split_location(r["location"]) for r in rdirs}
    floor = min_dist or 1
    out = {}
    for volume in volumes:
        vloc = split_location(volume["location"])
        values = [counts[r["id"]] for r in positive]
        limit = (sum(values) / len(values)) if max_per_rdir is None else max_per_rdir - 1
        avoid = {r["id"] for r in positive if counts[r["id"]] > limit}

        def poll(excluded):
            best, pool = -1, []
            for r in positive:
                if r["id"] in excluded:
                    continue
                d = distance(vloc, rloc[r["id"]])
                if d < floor:
                    continue
                if d > best:
                    best, pool = d, [r]
                elif d == best:
                    pool.append(r)
            if not pool:
                return None
            return rng.choices(pool, weights=[r["score"] for r in pool])[0]

        chosen = poll(avoid)
        if chosen is None and max_per_rdir is None:
            chosen = poll(set())
        if chosen is None:
            out[volume["id"]] = []
            continue
        counts[chosen["id"]] += 1
        out[volume["id"]] = [chosen["id"]]
    return out


def own_host(volumes, rdirs, assignments):
    host = {r["id"]: split_location(r["location"])[:3] for r in rdirs}
    return sum(1 for v in volumes
               for r in assignments.get(v["id"], [])
               if split_location(v["location"])[:3] == host[r])


def loads(rdirs, assignments):
    out = {r["id"]: 0 for r in rdirs}
    for hosts in assignments.values():
        for r in hosts:
            out[r] += 1
    return out


def measure(func):
    """Best wall time of 3 untraced runs, then peak memory of a traced one
    (tracing slows Python down several times)."""
    elapsed = None
    for _ in range(3):
        start = time.perf_counter()
        result = func()
        took = time.perf_counter() - start
        elapsed = took if elapsed is None else min(elapsed, took)
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


def report(label, volumes, rdirs, assignments, elapsed, peak):
    unassigned = sum(1 for v in volumes if not assignments.get(v["id"]))
    load = loads(rdirs, assignments).values()
    REPORTED.append((label, unassigned))
    print("  %-22s %8.3f s %9.1f MiB   unassigned %5d   own host %5d   load %d..%d"
          % (label, elapsed, peak / 2.0 ** 20, unassigned,
             own_host(volumes, rdirs, assignments), min(load), max(load)))


REPORTED = []


def goal(text, met, figure):
    print("goal %s: %s (%s)" % (text, "met" if met else "NOT met", figure))


SCENARIOS = [
    # (title, rawx, hosts, racks, rdir, max_per_rdir, min_dist)
    ("2,000 rawx / 100 rdir, max_per_rdir 20, min_dist 3", 2000, 100, 10, 100, 20, 3),
    ("2,000 rawx / 100 rdir, no cap, no min_dist", 2000, 100, 10, 100, None, None),
    ("5,000 rawx / 10 rdir, max_per_rdir 500, min_dist 3", 5000, 50, 5, 10, 500, 3),
    ("5,000 rawx / 10 rdir, no cap, no min_dist", 5000, 50, 5, 10, None, None),
]


def main():
    print("rdir assignment: planner vs BASELINE (7.3.0 greedy re-implementation)")
    print("Python %s" % sys.version.split()[0])
    for title, num, hosts, racks, num_rdir, cap, min_dist in SCENARIOS:
        volumes, rdirs = topology(num, hosts, racks, num_rdir)
        print("\n%s (%d hosts, %d racks)" % (title, hosts, racks))
        plan, elapsed, peak = measure(lambda: plan_rdir_assignment(
            volumes, rdirs, {}, max_per_rdir=cap, min_dist=min_dist or 1))
        report("planner", volumes, rdirs, plan.assignments, elapsed, peak)
        base, elapsed, peak = measure(lambda: baseline_greedy(
            volumes, rdirs, max_per_rdir=cap, min_dist=min_dist))
        report("BASELINE 7.3.0 greedy", volumes, rdirs, base, elapsed, peak)
    # Every scenario has a valid assignment (the planner shows it):
    # the goal is that the planner never leaves a volume without an rdir.
    left = [n for label, n in REPORTED if label == "planner"]
    print()
    goal("never leave a volume unassigned when a valid assignment exists",
         not any(left), "planner: %d unassigned over %d scenarios" % (sum(left), len(left)))


if __name__ == "__main__":
    main()
