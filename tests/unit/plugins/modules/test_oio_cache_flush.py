"""oio_cache_flush in-process: the proxy's caches and a service's resolver
cache flushed, an action that changes every time it runs."""


def test_bad_input_is_refused_before_any_request(oio):
    oio.sim.reset_stats()
    nothing = oio("oio_cache_flush")
    by_name = oio("oio_cache_flush", services=["meta1-1"])
    assert nothing.failed and "nothing to flush" in nothing.msg
    assert by_name.failed and "IP:PORT" in by_name.msg
    assert oio.sim.stats()["requests"] == 0


def test_flush(oio):
    meta1 = oio("oio_service_info", type="meta1")["services"][0]["addr"]
    oio.sim.service_down(meta1)
    down = oio("oio_cache_flush", services=[meta1], retries=0)
    # The proxy's error names the service.
    assert down.failed and meta1 in down.msg and "forward/flush" in down.msg
    assert (down["error"]["http_status"], down["error"]["status"]) == (503, 2)
    oio.sim.service_up(meta1)

    flush = {"proxy_caches": ["high", "low"], "services": [meta1]}
    oio.sim.reset_writes()
    check = oio("oio_cache_flush", check=True, **flush)
    assert check.changed and check["flushed"] == ["proxy:high", "proxy:low", "service:" + meta1]
    assert oio.sim.writes() == []
    for dummy in range(2):
        assert oio("oio_cache_flush", **flush).changed
    assert [w["path"] for w in oio.sim.writes()] == [
        "/v3.0/cache/flush/high", "/v3.0/cache/flush/low", "/v3.0/forward/flush"] * 2
