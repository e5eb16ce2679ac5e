#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_rdir_assignment
short_description: Give every rawx or meta2 volume an rdir service
version_added: 1.0.0
description:
  - Makes sure every volume of one type (rawx volumes or meta2 services) has an rdir
    service that keeps its reverse index, the way C(openio rdir bootstrap) and
    C(openio-admin rdir reassign) do, for a whole namespace at once.
  - The assignment of a volume is the reference C(_RDIR/<volume id>) with an C(rdir)
    service linked at seq 1. The volume ID is the service ID of the volume, or its
    address when it has none.
  - Reads the assignment of every volume with one request each, several at a time
    (O(concurrency)), retrying transient failures. A volume whose assignment still
    cannot be read is reported in RV(unreadable), left alone, and makes the task fail
    once the other volumes are done.
  - Keeps healthy assignments. Gives an rdir to volumes that have none, and a new one to
    volumes whose rdir is down (score 0), unknown to the conscience, or closer than
    O(min_dist). Choices balance the number of volumes per rdir and prefer rdirs far
    from the volume.
  - Writes each change with C(reference/force) (C(replace=yes) when the volume had an
    assignment; an "already linked" answer is accepted when the stored rdir is the one
    wanted), then creates the volume's database on the new rdir. A failed database
    creation is only a warning, as the rdir also creates it on the first record.
  - Loads count the volumes of O(service_type) only; rawx and meta2 indexes are
    balanced separately.
  - Moves assignments only. The index records of a reassigned volume stay on its former
    rdir; copy them with M(openio.sds.oio_rdir_index_copy). The decommission role does,
    a batch of volumes at a time (O(max_changes)).
options:
  service_type:
    description:
      - The kind of volumes to handle.
    type: str
    required: true
    choices: [rawx, meta2]
  service_ids:
    description:
      - Only these volumes may change (service IDs or addresses). The other volumes
        still count in the load of their rdir.
      - An ID that is not in the conscience is an error, raised before any write.
    type: list
    elements: str
  include_locked:
    description:
      - Also handle volumes whose score is 0, for example a new rawx that is not
        unlocked yet. By default they are left as they are and listed in RV(skipped_volumes).
    type: bool
    default: false
  max_per_rdir:
    description:
      - The most volumes of this type one rdir may index.
      - When some volumes cannot get an rdir under that limit, the task fails before
        writing anything and names them.
      - At least 1.
    type: int
  min_dist:
    description:
      - Minimum distance between a volume and its rdir, and between the rdirs of one
        volume (1 other volume, 2 other host, 3 other rack, 4 other site).
      - An assignment closer than that is replaced.
      - From 1 to 4.
    type: int
    default: 1
  replicas:
    description:
      - Number of rdir per volume. OpenIO SDS 7.3.0 uses only one; with more, they are
        stored comma-separated in one entry as newer releases do, and 7.3.0 tools see
        only the first.
      - From 1 to 5.
    type: int
    default: 1
  reassign_from:
    description:
      - Service ID or address of an rdir to move every volume away from, for example
        before decommissioning it. Nothing is assigned to it.
      - It must name an rdir the conscience lists, or one that some volume is still
        assigned to; anything else fails before any write, naming the value.
    type: str
  rebalance:
    description:
      - Also move healthy assignments so that the rdir loads end within one of each
        other where the constraints allow, with as few moves as possible.
    type: bool
    default: false
  max_changes:
    description:
      - Write at most this many of the planned changes, the first ones of the plan (a
        batch); the others are counted in RV(changes_left), and the next run plans again
        from the assignments as they are. By default, all.
    type: int
  concurrency:
    description:
      - How many requests run at the same time, for reads and writes.
      - From 1 to 64.
    type: int
    default: 16
notes:
  - The volumes and rdirs come from two conscience lists; each volume then costs one
    read, and each change two writes (the reference and the rdir database).
  - Use M(openio.sds.oio_rdir_assignment_info) to audit assignments without planning.
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.attributes
  - openio.sds.attributes.stateful
attributes:
  diff_mode:
    details:
      - The diff shows the number of volumes per rdir before and after, and the volumes
        that change (the first 50 of them).
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Give every rawx volume an rdir, at least one host away
  openio.sds.oio_rdir_assignment:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    service_type: rawx
    min_dist: 2

- name: Before removing rdir 10.0.0.5:6300, move its volumes elsewhere
  openio.sds.oio_rdir_assignment:
    service_type: rawx
    reassign_from: 10.0.0.5:6300

- name: Give a new rawx, still locked at score 0, its rdir
  openio.sds.oio_rdir_assignment:
    service_type: rawx
    service_ids: [rawx-42]
    include_locked: true

- name: Audit what would change, writing nothing
  openio.sds.oio_rdir_assignment:
    service_type: meta2
    max_per_rdir: 100
  check_mode: true
  diff: true
  register: plan
