# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the rdir assignment planner (pure logic)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json


import pytest

from ansible_collections.openio.sds.plugins.module_utils.location import distance
from ansible_collections.openio.sds.plugins.module_utils.rdir_planner import (
    first_changes,
    plan_rdir_assignment,
    rdir_host,
    rdir_loads,
    volume_status,
)


def rawx(host, vol, rack=0, score=50, site="dc1"):
    return {"id": "rawx-h%02d-v%03d" % (host, vol),
            "addr": "10.0.%d.%d:%d" % (rack, host, 6200 + vol),
            "location": "%s.r%d.h%02d.v%d" % (site, rack, host, vol),
            "score": score}


def rdir(num, host, rack=0, score=50, load=0, service_id=True, site="dc1"):
    addr = "10.1.%d.%d:%d" % (rack, host, 6300 + num)
    return {"id": "rdir-%02d" % num if service_id else addr, "addr": addr,
            "location": "%s.r%d.h%02d.rdir%d" % (site, rack, host, num),
            "score": score, "load": load}


def cluster(hosts=6, per_host=4, racks=3, rdir_hosts=(0, 1, 2)):
    """Volumes on ``hosts`` hosts spread over ``racks``; one rdir on each of
    ``rdir_hosts``."""
    vols = [rawx(h, v, rack=h % racks) for h in range(hosts) for v in range(per_host)]
    rdirs = [rdir(i, h, rack=h % racks) for i, h in enumerate(rdir_hosts)]
    return vols, rdirs


def loc(service):
    return service["location"]


def by_id(services):
    return {s["id"]: s for s in services}


def check_valid(plan, vols, rdirs, min_dist, replicas=1, max_per_rdir=None):
    rd = by_id(rdirs)
    for v in vols:
        chosen = plan.assignments[v["id"]]
        assert len(chosen) == replicas, (v["id"], chosen)
        assert len(set(chosen)) == replicas
        for r in chosen:
            assert rd[r]["score"] > 0
            assert distance(loc(v), loc(rd[r])) >= min_dist
        for a in chosen:
            for b in chosen:
                if a != b:
                    assert distance(loc(rd[a]), loc(rd[b])) >= min_dist
    if max_per_rdir is not None:
        assert max(plan.load_after.values()) <= max_per_rdir


def test_assign_all_balanced():
    vols, rdirs = cluster()
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=2)
    check_valid(plan, vols, rdirs, 2)
    assert plan.changed
    assert len(plan.changes) == len(vols)
    assert all(c["reason"] == "missing" and c["old"] == [] for c in plan.changes)
    assert set(plan.load_after.values()) == {8}
    assert set(plan.load_before.values()) == {0}
    assert set(plan.statuses.values()) == {"missing"}
    assert not plan.unassignable and not plan.skipped
    json.dumps(plan.to_dict())


def test_keep_healthy_is_idempotent():
    vols, rdirs = cluster()
    first = plan_rdir_assignment(vols, rdirs, {}, min_dist=2)
    again = plan_rdir_assignment(vols, rdirs, first.assignments, min_dist=2)
    assert not again.changed
    assert again.assignments == first.assignments
    assert set(again.statuses.values()) == {"ok"}
    assert again.load_before == again.load_after


def test_host_may_be_address_or_service_id():
    vols, rdirs = cluster()
    first = plan_rdir_assignment(vols, rdirs, {}, min_dist=2)
    addr = {r["id"]: r["addr"] for r in rdirs}
    stored = {vid: [addr[h] for h in hosts] for vid, hosts in first.assignments.items()}
    again = plan_rdir_assignment(vols, rdirs, stored, min_dist=2)
    assert not again.changed
    assert again.assignments == first.assignments
    assert rdir_loads(stored, rdirs) == first.load_after


