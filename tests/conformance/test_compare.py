"""The comparator must catch what matters and tolerate what may differ."""
import json

from compare import compare, partial_json, shape_problems
from oiosim.transcripts import parse_bytes


def transcript(status, body, headers=()):
    head = "".join("< %s: %s\n" % h for h in headers)
    data = ("# action: x\n# captured: 2026-01-01T00:00:00Z\n# command: curl 'http://h/'\n\n"
            "=== REQUEST (headers as sent, from curl -v) ===\n> GET / HTTP/1.1\n> \n\n"
            "=== REQUEST BODY ===\n(none)\n\n"
            "=== RESPONSE (status line and headers) ===\n< HTTP/1.1 %d X\n%s< \n\n"
            "=== RESPONSE BODY (%d bytes) ===\n%s\n" % (
                status, head, len(body), body if body else "(empty)"))
    return parse_bytes(data.encode())


JSON = {"Content-Type": "application/json"}


def test_values_may_differ_but_not_types():
    assert shape_problems({"a": 1, "b": "x"}, {"a": 2, "b": "y"}) == []
    assert shape_problems({"a": 1}, {"a": "1"})
    assert shape_problems({"a": None}, {"a": "x"})
    assert shape_problems({"a": True}, {"a": 1})


def test_keys_must_match():
    assert "missing keys ['b']" in shape_problems({"a": 1, "b": 2}, {"a": 1})[0]
    assert "unexpected keys ['c']" in shape_problems({"a": 1}, {"a": 1, "c": 2})[0]


def test_maps_keyed_by_addresses_compare_by_values():
    exp = {"127.0.0.1:6009": {"status": {"status": 200}}}
    assert shape_problems(exp, {"127.0.0.1:7000": {"status": {"status": 303}}}) == []
    assert shape_problems(exp, {"127.0.0.1:7000": {"status": "x"}})
    assert shape_problems({"0000": ["a"]}, {"0000": ["b"], "0001": ["c"]}) == []


def test_lists_of_objects_keep_their_length():
    assert shape_problems([{"a": 1}], [{"a": 1}, {"a": 2}])
    assert shape_problems(["a", "b"], ["c"]) == []
    assert shape_problems(["a"], [1])


def test_error_status_must_be_equal():
    t = transcript(404, '{"status":406,"message":"no such user"}', [("Content-Type", "application/json")])
    assert compare(t, 404, JSON, b'{"status":406,"message":"other"}') == []
    assert compare(t, 404, JSON, b'{"status":431,"message":"no such user"}')
    assert compare(t, 400, JSON, b'{"status":406,"message":"no such user"}')


def test_empty_bodies_and_paging_headers():
    t = transcript(204, "")
    assert compare(t, 204, {}, b"") == []
    assert compare(t, 204, {}, b"{}")
    t = transcript(200, "[]", [("Content-Type", "application/json"),
                               ("x-oio-list-truncated", "false")])
    assert compare(t, 200, dict(JSON, **{"x-oio-list-truncated": "false"}), b"[]") == []
    assert compare(t, 200, JSON, b"[]")
    assert compare(t, 200, dict(JSON, **{"x-oio-list-truncated": "true"}), b"[]")


def test_partial_json_keeps_complete_entries():
    body = json.dumps({"0000": ["a", "b"], "0001": ["c", "d"]})[:-6].encode()
    assert partial_json(body) == {"0000": ["a", "b"]}
