#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_base
short_description: Move a replicated base between services, manage its admin properties, remove copies
version_added: 1.0.0
description:
  - Manages one replicated sqliterepo base (a meta1 base, or the meta2 or sqlx base of a
    reference).
  - O(peers) is the desired set of services holding the base. When it differs from what the
    directory says, the module moves the base. It sets C(sys.peers), copies the base to the
    new peers from a peer that has it (the master first), points the owner at the new peers
    (C(meta0_force) of the base's prefixes for a meta1 base, followed by a flush of the
    proxy's C(high) cache; C(reference/force) for a meta2 or sqlx base), makes the peers leave
    the election, removes the copies on the former peers, and waits for a healthy election.
  - Each step runs only if the cluster is not past it already, so a move interrupted halfway
    can be run again. If the interruption came after the owner was updated, the former peers
    are not known any more; remove their copies with O(state=absent) and O(service_ids).
  - O(properties) and O(system_properties) set keys of the base's admin table, in the same
    write as C(sys.peers) when both change.
  - O(state=absent) removes the local copies of the base on O(service_ids).
options:
  type:
    description:
      - Type of the base.
    type: str
    required: true
    choices: [meta1, meta2, sqlx]
    aliases: [service_type]
  state:
    description:
      - V(present) manages O(peers) and the properties; V(absent) removes the copies on
        O(service_ids).
    type: str
    default: present
    choices: [present, absent]
  peers:
    description:
      - Desired peers (C(IP:PORT) of services of that type registered in the conscience).
      - Omit to leave the peers alone.
    type: list
    elements: str
  properties:
    description:
      - User properties of the admin table (stored as C(user.<key>)). A null or empty value
        removes the key.
    type: dict
  system_properties:
    description:
      - System keys of the admin table; each must start with C(sys.). C(sys.peers) is set
        with O(peers). A null or empty value removes the key.
    type: dict
  purge_properties:
    description:
      - Remove the user properties not listed in O(properties). System keys are never purged.
    type: bool
    default: false
  service_ids:
    description:
      - With O(state=absent), the services (C(IP:PORT)) whose copy of the base to remove.
    type: list
    elements: str
  force:
    description:
      - With O(state=absent), also remove the copy on a service that is still a peer of the
        base (the base is then short of a replica until it is copied back).
    type: bool
    default: false
  wait_timeout:
    description:
      - After a move, how long to wait, in seconds, for a healthy election.
      - From 0 to 86400.
    type: float
    default: 30
  allow_fewer_replicas:
    description:
      - B(Dangerous.) O(peers) listing fewer services than the base has and than the
        namespace keeps of such a base (for a meta1 base the replica count of the meta0
        mapping, for a meta2 or sqlx base the one of the namespace's
        C(service_update_policy)) is refused, because the other copies would be removed.
        V(true) does it anyway.
    type: bool
    default: false
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.base
  - openio.sds.lease
  - openio.sds.attributes
  - openio.sds.attributes.stateful
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Move a container's meta2 base from 10.0.0.12 to 10.0.0.14
  openio.sds.oio_base:
    type: meta2
    account: my_account
    reference: my_container
    peers: [10.0.0.13:6120, 10.0.0.14:6120]

- name: Move the meta1 base AB00 off a decommissioned meta1
  openio.sds.oio_base:
    type: meta1
    cid: AB00
    peers: [10.0.0.2:6110, 10.0.0.3:6110, 10.0.0.5:6110]
    wait_timeout: 60

- name: Exactly these user properties on a meta1 base
  openio.sds.oio_base:
    type: meta1
    cid: AB00
    properties:
      owner: team-storage
    purge_properties: true

- name: Remove the copy left on a former peer
  openio.sds.oio_base:
    type: meta2
    cid: 13C0470DBCE55371E6BD5975EFF23A18F658CDC1656A7474DEF1ED0B0EDDA9FC.1
    state: absent
    service_ids: [10.0.0.12:6120]
'''

RETURN = r'''
base:
  description: The base after the run (predicted in check mode).
  returned: always
  type: dict
  contains:
    type:
      description: Type of the base.
      type: str
    name:
      description: Name of the base.
      type: str
    cid:
      description: The cid that named the base.
      type: str
    peers:
      description: Peers of the base according to the directory.
      type: list
      elements: str
    properties:
      description: User properties of the admin table.
      type: dict
    system_properties:
      description: The other keys of the admin table (C(sys.*), C(version:*), C(schema_version), C(stats.*)).
      type: dict
    copies:
      description:
        - With O(peers), the services that hold a copy, as they answered before the run, each
          with the C(path) of its file and, on OpenIO SDS 2026.14, the file's C(mtime)
          (null on 7.3.0).
      type: dict
      returned: when O(peers) is set
  sample: {"type": "meta2", "name": "13C0...A9FC.1", "peers": ["127.0.0.1:6013", "127.0.0.1:6014"],
           "properties": {}, "system_properties": {"sys.peers": "127.0.0.1:6013,127.0.0.1:6014"}}
actions:
  description: The steps done (planned in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["set sys.peers of X.1 to a,c", "copy X.1 to c", "point the reference's meta2 link at a,c"]
removed:
  description: With O(state=absent), the services whose copy was (or would be) removed.
  returned: when O(state=absent)
  type: list
  elements: str
'''

from ansible_collections.openio.sds.plugins.module_utils.election import (
    BASE_IDENTITY_RULES, base_identity_spec, resolve_base)
from ansible_collections.openio.sds.plugins.module_utils.meta0.lease import LEASE_RANGES, lease_spec, writer_lease
from ansible_collections.openio.sds.plugins.module_utils.module import InvalidInput, OioModule
from ansible_collections.openio.sds.plugins.module_utils.names import is_addr
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts
from ansible_collections.openio.sds.plugins.module_utils.sqlbase import (
    PEERS_KEY, apply_properties, base_files, check_peers, check_properties, copies_of, describe_plan,
    expected_replicas, get_admin_properties, move_plan, owner_peers, plan_is_empty, plan_properties,
    plan_removal, remove_copies, run_move, set_admin_properties)


def view(base, peers, table, asked_system):
    """The diff view: peers, user properties, and only the system keys the
    user asked about plus sys.peers (the rest is counters)."""
    keys = set(asked_system) | set([PEERS_KEY])
    system = table.get("system") or {}
    return {"base": base.name, "peers": sorted(peers),
            "properties": dict(table.get("properties") or {}),
            "system_properties": dict((k, system[k]) for k in sorted(keys) if k in system)}


def absent(module, base):
    p = module.params
    ids = p["service_ids"]
    bad = [s for s in ids if not is_addr(s)]
    if bad:
        raise InvalidInput("service_ids must be IP:PORT addresses: %s" % ", ".join(bad))
    owner = owner_peers(module.client, base)
    try:
        holding = plan_removal(module.client, base, ids, owner["peers"], force=p["force"])
    except ValueError as exc:
        raise InvalidInput(str(exc))
    module.record_before({"base": base.name, "copies_on": sorted(holding)})
    module.record_after({"base": base.name, "copies_on": []})
    removed = holding
    if holding:
        module.changed = True
        if not module.check_mode:
            removed = remove_copies(module.client, base, holding)
    out = base.to_dict()
    out["peers"] = owner["peers"]
    return {"base": out, "removed": removed,
            "actions": ["remove the copies on %s" % ", ".join(holding)] if holding else []}


def work(module):
    p = module.params
    client = module.client
    problem = check_properties(p["properties"], p["system_properties"])
    if problem:
        raise InvalidInput(problem)
    if p["purge_properties"] and p["properties"] is None:
        raise InvalidInput("purge_properties needs properties (use {} to remove them all)")
    base = resolve_base(client, p["type"], p["account"], p["reference"], p["cid"])
    if p["state"] == "absent":
        return absent(module, base)

    desired = p["peers"]
    if desired is not None:
        known = set(s["addr"] for s in facts(client).services(base.type))
        problem = check_peers(desired, known)
        if problem:
            raise InvalidInput("%s base %s: %s" % (base.type, base.name, problem))
    owner = owner_peers(client, base)
    if not owner["peers"]:
        raise InvalidInput("%s base %s has no peers in the directory" % (base.type, base.name))
    if desired is not None and not p["allow_fewer_replicas"]:
        replicas = expected_replicas(client, base, owner)
        if len(desired) < replicas and len(desired) < len(owner["peers"]):
            raise InvalidInput(
                "%s base %s: peers lists %d service(s), but the namespace keeps %d replicas of "
                "such a base: the other copies would be removed. Set allow_fewer_replicas: true "
                "to do it anyway" % (base.type, base.name, len(desired), replicas))
    table = get_admin_properties(client, base, peers=owner["peers"])
    changes = plan_properties(table, p["properties"], p["system_properties"],
                              p["purge_properties"])
    plan = None
    files = None
    actions = []
    if desired is not None:
        sys_peers = [x for x in (table["system"].get(PEERS_KEY) or "").split(",") if x]
        files = base_files(client, base)
        plan = move_plan(owner, sys_peers, copies_of(files), desired)
        if plan_is_empty(plan):
            plan = None
        else:
            actions = describe_plan(base, plan, desired)
    if changes["properties"] or changes["system"]:
        actions.insert(0, "set admin properties %s" % ", ".join(
            sorted(list(changes["properties"]) + list(changes["system"]))))

    after_table = apply_properties(table, changes)
    if plan is not None and plan["set_peers"]:
        after_table["system"][PEERS_KEY] = ",".join(sorted(desired))
    after_peers = list(desired) if plan is not None else owner["peers"]
    asked = list(p["system_properties"] or {})
    module.record_before(view(base, owner["peers"], table, asked))
    module.record_after(view(base, after_peers, after_table, asked))
    module.changed = bool(actions)

    if module.changed and not module.check_mode:
        if plan is not None:
            # A meta1 move writes meta0: it holds the namespace's writer lease.
            with writer_lease(client, p["lease_timeout"], p["lease_ttl"], module.warn,
                              needed=base.type == "meta1" and plan["force_owner"]) as lease:
                run_move(client, base, owner, plan, desired, changes, p["wait_timeout"],
                         warn=module.warn,
                         before_force=lease.renew if lease is not None else None)
        else:
            set_admin_properties(client, base, changes)
    out = base.to_dict()
    out.update(peers=after_peers, properties=after_table["properties"],
               system_properties=after_table["system"])
    if files is not None:
        out["copies"] = dict((a, f) for a, f in files.items() if f)
    return {"base": out, "actions": actions}


# Ranges of the number options, checked before anything is sent.
RANGES = dict(LEASE_RANGES, wait_timeout=(0, 86400))
# What each state does not take.
ONLY_WITH = [(name, "state", "present")
             for name in ("peers", "properties", "system_properties", "purge_properties")] + \
    [(name, "state", "absent") for name in ("service_ids", "force")]


def main():
    module = OioModule(ranges=RANGES, only_with=ONLY_WITH, argument_spec=dict(
        type=dict(type="str", required=True, aliases=["service_type"],
                  choices=["meta1", "meta2", "sqlx"]),
        **base_identity_spec(),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        peers=dict(type="list", elements="str"),
        properties=dict(type="dict"),
        system_properties=dict(type="dict"),
        purge_properties=dict(type="bool", default=False),
        service_ids=dict(type="list", elements="str"),
        force=dict(type="bool", default=False),
        wait_timeout=dict(type="float", default=30.0),
        allow_fewer_replicas=dict(type="bool", default=False),
        **lease_spec()
    ), required_if=[("state", "absent", ["service_ids"])], **BASE_IDENTITY_RULES)
    module.run(work)


if __name__ == "__main__":
    main()
