"""The snapshot file (module_utils/snapshot.py) and the simulator's reading
of it (oiosim/snapshot.py), without HTTP."""
import gzip
import json

import pytest

from ansible_collections.openio.sds.plugins.module_utils import snapshot
from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.names import compute_cid


def sample():
    meta1 = ["10.0.0.%d:6110" % i for i in (1, 2, 3)]
    return {
        "format": snapshot.FORMAT, "namespace": "PROD", "captured_at": "2026-12-01T00:00:00Z",
        "meta1_digits": 1, "options": {"service_update_policy": "meta2=KEEP|3|1"},
        "services": {
            "meta1": [{"addr": a, "id": a, "score": 50, "location": "r%d.h.m1" % i,
                       "locked": False, "up": True,
                       "tags": {"tag.loc": "r%d.h.m1" % i, "tag.up": True, "tag.lock": False}}
                      for i, a in enumerate(meta1)],
            "rawx": [{"addr": "10.0.1.1:6200", "id": "rawx-1", "score": 0, "location": "r1.h.x",
                      "locked": True, "up": True,
                      "tags": {"tag.loc": "r1.h.x", "tag.service_id": "rawx-1"}}],
            "meta2": [{"addr": "10.0.2.1:6120", "id": "10.0.2.1:6120", "score": 40,
                       "location": "r2.h.m2", "locked": False, "up": True,
                       "tags": {"tag.loc": "r2.h.m2"}}],
            "rdir": [{"addr": "10.0.3.1:6300", "id": "10.0.3.1:6300", "score": 60,
                      "location": "r3.h.rd", "locked": False, "up": True,
                      "tags": {"tag.loc": "r3.h.rd"}}],
        },
        "meta0": dict(("%04X" % p, meta1) for p in range(65536)),
        "rdir_assignments": {"rawx": {"rawx-1": ["10.0.3.1:6300"]},
                             "meta2": {"10.0.2.1:6120": ["10.0.3.1:6300"]}},
        "rdir_index": {
            "rawx": {"rawx-1": {"rdir": "10.0.3.1:6300", "exists": True, "count": 1,
                                "containers": 1, "admin": {"lock": "ops"},
                                "records": [["%s|C0|K1" % ("A" * 64), {"mtime": 7}]]}},
            "meta2": {"10.0.2.1:6120": {
                "rdir": "10.0.3.1:6300", "exists": True, "count": 1,
                "records": [{"container_url": "PROD/acct/c1", "container_id": "B" * 64,
                             "mtime": 3, "extra_data": None}]}},
        },
    }


@pytest.mark.parametrize("name", ["snap.json", "snap.json.gz"])
def test_file_round_trip(tmp_path, name):
    path = str(tmp_path / name)
    snapshot.write_file(path, sample())
    assert snapshot.read_file(path) == sample()
    if name.endswith(".gz"):
        with gzip.open(path) as fh:
            assert json.load(fh)["namespace"] == "PROD"


def test_other_files_are_not_snapshots(tmp_path):
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    (tmp_path / "broken.json").write_text("{")
    assert snapshot.read_file(str(tmp_path / "other.json")) is None
    assert snapshot.read_file(str(tmp_path / "broken.json")) is None
    assert snapshot.read_file(str(tmp_path / "missing.json")) is None


def test_capture_time_alone_is_no_change():
    later = dict(sample(), captured_at="2027-01-01T00:00:00Z")
    assert snapshot.same_content(sample(), later)
    assert not snapshot.same_content(sample(), dict(later, meta1_digits=2))
    assert not snapshot.same_content(None, sample())


def test_summary():
    data = sample()
    data["rdir_index"]["meta2"]["10.0.2.1:6120"]["records"] = None
    assert snapshot.summary(data) == {
        "namespace": "PROD", "services": {"meta1": 3, "meta2": 1, "rawx": 1, "rdir": 1},
        "meta0_prefixes": 65536, "rdir_assignments": {"meta2": 1, "rawx": 1},
        "index_records": {"meta2": 1, "rawx": 1},
        "index_counts_only": ["meta2 10.0.2.1:6120"]}


@pytest.mark.parametrize("dest, message", [
    ("/no/such/dir/snap.json", "directory of dest does not exist"),
    ("", "dest must be a file path"),
])
def test_bad_dest(dest, message):
    # The number options are the module's ranges (test_module.py).
    with pytest.raises(InvalidInput, match=message):
        snapshot.check_dest(dest)


def test_the_simulator_rebuilds_the_namespace():
    # The simulator ships too (simulator/); a copy without it skips this one.
    sim_snapshot = pytest.importorskip("oiosim.snapshot")
    Namespace = pytest.importorskip("oiosim.namespace").Namespace
    RdirService = pytest.importorskip("oiosim.rdir").RdirService
    sim_restore = pytest.importorskip("oiosim.restore")
    data = sample()
    topo = sim_snapshot.to_topology(data)
    assert topo["namespace"] == "PROD" and topo["meta1_digits"] == 1
    assert topo["service_update_policy"] == "meta2=KEEP|3|1"
    ns = Namespace(topo, rdir_factory=RdirService)
    renamed = sim_restore.restore(ns, data)
    assert renamed == {}  # no listener: every address is kept
    assert ns.meta0[0x1234] == tuple(data["meta0"]["1234"])
    rawx = ns.find("rawx-1")
    assert rawx["locked"] and rawx["score"] == 0 and rawx["addr"] == "10.0.1.1:6200"
    assert "tag.up" not in rawx["tags"] and rawx["tags"]["tag.loc"] == "r1.h.x"
    rdir = ns.of_type("rdir")[0]
    assert rdir["id"] == "10.0.3.1:6300"  # its address becomes its service ID
    ref = ns.refs[compute_cid("_RDIR", "rawx-1")]
    assert ref.services == [[1, "rdir", "10.0.3.1:6300", ""]]
    service = ns.rdirs["10.0.3.1:6300"]
    assert service.chunk_records("rawx-1") == [("%s|C0|K1" % ("A" * 64), 7)]
    assert service.admin_keys("rawx-1") == {"lock": "ops"}
    assert [r["container_url"] for r in service.meta2_records("10.0.2.1:6120")] == ["PROD/acct/c1"]
    container = ns.refs["B" * 64]
    assert (container.account, container.name) == ("acct", "c1")
    assert container.services == [[1, "meta2", "10.0.2.1:6120", ""]]
