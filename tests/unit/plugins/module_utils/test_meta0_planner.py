# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the meta0 prefix mapping planner (pure logic)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import gzip
import json
import os
import random


import pytest

from ansible_collections.openio.sds.plugins.module_utils.location import (
    masked_location,
)
from ansible_collections.openio.sds.plugins.module_utils.meta0.check import check, check_meta0
from ansible_collections.openio.sds.plugins.module_utils.meta0.model import PlanningError, bases_from_meta0, meta0_payload
from ansible_collections.openio.sds.plugins.module_utils.meta0.planner import bootstrap, decommission, rebalance
from ansible_collections.openio.sds.plugins.module_utils.names import base_keys

TRANSCRIPTS = os.path.join(os.path.dirname(__file__), "..", "conformance", "transcripts")


def svc(n, site=1, rack=1, host=None, vol=1, score=50):
    host = n if host is None else host
    return {"id": "meta1-%d" % n, "addr": "10.%d.%d.%d:6110" % (site, rack, n % 250 + 1),
            "score": score, "location": "dc%d.rack%d.host%d.vol%d" % (site, rack, host, vol)}


def topology(sites=2, racks=3, hosts=2, vols=2, score=50):
    out = []
    n = 0
    for s in range(1, sites + 1):
        for r in range(1, racks + 1):
            for h in range(1, hosts + 1):
                for v in range(1, vols + 1):
                    n += 1
                    out.append(svc(n, s, r, h + 10 * r, v, score))
    return out


