"""meta0 apply without a server: payload validation, user mappings, the
request sequence per moved base, rollback and verification of the force."""
import threading

import pytest

from ansible_collections.openio.sds.plugins.module_utils import meta0
from ansible_collections.openio.sds.plugins.module_utils.client import (
    OioError, OioResponse, map_bounded)
from ansible_collections.openio.sds.plugins.module_utils.meta0 import (
    Applier, ApplyError, PayloadError, normalize_user_mapping, validate_payload)

A, B, C, D, E = ("10.0.0.%d:6110" % i for i in range(1, 6))


# ---------------------------------------------------------------------------
# Validation

def full_payload(addrs=(A, B, C)):
    return dict(("%04X" % p, list(addrs)) for p in range(65536))


def test_valid_partial_and_full_payloads():
    assert validate_payload({"0001": [A, B, C]})
    assert validate_payload(full_payload(), full=True)


@pytest.mark.parametrize("payload, words", [
    ({"0001": A}, "non-empty list"),                      # crashes a real meta0
    ({"0001": []}, "non-empty list"),
    ({"0001": [A, 6110]}, "not an IP:PORT"),
    ({"0001": [A, "meta1-1"]}, "not an IP:PORT"),
    ({"0001": [A, A]}, "twice"),
    ({"00": [A]}, "4-char"),
    ({"ZZZZ": [A]}, "4-char"),
    ({"abcd": [A]}, "4-char"),
    ({}, "non-empty object"),
    ([["0001", [A]]], "non-empty object"),
])
def test_refused_payloads(payload, words):
    with pytest.raises(PayloadError) as exc:
        validate_payload(payload)
    assert words in str(exc.value)


def test_first_force_needs_every_prefix():
    payload = full_payload()
    del payload["FFFF"]
    with pytest.raises(PayloadError, match="all 65536 prefixes"):
        validate_payload(payload, full=True)


def test_user_mapping_by_base_keys_expands_to_prefixes():
    mapping = dict(("%02X" % b, [A, B, C]) for b in range(256))
    prefixes = normalize_user_mapping(mapping, 2)
    assert len(prefixes) == 65536
    assert prefixes["AB12"] == [A, B, C]


def test_user_mapping_as_a_dump():
    prefixes = normalize_user_mapping(full_payload(), 2)
    assert len(prefixes) == 65536


@pytest.mark.parametrize("mapping, words", [
    ({"00": [A, B, C]}, "misses 255 of the 256 bases"),
    ({"00": [A, B, C], "0001": [A, B, C]}, "mapping keys must be"),
    (dict(("%02X" % b, "%s,%s" % (A, B)) for b in range(256)), "non-empty list"),
    (dict(("%02X" % b, [A, B, C]) for b in range(255)), "first: 'FF'"),
    ({}, "non-empty dict"),
])
def test_bad_user_mappings(mapping, words):
    with pytest.raises(PayloadError) as exc:
        normalize_user_mapping(mapping, 2)
    assert words in str(exc.value)


def test_moves_and_diff_summary():
    current = {"00": [A, B, C], "01": [A, B, C], "02": [C, B, A]}
    target = {"00": [A, B, D], "01": [E, D, C], "02": [A, B, C]}
    assert meta0.moved_bases(current, target) == ["00", "01"]
    moves = meta0.replica_moves(current, target)
    assert moves == [("00", C, D), ("01", A, E), ("01", B, D)]
    before, after = meta0.diff_summary(meta0.bases_per_service(current),
                                       meta0.bases_per_service(target), moves)
    assert after["moved_bases"] == 2 and after["moved_replicas"] == 3
    assert before["bases_per_meta1"][C] == 3 and after["bases_per_meta1"][E] == 1


# ---------------------------------------------------------------------------
# Apply against a fake proxy


