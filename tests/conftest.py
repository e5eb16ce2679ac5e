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
SIM_DIR = os.path.join(TESTS, "simulator")
if SIM_DIR not in sys.path:
    sys.path.insert(0, SIM_DIR)

# The collection lives at the repo root: expose it as
# ansible_collections.openio.sds through a symlink under build/collections.
COLLECTIONS = os.path.join(ROOT, "build", "collections")
_LINK = os.path.join(COLLECTIONS, "ansible_collections", "openio", "sds")
if not os.path.exists(_LINK):
    try:
        os.makedirs(os.path.dirname(_LINK), exist_ok=True)
        os.symlink(ROOT, _LINK)
    except FileExistsError:
        pass
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

from oiosim.testing import Simulator  # noqa: E402


@pytest.fixture
def sim_factory():
    started = []

    def factory(preset=None, topology=None, **overrides):
        if overrides and topology is None:
            from oiosim import topology as topo_mod
            topology = topo_mod.load(preset)
            topology.update(overrides)
            topology.pop("_dir", None)
            topology["_dir"] = topo_mod.PRESET_DIR
        sim = Simulator(preset=preset or ("small" if topology is None else None),
                        topology=topology)
        started.append(sim)
        return sim.start()

    yield factory
    for sim in started:
        sim.stop()


@pytest.fixture
def simulator(sim_factory):
    return sim_factory("small")
