#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_meta0_mapping_info
short_description: Audit the meta0 prefix mapping
version_added: 1.0.0
description:
  - Reads the meta0 prefix mapping of an OpenIO SDS namespace and the meta1 services
    of the conscience, and reports what M(openio.sds.oio_meta0_mapping) checks, namely missing
    bases, wrong replica counts, O(min_dist) violations, replicas on unknown or score-0
    services, sibling prefixes that disagree, and the balance (bases per service and
    targets).
  - Optionally returns the whole mapping, and whether every meta0 peer holds the same one.
options:
  replicas:
    description:
      - Expected number of meta1 services per base.
      - From 1 to 5.
    type: int
    default: 3
  digits:
    description:
      - Number of hex digits of a cid that select its meta1 base.
      - Defaults to the namespace option C(ns.meta1_digits) (or C(meta1_digits)), else 4.
      - From 0 to 4.
    type: int
  min_dist:
    description:
      - Expected minimum distance between the locations of the services of a base.
      - An integer from 1 to 4, or V(auto) for the largest distance the meta1 services with
        a score above 0 can honour for every base (reported in RV(min_dist)).
    type: raw
    default: 1
  max_items:
    description:
      - At most this many entries in each list of RV(check) (totals are always complete).
      - From 0 to 100000.
    type: int
    default: 20
  max_imbalance:
    description:
      - Largest accepted deviation, in bases, of a meta1 service from its balanced target;
        a larger one is a problem of RV(check).
      - At least 0.
    type: int
    default: 1
  return_mapping:
    description:
      - Return the base mapping in RV(mapping). It can be given back to
        M(openio.sds.oio_meta0_mapping) with O(openio.sds.oio_meta0_mapping#module:state=present).
    type: bool
    default: false
  compare_peers:
    description:
      - Ask each meta0 peer (C(admin/get_properties?type=meta0&service_id=<peer>)) for the
        C(version:*) counters of its copy of the meta0 base, which sqliterepo bumps on every
        write, and report whether they all agree. The proxy only reaches meta0 peers this
        way; C(admin/meta0_list) is answered by whichever peer the proxy picks.
    type: bool
    default: false
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.attributes
  - openio.sds.attributes.info_module
seealso:
  - module: openio.sds.oio_meta0_mapping
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Audit the mapping (bases of a meta1 on distinct hosts)
  openio.sds.oio_meta0_mapping_info:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    min_dist: 2
  register: meta0

- name: Fail the audit on any problem
  ansible.builtin.assert:
    that: meta0.ok
    fail_msg: "{{ meta0.check.problems }}"

- name: Dump the mapping and compare the meta0 peers
  openio.sds.oio_meta0_mapping_info:
    return_mapping: true
    compare_peers: true
  register: dump
'''

RETURN = r'''
release:
  description:
    - The OpenIO SDS release of the cluster, as its answers tell (V(7.3.0) or V(2026.14)).
  returned: always
  type: str
  sample: "2026.14"
initialised:
  description: Whether meta0 holds a mapping.
  returned: always
  type: bool
ok:
  description: The mapping exists and RV(check) found no problem.
  returned: always
  type: bool
digits:
  description: Digits used.
  returned: always
  type: int
replicas:
  description: Expected replicas per base.
  returned: always
  type: int
min_dist:
  description: Expected minimum distance (the number chosen when O(min_dist=auto)).
  returned: always
  type: int
min_dist_requested:
  description: O(min_dist) as requested, V(auto) or the number.
  returned: unless the task fails
  type: raw
  sample: auto
bases:
  description: Number of bases (16^digits).
  returned: always
  type: int
  sample: 65536
prefixes:
  description: Number of prefixes meta0 maps (65,536 when initialised).
  returned: always
  type: int
counts:
  description: Number of bases per meta1 address (registered services with 0 included).
  returned: always
  type: dict
  sample: {"10.0.0.2:6110": 32768}
check:
  description: The audit.
  returned: always
  type: dict
  contains:
    ok:
      description: No problem found.
      type: bool
    problems:
      description: One sentence per problem.
      type: list
      elements: str
    missing_bases:
      description: Bases without any service (C(count), first C(items), C(truncated)).
      type: dict
    wrong_replica_count:
      description: Bases with another number of services than O(replicas).
      type: dict
    min_dist_violations:
      description: Bases with two services closer than O(min_dist).
      type: dict
    unknown_services:
      description: Base replicas on addresses the conscience does not know.
      type: dict
    zero_score_services:
      description: Base replicas on services with a score of 0.
      type: dict
    inconsistent_siblings:
      description: Bases whose prefixes do not all list the same services.
      type: dict
    imbalance:
      description: Largest deviation from the targets, and the services over and under.
      type: dict
    counts:
      description: Bases per address, unknown addresses included.
      type: dict
    targets:
      description: Balanced number of bases per address.
      type: dict
mapping:
  description: The base mapping, base key (first O(digits) hex chars) to addresses.
  returned: when O(return_mapping=true)
  type: dict
meta0_peers:
  description: Whether the meta0 peers hold the same mapping.
  returned: when O(compare_peers=true)
  type: dict
  contains:
    consistent:
      description: Every peer answered and all have the same version counters.
      type: bool
    unreachable:
      description: Peers that did not answer.
      type: list
      elements: str
    peers:
      description: C(addr), C(versions) and C(error) of each peer.
      type: list
      elements: dict
    method:
      description: How the peers were compared.
      type: str
'''

from ansible_collections.openio.sds.plugins.module_utils.meta0.check import check as check_mapping
from ansible_collections.openio.sds.plugins.module_utils.meta0.model import (
    bases_from_meta0, check_params, parse_min_dist, served_mapping)
from ansible_collections.openio.sds.plugins.module_utils.meta0.options import (
    min_dist_spec, min_dist_to_use)
from ansible_collections.openio.sds.plugins.module_utils.meta0.plan import (
    bases_per_service, compare_meta0_peers, resolve_digits)
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule
from ansible_collections.openio.sds.plugins.module_utils.names import DIGITS_RANGE
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts


# Ranges of the number options, checked before anything is sent.
RANGES = dict(digits=DIGITS_RANGE, max_items=(0, 100000), replicas=(1, 5), max_imbalance=(0, None))


def work(m):
    params = m.params
    client = m.client
    requested = parse_min_dist(params["min_dist"])
    digits = resolve_digits(client, params.get("digits"))
    services = facts(client).services("meta1")
    min_dist = min_dist_to_use(requested, services, params["replicas"])
    check_params(params["replicas"], digits, min_dist)
    prefixes = facts(client).meta0()
    mapping, inconsistent = bases_from_meta0(prefixes, digits)
    check = check_mapping(mapping, services, params["replicas"], digits, min_dist,
                          inconsistent, max_items=params["max_items"],
                          balance_tolerance=params["max_imbalance"])
    result = {
        "initialised": bool(prefixes),
        "digits": digits,
        "replicas": params["replicas"],
        "min_dist": min_dist,
        "min_dist_requested": requested,
        "bases": 16 ** digits,
        "prefixes": len(prefixes),
        "ok": bool(prefixes) and check["ok"],
        "check": check,
        "counts": bases_per_service(mapping, services),
    }
    if params["return_mapping"]:
        result["mapping"] = served_mapping(mapping)
    if params["compare_peers"]:
        result["meta0_peers"] = compare_meta0_peers(client)
    return result


def main():
    module = OioModule(names_release=True, ranges=RANGES, argument_spec=dict(
        replicas=dict(type="int", default=3),
        digits=dict(type="int"),
        min_dist=min_dist_spec(default=1),
        max_items=dict(type="int", default=20),
        max_imbalance=dict(type="int", default=1),
        return_mapping=dict(type="bool", default=False),
        compare_peers=dict(type="bool", default=False),
    ))
    module.run(work)


if __name__ == "__main__":
    main()
