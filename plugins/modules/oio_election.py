#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_election
short_description: Warm up, repair, resync or reset the election of replicated bases
version_added: 1.0.0
description:
  - Drives the ZooKeeper election of a meta0, meta1, meta2 or sqlx base through the proxy
    (C(admin/status), C(admin/ping), C(admin/sync), C(admin/leave)).
  - O(state=elected) makes sure every peer answers, one is master and the others are slaves
    naming it. A healthy base is left alone (V(changed=false)); otherwise the peers are
    pinged and the status read again until healthy or O(wait_timeout), and the module
    reports V(changed=true). If the base does not become healthy, it fails and names the
    peers at fault.
  - M(openio.sds.oio_meta1_elections) elects every meta1 base (C(openio directory warmup)).
  - O(state=synced) asks the slaves to download the whole base again from the master. It
    is an action, not a state the cluster can be seen in; it reports V(changed=true) each
    time it runs. The election must be healthy first.
  - O(state=left) makes every peer leave the election; the next access elects again. A base
    whose peers are all out of the election already (C(admin/debug)) is left alone.
options:
  type:
    description:
      - Type of the base.
    type: str
    required: true
    choices: [meta0, meta1, meta2, sqlx]
    aliases: [service_type]
  state:
    description:
      - V(elected), V(synced) or V(left), see the description.
    type: str
    default: elected
    choices: [elected, synced, left]
  wait_timeout:
    description:
      - With O(state=elected), how long to wait, in seconds, for the election to become
        healthy after the ping.
      - From 0 to 86400.
    type: float
    default: 30
  check_type:
    description:
      - With O(state=synced), the check of the downloaded copy. V(-1) server default,
        V(0) none, V(1) quick, V(2) full integrity check.
    type: int
    choices: [-1, 0, 1, 2]
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.base
  - openio.sds.attributes
author:
  - openio.sds maintainers (@openio)
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the status (or, for O(state=left), the election internals) and sends
        no ping, sync or leave. It reports V(changed=true) when the real run would send them.
      - Reading the status lets a peer finish an election it needs, as any access does.
  diff_mode:
    support: full
    details:
      - The diff shows the election summary (master, slaves, state) before and after.
'''

EXAMPLES = r'''
- name: Make sure the meta2 base of a container is elected
  openio.sds.oio_election:
    type: meta2
    account: my_account
    reference: my_container
    state: elected

- name: Resync the slaves of a meta1 base from its master, with a full check
  openio.sds.oio_election:
    type: meta1
    cid: AB00
    state: synced
    check_type: 2

- name: Every peer leaves the election of the meta0 base
  openio.sds.oio_election:
    type: meta0
    state: left
'''

RETURN = r'''
base:
  description: The base.
  returned: always
  type: dict
  sample: {"type": "meta1", "name": "AB00", "cid": "AB00000000000000000000000000000000000000000000000000000000000000"}
election:
  description: Master, slaves, per-peer answers, state and problems of the base after the run
    (predicted in check mode for O(state=synced) and O(state=left)). See M(openio.sds.oio_election_info).
  returned: when O(state=elected)
  type: dict
synced:
  description: The peers asked to resync (the slaves).
  returned: when O(state=synced)
  type: list
  elements: str
left:
  description: The peers asked to leave the election.
  returned: when O(state=left)
  type: list
  elements: str'''

from ansible_collections.openio.sds.plugins.module_utils.errors import OioError, Refused
from ansible_collections.openio.sds.plugins.module_utils.election import (
    BASE_IDENTITY_RULES, base_identity_spec, call_problems, election_debug, election_status,
    in_election, leave, resolve_base, sync, sync_problems, wait_elected)
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule


def short(summary):
    return {"master": summary["master"], "slaves": summary["slaves"],
            "state": summary["state"]}


def work(module):
    p = module.params
    base = resolve_base(module.client, p["type"], p["account"], p["reference"], p["cid"])
    result = {"base": base.to_dict()}
    result.update(STATES[p["state"]](module, base))
    return result


def elect(module, base):
    """A healthy base is left alone; otherwise ping and wait."""
    before = election_status(module.client, base)
    module.record_before(short(before))
    if before["healthy"]:
        summary = before
    elif module.check_mode:
        summary = dict(before, healthy=True, state="healthy", problems=[])
        module.changed = True
    else:
        summary, module.changed = wait_elected(module.client, base, module.params["wait_timeout"])
    module.record_after(short(summary))
    return {"election": summary}


def resync(module, base):
    """The slaves download the base again; only from a healthy election."""
    before = election_status(module.client, base)
    if not before["healthy"]:
        raise Refused("cannot resync %s base %s: its election is not healthy (%s); use "
                      "state=elected first" % (base.type, base.name, "; ".join(before["problems"])))
    module.changed = True
    module.record_before({"synced": []})
    module.record_after({"synced": before["slaves"]})
    if not module.check_mode:
        problems = sync_problems(sync(module.client, base, module.params["check_type"]))
        if problems:
            # Every peer answered: the failures are theirs, not a request's.
            raise OioError("resync of %s base %s failed on %s" % (
                base.type, base.name, "; ".join(problems)))
    return {"synced": before["slaves"]}


def leave_election(module, base):
    """Every peer still in an election (the debug view tells) leaves it."""
    debug = election_debug(module.client, base)
    members = sorted(a for a, body in debug.items() if in_election(body))
    module.record_before({"in_election": members})
    module.record_after({"in_election": []})
    module.changed = bool(members)
    if members and not module.check_mode:
        problems = call_problems(leave(module.client, base))
        if problems:
            raise OioError("%s base %s: leaving the election failed on %s" % (
                base.type, base.name, "; ".join(problems)))
    return {"left": members}


STATES = {"elected": elect, "synced": resync, "left": leave_election}


# Ranges of the number options, checked before anything is sent.
RANGES = dict(wait_timeout=(0, 86400))
ONLY_WITH = [("check_type", "state", "synced")]


def main():
    module = OioModule(ranges=RANGES, only_with=ONLY_WITH, argument_spec=dict(
        type=dict(type="str", required=True, aliases=["service_type"],
                  choices=["meta0", "meta1", "meta2", "sqlx"]),
        **base_identity_spec(),
        state=dict(type="str", default="elected", choices=["elected", "synced", "left"]),
        wait_timeout=dict(type="float", default=30.0),
        check_type=dict(type="int", choices=[-1, 0, 1, 2]),
    ), **BASE_IDENTITY_RULES)
    module.run(work)


if __name__ == "__main__":
    main()
