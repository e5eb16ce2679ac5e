#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_election_info
short_description: Report the election health of a replicated base, or of every meta1 base
version_added: 1.0.0
description:
  - Every meta0, meta1, meta2 and sqlx base is an SQLite file replicated on several peers
    that elect a master. A base is healthy when every peer answers, exactly one is master
    and every other peer is a slave naming that master.
  - For one base, returns the master, the slaves, each peer's status and message, and
    whether the base is healthy. With O(debug=true), adds each peer's election internals.
  - With O(type=meta1) and O(all_bases=true), reads the status of every meta1 base of the
    namespace (65,536 of them with 4 digits) with bounded concurrency, and returns counts by
    state and the unhealthy bases.
  - Reading the status lets a peer finish an election it needs, as any access to the base
    does. It never pings, syncs or leaves. See M(openio.sds.oio_election) to repair.
options:
  type:
    description:
      - Type of the base.
      - V(meta0) needs nothing else (the namespace has one meta0 base).
    type: str
    required: true
    choices: [meta0, meta1, meta2, sqlx]
    aliases: [service_type]
  all_bases:
    description:
      - With O(type=meta1), report on every meta1 base instead of one.
    type: bool
    default: false
  debug:
    description:
      - For one base, also return each peer's election state machine (C(admin/debug)).
    type: bool
    default: false
notes:
  - The statuses come from C(POST /v3.0/<NS>/admin/status), which contacts every peer. A peer
    answers 200 when master, 303 with the master's address when slave, 500 when the
    election failed, and 2 to 9 when it cannot be reached.
  - With O(all_bases=true), each base costs the cluster a few milliseconds (the proxy asks
    every peer), so a digits-4 namespace takes minutes on a real cluster, whatever
    O(concurrency). RV(stats) says what the scan cost; run a long scan with C(async) and
    C(poll). A scan that cannot read more than 1% of the bases (at least 10) stops and fails
    with the first cause.
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.base
  - openio.sds.base.all_bases
  - openio.sds.attributes
  - openio.sds.attributes.info_module
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Election of the meta1 base holding a reference
  openio.sds.oio_election_info:
    type: meta1
    account: my_account
    reference: my_container
  register: el

- name: Election of a container's meta2 base, with the election internals
  openio.sds.oio_election_info:
    type: meta2
    cid: 13C0470DBCE55371E6BD5975EFF23A18F658CDC1656A7474DEF1ED0B0EDDA9FC.1
    debug: true

- name: Health of every meta1 base
  openio.sds.oio_election_info:
    type: meta1
    all_bases: true
  register: meta1_health

- name: Stop the runbook if some meta1 base is unhealthy
  ansible.builtin.assert:
    that: meta1_health.healthy
    fail_msg: "{{ meta1_health.counts }} {{ meta1_health.peer_problems }}"
'''

RETURN = r'''
release:
  description:
    - The OpenIO SDS release of the cluster, as its answers tell (V(7.3.0) or V(2026.14)).
  returned: always
  type: str
  sample: "2026.14"
scope:
  description: With O(all_bases=true), V(all) when every meta1 base was read, V(sample) when only a
    sample (O(verify=sample)); the counts cover the bases read.
  returned: when O(all_bases=true)
  type: str
stats:
  description: With O(all_bases=true), what the scan cost.
  returned: when O(all_bases=true)
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
base:
  description: The base (one base only).
  returned: when O(all_bases=false)
  type: dict
  contains:
    type:
      description: Type of the base.
      type: str
    name:
      description: Name of the base (C(AB00) for meta1, C(CID.1) for meta2 and sqlx, the namespace for meta0).
      type: str
    cid:
      description: The cid that named the base.
      type: str
  sample: {"type": "meta1", "name": "7D2A", "cid": "7D2A715B9CBF1E21223ED68C4325B15BE1D8F8B2C27E4644669F64558357E0AA"}
master:
  description: Address of the master, or null when there is not exactly one.
  returned: when O(all_bases=false)
  type: str
  sample: 127.0.0.1:6009
slaves:
  description: Addresses of the peers that answered as slaves.
  returned: when O(all_bases=false)
  type: list
  elements: str
