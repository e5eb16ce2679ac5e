#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_reference
short_description: Create, update or destroy a reference of the OpenIO directory
version_added: 1.0.0
description:
  - Manages one reference of the meta1 directory of an OpenIO SDS namespace (a system
    account entry such as C(_RDIR/<volume>), an application container, an sqlx base),
    that is its existence, its properties and the services linked to it.
  - Only what is asked is compared and written. Each change uses the route that
    makes it exactly (C(create), C(set_properties) with explicit keys, C(force) with
    C(replace), C(link), C(unlink), C(renew), C(destroy)), so a second identical run
    reports no change.
  - Service types are checked against the conscience (C(conscience/info?what=types))
    and every payload is validated before anything is sent.
options:
  state:
    description:
      - V(present) creates the reference if needed and applies the other options.
      - V(absent) destroys it. See O(force).
    type: str
    choices: [present, absent]
    default: present
  properties:
    description:
      - Properties the reference must have, as a dictionary of strings. Properties not
        listed are kept unless O(purge_properties=true).
      - Values must be non-empty strings (quote numbers and booleans in YAML); the
        server deletes a key set to an empty value.
    type: dict
  purge_properties:
    description:
      - Remove the properties not listed in O(properties) (all of them when
        O(properties) is not given).
      - Removal names each key explicitly; the module never sends an empty delete list
        or the C(flush) flag, both of which wipe every property on the server.
    type: bool
    default: false
  services:
    description:
      - Services that must be linked exactly as given, per type. For each type listed,
        an entry whose addresses, C(args) or presence differ is written with C(force)
        and C(replace=yes), which touches only that C(seq).
      - If meta1 holds an entry of a listed type with a C(seq) that is not listed, the
        type is unlinked first and every listed entry forced again, because no route
        removes a single C(seq). Unlinking a type also makes meta1 drop the properties
        named C(<type>.*); the module writes back those listed in O(properties).
      - The order of the addresses of one entry does not matter.
    type: list
    elements: dict
    suboptions:
      type:
        description: Service type, for example V(rdir), V(meta2) or V(sqlx).
        type: str
        required: true
      host:
        description:
          - One or several addresses C(IP:PORT) (a list, or one string joined with C(,)).
            Several addresses are stored as one entry, as for the replicas of a meta2
            or sqlx base.
          - A service ID known to the conscience for that type is accepted as well.
        type: list
        elements: str
        required: true
      seq:
        description: Sequence number of the entry (meta2 and sqlx bases are named C(<cid>.<seq>)).
        type: int
        default: 1
      args:
        description: Free argument string stored with the entry.
        type: str
        default: ""
  link:
    description:
      - Service types that must have a service linked. When nothing of that type is
        linked, C(reference/link) lets the cluster choose; when something is linked,
        even a service that is down, it is left alone.
    type: list
    elements: str
    default: []
  unlink:
    description:
      - Service types that must have nothing linked. meta1 also removes the reference's
        properties named C(<type>.*).
    type: list
    elements: str
    default: []
  renew:
    description:
      - Service types to re-poll with C(reference/renew), which links new services with
        the next C(seq). This is an action, sent on every run; the task reports a change
        when the server's answer differs from what was linked before.
      - With the service update policy V(KEEP) (the default for C(meta2), C(sqlx) and
        C(rdir), and for every type not listed in C(ns.service_update_policy)) and
        something already linked, renew changes nothing. V(APPEND) adds an entry,
        V(REPLACE) replaces the existing ones, on every run.
      - Not retried after a transient failure, since a repeat would poll again.
    type: list
    elements: str
    default: []
  force:
    description:
      - With O(state=absent), destroy a reference that still has linked services or
        properties. Without it the module refuses, before any write.
      - On the server, C(destroy) with C(force) deletes the reference with its
        properties and its linked-service entries in meta1. It does not delete the
        meta2 or sqlx bases of those services, nor rdir indexes; they are left behind.
      - Ignored with O(state=present).
    type: bool
    default: false
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.reference
  - openio.sds.attributes
  - openio.sds.attributes.stateful
attributes:
  check_mode:
    details:
      - In check mode nothing is written and the predicted reference is returned. A
        service the cluster would choose (O(link), O(renew)) has O(services[].host) null.
      - A renew is predicted from the namespace's service update policy.
  diff_mode:
    details:
      - Shows the properties and one line per linked entry, before and after.
notes:
  - Reads go to meta1 directly (C(reference/show) without C(type)), not through the
    proxy's cache.
  - O(link) and O(renew) are not idempotent on the server and are never retried;
    the other writes are retried after transient failures.
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Assign the rdir of a rawx volume by hand
  openio.sds.oio_reference:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    account: _RDIR
    reference: rawx-12
    services:
      - type: rdir
        host: 10.0.0.5:6300

