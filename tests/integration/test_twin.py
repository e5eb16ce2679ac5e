"""A twin of a namespace: the snapshot taken by oio_namespace_snapshot (reads
only), the simulator started from it, the same mapping, assignments, indexes
and containers; and a decommission rehearsed on the twin ends in the state
that the real run then reaches on the namespace itself.
"""
import os

import pytest
import requests

from ansible_collections.openio.sds.plugins.module_utils import snapshot as snap_utils
from ansible_collections.openio.sds.plugins.module_utils.client import OioClient
from ansible_collections.openio.sds.plugins.module_utils.names import compute_cid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DECOMMISSION = os.path.join(ROOT, "playbooks", "decommission.yml")
CONTAINERS = 5
CHUNKS = 7


def proxy(sim, method, route, **kwargs):
    resp = requests.request(method, "%s/v3.0/%s/%s" % (sim.proxy_url, sim.namespace, route),
                            timeout=30, **kwargs)
    resp.raise_for_status()
    return resp.json() if resp.content else None


def rdir_addr_of(sim, vol):
    hosts = [s["host"] for s in proxy(sim, "GET", "reference/show", params={
        "acct": "_RDIR", "ref": vol, "type": "rdir"})["srv"] if s["type"] == "rdir"]
    for rdir in proxy(sim, "GET", "conscience/list", params={"type": "rdir"}):
        if hosts[0] in (rdir["addr"], rdir["tags"].get("tag.service_id")):
            return rdir["addr"]
    raise AssertionError("no rdir for %s" % vol)


def seed(sim):
    """Containers linked to meta2 services and indexed on their rdirs, chunk
    records on every rawx volume, one rawx locked at score 0."""
    meta2 = dict((s["addr"], s["tags"].get("tag.service_id") or s["addr"])
                 for s in proxy(sim, "GET", "conscience/list", params={"type": "meta2"}))
    for i in range(CONTAINERS):
        links = proxy(sim, "POST", "reference/link", params={
            "acct": "twin", "ref": "c%d" % i, "type": "meta2"},
            headers={"x-oio-action-mode": "autocreate"})
        cid = compute_cid("twin", "c%d" % i)
        for link in links:
            for host in link["host"].split(","):
                vol = meta2[host]
                requests.post("http://%s/v1/rdir/meta2/push" % rdir_addr_of(sim, vol),
                              params={"vol": vol, "create": "1"}, timeout=30,
                              json={"container_url": "%s/twin/c%d" % (sim.namespace, i),
                                    "container_id": cid, "mtime": 1700000000 + i}
                              ).raise_for_status()
    rawx = proxy(sim, "GET", "conscience/list", params={"type": "rawx"})
    for svc in rawx:
        vol = svc["tags"].get("tag.service_id") or svc["addr"]
        addr = rdir_addr_of(sim, vol)
        for i in range(CHUNKS):
            requests.post("http://%s/v1/rdir/push" % addr, params={"vol": vol, "create": "1"},
                          json={"container_id": compute_cid("twin", "c0"),
                                "content_id": "0123456789ABCDEF",
                                "chunk_id": "%s-%04d" % (vol, i), "mtime": 1700000000 + i,
                                # 2026.14 needs them, 7.3.0 ignores them.
                                "path": "obj-%d" % i, "version": 1},
                          timeout=30).raise_for_status()
    proxy(sim, "POST", "conscience/lock", json={"addr": rawx[0]["addr"], "type": "rawx",
                                                "score": 0})
    return rawx[0]["addr"]


def capture(sim, path=None):
    snap, errors = snap_utils.capture(OioClient(sim.proxy_url, sim.namespace, retries=0))
    assert errors == []
    if path is not None:
        snap_utils.write_file(str(path), snap)
    return snap


def services_view(snap):
    """Services without the rdir addresses, which the twin cannot keep."""
    out = {}
    for stype, services in snap["services"].items():
        rows = []
        for svc in services:
            row = dict(svc)
            row["tags"] = dict(svc["tags"])
            if stype == "rdir":
                row.pop("addr")
                row["id"] = row["tags"].pop("tag.service_id", svc["addr"])
            rows.append(row)
        out[stype] = sorted(rows, key=lambda r: r["id"])
    return out


