"""A meta1 decommission in batches against the same one in a single apply.

The decommission role moves a meta1's base replicas in batches: each batch
reads meta0 again, plans at most ``--batch-size`` moves and applies them
(what ``oio_meta0_mapping state=decommissioned max_moves=N`` does). This
measures what the batches cost on the simulator's ``real`` profile, where
the proxy serves admin requests at the pace of a 2-core 7.3.0 cluster (so
the time is what a real cluster would take): the moved replicas per second,
batched and not.

    PYTHONPATH=simulator .venv/bin/python bench/bench_batches.py
    ... --digits 3 --batch-size 1000 --concurrency 8 --profile real --release 2026.14

Goal: batching costs at most 10% more time. The role's default batch
(3,000 replicas) takes about a minute on a real cluster; the default here,
1,000 replicas (about 20 s), is three times harsher, and each batch's fixed
cost (reading meta0 to plan, before the force and after it) weighs more.
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "simulator"))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.openio.sds.plugins.module_utils.meta0 import apply as meta0_apply  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.meta0 import model as meta0_model  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.meta0 import plan as meta0_plan  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.meta0 import planner  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.client import (  # noqa: E402
    META1_CONCURRENCY, OioClient, pool_size_for)
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts  # noqa: E402
from bench_decommission import VICTIM, trial_namespace  # noqa: E402

MAX_OVERHEAD = 0.10


def decommission(digits, concurrency, profile, batch_size, release):
    """``(moved replicas, seconds, batches, requests)`` of one decommission."""
    with trial_namespace(digits, profile, release) as sim:
        client = OioClient(sim.proxy_url, sim.namespace, timeout=60, retries=3,
                           pool_size=pool_size_for(concurrency))
        sim.reset_stats()
        moved = batches = 0
        t0 = time.time()
        while True:
            # Each batch starts from the cluster as it is, as the role's do.
            services = meta0_plan.load_meta1_services(client)
            current, dummy = meta0_model.bases_from_meta0(facts(client).meta0(), digits)
            plan = planner.decommission(current, services, [VICTIM], replicas=3,
                                        digits=digits, max_moves=batch_size)
            if not plan.moves:
                break
            report = meta0_apply.Applier(client, digits, concurrency=concurrency).apply(
                current, plan.mapping)
            if report["failed_bases_count"]:
                raise SystemExit("batch %d: %d bases failed" % (batches + 1,
                                                                report["failed_bases_count"]))
            moved += len(plan.moves)
            batches += 1
            if not batch_size:
                break
        elapsed = time.time() - t0
        return moved, elapsed, batches, sim.stats()["requests"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--digits", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=META1_CONCURRENCY)
    parser.add_argument("--profile", default="real", choices=["none", "real"])
    parser.add_argument("--release", default="7.3.0", choices=["7.3.0", "2026.14"])
    args = parser.parse_args()
    print("meta1 decommission of %s: trial namespace (4 meta1, 3 replicas), digits %d, "
          "concurrency %d, profile %s, release %s"
          % (VICTIM, args.digits, args.concurrency, args.profile, args.release))
    runs = {}
    for name, size in (("one apply", None), ("batches of %d" % args.batch_size,
                                             args.batch_size)):
        moved, seconds, batches, requests = decommission(args.digits, args.concurrency,
                                                         args.profile, size, args.release)
        runs[name] = seconds
        print("  %-16s %6d replicas moved in %3d batch(es), %7.1f s, %6.1f replicas/s, "
              "%d requests" % (name, moved, batches, seconds, moved / max(seconds, 1e-9),
                               requests))
    single, batched = list(runs.values())
    overhead = batched / single - 1
    print("  batching costs %+.1f%% of the time" % (100 * overhead))
    print("  goal: batching costs at most %d%% more time: %s"
          % (100 * MAX_OVERHEAD, "met" if overhead <= MAX_OVERHEAD else "NOT met"))


if __name__ == "__main__":
    main()
