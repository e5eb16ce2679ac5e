"""Run playbooks through ansible-playbook against a simulated namespace.

Every integration target is a playbook that asserts its own expectations
(check mode with an empty write log, real run, idempotent re-run, bad input)
and talks to the simulator over loopback HTTP, like it would to a cluster.
"""
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# collections/ansible_collections/openio/sds links to the repo root.
COLLECTIONS = os.path.join(ROOT, "collections")
# oiosim.testing: the targets' controller-side calls to the simulator's
# control API (write log, faults), test-only.
TEST_COLLECTIONS = os.path.join(ROOT, "tests", "integration", "collections")
RECAP = re.compile(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
                   r"\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)")


TASK = re.compile(r"^TASK \[(.*)\] \*+$")


def failed_task(output):
    """``task "<name>": <its error line>`` of the first failure the play did
    not ignore, so that a failed run names what failed."""
    task, failure = None, None
    for line in output.splitlines() + ["TASK [end] ***"]:
        match = TASK.match(line)
        if match:
            if failure:
                return 'task "%s": %s' % (task, failure[:500])
            task, failure = match.group(1), None
        elif line.startswith(("fatal: ", "failed: ")):
            failure = failure or line
        elif "...ignoring" in line:
            # The task's failures (every item of a loop) were ignored.
            failure = None
    return "failed (see the output above)"


class PlaybookResult(object):
    def __init__(self, proc):
        self.rc = proc.returncode
        self.output = proc.stdout
        match = None
        for match in RECAP.finditer(self.output):
            pass
        counts = [int(g) for g in match.groups()] if match else [0] * 7
        (self.ok, self.changed, self.unreachable, self.failed,
         self.skipped, self.rescued, self.ignored) = counts

    @property
    def failure(self):
        """The first failed task and its error, for an assertion's message."""
        return failed_task(self.output)


# tools/bytecode/sitecustomize.py: the modules' code compiled once per run,
# not once per task.
BYTECODE = os.path.join(ROOT, "tools", "bytecode")


def ansible_env(tmp_path, sim=None, bytecode_cache=None):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join((COLLECTIONS, TEST_COLLECTIONS)),
        # Everything Ansible writes stays under the test's temp folder: the
        # async wrapper and async_status must agree on the job directory
        # whatever HOME says.
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local-tmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote-tmp"),
        "ANSIBLE_ASYNC_DIR": str(tmp_path / "ansible-async"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        # Local connection without temp files: about 20% faster per task.
        "ANSIBLE_PIPELINING": "1",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_ROLES_PATH": os.path.join(ROOT, "roles"),
        "PATH": os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
    })
    # The modules must not pick up a developer's own cluster.
    for name in ("OIO_PROXYD_URL", "OIO_NS"):
        env.pop(name, None)
    if sim is not None:
        env["OIO_PROXYD_URL"] = sim.proxy_url
        env["OIO_NS"] = sim.namespace
    if bytecode_cache:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (BYTECODE, env.get("PYTHONPATH")) if p)
        env["OIO_TEST_BYTECODE_CACHE"] = bytecode_cache
    return env


@pytest.fixture(scope="session")
def bytecode_cache(tmp_path_factory):
    """Where the modules' compiled code is kept (one folder per worker)."""
    return str(tmp_path_factory.mktemp("bytecode"))


@pytest.fixture
def run_playbook(tmp_path, bytecode_cache):
    """``run_playbook(path, sim, extra_vars=None, check=False, diff=False, args=())``."""

    def run(playbook, sim=None, extra_vars=None, check=False, diff=False, args=()):
        variables = {}
        if sim is not None:
            variables.update(oio_proxy_url=sim.proxy_url, oio_namespace=sim.namespace,
                             sim_control_url=sim.control_url, sim_rdir_urls=sim.rdir_urls)
        variables.update(extra_vars or {})
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               playbook, "-e", json.dumps(variables)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        cmd.extend(args)
        proc = subprocess.run(cmd, env=ansible_env(tmp_path, sim, bytecode_cache), cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=900, check=False)
        result = PlaybookResult(proc)
        sys.stdout.write(result.output)
        return result

    return run


# A play on localhost whose modules get the simulator's address through the
# action group; ``tasks`` is YAML indented by four spaces.
PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/openio.sds.oio:
      proxy_url: "{{ oio_proxy_url }}"
      namespace: "{{ oio_namespace }}"
  tasks:
%s
"""


@pytest.fixture
def write_play(tmp_path):
    """``write_play(name, tasks)``: the path of a play with those tasks."""
    def write(name, tasks):
        path = tmp_path / name
        path.write_text(PLAY % tasks)
        return str(path)
    return write
