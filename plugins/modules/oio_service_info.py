#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_service_info
short_description: List the services of some types registered in the conscience
version_added: 1.0.0
description:
  - Lists the services of one or more types (meta0, meta1, meta2, rawx, rdir, ...) that the
    conscience of an OpenIO SDS namespace knows, with their address, ID, score,
    location and tags.
options:
  type:
    description:
      - The service type, for example V(meta1) or V(rawx), or a list of types (one task, one
        request per type).
    type: list
    elements: str
    required: true
    aliases: [service_type]
  full:
    description:
      - Also return the C(stat.*) tags (for example C(stat.opened_db_count) of rdir services).
    type: bool
    default: false
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.attributes
  - openio.sds.attributes.info_module
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: List the meta1 services
  openio.sds.oio_service_info:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    type: meta1
  register: meta1

- name: List the services of the directory in one task
  openio.sds.oio_service_info:
    type: [meta0, meta1, meta2, rdir]
  register: directory

- name: List rdir services with their statistics, connection from module_defaults
  module_defaults:
    group/openio.sds.oio:
      proxy_url: "{{ oio_proxy_url }}"
      namespace: "{{ oio_namespace }}"
  openio.sds.oio_service_info:
    type: rdir
    full: true
'''

RETURN = r'''
release:
  description:
    - The OpenIO SDS release of the cluster, as its answers tell (V(7.3.0) or V(2026.14)).
  returned: always
  type: str
  sample: "2026.14"
services:
  description: The services of the types, type after type in the order of O(type), as the
    conscience lists them.
  returned: always
  type: list
  elements: dict
  contains:
    addr:
      description: Address of the service, C(IP:PORT).
      type: str
      sample: 10.0.0.2:6110
    id:
      description: Service ID (tag C(tag.service_id)) when it has one, else its address.
      type: str
      sample: 10.0.0.2:6110
    score:
      description: Score of the service, 0 to 100 (on 2026.14 its put score). 0 means it gets
        no new work.
      type: int
      sample: 87
    scores:
      description: On OpenIO SDS 2026.14, the C(put) and C(get) scores apart.
      type: dict
      returned: on OpenIO SDS 2026.14
      sample: {"put": 87, "get": 90}
    type:
      description: The service type.
      type: str
      sample: meta1
    location:
      description: Location (tag C(tag.loc)), or the IP address when it has none.
      type: str
      sample: dc1.rack1.host2.m1-0
    locked:
      description: Whether a score of the service is locked (on 2026.14, the put or the get score).
      type: bool
    fully_locked:
      description: Whether every score is locked (on 7.3.0, the same as RV(services[].locked)).
      type: bool
    locks:
      description: Which scores are locked, C(put) and C(get) (both the same on 7.3.0, which
        has one lock).
      type: dict
      sample: {"put": true, "get": false}
    up:
      description: Whether the conscience sees the service up.
      type: bool
    tags:
      description: Every tag of the service.
      type: dict
'''

from ansible_collections.openio.sds.plugins.module_utils.module import InvalidInput, OioModule
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts


def list_services(module):
    types = list(dict.fromkeys(module.params["type"]))  # once each, in order
    if not types or not all(types):
        raise InvalidInput("type: name at least one service type, and no empty one")
    listed = facts(module.client)
    return {"services": [svc for service_type in types
                         for svc in listed.services(service_type, module.params["full"])]}


def main():
    module = OioModule(names_release=True, argument_spec=dict(
        type=dict(type="list", elements="str", required=True, aliases=["service_type"]),
        full=dict(type="bool", default=False),
    ))
    module.run(list_services)


if __name__ == "__main__":
    main()
