"""oio_election_info in-process: the election of a meta0, meta1 or meta2
base, healthy, with a peer down, and failed."""

NAME = {"account": "el_acct", "reference": "el_ref"}


def test_bad_input_is_refused_before_any_request(oio):
    oio.sim.reset_stats()
    for options, part in (
            ({"type": "meta2"}, "needs account and reference, or cid"),
            ({"type": "meta2", "cid": "0" * 63 + "A.2"}, "only reach sequence 1")):
        result = oio("oio_election_info", **options)
        assert result.failed and part in result.msg, (options, result.msg)
    assert oio.sim.stats()["requests"] == 0
    # A reference without meta2: the proxy's 404 (status 431), with the URL.
    no_meta2 = oio("oio_election_info", type="meta2", account="el_acct",
                   reference="never_linked")
    assert no_meta2.failed and "admin/status" in no_meta2.msg
    assert (no_meta2["error"]["http_status"], no_meta2["error"]["status"]) == (404, 431)


def test_healthy_then_unhealthy_bases(oio):
    oio.sim.reset_writes()
    m1 = oio("oio_election_info", check=True, type="meta1", debug=True, **NAME)
    assert not m1.changed and m1["healthy"] and m1["state"] == "healthy"
    assert m1["problems"] == []
    name = m1["base"]["name"]
    assert len(name) == 4 and name[2:] == "00"
    master, slaves = m1["master"], m1["slaves"]
    assert master in m1["peers"] and len(slaves) == 2
    assert m1["peers"][slaves[0]]["master"] == master
    assert m1["debug"][master]["local"]["state"] == "MASTER"
    assert m1["debug"][slaves[0]]["local"]["state"] == "SLAVE"
    by_name = oio("oio_election_info", type="meta1", cid=name)
    assert (by_name["master"], by_name["base"]["name"]) == (master, name)
    m0 = oio("oio_election_info", type="meta0")
    assert m0["healthy"] and m0["base"]["name"] == oio.sim.namespace and len(m0["peers"]) == 3
    assert oio.sim.writes() == []

    linked = oio.proxy("POST", "reference/link", headers={"x-oio-action-mode": "autocreate"},
                       acct=NAME["account"], ref=NAME["reference"], type="meta2")
    oio.sim.reset_writes()
    m2 = oio("oio_election_info", type="meta2", **NAME)
    assert m2["healthy"] and m2["base"]["name"].endswith(".1")
    assert len(m2["peers"]) == len(linked)
    by_cid = oio("oio_election_info", type="meta2", cid=m2["base"]["name"])
    assert by_cid["master"] == m2["master"]
    assert oio.sim.writes() == []

    oio.sim.set_faults({"down_peers": [slaves[0]],
                        "failed_elections": ["meta2:" + m2["base"]["name"]]})
    down = oio("oio_election_info", type="meta1", cid=name)
    assert not down.failed and not down["healthy"] and down["state"] == "unreachable"
    assert down["peers"][slaves[0]]["role"] == "unreachable"
    assert len(down["problems"]) == 1 and slaves[0] in down["problems"][0]
    failed = oio("oio_election_info", type="meta2", cid=m2["base"]["name"])
    assert not failed["healthy"] and failed["state"] == "failed" and failed["master"] is None
    assert "election failed" in failed["problems"][0]