class FakeProxy(object):
    """Records requests; ``fail(route, pred)`` makes matching requests raise."""

    def __init__(self, served=None):
        self.calls = []
        self.served = dict(served or {})
        self.rules = []
        self.lock = threading.Lock()
        self.force_applies = True

    def proxy_route(self, route):
        return "http://proxy/v3.0/NS/" + route

    def map_bounded(self, func, items, workers=8):
        return map_bounded(func, items, workers)

    def fail(self, route, pred=lambda params, body: True, status=503):
        self.rules.append((route, pred, status))

    def _maybe_fail(self, method, route, params, body):
        for r, pred, status in self.rules:
            if r == route and pred(params, body):
                raise OioError("injected", method=method, url=self.proxy_route(route),
                               http_status=status, status=status, transient=status == 503)

    def proxy(self, method, route, params=None, json_body=None, **kwargs):
        with self.lock:
            self.calls.append((method, route, dict(params or {}), json_body))
        self._maybe_fail(method, route, params, json_body)
        if route == "admin/meta0_list":
            return OioResponse(200, {}, dict(self.served), "", method)
        if route == "admin/meta0_force":
            if self.force_applies:
                self.served.update(json_body)
            return OioResponse(204, {}, None, "", method)
        if route in ("admin/leave", "admin/remove"):
            ids = params["service_id"].split(",")
            return OioResponse(200, {}, dict((a, {"status": {"status": 200, "message": "OK"},
                                                  "body": ""}) for a in ids), "", method)
        if route == "admin/status":
            peers = self.served["%s00" % params["cid"][:2]]
            body = {}
            for i, a in enumerate(sorted(peers)):
                body[a] = {"status": {"status": 200 if i == 0 else 303,
                                      "message": "OK" if i == 0 else sorted(peers)[0]},
                           "body": ""}
            return OioResponse(200, {}, body, "", method)
        return OioResponse(200, {}, {}, "", method)

    def proxy_global(self, method, route, params=None, **kwargs):
        with self.lock:
            self.calls.append((method, route, dict(params or {}), None))
        return OioResponse(204, {}, None, "", method)

    def routes(self):
        return [c[1] for c in self.calls]


def served_from(bases):
    return meta0.planner.meta0_payload(bases, 2)


def make(current, concurrency=1):
    proxy = FakeProxy(served_from(current))
    warnings = []
    applier = Applier(proxy, 2, concurrency=concurrency, warn=warnings.append,
                      sleep=lambda s: None)
    return proxy, applier, warnings


def full_bases(row=(A, B, C)):
    return dict(("%02X" % b, list(row)) for b in range(256))


def test_one_moved_replica_costs_five_requests_plus_one_force():
    current = full_bases()
    target = dict(current)
    target["AB"] = [A, B, D]
    proxy, applier, warnings = make(current)
    report = applier.apply(current, target)
    per_base = [c for c in proxy.calls if c[2].get("cid", "").startswith("AB")]
    assert [c[1] for c in per_base] == ["admin/set_properties", "admin/copy", "admin/leave",
                                        "admin/remove", "admin/status"]
    assert per_base[0][3] == {"system": {"sys.peers": ",".join(sorted([A, B, D]))}}
    # The copy comes from a peer that stays, the old copy is removed on C only.
    assert per_base[1][3] == {"to": D, "from": A}
    assert per_base[3][2]["service_id"] == C
    assert per_base[2][2]["service_id"] == ",".join(sorted([A, B, C, D]))
    assert proxy.routes().count("admin/meta0_force") == 1
    force = [c for c in proxy.calls if c[1] == "admin/meta0_force"][0]
    assert sorted(force[3]) == ["AB%02X" % i for i in range(256)]
    # Flush after the force, before the first election step.
    routes = proxy.routes()
    assert routes.index("admin/meta0_force") < routes.index("cache/flush/high") \
        < routes.index("admin/leave")
    assert report["moved_bases"] == 1 and report["forced_prefixes"] == 256
    assert report["failed_bases_count"] == 0 and not warnings


def test_failed_copy_restores_sys_peers_and_stays_out_of_the_force():
    current = full_bases()
    target = dict(current)
    target["AB"] = [A, B, D]
    target["CD"] = [A, B, E]
    proxy, applier, warnings = make(current)
    proxy.fail("admin/copy", lambda params, body: params["cid"].startswith("CD"))
    report = applier.apply(current, target)
    assert report["failed_bases_count"] == 1
    assert report["failed_bases"][0]["base"] == "CD"
    cd = [c for c in proxy.calls if c[2].get("cid", "").startswith("CD")]
    # set_peers, one copy attempt per old peer, then sys.peers back to the old peers.
    assert [c[1] for c in cd] == ["admin/set_properties"] + ["admin/copy"] * 3 + \
        ["admin/set_properties"]
    assert cd[-1][3]["system"]["sys.peers"] == ",".join(sorted([A, B, C]))
    force = [c for c in proxy.calls if c[1] == "admin/meta0_force"][0]
    assert all(p.startswith("AB") for p in force[3])
    assert proxy.served["CD00"] == [A, B, C]
    assert applier.failed == ["CD"]


