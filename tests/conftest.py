"""Shared fixtures: a simulated OpenIO namespace per test.

``simulator`` is a fresh ``small`` namespace (not bootstrapped);
``sim_factory(preset=None, topology=None, **overrides)`` starts others.
Every simulator started here is stopped (by PID) at teardown.
"""
import os
import sys

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
# The simulator package (oiosim), shipped at the collection's top level.
SIM_DIR = os.path.join(ROOT, "simulator")


def _collections_dir():
    """The directory holding ansible_collections/openio/sds.

    An installed copy (.../ansible_collections/openio/sds) is used where it
    lies; a clone has collections/ansible_collections/openio/sds, a link to
    the repo root. Nothing is written either way.
    """
    namespace_dir = os.path.dirname(ROOT)
    top = os.path.dirname(namespace_dir)
    if (os.path.basename(ROOT), os.path.basename(namespace_dir),
            os.path.basename(top)) == ("sds", "openio", "ansible_collections"):
        return os.path.dirname(top)
    return os.path.join(ROOT, "collections")


COLLECTIONS = _collections_dir()
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

# Both a clone and an installed copy have it; a copy without it (a partial
# checkout) skips the tests that need a simulated namespace.
HAVE_SIMULATOR = os.path.isdir(os.path.join(SIM_DIR, "oiosim"))
if HAVE_SIMULATOR and SIM_DIR not in sys.path:
    sys.path.insert(0, SIM_DIR)


# The OpenIO SDS release the simulators answer as, for the whole run:
# OIO_TEST_RELEASE=2026.14 (make test runs the suite once per release);
# unset, each preset's own (7.3.0 but for lab2026). A test that is about
# one release names it (release="7.3.0").
TEST_RELEASE = os.environ.get("OIO_TEST_RELEASE") or None


# The files whose tests take longest (playbook runs) first, each in its
# order: the workers of a run steal what is left from the end of each other's
# share, so that short tests, not a long one, end the run.
LONGEST_FIRST = ("tests/integration/test_roles.py", "tests/integration/test_twin.py",
                 "tests/integration/test_lease.py", "tests/integration/test_targets.py",
                 "tests/integration/test_dry_runs.py", "tests/integration/", "tests/library/")


def _longest_first(item):
    for rank, prefix in enumerate(LONGEST_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(LONGEST_FIRST)


def pytest_collection_modifyitems(config, items):
    """A scenario marked ``one_release("2026.14")`` runs where the run is
    against that release, or in a run against no release in particular: it
    takes the same course on both, and make test, which runs the suite once
    per release, need not play it twice. What the releases do differently is
    proven against both by the modules' own tests and the unmarked ones."""
    items.sort(key=_longest_first)
    if not TEST_RELEASE:
        return
    keep, elsewhere = [], []
    for item in items:
        mark = item.get_closest_marker("one_release")
        (elsewhere if mark and mark.args[0] != TEST_RELEASE else keep).append(item)
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = keep


@pytest.fixture
def sim_factory():
    if not HAVE_SIMULATOR:
        pytest.skip("simulator/ is not part of this copy")
    from oiosim.testing import Simulator
    started = []

    def factory(preset=None, topology=None, release=None, **overrides):
        if overrides and topology is None:
            from oiosim import topology as topo_mod
            topology = topo_mod.load(preset)
            topology.update(overrides)
            topology.pop("_dir", None)
            topology["_dir"] = topo_mod.PRESET_DIR
        sim = Simulator(preset=preset or ("small" if topology is None else None),
                        topology=topology, release=release or TEST_RELEASE)
        started.append(sim)
        return sim.start()

    yield factory
    for sim in started:
        sim.stop()


@pytest.fixture
def simulator(sim_factory):
    return sim_factory("small")


# The `conformance` section at the end of a run: the pass rate of the
# captured exchanges replayed by tests/conformance/test_transcripts.py.
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
    tr.write_line("transcripts passing: %d/%d (%.1f%%)"
                  % (passed, total, 100.0 * passed / total))
    for outcome in ("failed", "xfail", "xpass", "skipped"):
        names = sorted(n for n, o in _OUTCOMES.items() if o == outcome)
        if names:
            tr.write_line("%s (%d): %s" % (outcome, len(names), ", ".join(names)))
