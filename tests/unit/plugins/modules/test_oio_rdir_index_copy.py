"""oio_rdir_index_copy in-process: chunk and container records copied and
moved between rdir services, page by page, one volume or several."""
import pytest

CID = "C096D3B630A704C1B0B31513DCE8EB026C0FAA263C2BDECB573DD2C9EBF5AC0E"
CONTENT = "0123456789ABCDEF0123456789ABCDEF"
# Three pages of 10; path and version for 2026.14, which needs them.
CHUNKS = [{"container_id": CID, "content_id": CONTENT, "chunk_id": "CHUNK%02d" % n,
           "mtime": 1700000000 + n, "path": "obj-%d" % n, "version": 1} for n in range(25)]
CONTAINERS = [{"container_id": CID[:-2] + "%02d" % n, "container_url": "OPENIO/acct/ct%d" % n,
               "mtime": 1700000000} for n in range(7)]


class Namespace(object):
    """Volumes, the rdir each is assigned to, and another rdir of each kind."""

    def __init__(self, oio):
        rawx = oio("oio_rdir_assignment_info", service_type="rawx")
        meta2 = oio("oio_rdir_assignment_info", service_type="meta2")
        self.rawx = dict((vol, info["rdir"]) for vol, info in rawx["volumes"].items())
        self.rawx_rdirs = sorted(rawx["rdirs"])
        self.meta2 = dict((vol, info["rdir"]) for vol, info in meta2["volumes"].items())
        self.meta2_vols = list(meta2["volumes"])
        self.meta2_rdirs = sorted(meta2["rdirs"])

    def other_rdir(self, kind, *rdirs):
        return [r for r in (self.rawx_rdirs if kind == "rawx" else self.meta2_rdirs)
                if r not in rdirs][0]


@pytest.fixture
def ns(oio):
    return Namespace(oio)


def test_bad_input_is_refused_before_any_write(oio, ns):
    other = ns.other_rdir("rawx", ns.rawx["rawx-1"])
    batch = ns.other_rdir("rawx", ns.rawx["rawx-3"], ns.rawx["rawx-4"])
    cases = [
        ({"volume": "rawx-1", "source": "rdir-that-does-not-exist"},
         ["not an rdir of the conscience"]),
        ({"volume": "rawx-1", "source": ns.rawx["rawx-1"]},
         ["same rdir", "reassign the volume first"]),
        ({"volume": "rawx-1", "source": other, "page_size": 20000}, ["between 1 and 10000"]),
        ({"volume": "rawx-1,rawx-2", "source": other}, ["commas"]),
        ({"volume": "rawx-that-is-not-assigned", "source": other}, ["has no rdir assigned"]),
        ({"volume": "rawx-1", "source": other, "proxy_url": "http://127.0.0.1:9", "retries": 0},
         ["GET http://127.0.0.1:9/v3.0/"]),
        ({"volumes": ["rawx-3", "rawx-4"], "containers": [CID], "source": batch},
         ["mutually exclusive"]),
        ({"volumes": {"rawx-3": [ns.rawx["rawx-3"]]}, "destination": ns.rawx["rawx-1"],
          "source": batch}, ["destination cannot go with volumes given as a dict"]),
        ({"volumes": "rawx-3", "source": batch},
         ["volumes must be a list of volume IDs or a dict"]),
        ({"volumes": {"rawx-3": []}, "source": batch}, ["volume rawx-3 is given no rdir"]),
        # Not even the volume before the unknown one is written.
        ({"volumes": ["rawx-3", "rawx-404"], "source": batch}, ["rawx-404"]),
    ]
    oio.sim.reset_writes()
    for options, parts in cases:
        result = oio("oio_rdir_index_copy", service_type="rawx", **options)
        assert result.failed and all(p in result.msg for p in parts), (options, result.msg)
    assert oio.sim.writes() == []


def test_rawx_copy_then_move(oio, ns, rdir_records):
    """25 records on an old rdir, 5 already on the new one (2 newer): copied
    three pages at a time through a 503, then moved."""
    rdir = ns.rawx["rawx-1"]
    old = ns.other_rdir("rawx", rdir)
    rdir_records.push(old, "rawx-1", "rawx", CHUNKS)
    newer = [dict(c, mtime=1800000000) for c in CHUNKS[3:5]]
    rdir_records.push(rdir, "rawx-1", "rawx", CHUNKS[:3] + newer)
    copy = {"service_type": "rawx", "volume": "rawx-1", "source": old, "page_size": 10}
    oio.sim.reset_writes()
    check = oio("oio_rdir_index_copy", check=True, diff=True, **copy)
    assert oio.sim.writes() == []
    assert check.changed and check["copied"] == 20 and check["removed_from_source"] == 0
    assert (check["source_count"], check["destination_count_before"],
            check["destination_count_after"]) == (25, 5, 25)
    assert (check["already_present"], check["differing"]) == (5, 2)
    assert check["destination_rdir"] == rdir
    diff = check["diff"]
    assert (diff["before"]["destination"]["records"], diff["after"]["destination"]["records"],
            diff["after"]["source"]["records"]) == (5, 25, 25)
    oio.sim.set_faults({"rules": [{"match": "/v1/rdir/push", "method": "POST",
                                   "service": "rdir", "action": "503", "times": 1}]})
    real = oio("oio_rdir_index_copy", **copy)
    oio.sim.clear_faults()
    assert real.changed and real["copied"] == 20
    assert len([w for w in real["warnings"] if "retrying" in w]) == 1
    mtimes = [r[-1]["mtime"] for r in rdir_records.fetch(rdir, "rawx-1", "rawx")]
    # Every record with its mtime, the newer ones kept.
    assert len(mtimes) == 25 and mtimes[19] == 1700000019 and mtimes[3] == 1800000000
    again = oio("oio_rdir_index_copy", **copy)
    assert not again.changed and again["copied"] == 0
    assert again["destination_count_before"] == 25

    move = dict(copy, remove_from_source=True, page_size=7)
    check, real, again = oio.converged("oio_rdir_index_copy", dict(move, destination=rdir))
    assert check.changed and check["copied"] == 0 and check["removed_from_source"] == 25
    assert real.changed and real["removed_from_source"] == 25
    assert rdir_records.fetch(old, "rawx-1", "rawx") == []
    assert not again.changed and again["source_count"] == 0
    assert again["destination_count_before"] == 25

    # A source that never indexed the volume: nothing to copy, a warning says why.
    source = old if ns.rawx["rawx-2"] != old else rdir
    none = oio("oio_rdir_index_copy", service_type="rawx", volume="rawx-2", source=source)
    assert not none.changed and not none["source_exists"]
    assert len([w for w in none["warnings"] if "has no index for volume rawx-2" in w]) == 1


