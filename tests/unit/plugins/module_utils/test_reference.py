# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the reference helpers: cid, validation, planning (pure logic)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


import pytest

from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.namespace import parse_policy
from ansible_collections.openio.sds.plugins.module_utils.reference import (
    apply_op, check_force_body, check_identity, check_properties, check_services,
    check_set_properties_body, check_type_lists, check_types, check_unknown_ids,
    diff_view, group_services, new_state, plan, plan_properties,
    predict_changed, public_state, service_entry, state_from_show)

# (account, reference, cid) as the 7.3.0 proxy reported them in the captures
# (tests/conformance/transcripts), plus the example of the spec.
KNOWN_PAIRS = [
    ("lab_acct", "lab_ref1", "EE3038EF0349B143F1876FBB2139163A116C0753C981BE107C952ED90B38A004"),
    ("_RDIR", "127.0.0.1:6013", "6253CA920A32088369989CBC88E77E1EAD109A0400E6C6F662F7CA1E32D93B46"),
    ("_RDIR", "127.0.0.1:6014", "D95654AAAFA1010FABBCF49DC11E021366F489533F16B0594BCCD07D3506B54F"),
    ("my_account", "myreference", "13C0470DBCE55371E6BD5975EFF23A18F658CDC1656A7474DEF1ED0B0EDDA9FC"),
]

TYPES = ["account", "meta0", "meta1", "meta2", "rawx", "rdir", "sqlx"]


def entry(stype, seq, *hosts, **kw):
    return service_entry(stype, seq, list(hosts), kw.get("args", ""))


def existing(props=None, services=None):
    return new_state("acct", "ref", "C" * 64, exists=True, properties=props, services=services)


def want(**kw):
    base = {"state": "present", "properties": None, "purge_properties": False,
            "services": [], "link": [], "unlink": [], "renew": [], "force": False}
    base.update(kw)
    return base


def kinds(ops):
    return [(o["op"], o.get("type") or (o.get("entry") or {}).get("type")) for o in ops]


# ------------------------------------------------------------------ identity

@pytest.mark.parametrize("account,reference,cid", KNOWN_PAIRS)
def test_cid_matches_openio(account, reference, cid):
    assert check_identity(account, reference) == (account, reference, cid)


def test_cid_given_is_uppercased_and_alone():
    low = KNOWN_PAIRS[0][2].lower()
    assert check_identity(cid=low) == (None, None, KNOWN_PAIRS[0][2])


@pytest.mark.parametrize("cid", ["XYZ", "AB", "EE3038EF" * 7, KNOWN_PAIRS[0][2] + ".1", ""])
def test_cid_must_be_64_hex(cid):
    with pytest.raises(InvalidInput, match="64 hexadecimal"):
        check_identity(cid=cid)


def test_cid_and_account_exclusive():
    with pytest.raises(InvalidInput, match="not both"):
        check_identity("a", None, KNOWN_PAIRS[0][2])


@pytest.mark.parametrize("account,reference,msg", [
    ("", "r", "non-empty"), ("a", "", "non-empty"), ("a\x00b", "r", "NUL"),
    ("a" * 64, "r", "longer than 63"), ("a", "é" * 512, "longer than 1023"),
    (None, "r", "name the reference"),
])
def test_bad_names(account, reference, msg):
    with pytest.raises(InvalidInput, match=msg):
        check_identity(account, reference)


def test_special_names_hash_as_utf8():
    name = "a/b?c&d%e f+g/ü"
    import hashlib
    cid = hashlib.sha256(b"acct\x00" + name.encode("utf-8")).hexdigest().upper()
    assert check_identity("acct", name)[2] == cid


# ------------------------------------------------------------------ validation

def test_properties_must_be_non_empty_strings():
    assert check_properties({"a": "1"}) == {"a": "1"}
    assert check_properties(None) is None
    for bad, msg in (({"a": 1}, "must be a string, got int"), ({"a": True}, "got bool"),
                     ({"a": None}, "got NoneType"), ({"a": ""}, "empty value"),
                     ({"": "x"}, "non-empty")):
        with pytest.raises(InvalidInput, match=msg):
            check_properties(bad)


