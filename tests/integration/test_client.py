"""The shared client against the simulator over real HTTP: transport rules,
error bodies, retries and URL-encoding."""
import socket

import pytest

from ansible_collections.openio.sds.plugins.module_utils import client as oio


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
        cli.conscience_list("meta1")
    assert "cannot reach the service" in str(info.value)
    assert info.value.http_status is None
    assert len(warnings) == 2


def test_503_then_success(simulator):
    simulator.set_faults({"rules": [{"match": "conscience/list", "service": "proxy",
                                     "rate": 1.0, "action": "503", "times": 1}]})
    cli, warnings = make_client(simulator)
    services = cli.conscience_list("meta1")
    assert services
    assert len(warnings) == 1 and "HTTP 503" in warnings[0]
    assert cli.retry_count == 1


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
        cli.conscience_list("meta1")
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
