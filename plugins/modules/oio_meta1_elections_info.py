#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_meta1_elections_info
short_description: Report the election health of every meta1 base
version_added: 1.0.0
description:
  - Reads the status of every meta1 base of the namespace (65,536 of them with 4 digits), or of
    a sample, with bounded concurrency, and returns counts by state and the unhealthy bases.
  - A base is healthy when every peer answers, exactly one is master and every other peer is a
    slave naming that master.
  - Reading the status lets a peer finish an election it needs, as any access to the base
    does. It never pings, syncs or leaves. See M(openio.sds.oio_meta1_elections) to warm up
    and repair, M(openio.sds.oio_election_info) for one base.
notes:
  - Each base costs the cluster a few milliseconds (C(admin/status) asks every peer), so a
    digits-4 namespace takes minutes on a real cluster, whatever O(concurrency). RV(stats) says
    what the scan cost; run a long scan with C(async) and C(poll). A scan that cannot read
    more than 1% of the bases (at least 10) stops and fails with the first cause.
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.meta1_scan
  - openio.sds.attributes
  - openio.sds.attributes.info_module
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Health of every meta1 base
  openio.sds.oio_meta1_elections_info:
  register: meta1_health

- name: Stop the runbook if some meta1 base is unhealthy
  ansible.builtin.assert:
    that: meta1_health.healthy
    fail_msg: "{{ meta1_health.counts }} {{ meta1_health.peer_problems }}"

- name: A sample of 500 bases, and the two that just moved
  openio.sds.oio_meta1_elections_info:
    verify: sample
    sample_size: 500
    include_bases: [AB00, 7D20]
'''

RETURN = r'''
release:
  description:
    - The OpenIO SDS release of the cluster, as its answers tell (V(7.3.0) or V(2026.14)).
  returned: always
  type: str
  sample: "2026.14"
scope:
  description: V(all) when every meta1 base was read, V(sample) when only a
    sample (O(verify=sample)); the counts cover the bases read.
  returned: always
  type: str
stats:
  description: What the scan cost.
  returned: always
  type: dict
  contains:
    duration:
      description: Seconds spent sending requests and reading the answers.
      type: float
    requests:
      description: HTTP requests sent, retries included.
      type: int
    rate:
      description: Requests per second.
      type: float
    concurrency:
      description: Requests at once (at most as many connections).
      type: int
  sample: {"duration": 231.4, "requests": 65536, "rate": 283.2, "concurrency": 8}
healthy:
  description: Whether every meta1 base read is healthy.
  returned: always
  type: bool
total:
  description: Number of meta1 bases read.
  returned: always
  type: int
  sample: 65536
counts:
  description: Number of meta1 bases in each state; V(error) counts bases whose status could not be read.
  returned: always
  type: dict
  sample: {"healthy": 65530, "unreachable": 6, "failed": 0, "split": 0, "no_master": 0, "error": 0}
unhealthy:
  description: The unhealthy meta1 bases (at most O(max_unhealthy)), with their state, master and problems.
  returned: always
  type: list
  elements: dict
unhealthy_count:
  description: Number of unhealthy meta1 bases.
  returned: always
  type: int
unhealthy_truncated:
  description: Whether RV(unhealthy) was cut at O(max_unhealthy).
  returned: always
  type: bool
peer_problems:
  description: For each peer at fault somewhere, the number of bases where it is not master or slave.
  returned: always
  type: dict
  sample: {"127.0.0.1:6011": 6}

'''

from ansible_collections.openio.sds.plugins.module_utils.meta1_elections import (
    META1_SCAN_ONLY_WITH, META1_SCAN_RANGES, meta1_scan_scope, meta1_scan_spec, verify_meta1_elections)
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule


def work(module):
    p = module.params
    digits, sample_size, include = meta1_scan_scope(module.client, p["verify"],
                                                    p["sample_size"], p["include_bases"],
                                                    per_service=p["sample_per_service"])
    return verify_meta1_elections(module.client, digits, concurrency=p["concurrency"],
                                  warn=module.warn, max_unhealthy=p["max_unhealthy"],
                                  sample_size=sample_size, include=include)


def main():
    module = OioModule(names_release=True, ranges=META1_SCAN_RANGES, only_with=META1_SCAN_ONLY_WITH,
                       argument_spec=meta1_scan_spec())
    module.run(work)


if __name__ == "__main__":
    main()