def test_failing_force_raises_and_rolls_back():
    current = full_bases()
    target = dict(current)
    target["AB"] = [A, B, D]
    proxy, applier, warnings = make(current)
    proxy.fail("admin/meta0_force")
    with pytest.raises(ApplyError) as exc:
        applier.apply(current, target)
    assert "meta0 was not updated" in str(exc.value)
    assert exc.value.http_status == 503
    ab = [c for c in proxy.calls if c[2].get("cid", "").startswith("AB")]
    assert ab[-1][1] == "admin/set_properties"
    assert ab[-1][3]["system"]["sys.peers"] == ",".join(sorted([A, B, C]))
    assert "admin/leave" not in proxy.routes()


def test_force_answered_but_not_served_is_not_success():
    current = full_bases()
    target = dict(current)
    target["AB"] = [A, B, D]
    proxy, applier, warnings = make(current)
    proxy.force_applies = False
    with pytest.raises(ApplyError, match="serves another mapping for 256 of 256"):
        applier.apply(current, target)
    assert proxy.routes().count("admin/meta0_list") == meta0.VERIFY_ATTEMPTS


def test_force_error_with_the_mapping_served_is_success_with_a_warning():
    current = full_bases()
    target = dict(current)
    target["AB"] = [A, B, D]
    proxy, applier, warnings = make(current)
    original = proxy.proxy

    def lost_answer(method, route, params=None, json_body=None, **kwargs):
        resp = original(method, route, params, json_body, **kwargs)
        if route == "admin/meta0_force":
            raise OioError("read timeout", method=method, url="u", transient=True)
        return resp
    proxy.proxy = lost_answer
    report = applier.apply(current, target)
    assert report["meta0_updated"]
    assert len(warnings) == 1 and "serves the new mapping" in warnings[0]


def test_install_validates_before_sending():
    proxy, applier, dummy = make(full_bases())
    payload = full_payload()
    payload["0001"] = A
    with pytest.raises(PayloadError):
        applier.install(payload)
    assert proxy.calls == []


def test_nothing_to_do_sends_nothing():
    current = full_bases()
    proxy, applier, dummy = make(current)
    reordered = dict(current)
    reordered["00"] = [C, B, A]
    report = applier.apply(current, reordered)
    assert report["bases"] == 0 and proxy.calls == []


def test_concurrent_apply_matches_sequential():
    current = full_bases()
    target = dict((k, [A, B, D] if int(k, 16) % 2 else v) for k, v in current.items())
    seq_proxy, seq, dummy = make(current, concurrency=1)
    par_proxy, par, dummy = make(current, concurrency=8)
    seq.apply(current, target)
    par.apply(current, target)
    assert sorted(map(repr, seq_proxy.calls)) == sorted(map(repr, par_proxy.calls))
    assert seq.writes == par.writes == 128 * 4 + 2


def test_rerun_after_a_failed_force_replans_the_same_moves():
    """Copies done, force refused: meta0 still serves the old mapping, so the
    next run plans (and copies) exactly the same moves, then forces them."""
    planner = meta0.planner
    services = [{"addr": "10.0.%d.%d:6110" % (r, h), "score": 80,
                 "location": "dc.r%d.h%d.v" % (r, h)} for r in range(3) for h in range(3)]
    current = planner.bootstrap(services[:6], replicas=3, digits=2).mapping
    plan = planner.rebalance(current, services, replicas=3, digits=2)
    assert plan.moves
    proxy, applier, dummy = make(current)
    proxy.fail("admin/meta0_force")
    with pytest.raises(ApplyError):
        applier.apply(current, plan.mapping)
    served, dummy = planner.bases_from_meta0(proxy.served, 2)
    assert served == current
    again = planner.rebalance(served, services, replicas=3, digits=2)
    assert again.moves == plan.moves
    proxy.rules = []
    report = applier.apply(served, again.mapping)
    assert report["meta0_updated"] and report["failed_bases_count"] == 0
    assert planner.bases_from_meta0(proxy.served, 2)[0] == plan.mapping
