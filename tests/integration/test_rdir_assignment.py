"""rdir assignment over HTTP against the simulator: request counts, 503s
on many volumes, and a volume whose assignment cannot be read."""
import json
import os

import pytest

from ansible_collections.openio.sds.plugins.module_utils.client import OioClient
from ansible_collections.openio.sds.plugins.module_utils import rdir as rdir_utils

PARAMS = {"service_type": "rawx", "min_dist": 1, "replicas": 1, "concurrency": 8}


def client_for(sim, **kwargs):
    warnings = []
    kwargs.setdefault("sleep", lambda s: None)
    return OioClient(sim.proxy_url, sim.namespace, warn=warnings.append, **kwargs), warnings


def converge(cli, params=None):
    params = params or PARAMS
    volumes, rdirs, assignments, errors = rdir_utils.gather(
        cli, params["service_type"], None, params["concurrency"])
    plan = rdir_utils.plan(volumes, rdirs, assignments, errors, min_dist=params["min_dist"],
                           replicas=params["replicas"])
    done, failed = [], {}
    if plan.changes:
        done, failed, dummy = rdir_utils.apply_changes(
            cli, plan.changes, rdirs, params["service_type"], assignments,
            params["concurrency"])
    return plan, errors, done, failed


def unassigned_namespace(sim_factory, rawx=60, rdirs=6):
    """Bootstrapped meta0, ``rawx`` volumes without rdir, then ``rdirs`` rdirs."""
    sim = sim_factory(topology={
        "namespace": "OPENIO", "meta1_digits": 2, "replicas": 3, "bootstrapped": True,
        "services": {
            "meta0": {"count": 3, "racks": 3},
            "meta1": {"count": 6, "racks": 3},
            "rawx": {"count": rawx, "racks": 3, "hosts": 12, "service_id": "rawx-{n:03d}",
                     "location": "site1.rack{rack}.host{host}.rawx-{n}"},
        }})
    for i in range(rdirs):
        sim.add_service({"type": "rdir", "location": "site1.rack%d.rdirhost%d.rdir-%d"
                         % (i % 3 + 1, i + 1, i + 1)})
    return sim


def test_no_change_run_costs_one_read_per_volume(sim_factory):
    sim = sim_factory(preset="small_bootstrapped")
    cli, warnings = client_for(sim)
    sim.reset_stats()
    sim.reset_writes()
    plan, errors, done, failed = converge(cli)
    assert not plan.changes and not errors and not done and not failed
    stats = sim.stats()
    volumes = len(plan.assignments)
    shows = sum(n for route, n in stats["by_route"].items() if "reference/show" in route)
    lists = sum(n for route, n in stats["by_route"].items() if "conscience/list" in route)
    assert (shows, lists) == (volumes, 2), stats
    assert stats["requests"] == volumes + 2, stats
    assert sim.writes() == []
    assert warnings == []


def test_converges_with_one_request_in_five_failing(sim_factory):
    sim = unassigned_namespace(sim_factory)
    sim.set_faults({"rules": [{"match": "/", "service": "any", "rate": 0.2,
                               "action": "503"}]})
    cli, warnings = client_for(sim, retries=8)
    plan, errors, done, failed = converge(cli)
    sim.clear_faults()
    assert errors == {} and failed == {}
    assert len(done) == 60
    # Enough failures were injected to mean something; each was retried.
    assert len(warnings) >= 20, len(warnings)
    assert all("retrying" in w for w in warnings)

    clean, dummy = client_for(sim)
    volumes, rdirs, assignments, errors = rdir_utils.gather(clean, "rawx")
    report, loads, counts = rdir_utils.assignment_report(volumes, rdirs, assignments, errors)
    assert counts["ok"] == 60, counts
    assert sorted(r["load"] for r in loads.values()) == [10] * 6
    # Every new rdir holds the database of its volumes.
    for vol, entry in report.items():
        index = rdir_utils.VolumeDatabase(clean, entry["rdir"], "rawx", vol)
        assert index.exists(), vol
    plan, errors, done, failed = converge(clean)
    assert plan.changes == [] and not done


