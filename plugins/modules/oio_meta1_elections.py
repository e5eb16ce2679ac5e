#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_meta1_elections
short_description: Warm up and verify the election of every meta1 base
version_added: 1.0.0
description:
  - Makes sure every meta1 base (or a sample, O(verify=sample)) is elected, that is every peer
    answers, one is master and the others are slaves naming it. It replaces
    C(openio directory warmup).
  - The status of every base is read; only the unhealthy ones are pinged, then read again
    until healthy or O(wait_timeout). A healthy namespace is left alone (V(changed=false)).
    The module fails, naming the peers at fault, when some base is still not elected.
  - A digits-4 namespace takes minutes on a real cluster (RV(stats) says what the run cost);
    run it with C(async) and C(poll). A scan that cannot read more than 1% of the bases (at
    least 10) fails with the first cause, also in check mode.
  - M(openio.sds.oio_election) does the same for one base of any type, and more (resync,
    leave).
options:
  wait_timeout:
    description:
      - How long to wait, in seconds, for the pinged bases to become healthy.
      - From 0 to 86400.
    type: float
    default: 30
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.meta1_scan
  - openio.sds.attributes
author:
  - openio.sds maintainers (@openio)
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the statuses and sends no ping. It reports V(changed=true) when the
        real run would ping.
      - Reading the status lets a peer finish an election it needs, as any access does.
  diff_mode:
    support: none
'''

EXAMPLES = r'''
- name: Warm up every meta1 base after a bootstrap (openio directory warmup)
  openio.sds.oio_meta1_elections:
    wait_timeout: 120

- name: After a move, the bases that moved and a sample of the others
  openio.sds.oio_meta1_elections:
    verify: sample
    include_bases: [AB00, 7D20]
'''

RETURN = r'''
pinged:
  description: Number of meta1 bases that were (or in check mode would be) pinged.
  returned: always
  type: int
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
  description: Number of meta1 bases in each state after the run; V(error) counts bases whose status could not be read.
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
    META1_SCAN_ONLY_WITH, META1_SCAN_RANGES, elect_meta1_bases, meta1_scan_scope, meta1_scan_spec)
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule


def work(module):
    p = module.params
    digits, sample_size, include = meta1_scan_scope(module.client, p["verify"],
                                                    p["sample_size"], p["include_bases"],
                                                    per_service=p["sample_per_service"])
    result, pinged = elect_meta1_bases(
        module.client, digits, p["wait_timeout"], concurrency=p["concurrency"],
        warn=module.warn, max_unhealthy=p["max_unhealthy"], sample_size=sample_size,
        include=include)
    result["pinged"] = pinged
    module.changed = pinged > 0
    if module.check_mode or result["healthy"]:
        return result
    first = result["unhealthy"][:5]
    module.fail("%d of %d meta1 bases are not elected after %ss (by state: %s); peers at "
                "fault: %s; first: %s" % (
                    result["unhealthy_count"], result["total"], p["wait_timeout"],
                    dict((k, v) for k, v in result["counts"].items() if v),
                    result["peer_problems"] or "none",
                    "; ".join("%s: %s" % (u["base"], ", ".join(u["problems"])) for u in first)),
                **result)


def main():
    module = OioModule(ranges=dict(META1_SCAN_RANGES, wait_timeout=(0, 86400)),
                       only_with=META1_SCAN_ONLY_WITH,
                       argument_spec=dict(wait_timeout=dict(type="float", default=30.0),
                                          **meta1_scan_spec()))
    module.run(work)


if __name__ == "__main__":
    main()
