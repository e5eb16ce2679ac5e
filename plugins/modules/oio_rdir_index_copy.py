#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_rdir_index_copy
short_description: Copy a volume's index records from one rdir to another
version_added: 1.0.0
description:
  - Copies the records that an rdir service keeps for one volume (the chunk records of a
    rawx volume, or the container records of a meta2 service) to another rdir, for example
    after the volume was reassigned away from an rdir that is being decommissioned, so
    that no record is lost.
  - Pages through the source and the destination side by side, in key order, and pushes
    only the records missing on the destination. A record already on the destination is
    left as it is, even when it differs (the volume may have updated it there since); it
    is counted in RV(differing).
  - Chunk records keep their modification time. Pushes overwrite by key, so they are
    retried on transient failures.
  - With O(remove_from_source=true) the records that are on the destination afterwards
    (copied or already there) are deleted from the source, record by record; records that
    could not be copied stay on the source.
  - A source record the rdir would refuse (a chunk key that does not split into container,
    content and chunk IDs, a missing container URL) is not copied nor deleted, and is
    listed in RV(skipped_records) with a warning.
options:
  service_type:
    description:
      - The kind of volume.
    type: str
    required: true
    choices: [rawx, meta2]
  source:
    description:
      - The rdir to copy from, by service ID or C(IP:PORT) address. An address that the
        conscience no longer lists is accepted.
    type: str
    required: true
  destination:
    description:
      - The rdir to copy to, by service ID or address.
      - Defaults to the rdir the volume is assigned to (reference C(_RDIR/<volume>)).
      - It must differ from O(source), unless O(destination_volume) is another volume.
    type: str
  destination_volume:
    description:
      - The volume whose index receives the records, by default O(volume).
      - For a meta2 base moved from one meta2 service to another, its container record
        belongs in the index of the new service; give that service here, and its rdir is
        the default O(destination).
    type: str
  containers:
    description:
      - Only copy the records of these containers (container IDs, 64 hex characters).
    type: list
    elements: str
  prefix:
    description:
      - Only read the records whose key starts with this, on both rdirs, a container ID
        prefix for rawx, a container URL prefix (C(NS/account/container)) for meta2.
        The rdir filters, which makes reading a few records of a big index cheap.
    type: str
  ignore_missing_source:
    description:
      - Do not warn when the source has no database for the volume, for example when
        trying every volume of a namespace against an rdir that indexes only some of them.
    type: bool
    default: false
  remove_from_source:
    description:
      - Delete from the source the records that the destination holds once the copy is done.
    type: bool
    default: false
  page_size:
    description:
      - Records read per request, 1 to 10000.
      - From 1 to 10000.
    type: int
    default: 1000
  concurrency:
    description:
      - How many pushes (or deletions) run at the same time.
      - From 1 to 64.
    type: int
    default: 8
extends_documentation_fragment:
  - openio.sds.rdir_volume
  - openio.sds.connection
  - openio.sds.attributes
  - openio.sds.attributes.stateful
attributes:
  check_mode:
    details:
      - In check mode both listings are read and the records that would be copied (and
        deleted) are counted; nothing is written.
  diff_mode:
    details:
      - The diff shows the number of records on the source and on the destination, before
        and after, never the records.
notes:
  - Reads cost one request per O(page_size) records on each rdir; writes one request per
    copied record (and one per deleted record).
  - The task fails when some pushes or deletions failed, after trying every record;
    running it again copies what is still missing.
seealso:
  - module: openio.sds.oio_rdir_assignment
  - module: openio.sds.oio_rdir_volume
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Move rawx-3 away from rdir 10.0.0.5:6300
  openio.sds.oio_rdir_assignment:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    service_type: rawx
    service_ids: [rawx-3]
    reassign_from: 10.0.0.5:6300

- name: Bring its chunk records to the rdir it is now assigned to
  openio.sds.oio_rdir_index_copy:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    service_type: rawx
    volume: rawx-3
    source: 10.0.0.5:6300
  register: copy

- name: Move the container records of a meta2 service to a given rdir
  openio.sds.oio_rdir_index_copy:
    service_type: meta2
    volume: 10.0.0.21:6120
    source: 10.0.0.5:6300
    destination: 10.0.0.6:6300
    remove_from_source: true
'''

RETURN = r'''
source_rdir:
  description: The source rdir (service ID, else address).
  returned: always
  type: str
destination_rdir:
  description: The destination rdir (service ID, else address).
  returned: always
  type: str
destination_volume:
  description: The volume whose index received the records.
  returned: always
  type: str
source_count:
  description: Records of the volume on the source when the task started (those selected by
    O(prefix) and O(containers)).
  returned: always
  type: int
  sample: 1200