def index_view(snap):
    return dict((stype, dict((vol, (e["count"], e["records"])) for vol, e in vols.items()))
                for stype, vols in snap["rdir_index"].items())


def start_twin(sim_factory, path):
    return sim_factory(topology=str(path))


def test_twin_has_the_state_of_the_snapshot(sim_factory, tmp_path):
    real = sim_factory("small_bootstrapped")
    locked = seed(real)
    real.reset_writes()
    path = tmp_path / "snapshot.json.gz"
    snap = capture(real, path)
    assert real.writes() == [], "the snapshot wrote to the namespace"
    assert sum(e["count"] for e in snap["rdir_index"]["rawx"].values()) == 6 * CHUNKS
    assert sum(e["count"] for e in snap["rdir_index"]["meta2"].values()) >= CONTAINERS

    twin = start_twin(sim_factory, path)
    assert twin.writes() == []
    assert sorted(twin.info["rdir_addresses"]) == sorted(s["addr"] for s in snap["services"]["rdir"])
    again = capture(twin)
    assert again["meta0"] == snap["meta0"]
    assert again["rdir_assignments"] == snap["rdir_assignments"]
    assert index_view(again) == index_view(snap)
    assert services_view(again) == services_view(snap)
    # Every service but the rdir keeps its address; the locked rawx stays locked at 0.
    for stype in ("meta0", "meta1", "meta2", "rawx"):
        assert [s["addr"] for s in again["services"][stype]] == \
            [s["addr"] for s in snap["services"][stype]]
    rawx = dict((s["addr"], s) for s in again["services"]["rawx"])
    assert rawx[locked]["locked"] and rawx[locked]["score"] == 0
    # The containers of the meta2 indexes exist, linked to the same meta2
    # services (in address order: the snapshot does not keep the link order).
    for i in range(CONTAINERS):
        params = {"acct": "twin", "ref": "c%d" % i, "type": "meta2"}
        links = [proxy(sim, "GET", "reference/show", params=params)["srv"] for sim in (twin, real)]
        assert links[0] == sorted(links[1], key=lambda s: s["host"])
    assert twin.writes() == []


def test_snapshot_keeps_counts_only_for_large_indexes(sim_factory):
    real = sim_factory("small_bootstrapped")
    seed(real)
    snap, errors = snap_utils.capture(OioClient(real.proxy_url, real.namespace),
                                      index_records=CHUNKS - 1)
    assert errors == []
    for entry in snap["rdir_index"]["rawx"].values():
        assert entry["count"] == CHUNKS and entry["records"] is None
    assert "rawx rawx-1" in snap_utils.summary(snap)["index_counts_only"]


@pytest.mark.one_release("2026.14")
def test_rehearsed_rdir_decommission_ends_like_the_real_one(
        sim_factory, run_playbook, tmp_path):
    real = sim_factory("small_bootstrapped")
    seed(real)
    path = tmp_path / "snapshot.json"
    snap = capture(real, path)
    victim = sorted(s["addr"] for s in snap["services"]["rdir"])[0]
    extra = {"oio_decommission_service": victim, "oio_decommission_type": "rdir"}
    twin = start_twin(sim_factory, path)
    real.reset_writes()

    rehearsal = run_playbook(DECOMMISSION, twin, extra_vars=extra)
    assert rehearsal.rc == 0, rehearsal.failure
    assert twin.writes(), "the rehearsal wrote nothing on the twin"
    assert real.writes() == [], "the rehearsal reached the real namespace"

    result = run_playbook(DECOMMISSION, real, extra_vars=extra)
    assert result.rc == 0, result.failure
    after_twin, after_real = capture(twin), capture(real)
    assert after_twin["rdir_assignments"] == after_real["rdir_assignments"]
    assert after_real["rdir_assignments"] != snap["rdir_assignments"]
    for stype in ("rawx", "meta2"):
        assert all(victim not in hosts for hosts in after_real["rdir_assignments"][stype].values())
    assert index_view(after_twin) == index_view(after_real)
    locked = [s for s in after_twin["services"]["rdir"] if s["id"] == victim]
    assert locked[0]["locked"] and locked[0]["score"] == 0