- name: A container with its three meta2 replicas and some properties
  openio.sds.oio_reference:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    account: my_account
    reference: my_container
    properties:
      owner: team-a
      quota: "1000"
    services:
      - type: meta2
        host: [10.0.0.2:6120, 10.0.0.3:6120, 10.0.0.4:6120]

- name: Let the cluster pick an sqlx service, and drop any rawx link
  openio.sds.oio_reference:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    account: my_account
    reference: my_base
    link: [sqlx]
    unlink: [rawx]

- name: Destroy a reference with whatever it still holds
  openio.sds.oio_reference:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    cid: 13C0470DBCE55371E6BD5975EFF23A18F658CDC1656A7474DEF1ED0B0EDDA9FC
    state: absent
    force: true
'''

RETURN = r'''
exists:
  description: Whether the reference exists after the task (predicted in check mode).
  returned: always
  type: bool
account:
  description: Account of the reference (null when only the cid is known).
  returned: always
  type: str
  sample: _RDIR
reference:
  description: Name of the reference (null when only the cid is known).
  returned: always
  type: str
  sample: rawx-12
cid:
  description: Container ID, as OpenIO computes it (SHA-256 of account, NUL, reference).
  returned: always
  type: str
  sample: 13C0470DBCE55371E6BD5975EFF23A18F658CDC1656A7474DEF1ED0B0EDDA9FC
properties:
  description: Properties of the reference after the task.
  returned: always
  type: dict
  sample: {"owner": "team-a"}
services:
  description:
    - Linked services after the task, one item per (type, seq); a compound entry
      (several addresses) is one item.
  returned: always
  type: list
  elements: dict
  contains:
    type:
      description: Service type.
      type: str
      sample: meta2
    seq:
      description: Sequence number.
      type: int
      sample: 1
    host:
      description: Addresses joined with C(,), as written. Null in check mode for a service the cluster would choose.
      type: str
      sample: 10.0.0.2:6120,10.0.0.3:6120
    hosts:
      description: The addresses, one per item.
      type: list
      elements: str
    args:
      description: Argument string of the entry.
      type: str
      sample: ""
'''

from ansible_collections.openio.sds.plugins.module_utils.module import OioModule
from ansible_collections.openio.sds.plugins.module_utils.reference import (
    REFERENCE_IDENTITY_RULES, check_identity, check_properties, check_services, check_type_lists,
    check_types, check_unknown_ids, diff_view, execute, plan, predict_changed,
    public_state, read_reference, reference_identity_spec)
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts

# What state absent does not take.
ONLY_WITH = [(name, "state", "present") for name in (
    "properties", "purge_properties", "services", "link", "unlink", "renew")]


def work(module):
    """Validate, read, plan, then predict or write."""
    p = module.params
    client = module.client
    account, reference, cid = check_identity(p.get("account"), p.get("reference"), p.get("cid"))
    properties = check_properties(p.get("properties"))
    services, maybe_ids = check_services(p.get("services"))
    types = check_type_lists(services, p.get("link"), p.get("unlink"), p.get("renew"))
    if types:
        check_types(types, facts(client).service_types())
    if maybe_ids:
        check_unknown_ids(maybe_ids, dict((t, facts(client).service_ids(t)) for t in maybe_ids))
    policies = facts(client).update_policies() if p.get("renew") else {}

    state = read_reference(client, account, reference, cid)
    want = {"state": p["state"], "properties": properties,
            "purge_properties": p.get("purge_properties"), "services": services,
            "link": p.get("link"), "unlink": p.get("unlink"), "renew": p.get("renew"),
            "force": p.get("force")}
    ops, predicted = plan(state, want, policies)
    module.record_before(diff_view(state))
    if module.check_mode or not ops:
        module.changed = predict_changed(state, ops, policies)
        final = predicted
    else:
        module.changed = execute(module.client, state, ops)
        final = read_reference(client, state["account"], state["reference"], state["cid"])
        if final["account"] is None and state["account"] is not None:
            final["account"], final["reference"] = state["account"], state["reference"]
    module.record_after(diff_view(final))
    return public_state(final)


def main():
    module = OioModule(
        only_with=ONLY_WITH,
        argument_spec=dict(
            reference_identity_spec(),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            properties=dict(type="dict"),
            purge_properties=dict(type="bool", default=False),
            services=dict(type="list", elements="dict", options=dict(
                type=dict(type="str", required=True),
                host=dict(type="list", elements="str", required=True),
                seq=dict(type="int", default=1),
                args=dict(type="str", default=""),
            )),
            link=dict(type="list", elements="str", default=[]),
            unlink=dict(type="list", elements="str", default=[]),
            renew=dict(type="list", elements="str", default=[]),
            force=dict(type="bool", default=False),
        ),
        **REFERENCE_IDENTITY_RULES
    )
    module.run(work)


if __name__ == "__main__":
    main()
