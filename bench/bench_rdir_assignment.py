#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time the rdir assignment reads over the simulator's ``large`` namespace
(2,000 rawx, 100 rdir, every volume assigned).

    .venv/bin/python bench/bench_rdir_assignment.py [--repeat 3] [--ansible]

For each run: wall time (best and median of ``--repeat``) and the HTTP
requests the simulator counted (``/_sim/stats``):

* info: what oio_rdir_assignment_info does (two conscience lists, one
  ``reference/show`` per volume at the default concurrency, statuses, loads);
* no-change: what oio_rdir_assignment does when nothing has to change (the
  same reads, then the planner);
* baseline: the same reads one request at a time, one volume after the other.

``--ansible`` also times the no-change run end to end through
ansible-playbook (interpreter start and module packaging included).
Goal: no-change under 3 s, at most one request per volume plus two lists.
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# collections/ansible_collections/openio/sds links to the repo root.
sys.path.insert(0, os.path.join(ROOT, "collections"))
sys.path.insert(0, os.path.join(ROOT, "simulator"))

from oiosim.testing import Simulator  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils.client import OioClient  # noqa: E402
from ansible_collections.openio.sds.plugins.module_utils import rdir as rdir_utils  # noqa: E402

DEFAULT_CONCURRENCY = 16
PARAMS = {"service_type": "rawx", "min_dist": 1, "replicas": 1}


def info_run(cli, concurrency):
    volumes, rdirs, assignments, errors = rdir_utils.gather(cli, "rawx", None, concurrency)
    dummy, dummy2, counts = rdir_utils.assignment_report(volumes, rdirs, assignments, errors)
    assert counts["ok"] == len(volumes), counts
    return len(volumes)


def no_change_run(cli, concurrency):
    volumes, rdirs, assignments, errors = rdir_utils.gather(cli, "rawx", None, concurrency)
    plan = rdir_utils.plan(volumes, rdirs, assignments, errors, min_dist=PARAMS["min_dist"],
                           replicas=PARAMS["replicas"])
    assert not plan.changes and not errors, (plan.changes[:3], errors)
    return len(volumes)


def measure(sim, func, concurrency, repeat):
    times, cpu, requests = [], [], None
    for dummy in range(repeat):
        cli = OioClient(sim.proxy_url, sim.namespace)
        sim.reset_stats()
        start, start_cpu = time.perf_counter(), time.process_time()
        volumes = func(cli, concurrency)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        requests = sim.stats()["requests"]
    return min(times), statistics.median(times), min(cpu), requests, volumes


def ansible_run(sim):
    book = ("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
            "    - openio.sds.oio_rdir_assignment: {service_type: rawx}\n"
            "      register: run\n"
            "    - ansible.builtin.assert: {that: [run is not changed]}\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "play.yml")
        with open(path, "w") as handle:
            handle.write(book)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "collections"),
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_HOME=tmp,
                   ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                   OIO_PROXYD_URL=sim.proxy_url, OIO_NS=sim.namespace)
        sim.reset_stats()
        start = time.perf_counter()
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                               path], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True)
        elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-3000:])
    return elapsed, sim.stats()["requests"]


def goal(text, met, figure):
    print("goal %s: %s (%s)" % (text, "met" if met else "NOT met", figure))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", default="none", choices=["none", "real"],
                        help="latency profile of the simulated proxy (real: a 7.3.0 cluster's)")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--ansible", action="store_true",
                        help="also time the module end to end through ansible-playbook")
    args = parser.parse_args()
    print("profile=%s" % args.profile)
    with Simulator(preset="large", profile=args.profile) as sim:
        rows = [
            ("info", info_run, args.concurrency),
            ("no-change", no_change_run, args.concurrency),
            ("baseline (sequential)", no_change_run, 1),
        ]
        print("large preset, %d run(s) each, concurrency %d (load average %.2f)"
              % (args.repeat, args.concurrency, os.getloadavg()[0]))
        results = {}
        per_volume = {}
        for name, func, conc in rows:
            best, median, cpu, requests, volumes = measure(sim, func, conc, args.repeat)
            results[name] = best
            per_volume[name] = (requests - 2) / float(volumes)
            print("%-22s best %6.3f s  median %6.3f s  client CPU %6.3f s  %5d requests "
                  "for %d volumes (%.3f per volume beyond the 2 lists)"
                  % (name, best, median, cpu, requests, volumes,
                     (requests - 2) / float(volumes)))
        print("speed-up over the sequential baseline: %.2fx"
              % (results["baseline (sequential)"] / results["no-change"]))
        goal("no-change run < 3 s", results["no-change"] < 3.0,
             "best %.3f s" % results["no-change"])
        worst = max(per_volume["info"], per_volume["no-change"])
        goal("<= 1 request per volume beyond the 2 conscience lists", worst <= 1.0,
             "%.3f per volume" % worst)
        if args.ansible:
            elapsed, requests = ansible_run(sim)
            print("%-22s %6.3f s  %5d requests (ansible-playbook, end to end)"
                  % ("no-change (module)", elapsed, requests))
        print(json.dumps({"machine_cpus": os.cpu_count(),
                          "load_average_after": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
