#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_meta2_drain
short_description: Move the bases of a meta2 service to the other meta2 services, a batch at a time
version_added: 1.1.0
description:
  - Moves the meta2 bases that O(service) holds to other meta2 services, with their records
    in the rdir meta2 index, at most O(max_moves) per run. It is the step a meta2
    decommission repeats until RV(left) is 0.
  - A meta2 service cannot be asked which bases it holds, so the list is its rdir meta2
    index, read from the start at each run. A base whose index record is missing stays on
    the service; the decommission role refuses an empty index for that reason.
  - Each base is moved like M(openio.sds.oio_base) moves it (C(sys.peers), copy from a peer
    that has it, C(reference/force), election left, the old copy removed, a healthy
    election waited for), keeping its number of peers. The new peer is a target that is not
    a peer already, on another host than the remaining peers when possible, then the one
    whose index lists the fewest bases.
  - The index record then follows the base. It is pushed to the index of each peer that
    lacks it, read back there, and only then deleted from the service's index. A base is
    done when its record has left the index. So a run stopped anywhere can be run again.
    A base that an earlier run moved without its record is found again, and only its
    record moves.
  - An error of the cluster stops the run where it is, and the task fails with what was
    done. A record that names a container the directory does not know, or a base that
    every target already holds, is left in place and named in RV(problems), and the task
    fails once the others are done.
  - Changes nothing in the conscience. Lock the service at score 0 first
    (M(openio.sds.oio_service)) so that it gets no new base meanwhile.
options:
  service:
    description:
      - The meta2 service to drain, by service ID or C(IP:PORT) address.
    type: str
    required: true
  targets:
    description:
      - The meta2 services that may take its bases, by service ID or address.
      - By default every other meta2 service with a positive score.
    type: list
    elements: str
  max_moves:
    description:
      - At most this many bases (moved, or whose record moved) per run. By default, all.
    type: int
  page_size:
    description:
      - Index records read per request, 1 to 10000.
    type: int
    default: 1000
  wait_timeout:
    description:
      - Seconds to wait for the election of each moved base among its new peers.
    type: float
    default: 30.0
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.attributes
  - openio.sds.attributes.stateful
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Lock the meta2 service at score 0
  openio.sds.oio_service:
    type: meta2
    service: meta2-3
    state: locked
    score: 0

- name: Move its bases away, 200 per run, until none is left
  openio.sds.oio_meta2_drain:
    service: meta2-3
    max_moves: 200
  register: drain
  until: drain.left == 0
  retries: 1000
  delay: 0
'''

RETURN = r'''
service:
  description: The service ID of the drained meta2 (its volume in the rdir meta2 index).
  returned: always
  type: str
index_rdir:
  description: The address of the rdir that holds its meta2 index.
  returned: always
  type: str
records_before:
  description: Bases its index listed when the run began.
  returned: always
  type: int
left:
  description: Bases its index lists after the run (predicted in check mode).
  returned: always
  type: int
moved:
  description: The bases moved (to move, in check mode), in index order.
  returned: always
  type: list
  elements: dict
  contains:
    container:
      description: The container URL of the base (C(NS/account/container)).
      type: str
    cid:
      description: The container ID.
      type: str
    peers_before:
      description: Its meta2 peers before the move.
      type: list
      elements: str
    peers_after:
      description: Its meta2 peers after the move.
      type: list
      elements: str
moves_count:
  description: Number of bases in RV(moved).
  returned: always
  type: int
records_moved:
  description: Index records moved for bases an earlier run had already moved.
  returned: always
  type: int
problems:
  description: The records left in place, each with C(container) and C(problem).
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.openio.sds.plugins.module_utils.meta2_drain import Meta2Drain
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule


def work(module):
    params = module.params
    drain = Meta2Drain(module.client, params["service"], targets=params["targets"],
                       max_moves=params["max_moves"], page_size=params["page_size"],
                       wait_timeout=params["wait_timeout"], warn=module.warn)
    result = drain.run()
    error = result.pop("error")
    module.record_before({"service": result["service"], "bases": result["records_before"]})
    module.record_after({"service": result["service"], "bases": result["left"]})
    module.changed = bool(result["moves_count"] or result["records_moved"])
    if error is not None:
        result["changed"] = module.changed
        module.fail("%d base(s) moved and %d record(s) moved in this run, then: %s. Run the "
                    "task again: it goes on from the service's index"
                    % (result["moves_count"], result["records_moved"], error), **result)
    if result["problems"]:
        result["changed"] = module.changed
        first = result["problems"][0]
        module.fail("%d base(s) of %s were left in place (first: %s: %s); the others were "
                    "moved" % (len(result["problems"]), result["service"], first["container"],
                               first["problem"]), **result)
    return result


# Ranges of the number options, checked before anything is sent.
RANGES = dict(max_moves=(1, None), page_size=(1, 10000), wait_timeout=(0, 86400))


def main():
    module = OioModule(ranges=RANGES, argument_spec=dict(
        service=dict(type="str", required=True),
        targets=dict(type="list", elements="str"),
        max_moves=dict(type="int"),
        page_size=dict(type="int", default=1000),
        wait_timeout=dict(type="float", default=30.0),
    ))
    module.run(work)


if __name__ == "__main__":
    main()
