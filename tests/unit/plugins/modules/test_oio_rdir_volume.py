"""oio_rdir_volume in-process: a volume's database on its rdir, its
incident date, its lock, and the records cleared."""
import pytest

INCIDENT = 1700000050


@pytest.mark.parametrize("options, message", [
    ({"volume": "rawx-404"}, "rawx-404 has no rdir assigned"),
    ({"service_type": "meta2", "volume": "rawx-1", "state": "locked", "who": "me"},
     "only state=present"),
    ({"volume": "rawx-1", "state": "cleared", "incident_date": INCIDENT},
     "incident_date cannot be set with state=cleared"),
    ({"volume": "rawx-1", "all": True}, "state=cleared only"),
    ({"volume": "rawx-1", "state": "locked"}, "who"),
    ({"volume": "rawx-1", "incident_date": -1}, "incident_date must be at least 1, got -1"),
])
def test_bad_input_is_refused_before_any_write(oio, options, message):
    oio.sim.reset_writes()
    result = oio("oio_rdir_volume", **options)
    assert result.failed and message in result.msg
    assert oio.sim.writes() == []


def test_present(oio):
    rdir = oio("oio_rdir_assignment_info", service_type="rawx")["volumes"]["rawx-1"]["rdir"]
    # A volume assigned, whose database does not exist yet.
    oio.proxy("POST", "reference/force", {"seq": 1, "type": "rdir", "host": rdir, "args": ""},
              {"x-oio-action-mode": "autocreate"}, acct="_RDIR", ref="rawx-extra", type="rdir")
    check, real, again = oio.converged("oio_rdir_volume", {"volume": "rawx-extra"}, diff=True)
    assert check.changed and not check["diff"]["before"]["exists"]
    assert check["diff"]["after"]["exists"]
    assert real.changed and real["exists"] and real["rdir"] == rdir
    assert real["status"]["chunk"]["total"] == 0 and not again.changed
    # A meta2 index made at bootstrap is there already; its containers are counted.
    meta2 = sorted(oio("oio_rdir_assignment_info", service_type="meta2")["volumes"])[0]
    present = oio("oio_rdir_volume", check=True, service_type="meta2", volume=meta2)
    assert not present.changed and present["exists"] and present["status"] == {"containers": 0}


def test_incident_lock_unlock_and_clear(oio, rdir_records):
    check, real, again = oio.converged(
        "oio_rdir_volume", {"volume": "rawx-1", "incident_date": INCIDENT})
    assert check.changed and check["admin"]["incident_date"] == INCIDENT
    assert real.changed and real["admin"]["incident_date"] == INCIDENT and not again.changed

    lock = {"volume": "rawx-1", "state": "locked", "who": "rebuild-1"}
    check, real, again = oio.converged("oio_rdir_volume", lock)
    assert check.changed and check["admin"]["lock"] == "rebuild-1"
    assert real.changed and real["admin"]["lock"] == "rebuild-1" and not again.changed
    oio.sim.reset_writes()
    other = oio("oio_rdir_volume", **dict(lock, who="someone-else"))
    assert other.failed and "locked by rebuild-1" in other.msg
    assert oio.sim.writes() == []

    check, real, again = oio.converged("oio_rdir_volume", {"volume": "rawx-1", "state": "unlocked"})
    assert check.changed and check["admin"]["lock"] is None
    assert real.changed and real["admin"]["lock"] is None and not again.changed

    # Three chunks, two not younger than the incident.
    rdir = oio("oio_rdir_assignment_info", service_type="rawx")["volumes"]["rawx-1"]["rdir"]
    rdir_records.push(rdir, "rawx-1", "rawx", [
        {"container_id": "%064X" % 7, "content_id": "C0FFEE", "chunk_id": chunk, "mtime": mtime,
         "path": "obj", "version": 1}
        for chunk, mtime in (("AA01", INCIDENT - 100), ("AA02", INCIDENT),
                             ("AA03", INCIDENT + 100))])
    check, real, again = oio.converged(
        "oio_rdir_volume",
        {"volume": "rawx-1", "state": "cleared", "before_incident": True}, diff=True)
    assert check.changed and check["status_before"]["chunk"] == {"total": 3, "to_rebuild": 2}
    assert check["cleared"]["removed"] == 2 and check["cleared"]["incident_date_removed"]
    assert check["status"]["chunk"]["total"] == 1
    assert (check["diff"]["before"]["records"], check["diff"]["after"]["records"]) == (3, 1)
    assert real.changed and real["cleared"]["removed"] == 2
    assert real["status"]["chunk"] == {"total": 1}
    assert real["admin"] == {"lock": None, "incident_date": None}
    assert not again.changed and again["cleared"]["removed"] == 0

    check, real, again = oio.converged(
        "oio_rdir_volume", {"volume": "rawx-1", "state": "cleared", "all": True})
    assert check.changed and check["cleared"]["removed"] == 1
    assert real.changed and real["cleared"]["removed"] == 1
    assert real["status"]["chunk"]["total"] == 0 and not again.changed
