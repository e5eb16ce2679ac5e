"""oio_service in-process: a service locked and unlocked in the conscience,
and waiting for services to be available."""


def test_bad_input_is_refused_before_any_write(oio):
    victim = oio("oio_service_info", type="meta1")["services"][0]
    meta1 = {"type": "meta1"}
    oio.sim.reset_writes()
    for options, parts in (
            (dict(meta1, service="127.0.0.1:1", state="locked"),
             ["no meta1 service '127.0.0.1:1'"]),
            (dict(meta1, service=victim["addr"], state="locked", score=150), ["between 0 and 100"]),
            (dict(meta1, state="available", min_count=99, wait_timeout=0), ["6 of 99 ready"]),
            (dict(meta1, state="available", min_count=-5),
             ["min_count must be at least 0, got -5"]),
            (dict(meta1, state="available", service_ids=["meta1-typo"], wait_timeout=0),
             ["not in the conscience at all: meta1-typo"]),
            ({"state": "available", "min_counts": {"meta1": 6, "rawx": 99}, "wait_timeout": 0},
             ["rawx (6 of 99 ready)"]),
            ({"state": "available", "min_counts": {"meta1": -1}},
             ["the count of meta1 must be an integer of 0 or more"]),
            (dict(meta1, service=victim["id"], state="locked", min_counts={"meta1": 1}),
             ["parameters are mutually exclusive: type|min_counts"]),
            ({"state": "available", "min_counts": {"meta1": 1}, "service_ids": [victim["id"]]},
             ["service_ids goes with type, not with min_counts"])):
        result = oio("oio_service", **options)
        assert result.failed and all(p in result.msg for p in parts), (options, result.msg)
    short = oio("oio_service", state="available", min_counts={"meta1": 6, "rawx": 99},
                wait_timeout=0)
    assert "meta1" not in short.msg
    assert oio.sim.writes() == []


def test_lock_then_unlock(oio):
    victim = oio("oio_service_info", type="meta1")["services"][0]
    lock = {"type": "meta1", "service": victim["id"], "state": "locked"}
    oio.sim.reset_writes()
    check = oio("oio_service", check=True, diff=True, **lock)
    assert oio.sim.writes() == []
    assert check.changed and check["service"]["locked"] and check["service"]["score"] == 0
    assert check["diff"]["before"]["locked"] is False and check["diff"]["after"]["locked"]
    locked = oio("oio_service", **lock)
    # By address this time: the same service.
    again = oio("oio_service", **dict(lock, service=victim["addr"]))
    assert locked.changed and locked["service"]["locked"] and locked["service"]["score"] == 0
    assert not again.changed
    relocked = oio("oio_service", **dict(lock, score=10))
    assert relocked.changed and relocked["service"]["score"] == 10
    # At 50 and above, the locked service is not ready.
    short = oio("oio_service", type="meta1", state="available", min_count=6, min_score=50,
                wait_timeout=0)
    assert short.failed and "5 of 6 ready" in short.msg

    unlock = {"type": "meta1", "service": victim["addr"], "state": "unlocked"}
    oio.sim.reset_writes()
    check = oio("oio_service", check=True, **unlock)
    assert oio.sim.writes() == []
    unlocked = oio("oio_service", **unlock)
    assert check.changed and unlocked.changed and not unlocked["service"]["locked"]
    assert unlocked["service"]["score"] > 0 and not oio("oio_service", **unlock).changed
    available = oio("oio_service", type="meta1", state="available", min_count=6,
                    service_ids=[victim["id"]], wait_timeout=5)
    assert not available.changed and len(available["services"]) == 6
    both = oio("oio_service", state="available", min_counts={"meta1": 6, "rawx": "6"},
               wait_timeout=5)
    assert not both.changed
    assert [s["type"] for s in both["services"]] == ["meta1"] * 6 + ["rawx"] * 6


def test_several_services_in_one_task(oio):
    meta1 = oio("oio_service_info", type="meta1")["services"]
    # Two by ID, one by address, and the first again by its address.
    names = [meta1[0]["id"], meta1[1]["id"], meta1[2]["addr"], meta1[0]["addr"]]
    oio.sim.reset_writes()
    for options, part in (
            ({"services": names + ["meta1-typo", "127.0.0.1:1"]},
             "no meta1 service 'meta1-typo', '127.0.0.1:1' in the conscience"),
            ({"services": names, "service": meta1[0]["id"]}, "mutually exclusive"),
            ({"services": [meta1[0]["id"], ""]}, "no empty one")):
        refused = oio("oio_service", type="meta1", state="locked", **options)
        assert refused.failed and part in refused.msg, (options, refused.msg)
    assert oio.sim.writes() == []

    lock = {"type": "meta1", "services": names, "state": "locked"}
    check, locked, dummy = oio.converged("oio_service", lock, diff=True)
    assert check.changed and locked.changed
    assert [s["id"] for s in locked["services"]] == [s["id"] for s in meta1[:3]]
    assert all(s["locked"] and s["score"] == 0 for s in locked["services"])
    assert sorted(check["diff"]["after"]) == sorted(s["id"] for s in meta1[:3])
    assert [w["path"].rsplit("/", 1)[-1] for w in oio.sim.writes()] == ["lock"] * 3
    # One of them unlocked behind the task's back: only it is locked again.
    oio("oio_service", type="meta1", service=meta1[1]["id"], state="unlocked")
    oio.sim.reset_writes()
    assert oio("oio_service", **lock).changed
    assert len(oio.sim.writes()) == 1
    unlock = dict(lock, state="unlocked")
    dummy, unlocked, dummy = oio.converged("oio_service", unlock)
    assert unlocked.changed and not any(s["locked"] for s in unlocked["services"])


def test_a_lock_names_its_services_and_their_type(oio):
    oio.sim.reset_stats()
    for options, part in (
            ({"type": "meta1", "state": "locked"},
             "any of the following are missing: service, services"),
            ({"type": "meta1", "state": "unlocked", "services": []}, "name at least one service"),
            ({"min_counts": {"meta1": 1}, "state": "locked", "service": "meta1-1"},
             "min_counts")):
        result = oio("oio_service", **options)
        assert result.failed and part in result.msg, (options, result.msg)
    assert oio.sim.stats()["requests"] == 0
