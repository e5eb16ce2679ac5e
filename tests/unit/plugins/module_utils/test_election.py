"""Pure logic of elections, base moves and admin properties: health rule,
base naming, property plans, move plans, base selection, and the bulk calls
through the client against a tiny local server that closes its connections."""
import json
import socket
import threading

import pytest

from ansible_collections.openio.sds.plugins.module_utils import election as el
from ansible_collections.openio.sds.plugins.module_utils import meta1_elections as m1
from ansible_collections.openio.sds.plugins.module_utils import sqlbase
from ansible_collections.openio.sds.plugins.module_utils.client import OioClient

A, B, C = "127.0.0.1:6009", "127.0.0.1:6010", "127.0.0.1:6011"


def peers(**codes):
    """peers(a=(200, "OK"), ...) keyed by A/B/C."""
    names = {"a": A, "b": B, "c": C}
    return dict((names[k], {"status": v[0], "message": v[1], "body": None})
                for k, v in codes.items())


# -- health rule -------------------------------------------------------------

def test_transcript_status_is_healthy():
    # admin_election_status.txt
    body = json.loads('{"127.0.0.1:6009":{"status":{"status":200,"message":"OK"},"body":""},'
                      '"127.0.0.1:6010":{"status":{"status":303,"message":"127.0.0.1:6009"},"body":""},'
                      '"127.0.0.1:6011":{"status":{"status":303,"message":"127.0.0.1:6009"},"body":""}}')
    summary = el.summarize_status(el.peer_results(body))
    assert summary["healthy"] and summary["state"] == "healthy"
    assert summary["master"] == A
    assert summary["slaves"] == [B, C]
    assert summary["peers"][B] == {"role": "slave", "status": 303, "message": A, "master": A}


def test_unreachable_peer_is_named():
    s = el.summarize_status(peers(a=(200, "OK"), b=(303, A),
                                  c=(2, "[errno=111] Connection refused")))
    assert s["state"] == "unreachable" and not s["healthy"]
    assert s["master"] == A
    assert s["problems"] == [C + " unreachable (OpenIO status 2: [errno=111] Connection refused)"]


def test_failed_election():
    s = el.summarize_status(dict((x, {"status": 500, "message": "Election failed", "body": None})
                                 for x in (A, B, C)))
    assert s["state"] == "failed" and s["master"] is None
    assert len(s["problems"]) == 3


def test_slave_naming_another_master_is_split():
    s = el.summarize_status(peers(a=(200, "OK"), b=(303, A), c=(303, B)))
    assert s["state"] == "split"
    assert any("follows %s, not the master %s" % (B, A) in p for p in s["problems"])


def test_two_masters_is_split():
    s = el.summarize_status(peers(a=(200, "OK"), b=(200, "OK"), c=(303, A)))
    assert s["state"] == "split" and s["master"] is None


def test_no_master():
    s = el.summarize_status(peers(a=(303, "10.9.9.9:1"), b=(303, "10.9.9.9:1")))
    assert s["state"] == "no_master"


def test_single_peer_base_is_healthy():
    assert el.summarize_status(peers(a=(200, "OK")))["healthy"]


def test_peer_results_rejects_other_shapes():
    with pytest.raises(el.OioError):
        el.peer_results([1, 2])
    with pytest.raises(el.OioError):
        el.peer_results({A: {"status": "x"}})


def test_debug_membership():
    assert el.in_election({"local": {"state": "SLAVE"}})
    assert not el.in_election(None)
    assert not el.in_election({})
    assert not el.in_election({"local": {"state": "NONE"}})
    assert el.in_election({"error": "x unreachable"})


def test_aggregate_counts_and_peer_problems():
    scan = [("0000", el.summarize_status(peers(a=(200, "OK"), b=(303, A), c=(303, A)))),
            ("0001", el.summarize_status(peers(a=(200, "OK"), b=(303, A), c=(2, "refused")))),
            ("0002", m1.error_summary(el.OioError("boom")))]
    agg = m1.aggregate(scan, max_unhealthy=1)
    assert agg["total"] == 3
    assert agg["counts"]["healthy"] == 1 and agg["counts"]["unreachable"] == 1
    assert agg["counts"]["error"] == 1
    assert agg["unhealthy_count"] == 2 and agg["unhealthy_truncated"]
    assert agg["unhealthy"][0]["base"] == "0001"
    assert agg["peer_problems"] == {C: 1}


# -- naming a base -------------------------------------------------------------

