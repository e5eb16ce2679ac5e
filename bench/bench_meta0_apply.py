"""HTTP cost of applying a meta0 rebalance, measured on the simulator.

For each scenario (N meta1 services -> N + K), a fresh simulated namespace is
bootstrapped with the collection's planner, K meta1 services are added, the
rebalance is planned, then applied with ``meta0_apply.Applier``; the simulator's
request counters (``/_sim/stats``) give the requests the apply sent.

    PYTHONPATH=simulator .venv/bin/python bench/bench_meta0_apply.py
    ... --digits 4 --scenarios 12:16 --concurrency 8

Digits 3 by default: at digits 4 each scenario moves about 49,000 replicas
(about 245,000 requests), which the single-threaded simulator needs many
minutes to serve.

The reference (``openio directory rebalance``, algorithms.md section 10) sends
about 6 requests per moved base replica (set_peers, copy, leave, remove,
leave, status), one after another, and one meta0 force.
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "simulator"))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from oiosim.testing import Simulator  # noqa: E402

from ansible_collections.openio.sds.plugins.module_utils.meta0 import apply as meta0_apply  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.meta0 import model as meta0_model  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.meta0 import plan as meta0_plan  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.meta0 import planner  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.client import (  # noqa: E402
    META1_CONCURRENCY, OioClient, pool_size_for)
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts  # noqa: E402

REFERENCE_PER_REPLICA = 6
RACKS = 4


def topology(n, digits):
    return {
        "namespace": "OPENIO", "meta1_digits": digits, "replicas": 3, "bootstrapped": False,
        "services": {
            "meta0": {"count": 3, "racks": 3, "location": "site1.rack{rack}.m0host{n}.meta0-{n}"},
            "meta1": {"count": n, "racks": RACKS,
                      "location": "site1.rack{rack}.m1host{n}.meta1-{n}"},
        },
    }


def run(n, total, digits, concurrency, min_dist, profile="none"):
    with Simulator(topology=topology(n, digits), ttl=3600, profile=profile) as sim:
        client = OioClient(sim.proxy_url, sim.namespace, timeout=60, retries=3,
                           pool_size=pool_size_for(concurrency))
        kwargs = dict(replicas=3, digits=digits, min_dist=min_dist)
        boot = planner.bootstrap(meta0_plan.load_meta1_services(client), **kwargs)
        meta0_apply.Applier(client, digits).install(meta0_model.meta0_payload(boot.mapping, digits),
                                                    len(boot.mapping))
        for i in range(n, total):
            sim.add_service({"type": "meta1", "score": 70,
                             "location": "site1.rack%d.m1host%d.meta1-%d"
                             % (i % RACKS + 1, i + 1, i + 1)})
        services = meta0_plan.load_meta1_services(client)
        current, dummy = meta0_model.bases_from_meta0(facts(client).meta0(), digits)
        t0 = time.time()
        plan = planner.rebalance(current, services, **kwargs)
        plan_time = time.time() - t0
        sim.reset_stats()
        applier = meta0_apply.Applier(client, digits, concurrency=concurrency)
        t0 = time.time()
        report = applier.apply(current, plan.mapping)
        apply_time = time.time() - t0
        stats = sim.stats()
        after, dummy = meta0_model.bases_from_meta0(facts(client).meta0(), digits)
        assert after == meta0_model.served_mapping(plan.mapping), "meta0 does not serve the planned mapping"
        moves = len(plan.moves)
        by_route = dict((k.split(" ", 1)[1].replace("/v3.0/OPENIO", ""), v)
                        for k, v in stats["by_route"].items())
        total_requests = stats["requests"]
        print("meta1 %d -> %d, digits %d (%d bases), min_dist %d, concurrency %d"
              % (n, total, digits, 16 ** digits, min_dist, concurrency))
        print("  plan: %d replica moves on %d bases in %.2f s (lower bound %d)"
              % (moves, len(plan.moved_bases), plan_time, plan.lower_bound))
        for route, count in sorted(by_route.items()):
            print("  %-28s %7d" % (route, count))
        print("  apply: %d requests = %.3f per moved base replica (reference "
              "about %d, sequential: %d requests), %d meta0_force"
              % (total_requests, float(total_requests) / max(1, moves), REFERENCE_PER_REPLICA,
                 REFERENCE_PER_REPLICA * moves + 1, by_route.get("/admin/meta0_force", 0)))
        print("  apply time: %.1f s (%.0f requests/s); failed bases %d, cleanup problems %d"
              % (apply_time, total_requests / max(apply_time, 1e-9),
                 report["failed_bases_count"], report["cleanup_problems_count"]))
        # Once per apply, whatever the number of moves: meta0 read again
        # right before the force, the force, its read-back, the cache flush
        # and the record of the pending copies (a reference created, written,
        # cleared).
        per_apply = sum(count for route, count in by_route.items()
                        if route in ("/admin/meta0_force", "/admin/meta0_list")
                        or route.startswith(("/v3.0/cache/flush", "/reference/")))
        per_replica = float(total_requests - per_apply) / max(1, moves)
        print("  goal <= 5 requests per moved base replica: %s (%.3f, plus %d per apply)"
              % ("met" if per_replica <= 5 else "NOT met", per_replica, per_apply))
        forces = by_route.get("/admin/meta0_force", 0)
        print("  goal one meta0_force per apply: %s (%d)"
              % ("met" if forces == 1 else "NOT met", forces))
        return moves, total_requests, apply_time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--digits", type=int, default=3)
    parser.add_argument("--scenarios", default="12:16,100:133",
                        help="comma-separated N:TOTAL meta1 counts")
    parser.add_argument("--concurrency", type=int, default=META1_CONCURRENCY)
    parser.add_argument("--min-dist", type=int, default=1)
    parser.add_argument("--profile", default="none", choices=["none", "real"],
                        help="latency profile of the simulated proxy (real: a 7.3.0 cluster's)")
    args = parser.parse_args()
    for item in args.scenarios.split(","):
        n, total = (int(x) for x in item.split(":"))
        print("profile=%s" % args.profile)
        run(n, total, args.digits, args.concurrency, args.min_dist, args.profile)


if __name__ == "__main__":
    main()