'''

RETURN = r'''
changes:
  description: The volumes whose rdir changes (or would, in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    volume:
      description: Volume ID.
      type: str
    old:
      description: rdir hosts stored before (empty when it had none).
      type: list
      elements: str
    new:
      description: rdir hosts written (service ID, else address).
      type: list
      elements: str
    reason:
      description: Why it changes, V(missing), V(rdir_down), V(rdir_unknown), V(too_close),
        V(reassign), V(rebalance) or V(excess).
      type: str
  sample: [{volume: rawx-3, old: [10.0.0.5:6300], new: [10.0.0.6:6300], reason: rdir_down}]
changes_left:
  description: Planned changes left for a later run by O(max_changes).
  returned: always
  type: int
assignments:
  description: The rdir IDs of every volume after the run (predicted in check mode).
  returned: always
  type: dict
  sample: {rawx-1: [10.0.0.6:6300]}
load_before:
  description: Volumes of this type per rdir before the run.
  returned: always
  type: dict
  sample: {10.0.0.5:6300: 4, 10.0.0.6:6300: 2}
load_after:
  description: Volumes of this type per rdir after the run.
  returned: always
  type: dict
  sample: {10.0.0.5:6300: 3, 10.0.0.6:6300: 3}
skipped_volumes:
  description: Volumes with score 0 left alone (see O(include_locked)).
  returned: always
  type: list
  elements: str
unassignable:
  description: Volumes no rdir can take, with the reason. The task fails when this is
    not empty, before any write.
  returned: always
  type: list
  elements: dict
  sample: [{volume: rawx-6, reason: "every eligible rdir is full at max_per_rdir=2"}]
unreadable:
  description: Volumes whose assignment could not be read after retries, with the
    error. They are left alone and the task fails once the others are done.
  returned: always
  type: dict
  sample: {rawx-2: {method: GET, http_status: 503, status: 503, message: "No meta1 answered"}}
failed_writes:
  description: Volumes whose write failed, with the error. The task then fails.
  returned: always
  type: dict
'''

from ansible_collections.openio.sds.plugins.module_utils.client import CONCURRENCY_RANGE
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule
from ansible_collections.openio.sds.plugins.module_utils import rdir as rdir_utils
from ansible_collections.openio.sds.plugins.module_utils.rdir_planner import first_changes


def work(module):
    params = module.params
    rdir_utils.check_volumes(params["service_type"], params["service_ids"])
    flush_warnings = rdir_utils.quiet_retries(module.client, module.warn)
    client = module.client
    volumes, rdirs, assignments, errors = rdir_utils.gather(
        client, params["service_type"], params["service_ids"], params["concurrency"])
    flush_warnings()
    plan = rdir_utils.plan(
        volumes, rdirs, assignments, errors, service_ids=params["service_ids"],
        max_per_rdir=params["max_per_rdir"], min_dist=params["min_dist"],
        replicas=params["replicas"], reassign_from=params["reassign_from"],
        rebalance=params["rebalance"], include_locked=params["include_locked"])
    plan, left = first_changes(plan, params["max_changes"], rdirs)
    changes = [dict(c) for c in plan.changes]
    before, after = rdir_utils.diff_summary(plan, changes)
    module.record_before(before)
    module.record_after(after)
    result = {
        "changes": changes,
        "changes_left": left,
        "assignments": plan.assignments,
        "load_before": plan.load_before,
        "load_after": plan.load_after,
        "skipped_volumes": plan.skipped,
        "unassignable": plan.unassignable,
        "unreadable": errors,
        "failed_writes": {},
    }
    if plan.unassignable:
        names = ", ".join("%s (%s)" % (u["volume"], u["reason"]) for u in plan.unassignable)
        module.fail("no rdir can take %d volume(s): %s; nothing was written"
                    % (len(plan.unassignable), names), **result)
    if changes and not module.check_mode:
        done, failed, warnings = rdir_utils.apply_changes(
            client, changes, rdirs, params["service_type"], assignments,
            params["concurrency"])
        flush_warnings()
        for text in warnings:
            module.warn(text)
        result["failed_writes"] = failed
        module.changed = bool(done)
        if failed:
            module.fail("%d of %d assignment write(s) failed: %s"
                        % (len(failed), len(changes), "; ".join(
                            "%s: %s" % (v, e.get("message")) for v, e in sorted(failed.items()))),
                        changed=module.changed, **result)
    else:
        module.changed = bool(changes)
    if errors:
        module.fail("could not read the rdir assignment of %d volume(s) after retries, left "
                    "them alone: %s" % (len(errors), ", ".join(sorted(errors))),
                    changed=module.changed, **result)
    return result


# Ranges of the number options, checked before anything is sent.
RANGES = dict(concurrency=CONCURRENCY_RANGE, max_changes=(1, None), max_per_rdir=(1, None),
              min_dist=(1, 4), replicas=(1, 5))


def main():
    module = OioModule(ranges=RANGES, argument_spec=dict(
        service_type=dict(type="str", required=True, choices=["rawx", "meta2"]),
        service_ids=dict(type="list", elements="str"),
        include_locked=dict(type="bool", default=False),
        max_per_rdir=dict(type="int"),
        min_dist=dict(type="int", default=1),
        replicas=dict(type="int", default=1),
        reassign_from=dict(type="str"),
        rebalance=dict(type="bool", default=False),
        max_changes=dict(type="int"),
        concurrency=dict(type="int", default=16),
    ))
    module.run(work)


if __name__ == "__main__":
    main()
