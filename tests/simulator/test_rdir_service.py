"""Handler-level tests of the simulated rdir (no sockets)."""
import json
import time

import pytest

from oiosim.core import Request
from oiosim.rdir import RdirService  # noqa: E402

VOL = "127.0.0.1:6014"
M2 = "127.0.0.1:6013"
CID = "C096D3B630A704C1B0B31513DCE8EB026C0FAA263C2BDECB573DD2C9EBF5AC0E"
CONTENT = "0123456789ABCDEF0123456789ABCDEF"


def call(rdir, method, path, query="", body=None):
    if body is None:
        raw = b""
    elif isinstance(body, bytes):
        raw = body
    else:
        raw = json.dumps(body).encode()
    resp = rdir.handle(Request(method, path, query, {}, raw))
    payload = resp.payload()
    data = json.loads(payload) if payload else None
    return resp, data


@pytest.fixture
def rdir():
    return RdirService("rdir-1", "127.0.0.1:6020")


@pytest.fixture
def loaded(rdir):
    rdir.ensure_volume(VOL)
    rdir.push_chunk(VOL, CID, CONTENT, "AAAA", mtime=1700000000)
    rdir.push_chunk(VOL, CID, CONTENT, "BBBB", mtime=1700000100)
    return rdir


def chunk(chunk_id, mtime=None):
    out = {"container_id": CID, "content_id": CONTENT, "chunk_id": chunk_id}
    if mtime is not None:
        out["mtime"] = mtime
    return out


# -- routing -----------------------------------------------------------------

def test_unknown_route_is_404_with_internal_400(rdir):
    resp, data = call(rdir, "GET", "/v1/rdir/nope")
    assert resp.status == 404
    assert data == {"status": 400, "message": "Route not managed"}


def test_trailing_slash_is_not_a_route(rdir):
    assert call(rdir, "GET", "/status/")[0].status == 404


def test_bad_method_is_405(loaded):
    resp, data = call(loaded, "POST", "/v1/rdir/delete", "vol=" + VOL, chunk("AAAA"))
    assert resp.status == 405
    assert resp.reason == "Method not allowed"
    assert data == {"status": 400, "message": "Bad method"}


def test_invalid_json_checked_before_method(rdir):
    resp, data = call(rdir, "GET", "/v1/rdir/push", "vol=" + VOL, b'{"x":')
    assert resp.status == 400
    assert data == {"status": 400, "message": "Invalid JSON"}


def test_mutating(rdir):
    assert rdir.mutating(Request("POST", "/v1/rdir/push"))
    assert rdir.mutating(Request("DELETE", "/v1/rdir/delete"))
    assert rdir.mutating(Request("POST", "/v1/rdir/admin/incident"))
    assert not rdir.mutating(Request("GET", "/v1/rdir/admin/incident"))
    assert not rdir.mutating(Request("POST", "/v1/rdir/fetch"))
    assert not rdir.mutating(Request("POST", "/v1/rdir/meta2/fetch"))
    assert not rdir.mutating(Request("GET", "/nope"))


# -- service -----------------------------------------------------------------

def test_status_counts_rawx_dbs_only(rdir):
    assert call(rdir, "GET", "/status")[1] == {"opened_db_count": 0,
                                               "service_id": "rdir-1"}
    rdir.ensure_volume(VOL)
    rdir.ensure_volume(M2, kind="meta2")
    assert call(rdir, "GET", "/status")[1]["opened_db_count"] == 1


def test_status_without_service_id():
    rdir = RdirService(None, "127.0.0.1:6020")
    assert call(rdir, "GET", "/status")[1] == {"opened_db_count": 0}


def test_config(rdir):
    resp, data = call(rdir, "GET", "/config")
    assert resp.status == 200 and isinstance(data, dict)


# -- create / admin ----------------------------------------------------------

def test_create_is_idempotent_201(rdir):
    for _ in range(2):
        resp, data = call(rdir, "POST", "/v1/rdir/create", "vol=" + VOL)
        assert resp.status == 201 and data is None


def test_create_without_vol(rdir):
    resp, data = call(rdir, "POST", "/v1/rdir/create")
    assert resp.status == 400
    assert data == {"status": 400, "message": "no volume id"}