class FakeClient(object):
    namespace = "OPENIO"

    def __init__(self, digits=None):
        self.digits = digits
        self.calls = []

    def proxy(self, method, route, params=None, **kwargs):
        self.calls.append((method, route))
        options = {} if self.digits is None else {"meta1_digits": str(self.digits)}

        class Resp(object):
            body = {"options": options}
        return Resp()


def test_meta1_base_from_reference_and_name():
    cli = FakeClient(digits=2)
    b = el.resolve_base(cli, "meta1", account="lab_acct", reference="lab_admin_ref")
    assert b.name == "7D00"
    assert b.params == {"type": "meta1", "cid": "7D00".ljust(64, "0")}
    assert el.resolve_base(cli, "meta1", cid="7d2a").name == "7D00"


def test_meta1_digits_default_four():
    b = el.resolve_base(FakeClient(), "meta1", account="lab_acct", reference="lab_admin_ref")
    assert b.name == "7D2A"


def test_meta2_base_names():
    cid = "7D2A715B9CBF1E21223ED68C4325B15BE1D8F8B2C27E4644669F64558357E0AA"
    cli = FakeClient()
    assert el.resolve_base(cli, "meta2", cid=cid + ".1").name == cid + ".1"
    assert el.resolve_base(cli, "sqlx", cid=cid.lower()).params["cid"] == cid
    with pytest.raises(ValueError, match="only reach sequence 1"):
        el.resolve_base(cli, "meta2", cid=cid + ".2")
    with pytest.raises(ValueError):
        el.resolve_base(cli, "meta2", cid="XYZ")
    assert cli.calls == []  # nothing sent for meta2 names


@pytest.mark.parametrize("kwargs,message", [
    ({"stype": "rawx", "cid": "AB"}, "type must be"),
    ({"stype": "meta2", "account": "a"}, "go together"),
    ({"stype": "meta2"}, "needs account and reference"),
    ({"stype": "meta1", "cid": "ABCDE"}, "1 to 4 hex"),
    ({"stype": "meta2", "account": "a" * 64, "reference": "r"}, "longer than 63"),
])
def test_bad_names(kwargs, message):
    with pytest.raises(ValueError, match=message):
        el.resolve_base(FakeClient(), **kwargs)


# -- admin properties -------------------------------------------------------

CURRENT = {"properties": {"owner": "a", "tier": "gold"},
           "system": {"sys.peers": "x,y", "sys.note": "n", "stats.page_count": "12"}}


def test_plan_properties_compares_only_what_is_asked():
    assert sqlbase.plan_properties(CURRENT, {"owner": "a"}) == {"properties": {}, "system": {}}
    plan = sqlbase.plan_properties(CURRENT, {"owner": "b", "new": "v", "gone": None},
                                   {"sys.note": None, "sys.other": "o"})
    assert plan == {"properties": {"owner": "b", "new": "v"},
                    "system": {"sys.note": "", "sys.other": "o"}}


def test_plan_properties_purge_and_apply():
    plan = sqlbase.plan_properties(CURRENT, {"owner": "a"}, purge=True)
    assert plan == {"properties": {"tier": ""}, "system": {}}
    after = sqlbase.apply_properties(CURRENT, plan)
    assert after["properties"] == {"owner": "a"}
    assert after["system"] == CURRENT["system"]


@pytest.mark.parametrize("user,system,message", [
    ({"k": 1}, None, "must be a string"),
    (None, {"schema_version": "2"}, "does not start with 'sys.'"),
    (None, {"sys.peers": "a"}, "peers option"),
    ({"": "v"}, None, "empty"),
])
def test_check_properties(user, system, message):
    assert message in sqlbase.check_properties(user, system)


# -- move plans ------------------------------------------------------------

def test_move_plan_fresh():
    owner = {"peers": [A, B], "consistent": True}
    plan = sqlbase.move_plan(owner, [A, B], {A: True, B: True}, [B, C])
    assert plan["set_peers"] and plan["force_owner"] and plan["leave"]
    assert plan["copy_to"] == [C]
    assert plan["sources"] == [A, B]
    assert plan["remove_from"] == [A]


def test_move_plan_done():
    owner = {"peers": [B, C], "consistent": True}
    plan = sqlbase.move_plan(owner, [C, B], {B: True, C: True}, [B, C])
    assert sqlbase.plan_is_empty(plan)