def test_services_normalised_and_compound_hosts():
    got, ids = check_services([
        {"type": "meta2", "host": ["10.0.0.1:6000", "10.0.0.2:6000"], "seq": 1, "args": None},
        {"type": "rdir", "host": "10.0.0.5:6300,10.0.0.6:6300"},
    ])
    assert ids == {}
    assert got[0]["host"] == "10.0.0.1:6000,10.0.0.2:6000" and got[0]["args"] == ""
    assert got[1]["hosts"] == ["10.0.0.5:6300", "10.0.0.6:6300"] and got[1]["seq"] == 1


@pytest.mark.parametrize("host", ["10.0.0.1", "10.0.0.300:6000", "10.0.0.1:0", "foo:bar",
                                  "10.0.0.1:6000,", "", "a b", "10.0.0.1:70000"])
def test_malformed_host(host):
    with pytest.raises(InvalidInput, match="host"):
        check_services([{"type": "rdir", "host": host}])


def test_service_ids_are_checked_against_conscience():
    got, ids = check_services([{"type": "rawx", "host": ["rawx-1"]}])
    assert ids == {"rawx": set(["rawx-1"])}
    check_unknown_ids(ids, {"rawx": set(["rawx-1", "rawx-2"])})
    with pytest.raises(InvalidInput, match="neither an IP:PORT"):
        check_unknown_ids(ids, {"rawx": set(["rawx-2"])})


@pytest.mark.parametrize("item,msg", [
    ({"type": "rdir", "host": "10.0.0.1:1", "seq": 0}, "seq"),
    ({"type": "rdir", "host": "10.0.0.1:1", "seq": True}, "seq"),
    ({"type": "", "host": "10.0.0.1:1"}, "type"),
    ({"type": "rdir", "host": "10.0.0.1:1,10.0.0.1:1"}, "twice"),
    ({"type": "rdir", "host": "10.0.0.1:1", "args": 3}, "args"),
])
def test_bad_service_items(item, msg):
    with pytest.raises(InvalidInput, match=msg):
        check_services([item])


def test_duplicate_type_seq():
    with pytest.raises(InvalidInput, match="twice"):
        check_services([{"type": "rdir", "host": "10.0.0.1:1"},
                        {"type": "rdir", "host": "10.0.0.2:1", "seq": 1}])


def test_types_known_and_in_one_option_only():
    check_types(["rdir"], TYPES)
    with pytest.raises(InvalidInput, match="unknown service type.*nosuchtype"):
        check_types(["rdir", "nosuchtype"], TYPES)
    with pytest.raises(InvalidInput, match="both link and unlink"):
        check_type_lists([], ["rdir"], ["rdir"], [])
    with pytest.raises(InvalidInput, match="both services and renew"):
        check_type_lists([entry("rdir", 1, "10.0.0.1:1")], [], [], ["rdir"])
    assert check_type_lists([entry("meta2", 1, "10.0.0.1:1")], ["rdir"], ["rawx"], []) == \
        ["meta2", "rawx", "rdir"]


def test_payload_guards():
    assert check_force_body(entry("rdir", 1, "10.0.0.1:1")) == \
        {"seq": 1, "type": "rdir", "host": "10.0.0.1:1", "args": ""}
    with pytest.raises(InvalidInput):
        check_force_body(service_entry("rdir", 1, [None]))
    with pytest.raises(InvalidInput):
        check_set_properties_body({})
    with pytest.raises(InvalidInput):
        check_set_properties_body({"k": ""})
    assert check_set_properties_body({"k": None}) == {"properties": {"k": None}}


# ------------------------------------------------------------------ shapes

def test_group_expanded_show_entries():
    srv = [{"seq": 1, "type": "meta2", "host": "10.0.0.2:1", "args": ""},
           {"seq": 1, "type": "meta2", "host": "10.0.0.1:1", "args": ""},
           {"seq": 2, "type": "meta2", "host": "10.0.0.3:1", "args": "x"},
           {"seq": 1, "type": "rdir", "host": "10.0.0.5:1", "args": ""}]
    got = group_services(srv)
    assert [(e["type"], e["seq"], e["host"], e["args"]) for e in got] == [
        ("meta2", 1, "10.0.0.2:1,10.0.0.1:1", ""), ("meta2", 2, "10.0.0.3:1", "x"),
        ("rdir", 1, "10.0.0.5:1", "")]


