"""The shared client against the simulator over real HTTP: transport rules,
error bodies, retries and URL-encoding."""
import socket
import threading
import time

import pytest
import requests

from ansible_collections.openio.sds.plugins.module_utils import client as oio
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts
from ansible_collections.openio.sds.plugins.module_utils.meta0.lease import WriterLease, writer_lease


def make_client(sim, **kwargs):
    warnings = []
    kwargs.setdefault("sleep", lambda s: None)
    cli = oio.OioClient(sim.proxy_url, sim.namespace, warn=warnings.append, **kwargs)
    return cli, warnings


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_proxy_down_is_retried_then_reported():
    warnings = []
    cli = oio.OioClient("127.0.0.1:%d" % free_port(), "OPENIO", retries=2,
                        warn=warnings.append, sleep=lambda s: None)
    with pytest.raises(oio.OioError) as info:
        cli.proxy("GET", "conscience/list", {"type": "meta1"})
    assert "cannot reach the service" in str(info.value)
    assert info.value.http_status is None
    assert len(warnings) == 2


@pytest.mark.parametrize("request_id", ["abc\r\nX-Injected: yes", "tab\there", "é", "x" * 64])
def test_a_request_id_that_cannot_be_a_header_is_refused_before_any_request(simulator, request_id):
    simulator.reset_stats()
    with pytest.raises(oio.OioError, match="^request_id must be .*printable ASCII"):
        oio.OioClient(simulator.proxy_url, simulator.namespace, request_id=request_id)
    assert simulator.stats()["requests"] == 0


def test_503_then_success(simulator):
    simulator.set_faults({"rules": [{"match": "conscience/list", "service": "proxy",
                                     "rate": 1.0, "action": "503", "times": 1}]})
    cli, warnings = make_client(simulator)
    services = cli.proxy("GET", "conscience/list", {"type": "meta1"}).body
    assert services
    assert len(warnings) == 1 and "HTTP 503" in warnings[0]
    assert cli.retry_count == 1


def ticking(step=1.0):
    """A clock that advances ``step`` seconds each time it is read."""
    now = [1000.0]

    def clock():
        now[0] += step
        return now[0]
    return clock


def meta0_list(sim):
    return requests.get("%s/v3.0/%s/admin/meta0_list" % (sim.proxy_url, sim.namespace),
                        timeout=10).json()


def test_a_peer_outage_is_tried_again_within_the_outage_window(sim_factory):
    """No meta1 answers while the base elects: tried again past the retries."""
    from oiosim.namespace import compute_cid
    sim = sim_factory("small_bootstrapped")
    cli, warnings = make_client(sim, retries=0, outage=30, clock=ticking(0.5),
                                sleep=time.sleep, backoff=0.05, max_backoff=0.2)
    peers = meta0_list(sim)[compute_cid("ACCT", "outage")[:4]]
    sim.set_faults({"rules": [{"match": "reference/create", "service": "proxy",
                               "action": "kill", "peer": peers[0], "for": 1, "reelect": 1,
                               "times": 1}]})
    cli.proxy("POST", "reference/create", {"acct": "ACCT", "ref": "outage"}, idempotent=True)
    assert any("while the cluster elects new masters" in w for w in warnings)


def test_an_overloaded_proxy_is_not_a_peer_outage(simulator):
    """A 503 of the proxy itself gets the retries only, then says nothing
    more than the error."""
    simulator.set_faults({"rules": [{"match": "conscience/list", "service": "proxy",
                                     "action": "503"}]})
    cli, warnings = make_client(simulator, retries=1, outage=30, clock=ticking())
    with pytest.raises(oio.OioError) as info:
        facts(cli).conscience_list("meta1")
    assert "run the task again" not in str(info.value) and len(warnings) == 1


def test_past_the_outage_window_the_error_says_to_run_again(sim_factory):
    sim = sim_factory("small_bootstrapped")
    cli, dummy = make_client(sim, retries=0, outage=5, clock=ticking())
    # Every meta1 down: no meta1 of any base answers.
    sim.set_faults({"down_peers": sorted(set(a for peers in meta0_list(sim).values()
                                             for a in peers))})
    with pytest.raises(oio.OioError, match="No meta1 answered.*still failing after .* run the "
                                           "task again"):
        cli.proxy("POST", "reference/create", {"acct": "ACCT", "ref": "never"}, idempotent=True)