def test_v1_status_alias(loaded):
    assert call(loaded, "GET", "/v1/status", "vol=" + VOL)[1] == {}
    resp, data = call(loaded, "GET", "/v1/status")
    assert resp.status == 400 and data["message"] == "no volume id"


def test_admin_show_unknown_volume(rdir):
    resp, data = call(rdir, "GET", "/v1/rdir/admin/show", "vol=127.0.0.1:6999")
    assert resp.status == 404
    assert data == {"status": 404, "message": "DB not found"}
    assert "127.0.0.1:6999" not in rdir.rawx


def test_lock_reentrant_and_conflict(loaded):
    q = "vol=" + VOL
    assert call(loaded, "POST", "/v1/rdir/admin/lock", q, {"who": "a"})[0].status == 204
    assert call(loaded, "POST", "/v1/rdir/admin/lock", q, {"who": "a"})[0].status == 204
    resp, data = call(loaded, "POST", "/v1/rdir/admin/lock", q, {"who": "b"})
    assert resp.status == 403
    assert data == {"status": 403, "message": "Already locked by a"}
    assert call(loaded, "GET", "/v1/rdir/admin/show", q)[1] == {"lock": "a"}
    assert call(loaded, "POST", "/v1/rdir/admin/unlock", q)[0].status == 204
    assert call(loaded, "POST", "/v1/rdir/admin/unlock", q)[0].status == 204
    assert call(loaded, "POST", "/v1/rdir/admin/lock", q, {"who": "b"})[0].status == 204


def test_lock_field_checks(loaded):
    q = "vol=" + VOL
    resp, data = call(loaded, "POST", "/v1/rdir/admin/lock", q, {})
    assert (resp.status, data["message"]) == (400, "Missing field [who]")
    resp, data = call(loaded, "POST", "/v1/rdir/admin/lock", q, {"who": ""})
    assert (resp.status, data["message"]) == (400, "'who' not set")
    resp, data = call(loaded, "POST", "/v1/rdir/admin/lock", "vol=x", {"who": "a"})
    assert resp.status == 404


def test_incident(loaded):
    q = "vol=" + VOL
    assert call(loaded, "GET", "/v1/rdir/admin/incident", q)[1] == {"date": 0}
    resp, _ = call(loaded, "POST", "/v1/rdir/admin/incident", q, {"date": 1700000050})
    assert resp.status == 204
    assert call(loaded, "GET", "/v1/rdir/admin/incident", q)[1] == {"date": 1700000050}
    assert call(loaded, "GET", "/v1/rdir/admin/show", q)[1] == {
        "incident_date": "1700000050"}
    resp, data = call(loaded, "POST", "/v1/rdir/admin/incident", q, {"date": "1"})
    assert (resp.status, data["message"]) == (400, "Invalid type for field [date]")
    resp, data = call(loaded, "POST", "/v1/rdir/admin/incident", q, {"date": True})
    assert resp.status == 400


def test_clear_without_flags_only_drops_incident(loaded):
    q = "vol=" + VOL
    call(loaded, "POST", "/v1/rdir/admin/incident", q, {"date": 5})
    resp, data = call(loaded, "POST", "/v1/rdir/admin/clear",
                      q + "&all=False&before_incident=False&repair=False")
    assert resp.status == 200
    assert data == {"removed": 0, "repaired": 0, "errors": 0}
    assert call(loaded, "GET", "/v1/rdir/admin/show", q)[1] == {}
    assert len(loaded.chunk_records(VOL)) == 2


def test_clear_before_incident(loaded):
    q = "vol=" + VOL
    call(loaded, "POST", "/v1/rdir/admin/incident", q, {"date": 1700000050})
    data = call(loaded, "POST", "/v1/rdir/admin/clear", q + "&before_incident=1")[1]
    assert data["removed"] == 1
    assert [k for k, _ in loaded.chunk_records(VOL)] == ["%s|%s|BBBB" % (CID, CONTENT)]


def test_clear_all_and_lock(loaded):
    q = "vol=" + VOL
    call(loaded, "POST", "/v1/rdir/admin/lock", q, {"who": "x"})
    resp, data = call(loaded, "POST", "/v1/rdir/admin/clear", q + "&all=1")
    assert resp.status == 403 and data["message"] == "Already locked by x"
    call(loaded, "POST", "/v1/rdir/admin/unlock", q)
    data = call(loaded, "POST", "/v1/rdir/admin/clear", q + "&all=yes")[1]
    assert data == {"removed": 2, "repaired": 0, "errors": 0}
    assert call(loaded, "GET", "/v1/rdir/admin/show", q)[1] == {}


