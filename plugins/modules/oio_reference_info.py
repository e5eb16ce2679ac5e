#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_reference_info
short_description: Show one reference of the OpenIO directory
version_added: 1.0.0
description:
  - Tells whether a reference of the meta1 directory exists, and returns its cid, its
    properties and its linked services.
  - A missing reference is not an error; the module returns RV(exists=false).
options:
  types:
    description:
      - Return only the linked services of these types. Each must be a type the
        conscience knows.
    type: list
    elements: str
    default: []
    aliases: [type]
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.reference
  - openio.sds.attributes
  - openio.sds.attributes.info_module
notes:
  - Reads go to meta1 directly (C(reference/show) without C(type)), not through the
    proxy's cache, so a change made through another proxy is seen at once.
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Which rdir indexes the volume rawx-12
  openio.sds.oio_reference_info:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    account: _RDIR
    reference: rawx-12
    types: [rdir]
  register: assignment

- name: Look a container up by its cid
  openio.sds.oio_reference_info:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    cid: 13C0470DBCE55371E6BD5975EFF23A18F658CDC1656A7474DEF1ED0B0EDDA9FC
'''

RETURN = r'''
release:
  description:
    - The OpenIO SDS release of the cluster, as its answers tell (V(7.3.0) or V(2026.14)).
  returned: always
  type: str
  sample: "2026.14"
exists:
  description: Whether meta1 knows the reference.
  returned: always
  type: bool
account:
  description: Account of the reference (null when looked up by cid and meta1 did not say).
  returned: always
  type: str
reference:
  description: Name of the reference (null when looked up by cid and meta1 did not say).
  returned: always
  type: str
cid:
  description: Container ID, as OpenIO computes it (SHA-256 of account, NUL, reference).
  returned: always
  type: str
  sample: 13C0470DBCE55371E6BD5975EFF23A18F658CDC1656A7474DEF1ED0B0EDDA9FC
properties:
  description: Properties of the reference (empty when it does not exist).
  returned: always
  type: dict
services:
  description:
    - Linked services, one item per (type, seq), filtered by O(types). A compound entry
      (several addresses) is one item. Empty when the reference does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    type:
      description: Service type.
      type: str
    seq:
      description: Sequence number.
      type: int
    host:
      description: Addresses joined with C(,).
      type: str
    hosts:
      description: The addresses, one per item.
      type: list
      elements: str
    args:
      description: Argument string of the entry.
      type: str
'''

from ansible_collections.openio.sds.plugins.module_utils.module import OioModule
from ansible_collections.openio.sds.plugins.module_utils.reference import (
    REFERENCE_IDENTITY_RULES, check_identity, check_type_lists, check_types,
    public_state, read_reference, reference_identity_spec)
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts


def work(module):
    p = module.params
    client = module.client
    account, reference, cid = check_identity(p.get("account"), p.get("reference"), p.get("cid"))
    types = list(p.get("types") or [])
    if types:
        check_type_lists([], types, [], [])
        check_types(types, facts(client).service_types())
    return public_state(read_reference(client, account, reference, cid), types)


def main():
    module = OioModule(
        names_release=True,
        argument_spec=dict(
            reference_identity_spec(),
            types=dict(type="list", elements="str", default=[], aliases=["type"]),
        ),
        **REFERENCE_IDENTITY_RULES
    )
    module.run(work)


if __name__ == "__main__":
    main()