def test_state_from_show_transcript_body():
    body = {"dir": [], "srv": [{"seq": 1, "type": "rdir", "host": "127.0.0.1:6020", "args": ""}],
            "cid": KNOWN_PAIRS[0][2], "account": "lab_acct", "name": "lab_ref1"}
    state = state_from_show(body, {"owner": "ansible-lab"}, cid=KNOWN_PAIRS[0][2])
    out = public_state(state)
    assert out["account"] == "lab_acct" and out["reference"] == "lab_ref1"
    assert out["services"][0]["hosts"] == ["127.0.0.1:6020"]
    assert public_state(state, ["meta2"])["services"] == []


def test_policy_parsing():
    assert parse_policy("meta2=KEEP|3|1;sqlx=KEEP|1|1|;rdir=append|1|1|") == \
        {"meta2": "KEEP", "sqlx": "KEEP", "rdir": "APPEND"}
    assert parse_policy(None) == {}


def test_diff_view_is_small():
    state = existing({"k": "v" * 500}, [entry("rdir", 1, "10.0.0.1:1", args="a")])
    view = diff_view(state)
    assert len(view["properties"]["k"]) < 160
    assert view["services"] == ["rdir seq 1: 10.0.0.1:1 args=a"]
    assert diff_view(new_state("a", "r", "C" * 64)) == {"exists": False}


# ------------------------------------------------------------------ planning

def test_create_carries_properties_in_one_write():
    state = new_state("acct", "ref", "C" * 64)
    ops, predicted = plan(state, want(properties={"a": "1"}))
    assert ops == [{"op": "create", "properties": {"a": "1"}}]
    assert predicted["exists"] and predicted["properties"] == {"a": "1"}


def test_cannot_create_from_cid():
    with pytest.raises(InvalidInput, match="needs account and reference"):
        plan(new_state(None, None, "C" * 64), want())


def test_nothing_to_do_is_no_op():
    state = existing({"a": "1", "b": "2"}, [entry("rdir", 1, "10.0.0.1:1")])
    ops, predicted = plan(state, want(properties={"a": "1"},
                                      services=[entry("rdir", 1, "10.0.0.1:1")],
                                      link=["rdir"], unlink=["meta2"]))
    assert ops == [] and predicted == state
    assert predict_changed(state, ops) is False


def test_properties_only_what_differs_and_purge_by_name():
    current = {"a": "1", "b": "2", "c": "3"}
    assert plan_properties(current, {"a": "1", "b": "x"}, False) == {"b": "x"}
    assert plan_properties(current, {"a": "1"}, True) == {"b": None, "c": None}
    assert plan_properties(current, None, True) == {"a": None, "b": None, "c": None}
    assert plan_properties(current, None, False) == {}
    assert plan_properties({}, None, True) == {}


def test_properties_one_write():
    state = existing({"a": "1", "b": "2"})
    ops, predicted = plan(state, want(properties={"a": "9", "n": "new"}, purge_properties=True))
    assert ops == [{"op": "set_properties", "properties": {"a": "9", "n": "new", "b": None}}]
    assert predicted["properties"] == {"a": "9", "n": "new"}


def test_services_force_only_what_differs():
    state = existing(services=[entry("meta2", 1, "10.0.0.1:1", "10.0.0.2:1"),
                               entry("rdir", 1, "10.0.0.5:1")])
    same_other_order = entry("meta2", 1, "10.0.0.2:1", "10.0.0.1:1")
    ops, dummy = plan(state, want(services=[same_other_order]))
    assert ops == []
    moved = entry("rdir", 1, "10.0.0.6:1")
    new_seq = entry("meta2", 2, "10.0.0.3:1")
    ops, predicted = plan(state, want(services=[same_other_order, new_seq, moved]))
    assert kinds(ops) == [("force", "meta2"), ("force", "rdir")]
    assert [o["entry"]["seq"] for o in ops] == [2, 1]
    assert [e["host"] for e in predicted["services"]] == \
        ["10.0.0.1:1,10.0.0.2:1", "10.0.0.3:1", "10.0.0.6:1"]


