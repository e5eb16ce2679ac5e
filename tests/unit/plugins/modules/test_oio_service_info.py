"""oio_service_info in-process: the conscience's services of one type or
several, its errors, a read retried through a 503, and the connection taken
from the environment."""

KEYS = ["addr", "fully_locked", "id", "location", "locked", "locks", "score", "tags", "type",
        "up"]


def test_errors_are_clear(oio):
    down = oio("oio_service_info", type="meta1", proxy_url="http://127.0.0.1:9", retries=1)
    assert down.failed and "GET http://127.0.0.1:9/v3.0/" in down.msg
    assert "cannot reach the service" in down.msg and len(down["warnings"]) == 1
    wrong_ns = oio("oio_service_info", type="meta1", namespace="NOT_MINE")
    assert wrong_ns.failed and wrong_ns["error"]["http_status"] == 400
    assert "Invalid parameter" in wrong_ns.msg
    bad_type = oio("oio_service_info", type="nosuchtype")
    assert bad_type.failed and "OpenIO status 453" in bad_type.msg
    assert (bad_type["error"]["http_status"], bad_type["error"]["status"]) == (404, 453)
    oio.sim.reset_stats()
    empty = oio("oio_service_info", type=["meta1", ""])
    assert empty.failed and "name at least one service type, and no empty one" in empty.msg
    assert oio.sim.stats()["requests"] == 0


def test_lists_services(oio, oio_bare, monkeypatch):
    oio.sim.set_faults({"rules": [{"match": "conscience/list", "service": "proxy",
                                   "rate": 1.0, "action": "503", "times": 1}]})
    retried = oio("oio_service_info", type="meta1")
    assert not retried.failed and not retried.changed and retried["services"]
    assert len(retried["warnings"]) == 1 and "retrying" in retried["warnings"][0]
    oio.sim.clear_faults()

    oio.sim.reset_writes()
    rawx = oio("oio_service_info", check=True, type="rawx")["services"]
    assert rawx and all(s["addr"].count(":") == 1 for s in rawx)
    assert sorted(set(rawx[0]) - {"scores"}) == KEYS
    assert sorted(rawx[0]["locks"]) == ["get", "put"]
    # 2026.14 lists the put and get scores apart.
    assert ("scores" in rawx[0]) == (oio.sim.info["release"] == "2026.14")
    # Type after type, in the order given, each once.
    several = oio("oio_service_info", type=["meta1", "rdir", "meta1"])["services"]
    types = [s["type"] for s in several]
    assert types == ["meta1"] * 6 + ["rdir"] * (len(types) - 6)
    # The connection from OIO_PROXYD_URL and OIO_NS when not given.
    monkeypatch.setenv("OIO_PROXYD_URL", oio.sim.proxy_url)
    monkeypatch.setenv("OIO_NS", oio.sim.namespace)
    from_env = oio_bare("oio_service_info", type="rdir", full=True)
    assert not from_env.failed and from_env["services"]
    assert oio.sim.writes() == []