def test_a_write_that_may_not_be_retried_is_not_retried_in_the_window(simulator):
    simulator.set_faults({"rules": [{"match": "reference/link", "service": "proxy",
                                     "action": "503"}]})
    cli, warnings = make_client(simulator, retries=0, outage=30, clock=ticking())
    with pytest.raises(oio.OioError):
        cli.proxy("POST", "reference/link", {"acct": "A", "ref": "r", "type": "meta2"})
    assert warnings == []


def test_404_with_openio_error_body(simulator):
    cli, warnings = make_client(simulator)
    with pytest.raises(oio.OioError) as info:
        cli.proxy("GET", "conscience/list", {"type": "nosuchtype"})
    err = info.value
    assert err.http_status == 404 and err.status == 453
    assert "GET %s/v3.0/%s/conscience/list" % (simulator.proxy_url, simulator.namespace) in str(err)
    assert "OpenIO status 453" in str(err)
    assert not warnings


def test_namespace_mismatch_is_400(simulator):
    cli = oio.OioClient(simulator.proxy_url, "OTHER")
    with pytest.raises(oio.OioError) as info:
        facts(cli).conscience_list("meta1")
    assert info.value.http_status == 400
    assert "namespace" in info.value.message


def test_non_idempotent_write_is_not_retried(simulator):
    simulator.set_faults({"rules": [{"match": "conscience/lock", "service": "proxy",
                                     "rate": 1.0, "action": "503", "times": 1}]})
    cli, warnings = make_client(simulator)
    with pytest.raises(oio.OioError) as info:
        cli.proxy("POST", "conscience/lock", json_body={"addr": "127.0.0.1:1", "type": "meta1"})
    assert info.value.http_status == 503 and info.value.transient
    assert not warnings


def test_request_headers_and_expected_statuses(sim_factory):
    cli, warnings = make_client(sim_factory(preset="small_bootstrapped"), timeout=2.5,
                                request_id="audit")
    rid = cli.new_request_id()
    assert rid.startswith("audit-") and len(rid) <= 63
    resp = cli.proxy("GET", "reference/show", {"acct": "nobody", "ref": "nothing"}, expect=(404,))
    assert resp.status == 404 and resp.body["status"] == 406


def test_names_are_url_encoded(sim_factory):
    sim = sim_factory(preset="small_bootstrapped")
    cli, warnings = make_client(sim)
    name = "a/b?c&d%e f+g/ü"
    cli.proxy("POST", "reference/create", {"acct": "acct&x=1", "ref": name})
    shown = cli.proxy("GET", "reference/show", {"acct": "acct&x=1", "ref": name}).body
    assert shown["name"] == name and shown["account"] == "acct&x=1"


# --- safety rails --------------------------------------------------------

@pytest.mark.parametrize("url, problem", [
    ("http://user:pw@127.0.0.1:6006", "must not contain a user or password"),
    ("http://user@127.0.0.1:6006", "must not contain a user or password"),
    ("ftp://127.0.0.1:6006", "must start with http:// or https://"),
    ("http://:6006", "has no host"),
    ("http://127.0.0.1:99999", "invalid port"),
    ("http://127.0.0.1:6006/?x=1", "query or a fragment"),
    ("", "proxy_url is empty"),
])
def test_bad_proxy_urls_are_refused_without_repeating_them(url, problem):
    with pytest.raises(oio.OioError) as info:
        oio.OioClient(url, "OPENIO")
    assert problem in str(info.value)
    assert "pw" not in str(info.value)


@pytest.mark.parametrize("namespace", ["..", ".", "../OPENIO", "OPEN/IO", "OPEN IO", "",
                                       "-x", "N" * 64, None, "OPENIO?x=1", "é"])
def test_bad_namespaces_are_refused(namespace):
    with pytest.raises(oio.OioError) as info:
        oio.OioClient("127.0.0.1:6006", namespace)
    assert "namespace must be 1 to 63 characters" in str(info.value)


@pytest.mark.parametrize("namespace", ["OPENIO", "ns-1", "my_ns.prod", "N" * 63, "1"])
def test_good_namespaces(namespace):
    assert oio.OioClient("127.0.0.1:6006", namespace).namespace == namespace