# -- chunk records -------------------------------------------------------------

def test_push_defaults_to_no_create(rdir):
    resp, data = call(rdir, "POST", "/v1/rdir/push", "vol=" + VOL, chunk("A", 1))
    assert resp.status == 404 and data == {"status": 404, "message": "DB not found"}
    resp, _ = call(rdir, "POST", "/v1/rdir/push", "vol=%s&create=1" % VOL, chunk("A", 1))
    assert resp.status == 204
    assert rdir.chunk_records(VOL) == [("%s|%s|A" % (CID, CONTENT), 1)]


def test_push_field_checks(loaded):
    q = "vol=" + VOL
    resp, data = call(loaded, "POST", "/v1/rdir/push", q, {"container_id": CID})
    assert (resp.status, data["message"]) == (400, "Missing field [content_id]")
    resp, data = call(loaded, "POST", "/v1/rdir/push", q, None)
    assert (resp.status, data["message"]) == (400, "null body")
    resp, data = call(loaded, "POST", "/v1/rdir/push", "", chunk("A"))
    assert (resp.status, data["message"]) == (400, "no volume id")


def test_push_keeps_max_of_mtime_and_rtime(loaded):
    body = chunk("C", 10)
    body["rtime"] = 20
    call(loaded, "POST", "/v1/rdir/push", "vol=" + VOL, body)
    assert dict(loaded.chunk_records(VOL))["%s|%s|C" % (CID, CONTENT)] == 20


def test_delete(loaded):
    q = "vol=" + VOL
    for _ in range(2):
        assert call(loaded, "DELETE", "/v1/rdir/delete", q, chunk("BBBB"))[0].status == 204
    assert len(loaded.chunk_records(VOL)) == 1
    assert call(loaded, "DELETE", "/v1/rdir/delete", "vol=x", chunk("B"))[0].status == 404


def test_fetch_and_paging_headers(loaded):
    q = "vol=" + VOL
    resp, data = call(loaded, "POST", "/v1/rdir/fetch", q, {"limit": 1000})
    assert resp.status == 200
    assert resp.headers["x-oio-list-truncated"] == "false"
    assert "x-oio-list-marker" not in resp.headers
    assert data == [["%s|%s|AAAA" % (CID, CONTENT), {"mtime": 1700000000}],
                    ["%s|%s|BBBB" % (CID, CONTENT), {"mtime": 1700000100}]]
    resp, data = call(loaded, "POST", "/v1/rdir/fetch", q, {"limit": 1})
    assert resp.headers["x-oio-list-truncated"] == "true"
    assert resp.headers["x-oio-list-marker"] == data[0][0]
    resp, data2 = call(loaded, "POST", "/v1/rdir/fetch", q,
                       {"limit": 1, "start_after": data[0][0]})
    assert [r[0] for r in data2] == ["%s|%s|BBBB" % (CID, CONTENT)]
    assert resp.headers["x-oio-list-truncated"] == "false"


def test_fetch_query_overrides_body(loaded):
    resp, data = call(loaded, "POST", "/v1/rdir/fetch", "vol=%s&max=1" % VOL,
                      {"limit": 100})
    assert len(data) == 1
    _, data = call(loaded, "POST", "/v1/rdir/fetch", "vol=%s&prefix=ZZ" % VOL,
                   {"container_id": CID})
    assert data == []


def test_fetch_no_body_and_errors(loaded):
    assert len(call(loaded, "POST", "/v1/rdir/fetch", "vol=" + VOL)[1]) == 2
    resp, data = call(loaded, "POST", "/v1/rdir/fetch", "", {"limit": 10})
    assert (resp.status, data["message"]) == (400, "no volume id")
    resp, data = call(loaded, "POST", "/v1/rdir/fetch", "vol=x", {"limit": 10})
    assert (resp.status, data["status"]) == (404, 404)
    resp, data = call(loaded, "POST", "/v1/rdir/fetch", "vol=" + VOL, [1])
    assert resp.status == 400