def test_args_difference_forces():
    state = existing(services=[entry("sqlx", 1, "10.0.0.1:1", args="")])
    ops, dummy = plan(state, want(services=[entry("sqlx", 1, "10.0.0.1:1", args="x")]))
    assert kinds(ops) == [("force", "sqlx")]


def test_extra_seq_unlinks_then_forces_and_restores_type_properties():
    state = existing({"meta2.size": "1", "owner": "x"},
                     [entry("meta2", 1, "10.0.0.1:1"), entry("meta2", 2, "10.0.0.2:1")])
    ops, predicted = plan(state, want(services=[entry("meta2", 1, "10.0.0.1:1")],
                                      properties={"meta2.size": "1"}))
    assert kinds(ops) == [("unlink", "meta2"), ("force", "meta2"), ("set_properties", None)]
    assert ops[-1]["properties"] == {"meta2.size": "1"}
    assert predicted["properties"] == {"meta2.size": "1", "owner": "x"}
    assert [e["seq"] for e in predicted["services"]] == [1]


def test_link_only_when_nothing_linked():
    state = existing(services=[entry("rdir", 1, "10.0.0.1:1")])
    ops, predicted = plan(state, want(link=["rdir", "meta2"]))
    assert kinds(ops) == [("link", "meta2")]
    chosen = [e for e in predicted["services"] if e["type"] == "meta2"][0]
    assert chosen["host"] is None and chosen["seq"] == 1


def test_unlink_only_when_linked_and_drops_type_properties():
    state = existing({"rdir.x": "1", "y": "2"}, [entry("rdir", 1, "10.0.0.1:1")])
    ops, predicted = plan(state, want(unlink=["rdir", "meta2"]))
    assert kinds(ops) == [("unlink", "rdir")]
    assert predicted["services"] == [] and predicted["properties"] == {"y": "2"}


def test_renew_follows_policy():
    state = existing(services=[entry("rdir", 1, "10.0.0.1:1"), entry("rawx", 1, "10.0.0.9:1")])
    policies = {"rdir": "KEEP", "rawx": "APPEND"}
    ops, predicted = plan(state, want(renew=["rdir"]), policies)
    assert kinds(ops) == [("renew", "rdir")]
    assert predicted == state and predict_changed(state, ops, policies) is False
    ops, predicted = plan(state, want(renew=["rawx"]), policies)
    assert predict_changed(state, ops, policies) is True
    assert [e["seq"] for e in predicted["services"] if e["type"] == "rawx"] == [1, 2]
    replaced = apply_op(state, {"op": "renew", "type": "rawx"}, {"rawx": "REPLACE"})
    assert [e["seq"] for e in replaced["services"] if e["type"] == "rawx"] == [2]
    # Nothing linked: even KEEP polls a service.
    ops, dummy = plan(existing(), want(renew=["meta2"]), {})
    assert predict_changed(existing(), ops, {}) is True


def test_absent_refuses_non_empty_without_force():
    state = existing({"a": "1"}, [entry("rdir", 1, "10.0.0.1:1")])
    with pytest.raises(InvalidInput, match=r"1 linked service\(s\) \(rdir\) and 1 property"):
        plan(state, want(state="absent"))
    ops, predicted = plan(state, want(state="absent", force=True))
    assert ops == [{"op": "destroy", "force": True}] and not predicted["exists"]
    ops, dummy = plan(existing(), want(state="absent"))
    assert ops == [{"op": "destroy", "force": False}]
    ops, dummy = plan(new_state("a", "r", "C" * 64), want(state="absent"))
    assert ops == []


# ------------------------------------------------------------------ execution (fake client)

class FakeResponse(object):
    def __init__(self, status=204, body=None):
        self.status, self.body, self.method, self.url = status, body, "POST", "http://x"