def test_assignment_made_by_someone_else_meanwhile_is_not_overwritten(sim_factory):
    sim = unassigned_namespace(sim_factory, rawx=3, rdirs=3)
    cli, dummy = client_for(sim)
    volumes, rdirs, assignments, errors = rdir_utils.gather(cli, "rawx")
    plan = rdir_utils.plan(volumes, rdirs, assignments, errors)
    change = plan.changes[0]
    other = [r["id"] for r in rdirs if r["id"] not in change["new"]][0]
    table = rdir_utils.RdirTable(rdirs)
    rdir_utils.write_assignment(cli, change["volume"], rdir_utils.force_body([other], table),
                                replace=False)
    dummy, failed, dummy2 = rdir_utils.apply_changes(cli, plan.changes, rdirs, "rawx",
                                                     assignments)
    assert list(failed) == [change["volume"]]
    assert "changed by someone else" in failed[change["volume"]]["message"]
    assert rdir_utils.read_assignment(cli, change["volume"]) == [other]
    # Our own resent write (same host) is accepted as done.
    rdir_utils.write_assignment(cli, change["volume"], rdir_utils.force_body([other], table),
                                replace=False)


def test_payload_checks_refuse_what_the_proxy_would_store_wrongly(sim_factory):
    sim = sim_factory(preset="small_bootstrapped")
    cli, dummy = client_for(sim)
    table = rdir_utils.RdirTable(rdir_utils.list_rdirs(cli))
    for hosts in ([], ["10.0.0.1:9999"], ["a,b"]):
        with pytest.raises(rdir_utils.InvalidInput):
            rdir_utils.force_body(hosts, table)
    with pytest.raises(rdir_utils.InvalidInput):
        rdir_utils.check_volume_id("x" * 1024)


UNREADABLE_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - openio.sds.oio_rdir_assignment:
        service_type: rawx
        retries: 0
        concurrency: 1
      register: run
      ignore_errors: true
    - ansible.builtin.copy:
        content: "{{ run | to_json }}"
        dest: "%(out)s"
"""


@pytest.mark.one_release("2026.14")
def test_unreadable_volume_is_reported_and_left_alone(sim_factory, run_playbook, tmp_path):
    sim = sim_factory(preset="small_bootstrapped")
    cli, dummy = client_for(sim)
    before = dict((v, rdir_utils.read_assignment(cli, v))
                  for v in ("rawx-%d" % n for n in range(1, 7)))
    # The rdir of rawx-1 goes down: every volume on it needs a new one.
    down = before["rawx-1"][0]
    sim.service_down(down)
    # The first read (rawx-1, the first rawx listed) fails; no retry.
    sim.set_faults({"rules": [{"match": "reference/show", "service": "proxy",
                               "rate": 1.0, "action": "503", "times": 1}]})
    out = tmp_path / "run.json"
    book = tmp_path / "play.yml"
    book.write_text(UNREADABLE_PLAYBOOK % {"out": out})
    result = run_playbook(str(book), sim)
    assert result.rc == 0, result.failure
    run = json.loads(out.read_text())
    assert run["failed"] and run["changed"]
    assert list(run["unreadable"]) == ["rawx-1"]
    assert run["unreadable"]["rawx-1"]["http_status"] == 503
    assert "rawx-1" in run["msg"]
    moved = [c["volume"] for c in run["changes"]]
    assert "rawx-1" not in moved
    assert sorted(moved) == sorted(v for v, h in before.items() if h == [down] and v != "rawx-1")
    sim.clear_faults()
    assert rdir_utils.read_assignment(cli, "rawx-1") == [down]
    for vol in moved:
        assert rdir_utils.read_assignment(cli, vol) != [down]
    assert os.path.exists(str(out))
