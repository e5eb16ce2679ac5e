"""What every module refuses before sending anything, and what a dying
proxy costs: numbers out of range, bad namespace names, min_dist, unknown
services, the circuit breaker."""
import pytest

from ansible_collections.openio.sds.plugins.module_utils.client import (
    BREAKER_THRESHOLD, META1_CONCURRENCY)

ZERO_CID = "0" * 64


RANGES = [
    ("oio_service", {"type": "meta1", "min_count": -5, "wait_timeout": 0},
     "min_count must be at least 0, got -5"),
    ("oio_service", {"type": "meta1", "service": "127.0.0.1:1", "state": "locked", "score": 101},
     "score must be between 0 and 100, got 101"),
    ("oio_service", {"type": "meta1", "wait_interval": 0},
     "wait_interval must be between 0.1 and 3600"),
    ("oio_meta0_mapping_info", {"max_items": -1}, "max_items must be between 0 and 100000, got -1"),
    ("oio_meta0_mapping", {"state": "balanced", "concurrency": 0},
     "concurrency must be between 1 and 64, got 0"),
    ("oio_meta0_mapping", {"state": "balanced", "max_moves": -1},
     "max_moves must be at least 0, got -1"),
    ("oio_meta0_mapping", {"replicas": 0}, "replicas must be between 1 and 5, got 0"),
    ("oio_rdir_assignment", {"service_type": "rawx", "concurrency": 0},
     "concurrency must be between 1 and 64, got 0"),
    ("oio_rdir_assignment", {"service_type": "rawx", "replicas": 9},
     "replicas must be between 1 and 5, got 9"),
    ("oio_rdir_index_copy", {"service_type": "rawx", "volume": "rawx-1", "source": "127.0.0.1:1",
                             "page_size": 0}, "page_size must be between 1 and 10000, got 0"),
    ("oio_rdir_volume", {"volume": "rawx-1", "state": "present", "incident_date": -1},
     "incident_date must be at least 1, got -1"),
    ("oio_meta1_elections_info", {"concurrency": 0}, "concurrency must be between 1 and 64, got 0"),
    ("oio_base", {"type": "meta1", "cid": ZERO_CID, "wait_timeout": -1},
     "wait_timeout must be between 0 and 86400"),
    ("oio_service_info", {"type": "meta1", "retries": -1},
     "retries must be between 0 and 20, got -1"),
    ("oio_service_info", {"type": "meta1", "timeout": 0}, "timeout must be greater than 0"),
]
BAD_NAMESPACES = ["..", ".", "../OPENIO", "OPEN/IO", "OPEN IO", "-x", "N" * 64, "OPENIO?x=1"]


def test_a_number_out_of_range_is_refused_naming_the_option(oio):
    oio.sim.reset_stats()
    for module, options, message in RANGES:
        result = oio(module, **options)
        assert result.failed and message in result.msg, (module, options, result.msg)
    assert oio.sim.stats()["requests"] == 0


def test_a_bad_namespace_name_sends_nothing(oio):
    oio.sim.reset_stats()
    for namespace in BAD_NAMESPACES:
        read = oio("oio_service_info", namespace=namespace, type="meta1")
        write = oio("oio_service", namespace=namespace, type="meta1", service="127.0.0.1:1",
                    state="locked")
        for result in (read, write):
            assert result.failed and "namespace must be 1 to 63 characters" in result.msg, \
                (namespace, result.msg)
    assert oio.sim.stats()["requests"] == 0
    assert oio("oio_service_info", type="meta1")["services"]


