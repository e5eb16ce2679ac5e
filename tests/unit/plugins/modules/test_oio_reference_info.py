"""oio_reference_info in-process: a reference read by name or by cid, a
missing one, a system reference, and a read retried through a 503."""

ACCOUNT = "info acct/\u00fc"
# Every character a URL gives a meaning to, and some that need UTF-8.
REFERENCE = "a/b?c=d&e=50% f+g \u00fc\u20ac \u65e5\u672c"
NAME = {"account": ACCOUNT, "reference": REFERENCE}


def test_bad_input_is_refused_before_any_request(oio):
    oio.sim.reset_stats()
    for options, part in (
            ({"cid": "XYZ"}, "64 hexadecimal"),
            (dict(NAME, cid="%064X" % 1), "mutually exclusive"),
            ({"account": ACCOUNT}, "reference")):
        result = oio("oio_reference_info", **options)
        assert result.failed and part in result.msg, (options, result.msg)
    assert oio.sim.stats()["requests"] == 0
    bad_type = oio("oio_reference_info", types=["nosuchtype"], **NAME)
    assert bad_type.failed and "unknown service type" in bad_type.msg
    down = oio("oio_reference_info", proxy_url="http://127.0.0.1:9", retries=0, **NAME)
    assert down.failed and "GET http://127.0.0.1:9/v3.0/" in down.msg


def test_a_missing_reference_is_not_an_error(oio):
    oio.sim.reset_writes()
    missing = oio("oio_reference_info", **NAME)
    assert not missing.failed and not missing.changed and not missing["exists"]
    assert len(missing["cid"]) == 64
    assert missing["properties"] == {} and missing["services"] == []
    by_cid = oio("oio_reference_info", cid=missing["cid"])
    assert not by_cid["exists"] and by_cid["cid"] == missing["cid"]
    assert oio.sim.writes() == []


def test_shows_a_reference_by_name_and_by_cid(oio):
    meta2 = [s["addr"] for s in oio("oio_service_info", type="meta2")["services"]]
    made = oio("oio_reference", properties={"owner": "team-a"}, services=[
        {"type": "meta2", "host": meta2},
        {"type": "sqlx", "host": "10.0.0.9:6500", "seq": 2, "args": "x=1"}], **NAME)
    assert made.changed, made.msg
    oio.sim.reset_writes()
    shown = oio("oio_reference_info", check=True, **NAME)
    assert not shown.changed and shown["exists"]
    # The name went through the URL and came back whole.
    assert (shown["account"], shown["reference"]) == (ACCOUNT, REFERENCE)
    assert shown["cid"] == made["cid"] and shown["properties"] == {"owner": "team-a"}
    linked_meta2, sqlx = shown["services"]
    assert linked_meta2["type"] == "meta2" and len(linked_meta2["hosts"]) == len(meta2)
    assert (sqlx["host"], sqlx["seq"], sqlx["args"]) == ("10.0.0.9:6500", 2, "x=1")
    by_cid = oio("oio_reference_info", cid=made["cid"].lower(), type="sqlx")
    assert by_cid["exists"] and by_cid["cid"] == made["cid"]
    assert by_cid["reference"] == REFERENCE
    assert [s["type"] for s in by_cid["services"]] == ["sqlx"]
    assert oio.sim.writes() == []


def test_a_system_reference_and_a_read_retried(oio):
    rdir = oio("oio_reference_info", account="_RDIR", reference="rawx-1", types=["rdir"])
    assert rdir["exists"] and [s["type"] for s in rdir["services"]] == ["rdir"]
    oio.sim.set_faults({"rules": [{"match": "reference/show", "service": "proxy",
                                   "rate": 1.0, "action": "503", "times": 1}]})
    retried = oio("oio_reference_info", account="_RDIR", reference="rawx-1")
    assert retried["exists"] and len(retried["warnings"]) == 1
