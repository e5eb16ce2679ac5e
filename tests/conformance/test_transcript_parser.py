"""The transcript parser reads every captured file."""
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
from oiosim.transcripts import load_folder, parse_bytes

FOLDER = os.path.join(HERE, "transcripts")
ALL = load_folder(FOLDER)


def by_name(name):
    return next(t for t in ALL if t.name == name)


def test_every_file_parses():
    assert len(ALL) == len([f for f in os.listdir(FOLDER) if f.endswith(".txt")])
    for t in ALL:
        assert t.action == t.name
        assert t.captured is not None
        assert t.method in ("GET", "POST", "PUT", "DELETE", "HEAD")
        assert t.path.startswith("/")
        assert 100 <= t.status < 600


@pytest.mark.parametrize("t", [t for t in ALL if t.complete and t.response_body],
                         ids=lambda t: t.name)
def test_complete_bodies_are_json(t):
    t.response_json()


def test_fields_of_a_fetch():
    t = by_name("rdir_chunk_fetch_limit1")
    assert (t.method, t.path, t.raw_query) == ("POST", "/v1/rdir/fetch",
                                               "vol=127.0.0.1:6014")
    assert t.host == "127.0.0.1:6020"
    assert t.request_body == b'{"limit":1}'
    assert (t.status, t.reason) == (200, "OK")
    assert t.response_headers["x-oio-list-truncated"] == "true"
    assert len(t.response_body) == t.declared_length == 189
    assert t.captured_raw == "2026-11-22T04:41:17Z"


def test_none_and_empty_bodies():
    t = by_name("rdir_create_volume")
    assert t.request_body is None
    assert t.response_body == b""
    assert t.reason == "Created"


def test_truncated_body_uses_the_gz_copy():
    t = by_name("meta0_list")
    assert t.truncated and t.complete
    assert len(t.response_json()) == 65536


def test_truncated_body_without_copy_is_flagged():
    t = by_name("meta0_list_after_change")
    assert t.truncated and not t.complete
    assert t.response_body.startswith(b'{"0000":')


def test_minimal_synthetic_transcript():
    data = (b"# action: x\n# captured: 2026-01-01T00:00:00Z against lab\n"
            b"# command: curl 'http://h/p'\n\n"
            b"=== REQUEST (headers as sent, from curl -v) ===\n"
            b"> PUT /p?a=1 HTTP/1.1\n> Host: h\n> \n\n"
            b"=== REQUEST BODY ===\nline1\n\nline3\n\n"
            b"=== RESPONSE (status line and headers) ===\n"
            b"< HTTP/1.1 202 Already Accepted\n< \n\n"
            b"=== RESPONSE BODY (2 bytes) ===\n{}\n")
    t = parse_bytes(data)
    assert t.request_body == b"line1\n\nline3"
    assert (t.status, t.reason, t.response_body) == (202, "Already Accepted", b"{}")
    assert t.url == "http://h/p"
