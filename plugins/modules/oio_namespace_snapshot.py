#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_namespace_snapshot
short_description: Capture the directory of a namespace into a local file, with reads only
version_added: 1.0.0
description:
  - Reads an OpenIO SDS namespace and writes what its directory is made of to O(dest), a JSON
    file on the host that runs the module (gzip-compressed when O(dest) ends with C(.gz)).
  - "The file holds: every service the conscience lists (address, ID, score, location, lock, up,
    tags without C(stat.*)), the meta0 prefix mapping, the rdir assignment of every rawx and
    meta2 volume, and per assigned volume the size of its index on its rdir with, up to
    O(index_records) records, the records themselves."
  - Only read requests reach the cluster (conscience lists, C(admin/meta0_list),
    C(reference/show) on C(_RDIR), rdir C(admin/show), C(status) and C(fetch) listings).
  - The simulator shipped in the collection's C(simulator/) directory starts a twin of the namespace
    from this file (C(PYTHONPATH=<collection>/simulator python -m oiosim --snapshot FILE)), to
    rehearse a playbook on a copy before running it on the cluster.
  - "Not captured: references other than C(_RDIR) and the containers found in meta2 indexes,
    sqlx bases, election state, rawx chunk data."
options:
  dest:
    description:
      - Path of the snapshot file. Its directory must exist. A name ending with C(.gz) is written
        gzip-compressed.
      - The file is rewritten only when the namespace differs from what it already holds (the
        capture time aside).
    type: path
    required: true
  index_records:
    description:
      - Per volume, the largest index kept record by record. A bigger index is kept as its count
        only, and a twin started from the snapshot has that volume's index empty.
      - V(0) keeps counts only.
    type: int
    default: 1000
  concurrency:
    description:
      - Volumes read at the same time (assignments and indexes).
      - From 1 to 64.
    type: int
    default: 16
  allow_partial:
    description:
      - Write the snapshot even when some volume could not be read; the failures are listed in
        RV(errors). By default the module fails and writes nothing.
    type: bool
    default: false
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.attributes
attributes:
  check_mode:
    support: full
    details:
      - The cluster is only read, in check mode and otherwise. In check mode O(dest) is not written
        either; C(changed) says whether it would be.
  diff_mode:
    support: full
    details:
      - The diff compares the figures of RV(summary) with those of the file already at O(dest).
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Snapshot the namespace before a decommission
  openio.sds.oio_namespace_snapshot:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    dest: /var/tmp/openio-snapshot.json.gz

- name: Counts only, even for small indexes
  openio.sds.oio_namespace_snapshot:
    dest: "{{ playbook_dir }}/snapshot.json"
    index_records: 0
'''

RETURN = r'''
release:
  description:
    - The OpenIO SDS release of the cluster, as its answers tell (V(7.3.0) or V(2026.14)).
  returned: always
  type: str
  sample: "2026.14"
dest:
  description: Path of the snapshot file.
  returned: always
  type: str
captured_at:
  description: When the namespace was read (UTC).
  returned: always
  type: str
  sample: "2026-12-01T15:04:05Z"
summary:
  description: Figures of the snapshot.
  returned: always
  type: dict
  contains:
    namespace:
      description: Namespace name.
      type: str
    services:
      description: Number of services per type.
      type: dict
      sample: {"meta0": 3, "meta1": 6, "rawx": 12, "rdir": 3}
    meta0_prefixes:
      description: Prefixes in the meta0 mapping (65536 once bootstrapped, 0 before).
      type: int
    rdir_assignments:
      description: Volumes with a stored rdir assignment, per service type.
      type: dict
      sample: {"meta2": 3, "rawx": 12}
    index_records:
      description: Index records counted over every assigned volume, per service type.
      type: dict
    index_counts_only:
      description: Volumes (C(TYPE VOLUME)) whose index was too large to be kept record by record.
      type: list
      elements: str
errors:
  description: Reads that failed (with O(allow_partial=true)); the snapshot lacks those volumes.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.openio.sds.plugins.module_utils.client import CONCURRENCY_RANGE, OioError
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule
from ansible_collections.openio.sds.plugins.module_utils.snapshot import (
    MAX_INDEX_RECORDS, capture, check_dest, read_file, same_content, summary, write_file)


def work(m):
    params = m.params
    check_dest(params["dest"])
    snapshot, errors = capture(m.client, params["index_records"], params["concurrency"])
    if errors and not params["allow_partial"]:
        first = errors[0]
        raise OioError("%d read(s) failed while taking the snapshot, nothing was written; "
                       "first: %s %s %s: %s" % (len(errors), first["what"], first["type"],
                                                first["volume"], first["error"].get("message")))
    dest = params["dest"]
    previous = read_file(dest)
    m.changed = not same_content(previous, snapshot)
    m.record_before(summary(previous) if previous else {})
    m.record_after(summary(snapshot))
    if m.changed and not m.check_mode:
        write_file(dest, snapshot)
    return {"dest": dest, "summary": summary(snapshot), "errors": errors,
            "captured_at": snapshot["captured_at"]}


# Ranges of the number options, checked before anything is sent.
RANGES = dict(index_records=(0, MAX_INDEX_RECORDS), concurrency=CONCURRENCY_RANGE)


def main():
    module = OioModule(names_release=True, ranges=RANGES, argument_spec=dict(
        dest=dict(type="path", required=True),
        index_records=dict(type="int", default=1000),
        concurrency=dict(type="int", default=16),
        allow_partial=dict(type="bool", default=False),
    ))
    module.run(work)


if __name__ == "__main__":
    main()