def test_rdir_host_prefers_service_id():
    assert rdir_host({"id": "rdir-1", "addr": "10.0.0.1:6300"}) == "rdir-1"
    assert rdir_host({"addr": "10.0.0.1:6300"}) == "10.0.0.1:6300"
    assert rdir_host({"id": "10.0.0.1:6300", "addr": "10.0.0.1:6300",
                      "tags": {"tag.service_id": "rdir-9"}}) == "rdir-9"


def test_rdir_down_and_unknown_are_replaced():
    vols, rdirs = cluster()
    first = plan_rdir_assignment(vols, rdirs, {}, min_dist=2)
    current = dict(first.assignments)
    down = "rdir-00"
    rdirs[0]["score"] = 0
    gone = [v for v, hosts in current.items() if hosts == ["rdir-01"]]
    current[gone[0]] = ["10.9.9.9:6300"]
    plan = plan_rdir_assignment(vols, rdirs, current, min_dist=2)
    reasons = {c["volume"]: c["reason"] for c in plan.changes}
    on_down = [v for v, hosts in first.assignments.items() if hosts == [down]]
    assert reasons == dict({v: "rdir_down" for v in on_down}, **{gone[0]: "rdir_unknown"})
    assert plan.statuses[on_down[0]] == "rdir_down"
    assert plan.statuses[gone[0]] == "rdir_unknown"
    for v in on_down + gone[:1]:
        assert plan.assignments[v] != [down]
    assert plan.load_after[down] == 0
    # Untouched volumes keep their rdir.
    for v, hosts in first.assignments.items():
        if v not in reasons:
            assert plan.assignments[v] == hosts


def test_reassign_from_moves_everything_away():
    vols, rdirs = cluster()
    first = plan_rdir_assignment(vols, rdirs, {}, min_dist=2)
    for target in ("rdir-01", rdirs[1]["addr"]):
        plan = plan_rdir_assignment(vols, rdirs, first.assignments, min_dist=2,
                                    reassign_from=target)
        assert plan.load_after["rdir-01"] == 0
        moved = {c["volume"] for c in plan.changes}
        assert moved == {v for v, h in first.assignments.items() if h == ["rdir-01"]}
        assert {c["reason"] for c in plan.changes} == {"reassign"}
        check_valid(plan, vols, [r for r in rdirs if r["id"] != "rdir-01"], 2)


def test_a_batch_of_the_plan_then_the_rest():
    """Cut to its first 3 changes, the plan leaves the other volumes where
    they are; planned again from there, the rest ends like the whole plan."""
    vols, rdirs = cluster()
    first = plan_rdir_assignment(vols, rdirs, {}, min_dist=2)
    whole = plan_rdir_assignment(vols, rdirs, first.assignments, min_dist=2,
                                 reassign_from="rdir-01")
    batch, left = first_changes(whole, 3, rdirs)
    assert left == len(whole.changes) - 3 and batch.changes == whole.changes[:3]
    for change in whole.changes[3:]:
        assert batch.assignments[change["volume"]] == ["rdir-01"]
    assert batch.load_after["rdir-01"] == left
    assert sum(batch.load_after.values()) == sum(whole.load_after.values())
    rest = plan_rdir_assignment(vols, rdirs, batch.assignments, min_dist=2,
                                reassign_from="rdir-01")
    assert len(rest.changes) == left and rest.load_after["rdir-01"] == 0
    assert first_changes(whole, None, rdirs) == (whole, 0)
    assert first_changes(whole, len(whole.changes), rdirs) == (whole, 0)


def test_reassign_from_an_rdir_gone_from_the_conscience():
    vols, rdirs = cluster()
    current = {v["id"]: ["10.9.9.9:6300"] for v in vols[:3]}
    plan = plan_rdir_assignment(vols, rdirs, current, min_dist=2,
                                reassign_from="10.9.9.9:6300", volume_ids=[vols[0]["id"]])
    assert [(c["volume"], c["reason"]) for c in plan.changes] == [(vols[0]["id"], "reassign")]
    assert plan.assignments[vols[1]["id"]] == ["10.9.9.9:6300"]
    assert plan.statuses[vols[1]["id"]] == "rdir_unknown"