@pytest.mark.slow
def test_min_dist_auto_separates_racks(oio_on):
    oio = oio_on(preset="small")
    for bad in ("far", 0, 5, "2.5", True):
        result = oio("oio_meta0_mapping", min_dist=bad)
        assert result.failed and "min_dist must be auto or an integer from 1 to 4" in result.msg
    assert oio.sim.writes() == []
    oio.sim.reset_stats()
    check = oio("oio_meta0_mapping", check=True, state="bootstrapped", min_dist="auto")
    # The meta1 services are read once, for the distance and the plan.
    assert oio.sim.stats()["by_route"]["GET /v3.0/%s/conscience/list" % oio.sim.namespace] == 1
    # Three racks: distance 3 puts every base's replicas in distinct racks.
    assert check.changed and check["min_dist"] == 3 and check["min_dist_requested"] == "auto"
    assert check["check"]["min_dist_violations"]["count"] == 0 and check["check"]["ok"]
    assert oio.sim.writes() == []
    real = oio("oio_meta0_mapping", state="bootstrapped", min_dist="auto")
    assert real.changed and real["min_dist"] == 3
    for given, expected in ((3, 3), ("auto", 3), (2, 2)):
        audit = oio("oio_meta0_mapping_info", min_dist=given)
        assert audit["min_dist"] == expected and audit["min_dist_requested"] == given
        assert audit["ok"] and audit["check"]["min_dist_violations"]["count"] == 0
    again = oio("oio_meta0_mapping", state="bootstrapped", min_dist="auto")
    balanced = oio("oio_meta0_mapping", state="balanced", min_dist="auto")
    assert not again.changed and not balanced.changed and balanced["min_dist"] == 3


def test_an_unknown_rdir_or_volume_is_named_and_nothing_written(oio):
    oio.sim.reset_writes()
    for options, names in (
            ({"service_type": "rawx", "reassign_from": "garbage"},
             ["garbage", "not an rdir service"]),
            ({"service_type": "rawx", "reassign_from": "127.0.0.1:1"}, ["127.0.0.1:1"]),
            ({"service_type": "meta2", "reassign_from": "rdir-typo"}, ["rdir-typo"]),
            ({"service_type": "rawx", "service_ids": ["rawx-1", "rawx-typo"]}, ["rawx-typo"])):
        for check in (True, False):
            result = oio("oio_rdir_assignment", check=check, **options)
            assert result.failed and all(name in result.msg for name in names), result.msg
    assert oio.sim.writes() == []
    # A known rdir, by address: its volumes are planned away, nothing written.
    rdir = oio("oio_service_info", type="rdir")["services"][0]["addr"]
    known = oio("oio_rdir_assignment", check=True, service_type="rawx", reassign_from=rdir)
    assert not known.failed
    assert set(c["reason"] for c in known["changes"]) <= {"reassign"}
    assert oio.sim.writes() == []


@pytest.mark.slow
def test_the_circuit_breaker_stops_a_run_against_a_dead_proxy(oio):
    """The proxy drops every connection after 200 requests, in the middle
    of the copies: the run fails at once, meta0 is not switched, no base
    lost a replica, and a re-run with the proxy back finishes the job."""
    victim = oio("oio_service_info", type="meta1")["services"][0]["addr"]
    decommission = {"state": "decommissioned", "services": [victim]}
    plan = oio("oio_meta0_mapping", check=True, **decommission)
    assert plan["moved_bases_count"] > 50
    oio.sim.reset_stats()
    # 200: past the reads of the plan and the check of the meta1's own
    # copies, in the middle of the copies.
    oio.sim.set_faults({"rules": [{"service": "proxy", "match": "", "rate": 1.0,
                                   "action": "drop", "after": 200}]})
    # Its lease cannot be released while the proxy is down: a short ttl
    # lets the next run take it over soon after.
    dead = oio("oio_meta0_mapping", retries=3, lease_ttl=5, **decommission)
    requests = oio.sim.stats()["requests"]
    oio.sim.clear_faults()
    assert dead.failed and "consecutive connection failures" in dead.msg
    assert "meta0 was not updated" in dead.msg or "left on their old peers" in dead.msg
    # 200 answered, then one request per worker in flight and a handful of
    # retries open the circuit: nothing like one retried request per
    # remaining base.
    assert requests <= 200 + META1_CONCURRENCY + 2 * BREAKER_THRESHOLD, requests
    audit = oio("oio_meta0_mapping_info")
    assert audit["check"]["missing_bases"]["count"] == 0
    assert audit["check"]["wrong_replica_count"]["count"] == 0
    assert audit["counts"][victim] == plan["counts_before"][victim]
    rerun = oio("oio_meta0_mapping", **decommission)
    assert rerun.changed and rerun["apply"]["failed_bases_count"] == 0, rerun.msg
    assert rerun["counts_after"][victim] == 0
    assert not oio("oio_meta0_mapping", **decommission).changed
