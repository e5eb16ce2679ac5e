"""oio_meta0_mapping and its _info twin in-process, on a namespace whose
meta0 is empty at first (digits 2, replicas 3, 6 meta1 over 3 racks):
bootstrap, rebalance after adding meta1, decommission, interrupted runs,
a failing meta0 force, and the restore of a dump."""
import pytest


SIM = {"preset": "small"}
NEW_META1 = [{"type": "meta1", "addr": "127.21.0.%d:6101" % n, "score": 80,
              "location": "site1.rack%d.host%d.meta1-%d" % (n - 6, n, n)} for n in (7, 8, 9)]
# What a replica moved costs: these requests per moved replica, at most.
PER_REPLICA = ("set_properties", "copy", "leave", "remove", "status")


def test_bad_input_on_an_empty_meta0_writes_nothing(oio):
    sim = oio.sim
    sim.reset_writes()
    empty = oio("oio_meta0_mapping_info")
    assert not empty["initialised"] and not empty["ok"] and empty["digits"] == 2
    assert empty["check"]["missing_bases"]["count"] == 256
    cases = [
        ({"state": "balanced"}, "bootstrap it first"),
        ({"state": "bootstrapped", "digits": 3},
         "contradicts the namespace option meta1_digits=2"),
        ({"state": "present", "mapping": dict(("x%d" % n, n) for n in range(256))},
         "mapping keys must be"),
        ({"state": "balanced", "services": ["127.21.0.1:6101"]},
         "services goes with state decommissioned"),
        ({"min_dist": "rack"}, "min_dist must be auto or an integer from 1 to 4"),
        ({"namespace": ".."}, "namespace must be"),
        ({"proxy_url": sim.proxy_url.replace("http://", "http://admin:Hunter2pw@")},
         "must not contain a user or password"),
    ]
    for options, message in cases:
        result = oio("oio_meta0_mapping", **options)
        assert result.failed and message in result.msg, (options, result.msg)
        assert "Hunter2pw" not in str(result)
    bad_max = oio("oio_meta0_mapping_info", max_items=-1)
    assert "max_items must be between 0 and 100000, got -1" in bad_max.msg
    # Two meta1 with a score of 0: 4 left for 5 replicas.
    for addr in ("127.21.0.1:6101", "127.21.0.2:6101"):
        sim.service_down(addr)
    too_many = oio("oio_meta0_mapping", state="bootstrapped", replicas=5)
    assert too_many.failed and "5 replicas requested but only 4" in too_many.msg
    assert sim.writes() == []


@pytest.mark.slow
def test_bootstrap_then_restore_its_dump(oio):
    """Bootstrapped once, as planned; its dump restored after a decommission
    changed the mapping."""
    sim = oio.sim
    boot_check, boot, boot_again = oio.converged(
        "oio_meta0_mapping", {"state": "bootstrapped", "min_dist": 3, "return_mapping": True},
        diff=True)
    assert boot_check.changed and boot_check["operation"] == "bootstrap"
    assert boot_check["check"]["ok"] and len(boot_check["mapping"]) == 256
    assert set(boot_check["counts_after"].values()) == {128}
    assert boot_check["diff"]["after"]["moved_bases"] == 256
    assert "mapping" not in boot_check["diff"]["after"]
    assert boot.changed and boot["apply"]["forced_prefixes"] == 65536
    assert boot["mapping"] == boot_check["mapping"] and boot_again["operation"] == "none"
    # One full force.
    assert len([w for w in sim.writes() if "meta0_force" in w["path"]]) == 1
    dump = oio("oio_meta0_mapping_info", min_dist=3, return_mapping=True, compare_peers=True)
    assert dump["ok"] and dump["initialised"] and dump["prefixes"] == 65536
    assert dump["mapping"] == boot["mapping"] and dump["meta0_peers"]["consistent"]

    sim.reset_writes()
    for options, message in (
            ({"state": "decommissioned", "services": ["10.9.9.9:6110"]}, "unknown meta1 service"),
            ({"state": "present", "mapping": dict(dump["mapping"], **{"00": "127.21.0.1:6101"})},
             "list"),
            ({"state": "present", "mapping": dict(dump["mapping"], **{
                "00": ["10.9.9.9:6110", "127.21.0.1:6101", "127.21.0.2:6101"]})},
             "not registered")):
        result = oio("oio_meta0_mapping", **options)
        assert result.failed and message in result.msg, (options, result.msg)
    assert sim.writes() == []
    # The bootstrap dump restored: meta0 only, with a warning saying so.
    assert oio("oio_meta0_mapping", state="decommissioned", services=["127.21.0.4:6101"],
               min_dist=3).changed
    check, restore, dummy = oio.converged(
        "oio_meta0_mapping", {"state": "present", "mapping": dump["mapping"]})
    assert check.changed and check["operation"] == "restore"
    assert restore.changed and restore["apply"]["forced_prefixes"] == 65536
    assert len([w for w in restore["warnings"] if "no meta1 base is copied" in w]) == 1
    after = oio("oio_meta0_mapping_info", min_dist=3, return_mapping=True)
    assert after["mapping"] == dump["mapping"]