def racks(count, per_rack, start=0, score=50):
    """``count * per_rack`` services, rack of service k = k % count."""
    return [{"id": "m-%d" % k, "addr": "10.1.%d.%d:6110" % (k // 200, k % 200 + 1),
             "score": score, "location": "dc1.rack%d.host%d.vol1" % (k % count, k)}
            for k in range(start, start + count * per_rack)]


def assert_valid(mapping, services, replicas, digits, min_dist):
    """Independent validation: every base, distinct services, distances."""
    loc = dict((s["addr"], masked_location(s["location"], min_dist)) for s in services)
    assert sorted(mapping) == base_keys(digits)
    for base, addrs in mapping.items():
        assert len(addrs) == replicas, base
        assert len(set(addrs)) == replicas, base
        assert len(set(loc[a] for a in addrs)) == replicas, (base, addrs)


def spread_ok(result):
    counts, targets = result.counts_after, result.targets
    return all(abs(counts.get(a, 0) - t) <= 1 for a, t in targets.items())


# ---------------------------------------------------------------------------
# Parameters


@pytest.mark.parametrize("kwargs", [
    {"digits": 5}, {"digits": -1}, {"replicas": 0}, {"replicas": 6},
    {"min_dist": 0}, {"min_dist": 5}, {"digits": "2"}, {"replicas": True},
])
def test_parameters_out_of_range(kwargs):
    args = {"replicas": 3, "digits": 2, "min_dist": 1}
    args.update(kwargs)
    with pytest.raises(PlanningError):
        bootstrap(topology(), **args)


def test_impossible_inputs():
    with pytest.raises(PlanningError, match="score > 0"):
        bootstrap(topology(score=0), 3, 2, 1)
    with pytest.raises(PlanningError, match="only 2"):
        bootstrap([svc(1), svc(2), svc(3, score=0)], 3, 2, 1)
    with pytest.raises(PlanningError, match="twice"):
        bootstrap([svc(1), svc(1)], 1, 1, 1)
    with pytest.raises(PlanningError, match="address"):
        bootstrap([{"addr": "nope", "score": 1}], 1, 1, 1)
    assert issubclass(PlanningError, ValueError)


# ---------------------------------------------------------------------------
# Bootstrap


@pytest.mark.parametrize("digits", [0, 1, 2, 3])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("min_dist", [1, 2, 3, 4])
def test_bootstrap_matrix(digits, replicas, min_dist):
    services = topology()  # 2 sites x 3 racks x 2 hosts x 2 volumes
    result = bootstrap(services, replicas, digits, min_dist)
    locations = set(masked_location(s["location"], min_dist) for s in services)
    report = check(result.mapping, services, replicas, digits, min_dist)
    assert result.moves == [] and result.changed
    assert sorted(result.mapping) == base_keys(digits)
    assert sum(result.counts_after.values()) == 16 ** digits * replicas
    assert spread_ok(result)
    if len(locations) >= replicas:
        assert result.min_dist_satisfied and not result.warnings
        assert_valid(result.mapping, services, replicas, digits, min_dist)
        assert report["ok"], report["problems"]
    else:
        # Never a silent violation: flagged, warned, and the best distance kept.
        assert not result.min_dist_satisfied
        assert result.effective_min_dist < min_dist
        assert "cannot be honoured" in result.warnings[0]
        assert not report["ok"] and not report["min_dist_satisfiable"]
        assert_valid(result.mapping, services, replicas, digits, result.effective_min_dist)


def test_bootstrap_digits_4_balanced_and_mixed():
    services = racks(3, 4)
    result = bootstrap(services, 3, 4, 3)
    assert_valid(result.mapping, services, 3, 4, 3)
    assert set(result.counts_after.values()) == {16384}
    # Services of different racks do not pair up in fixed triples: losing
    # one spreads the copies of its bases over several peers.
    peers = {}
    for addrs in result.mapping.values():
        for a in addrs:
            peers.setdefault(a, set()).update(addrs)
    assert all(len(p) >= 7 for p in peers.values())


def test_bootstrap_zero_score_and_uneven_racks():
    services = racks(3, 3)
    services[0]["score"] = 0
    result = bootstrap(services, 3, 2, 3)
    assert result.counts_after[services[0]["addr"]] == 0
    assert result.targets[services[0]["addr"]] == 0
    # The rack that lost a service still holds one replica of every base.
    rack0 = [s["addr"] for s in services if s["location"].startswith("dc1.rack0.")]
    assert sum(result.counts_after[a] for a in rack0) == 256
    assert check(result.mapping, services, 3, 2, 3)["ok"]


def test_bootstrap_deterministic():
    services = topology()
    shuffled = list(services)
    random.Random(4).shuffle(shuffled)
    a = bootstrap(services, 3, 3, 2)
    b = bootstrap(shuffled, 3, 3, 2)
    assert a.mapping == b.mapping
    assert not bootstrap(services, 3, 3, 2, current=a.mapping).changed


def test_bootstrap_when_locations_are_not_distinct():
    # No tag.loc and a single host: only distinct services can be had.
    services = [{"addr": "127.0.0.1:%d" % p, "score": 10} for p in (6009, 6010, 6011)]
    result = bootstrap(services, 3, 1, 1)
    assert result.effective_min_dist == 0 and not result.min_dist_satisfied
    assert all(len(set(v)) == 3 for v in result.mapping.values())
    assert check(result.mapping, services, 3, 1, 1)["min_dist_violations"]["count"] == 16


# ---------------------------------------------------------------------------
# Rebalance


@pytest.mark.parametrize("before,after,min_dist", [
    (3, 4, 3), (12, 16, 3), (12, 16, 2), (30, 40, 2), (30, 40, 3),
])
def test_rebalance_after_adding_services(before, after, min_dist):
    services = racks(3, after // 3 + 1)[:after]
    old = services[:before]
    start = bootstrap(old, 3, 3, min_dist)
    result = rebalance(start.mapping, services, 3, 3, min_dist)
    assert_valid(result.mapping, services, 3, 3, min_dist)
    assert len(result.moves) <= result.lower_bound * 1.01
    assert result.spread["max_deviation"] <= 1
    assert check(result.mapping, services, 3, 3, min_dist)["ok"]
    # Every move replaces one replica on a base that had it.
    for base, old_addr, new_addr in result.moves:
        assert old_addr in start.mapping[base] and new_addr in result.mapping[base]


def test_rebalance_balanced_mapping_is_a_no_op():
    services = topology()
    start = bootstrap(services, 3, 3, 3)
    result = rebalance(start.mapping, services, 3, 3, 3)
    assert not result.changed and result.moves == [] and result.lower_bound == 0
    assert result.mapping == start.mapping


def test_rebalance_random_scores_and_topologies():
    rng = random.Random(7)
    for dummy in range(6):
        services = topology(sites=1, racks=rng.randint(3, 5), hosts=rng.randint(1, 3), vols=2)
        start = bootstrap(services, 3, 3, 3)
        for s in services:
            if rng.random() < 0.2:
                s["score"] = 0
        extra = [svc(200 + k, 1, rng.randint(1, 6), 300 + k) for k in range(rng.randint(0, 4))]
        services += extra
        result = rebalance(start.mapping, services, 3, 3, 3)
        assert_valid(result.mapping, list(services), 3, 3, 3)
        assert len(result.moves) <= result.lower_bound * 1.01 + 1
        assert spread_ok(result)
        report = check(result.mapping, services, 3, 3, 3)
        assert report["ok"], report["problems"]
        zero = [s["addr"] for s in services if s["score"] == 0]
        assert all(result.counts_after[a] == 0 for a in zero)


def test_rebalance_moves_unknown_services_and_repairs_min_dist():
    services = racks(3, 2)
    start = bootstrap(services, 3, 2, 3)
    mapping = dict((k, list(v)) for k, v in start.mapping.items())
    mapping["00"][0] = "10.9.9.9:6110"            # unknown service
    a, b = mapping["01"][0], mapping["01"][1]      # same rack twice
    same_rack = [s["addr"] for s in services if s["addr"] != a and
                 s["location"].split(".")[1] == next(
                     x["location"] for x in services if x["addr"] == a).split(".")[1]]
    mapping["01"][1] = same_rack[0]
    mapping["02"] = mapping["02"][:2]              # a replica short
    del mapping["03"]                              # missing base
    before = check(mapping, services, 3, 2, 3)
    assert not before["ok"]
    assert before["unknown_services"]["count"] == 1
    assert before["min_dist_violations"]["count"] == 1
    assert before["wrong_replica_count"]["count"] == 1
    assert before["missing_bases"]["items"] == ["03"]
    result = rebalance(mapping, services, 3, 2, 3)
    assert_valid(result.mapping, services, 3, 2, 3)
    assert "10.9.9.9:6110" not in result.counts_after
    assert result.counts_before["10.9.9.9:6110"] == 1
    assert check(result.mapping, services, 3, 2, 3)["ok"]
    assert b  # the replaced peer is irrelevant


def test_rebalance_max_moves_steps_are_valid():
    services = racks(3, 4)
    start = bootstrap(services[:9], 3, 3, 3)
    full = rebalance(start.mapping, services, 3, 3, 3)
    loc = dict((s["addr"], masked_location(s["location"], 3)) for s in services)
    # Replay every step: distinct services at min_dist after each move.
    mapping = dict((k, list(v)) for k, v in start.mapping.items())
    for base, old, new in full.moves:
        row = mapping[base]
        assert new not in row
        row[row.index(old)] = new
        assert len(set(loc[a] for a in row)) == 3
    assert mapping == full.mapping
    # Capped runs converge to the same balance, each one valid.
    current, runs = start.mapping, 0
    while True:
        step = rebalance(current, services, 3, 3, 3, max_moves=500)
        assert len(step.moves) <= 500
        assert_valid(step.mapping, services, 3, 3, 3)
        current, runs = step.mapping, runs + 1
        if step.complete:
            break
        assert step.pending_moves > 0 and "max_moves" in step.warnings[-1]
    assert runs > 1
    assert check(current, services, 3, 3, 3)["ok"]
    assert rebalance(current, services, 3, 3, 3, max_moves=0).moves == []


def test_rebalance_deterministic():
    services = racks(3, 4)
    start = bootstrap(services[:6], 3, 3, 2)
    a = rebalance(start.mapping, services, 3, 3, 2)
    b = rebalance(start.mapping, list(reversed(services)), 3, 3, 2)
    assert a.moves == b.moves and a.mapping == b.mapping


def test_rebalance_digits_0():
    services = racks(3, 2)
    start = bootstrap(services[:3], 3, 0, 3)
    result = rebalance(start.mapping, services, 3, 0, 3)
    assert_valid(result.mapping, services, 3, 0, 3)
    assert spread_ok(result)


# ---------------------------------------------------------------------------
# Decommission


@pytest.mark.parametrize("min_dist", [1, 3])
def test_decommission_moves_only_its_bases(min_dist):
    services = racks(3, 4)
    start = bootstrap(services, 3, 3, min_dist)
    gone = [services[0]["addr"], services[5]["id"]]
    gone_addrs = set([services[0]["addr"], services[5]["addr"]])
    result = decommission(start.mapping, services, gone, 3, 3, min_dist)
    held = sum(start.counts_after[a] for a in gone_addrs)
    assert len(result.moves) == held == result.lower_bound
    assert all(old in gone_addrs for dummy_base, old, dummy_new in result.moves)
    for base, addrs in result.mapping.items():
        if not gone_addrs & set(start.mapping[base]):
            assert addrs == start.mapping[base]
    remaining = [s for s in services if s["addr"] not in gone_addrs]
    assert_valid(result.mapping, remaining, 3, 3, min_dist)
    assert all(result.counts_after[a] == 0 for a in gone_addrs)
    assert check(result.mapping, remaining, 3, 3, min_dist)["ok"]


def test_decommission_dead_service_and_errors():
    services = racks(3, 2)
    start = bootstrap(services, 3, 2, 3)
    alive = services[1:]
    result = decommission(start.mapping, alive, services[0]["addr"], 3, 2, 3)
    assert all(old == services[0]["addr"] for dummy_base, old, dummy_new in result.moves)
    assert_valid(result.mapping, alive, 3, 2, 3)
    with pytest.raises(PlanningError, match="unknown"):
        decommission(start.mapping, services, ["10.200.0.1:1"], 3, 2, 3)
    with pytest.raises(PlanningError, match="score > 0"):
        decommission(start.mapping, services, [s["addr"] for s in services], 3, 2, 3)


# ---------------------------------------------------------------------------
# Conversions


@pytest.mark.parametrize("digits", [0, 1, 2, 3, 4])
def test_payload_round_trip(digits):
    services = topology(sites=1, racks=3, hosts=1, vols=1)
    mapping = bootstrap(services, 3, digits, 3).mapping
    payload = meta0_payload(mapping, digits)
    assert len(payload) == 65536
    assert all(len(k) == 4 for k in payload)
    back, inconsistent = bases_from_meta0(payload, digits)
    # The payload lists are sorted, as meta0 stores them.
    assert back == dict((k, sorted(v)) for k, v in mapping.items()) and inconsistent == []
    if digits:
        first = base_keys(digits)[1]
        partial = meta0_payload(mapping, digits, [first])
        assert len(partial) == 16 ** (4 - digits)
        assert meta0_payload(mapping, digits, []) == {}


def test_inconsistent_siblings_detected():
    services = topology(sites=1, racks=3, hosts=1, vols=1)
    mapping = bootstrap(services, 3, 2, 3).mapping
    payload = meta0_payload(mapping, 2)
    payload["AB07"] = list(reversed(payload["AB07"]))         # same set: fine
    payload["CD05"] = [payload["CD05"][0], payload["CD05"][1]]
    del payload["EF00"]
    back, inconsistent = bases_from_meta0(payload, 2)
    assert inconsistent == ["CD", "EF"]   # a missing sibling counts too
    assert back["EF"] == payload["EF01"]
    report = check_meta0(payload, services, 3, 2, 3)
    assert report["inconsistent_siblings"]["items"] == ["CD", "EF"] and not report["ok"]


@pytest.mark.parametrize("value", [
    "10.0.0.1:6110", None, [], ["10.0.0.1"], ["host:6110"], ["10.0.0.1:6110", "10.0.0.1:6110"],
    [["10.0.0.1:6110"]], ["10.0.0.1:70000"],
])
def test_payload_rejects_bad_values(value):
    with pytest.raises(PlanningError):
        meta0_payload({"A": value}, 1)


def test_payload_rejects_bad_keys():
    with pytest.raises(PlanningError):
        meta0_payload({"ABC": ["10.0.0.1:6110"]}, 2)
    with pytest.raises(PlanningError):
        bases_from_meta0({"AB": ["10.0.0.1:6110"]}, 2)
    with pytest.raises(PlanningError):
        bases_from_meta0({"AB00": "10.0.0.1:6110"}, 2)


# ---------------------------------------------------------------------------
# Check and results


def test_check_reports_everything_truncated():
    services = racks(3, 2)
    mapping = bootstrap(services, 3, 3, 3).mapping
    services[0]["score"] = 0
    report = check(mapping, services, 3, 3, 3, max_items=5)
    assert not report["ok"]
    zero = report["zero_score_services"]
    assert zero["count"] == 2048 and zero["services"] == 1
    assert len(zero["items"][0]["bases"]) == 5
    assert report["imbalance"]["over"]["count"] == 1
    assert report["imbalance"]["under"]["count"] == 1
    assert len(json.dumps(report)) < 10000
    assert any("score 0" in p for p in report["problems"])


def test_check_unknown_services_and_too_few_usable():
    services = racks(3, 1)
    mapping = bootstrap(services, 3, 1, 3).mapping
    report = check(mapping, services[:2], 3, 1, 3)
    assert not report["ok"]
    assert report["unknown_services"]["count"] == 16
    assert any("only 2" in p for p in report["problems"])


def test_result_to_dict_is_json():
    services = racks(3, 2)
    start = bootstrap(services[:3], 3, 2, 3)
    result = rebalance(start.mapping, services, 3, 2, 3)
    small = result.to_dict()
    assert "mapping" not in small and "moves" not in small
    assert small["moves_count"] == len(result.moves) and small["changed"]
    full = json.loads(json.dumps(result.to_dict(include_mapping=True, include_moves=True)))
    assert full["mapping"] == result.mapping
    assert [tuple(m) for m in full["moves"]] == result.moves


# ---------------------------------------------------------------------------
# The real 65,536-prefix mapping captured from a 7.3.0 namespace


def _transcript_services():
    with open(os.path.join(TRANSCRIPTS, "conscience_list_meta1.txt")) as handle:
        text = handle.read()
    body = text.split("=== RESPONSE BODY", 1)[1].split("\n", 1)[1].strip()
    return json.loads(body)


@pytest.mark.skipif(not os.path.isdir(TRANSCRIPTS),
                    reason="the captured exchanges (tests/conformance) are not part of this copy")
def test_real_mapping_checks_clean():
    with gzip.open(os.path.join(TRANSCRIPTS, "meta0_list.body.gz"), "rt") as handle:
        meta0 = json.load(handle)
    assert len(meta0) == 65536
    services = _transcript_services()
    assert sorted(s["addr"] for s in services) == [
        "127.0.0.1:6009", "127.0.0.1:6010", "127.0.0.1:6011"]
    mapping, inconsistent = bases_from_meta0(meta0, 4)
    assert len(mapping) == 65536 and inconsistent == []
    report = check(mapping, services, 3, 4, 1)
    assert report["ok"], report["problems"]
    assert set(report["counts"].values()) == {65536}
    assert check_meta0(meta0, services, 3, 2, 1)["ok"]
    # Nothing to do on it, and the payload sends back the same document.
    assert not rebalance(mapping, services, 3, 4, 1).changed
    assert meta0_payload(mapping, 4) == dict((k.upper(), v) for k, v in meta0.items())


# --- min_dist auto ---------------------------------------------------------

def test_parse_min_dist():
    from ansible_collections.openio.sds.plugins.module_utils.meta0.model import AUTO, parse_min_dist
    assert parse_min_dist("auto") == AUTO
    assert parse_min_dist(" AUTO ") == AUTO
    assert parse_min_dist(3) == 3
    assert parse_min_dist("2") == 2
    assert parse_min_dist(4.0) == 4
    for bad in (0, 5, -1, "far", "2.5", 2.5, True, None, [], ""):
        with pytest.raises(PlanningError):
            parse_min_dist(bad)


def test_auto_min_dist_is_the_largest_the_topology_honours():
    from ansible_collections.openio.sds.plugins.module_utils.meta0.model import auto_min_dist
    three_racks = [svc(n, rack=n % 3) for n in range(6)]
    assert auto_min_dist(three_racks, 3) == 3
    assert auto_min_dist(three_racks, 4) == 2      # four replicas: only 3 racks
    two_sites = [svc(n, site=n % 2, rack=n % 3) for n in range(6)]
    assert auto_min_dist(two_sites, 2) == 4
    assert auto_min_dist(two_sites, 3) == 3
    one_host = [svc(n, host=1, vol=n) for n in range(3)]
    assert auto_min_dist(one_host, 3) == 1
    assert auto_min_dist(one_host, 4) == 1         # the planner then says why
    # Score 0 and excluded services do not count.
    locked = three_racks[:5] + [dict(three_racks[5], score=0)]
    assert auto_min_dist(locked, 3) == 3
    rack0 = [s["addr"] for s in three_racks if s["location"].startswith("dc1.rack0")]
    assert auto_min_dist(three_racks, 3, excluded=rack0) == 2
    assert auto_min_dist(three_racks, 3, excluded=["meta1-0", "meta1-3"]) == 2


def test_auto_min_dist_bootstrap_separates_every_base():
    from ansible_collections.openio.sds.plugins.module_utils.meta0.model import auto_min_dist
    services = [svc(n, rack=n % 3) for n in range(6)]
    dist = auto_min_dist(services, 3)
    result = bootstrap(services, replicas=3, digits=2, min_dist=dist)
    assert check(result.mapping, services, 3, 2, 3)["min_dist_violations"]["count"] == 0