class FakeClient(object):
    """Records the calls; answers from a {route: [responses]} script."""

    def __init__(self, script=None):
        self.calls = []
        self.script = script or {}

    def proxy(self, method, route, params=None, **kwargs):
        self.calls.append((method, route, dict(params or {}), kwargs))
        answers = self.script.get(route)
        return answers.pop(0) if answers else FakeResponse()


def _routes(client):
    return [c[1].split("/")[-1] for c in client.calls]


def test_execute_retry_flags_and_payloads():
    from ansible_collections.openio.sds.plugins.module_utils.reference import execute
    state = existing({"a": "1"}, [entry("rdir", 1, "10.0.0.1:1")])
    ops = [{"op": "force", "entry": entry("meta2", 1, "10.0.0.2:1", "10.0.0.3:1")},
           {"op": "unlink", "type": "rdir"},
           {"op": "link", "type": "rawx"},
           {"op": "set_properties", "properties": {"a": None, "b": "2"}}]
    client = FakeClient({"reference/link": [FakeResponse(200, [])]})
    assert execute(client, state, ops) is True
    assert _routes(client) == ["force", "unlink", "link", "set_properties"]
    force, unlink, link, setp = client.calls
    assert force[2] == {"acct": "acct", "ref": "ref", "type": "meta2", "replace": "yes"}
    assert force[3]["json_body"] == {"seq": 1, "type": "meta2", "host": "10.0.0.2:1,10.0.0.3:1",
                                     "args": ""}
    assert force[3]["idempotent"] and unlink[3]["idempotent"] and setp[3]["idempotent"]
    assert not link[3].get("idempotent")
    assert "flush" not in setp[2]
    assert setp[3]["json_body"] == {"properties": {"a": None, "b": "2"}}


def test_execute_renew_changed_only_when_answer_differs():
    from ansible_collections.openio.sds.plugins.module_utils.reference import execute
    state = existing(services=[entry("rdir", 1, "10.0.0.1:1")])
    same = [{"seq": 1, "type": "rdir", "host": "10.0.0.1:1", "args": ""}]
    client = FakeClient({"reference/renew": [FakeResponse(200, same)]})
    assert execute(client, state, [{"op": "renew", "type": "rdir"}]) is False
    assert not client.calls[0][3].get("idempotent")
    other = [{"seq": 2, "type": "rdir", "host": "10.0.0.7:1", "args": ""}]
    client = FakeClient({"reference/renew": [FakeResponse(200, other)]})
    assert execute(client, state, [{"op": "renew", "type": "rdir"}]) is True


def test_execute_create_202_writes_properties_it_could_not_carry():
    from ansible_collections.openio.sds.plugins.module_utils.reference import execute
    state = new_state("acct", "ref", "C" * 64)
    show = {"srv": [], "cid": "C" * 64, "account": "acct", "name": "ref"}
    client = FakeClient({
        "reference/create": [FakeResponse(202)],
        "reference/show": [FakeResponse(200, show)],
        "reference/get_properties": [FakeResponse(200, {"properties": {"a": "old"}})],
    })
    execute(client, state, [{"op": "create", "properties": {"a": "1"}}])
    assert _routes(client) == ["create", "show", "get_properties", "set_properties"]
    assert client.calls[0][3]["json_body"] == {"properties": {"a": "1"}}
    assert client.calls[-1][3]["json_body"] == {"properties": {"a": "1"}}


def test_execute_destroy_force_flag():
    from ansible_collections.openio.sds.plugins.module_utils.reference import execute
    client = FakeClient()
    execute(client, existing(), [{"op": "destroy", "force": True}])
    assert client.calls[0][2]["force"] == "yes" and client.calls[0][3]["expect"] == (404,)
    client = FakeClient()
    execute(client, existing(), [{"op": "destroy", "force": False}])
    assert "force" not in client.calls[0][2]


def test_cid_only_state_writes_by_cid():
    from ansible_collections.openio.sds.plugins.module_utils.reference import execute
    state = new_state(None, None, "C" * 64, exists=True)
    client = FakeClient()
    execute(client, state, [{"op": "set_properties", "properties": {"a": "1"}}])
    assert client.calls[0][2] == {"cid": "C" * 64}
