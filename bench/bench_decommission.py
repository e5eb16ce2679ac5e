"""A meta1 decommission of a digits-4 namespace, measured on the simulator.

The namespace is the one of the end-to-end trial against a real 7.3.0 lab
(``trial`` preset: 4 meta1, 3 replicas, 65,536 bases), bootstrapped, with
the departing meta1 (the first in address order) elected master of every base
it holds (the worst case: its peers cannot elect until it leaves). The decommission runs as
``oio_meta0_mapping state=decommissioned`` does: plan, ask the service which
other bases it holds copies of, apply, remove those copies. Then the end
state is checked on the services themselves: the departing meta1 holds no
copy (``admin/has`` of every base), every moved base is elected among its
meta0 peers and its ``sys.peers`` names them.

    PYTHONPATH=simulator .venv/bin/python bench/bench_decommission.py
    ... --digits 3 --concurrency 8 --profile none --release 2026.14

On the ``real`` profile (the default) the simulated proxy serves admin
requests at the rate a 2-core 7.3.0 cluster does (2.4-4.7 ms per admin/status,
1.9-3.5 ms per other admin request, one at a time), so the time is what a
real cluster would take; as 2026.14, each
election (a new master chosen) answers about 95 ms later, as it did on a
real 2026.14.2 cluster.

It prints where the time went, phase by phase (planning, the check of the
copies the service holds, the copies, the meta0 force, the cleanup with the
elections), with the requests of each phase.
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "simulator"))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from oiosim import topology as topo_mod  # noqa: E402
from oiosim.testing import Simulator  # noqa: E402

from ansible_collections.openio.sds.plugins.module_utils.meta0 import apply as meta0_apply  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.meta0 import check as meta0_check  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.meta0 import model as meta0_model  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.meta0 import plan as meta0_plan  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.meta0 import planner  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.client import (  # noqa: E402
    META1_CONCURRENCY, OioClient, pool_size_for)
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.election import (  # noqa: E402
    election_status)
from ansible_collections.openio.sds.plugins.module_utils.sqlbase import (  # noqa: E402
    get_admin_properties)

VICTIM = "127.0.0.1:6009"
GOAL_PER_REPLICA = 5
# The whole decommission of the trial's digits-4 namespace, at a real cluster's pace.
GOAL_SECONDS = 14 * 60


def requests_of(sim):
    stats = sim.stats()
    return stats["requests"], stats["by_route"]


def goal(text, met):
    return "%s: %s" % (text, "met" if met else "NOT met")


def trial_namespace(digits, profile, release):
    """The trial's namespace (``trial`` preset), bootstrapped with ``digits``:
    a started Simulator, to use in a ``with``."""
    topology = topo_mod.load("trial")
    topology.update({"meta1_digits": digits, "bootstrapped": True,
                     "_dir": topo_mod.PRESET_DIR})
    return Simulator(topology=topology, ttl=7200, profile=profile, release=release)


class Phases(object):
    """Wall time and requests of each phase of an apply, from the Applier's
    own steps: the copies run from the start of ``apply`` to the check
    that meta0 did not change, the force from there to the flush, the
    cleanup (leave, remove, elections) in ``_clean``."""

    STEPS = (("apply", "copies"), ("_check_unchanged", "force"), ("_clean", "cleanup"),
             ("_finish", "finish"))

    def __init__(self, sim):
        self.sim = sim
        self.marks = []

    def mark(self, name):
        self.marks.append((name, time.time(), self.sim.stats()["requests"]))

    def wrap(self, cls):
        for method, phase in self.STEPS:
            setattr(cls, method, self._timed(getattr(cls, method), phase))

    def _timed(self, original, phase):
        def timed(obj, *args, **kwargs):
            self.mark(phase)
            return original(obj, *args, **kwargs)
        return timed

    def report(self, end):
        self.mark("end")
        marks = [m for i, m in enumerate(self.marks)
                 if i == 0 or m[0] != self.marks[i - 1][0]]
        rows = []
        for (name, start, sent), (dummy, stop, sent_after) in zip(marks, marks[1:]):
            rows.append((name, stop - start, sent_after - sent))
        return rows


def run(digits, concurrency, profile="none", release="7.3.0"):
    with trial_namespace(digits, profile, release) as sim:
        client = OioClient(sim.proxy_url, sim.namespace, timeout=60, retries=3,
                           pool_size=pool_size_for(concurrency))
        services = meta0_plan.load_meta1_services(client)
        current, dummy = meta0_model.bases_from_meta0(facts(client).meta0(), digits)
        held = sorted(k for k, peers in current.items() if VICTIM in peers)
        # The first meta1 in address order wins the first election of every
        # base it holds: check it on a sample.
        sample = held[::max(1, len(held) // 100)]
        masters = sum(1 for key in sample
                      if election_status(client, meta0_apply.meta1_base(key, digits))["master"] == VICTIM)
        sim.reset_stats()
        phases = Phases(sim)
        phases.wrap(meta0_apply.Applier)
        t0 = time.time()
        phases.mark("planning")
        plan = planner.decommission(current, services, [VICTIM], replicas=3, digits=digits)
        phases.mark("copies held by the service (admin/has)")
        left, unknown, scanned = meta0_apply.held_copies(client, current, [VICTIM], digits,
                                                         concurrency)
        scan_requests, dummy = requests_of(sim)
        applier = meta0_apply.Applier(client, digits, concurrency=concurrency)
        report = applier.apply(current, plan.mapping, leftovers=left)
        elapsed = time.time() - t0
        rows = phases.report(elapsed)
        total, by_route = requests_of(sim)
        move_requests = total - scan_requests
        moves = len(plan.moves)
        print("meta1 decommission of %s: digits %d (%d bases), 4 meta1, 3 replicas, "
              "concurrency %d, profile %s, release %s"
              % (VICTIM, digits, 16 ** digits, concurrency, profile, release))
        print("  where the time went:")
        for name, took, sent in rows:
            print("    %-42s %8.1f s %8d requests" % (name, took, sent))
        print("  %d base replicas moved (%d bases it held; it is the master of %d of %d "
              "sampled)" % (moves, len(held), masters, len(sample)))
        for route, count in sorted(by_route.items()):
            print("  %-55s %7d" % (route, count))
        # Per apply: meta0 read again right before the force, one meta0_force,
        # its read-back, one cache flush, and the record of pending copies
        # (created, written, cleared).
        per_apply = 7
        per = float(move_requests - per_apply) / max(1, moves)
        print("  move: %d requests = %.2f per moved base replica x %d + %d per apply "
              "(meta0 re-read, meta0_force, its read-back, the cache flush, the record of "
              "pending copies); the reference sends about 6 per moved replica, one after "
              "another" % (move_requests, per, moves, per_apply))
        print("  " + goal("goal <= %d requests per moved base replica" % GOAL_PER_REPLICA,
                          per <= GOAL_PER_REPLICA))
        print("  check on the service: %d admin/has (one per base meta0 does not map to it), "
              "%d copies found" % (scanned, len(left)))
        print("  time: %.1f s in all (%.0f requests/s); failed bases %d, cleanup problems %d"
              % (elapsed, total / max(elapsed, 1e-9), report["failed_bases_count"],
                 report["cleanup_problems_count"]))
        if digits == 4 and profile == "real":
            print("  " + goal("goal <= %d min for the %d replicas (%s)" % (
                GOAL_SECONDS // 60, moves, release), elapsed <= GOAL_SECONDS))
        # The end state, asked of the services.
        after, dummy = meta0_model.bases_from_meta0(facts(client).meta0(), digits)
        still, unknown, dummy = meta0_apply.held_copies(client, {}, [VICTIM], digits, concurrency)
        bad = []
        for key in held:
            base = meta0_apply.meta1_base(key, digits)
            status = election_status(client, base)
            peers = get_admin_properties(client, base)["system"].get("sys.peers")
            if not status["healthy"] or peers != ",".join(after[key]) or \
                    set([status["master"]] + status["slaves"]) != set(after[key]):
                bad.append(key)
        # The departing meta1 would be locked at score 0 by then: leave it out.
        check = meta0_check.check(after, [x for x in services if x["addr"] != VICTIM], 3, digits, 1)
        print("  end: %s holds %d base(s) in meta0 and %d copies; %d moved base(s) not "
              "elected among their meta0 peers or with other sys.peers; mapping check %s"
              % (VICTIM, meta0_plan.bases_per_service(after).get(VICTIM, 0), len(still), len(bad),
                 "ok" if check["ok"] else "FAILED: " + "; ".join(check["problems"])))
        print("  " + goal("goal: the service holds nothing, every moved base elected",
                          not still and not unknown and not bad and check["ok"]
                          and VICTIM not in meta0_plan.bases_per_service(after)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--digits", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=META1_CONCURRENCY)
    parser.add_argument("--profile", default="real", choices=["none", "real"],
                        help="latency profile of the simulated proxy (real: a 7.3.0 cluster's)")
    parser.add_argument("--release", default="7.3.0", choices=["7.3.0", "2026.14"])
    args = parser.parse_args()
    run(args.digits, args.concurrency, args.profile, args.release)


if __name__ == "__main__":
    main()