source_exists:
  description: Whether the source has a database for the volume. When it has none there
    is nothing to copy, and a warning says so.
  returned: always
  type: bool
destination_count_before:
  description: Records of the volume on the destination before the task.
  returned: always
  type: int
destination_count_after:
  description: Records on the destination after the task (predicted in check mode).
  returned: always
  type: int
copied:
  description: Records pushed to the destination (in check mode, that would be).
  returned: always
  type: int
already_present:
  description: Source records already on the destination.
  returned: always
  type: int
differing:
  description: Of those, records whose value (for example the mtime) differs. They are
    left as the destination has them.
  returned: always
  type: int
verified:
  description:
    - Source records found on the destination after the copy, record by record, with the same
      value (or a newer one). Only these are deleted from the source with
      O(remove_from_source). 0 in check mode.
  returned: always
  type: int
unverified_count:
  description: Source records missing or different on the destination after the copy; the
    task fails when there is one, and they stay on the source.
  returned: always
  type: int
unverified_records:
  description: The first 20 of them, with the reason.
  returned: always
  type: list
  elements: dict
removed_from_source:
  description: Records deleted from the source (in check mode, that would be).
  returned: always
  type: int
skipped_count:
  description: Source records left alone because the rdir would refuse them.
  returned: always
  type: int
skipped_records:
  description: The first 20 of them, with the reason.
  returned: always
  type: list
  elements: dict
failed_count:
  description: Records whose push or deletion failed. The task then fails.
  returned: always
  type: int
failed_records:
  description: The first 20 of them, with the error.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.openio.sds.plugins.module_utils.client import CONCURRENCY_RANGE
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule
from ansible_collections.openio.sds.plugins.module_utils import rdir_index


def work(module):
    params = module.params
    rdir_index.check_volumes(params["service_type"], params["volume"],
                             params["destination_volume"], params["containers"])
    src_id, src_addr, dst_id, dst_addr = rdir_index.endpoints(
        module.client, params["volume"], params["source"], params["destination"],
        params["destination_volume"])
    copy = rdir_index.IndexCopy(
        module.client, params["service_type"], params["volume"], src_addr, dst_addr,
        page_size=params["page_size"], concurrency=params["concurrency"],
        remove_from_source=params["remove_from_source"],
        dst_vol=params["destination_volume"], containers=params["containers"],
        prefix=params["prefix"])
    result = copy.run()
    result.update(source_rdir=src_id, destination_rdir=dst_id,
                  destination_volume=params["destination_volume"] or params["volume"])
    before, after = rdir_index.diff_summary(result, src_id, dst_id)
    module.record_before(before)
    module.record_after(after)
    module.changed = bool(result["copied"] or result["removed_from_source"])
    if not result["source_exists"] and not params["ignore_missing_source"]:
        module.module.warn("rdir %s has no index for volume %s: nothing to copy"
                           % (src_id, params["volume"]))
    if result["skipped_count"]:
        module.module.warn("%d record(s) of volume %s on %s cannot be pushed as they are and "
                           "were left on the source (see skipped_records)"
                           % (result["skipped_count"], params["volume"], src_id))
    if result["failed_count"] or result["unverified_count"]:
        result["changed"] = module.changed
    if result["unverified_count"] and not result["failed_count"]:
        first = result["unverified_records"][0]
        module.fail("%d record(s) of volume %s are not on the destination as on the source "
                    "after the copy (first: %s, %s); they were left on the source: run the "
                    "task again" % (result["unverified_count"], params["volume"], first["key"],
                                    first["reason"]), **result)
    if result["failed_count"]:
        first = result["failed_records"][0]["error"]
        module.fail("%d record(s) of volume %s could not be copied or deleted; run the task "
                    "again to retry them (first error: %s %s: %s)"
                    % (result["failed_count"], params["volume"], first.get("method") or "",
                       first.get("url") or "", first.get("message")), **result)
    return result


# Ranges of the number options, checked before anything is sent.
RANGES = dict(concurrency=CONCURRENCY_RANGE, page_size=(1, 10000))


def main():
    module = OioModule(ranges=RANGES, argument_spec=dict(
        service_type=dict(type="str", required=True, choices=["rawx", "meta2"]),
        volume=dict(type="str", required=True, aliases=["service_id"]),
        source=dict(type="str", required=True),
        destination=dict(type="str"),
        destination_volume=dict(type="str"),
        containers=dict(type="list", elements="str"),
        prefix=dict(type="str"),
        ignore_missing_source=dict(type="bool", default=False),
        remove_from_source=dict(type="bool", default=False),
        page_size=dict(type="int", default=1000),
        concurrency=dict(type="int", default=8),
    ))
    module.run(work)


if __name__ == "__main__":
    main()
