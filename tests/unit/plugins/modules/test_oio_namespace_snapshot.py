"""oio_namespace_snapshot in-process: the namespace read into a file, never
a write to the cluster, no file left by a failure."""
import json
import os

import pytest


def test_refused_or_failed_leaves_no_file(oio, tmp_path):
    for options, message in (
            ({"dest": str(tmp_path / "bad.json"), "index_records": -1},
             "index_records must be between 0 and"),
            ({"dest": str(tmp_path / "no" / "such" / "dir" / "snap.json")},
             "directory of dest does not exist"),
            ({"dest": str(tmp_path / "down.json"), "proxy_url": "http://127.0.0.1:9",
              "retries": 0}, "cannot reach the service")):
        result = oio("oio_namespace_snapshot", **options)
        assert result.failed and message in result.msg, (options, result.msg)
    assert os.listdir(str(tmp_path)) == []
    # The meta2 indexes cannot be read: a failure naming them, or with
    # allow_partial a snapshot that lists what it lacks.
    oio.sim.set_faults({"rules": [{"match": "/v1/rdir/meta2/fetch", "service": "rdir",
                                   "rate": 1.0, "action": "500"}]})
    partial = str(tmp_path / "partial.json")
    failed = oio("oio_namespace_snapshot", dest=partial)
    assert failed.failed and "nothing was written" in failed.msg
    assert "rdir index meta2" in failed.msg and not os.path.exists(partial)
    allowed = oio("oio_namespace_snapshot", dest=partial, allow_partial=True)
    assert allowed.changed and len(allowed["errors"]) == 2
    assert set(e["type"] for e in allowed["errors"]) == {"meta2"}
    assert allowed["summary"]["rdir_assignments"] == {"meta2": 2, "rawx": 6}


@pytest.mark.slow
def test_snapshot_check_mode_then_twice(oio, tmp_path):
    dest = str(tmp_path / "snap.json")
    oio.sim.reset_writes()
    checked = oio("oio_namespace_snapshot", check=True, diff=True, dest=dest)
    assert checked.changed and not os.path.exists(dest)
    assert checked["diff"]["before"] == {} and checked["diff"]["after"]["meta0_prefixes"] == 65536
    taken = oio("oio_namespace_snapshot", dest=dest)
    again = oio("oio_namespace_snapshot", dest=dest)
    assert taken.changed and not again.changed and taken["summary"] == again["summary"]
    summary = taken["summary"]
    assert (summary["services"]["meta1"], summary["services"]["rdir"]) == (6, 3)
    assert summary["meta0_prefixes"] == 65536 and taken["errors"] == []
    assert summary["rdir_assignments"] == {"meta2": 2, "rawx": 6}
    with open(dest) as handle:
        snap = json.load(handle)
    assert snap["format"] == "openio.sds/snapshot/1" and snap["namespace"] == oio.sim.namespace
    assert len(snap["meta0"]) == 65536 and len(snap["rdir_assignments"]["rawx"]) == 6
    assert snap["rdir_index"]["rawx"]["rawx-1"]["exists"] and snap["release"] == taken["release"]
    assert sorted(set(snap["services"]["meta1"][0]) - {"scores"}) == [
        "addr", "fully_locked", "id", "location", "locked", "locks", "score", "tags", "type", "up"]
    compressed = oio("oio_namespace_snapshot", dest=dest + ".gz", index_records=0)
    assert compressed.changed and compressed["summary"]["meta0_prefixes"] == 65536
    assert oio.sim.writes() == []
    # A service locked at score 0 changes the snapshot.
    oio("oio_service", type="meta1", service=snap["services"]["meta1"][0]["addr"], state="locked")
    oio.sim.reset_writes()
    assert oio("oio_namespace_snapshot", check=True, dest=dest).changed
    assert oio.sim.writes() == []