def test_move_plan_after_owner_update_copies_what_is_missing():
    # Interrupted after the owner update: the new peer still lacks the base.
    owner = {"peers": [B, C], "consistent": True}
    plan = sqlbase.move_plan(owner, [B, C], {B: True, C: False}, [B, C])
    assert plan["copy_to"] == [C] and plan["sources"] == [B]
    assert not plan["force_owner"] and plan["leave"]


def test_check_peers():
    known = {A, B, C}
    assert sqlbase.check_peers([A, B], known) is None
    assert "at least one" in sqlbase.check_peers([], known)
    assert "twice" in sqlbase.check_peers([A, A], known)
    assert "IP:PORT" in sqlbase.check_peers(["meta1-1"], known)
    assert "not registered" in sqlbase.check_peers([A, "127.0.0.1:1"], known)


# -- bulk calls through the client --------------------------------------------

class ClosingServer(object):
    """Answers each request with ``Connection: Close``, like oio-proxy to a
    request that does not ask for keep-alive; the first ``fail`` answers are
    503. Answers a per-peer map naming the path."""

    def __init__(self, fail=0):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]
        self.fail = fail
        self.served = 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.loop)
        self.thread.daemon = True
        self.thread.start()

    def loop(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            path = data.split(b" ", 2)[1].decode() if data else ""
            with self.lock:
                self.served += 1
                served = self.served
            if served <= self.fail:
                body = b'{"status":503,"message":"busy"}'
                head = b"HTTP/1.1 503 Service unavailable"
            else:
                body = json.dumps({A: {"status": {"status": 200, "message": path},
                                       "body": ""}}).encode()
                head = b"HTTP/1.1 200 OK"
            conn.sendall(head + b"\r\nConnection: Close\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)
            conn.close()

    def close(self):
        self.sock.close()


def test_bulk_calls_with_a_server_that_closes():
    server = ClosingServer(fail=2)
    try:
        warnings = []
        cli = OioClient("http://127.0.0.1:%d" % server.port, "OPENIO", retries=2,
                        sleep=lambda s: None)
        calls = m1.BulkCalls(cli, concurrency=2, warn=warnings.append)
        bases = ["%04X" % i for i in range(20)]
        out = calls.run("status", bases)
        assert [b for b, dummy in out] == bases
        assert [a[A]["message"] for b, a in out] == [
            "/v3.0/OPENIO/admin/status?type=meta1&cid=%s" % el.base_cid(b) for b in bases]
        assert len(warnings) == 2 and all("retrying" in w for w in warnings)
        stats = calls.stats()
        assert stats["requests"] == 22 and stats["concurrency"] == 2
    finally:
        server.close()


def test_bulk_calls_fail_when_the_server_is_gone():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    cli = OioClient("http://127.0.0.1:%d" % port, "OPENIO", retries=1, sleep=lambda s: None)
    warnings = []
    with pytest.raises(m1.ScanAborted) as info:
        m1.scan_meta1_elections(cli, 4, concurrency=2, warn=warnings.append)
    text = str(info.value)
    assert "more than 655 of 65536" in text and "cannot reach the service" in text
    # It stopped early: far fewer requests than bases.
    assert cli.request_count < 2000
    assert len(warnings) <= m1.BulkCalls.MAX_WARNINGS + 1


def test_a_few_unreadable_bases_are_errors_not_a_failure():
    server = ClosingServer(fail=3)
    try:
        cli = OioClient("http://127.0.0.1:%d" % server.port, "OPENIO", retries=0,
                        sleep=lambda s: None)
        scan = m1.scan_meta1_elections(cli, 1, concurrency=1)
        states = [s["state"] for dummy, s in scan]
        assert len(scan) == 16 and states.count("error") == 3
    finally:
        server.close()


def test_select_bases():
    every, scope = m1.select_bases(2)
    assert scope == "all" and len(every) == 256
    import random
    some, scope = m1.select_bases(2, 10, ["ab", "AB00", "0123456789"], rng=random.Random(1))
    assert scope == "sample" and "AB00" in some and "0100" in some and 10 <= len(some) <= 12
    assert some == sorted(some, key=every.index)
    assert m1.select_bases(2, 1000)[1] == "all"
    with pytest.raises(ValueError):
        m1.normalize_meta1_base("XYZ", 4)
    assert m1.normalize_meta1_base("7d2a15", 4) == "7D2A"


def test_scan_ranges():
    # The numbers are the modules' ranges (META1_SCAN_RANGES), checked before.
    assert m1.META1_SCAN_RANGES["concurrency"] == (1, 64)
