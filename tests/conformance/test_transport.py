"""The transport of the simulated proxy against what 7.3.0 does.

- Every captured response says ``Connection: Close``: the proxy closes a
  connection whose request does not ask for keep-alive.
- With ``Connection: Keep-Alive`` the connection stays open for the next
  request.
- Pipelining is not served: three requests written at once on a keep-alive
  connection get one answer, and the connection then stays silent.
"""
import socket

import pytest

from oiosim.testing import Simulator
from replay import ordered_transcripts



@pytest.fixture(scope="module")
def sim():
    with Simulator(preset="small_bootstrapped") as running:
        yield running


def _connect(sim):
    host, port = sim.proxy_url.split("//", 1)[1].rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _request(sim, extra=""):
    return ("GET /v3.0/%s/conscience/info HTTP/1.1\r\nHost: proxy\r\n%s\r\n"
            % (sim.namespace, extra)).encode("ascii")


def _read_answer(sock):
    """One answer (headers as a dict, body bytes), or None when the
    connection was closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, dummy, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict((k.strip().lower(), v.strip()) for k, dummy2, v in
                   (line.partition(":") for line in lines[1:]))
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return lines[0], headers, rest[:length], rest[length:]


def test_every_capture_says_connection_close():
    transcripts = ordered_transcripts()
    values = set(t.response_headers.get("connection") for t in transcripts)
    assert values == {"Close"}, values


def test_no_keep_alive_asked_means_close(sim):
    sock = _connect(sim)
    try:
        sock.sendall(_request(sim))
        status, headers, body, extra = _read_answer(sock)
        assert status.startswith("HTTP/1.1 200")
        assert headers["connection"] == "Close"
        assert body and extra == b""
        assert sock.recv(1) == b""  # closed by the server
    finally:
        sock.close()


def test_keep_alive_asked_keeps_the_connection(sim):
    sock = _connect(sim)
    try:
        for dummy in range(3):
            sock.sendall(_request(sim, "Connection: Keep-Alive\r\n"))
            status, headers, body, extra = _read_answer(sock)
            assert status.startswith("HTTP/1.1 200")
            assert headers.get("connection", "").lower() != "close"
    finally:
        sock.close()


def test_pipelined_requests_are_not_answered(sim):
    sim.reset_stats()
    sock = _connect(sim)
    try:
        sock.sendall(_request(sim, "Connection: Keep-Alive\r\n") * 3)
        status, headers, body, extra = _read_answer(sock)
        assert status.startswith("HTTP/1.1 200")
        assert extra == b""
        sock.settimeout(1.0)
        try:
            more = sock.recv(65536)
        except socket.timeout:
            more = b""
        assert more == b"", "a pipelined request was answered: %r" % more[:80]
    finally:
        sock.close()
    stats = sim.stats()
    assert stats["requests"] == 1
    assert stats["pipelined_connections"] == 1
