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
  - O(state=elected) with O(type=meta1) and O(all_bases=true) does that for every meta1 base
    (it replaces C(openio directory warmup)), pinging only the unhealthy ones. With
    O(verify=sample), only a random sample and the O(include_bases). A digits-4 namespace
    takes minutes on a real cluster (RV(stats) says what the run cost); run it with C(async)
    and C(poll). A scan that cannot read more than 1% of the bases (at least 10) fails with
    the first cause, also in check mode.
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
  all_bases:
    description:
      - With O(type=meta1) and O(state=elected), every meta1 base.
    type: bool
    default: false
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
  - openio.sds.base.all_bases
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
- name: Warm up every meta1 base after a bootstrap (openio directory warmup)
  openio.sds.oio_election:
    type: meta1
    all_bases: true
    state: elected
    wait_timeout: 120

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
  sample: {"type": "meta1", "name": "AB00", "cid": "AB00000000000000000000000000000000000000000000000000000000000000"}
election:
  description: Master, slaves, per-peer answers, state and problems of the base after the run
    (predicted in check mode for O(state=synced) and O(state=left)). See M(openio.sds.oio_election_info).
  returned: when O(all_bases=false) and O(state=elected)
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
  elements: str
pinged:
  description: With O(all_bases=true), number of meta1 bases that were (or in check mode would be) pinged.
  returned: when O(all_bases=true)
  type: int
counts:
  description: With O(all_bases=true), number of meta1 bases by state after the run.
  returned: when O(all_bases=true)
  type: dict
unhealthy:
  description: With O(all_bases=true), the meta1 bases still unhealthy (at most O(max_unhealthy)).
  returned: when O(all_bases=true)
  type: list
  elements: dict
'''

from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.election import (
    ALL_BASES_EXCLUDES, ALL_BASES_SCAN_RANGES, BASE_IDENTITY_RULES, all_bases_scan_spec, base_identity_spec,
    call_problems, election_debug, election_status, elect_meta1_bases,
    in_election, leave, normalize_meta1_base, resolve_base, scan_scope, sync,
    sync_problems, wait_elected)
from ansible_collections.openio.sds.plugins.module_utils.module import InvalidInput, OioModule
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts


def short(summary):
    return {"master": summary["master"], "slaves": summary["slaves"],
            "state": summary["state"]}


def all_bases(module):
    p = module.params
    client = module.client
    digits = facts(client).meta1_digits()
    sample_size, include = scan_scope(p["verify"], p["sample_size"], p["include_bases"])
    try:
        for name in include:
            normalize_meta1_base(name, digits)
    except ValueError as exc:
        raise InvalidInput("include_bases: %s" % exc)
    agg, pinged = elect_meta1_bases(
        client, digits, p["wait_timeout"], concurrency=p["concurrency"], warn=module.module.warn,
        max_unhealthy=p["max_unhealthy"], sample_size=sample_size, include=include)
    module.changed = pinged > 0
    agg["pinged"] = pinged
    if module.check_mode or agg["healthy"]:
        return agg
    first = agg["unhealthy"][:5]
    module.fail("%d of %d meta1 bases are not elected after %ss (by state: %s); peers at "
                "fault: %s; first: %s" % (
                    agg["unhealthy_count"], agg["total"], p["wait_timeout"],
                    dict((k, v) for k, v in agg["counts"].items() if v),
                    agg["peer_problems"] or "none",
                    "; ".join("%s: %s" % (u["base"], ", ".join(u["problems"])) for u in first)),
                **agg)


def work(module):
    p = module.params
    client = module.client
    if p["all_bases"]:
        return all_bases(module)
    try:
        base = resolve_base(client, p["type"], p["account"], p["reference"], p["cid"])
    except ValueError as exc:
        raise InvalidInput(str(exc))
    result = {"base": base.to_dict()}

    if p["state"] == "elected":
        before = election_status(client, base)
        module.record_before(short(before))
        if before["healthy"]:
            summary = before
        elif module.check_mode:
            summary = dict(before, healthy=True, state="healthy", problems=[])
            module.changed = True
        else:
            summary, pinged = wait_elected(client, base, p["wait_timeout"])
            module.changed = pinged
        module.record_after(short(summary))
        result["election"] = summary
        return result

    if p["state"] == "synced":
        before = election_status(client, base)
        if not before["healthy"]:
            raise OioError("cannot resync %s base %s: its election is not healthy (%s); use "
                           "state=elected first" % (base.type, base.name,
                                                    "; ".join(before["problems"])),
                           method="POST", url=client.proxy_route("admin/status"))
        module.changed = True
        result["synced"] = before["slaves"]
        module.record_before({"synced": []})
        module.record_after({"synced": before["slaves"]})
        if not module.check_mode:
            problems = sync_problems(sync(client, base, p["check_type"]))
            if problems:
                raise OioError("resync of %s base %s failed on %s" % (
                    base.type, base.name, "; ".join(problems)),
                    method="POST", url=client.proxy_route("admin/sync"))
        return result

    # left: the debug view tells which peers still take part in an election.
    debug = election_debug(client, base)
    members = sorted(a for a, body in debug.items() if in_election(body))
    module.record_before({"in_election": members})
    module.record_after({"in_election": []})
    result["left"] = members
    if members:
        module.changed = True
        if not module.check_mode:
            problems = call_problems(leave(client, base))
            if problems:
                raise OioError("%s base %s: leaving the election failed on %s" % (
                    base.type, base.name, "; ".join(problems)),
                    method="POST", url=client.proxy_route("admin/leave"))
    return result


# Ranges of the number options, checked before anything is sent.
RANGES = dict(ALL_BASES_SCAN_RANGES, wait_timeout=(0, 86400))
# all_bases elects the meta1 bases only: leaving or syncing 65,536 bases at
# once is not something a typo should start.
ONLY_WITH = [("check_type", "state", "synced"), ("all_bases", "type", "meta1"),
             ("all_bases", "state", "elected")] + ALL_BASES_EXCLUDES


def main():
    module = OioModule(ranges=RANGES, only_with=ONLY_WITH, argument_spec=dict(
        type=dict(type="str", required=True, aliases=["service_type"],
                  choices=["meta0", "meta1", "meta2", "sqlx"]),
        **base_identity_spec(),
        all_bases=dict(type="bool", default=False),
        state=dict(type="str", default="elected", choices=["elected", "synced", "left"]),
        wait_timeout=dict(type="float", default=30.0),
        check_type=dict(type="int", choices=[-1, 0, 1, 2]),
        **all_bases_scan_spec()
    ), **BASE_IDENTITY_RULES)
    module.run(work)


if __name__ == "__main__":
    main()
