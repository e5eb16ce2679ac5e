"""oio_base in-process: a meta2 base's properties, its move to other peers
(in the order that keeps the election sane), a move resumed over a partial
state, and stray copies removed."""

SIM = "four_meta2"
BASE = {"type": "meta2", "account": "base_acct", "reference": "base_ref"}


def holds(oio, addrs):
    """{addr: whether it holds a copy of the base}."""
    answer = oio.proxy("POST", "admin/has", type="meta2", acct=BASE["account"],
                       ref=BASE["reference"], service_id=",".join(addrs))
    return dict((addr, answer[addr]["status"]["status"] == 200) for addr in addrs)


def test_bad_input_is_refused_before_any_write(oio):
    linked = oio.proxy("POST", "reference/link", headers={"x-oio-action-mode": "autocreate"},
                       acct=BASE["account"], ref=BASE["reference"], type="meta2")
    peers = [entry["host"] for entry in linked]
    meta1 = oio("oio_service_info", type="meta1")["services"][0]["addr"]
    oio.sim.reset_writes()
    for options, parts in (
            (dict(BASE, peers=peers[1:] + ["127.0.0.1:9"]),
             ["not registered in the conscience", "127.0.0.1:9"]),
            # Its other copies would be removed.
            ({"type": "meta1", "cid": "0100", "peers": [meta1]},
             ["keeps 3 replicas", "allow_fewer_replicas: true"]),
            (dict(BASE, system_properties={"schema_version": "2"}), ["does not start with"]),
            (dict(BASE, state="absent", service_ids=[peers[0]]), ["is a peer"])):
        result = oio("oio_base", **options)
        assert result.failed and all(p in result.msg for p in parts), (options, result.msg)
    assert oio.sim.writes() == []


def test_properties_move_and_copies(oio):
    linked = oio.proxy("POST", "reference/link", headers={"x-oio-action-mode": "autocreate"},
                       acct=BASE["account"], ref=BASE["reference"], type="meta2")
    old = [entry["host"] for entry in linked]
    leaving = old[0]
    coming = [s["addr"] for s in oio("oio_service_info", type="meta2")["services"]
              if s["addr"] not in old][0]
    new = [a for a in old if a != leaving] + [coming]

    props = dict(BASE, properties={"owner": "team-a", "tier": "gold"},
                 system_properties={"sys.m2.note": "hello"})
    check, real, again = oio.converged("oio_base", props, diff=True)
    assert check.changed and check["base"]["properties"] == {"owner": "team-a", "tier": "gold"}
    assert check["diff"]["before"]["properties"] == {}
    assert check["diff"]["after"]["properties"] == {"owner": "team-a", "tier": "gold"}
    assert sorted(check["diff"]["after"]["system_properties"]) == ["sys.m2.note", "sys.peers"]
    assert check["diff"]["after"]["system_properties"]["sys.m2.note"] == "hello"
    assert real.changed and not again.changed
    assert again["base"]["properties"] == {"owner": "team-a", "tier": "gold"}
    writes = oio.sim.writes()
    assert len(writes) == 1 and "admin/set_properties" in writes[0]["path"]
    purged = oio("oio_base", **dict(BASE, properties={"owner": "team-b"}, purge_properties=True))
    assert purged.changed and purged["base"]["properties"] == {"owner": "team-b"}
    assert purged["base"]["system_properties"]["sys.m2.note"] == "hello"

    oio.sim.reset_writes()
    move = dict(BASE, peers=new)
    check = oio("oio_base", check=True, diff=True, **move)
    assert oio.sim.writes() == []
    assert check.changed and check["base"]["peers"] == new
    assert (check["diff"]["before"]["peers"], check["diff"]["after"]["peers"]) == \
        (sorted(old), sorted(new))
    assert len([a for a in check["actions"] if a.startswith("copy") and coming in a]) == 1
    assert len([a for a in check["actions"] if "remove the copies on " + leaving in a]) == 1
    moved = oio("oio_base", **move)
    assert moved.changed and moved["base"]["peers"] == new
    # set_peers, copy, force, leave, remove: in that order.
    assert [w["path"].split("/", 3)[-1] for w in oio.sim.writes()] == [
        "admin/set_properties", "admin/copy", "reference/force", "admin/leave", "admin/remove"]
    shown = oio.proxy("GET", "reference/show", acct=BASE["account"], ref=BASE["reference"],
                      type="meta2")
    assert sorted(s["host"] for s in shown["srv"]) == sorted(new)
    held = holds(oio, old + [coming])
    assert held[coming] and not held[leaving]
    election = oio("oio_election_info", **BASE)
    assert election["healthy"] and sorted(election["peers"]) == sorted(new)
    oio.sim.reset_writes()
    again = oio("oio_base", **dict(move, properties={"owner": "team-b"}))
    assert not again.changed and again["actions"] == []
    assert oio.sim.writes() == []

    # A move halfway: the copy is on the former peer, the owner not updated.
    oio.proxy("POST", "admin/copy", {"to": leaving, "from": coming}, type="meta2",
              acct=BASE["account"], ref=BASE["reference"])
    back = oio("oio_base", **dict(BASE, peers=old))
    assert back.changed and not oio("oio_base", **dict(BASE, peers=old)).changed

    # A stray copy on the service that came and left.
    stray = holds(oio, [coming])[coming]
    check, removed, again = oio.converged(
        "oio_base", dict(BASE, state="absent", service_ids=[coming]))
    assert check.changed == stray and removed.changed == stray and not again.changed