peers:
  description: Each peer's answer, by address.
  returned: when O(all_bases=false)
  type: dict
  sample:
    127.0.0.1:6009: {"role": "master", "status": 200, "message": "OK"}
    127.0.0.1:6010: {"role": "slave", "status": 303, "message": "127.0.0.1:6009", "master": "127.0.0.1:6009"}
    127.0.0.1:6011: {"role": "unreachable", "status": 2, "message": "[errno=111] Connection refused"}
state:
  description: V(healthy), V(unreachable) (a peer did not answer), V(failed) (a peer's election failed),
    V(split) (several masters, or slaves naming another master) or V(no_master).
  returned: when O(all_bases=false)
  type: str
healthy:
  description: Whether the base is healthy (one base), or every meta1 base is (O(all_bases=true)).
  returned: always
  type: bool
problems:
  description: What is wrong, one line per problem, naming the peers.
  returned: when O(all_bases=false)
  type: list
  elements: str
debug:
  description: Each peer's election internals (C(local), C(master), C(base), C(peers), C(log)), null when
    the peer has no election for the base.
  returned: when O(debug=true)
  type: dict
total:
  description: Number of meta1 bases read.
  returned: when O(all_bases=true)
  type: int
  sample: 65536
counts:
  description: Number of meta1 bases in each state; V(error) counts bases whose status could not be read.
  returned: when O(all_bases=true)
  type: dict
  sample: {"healthy": 65530, "unreachable": 6, "failed": 0, "split": 0, "no_master": 0, "error": 0}
unhealthy:
  description: The unhealthy meta1 bases (at most O(max_unhealthy)), with their state, master and problems.
  returned: when O(all_bases=true)
  type: list
  elements: dict
unhealthy_count:
  description: Number of unhealthy meta1 bases.
  returned: when O(all_bases=true)
  type: int
unhealthy_truncated:
  description: Whether RV(unhealthy) was cut at O(max_unhealthy).
  returned: when O(all_bases=true)
  type: bool
peer_problems:
  description: For each peer at fault somewhere, the number of bases where it is not master or slave.
  returned: when O(all_bases=true)
  type: dict
  sample: {"127.0.0.1:6011": 6}
'''

from ansible_collections.openio.sds.plugins.module_utils.election import (
    ALL_BASES_EXCLUDES, ALL_BASES_SCAN_RANGES, BASE_IDENTITY_RULES, all_bases_scan_spec, base_identity_spec,
    election_debug, election_status, normalize_meta1_base,
    resolve_base, scan_scope, verify_meta1_elections)
from ansible_collections.openio.sds.plugins.module_utils.module import InvalidInput, OioModule
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts


def work(module):
    p = module.params
    client = module.client
    if p["all_bases"]:
        digits = facts(client).meta1_digits()
        sample_size, include = scan_scope(p["verify"], p["sample_size"], p["include_bases"])
        try:
            for name in include:
                normalize_meta1_base(name, digits)
        except ValueError as exc:
            raise InvalidInput("include_bases: %s" % exc)
        return verify_meta1_elections(client, digits, concurrency=p["concurrency"],
                                      warn=module.module.warn, max_unhealthy=p["max_unhealthy"],
                                      sample_size=sample_size, include=include)
    try:
        base = resolve_base(client, p["type"], p["account"], p["reference"], p["cid"])
    except ValueError as exc:
        raise InvalidInput(str(exc))
    result = election_status(client, base)
    result["base"] = base.to_dict()
    if p["debug"]:
        result["debug"] = election_debug(client, base)
    return result


# Ranges of the number options, checked before anything is sent.
RANGES = ALL_BASES_SCAN_RANGES
ONLY_WITH = [("all_bases", "type", "meta1"), ("debug", "all_bases", False)] + ALL_BASES_EXCLUDES


def main():
    module = OioModule(names_release=True, ranges=RANGES, only_with=ONLY_WITH, argument_spec=dict(
        type=dict(type="str", required=True, aliases=["service_type"],
                  choices=["meta0", "meta1", "meta2", "sqlx"]),
        **base_identity_spec(),
        all_bases=dict(type="bool", default=False),
        debug=dict(type="bool", default=False),
        **all_bases_scan_spec()
    ), **BASE_IDENTITY_RULES)
    module.run(work)


if __name__ == "__main__":
    main()