def test_rebalance_two_replicas():
    vols, rdirs = cluster(hosts=6, per_host=5, racks=3, rdir_hosts=(0, 1, 2, 3, 4, 5))
    first = plan_rdir_assignment(vols, rdirs, {}, min_dist=3, replicas=2)
    rdirs.append(rdir(6, 0, rack=0))
    rdirs.append(rdir(7, 1, rack=1))
    plan = plan_rdir_assignment(vols, rdirs, first.assignments, min_dist=3, replicas=2,
                                rebalance=True)
    check_valid(plan, vols, rdirs, 3, replicas=2)
    # Each rack serves the 20 slots of the other two racks' volumes, so only
    # the rdirs of one rack can even out: 7/7/6 in racks 0 and 1, 10/10 in 2.
    load = plan.load_after
    assert sorted(load[r] for r in ("rdir-00", "rdir-03", "rdir-06")) == [6, 7, 7]
    assert sorted(load[r] for r in ("rdir-01", "rdir-04", "rdir-07")) == [6, 7, 7]
    assert load["rdir-02"] == load["rdir-05"] == 10
    moved = sum(len(set(c["new"]) - set(c["old"])) for c in plan.changes)
    assert moved == plan.load_after["rdir-06"] + plan.load_after["rdir-07"]


def test_rebalance_minimal_changes():
    vols, rdirs = cluster()
    # Everything on one rdir at first: 24 volumes, 3 rdirs, 8 each at the end.
    current = {v["id"]: ["rdir-00"] for v in vols if not v["location"].startswith("dc1.r0.h00.")}
    for v in vols:
        if v["id"] not in current:
            current[v["id"]] = ["rdir-01"]
    plain = plan_rdir_assignment(vols, rdirs, current, min_dist=2)
    assert not plain.changed
    plan = plan_rdir_assignment(vols, rdirs, current, min_dist=2, rebalance=True)
    loads = plan.load_after
    assert max(loads.values()) - min(loads.values()) <= 1
    # 20 on rdir-00 and 4 on rdir-01: the fewest moves is 12.
    assert plan.load_before == {"rdir-00": 20, "rdir-01": 4, "rdir-02": 0}
    assert len(plan.changes) == 12
    assert {c["reason"] for c in plan.changes} == {"rebalance"}
    check_valid(plan, vols, rdirs, 2)
    again = plan_rdir_assignment(vols, rdirs, plan.assignments, min_dist=2, rebalance=True)
    assert not again.changed


def test_locked_volumes_are_skipped_unless_included():
    vols, rdirs = cluster()
    vols[0]["score"] = 0
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=2)
    assert plan.skipped == [vols[0]["id"]]
    assert plan.assignments[vols[0]["id"]] == []
    assert vols[0]["id"] not in {c["volume"] for c in plan.changes}
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=2, include_locked=True)
    assert plan.skipped == []
    assert len(plan.assignments[vols[0]["id"]]) == 1


def test_volume_ids_restricts_changes_but_others_count():
    vols, rdirs = cluster()
    # Other volumes already load rdir-00 and rdir-01 with 8 each.
    current = {}
    for i, v in enumerate(vols[4:20]):
        current[v["id"]] = ["rdir-00" if i < 8 else "rdir-01"]
    target = [v["id"] for v in vols[20:]]
    plan = plan_rdir_assignment(vols, rdirs, current, min_dist=1, volume_ids=target)
    assert {c["volume"] for c in plan.changes} == set(target)
    assert all(plan.assignments[v] == ["rdir-02"] for v in target)
    for v in vols[:4]:
        assert plan.assignments[v["id"]] == []


