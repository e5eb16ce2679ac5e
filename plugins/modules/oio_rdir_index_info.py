#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_rdir_index_info
short_description: List the records of one volume's reverse index
version_added: 1.1.0
description:
  - Lists the records an rdir service keeps for one rawx volume (its chunks) or one meta2
    service (its containers), page by page, in key order.
  - For a meta2 service, this is the only list of the bases it holds (a meta2 cannot be
    asked for it).
  - A volume the rdir has no database for lists no record (RV(exists) is false), whatever
    the release answers (7.3.0 and 2026.14 differ).
  - rawx records are returned in the format of the cluster's release (OpenIO SDS 2026.14
    keys a chunk by container and chunk ID, and keeps the content's path and version).
options:
  rdir:
    description:
      - The rdir to read, by service ID or address. By default the rdir the volume is
        assigned to (reference C(_RDIR/<volume>)).
    type: str
  prefix:
    description:
      - Only the records of the containers whose ID (rawx) or URL (meta2) starts with it.
    type: str
  limit:
    description:
      - Return at most this many records; RV(truncated) says when there are more.
        V(0) returns them all.
      - From 0 to 10000000.
    type: int
    default: 10000
  page_size:
    description:
      - Records asked per request.
      - From 1 to 10000.
    type: int
    default: 1000
extends_documentation_fragment:
  - openio.sds.rdir_volume
  - openio.sds.rdir_volume.service_type
  - openio.sds.connection
  - openio.sds.attributes
  - openio.sds.attributes.info_module
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: The bases a meta2 holds, from its rdir meta2 index
  openio.sds.oio_rdir_index_info:
    service_type: meta2
    volume: 10.0.0.21:6120
    limit: 0
  register: meta2_index

- name: The first chunks of a rawx volume
  openio.sds.oio_rdir_index_info:
    volume: rawx-12
    limit: 10
'''

RETURN = r'''
volume:
  description: The volume ID.
  returned: always
  type: str
rdir:
  description: The rdir read (service ID or address).
  returned: always
  type: str
rdir_addr:
  description: Address the rdir was reached at.
  returned: always
  type: str
exists:
  description: Whether the rdir has a database for the volume.
  returned: always
  type: bool
records:
  description:
    - The records, in key order. meta2 records as the rdir lists them (C(container_url),
      C(container_id), C(mtime), C(extra_data)); rawx records as C(key) and C(value), plus
      the fields of the key and the value (C(container_id), C(content_id), C(chunk_id),
      C(mtime), and on 2026.14 C(path) and C(version)).
  returned: always
  type: list
  elements: dict
count:
  description: The number of records returned.
  returned: always
  type: int
truncated:
  description: Whether the index holds more records than returned (see O(limit)).
  returned: always
  type: bool
'''

from ansible_collections.openio.sds.plugins.module_utils.module import OioModule
from ansible_collections.openio.sds.plugins.module_utils import rdir_index


def work(module):
    p = module.params
    rdir_index.check_volumes(p["service_type"], p["volume"])
    rdir_id, rdir_addr = rdir_index.index_rdir(module.client, p["volume"], p["rdir"])
    listing = rdir_index.list_records(module.client, rdir_addr, p["service_type"], p["volume"],
                                      limit=p["limit"], page_size=p["page_size"],
                                      prefix=p["prefix"])
    listing.update(volume=p["volume"], rdir=rdir_id, rdir_addr=rdir_addr)
    return listing


RANGES = dict(limit=(0, 10000000), page_size=(1, 10000))


def main():
    module = OioModule(names_release=True, ranges=RANGES, argument_spec=dict(
        service_type=dict(type="str", default="rawx", choices=["rawx", "meta2"]),
        volume=dict(type="str", required=True, aliases=["service_id"]),
        rdir=dict(type="str"),
        prefix=dict(type="str"),
        limit=dict(type="int", default=10000),
        page_size=dict(type="int", default=1000),
    ))
    module.run(work)


if __name__ == "__main__":
    main()
