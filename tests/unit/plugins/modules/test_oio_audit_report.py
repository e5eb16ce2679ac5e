"""oio_audit_report in-process: the report's files written in one step, each
whole, only when they differ, nothing in check mode or on bad input. It
talks to no namespace: no simulator here."""
import os
import stat

FILES = {"report.json": '{"ok": true}\n', "summary.txt": "Result: OK, nothing found\n"}


def listing(path):
    return sorted(os.listdir(str(path))) if os.path.exists(str(path)) else None


def test_check_mode_then_twice(oio_bare, tmp_path):
    path = tmp_path / "audit"
    checked = oio_bare("oio_audit_report", check=True, path=str(path), files=FILES)
    assert checked.changed and checked["written"] == ["report.json", "summary.txt"]
    assert listing(path) is None
    first = oio_bare("oio_audit_report", path=str(path), files=FILES)
    assert first.changed and first["written"] == ["report.json", "summary.txt"]
    assert (path / "summary.txt").read_text() == FILES["summary.txt"]
    assert stat.S_IMODE(os.stat(str(path / "report.json")).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o755
    second = oio_bare("oio_audit_report", path=str(path), files=FILES)
    assert not second.changed and second["unchanged"] == ["report.json", "summary.txt"]
    # One file changed: only that one is written again; no temporary file left.
    third = oio_bare("oio_audit_report", path=str(path), files=dict(
        FILES, **{"summary.txt": "Result: 1 finding(s)\n"}))
    assert third.changed and third["written"] == ["summary.txt"]
    assert listing(path) == ["report.json", "summary.txt"]
    # A mode of its own makes a change too.
    private = oio_bare("oio_audit_report", path=str(path), files=FILES, mode="0600")
    assert private["written"] == ["report.json", "summary.txt"]
    assert stat.S_IMODE(os.stat(str(path / "report.json")).st_mode) == 0o600


def test_bad_input_is_refused_before_any_write(oio_bare, tmp_path):
    path = tmp_path / "audit"
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    for args, message in (
            ({"files": {"../escape.txt": "x", "ok.txt": "y"}}, "plain file names"),
            ({"files": {"": "x"}}, "plain file names"),
            ({"files": {"report.json": {"ok": True}}}, "the content of report.json must be text"),
            ({"files": FILES, "mode": "rw-r--r--"}, "mode must be an octal number"),
            ({"files": FILES, "directory_mode": "99"}, "mode must be an octal number"),
            ({"files": FILES, "path": str(a_file)}, "path exists and is not a directory")):
        result = oio_bare("oio_audit_report", **dict({"path": str(path)}, **args))
        assert result.failed and message in result.msg, (args, result.msg)
        assert not result.changed
    assert listing(path) is None and listing(tmp_path) == ["taken"]
    # It takes no connection options: a module_defaults group would not reach it.
    result = oio_bare("oio_audit_report", path=str(path), files=FILES,
                      proxy_url="http://127.0.0.1:6006")
    assert result.failed and "proxy_url" in result.msg