@pytest.mark.slow
def test_rebalance_decommission_and_an_interrupted_apply(oio_on):
    """Three meta1 added: the bases move to them only, 5 requests per
    replica; a decommission; copies that fail half-way, then a re-run."""
    oio = oio_on(preset="small_bootstrapped")
    sim = oio.sim
    for spec in NEW_META1:
        sim.add_service(spec)
    new = sorted(s["addr"] for s in NEW_META1)
    sim.reset_writes()
    plan = oio("oio_meta0_mapping", check=True, diff=True, state="balanced", min_dist=3,
               return_moves=True)
    assert sim.writes() == []
    assert plan.changed and plan["operation"] == "rebalance" and plan["moves_count"] > 0
    assert sorted(set(m["to"] for m in plan["moves"])) == new
    assert plan["diff"]["before"]["bases_per_meta1"][new[0]] == 0
    assert plan["diff"]["after"]["bases_per_meta1"][new[0]] > 0
    assert plan["diff"]["after"]["moved_bases"] == plan["moved_bases_count"]
    sim.reset_stats()
    bal = oio("oio_meta0_mapping", state="balanced", min_dist=3, concurrency=4)
    routes = sim.stats()["by_route"]
    assert bal.changed and bal["moves_count"] == plan["moves_count"]
    assert bal["counts_after"] == plan["counts_after"] and bal["check"]["ok"]
    assert bal["apply"]["moved_bases"] == bal["moved_bases_count"]
    assert bal["apply"]["failed_bases_count"] == 0 == bal["apply"]["cleanup_problems_count"]
    admin = "POST /v3.0/%s/admin/" % sim.namespace
    assert routes[admin + "meta0_force"] == 1 and routes["POST /v3.0/cache/flush/high"] == 1
    assert sum(routes.get(admin + r, 0) for r in PER_REPLICA) <= 5 * bal["moves_count"]
    again = oio("oio_meta0_mapping", state="balanced", min_dist=3)
    assert not again.changed and again["moves_count"] == 0

    victim = "127.21.0.4:6101"
    decommission = {"state": "decommissioned", "services": [victim], "min_dist": 3}
    check, dec, dummy = oio.converged(
        "oio_meta0_mapping", dict(decommission, return_moves=True))
    assert check.changed and check["moves_count"] == bal["counts_after"][victim]
    assert set(m["from"] for m in check["moves"]) == {victim}
    assert check["counts_after"][victim] == 0
    assert dec.changed and dec["apply"]["moved_bases"] == check["moved_bases_count"]
    audit = oio("oio_meta0_mapping_info", min_dist=3)
    assert audit["counts"][victim] == 0 and audit["check"]["missing_bases"]["count"] == 0
    assert audit["check"]["min_dist_violations"]["count"] == 0

    # Copies fail after the first five: the task fails, says which bases
    # stayed behind, applied the others; a re-run finishes the job.
    sim.set_faults({"rules": [{"match": "admin/copy", "method": "POST", "service": "proxy",
                               "rate": 1.0, "action": "503", "after": 5}]})
    interrupted = oio("oio_meta0_mapping", state="balanced", min_dist=3, retries=0)
    sim.clear_faults()
    assert interrupted.failed and interrupted.changed
    assert "could not be copied" in interrupted.msg and interrupted["moves_count"] > 5
    between = oio("oio_meta0_mapping_info", min_dist=3)
    assert between["counts"][victim] == 5
    assert between["check"]["wrong_replica_count"]["count"] == 0
    assert between["check"]["min_dist_violations"]["count"] == 0
    rerun = oio("oio_meta0_mapping", state="balanced", min_dist=3)
    assert rerun.changed and rerun["moves_count"] == interrupted["moves_count"] - 5
    assert rerun["apply"]["failed_bases_count"] == 0 and rerun["check"]["ok"]
    assert not oio("oio_meta0_mapping", state="balanced", min_dist=3).changed


@pytest.mark.slow
def test_a_failing_meta0_force_changes_nothing_and_a_rerun_converges(oio_on):
    oio = oio_on(preset="small_bootstrapped")
    sim = oio.sim
    victim = "127.21.0.5:6101"
    decommission = {"state": "decommissioned", "services": [victim], "min_dist": 3}
    before = oio("oio_meta0_mapping_info", min_dist=3)
    sim.set_faults({"rules": [{"match": "admin/meta0_force", "method": "POST",
                               "service": "proxy", "rate": 1.0, "action": "503"}]})
    no_force = oio("oio_meta0_mapping", retries=1, **decommission)
    sim.clear_faults()
    assert no_force.failed and not no_force.changed and "meta0_force failed" in no_force.msg
    assert no_force["error"]["http_status"] == 503
    audit = oio("oio_meta0_mapping_info", min_dist=3)
    assert audit["counts"] == before["counts"]
    forced = oio("oio_meta0_mapping", **decommission)
    assert forced.changed and forced["moves_count"] == no_force["moves_count"]
    assert forced["counts_after"][victim] == 0
    assert not oio("oio_meta0_mapping", **decommission).changed
