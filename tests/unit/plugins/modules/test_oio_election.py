"""oio_election in-process: a meta1 base's election checked, repaired while
it fails, resynced and left."""
import threading
import time

REF = {"type": "meta1", "account": "el_acct", "reference": "el_ref"}


def test_bad_input_and_a_peer_down(oio):
    info = oio("oio_election_info", **REF)
    base, slave = info["base"]["name"], info["slaves"][0]
    bad = oio("oio_election", type="meta1", cid=base, check_type=2)
    assert bad.failed and "check_type goes with state synced" in bad.msg
    oio.sim.set_faults({"down_peers": [slave]})
    down = oio("oio_election", type="meta1", cid=base, state="elected", wait_timeout=1)
    assert down.failed and slave + " unreachable (OpenIO status 2" in down.msg
    assert "not elected after 1.0s" in down.msg
    # Synced refuses an unhealthy election before sending anything.
    oio.sim.reset_writes()
    sync = oio("oio_election", type="meta1", cid=base, state="synced")
    assert sync.failed and "cannot resync" in sync.msg and slave in sync.msg
    assert oio.sim.writes() == []


def test_elected_synced_left(oio):
    sim = oio.sim
    info = oio("oio_election_info", **REF)
    base = {"type": "meta1", "cid": info["base"]["name"]}
    sim.reset_writes()
    check = oio("oio_election", check=True, **base)
    healthy = oio("oio_election", **base)
    assert not check.changed and not healthy.changed and healthy["election"]["healthy"]
    assert healthy["election"]["master"] == info["master"]
    assert sim.writes() == []  # no ping

    # A failed election: check mode predicts the repair; the run waits
    # (pinging) until the election recovers.
    sim.set_faults({"failed_elections": ["meta1:" + base["cid"]]})
    sim.reset_writes()
    check = oio("oio_election", check=True, diff=True, **base)
    assert check.changed and check["election"]["healthy"]
    assert (check["diff"]["before"]["state"], check["diff"]["after"]["state"]) == \
        ("failed", "healthy")
    assert sim.writes() == []
    results = []
    waiting = threading.Thread(target=lambda: results.append(
        oio("oio_election", wait_timeout=60, **base)))
    waiting.start()
    deadline = time.time() + 60
    while not any("admin/ping" in w["path"] for w in sim.writes()) and time.time() < deadline:
        time.sleep(0.1)
    sim.clear_faults()
    waiting.join(90)
    repaired = results[0]
    assert repaired.changed and repaired["election"]["healthy"], repaired.msg
    assert len(repaired["election"]["slaves"]) == 2
    writes = sim.writes()
    assert writes and all("admin/ping" in w["path"] for w in writes)
    again = oio("oio_election", **base)
    assert not again.changed

    sim.reset_writes()
    check = oio("oio_election", check=True, state="synced", **base)
    assert check.changed and sorted(check["synced"]) == sorted(again["election"]["slaves"])
    assert sim.writes() == []
    # The slaves resync (the master's 301 is expected), in one request.
    synced = oio("oio_election", state="synced", check_type=2, **base)
    assert synced.changed and len(synced["synced"]) == 2
    writes = sim.writes()
    assert len(writes) == 1 and "admin/sync" in writes[0]["path"]

    sim.reset_writes()
    check = oio("oio_election", check=True, state="left", **base)
    assert check.changed and len(check["left"]) == 3 and sim.writes() == []
    left = oio("oio_election", state="left", **base)
    left_again = oio("oio_election", state="left", **base)
    assert left.changed and not left_again.changed and left_again["left"] == []
    # The next access elects again, without a ping.
    reelected = oio("oio_election", **base)
    assert reelected["election"]["healthy"] and not reelected.changed
