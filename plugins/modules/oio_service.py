#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_service
short_description: Lock or unlock a service's score, or wait for the services of some types
version_added: 1.0.0
description:
  - Locks the score of one service in the conscience (at 0 by default, so that it gets no
    new bases, links or chunks), or unlocks it so that the conscience computes its score again.
  - Or waits until the services of a type (or of several, O(min_counts)) are there and usable,
    for example before a bootstrap.
options:
  type:
    description:
      - The service type, for example V(meta1) or V(rawx).
      - Required, but with O(state=available) and O(min_counts).
    type: str
    aliases: [service_type]
  service:
    description:
      - The service to lock or unlock, by service ID or C(IP:PORT) address.
      - With O(state=locked) and O(state=unlocked), this or O(services) is required.
    type: str
  services:
    description:
      - Several services of O(type) to lock or unlock in one task, by service ID or C(IP:PORT)
        address, for example every new rawx of a cluster. Each is locked or unlocked only when
        it is not already; a name the conscience does not list fails the task before anything
        is sent.
      - Mutually exclusive with O(service).
    type: list
    elements: str
    version_added: 1.1.0
  state:
    description:
      - V(locked) locks the score at O(score). Nothing changes if it is already locked at that score.
      - V(unlocked) lets the conscience compute the score again. Nothing changes if it is not locked.
      - V(available) changes nothing and waits until at least O(min_count) services of the type
        (and every one of O(service_ids), when given) are up with a score of at least O(min_score).
    type: str
    choices: [locked, unlocked, available]
    default: available
  score:
    description:
      - The score to lock at, from 0 to 100.
    type: int
    default: 0
  min_count:
    description:
      - With O(state=available), how many services must be ready.
      - At least 0.
    type: int
    default: 1
  min_counts:
    description:
      - With O(state=available), instead of O(type) and O(min_count), the number of services
        that must be ready, by type (see the examples); one task waits for them all.
    type: dict
  min_score:
    description:
      - With O(state=available), the lowest score a ready service may have. The default, 1,
        means every ready service has a score above 0.
      - From 0 to 100.
    type: int
    default: 1
  service_ids:
    description:
      - With O(state=available), services (IDs or addresses) that must all be ready. When
        the wait times out, the error names those the conscience does not list at all.
    type: list
    elements: str
    default: []
  wait_timeout:
    description:
      - With O(state=available), seconds to wait before failing. V(0) checks once.
      - The conscience refreshes what the proxy lists every few seconds, so a lock or unlock
        may take that long to show.
      - From 0 to 86400.
    type: int
    default: 60
  wait_interval:
    description:
      - Seconds between two checks while waiting.
      - From 0.1 to 3600.
    type: float
    default: 2
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.attributes
  - openio.sds.attributes.stateful
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Take meta1 10.0.0.4:6110 out of new work
  openio.sds.oio_service:
    type: meta1
    service: 10.0.0.4:6110
    state: locked

- name: Give it back to the conscience
  openio.sds.oio_service:
    type: meta1
    service: 10.0.0.4:6110
    state: unlocked

- name: Unlock three new rawx in one task
  openio.sds.oio_service:
    type: rawx
    services: [rawx-7, rawx-8, 10.0.0.9:6201]
    state: unlocked

- name: Wait for six rawx with a positive score
  openio.sds.oio_service:
    type: rawx
    state: available
    min_count: 6
    wait_timeout: 300

- name: Wait for the directory's services, all in one task
  openio.sds.oio_service:
    state: available
    min_counts: {meta0: 3, meta1: 3, rdir: 3}
'''

RETURN = r'''
service:
  description: The service after the task (locked or unlocked), as M(openio.sds.oio_service_info) returns it.
  returned: when O(service) is given
  type: dict
services:
  description:
    - With O(state=available), the ready services of the type (of each type of O(min_counts),
      type after type).
    - With O(services), each of them after the task, in the order given.
  returned: when O(state=available), or O(services) is given
  type: list
  elements: dict
waited:
  description: Seconds spent waiting.
  returned: when O(state=available)
  type: float
