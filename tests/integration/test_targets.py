"""One pytest case per integration target (tests/integration/targets/<name>/main.yml).

A failed target names its first failed task (not an ignored one) and the
error. A target may hold ``sim.yml`` naming the simulator preset and topology
overrides it needs (``preset: small_bootstrapped``); the default is ``small``.
``one_release: 7.3.0`` there marks a target that takes the same course on
both releases (tests/conftest.py).
"""
import os

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, "targets")


def sim_settings(target):
    sim_file = os.path.join(TARGETS, target, "sim.yml")
    if not os.path.exists(sim_file):
        return {}
    with open(sim_file) as handle:
        return yaml.safe_load(handle) or {}


def discover():
    if not os.path.isdir(TARGETS):
        return []
    names = sorted(name for name in os.listdir(TARGETS)
                   if os.path.isfile(os.path.join(TARGETS, name, "main.yml")))
    params = []
    for name in names:
        release = sim_settings(name).get("one_release")
        marks = [pytest.mark.one_release(str(release))] if release else []
        params.append(pytest.param(name, marks=marks))
    return params


@pytest.mark.parametrize("target", discover())
def test_target(target, sim_factory, run_playbook):
    settings = sim_settings(target)
    settings.pop("one_release", None)
    sim = sim_factory(**settings)
    result = run_playbook(os.path.join(TARGETS, target, "main.yml"), sim)
    assert result.rc == 0 and result.failed == 0, "%s: %s" % (target, result.failure)