def test_rdir_scheme_is_its_own():
    cli = oio.OioClient("https://127.0.0.1:6006", "OPENIO")
    assert cli.rdir_url("127.0.0.1:6300", "/v1/status") == "http://127.0.0.1:6300/v1/status"
    cli = oio.OioClient("http://127.0.0.1:6006", "OPENIO", rdir_scheme="https")
    assert cli.rdir_url("127.0.0.1:6300", "v1/status") == "https://127.0.0.1:6300/v1/status"
    with pytest.raises(oio.OioError):
        oio.OioClient("http://127.0.0.1:6006", "OPENIO", rdir_scheme="ftp")


def test_circuit_opens_after_consecutive_connection_failures():
    warnings = []
    cli = oio.OioClient("127.0.0.1:%d" % free_port(), "OPENIO", retries=3,
                        warn=warnings.append, sleep=lambda s: None)
    for dummy in range(10):
        with pytest.raises(oio.OioError):
            facts(cli).conscience_list("meta1")
    # 5 attempts opened the circuit; the other requests were never sent.
    assert cli.request_count == oio.BREAKER_THRESHOLD
    assert cli.circuit_open()
    with pytest.raises(oio.OioError) as info:
        cli.proxy("POST", "conscience/lock", json_body={}, idempotent=True)
    assert "not sent: 5 consecutive connection failures" in str(info.value)
    assert not info.value.transient
    assert any("no more requests are sent" in w for w in warnings)


def test_circuit_is_per_endpoint_and_reset_by_an_answer(simulator):
    cli, dummy = make_client(simulator, retries=0)
    dead = "127.0.0.1:%d" % free_port()
    for dummy_i in range(oio.BREAKER_THRESHOLD - 1):
        with pytest.raises(oio.OioError):
            cli.rdir("GET", dead, "v1/status")
    # An answer from the dead endpoint's neighbour does not reset its count...
    assert facts(cli).conscience_list("meta1")
    with pytest.raises(oio.OioError):
        cli.rdir("GET", dead, "v1/status")
    assert cli.circuit_open("http://" + dead)
    # ...and the proxy keeps working.
    assert not cli.circuit_open()
    assert facts(cli).conscience_list("meta1")


def test_dropped_connections_open_the_circuit(simulator):
    simulator.set_faults({"rules": [{"service": "proxy", "match": "", "rate": 1.0,
                                     "action": "drop"}]})
    cli, dummy = make_client(simulator, retries=3)
    for dummy_i in range(6):
        with pytest.raises(oio.OioError):
            facts(cli).conscience_list("meta1")
    assert cli.circuit_open()
    assert simulator.stats()["requests"] == oio.BREAKER_THRESHOLD


def test_the_writer_lease_is_released_past_an_open_circuit(sim_factory):
    """Dropped connections opened the circuit to the proxy during a run: the
    lease is released all the same, so the next writer does not wait up to
    its ttl for it to expire."""
    sim = sim_factory("small_bootstrapped")
    cli, warnings = make_client(sim, retries=0)
    with writer_lease(cli, timeout=0, ttl=300, warn=warnings.append):
        sim.set_faults({"rules": [{"service": "proxy", "match": "admin/remove", "rate": 1.0,
                                   "action": "drop"}]})
        for dummy in range(oio.BREAKER_THRESHOLD):
            with pytest.raises(oio.OioError):
                cli.proxy("POST", "admin/remove", {"type": "meta1", "cid": "00".ljust(64, "0")},
                          idempotent=True)
        assert cli.circuit_open()
    sim.clear_faults()
    assert not [w for w in warnings if "lease" in w]
    other, dummy = make_client(sim, retries=0)
    assert WriterLease(other, holder="next run", timeout=0).acquire().token


