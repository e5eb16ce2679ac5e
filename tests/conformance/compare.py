"""How a simulated answer is judged against a captured one.

The status code must be equal. JSON bodies must have the same shape: same
keys, same value types, recursively. Values may differ (addresses, ports,
timestamps, generated cids, counters), except the internal ``status`` of an
error body, which must be equal. Maps keyed by data (peer addresses, cids,
meta0 prefixes) are compared by the shape of their values, since their keys
are values. Lists of scalars may differ in length; lists of objects must not
(one object per service, per record...).
"""
import json
import re

DATA_KEY = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}:\d+|[0-9A-Fa-f]{4,64})$")
# Paging and back-off headers: their presence is part of the contract.
PRESENCE_HEADERS = ("x-oio-list-truncated", "x-oio-list-marker", "retry-after")


def kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_data_map(value):
    return isinstance(value, dict) and value and all(DATA_KEY.match(k) for k in value)


def shape_problems(expected, actual, where="$"):
    """List of human-readable differences of shape between two JSON values."""
    ek, ak = kind(expected), kind(actual)
    if ek != ak:
        return ["%s: expected %s, got %s (%s)" % (where, ek, ak, _short(actual))]
    if ek == "object":
        return _object_problems(expected, actual, where)
    if ek == "list":
        return _list_problems(expected, actual, where)
    return []


def _object_problems(expected, actual, where):
    if _is_data_map(expected) and (not actual or _is_data_map(actual)):
        if set(expected) == set(actual):
            out = []
            for key in expected:
                out += shape_problems(expected[key], actual[key], "%s[%s]" % (where, key))
            return out
        if not actual:
            return ["%s: expected a map of %d entries, got {}" % (where, len(expected))]
        return _any_of(list(expected.values()), actual.items(), where)
    out = []
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    if missing:
        out.append("%s: missing keys %s" % (where, missing))
    if extra:
        out.append("%s: unexpected keys %s" % (where, extra))
    for key in expected:
        if key in actual:
            out += shape_problems(expected[key], actual[key], "%s.%s" % (where, key))
    return out


def _list_problems(expected, actual, where):
    scalars = all(kind(v) not in ("list", "object") for v in expected + actual)
    if scalars:
        kinds = {kind(v) for v in expected}
        if expected and actual:
            odd = [v for v in actual if kind(v) not in kinds]
            if odd:
                return ["%s: element %s is not one of %s" % (where, _short(odd[0]),
                                                            sorted(kinds))]
        return []
    if len(expected) != len(actual):
        return ["%s: expected %d elements, got %d" % (where, len(expected), len(actual))]
    out = []
    for i, (e, a) in enumerate(zip(expected, actual)):
        out += shape_problems(e, a, "%s[%d]" % (where, i))
    return out


def _any_of(templates, items, where):
    out = []
    for key, value in items:
        best = None
        for template in templates:
            problems = shape_problems(template, value, "%s[%s]" % (where, key))
            if not problems:
                best = []
                break
            if best is None or len(problems) < len(best):
                best = problems
        out += best or []
        if len(out) > 10:
            break
    return out


def _short(value, limit=80):
    text = json.dumps(value) if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def partial_json(body):
    """Best effort on a truncated JSON object: keep the complete entries.
    Used for captured bodies whose full copy was not kept."""
    text = body.decode("utf-8", "replace")
    for end in range(len(text), 0, -1):
        if text[end - 1] not in "]}\"0123456789el":
            continue
        try:
            return json.loads(text[:end] + "}")
        except ValueError:
            continue
    raise ValueError("cannot recover a JSON prefix")


def _load(body):
    if not body:
        return None
    return json.loads(body.decode("utf-8"))


def compare(transcript, status, headers, body):
    """Differences between the captured exchange and a replayed answer."""
    problems = []
    if status != transcript.status:
        problems.append("status: expected %d, got %d (body %s)" % (
            transcript.status, status, body[:200]))
        return problems

    exp_headers = transcript.response_headers
    act_headers = {k.lower(): v for k, v in headers.items()}
    for name in PRESENCE_HEADERS:
        if (name in exp_headers) != (name in act_headers):
            problems.append("header %s: expected %s, got %s" % (
                name, exp_headers.get(name, "absent"), act_headers.get(name, "absent")))
    if "x-oio-list-truncated" in exp_headers and "x-oio-list-truncated" in act_headers:
        if exp_headers["x-oio-list-truncated"] != act_headers["x-oio-list-truncated"]:
            problems.append("header x-oio-list-truncated: expected %s, got %s" % (
                exp_headers["x-oio-list-truncated"], act_headers["x-oio-list-truncated"]))

    if not transcript.response_body:
        if body:
            problems.append("body: expected empty, got %s" % body[:200])
        return problems
    if not body:
        problems.append("body: expected %s, got empty" % transcript.response_body[:80])
        return problems
    if "json" not in act_headers.get("content-type", ""):
        problems.append("header content-type: expected %s, got %s" % (
            exp_headers.get("content-type"), act_headers.get("content-type", "absent")))

    if transcript.complete:
        expected = transcript.response_json()
    else:
        expected = partial_json(transcript.response_body)
    try:
        actual = _load(body)
    except ValueError:
        problems.append("body: not JSON: %s" % body[:200])
        return problems

    if transcript.status >= 400 and isinstance(expected, dict) and "status" in expected:
        if not isinstance(actual, dict) or actual.get("status") != expected["status"]:
            problems.append("error status: expected %s, got %s" % (
                _short(expected), _short(actual)))
            return problems
    problems += shape_problems(expected, actual)
    return problems
