"""oio_rdir_assignment_info in-process: which rdir each volume is assigned
to, and each status an audit reports."""


def test_bad_input_is_refused(oio):
    unknown = oio("oio_rdir_assignment_info", service_type="rawx", service_ids=["rawx-404"])
    assert unknown.failed and "rawx-404" in unknown.msg
    oio.sim.reset_stats()
    meta1 = oio("oio_rdir_assignment_info", service_type="meta1")
    assert meta1.failed and "rawx, meta2" in meta1.msg
    assert oio.sim.stats()["requests"] == 0


def test_each_status(oio):
    oio.sim.reset_writes()
    healthy = oio("oio_rdir_assignment_info", check=True, service_type="rawx")
    assert not healthy.changed and len(healthy["volumes"]) == 6
    assert healthy["summary"]["ok"] == 6 and len(healthy["rdirs"]) == 3
    assert sum(r["load"] for r in healthy["rdirs"].values()) == 6
    rdir = healthy["volumes"]["rawx-1"]["rdir"]
    assert rdir == healthy["volumes"]["rawx-1"]["rdirs"][0]
    assert oio("oio_rdir_assignment_info", service_type="meta2")["summary"]["ok"] == 2
    assert oio.sim.writes() == []
    # Every rdir sits on the site of its volumes.
    close = oio("oio_rdir_assignment_info", service_type="rawx", min_dist=4)
    assert close["summary"]["too_close"] == 6

    oio.sim.add_service({"type": "rawx", "id": "rawx-new",
                         "location": "site1.rack1.host9.rawx-new"})
    oio.sim.service_down(rdir)
    degraded = oio("oio_rdir_assignment_info", service_type="rawx")
    volumes = degraded["volumes"]
    assert (volumes["rawx-new"]["status"], volumes["rawx-new"]["rdir"]) == ("missing", None)
    assert volumes["rawx-1"]["status"] == "rdir_down" and degraded["rdirs"][rdir]["score"] == 0
    oio.sim.remove_service(rdir)
    gone = oio("oio_rdir_assignment_info", service_type="rawx", service_ids=["rawx-1"])
    assert list(gone["volumes"]) == ["rawx-1"] and len(gone["rdirs"]) == 2
    assert gone["volumes"]["rawx-1"]["status"] == "rdir_unknown"

    # A read that keeps failing is reported; the other volumes are not hurt.
    oio.sim.set_faults({"rules": [{"match": "reference/show", "service": "proxy",
                                   "rate": 1.0, "action": "503", "times": 2}]})
    flaky = oio("oio_rdir_assignment_info", service_type="rawx", retries=0, concurrency=1)
    assert not flaky.failed and flaky["summary"]["error"] == 2 and len(flaky["volumes"]) == 7
    errors = [v for v in flaky["volumes"].values() if v["status"] == "error"]
    assert errors[0]["error"]["http_status"] == 503 and len(flaky["warnings"]) == 2
