#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_rdir_index_copy
short_description: Copy the index records of volumes from one rdir to another
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
  - With O(volumes), the volumes are copied one after the other in one run, each from
    O(source) to its destination; the counts are their
    sums and RV(volumes) holds the result of each. Every volume is located before the
    first write; records that could not be pushed or deleted do not stop the other volumes,
    and the task then fails naming the volumes.
options:
  service_type:
    description:
      - The kind of volume.
    type: str
    required: true
    choices: [rawx, meta2]
  volume:
    description:
      - The volume to copy, by volume ID, that is the service ID of the rawx or meta2
        service, or its address when it has none.
      - Required unless O(volumes) is given.
    type: str
    aliases: [service_id]
  volumes:
    description:
      - Several volumes of O(service_type) to copy in one run instead of O(volume).
      - A list of volume IDs, each copied to the rdir it is assigned to, or to O(destination).
      - Or a dict of volume ID to the rdir to copy it to, a list of rdirs whose first one is
        taken, as RV(openio.sds.oio_rdir_assignment#module:assignments) gives them.
      - An empty list or dict copies nothing.
      - Mutually exclusive with O(volume), O(destination_volume), O(containers) and
        O(prefix).
    type: raw
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
      - Records read per request, and on OpenIO SDS 2026.14 records written per push or delete
        (at most 1000 per write, as C(openio-admin rdir copy) sends).
      - From 1 to 10000.
    type: int
    default: 1000
  concurrency:
    description:
      - How many pushes (or deletions) run at the same time; on 7.3.0 each carries one record,
        on 2026.14 a batch of records.
      - From 1 to 64.
    type: int
    default: 8
extends_documentation_fragment:
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
  - Reads cost one request per O(page_size) records on each rdir. Writes follow the release;
    OpenIO SDS 2026.14 takes a JSON array of records on a push or a delete and writes it as one
    batch, so a page of copied (or deleted) records costs one request; 7.3.0 takes one record
    per request (an array is refused with C(400 null body)).
  - The next page of the source is read while the last one is written. A record leaves the
    source only once it was read back from the destination, page by page.
  - Each task costs a module run (a process, a fraction of a second of CPU), so a
    decommission copies a batch of volumes with one task through O(volumes) rather than a
    loop of tasks.
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

- name: Bring the records of a batch of rawx volumes to the rdirs they are now assigned to
  openio.sds.oio_rdir_index_copy:
    service_type: rawx
    volumes: [rawx-3, rawx-4, rawx-7]
    source: 10.0.0.5:6300
    remove_from_source: true
    ignore_missing_source: true

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
  returned: with O(volume)
  type: str
destination_volume:
  description: The volume whose index received the records.
  returned: with O(volume)
  type: str
volumes:
  description:
    - With O(volumes), the result of each volume by volume ID, with the keys a run with
      O(volume) returns. The counts at the top are their sums, the lists of records their
      first 20, each naming its C(volume).
  returned: with O(volumes)
  type: dict
source_count:
  description: Records of the volume on the source when the task started (those selected by
    O(prefix) and O(containers)).
  returned: always
  type: int
  sample: 1200
source_exists:
  description: Whether the source has a database for the volume (with O(volumes), for one of
    them at least). When it has none there is nothing to copy, and a warning says so.
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
from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule
from ansible_collections.openio.sds.plugins.module_utils import rdir_copy, rdir_index


def work(module):
    params = module.params
    single = params["volumes"] is None
    targets = ([(params["volume"], params["destination"])] if single
               else volume_targets(params["volumes"], params["destination"]))
    volumes = [vol for vol, dummy in targets]
    for vol in volumes:
        rdir_index.check_volumes(params["service_type"], vol, params["destination_volume"],
                                 params["containers"])
    # Every volume located before the first write: a bad one stops the run
    # with nothing written.
    rdirs = rdir_index.list_rdirs(module.client)
    ends = [rdir_copy.endpoints(module.client, vol, params["source"], dest,
                                params["destination_volume"], rdirs) for vol, dest in targets]
    results = {}
    for vol, (src_id, src_addr, dst_id, dst_addr) in zip(volumes, ends):
        copy = rdir_copy.IndexCopy(
            module.client, params["service_type"], vol, src_addr, dst_addr,
            page_size=params["page_size"], concurrency=params["concurrency"],
            remove_from_source=params["remove_from_source"],
            dst_vol=params["destination_volume"], containers=params["containers"],
            prefix=params["prefix"])
        results[vol] = dict(copy.run(), source_rdir=src_id, destination_rdir=dst_id,
                            destination_volume=params["destination_volume"] or vol)
    if single:
        result = results[volumes[0]]
        before, after = rdir_copy.diff_summary(result, result["source_rdir"],
                                               result["destination_rdir"])
    else:
        result = rdir_copy.copies_total(results)
        result["source_rdir"] = ends[0][0] if ends else params["source"]
        before, after = rdir_copy.diff_summary(result, result["source_rdir"],
                                               "the rdirs of the volumes")
    module.record_before(before)
    module.record_after(after)
    module.changed = bool(result["copied"] or result["removed_from_source"])
    missing = [vol for vol in volumes if not results[vol]["source_exists"]]
    if missing and not params["ignore_missing_source"]:
        module.warn("rdir %s has no index for %s: nothing to copy"
                    % (result["source_rdir"], named(missing)))
    if result["skipped_count"]:
        module.warn("%d record(s) of %s on %s cannot be pushed as they are "
                    "and were left on the source (see skipped_records)"
                    % (result["skipped_count"], failing(results, "skipped_count"),
                       result["source_rdir"]))
    if result["failed_count"] or result["unverified_count"]:
        result["changed"] = module.changed
    if result["unverified_count"] and not result["failed_count"]:
        first = result["unverified_records"][0]
        module.fail("%d record(s) of %s are not on the destination as on the source "
                    "after the copy (first: %s, %s); they were left on the source: run the "
                    "task again" % (result["unverified_count"],
                                    failing(results, "unverified_count"), first["key"],
                                    first["reason"]), **result)
    if result["failed_count"]:
        first = result["failed_records"][0]["error"]
        module.fail("%d record(s) of %s could not be copied or deleted; run the task "
                    "again to retry them (first error: %s %s: %s)"
                    % (result["failed_count"], failing(results, "failed_count"),
                       first.get("method") or "", first.get("url") or "",
                       first.get("message")), **result)
    return result


def volume_targets(volumes, destination):
    """``[(volume, destination or None)]`` of O(volumes): a list of volume
    IDs (to ``destination``), or a dict of volume ID to an rdir or a list
    of rdirs (the first one)."""
    if isinstance(volumes, list):
        return [(vol, destination) for vol in volumes]
    if not isinstance(volumes, dict):
        raise InvalidInput("volumes must be a list of volume IDs or a dict of volume ID to "
                           "rdir, got %s" % type(volumes).__name__)
    if destination:
        raise InvalidInput("destination cannot go with volumes given as a dict, which names "
                           "the rdir of each volume")
    targets = []
    for vol in sorted(volumes):
        rdirs = volumes[vol]
        if isinstance(rdirs, list):
            rdirs = rdirs[0] if rdirs else None
        if not isinstance(rdirs, str) or not rdirs:
            raise InvalidInput("volumes: volume %s is given no rdir to copy to (%r)"
                               % (vol, volumes[vol]))
        targets.append((vol, rdirs))
    return targets


def failing(results, key):
    """The volumes whose ``key`` count is not 0, for a message."""
    return named([vol for vol in sorted(results) if results[vol][key]])


def named(volumes):
    """``volume A`` or ``volumes A, B``."""
    return "volume%s %s" % ("s" if len(volumes) > 1 else "", ", ".join(volumes))


# Ranges of the number options, checked before anything is sent.
RANGES = dict(concurrency=CONCURRENCY_RANGE, page_size=(1, 10000))


def main():
    module = OioModule(ranges=RANGES, argument_spec=dict(
        service_type=dict(type="str", required=True, choices=["rawx", "meta2"]),
        volume=dict(type="str", aliases=["service_id"]),
        volumes=dict(type="raw"),
        source=dict(type="str", required=True),
        destination=dict(type="str"),
        destination_volume=dict(type="str"),
        containers=dict(type="list", elements="str"),
        prefix=dict(type="str"),
        ignore_missing_source=dict(type="bool", default=False),
        remove_from_source=dict(type="bool", default=False),
        page_size=dict(type="int", default=1000),
        concurrency=dict(type="int", default=8),
    ), required_one_of=[("volume", "volumes")],
        mutually_exclusive=[("volume", "volumes"), ("volumes", "destination_volume"),
                            ("volumes", "containers"), ("volumes", "prefix")])
    module.run(work)


if __name__ == "__main__":
    main()
