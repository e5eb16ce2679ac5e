"""oio_reference in-process against a simulated namespace: bad input, check
mode, idempotence, each way of stating the services, retries."""
import pytest

ACCT = "ansible_acct"
# Every character the proxy's URL parsing could get wrong.
REF = "dir/sub?x=1&y=50% off+more \u00fc\u20ac \u65e5\u672c"
BAD_CID = "EE3038EF0349B143F1876FBB2139163A116C0753C981BE107C952ED90B38A0"
# rawx APPEND: a renew polls another one.
SIM = {"preset": "small_bootstrapped",
       "service_update_policy": "meta2=KEEP|3|1;sqlx=KEEP|1|1|;rdir=KEEP|1|1|;rawx=APPEND|1|1"}


def addresses(oio, kind, key="addr"):
    return [s[key] for s in oio("oio_service_info", type=kind)["services"]]


def ref_of(**options):
    return dict({"account": ACCT, "reference": REF}, **options)


@pytest.mark.parametrize("options, message", [
    (ref_of(services=[{"type": "rdir", "host": "10.0.0.300:6300"}]),
     ["10.0.0.300:6300", "not a valid IP:PORT"]),
    (ref_of(services=[{"type": "meta2", "host": "127.0.0.1:6120,10.0.0.1"}]), ["10.0.0.1"]),
    (ref_of(services=[{"type": "rawx", "host": "rawx-999"}]), ["rawx-999", "conscience"]),
    (ref_of(properties={"quota": 1000}), ["quota", "must be a string"]),
    (ref_of(properties={"quota": ""}), ["empty value"]),
    ({"cid": BAD_CID, "properties": {"a": "b"}}, ["64 hexadecimal"]),
    (dict(ref_of(), cid=BAD_CID + "00"), ["mutually exclusive"]),
    (ref_of(link=["nosuchtype"]), ["unknown service type", "nosuchtype"]),
    (ref_of(link=["rdir"], unlink=["rdir"]), ["both link and unlink"]),
    ({"cid": "%064X" % 1234567}, ["needs account and reference"]),
    (ref_of(state="absent", link=["rdir"]), ["link goes with state present (state is absent)"]),
])
def test_bad_input_is_refused_before_any_write(oio, options, message):
    oio.sim.reset_writes()
    result = oio("oio_reference", **options)
    assert result.failed
    for part in message:
        assert part in result.msg
    assert oio.sim.writes() == []


def test_create_then_properties(oio):
    rdir = addresses(oio, "rdir")
    create = ref_of(properties={"owner": "team-a", "quota": "1000"},
                    services=[{"type": "rdir", "host": rdir[0]}])
    check, real, dummy = oio.converged("oio_reference", create, diff=True)
    # The prediction is the reference to be.
    assert check.changed and check["exists"] and check["reference"] == REF
    assert check["properties"] == {"owner": "team-a", "quota": "1000"}
    assert [s["host"] for s in check["services"]] == [rdir[0]]
    assert check["diff"]["before"] == {"exists": False}
    assert check["diff"]["after"]["services"] == ["rdir seq 1: " + rdir[0]]
    # Created as predicted, with the cid OpenIO computes, under that exact name.
    assert real.changed and real["cid"] == check["cid"]
    assert (real["account"], real["reference"]) == (ACCT, REF)
    assert real["properties"] == check["properties"] and real["services"] == check["services"]
    shown = oio.proxy("GET", "reference/show", acct=ACCT, ref=REF)
    assert (shown["name"], shown["cid"]) == (REF, real["cid"])

    # Change one, add one: unlisted properties are kept, one write.
    props = ref_of(properties={"owner": "team-b", "tier": "gold"})
    check, real, dummy = oio.converged("oio_reference", props, diff=True)
    assert check.changed and check["properties"] == {"owner": "team-b", "quota": "1000",
                                                     "tier": "gold"}
    assert check["diff"]["before"]["properties"]["owner"] == "team-a"
    assert check["diff"]["after"]["properties"]["owner"] == "team-b"
    assert real.changed and real["properties"] == check["properties"]
    writes = oio.sim.writes()
    assert len(writes) == 1 and writes[0]["path"].endswith("/reference/set_properties")
    assert "flush" not in writes[0]["query"]

    # purge_properties: only the listed one is left.
    check, real, dummy = oio.converged(
        "oio_reference", ref_of(properties={"owner": "team-b"}, purge_properties=True))
    assert check.changed and check["properties"] == {"owner": "team-b"}
    assert real.changed and real["properties"] == {"owner": "team-b"}

    # Through the cid, in lower case: the same reference.
    check, real, dummy = oio.converged(
        "oio_reference", {"cid": real["cid"].lower(), "properties": {"via": "cid"}})
    assert check.changed and real.changed
    assert real["reference"] == REF and real["properties"]["via"] == "cid"