def test_fetch_rebuild(loaded):
    q = "vol=" + VOL
    assert call(loaded, "POST", "/v1/rdir/fetch", q, {"rebuild": True})[1] == []
    call(loaded, "POST", "/v1/rdir/admin/incident", q, {"date": 1700000050})
    data = call(loaded, "POST", "/v1/rdir/fetch", q, {"rebuild": True})[1]
    assert [r[1]["mtime"] for r in data] == [1700000000]


def test_volume_status(loaded):
    q = "vol=" + VOL
    resp, data = call(loaded, "GET", "/v1/rdir/status", q + "&max=1000")
    assert data == {"chunk": {"total": 2}, "container": {CID: {"total": 2}}}
    assert resp.headers["x-oio-list-truncated"] == "false"
    call(loaded, "POST", "/v1/rdir/admin/incident", q, {"date": 1700000050})
    resp, data = call(loaded, "POST", "/v1/rdir/status", q)
    assert data == {"chunk": {"total": 2, "to_rebuild": 1},
                    "container": {CID: {"total": 2, "to_rebuild": 1}},
                    "rebuild": {"incident_date": 1700000050}}
    resp, data = call(loaded, "GET", "/v1/rdir/status", q + "&max=1")
    assert data["chunk"]["total"] == 1
    assert resp.headers["x-oio-list-truncated"] == "true"