def test_a_client_in_check_mode_refuses_every_write(sim_factory):
    """The one check-mode gate: reads pass (including the POST routes that
    only read), a write raises before anything is sent."""
    sim = sim_factory("small_bootstrapped")
    client = oio.OioClient(sim.proxy_url, sim.namespace, retries=0, check_mode=True)
    cid = {"type": "meta1", "cid": "00".ljust(64, "0")}
    assert client.proxy("GET", "conscience/list", {"type": "meta1"}).status == 200
    assert client.proxy("POST", "admin/status", cid).status == 200
    assert client.proxy("POST", "admin/has", cid).status == 200
    sim.reset_writes()
    sim.reset_stats()
    for method, route, body in (("POST", "admin/set_properties", {"properties": {"k": "v"}}),
                                ("POST", "admin/leave", None),
                                ("POST", "admin/meta0_force", {"0000": ["127.0.0.1:1"]}),
                                ("POST", "reference/create", None)):
        with pytest.raises(oio.WriteInCheckMode, match="check mode"):
            client.proxy(method, route, cid, json_body=body)
    assert sim.writes() == [] and sim.stats()["requests"] == 0


def test_a_request_routed_by_a_stale_meta0_mapping_is_replayed_after_a_flush(sim_factory):
    """Another writer forced meta0 and the proxy still routes by the old
    mapping: the old meta1 refuses (450), the client flushes the proxy's
    cache and sends the request again, once."""
    sim = sim_factory("small_bootstrapped")
    cli, warnings = make_client(sim, retries=0)
    ref = {"acct": "ACCT", "ref": "stale"}
    cli.proxy("POST", "reference/create", ref)  # the proxy now caches the mapping
    mapping = cli.proxy("GET", "admin/meta0_list").body
    meta1 = sorted(set(a for peers in mapping.values() for a in peers))
    moved = dict((p, [a for a in meta1 if a not in peers][:len(peers)])
                 for p, peers in mapping.items())
    # The other writer's force, without the flush that follows it.
    other = make_client(sim, retries=0)[0]
    other.proxy("POST", "admin/meta0_force", json_body=moved)
    sim.reset_writes()
    cli.proxy("POST", "reference/set_properties", ref, json_body={"properties": {"k": "v"}})
    assert [w["path"].split("/v3.0/")[-1] for w in sim.writes()] == [
        "%s/reference/set_properties" % sim.namespace, "cache/flush/high",
        "%s/reference/set_properties" % sim.namespace]
    assert len(warnings) == 1 and "meta0 mapping that changed" in warnings[0]


def test_one_keep_alive_connection_serves_a_run(sim_factory):
    sim = sim_factory("small_bootstrapped")
    cli, dummy = make_client(sim)
    sim.reset_stats()
    for dummy_i in range(5):
        facts(cli).conscience_list("meta1")
    cli.proxy("POST", "reference/create", {"acct": "ACCT", "ref": "kept"})
    assert sim.stats()["connections"]["proxy"] == 1


def serve_then_close(answers):
    """A service on 127.0.0.1 that answers one request per connection, with
    keep-alive, then closes it as an idle timeout would. Returns its port
    and the list of the connections it accepted (one request line each)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(10)
    seen = []

    def run():
        try:
            for dummy_i in range(answers):
                conn, dummy = server.accept()
                with conn:
                    request = b""
                    while b"\r\n\r\n" not in request:
                        request += conn.recv(4096)
                    seen.append(request.split(b"\r\n", 1)[0].decode())
                    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\n"
                                 b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        finally:
            server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return server.getsockname()[1], seen, thread


def test_a_connection_closed_while_idle_is_not_written_to():
    """A keep-alive connection the service closed while idle is replaced
    before a write goes out on it: the write is not retried (retries=0, not
    idempotent), so it only succeeds if it was sent on a live connection."""
    port, seen, thread = serve_then_close(2)
    cli = oio.OioClient("127.0.0.1:%d" % port, "OPENIO", retries=0)
    cli.proxy("POST", "reference/create", {"acct": "A", "ref": "one"})
    time.sleep(0.2)  # the service's close reaches the idle connection
    cli.proxy("POST", "reference/create", {"acct": "A", "ref": "two"})
    thread.join(10)
    # One request per connection: the second went out on a new one.
    assert [line.split("?")[1].split(" ")[0] for line in seen] == ["acct=A&ref=one", "acct=A&ref=two"]


def test_query_values_none_are_left_out_and_lists_repeated():
    assert oio.with_query("http://h/r", {"a": "x y", "b": None, "c": [1, 2]}) == \
        "http://h/r?a=x+y&c=1&c=2"
    assert oio.with_query("http://h/r?v=1", {"a": "&"}) == "http://h/r?v=1&a=%26"
    assert oio.with_query("http://h/r", {"b": None}) == "http://h/r"