def test_meta2_move_one_record_per_page(oio, ns, rdir_records):
    """The rdir returns limit + 1 container records: none is skipped."""
    vol = ns.meta2_vols[0]
    rdir, old = ns.meta2[vol], ns.other_rdir("meta2", ns.meta2[vol])
    rdir_records.push(old, vol, "meta2", CONTAINERS)
    move = {"service_type": "meta2", "volume": vol, "source": old, "remove_from_source": True,
            "page_size": 1}
    check, real, again = oio.converged("oio_rdir_index_copy", move)
    assert check.changed and (check["source_count"], check["copied"],
                              check["removed_from_source"]) == (7, 7, 7)
    assert real.changed and (real["copied"], real["removed_from_source"]) == (7, 7)
    moved = sorted(r["container_url"] for r in rdir_records.fetch(rdir, vol, "meta2"))
    assert moved == sorted(c["container_url"] for c in CONTAINERS)
    assert rdir_records.fetch(old, vol, "meta2") == []
    assert not again.changed and again["destination_count_before"] == 7


def test_one_moved_meta2_base_goes_to_another_volume(oio, ns, rdir_records):
    """Two container URLs share a prefix: only the selected record moves."""
    vol, vol2 = ns.meta2_vols[0], ns.meta2_vols[-1]
    rdir = ns.meta2[vol]
    rdir_records.push(rdir, vol, "meta2", [
        {"container_id": CID[:-2] + "A1", "container_url": "OPENIO/acct/moved1",
         "mtime": 1700000001},
        {"container_id": CID[:-2] + "A2", "container_url": "OPENIO/acct/moved10",
         "mtime": 1700000002}])
    check, real, again = oio.converged(
        "oio_rdir_index_copy",
        {"service_type": "meta2", "volume": vol, "source": rdir, "destination_volume": vol2,
         "containers": [CID[:-2] + "A1"], "prefix": "OPENIO/acct/moved1",
         "remove_from_source": True})
    assert check.changed and check["copied"] == 1 and check["source_count"] == 1
    assert real.changed and real["copied"] == 1 and real["removed_from_source"] == 1
    assert real["destination_volume"] == vol2 and not again.changed
    first = [r["container_url"] for r in rdir_records.fetch(rdir, vol, "meta2")]
    second = [r["container_url"] for r in rdir_records.fetch(ns.meta2[vol2], vol2, "meta2")]
    assert "OPENIO/acct/moved10" in first and "OPENIO/acct/moved1" not in first
    assert "OPENIO/acct/moved1" in second


def test_several_volumes_in_one_run(oio, ns, rdir_records):
    targets = {"rawx-3": ns.rawx["rawx-3"], "rawx-4": ns.rawx["rawx-4"]}
    source = ns.other_rdir("rawx", *targets.values())
    for vol in targets:
        rdir_records.push(source, vol, "rawx", CHUNKS[:4])
    check, real, again = oio.converged(
        "oio_rdir_index_copy",
        {"service_type": "rawx", "volumes": ["rawx-3", "rawx-4"], "source": source,
         "remove_from_source": True})
    assert check.changed and check["copied"] == 8 and check["removed_from_source"] == 8
    assert real.changed and real["copied"] == 8 and real["removed_from_source"] == 8
    assert real["volumes"]["rawx-3"]["copied"] == 4
    assert real["volumes"]["rawx-4"]["destination_rdir"] == targets["rawx-4"]
    assert not again.changed and again["source_count"] == 0
    assert len(rdir_records.fetch(targets["rawx-4"], "rawx-4", "rawx")) == 4
    # The rdirs given per volume, as the assignments give them: nothing left.
    given = oio("oio_rdir_index_copy", service_type="rawx", source=source,
                volumes=dict((vol, rdir.split(",")) for vol, rdir in targets.items()))
    assert not given.failed and not given.changed, given.msg