def test_max_per_rdir_too_small_names_volumes_and_constraint():
    vols, rdirs = cluster()
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=2, max_per_rdir=7)
    assert len(plan.unassignable) == 3
    for item in plan.unassignable:
        assert item["volume"] in plan.assignments
        assert plan.assignments[item["volume"]] == []
        assert "max_per_rdir=7" in item["reason"]
    assert set(plan.load_after.values()) == {7}
    assigned = [v for v in vols if plan.assignments[v["id"]]]
    assert len(assigned) == 21
    check_valid(plan, assigned, rdirs, 2, max_per_rdir=7)


def test_kept_assignments_blocking_the_rest_are_reported():
    vols, rdirs = cluster(hosts=3, per_host=4, racks=3)
    # Hosts 1 and 2 fill the two rdirs host 0 may use at min_dist 2, while
    # they could use rdir-00.
    current = {}
    for v in vols:
        host = v["location"].split(".")[2]
        if host == "h01":
            current[v["id"]] = ["rdir-02"]
        elif host == "h02":
            current[v["id"]] = ["rdir-01"]
    plan = plan_rdir_assignment(vols, rdirs, current, min_dist=2, max_per_rdir=4)
    host0 = [v["id"] for v in vols if v["id"].startswith("rawx-h00")]
    assert [u["volume"] for u in plan.unassignable] == host0
    assert all("max_per_rdir=4" in u["reason"] and "rebalance may free room" in u["reason"]
               for u in plan.unassignable)
    assert not plan.changed
    balanced = plan_rdir_assignment(vols, rdirs, current, min_dist=2, max_per_rdir=4,
                                    rebalance=True)
    assert not balanced.unassignable
    check_valid(balanced, vols, rdirs, 2, max_per_rdir=4)
    assert balanced.load_after == {"rdir-00": 4, "rdir-01": 4, "rdir-02": 4}
    # 4 new assignments and 4 moves to make room, no more.
    assert len(balanced.changes) == 8


def test_no_rdir_qualifies():
    vols, rdirs = cluster(hosts=3, racks=1, rdir_hosts=(0,))
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=3)
    assert len(plan.unassignable) == len(vols)
    assert all("closer than min_dist=3" in u["reason"] for u in plan.unassignable)
    assert not plan.changed
    rdirs[0]["score"] = 0
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=1)
    assert all(u["reason"] == "no rdir with score > 0" for u in plan.unassignable)


def test_min_dist_two_never_uses_own_host():
    # One rdir per host: the least loaded rdir is often the volume's own.
    vols = [rawx(h, v) for h in range(4) for v in range(5)]
    rdirs = [rdir(h, h, load=(10 if h else 0)) for h in range(4)]
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=2)
    check_valid(plan, vols, rdirs, 2)
    rd = by_id(rdirs)
    for v in vols:
        (r,) = plan.assignments[v["id"]]
        assert loc(rd[r]).split(".")[2] != loc(v).split(".")[2]
    # Volumes of host 0 cannot use rdir 0, the only unloaded one; the
    # others fill it up to the common level.
    assert sorted(plan.load_after.values()) == [12, 12, 13, 13]


def test_far_rdirs_preferred_when_balance_allows():
    vols = [rawx(h, v, rack=h % 2) for h in range(4) for v in range(5)]
    rdirs = [rdir(h, h, rack=h % 2) for h in range(4)]
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=1)
    rd = by_id(rdirs)
    for v in vols:
        (r,) = plan.assignments[v["id"]]
        assert distance(loc(v), loc(rd[r])) == 3
    assert set(plan.load_after.values()) == {5}


def test_too_close_is_reported_and_fixed_on_request():
    vols, rdirs = cluster()
    own = {v["id"]: [rdirs[int(v["location"].split(".")[2][1:])]["id"]]
           for v in vols if v["location"].split(".")[2] in ("h00", "h01", "h02")}
    status = volume_status(vols[0], own[vols[0]["id"]], rdirs, min_dist=2)
    assert status == "too_close"
    assert volume_status(vols[0], own[vols[0]["id"]], rdirs, min_dist=1) == "ok"
    assert volume_status(vols[0], [], rdirs, min_dist=1) == "missing"
    kept = plan_rdir_assignment(vols, rdirs, own, min_dist=2, fix_too_close=False)
    assert all(kept.assignments[v] == h for v, h in own.items())
    fixed = plan_rdir_assignment(vols, rdirs, own, min_dist=2)
    assert all(c["reason"] in ("too_close", "missing") for c in fixed.changes)
    check_valid(fixed, vols, rdirs, 2)


