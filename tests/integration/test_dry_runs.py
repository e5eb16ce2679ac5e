"""Every runbook's dry run, as an operator starts it before the real one:
``ansible-playbook playbooks/<name>.yml --check`` on a namespace in use
(containers on meta2 with their index records, rawx volumes with chunk
records, a meta1 added for the rebalance to move bases to). Each run exits
0, sends no write (the simulator's write log stays empty) and prints its
plan. The pytest legs run it on ansible-core 2.19 and on the newest core,
which template a task's arguments at different times: a task that reads a
result check mode skipped fails on one line and not the other.
"""
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOKS = os.path.join(ROOT, "playbooks")

# playbook, what it is asked (beyond the connection), a line of its plan.
CASES = {
    "bootstrap": ("bootstrap", {}, "Check mode: nothing was written; this is what a real run would do"),
    "decommission-meta1": ("decommission", {"oio_decommission_type": "meta1"},
                           "Check mode: nothing was written; the plan:"),
    "decommission-rdir": ("decommission", {"oio_decommission_type": "rdir"},
                          "Check mode: nothing was written; the plan:"),
    "decommission-meta2": ("decommission", {"oio_decommission_type": "meta2"},
                           "Check mode: nothing was written; the plan:"),
    "rebalance": ("rebalance", {}, "Check mode: nothing was written; the plan:"),
    "audit": ("audit", {}, "Result:"),
}


def namespace(sim_factory):
    """small_bootstrapped with four meta2 and two copies of each container,
    so that a meta2 can be decommissioned."""
    from oiosim import topology
    services = dict(topology.load("small_bootstrapped")["services"])
    services["meta2"] = {"count": 4, "racks": 2, "score": 80,
                         "location": "site1.rack{rack}.host{n}.meta2-{n}"}
    return sim_factory(preset="small_bootstrapped", services=services,
                       service_update_policy="meta2=KEEP|2|1;sqlx=KEEP|1|1|;rdir=KEEP|1|1|")


def in_use(sim):
    """Containers on meta2 with their index records, chunk records on
    every rawx volume, and a new meta1 that holds nothing yet; returns
    the meta2 that holds the most containers and the rdir of rawx-1."""
    containers = sim.seed_data(account="dry", containers=8, chunks_per_volume=4)["containers"]
    holders = [h for c in containers for h in c["meta2"]]
    index = sim.index()
    sim.add_service({"type": "meta1", "addr": "127.21.0.7:6101", "score": 80,
                     "location": "site1.rack1.host7.meta1-7"})
    return max(sorted(set(holders)), key=holders.count), index["rawx"]["rawx-1"]["rdir"]


def victim(sim, kind, meta2, rdir):
    if kind == "meta1":
        return sorted(s["addr"] for s in sim_services(sim, "meta1"))[0]
    return {"meta2": meta2, "rdir": rdir}.get(kind)


def sim_services(sim, stype):
    import requests
    resp = requests.get("%s/v3.0/%s/conscience/list" % (sim.proxy_url, sim.namespace),
                        params={"type": stype}, timeout=30)
    resp.raise_for_status()
    return resp.json()


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_dry_run_writes_nothing_and_prints_its_plan(sim_factory, run_playbook, tmp_path, case):
    name, extra, plan_line = CASES[case]
    sim = namespace(sim_factory)
    meta2, rdir = in_use(sim)
    extra = dict(extra)
    if name == "decommission":
        extra["oio_decommission_service"] = victim(sim, extra["oio_decommission_type"], meta2, rdir)
    if name == "audit":
        extra["oio_audit_report_dir"] = str(tmp_path / "audit")
    sim.reset_writes()
    result = run_playbook(os.path.join(PLAYBOOKS, name + ".yml"), sim, extra_vars=extra,
                          check=True)
    assert result.rc == 0, "the dry run of %s failed: %s" % (case, result.failure)
    assert sim.writes() == []
    assert plan_line in result.output