def test_large_listing_pages_fast(rdir):
    rdir.ensure_volume(VOL)
    n = 30000
    # Pushed in reverse order on purpose: the store must sort lazily.
    for i in reversed(range(n)):
        rdir.push_chunk(VOL, "%064X" % (i // 10), CONTENT, "%08d" % i, mtime=i)
    # CPU time of this process (the service runs in-process), not wall time:
    # a busy machine does not change it, a quadratic store would.
    start = time.process_time()
    seen, marker = 0, None
    while True:
        body = {"limit": 1000}
        if marker:
            body["start_after"] = marker
        resp, data = call(rdir, "POST", "/v1/rdir/fetch", "vol=" + VOL, body)
        seen += len(data)
        if resp.headers["x-oio-list-truncated"] != "true":
            break
        marker = resp.headers["x-oio-list-marker"]
    assert seen == n
    assert time.process_time() - start < 5


# -- meta2 records -------------------------------------------------------------

def m2(url, cid="AB" * 32, mtime=1):
    return {"container_url": url, "container_id": cid, "mtime": mtime}


@pytest.fixture
def meta2(rdir):
    q = "vol=%s&create=1" % M2
    for i, name in enumerate(("ct", "ct2", "ct3")):
        call(rdir, "POST", "/v1/rdir/meta2/push", q, m2("OPENIO/acct/" + name, mtime=i))
    return rdir


def test_meta2_create_and_push_defaults_to_create(rdir):
    assert call(rdir, "POST", "/v1/rdir/meta2/create", "vol=" + M2)[0].status == 201
    assert call(rdir, "POST", "/v1/rdir/meta2/create", "vol=" + M2)[0].status == 201
    resp, _ = call(rdir, "POST", "/v1/rdir/meta2/push", "vol=other", m2("OPENIO/a/b"))
    assert resp.status == 204
    assert rdir.meta2["other"].dirname == "meta2-other"
    assert rdir.meta2[M2].dirname == "meta2-127.0.0.1-6013"
    resp, data = call(rdir, "POST", "/v1/rdir/meta2/push", "vol=new&create=0", m2("x"))
    assert resp.status == 404
    # meta2 databases are not counted by 7.3.0.
    assert call(rdir, "GET", "/status")[1]["opened_db_count"] == 0


def test_meta2_push_checks(meta2):
    q = "vol=" + M2
    resp, data = call(meta2, "POST", "/v1/rdir/meta2/push", q, {"container_url": "x"})
    assert (resp.status, data["message"]) == (400, "Missing field [container_id]")
    body = m2("OPENIO/acct/ct4")
    body["headers"] = {"x": "y"}
    assert call(meta2, "POST", "/v1/rdir/meta2/push", q, body)[0].status == 204


def fetch_m2(rdir, body, vol=M2):
    resp = rdir.handle(Request("POST", "/v1/rdir/meta2/fetch", "vol=" + vol, {},
                               json.dumps(body).encode()))
    return resp, json.loads(resp.payload())


def test_meta2_fetch_shape_and_escaping(meta2):
    resp, data = fetch_m2(meta2, {"limit": 4096})
    assert resp.status == 200
    assert b'"OPENIO\\/acct\\/ct"' in resp.payload()
    assert b'], "truncated":false}' in resp.payload()
    assert [r["container_url"] for r in data["records"]] == [
        "OPENIO/acct/ct", "OPENIO/acct/ct2", "OPENIO/acct/ct3"]
    assert data["records"][0] == {"container_id": "AB" * 32,
                                  "container_url": "OPENIO/acct/ct",
                                  "extra_data": None, "mtime": 0}


def test_meta2_fetch_returns_limit_plus_one(meta2):
    data = fetch_m2(meta2, {"limit": 1})[1]
    assert len(data["records"]) == 2 and data["truncated"] is True
    data = fetch_m2(meta2, {"limit": 2})[1]
    assert len(data["records"]) == 3 and data["truncated"] is False


def test_meta2_fetch_prefix(meta2):
    data = fetch_m2(meta2, {"prefix": "OPENIO/acct/ct2", "limit": 10})[1]
    assert [r["container_url"] for r in data["records"]] == ["OPENIO/acct/ct2"]
    assert data["truncated"] is False


def test_meta2_fetch_marker_seek_then_step(meta2):
    data = fetch_m2(meta2, {"marker": "OPENIO/acct/ct"})[1]
    assert [r["container_url"] for r in data["records"]] == [
        "OPENIO/acct/ct2", "OPENIO/acct/ct3"]
    # A marker that is not a key skips the next record too.
    data = fetch_m2(meta2, {"marker": "OPENIO/acct/ct1"})[1]
    assert [r["container_url"] for r in data["records"]] == ["OPENIO/acct/ct3"]


def test_meta2_fetch_errors_are_400(meta2):
    resp, data = fetch_m2(meta2, {"limit": 10}, vol="127.0.0.1:6999")
    assert resp.status == 400
    assert data == {"status": 404, "message": "DB not found"}
    resp = meta2.handle(Request("POST", "/v1/rdir/meta2/fetch", "vol=" + M2))
    assert resp.status == 400
    assert json.loads(resp.payload())["message"] == "null body"


def test_meta2_delete(meta2):
    q = "vol=" + M2
    body = {"container_url": "OPENIO/acct/ct2", "container_id": "AB" * 32}
    for _ in range(2):
        assert call(meta2, "POST", "/v1/rdir/meta2/delete", q, body)[0].status == 204
    resp, data = call(meta2, "POST", "/v1/rdir/meta2/delete", q,
                      {"container_url": "OPENIO/acct/ct"})
    assert (resp.status, data["message"]) == (400, "Missing field [container_id]")
    assert [r["container_url"] for r in meta2.meta2_records(M2)] == [
        "OPENIO/acct/ct", "OPENIO/acct/ct3"]
    resp, _ = call(meta2, "DELETE", "/v1/rdir/meta2/delete", q, body)
    assert resp.status == 405


def test_state(loaded):
    state = loaded.state()
    assert state["rawx"][VOL]["chunks"] == 2
    json.dumps(state)


def test_volumes_view(loaded):
    loaded.ensure_volume(M2, kind="meta2")
    vols = loaded.volumes
    assert vols[VOL].kind == "rawx"
    assert vols["meta2-127.0.0.1-6013"].kind == "meta2"
    assert loaded.opened_db_count == 1


def test_clear_before_incident_on_a_large_volume(rdir):
    rdir.ensure_volume(VOL)
    n = 50000
    for i in range(n):
        rdir.push_chunk(VOL, "%064X" % i, CONTENT, "C", mtime=i)
    q = "vol=" + VOL
    call(rdir, "POST", "/v1/rdir/admin/incident", q, {"date": n // 2 - 1})
    start = time.process_time()
    data = call(rdir, "POST", "/v1/rdir/admin/clear", q + "&before_incident=true")[1]
    assert data["removed"] == n // 2
    assert time.process_time() - start < 5
    resp, page = call(rdir, "POST", "/v1/rdir/fetch", q, {"limit": 1})
    assert page[0][1]["mtime"] == n // 2
    # Later pushes still land in order.
    rdir.push_chunk(VOL, "0" * 64, CONTENT, "C", mtime=7)
    assert call(rdir, "POST", "/v1/rdir/fetch", q, {"limit": 1})[1][0][1]["mtime"] == 7
