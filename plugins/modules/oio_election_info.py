#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_election_info
short_description: Report the election health of a replicated base
version_added: 1.0.0
description:
  - Every meta0, meta1, meta2 and sqlx base is an SQLite file replicated on several peers
    that elect a master. A base is healthy when every peer answers, exactly one is master
    and every other peer is a slave naming that master.
  - Returns the master, the slaves, each peer's status and message, and whether the base is
    healthy. With O(debug=true), adds each peer's election internals.
  - M(openio.sds.oio_meta1_elections_info) reports on every meta1 base.
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
  debug:
    description:
      - Also return each peer's election state machine (C(admin/debug)).
    type: bool
    default: false
notes:
  - The statuses come from C(POST /v3.0/<NS>/admin/status), which contacts every peer. A peer
    answers 200 when master, 303 with the master's address when slave, 500 when the
    election failed, and 2 to 9 when it cannot be reached.
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.base
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

- name: Stop the runbook if that base is unhealthy
  ansible.builtin.assert:
    that: el.healthy
    fail_msg: "{{ el.problems }}"
'''

RETURN = r'''
release:
  description:
    - The OpenIO SDS release of the cluster, as its answers tell (V(7.3.0) or V(2026.14)).
  returned: always
  type: str
  sample: "2026.14"
base:
  description: The base.
  returned: always
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
  returned: always
  type: str
  sample: 127.0.0.1:6009
slaves:
  description: Addresses of the peers that answered as slaves.
  returned: always
  type: list
  elements: str
peers:
  description: Each peer's answer, by address.
  returned: always
  type: dict
  sample:
    127.0.0.1:6009: {"role": "master", "status": 200, "message": "OK"}
    127.0.0.1:6010: {"role": "slave", "status": 303, "message": "127.0.0.1:6009", "master": "127.0.0.1:6009"}
    127.0.0.1:6011: {"role": "unreachable", "status": 2, "message": "[errno=111] Connection refused"}
state:
  description: V(healthy), V(unreachable) (a peer did not answer), V(failed) (a peer's election failed),
    V(split) (several masters, or slaves naming another master) or V(no_master).
  returned: always
  type: str
healthy:
  description: Whether the base is healthy.
  returned: always
  type: bool
problems:
  description: What is wrong, one line per problem, naming the peers.
  returned: always
  type: list
  elements: str
debug:
  description: Each peer's election internals (C(local), C(master), C(base), C(peers), C(log)), null when
    the peer has no election for the base.
  returned: when O(debug=true)
  type: dict'''

from ansible_collections.openio.sds.plugins.module_utils.election import (
    BASE_IDENTITY_RULES, base_identity_spec, election_debug, election_status, resolve_base)
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule


def work(module):
    p = module.params
    base = resolve_base(module.client, p["type"], p["account"], p["reference"], p["cid"])
    result = election_status(module.client, base)
    result["base"] = base.to_dict()
    if p["debug"]:
        result["debug"] = election_debug(module.client, base)
    return result


def main():
    module = OioModule(names_release=True, argument_spec=dict(
        type=dict(type="str", required=True, aliases=["service_type"],
                  choices=["meta0", "meta1", "meta2", "sqlx"]),
        **base_identity_spec(),
        debug=dict(type="bool", default=False),
    ), **BASE_IDENTITY_RULES)
    module.run(work)


if __name__ == "__main__":
    main()
