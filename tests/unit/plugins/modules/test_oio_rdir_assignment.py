"""oio_rdir_assignment in-process: the rawx volumes of a namespace without
rdir at first get one, balanced; an rdir down, reassign_from in batches, a
locked volume, and a run through failing requests."""
import urllib.request

SIM = "without_rdir"
RAWX = {"service_type": "rawx", "min_dist": 2}


def test_volumes_get_an_rdir_and_follow_its_changes(oio):
    sim = oio.sim
    sim.reset_writes()
    none = oio("oio_rdir_assignment", service_type="rawx")
    assert none.failed and "no rdir can take 6 volume(s)" in none.msg
    assert "rawx-1 (no rdir with score > 0)" in none.msg and len(none["unassignable"]) == 6
    rdir1, rdir2, rdir3 = [
        sim.add_service({"type": "rdir",
                         "location": "site1.rack%d.rdirhost%d.rdir-%d" % (n, n, n)})["addr"]
        for n in (1, 2, 3)]
    unknown = oio("oio_rdir_assignment", service_type="rawx", service_ids=["rawx-1", "rawx-404"])
    assert unknown.failed and "rawx-404" in unknown.msg and "rawx-1," not in unknown.msg
    for value in ("garbage", "127.0.0.1:1"):
        result = oio("oio_rdir_assignment", service_type="rawx", reassign_from=value)
        assert result.failed and value in result.msg
    for options, message in (({"concurrency": 0}, "concurrency must be between 1 and 64, got 0"),
                             ({"min_dist": 5}, "min_dist must be between 1 and 4")):
        result = oio("oio_rdir_assignment", service_type="rawx", **options)
        assert result.failed and message in result.msg
    # 6 volumes on 3 rdirs, 1 each: the volumes left without an rdir are named.
    small = oio("oio_rdir_assignment", service_type="rawx", max_per_rdir=1)
    assert small.failed and len(small["unassignable"]) == 3
    assert "max_per_rdir=1" in small.msg and "nothing was written" in small.msg
    assert all(u["volume"] in small.msg for u in small["unassignable"])
    assert sim.writes() == []

    check = oio("oio_rdir_assignment", check=True, diff=True, **RAWX)
    assert sim.writes() == []
    assert check.changed and len(check["changes"]) == 6
    assert set(c["reason"] for c in check["changes"]) == {"missing"}
    assert list(check["load_after"].values()) == [2, 2, 2]
    assert check["diff"]["before"]["load"] == {rdir1: 0, rdir2: 0, rdir3: 0}
    assert check["diff"]["after"]["load"] == {rdir1: 2, rdir2: 2, rdir3: 2}
    assert len(check["diff"]["after"]["volumes"]) == 6
    real = oio("oio_rdir_assignment", **RAWX)
    assert real.changed and real["assignments"] == check["assignments"]
    assert real["failed_writes"] == {}
    # The rdir holds the volume's database now.
    urllib.request.urlopen("http://%s/v1/rdir/admin/show?vol=rawx-1"
                           % real["assignments"]["rawx-1"][0]).close()
    again = oio("oio_rdir_assignment", **RAWX)
    assert not again.changed and again["changes"] == []

    # rdir-1 goes down: only its two volumes move, to the rdirs still up.
    sim.service_down(rdir1)
    check, real, dummy = oio.converged("oio_rdir_assignment", RAWX)
    assert check.changed and len(check["changes"]) == 2
    assert set(c["reason"] for c in check["changes"]) == {"rdir_down"}
    assert set(a for c in check["changes"] for a in c["old"]) == {rdir1}
    assert check["load_after"][rdir1] == 0
    assert real.changed and real["assignments"] == check["assignments"]
    sim.service_up(rdir1)

    # Everything away from rdir-2, one volume first.
    away = {"service_type": "rawx", "reassign_from": rdir2}
    plan = oio("oio_rdir_assignment", check=True, **away)
    sim.reset_writes()
    one_check = oio("oio_rdir_assignment", check=True, max_changes=1, **away)
    assert sim.writes() == []
    one = oio("oio_rdir_assignment", max_changes=1, **away)
    assert one.changed and one["changes"] == plan["changes"][:1]
    assert one["changes_left"] == len(plan["changes"]) - 1
    assert one["load_after"][rdir2] == len(plan["changes"]) - 1
    assert one["assignments"] == one_check["assignments"]
    assert one["assignments"][plan["changes"][1]["volume"]] == [rdir2]
    zero = oio("oio_rdir_assignment", max_changes=0, **away)
    assert zero.failed and "max_changes must be at least 1, got 0" in zero.msg
    rest = oio("oio_rdir_assignment", **away)
    assert plan.changed and rest.changed and rest["assignments"] == plan["assignments"]
    assert rest["changes"] == plan["changes"][1:] and rest["changes_left"] == 0
    assert set(c["reason"] for c in rest["changes"]) == {"reassign"}
    assert rest["load_after"][rdir2] == 0
    assert not oio("oio_rdir_assignment", **away).changed

    # A new rawx whose score is still 0: left alone unless include_locked.
    sim.add_service({"type": "rawx", "id": "rawx-new", "score": 0,
                     "location": "site1.rack1.host9.rawx-new"})
    skipped = oio("oio_rdir_assignment", **RAWX)
    assert not skipped.changed and skipped["skipped_volumes"] == ["rawx-new"]
    check, real, dummy = oio.converged(
        "oio_rdir_assignment", dict(RAWX, service_ids=["rawx-new"], include_locked=True))
    assert check.changed and [c["volume"] for c in check["changes"]] == ["rawx-new"]
    assert real.changed and real["assignments"]["rawx-new"] == check["assignments"]["rawx-new"]

    # rdir-3 down, and one request in five fails with 503 (seeded draws):
    # the run converges through the failures.
    sim.service_down(rdir3)
    sim.set_faults({"rules": [{"match": "/", "service": "any", "rate": 0.2, "action": "503"}]})
    flaky = oio("oio_rdir_assignment", service_type="rawx", include_locked=True, retries=8)
    sim.clear_faults()
    assert flaky.changed and flaky["unreadable"] == {} and flaky["failed_writes"] == {}
    after = oio("oio_rdir_assignment_info", service_type="rawx")
    assert after["summary"]["ok"] == 7 and after["rdirs"][rdir3]["load"] == 0