def test_two_replicas_on_distinct_far_rdirs():
    vols, rdirs = cluster(hosts=6, per_host=5, racks=3, rdir_hosts=(0, 1, 2, 3, 4, 5))
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=3, replicas=2)
    assert not plan.unassignable
    check_valid(plan, vols, rdirs, 3, replicas=2)
    assert set(plan.load_after.values()) == {10}
    # One replica lost: only that one is replaced.
    current = dict(plan.assignments)
    rdirs[0]["score"] = 0
    again = plan_rdir_assignment(vols, rdirs, current, min_dist=3, replicas=2)
    for change in again.changes:
        assert change["reason"] == "rdir_down"
        kept = set(change["old"]) - {"rdir-00"}
        assert kept <= set(change["new"])
    check_valid(again, vols, [r for r in rdirs if r["score"]], 3, replicas=2)


def test_hard_case_tight_cap_all_assigned():
    # 5,000 rawx on 50 hosts in 5 racks, 2 rdir per rack, 500 per rdir at
    # most and rdirs in another rack: the capacity is exactly the demand,
    # a greedy choice strands the last rack.
    vols = [rawx(h, v, rack=h % 5) for h in range(50) for v in range(100)]
    rdirs = [rdir(i, 5 * i + i % 5, rack=i % 5) for i in range(10)]
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=3, max_per_rdir=500)
    assert plan.unassignable == []
    check_valid(plan, vols, rdirs, 3, max_per_rdir=500)
    assert set(plan.load_after.values()) == {500}
    again = plan_rdir_assignment(vols, rdirs, {}, min_dist=3, max_per_rdir=500)
    assert again.to_dict() == plan.to_dict()


def test_two_replicas_need_rdirs_far_from_each_other():
    vols = [rawx(h, v, rack=h % 2) for h in range(4) for v in range(2)]
    # Two rdir per rack: with min_dist 3 only one per rack may serve a volume.
    rdirs = [rdir(i, i, rack=i % 2) for i in range(4)]
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=3, replicas=2)
    assert len(plan.unassignable) == len(vols)
    assert all("fewer than 2 rdir" in u["reason"] for u in plan.unassignable)
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=2, replicas=2)
    check_valid(plan, vols, rdirs, 2, replicas=2)


def test_determinism_independent_of_input_order():
    vols, rdirs = cluster(hosts=9, per_host=7, racks=3, rdir_hosts=(0, 4, 8, 2))
    a = plan_rdir_assignment(vols, rdirs, {}, min_dist=2)
    b = plan_rdir_assignment(list(reversed(vols)), list(reversed(rdirs)), {}, min_dist=2)
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)


def test_external_load_is_balanced_against():
    vols, rdirs = cluster()
    rdirs[0]["load"] = 20
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=1)
    assert plan.load_before["rdir-00"] == 20
    # Load from outside the run cannot move: the others catch up.
    assert plan.load_after == {"rdir-00": 20, "rdir-01": 12, "rdir-02": 12}
    rdirs[0]["load"] = 6
    plan = plan_rdir_assignment(vols, rdirs, {}, min_dist=1)
    assert sorted(plan.load_after.values()) == [10, 10, 10]


def test_invalid_arguments():
    vols, rdirs = cluster()
    with pytest.raises(ValueError):
        plan_rdir_assignment(vols, rdirs, {}, min_dist=5)
    with pytest.raises(ValueError):
        plan_rdir_assignment(vols, rdirs, {}, replicas=0)
    with pytest.raises(ValueError):
        plan_rdir_assignment(vols + vols[:1], rdirs, {})
