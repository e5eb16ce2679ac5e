#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_rdir_assignment_info
short_description: Report which rdir indexes each rawx or meta2 volume
version_added: 1.0.0
description:
  - For every volume of one type, reports the rdir service it is assigned to
    (reference C(_RDIR/<volume id>)) and whether that assignment is healthy; for
    every rdir, how many of those volumes it indexes.
  - Reads with one request per volume, several at a time, retrying transient
    failures. A volume whose assignment still cannot be read gets the status
    V(error) and does not stop the others.
options:
  service_type:
    description:
      - The kind of volumes to report on.
    type: str
    required: true
    choices: [rawx, meta2]
  service_ids:
    description:
      - Only report these volumes (service IDs or addresses). rdir loads still count
        every volume.
    type: list
    elements: str
  min_dist:
    description:
      - Distance under which an rdir is reported V(too_close) to its volume.
      - From 1 to 4.
    type: int
    default: 1
  replicas:
    description:
      - rdir per volume expected; fewer is reported V(missing).
      - From 1 to 5.
    type: int
    default: 1
  concurrency:
    description:
      - How many reads run at the same time.
      - From 1 to 64.
    type: int
    default: 16
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.attributes
  - openio.sds.attributes.info_module
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Audit the rdir assignments of the rawx volumes
  openio.sds.oio_rdir_assignment_info:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    service_type: rawx
    min_dist: 2
  register: audit

- name: Fail when a volume has no healthy rdir
  ansible.builtin.assert:
    that: audit.summary.ok == audit.volumes | length
    fail_msg: "{{ audit.volumes | dict2items | rejectattr('value.status', 'eq', 'ok') | map(attribute='key') | list }}"
'''

RETURN = r'''
release:
  description:
    - The OpenIO SDS release of the cluster, as its answers tell (V(7.3.0) or V(2026.14)).
  returned: always
  type: str
  sample: "2026.14"
volumes:
  description: Every volume, by volume ID (service ID, else address).
  returned: always
  type: dict
  contains:
    addr:
      description: Address of the volume's service.
      type: str
    location:
      description: Location of the volume.
      type: str
    score:
      description: Score of the volume's service.
      type: int
    rdir:
      description: The rdir host stored first (the one OpenIO SDS 7.3.0 uses), or null.
      type: str
    rdirs:
      description: Every rdir host stored.
      type: list
      elements: str
    status:
      description:
        - V(ok), V(missing) (no rdir), V(rdir_down) (its rdir has score 0),
          V(rdir_unknown) (its rdir is not in the conscience), V(too_close) (closer
          than O(min_dist)), or V(error) (the assignment could not be read, see RV(volumes.error)).
      type: str
    error:
      description: The read error, for status V(error).
      type: dict
      returned: when status is error
  sample: {rawx-1: {addr: 10.0.0.11:6200, location: dc1.r1.h1.v1, score: 80,
           rdir: 10.0.0.5:6300, rdirs: [10.0.0.5:6300], status: ok}}
rdirs:
  description: Every rdir of the conscience, by ID.
  returned: always
  type: dict
  contains:
    addr:
      description: Address.
      type: str
    location:
      description: Location.
      type: str
    score:
      description: Score; 0 means down or locked.
      type: int
    load:
      description: Volumes of O(service_type) assigned to it.
      type: int
    opened_db_count:
      description: The rdir's own C(stat.opened_db_count) (in 7.3.0, rawx databases
        opened since it started).
      type: int
summary:
  description: Number of volumes per status.
  returned: always
  type: dict
  sample: {ok: 5, missing: 1, rdir_down: 0, rdir_unknown: 0, too_close: 0, error: 0}
'''

from ansible_collections.openio.sds.plugins.module_utils.client import CONCURRENCY_RANGE
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule
from ansible_collections.openio.sds.plugins.module_utils import rdir as rdir_utils


def work(module):
    params = module.params
    rdir_utils.check_volumes(params["service_type"], params["service_ids"])
    flush_warnings = rdir_utils.quiet_retries(module.client, module.warn)
    volumes, rdirs, assignments, errors = rdir_utils.gather(
        module.client, params["service_type"], params["service_ids"], params["concurrency"])
    flush_warnings()
    vols, rdir_report, dummy = rdir_utils.assignment_report(
        volumes, rdirs, assignments, errors, params["min_dist"], params["replicas"])
    if params["service_ids"]:
        wanted = set(params["service_ids"])
        vols = dict((k, v) for k, v in vols.items() if k in wanted or v["addr"] in wanted)
    summary = dict((s, 0) for s in rdir_utils.INFO_STATUSES)
    for entry in vols.values():
        summary[entry["status"]] += 1
    for vol in sorted(errors):
        if vol in vols:
            module.warn("could not read the rdir assignment of %s: %s"
                        % (vol, errors[vol].get("message")))
    return {"volumes": vols, "rdirs": rdir_report, "summary": summary}


# Ranges of the number options, checked before anything is sent.
RANGES = dict(concurrency=CONCURRENCY_RANGE, min_dist=(1, 4), replicas=(1, 5))


def main():
    module = OioModule(names_release=True, ranges=RANGES, argument_spec=dict(
        service_type=dict(type="str", required=True, choices=["rawx", "meta2"]),
        service_ids=dict(type="list", elements="str"),
        min_dist=dict(type="int", default=1),
        replicas=dict(type="int", default=1),
        concurrency=dict(type="int", default=16),
    ))
    module.run(work)


if __name__ == "__main__":
    main()
