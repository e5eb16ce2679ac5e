"""Fast checks of the simulated namespace itself (a few seconds)."""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import oiosim


def call(sim, method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(sim.proxy_url + path, data=data, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, (json.loads(raw) if raw else None), dict(exc.headers)


def ns_path(sim, route):
    return "/v3.0/%s/%s" % (sim.namespace, route)


def test_fixture_small(simulator):
    st = simulator.state()
    assert st["namespace"] == "OPENIO"
    assert st["digits"] == 2
    assert st["counts"]["meta1"] == 6 and st["counts"]["rawx"] == 6
    assert st["meta0_initialised"] is False
    assert len(simulator.rdir_urls) == 3
    status, body, _ = call(simulator, "GET", ns_path(simulator, "conscience/list?type=rawx"))
    assert status == 200
    assert {s["tags"]["tag.service_id"] for s in body} == {"rawx-%d" % i for i in range(1, 7)}
    # Not bootstrapped: reference routes cannot reach a meta1.
    status, body, _ = call(simulator, "GET", ns_path(simulator, "reference/show?acct=a&ref=b"))
    assert status == 503


def test_write_log_records_and_resets(sim_factory):
    sim = sim_factory("small_bootstrapped")
    assert sim.writes() == []
    status, _, _ = call(sim, "POST", ns_path(sim, "reference/create?acct=a&ref=r1"), {})
    assert status == 201
    call(sim, "GET", ns_path(sim, "reference/show?acct=a&ref=r1"))
    writes = sim.writes()
    assert [(w["method"], w["path"], w["status"]) for w in writes] == [
        ("POST", ns_path(sim, "reference/create"), 201)]
    assert writes[0]["query"] == {"acct": "a", "ref": "r1"}
    sim.reset_writes()
    assert sim.writes() == []
    assert sim.stats()["requests"] >= 2


def test_fault_503_then_success(sim_factory):
    sim = sim_factory("small_bootstrapped")
    sim.set_faults({"rules": [{"match": "/conscience/list", "action": "503", "times": 1}]})
    status, body, headers = call(sim, "GET", ns_path(sim, "conscience/list?type=meta1"))
    assert status == 503 and body["status"] == 503
    assert headers.get("Retry-After") == "1"
    status, body, _ = call(sim, "GET", ns_path(sim, "conscience/list?type=meta1"))
    assert status == 200 and len(body) == 6
    sim.clear_faults()


def test_elections_and_down_peer(sim_factory):
    sim = sim_factory("small_bootstrapped")
    path = ns_path(sim, "admin/status?type=meta1&cid=AB")
    status, body, _ = call(sim, "POST", path)
    assert status == 200 and len(body) == 3
    masters = [a for a, v in body.items() if v["status"]["status"] == 200]
    assert len(masters) == 1
    slaves = [v["status"]["message"] for v in body.values() if v["status"]["status"] == 303]
    assert slaves == [masters[0]] * 2
    sim.set_faults({"down_peers": [masters[0]], "failed_elections": []})
    status, body, _ = call(sim, "POST", path)
    assert body[masters[0]]["status"]["status"] == 2
    sim.set_faults({"down_peers": [], "failed_elections": ["meta1:AB00"]})
    status, body, _ = call(sim, "POST", path)
    assert {v["status"]["status"] for v in body.values()} == {500}


def test_meta0_force_then_crash(sim_factory):
    sim = sim_factory("small")
    status, body, _ = call(sim, "POST", ns_path(sim, "admin/meta0_force"),
                           {"0000": ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]})
    assert status == 503 and "Nothing found for prefix 0001" in body["message"]
    status, body, _ = call(sim, "POST", ns_path(sim, "admin/meta0_force"), {"0001": "x"})
    # The internal status of the crash differs between the releases' captures.
    assert status == 503 and body["status"] == (10 if sim.info["release"] == "2026.14" else 9)
    status, body, _ = call(sim, "GET", ns_path(sim, "admin/meta0_list"))
    assert status == 503 and body["status"] == 2
    urllib.request.urlopen(urllib.request.Request(sim.control_url + "/meta0/restart",
                                                  method="POST", data=b""))
    status, body, _ = call(sim, "GET", ns_path(sim, "admin/meta0_list"))
    assert status == 200 and body == {}


def test_rdir_service_down_and_up(sim_factory):
    sim = sim_factory("small_bootstrapped")
    rid, url = sorted(sim.rdir_urls.items())[0]
    with urllib.request.urlopen(url + "/status", timeout=5) as resp:
        assert resp.status == 200
    sim.service_down(rid)
    try:
        urllib.request.urlopen(url + "/status", timeout=2)
        raise AssertionError("rdir still answers")
    except (urllib.error.URLError, ConnectionError):
        pass
    sim.service_up(rid)
    with urllib.request.urlopen(url + "/status", timeout=5) as resp:
        assert resp.status == 200


def test_large_preset_starts(sim_factory):
    # Functional only: how fast it starts is bench/bench_simulator.py's figure.
    sim = sim_factory("large")
    st = sim.state()
    assert st["counts"]["meta1"] == 300 and st["counts"]["rawx"] == 2000
    assert st["meta0_initialised"] is True


def test_fault_latency_drop_and_after(sim_factory):
    sim = sim_factory("small_bootstrapped")
    sim.set_faults({"rules": [
        {"match": "/conscience/info", "action": "latency", "latency_ms": 200, "times": 1},
        {"match": "/conscience/list", "action": "drop", "after": 1, "times": 1}]})
    t0 = time.time()
    status, _, _ = call(sim, "GET", ns_path(sim, "conscience/info"))
    assert status == 200 and time.time() - t0 >= 0.2
    assert call(sim, "GET", ns_path(sim, "conscience/list?type=rawx"))[0] == 200
    try:
        call(sim, "GET", ns_path(sim, "conscience/list?type=rawx"))
        raise AssertionError("the connection was not dropped")
    except (urllib.error.URLError, ConnectionError, OSError):
        pass
    assert call(sim, "GET", ns_path(sim, "conscience/list?type=rawx"))[0] == 200


def test_factory_overrides_and_added_rdir(sim_factory):
    sim = sim_factory("small", meta1_digits=1, bootstrapped=True)
    assert sim.state()["digits"] == 1
    added = sim.add_service({"type": "rdir", "location": "site1.rack9.h.rdir-9", "score": 50})
    with urllib.request.urlopen(added["url"] + "/status", timeout=5) as resp:
        assert resp.status == 200
    sim.remove_service(added["id"])
    status, body, _ = call(sim, "GET", ns_path(sim, "conscience/list?type=rdir"))
    assert added["addr"] not in [s["addr"] for s in body]


def test_latency_profiles(simulator):
    assert simulator._call("GET", "/profile") == {"name": "none"}
    real = simulator.set_profile("real")
    assert real["name"] == "real" and real["max_concurrent"] == 1
    assert real["routes"] == [{"match": "/admin/status", "ms": [2.4, 4.7]},
                              {"match": "/admin/", "ms": [1.9, 3.5]}]
    custom = simulator.set_profile({"routes": [{"match": "conscience/list", "ms": 1}],
                                    "default_ms": [0, 0.5], "max_concurrent": 4})
    assert custom["name"] == "custom" and custom["routes"][0]["ms"] == [1.0, 1.0]
    simulator.reset_stats()
    status, body, dummy = call(simulator, "GET", ns_path(simulator, "conscience/list?type=meta1"))
    assert status == 200 and len(body) == 6
    for bad in ({"name": "slow"}, {"default_ms": [3, 1]}, {"max_concurrent": -1}):
        code, answer, dummy = call(simulator, "PUT", "/_sim/profile", bad)
        assert code == 400, (bad, answer)
    assert simulator._call("DELETE", "/profile") == {"name": "none"}
    stats = simulator.stats()
    assert stats["requests"] == 1 and stats["connections"]["proxy"] == 1


def test_runs_from_a_copy_anywhere(tmp_path):
    # What an installed collection does: the package and its presets are found
    # relative to the package, whatever the working directory.
    copy = tmp_path / "elsewhere" / "simulator"
    shutil.copytree(os.path.dirname(oiosim.__file__), str(copy / "oiosim"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1")
    code = ("import oiosim, oiosim.topology as t; print(oiosim.__file__); "
            "print(t.load('lab')['namespace'], ' '.join(t.preset_names()))")
    out = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), env=env,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0].startswith(str(copy))
    assert "small" in out[1].split() and "lab" in out[1].split()
    helped = subprocess.run([sys.executable, "-m", "oiosim", "--help"], cwd=str(tmp_path), env=env,
                            capture_output=True, text=True, check=True).stdout
    assert "--port-file" in helped


def test_the_check_mode_gate_and_the_write_log_agree_on_every_route():
    """The simulator declares each route's writes beside it (core.Write);
    the collection's check-mode gate (client.is_write) must take every one
    of them for a write, or a check-mode run could write. (The gate may be
    stricter: a POST it does not know is a write to it.) The POSTs it lets
    through are reads for the simulator too."""
    from ansible_collections.openio.sds.plugins.module_utils.client import READ_POSTS, is_write
    from oiosim import rdir
    from oiosim.core import writes
    from oiosim.namespace import Namespace
    from oiosim.proxy import Proxy
    from oiosim.topology import load

    proxy = Proxy(Namespace(load("small")))
    routes = [("http://p/v3.0/NS/" + route, method, handler)
              for (method, route), handler in proxy.routes.items()]
    routes += [("http://r" + path, method, handler)
               for (method, path), handler in rdir.ROUTES.items()]
    for url, method, handler in routes:
        assert is_write(method, url) or not writes(handler), url
    reads = [url for url, method, handler in routes
             if method == "POST" and url.rstrip("/").endswith(READ_POSTS)]
    assert len(reads) == len(READ_POSTS)
    assert not any(writes(h) for url, m, h in routes if url in reads)


def test_seeded_data_is_served_by_the_rdirs_and_the_directory(sim_factory):
    """What ``seed`` puts in place is what the real routes answer: the
    containers resolve to their meta2, the rdir fetch lists their records,
    and ``index`` counts the same; a namespace without rdirs is refused."""
    sim = sim_factory("small_bootstrapped")
    seeded = sim.seed_data(containers=3, chunks_per_volume=2)
    assert [c["name"] for c in seeded["containers"]] == ["container-0", "container-1", "container-2"]
    index = sim.index()
    assert index == seeded["index"]
    meta2_peers = sum(len(c["meta2"]) for c in seeded["containers"])
    assert index["totals"] == {"rawx": 6 * 2, "meta2": meta2_peers} and meta2_peers >= 3
    status, show, _ = call(sim, "GET", ns_path(sim, "reference/show?acct=seed&ref=container-0&type=meta2"))
    assert status == 200 and show["srv"][0]["host"] == seeded["containers"][0]["meta2"][0]
    volume, entry = sorted(index["rawx"].items())[0]
    rdir_url = sim.state()["rdir"][entry["rdir"]]
    req = urllib.request.Request("%s/v1/rdir/fetch?vol=%s" % (rdir_url, volume),
                                 data=b"{}", method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert len(json.loads(resp.read())) == entry["records"] == 2
    assert sim.writes() == []  # seeding is not a client's write
    fresh = sim_factory("small")
    status, body, _ = call(fresh, "POST", "/_sim/seed", {"containers": 1, "chunks_per_volume": 1})
    assert status == 400 and "no rdir" in body["error"]
    assert fresh.state()["references"] == 0
    status, body, _ = call(fresh, "POST", "/_sim/seed", {"containers": 0})
    assert status == 400 and "containers must be" in body["error"]
