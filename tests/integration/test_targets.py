"""One pytest case per integration target (tests/integration/targets/<name>/main.yml).

A failed target names its first failed task (not an ignored one) and the
error. A target may hold ``sim.yml`` naming the simulator preset and topology
overrides it needs (``preset: small_bootstrapped``); the default is ``small``.
"""
import os

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, "targets")


def discover():
    if not os.path.isdir(TARGETS):
        return []
    return sorted(name for name in os.listdir(TARGETS)
                  if os.path.isfile(os.path.join(TARGETS, name, "main.yml")))


@pytest.mark.parametrize("target", discover())
def test_target(target, sim_factory, run_playbook):
    settings = {}
    sim_file = os.path.join(TARGETS, target, "sim.yml")
    if os.path.exists(sim_file):
        with open(sim_file) as handle:
            settings = yaml.safe_load(handle) or {}
    sim = sim_factory(**settings)
    result = run_playbook(os.path.join(TARGETS, target, "main.yml"), sim)
    assert result.rc == 0 and result.failed == 0, "%s: %s" % (target, result.failure)
