"""Prints the conformance pass rate at the end of a run."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# compare.py and replay.py sit beside the tests (tests/conftest.py has put
# the simulator on the path).
if HERE not in sys.path:
    sys.path.insert(0, HERE)

_OUTCOMES = {}


def pytest_runtest_logreport(report):
    if "test_transcripts.py::test_transcript[" not in report.nodeid:
        return
    name = report.nodeid.split("[", 1)[1].rstrip("]")
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        if hasattr(report, "wasxfail"):
            outcome = "xfail" if report.skipped else "xpass"
        else:
            outcome = report.outcome
        _OUTCOMES[name] = outcome


def pytest_terminal_summary(terminalreporter):
    if not _OUTCOMES:
        return
    total = len(_OUTCOMES)
    passed = sum(1 for o in _OUTCOMES.values() if o == "passed")
    tr = terminalreporter
    tr.section("conformance")
    tr.write_line("transcripts passing: %d/%d (%.1f%%)" % (passed, total,
                                                        100.0 * passed / total))
    for outcome in ("failed", "xfail", "xpass", "skipped"):
        names = sorted(n for n, o in _OUTCOMES.items() if o == outcome)
        if names:
            tr.write_line("%s (%d): %s" % (outcome, len(names), ", ".join(names)))
