"""Elections and base moves through module_utils against the simulator:
the all-bases scan under faults and its connections, and a meta1 base move
(meta0 side)."""
from ansible_collections.openio.sds.plugins.module_utils import election as el
from ansible_collections.openio.sds.plugins.module_utils import meta1_elections as m1
from ansible_collections.openio.sds.plugins.module_utils import sqlbase
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts
from ansible_collections.openio.sds.plugins.module_utils.client import OioClient


def client_for(sim, **kwargs):
    warnings = []
    kwargs.setdefault("sleep", lambda s: None)
    return OioClient(sim.proxy_url, sim.namespace, warn=warnings.append, **kwargs), warnings


def test_scan_retries_transient_failures(sim_factory):
    sim = sim_factory("small_bootstrapped")
    cli, dummy = client_for(sim)
    # Fewer 503s than one request's attempts (retries=3: 4 attempts), so no base can
    # exhaust its retries whichever worker happens to draw them.
    sim.set_faults({"rules": [{"match": "admin/status", "service": "proxy", "action": "503",
                               "times": 3},
                              {"match": "admin/status", "service": "proxy", "action": "drop",
                               "after": 40, "times": 1}]})
    warnings = []
    scan = m1.scan_meta1_elections(cli, 2, concurrency=2, warn=warnings.append)
    agg = m1.aggregate(scan)
    assert agg["total"] == 256
    assert agg["counts"]["healthy"] == 256, agg["unhealthy"][:3]
    assert warnings and "retrying" in warnings[0]
    assert sim.writes() == []


def test_scan_one_request_per_base_on_at_most_concurrency_connections(sim_factory):
    sim = sim_factory("small_bootstrapped")
    cli, dummy = client_for(sim)
    sim.reset_stats()
    agg = m1.verify_meta1_elections(cli, 2, concurrency=3)
    stats = sim.stats()
    assert agg["total"] == 256 and agg["healthy"] and agg["scope"] == "all"
    assert stats["by_route"] == {"POST /v3.0/OPENIO/admin/status": 256}
    assert stats["connections"]["proxy"] <= 3
    assert stats["max_in_flight"] <= 3
    assert stats["pipelined_connections"] == 0
    assert agg["stats"]["requests"] == 256 and agg["stats"]["concurrency"] == 3


def test_scan_fails_when_the_proxy_goes_away(sim_factory):
    sim = sim_factory("small_bootstrapped")
    cli, dummy = client_for(sim, retries=1, check_mode=True)
    sim.set_faults({"rules": [{"match": "admin/status", "service": "proxy", "action": "drop",
                               "after": 30}]})
    try:
        m1.elect_meta1_bases(cli, 2, timeout=0, concurrency=2)
    except m1.ScanAborted as exc:
        assert "could not read" in str(exc) and "cannot reach the service" in str(exc)
    else:
        raise AssertionError("the scan did not fail")
    assert sim.writes() == []


def test_scan_names_a_down_meta1(sim_factory):
    sim = sim_factory("small_bootstrapped")
    cli, dummy = client_for(sim)
    victim = facts(cli).conscience_list("meta1")[0]["addr"]
    sim.set_faults({"down_peers": [victim]})
    agg = m1.aggregate(m1.scan_meta1_elections(cli, 2))
    assert agg["counts"]["unreachable"] == agg["unhealthy_count"] > 0
    assert list(agg["peer_problems"]) == [victim]
    # Warm-up cannot fix a dead peer: it pings only the unhealthy bases, then gives up.
    sim.reset_writes()
    agg2, pinged = m1.elect_meta1_bases(cli, 2, timeout=0, sleep=lambda s: None)
    assert agg2["stats"]["requests"] == 256 + 2 * pinged
    assert pinged == agg["unhealthy_count"]
    writes = sim.writes()
    assert len(writes) == pinged
    assert all("admin/ping" in w["path"] for w in writes)


def test_meta1_base_move(sim_factory):
    sim = sim_factory("small_bootstrapped")
    cli, warnings = client_for(sim)
    base = el.resolve_base(cli, "meta1", cid="AB")
    assert base.name == "AB00"
    owner = sqlbase.owner_peers(cli, base)
    assert owner["consistent"] and len(owner["prefixes"]) == 256
    old = owner["peers"]
    spare = [s["addr"] for s in facts(cli).conscience_list("meta1") if s["addr"] not in old][0]
    desired = old[1:] + [spare]
    table = sqlbase.get_admin_properties(cli, base)
    sys_peers = table["system"]["sys.peers"].split(",")
    plan = sqlbase.move_plan(owner, sys_peers, sqlbase.copies(cli, base), desired)
    assert plan["copy_to"] == [spare] and plan["remove_from"] == [old[0]]
    sim.reset_writes()
    sqlbase.run_move(cli, base, owner, plan, desired, {"properties": {}, "system": {}}, 5)
    routes = [w["path"].split("/v3.0/")[1] for w in sim.writes()]
    assert routes == ["OPENIO/admin/set_properties", "OPENIO/admin/copy",
                      "OPENIO/admin/meta0_force", "cache/flush/high", "OPENIO/admin/leave",
                      "OPENIO/admin/remove"]
    mapping = cli.proxy("GET", "admin/meta0_list").body
    # meta0 serves every list sorted.
    assert all(mapping["AB%02X" % i] == sorted(desired) for i in range(256))
    assert mapping["AC00"] != desired or mapping["AC00"] == old  # other bases untouched
    assert sqlbase.copies(cli, base) == dict((a, True) for a in desired)
    assert sqlbase.copies(cli, base, [old[0]]) == {old[0]: False}
    assert el.election_status(cli, base)["healthy"]
    # Nothing left to do.
    owner = sqlbase.owner_peers(cli, base)
    table = sqlbase.get_admin_properties(cli, base)
    plan = sqlbase.move_plan(owner, table["system"]["sys.peers"].split(","),
                             sqlbase.copies(cli, base), desired)
    assert sqlbase.plan_is_empty(plan)