def test_services_exact_by_id_renew_unlink_link(oio):
    meta2, rdir = addresses(oio, "meta2"), addresses(oio, "rdir")
    rawx_ids = addresses(oio, "rawx", "id")
    assert oio("oio_reference", **ref_of()).changed
    exact = ref_of(services=[{"type": "rdir", "host": rdir[1]},
                             {"type": "meta2", "host": meta2, "seq": 1}])
    check, real, dummy = oio.converged("oio_reference", exact, diff=True)
    assert check.changed and [s["type"] for s in check["services"]] == ["meta2", "rdir"]
    assert check["services"][0]["host"] == ",".join(meta2)
    assert check["services"][1]["host"] == rdir[1]
    assert len(check["diff"]["after"]["services"]) == 2
    assert real.changed and real["services"] == check["services"]
    # The addresses in another order, as one joined string: nothing to do.
    again = oio("oio_reference", **ref_of(services=[
        {"type": "rdir", "host": rdir[1]}, {"type": "meta2", "host": ",".join(meta2[::-1])}]))
    assert not again.changed
    writes = oio.sim.writes()
    assert [w["path"].rsplit("/", 1)[-1] for w in writes] == ["force", "force"]
    assert [w["query"]["replace"] for w in writes] == ["yes", "yes"]
    # Info shows the compound entry as one item of the expanded hosts.
    info = oio("oio_reference_info", types=["meta2"], **ref_of())
    assert len(info["services"]) == 1 and sorted(info["services"][0]["hosts"]) == sorted(meta2)

    # A seq that is not listed is dropped.
    oio.proxy("POST", "reference/force", {"seq": 2, "type": "rdir", "host": rdir[2], "args": ""},
              acct=ACCT, ref=REF, type="rdir")
    check, again, dummy = oio.converged("oio_reference", exact)
    assert check.changed and again.changed
    assert check["services"] == real["services"] == again["services"]

    # A rawx linked by its service ID.
    check, by_id, dummy = oio.converged(
        "oio_reference", ref_of(services=[{"type": "rawx", "host": rawx_ids[0]}]))
    assert check.changed and by_id.changed
    assert [s["host"] for s in by_id["services"] if s["type"] == "rawx"] == [rawx_ids[0]]

    # renew: a KEEP type with something linked is a no-op ...
    check, keep, dummy = oio.converged("oio_reference", ref_of(renew=["rdir"]))
    assert not check.changed and not keep.changed and keep["services"] == by_id["services"]
    # ... an APPEND type polls again, with the next seq.
    oio.sim.reset_writes()
    check = oio("oio_reference", check=True, **ref_of(renew=["rawx"]))
    assert oio.sim.writes() == []
    append = oio("oio_reference", **ref_of(renew=["rawx"]))
    for result in (check, append):
        assert result.changed
        assert [s["seq"] for s in result["services"] if s["type"] == "rawx"] == [1, 2]
    assert [s["host"] for s in check["services"] if s["seq"] == 2] == [None]

    # unlink: rawx only (sqlx is not linked), once.
    check, real, dummy = oio.converged("oio_reference", ref_of(unlink=["rawx", "sqlx"]))
    assert check.changed and [s["type"] for s in check["services"]] == ["meta2", "rdir"]
    assert real.changed and real["services"] == check["services"]
    writes = oio.sim.writes()
    assert len(writes) == 1 and writes[0]["query"]["type"] == "rawx"

    # link: the cluster chooses the rawx; the linked rdir is left alone.
    check, real, dummy = oio.converged("oio_reference", ref_of(link=["rdir", "rawx"]), diff=True)
    assert check.changed
    assert [s["host"] for s in check["services"] if s["type"] == "rawx"] == [None]
    assert "rawx seq 1: (chosen by the cluster)" in check["diff"]["after"]["services"]
    assert real.changed
    assert [s["host"] for s in real["services"] if s["type"] == "rawx"][0] in rawx_ids
    assert [s["host"] for s in real["services"] if s["type"] == "rdir"] == [rdir[1]]


def test_idempotent_writes_are_retried_and_link_is_not(oio):
    assert oio("oio_reference", **ref_of()).changed
    oio.sim.set_faults({"rules": [
        {"match": "reference/set_properties", "service": "proxy", "rate": 1.0,
         "action": "503", "times": 1},
        {"match": "reference/link", "service": "proxy", "rate": 1.0, "action": "503",
         "times": 1}]})
    retried = oio("oio_reference", **ref_of(properties={"retried": "yes"}))
    not_retried = oio("oio_reference", **ref_of(link=["sqlx"]))
    assert retried.changed and len(retried["warnings"]) == 1
    assert "retrying" in retried["warnings"][0]
    assert not_retried.failed
    error = not_retried["error"]
    assert error["http_status"] == 503 and "reference/link" in error["url"]
    assert error["method"] == "POST"


def test_absent(oio):
    rdir = addresses(oio, "rdir")
    assert oio("oio_reference", **ref_of(services=[{"type": "rdir", "host": rdir[0]}])).changed
    oio.sim.reset_writes()
    refused = oio("oio_reference", **ref_of(state="absent"))
    assert refused.failed and "linked service" in refused.msg and "force: true" in refused.msg
    assert oio.sim.writes() == []
    check, real, dummy = oio.converged(
        "oio_reference", ref_of(state="absent", force=True), diff=True)
    assert check.changed and not check["exists"] and check["diff"]["after"] == {"exists": False}
    assert real.changed and not real["exists"]
    assert real["services"] == [] and real["properties"] == {}
    # An empty reference goes without force.
    assert oio("oio_reference", account=ACCT, reference="empty one").changed
    gone = oio("oio_reference", account=ACCT, reference="empty one", state="absent")
    assert gone.changed and not gone["exists"]