'''

import time

from ansible_collections.openio.sds.plugins.module_utils.module import InvalidInput, OioModule
from ansible_collections.openio.sds.plugins.module_utils.services import (
    availability, find_service, set_lock, unknown_keys)
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts


def lock_summary(service):
    return {"locked": service["locked"], "locks": service["locks"], "score": service["score"]}


def lock_or_unlock(module):
    params = module.params
    names = [params["service"]] if params["service"] else params["services"]
    if not names or not all(names):
        raise InvalidInput("services: name at least one service, and no empty one")
    listed = facts(module.client).services(params["type"])
    unknown = unknown_keys(listed, names)
    if unknown:
        raise InvalidInput("no %s service %s in the conscience"
                           % (params["type"], ", ".join(repr(name) for name in unknown)))
    # A service named twice (by ID and by address) is changed once.
    by_addr = {}
    for name in names:
        current = find_service(listed, name)
        by_addr.setdefault(current["addr"], (name, current))
    targets = list(by_addr.values())
    want_locked = params["state"] == "locked"
    # On 2026.14 the put and get scores lock apart: locked means both are,
    # unlocked that neither is (a half-locked service is changed either way).
    both = {"put": want_locked, "get": want_locked}
    to_change, after = [], []
    for name, current in targets:
        if want_locked:
            changed = not current["fully_locked"] or current["score"] != params["score"]
            predicted = dict(current, locked=True, fully_locked=True, locks=both,
                             score=params["score"])
        else:
            changed = current["locked"]
            predicted = dict(current, locked=False, fully_locked=False, locks=both)
        if changed:
            to_change.append(current)
        after.append(predicted)
    module.changed = bool(to_change)
    if to_change and not module.check_mode:
        for current in to_change:
            set_lock(module.client, current, params["type"], want_locked, params["score"])
        # The proxy may serve the list from a cache for a few seconds; report
        # the fresh entries that already show the change.
        fresh = facts(module.client).services(params["type"])
        for index, (name, dummy) in enumerate(targets):
            entry = find_service(fresh, name)
            if entry is not None and entry["locks"] == both:
                after[index] = entry
    release = facts(module.client).release.name
    if params["service"]:
        module.record_before(lock_summary(targets[0][1]))
        module.record_after(lock_summary(after[0]))
        return {"service": after[0], "release": release}
    module.record_before(dict((current["id"], lock_summary(current)) for dummy, current in targets))
    module.record_after(dict((entry["id"], lock_summary(entry)) for entry in after))
    return {"services": after, "release": release}


def expected_counts(params):
    """``{type: min_count}``: O(min_counts), or O(type) with O(min_count)."""
    if params["min_counts"] is None:
        return {params["type"]: params["min_count"]}
    if not params["min_counts"]:
        raise InvalidInput("min_counts: name at least one service type")
    if params["service_ids"]:
        raise InvalidInput("service_ids goes with type, not with min_counts")
    counts = {}
    for service_type, count in params["min_counts"].items():
        try:
            counts[service_type] = int(str(count))
        except ValueError:
            counts[service_type] = -1
        if counts[service_type] < 0:
            raise InvalidInput("min_counts: the count of %s must be an integer of 0 or more, "
                               "not %r" % (service_type, count))
    return counts


def wait_available(module):
    params = module.params
    wanted = expected_counts(params)
    listed = facts(module.client)
    start = time.time()
    while True:
        unready, ready_services = [], []
        for service_type, count in wanted.items():
            services = listed.services(service_type)
            ready, ready_of_type, missing = availability(
                services, count, params["min_score"], params["service_ids"])
            ready_services.extend(ready_of_type)
            if not ready:
                detail = "missing or not ready: %s" % ", ".join(missing) if missing else \
                    "%d of %d ready" % (len(ready_of_type), count)
                unknown = unknown_keys(services, missing)
                if unknown:
                    detail += "; not in the conscience at all: %s" % ", ".join(unknown)
                unready.append("%s (%s)" % (service_type, detail))
        waited = round(time.time() - start, 1)
        if not unready:
            return {"services": ready_services, "waited": waited}
        if waited >= params["wait_timeout"]:
            module.fail("timed out after %ss waiting for services with a score >= %d: %s"
                        % (params["wait_timeout"], params["min_score"], "; ".join(unready)),
                        services=ready_services, waited=waited)
        time.sleep(params["wait_interval"])


# Ranges of the number options, checked before anything is sent.
RANGES = dict(min_count=(0, None), min_score=(0, 100), score=(0, 100),
              wait_interval=(0.1, 3600), wait_timeout=(0, 86400))


def main():
    module = OioModule(ranges=RANGES, argument_spec=dict(
        type=dict(type="str", aliases=["service_type"]),
        service=dict(type="str"),
        services=dict(type="list", elements="str"),
        state=dict(type="str", default="available", choices=["locked", "unlocked", "available"]),
        score=dict(type="int", default=0),
        min_count=dict(type="int", default=1),
        min_counts=dict(type="dict"),
        min_score=dict(type="int", default=1),
        service_ids=dict(type="list", elements="str", default=[]),
        wait_timeout=dict(type="int", default=60),
        wait_interval=dict(type="float", default=2),
    ), required_if=[("state", "locked", ["service", "services"], True),
                    ("state", "unlocked", ["service", "services"], True)],
        required_one_of=[("type", "min_counts")],
        mutually_exclusive=[("type", "min_counts"), ("service", "services")],
        only_with=[("min_counts", "state", "available")])
    if module.params["state"] == "available":
        module.run(wait_available)
    else:
        module.run(lock_or_unlock)


if __name__ == "__main__":
    main()
