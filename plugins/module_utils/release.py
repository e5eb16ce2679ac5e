# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OpenIO SDS releases the collection speaks to, and what differs between them.

7.3.0 is the last release of the 7.x branch (2022); 2026.14 stands for the
calendar-versioned line maintained on master (2026.14.2 was checked against
real exchanges). A :class:`Release` holds the protocol facts that differ;
the module that owns each protocol asks it, never the release name:

==========================  =====================  ============================
fact                        7.3.0                  2026.14
==========================  =====================  ============================
rawx rdir record key        cid|content_id|chunk   cid|chunk (content_id, path,
                                                   version in the value)
meta2 index of no database  HTTP 400               HTTP 404
admin/copy                  always tried           refused on a master (473)
admin/set|del_properties    200 ``{}``             204, no body
admin/has body              ``<path>``             ``<path>:<mtime>``
admin/remove per peer       body ``""``; 431 when  ``{"deleted": bool}``
                            the peer lacks it
one service per request     no                     yes, on single-target routes
conscience locks            ``tag.lock``           put and get apart
rdir push and delete        one record             a JSON array of records,
                                                   written as one batch
==========================  =====================  ============================

The release is read from what the cluster answers (``detect``): a 2026.14
conscience lists the put and get scores of each service, 7.3.0 only one.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Internal status of an admin/copy refused because its target is the master
# (2026.14, as HTTP 500; 472, a target that follows another master, makes
# the copy try its next source like any failure).
COPY_TARGET_IS_MASTER = 473


class Release(object):
    """The protocol facts of one OpenIO SDS release."""

    def __init__(self, name, rawx_key_fields, rawx_value_fields, meta2_missing_http,
                 properties_ack, has_mtime, remove_reports_deleted, one_service_per_request,
                 split_locks, copy_refusals, index_batches):
        self.name = name
        # The fields of a rawx chunk record's key, and those in its value.
        self.rawx_key_fields = rawx_key_fields
        self.rawx_value_fields = rawx_value_fields
        # HTTP status of a meta2 index fetch of a volume the rdir lacks.
        self.meta2_missing_http = meta2_missing_http
        # Status of an acknowledged admin/set_properties or del_properties.
        self.properties_ack = properties_ack
        # admin/has bodies carry the base file's mtime after its path.
        self.has_mtime = has_mtime
        # admin/remove says per peer whether it deleted a copy, instead of
        # failing (431) on a peer without one.
        self.remove_reports_deleted = remove_reports_deleted
        # Single-target routes take one service ID per request.
        self.one_service_per_request = one_service_per_request
        # The conscience locks the put and get scores apart.
        self.split_locks = split_locks
        # admin/copy refuses a target that is master (473) or follows another master (472).
        self.copy_refusals = copy_refusals
        # rdir push and delete take a JSON array of records, written as one
        # batch (7.3.0 answers an array "400 null body").
        self.index_batches = index_batches

    def __repr__(self):
        return "Release(%s)" % self.name

    def __str__(self):
        return self.name

    # -- rawx rdir records -------------------------------------------------

    def chunk_record(self, key, value):
        """The fields of a rawx record listed by the rdir, as a push body
        (``container_id``, ``chunk_id``, ...), or None when the record cannot
        be pushed back (a key of another shape, a field missing)."""
        parts = key.split("|") if isinstance(key, str) else []
        if len(parts) != len(self.rawx_key_fields) or not all(parts):
            return None
        body = dict(zip(self.rawx_key_fields, parts))
        value = value if isinstance(value, dict) else {}
        for name, required in self.rawx_value_fields:
            if value.get(name) is None:
                if required:
                    return None
                continue
            body[name] = value[name]
        mtime = body.get("mtime")
        if mtime is not None and (isinstance(mtime, bool) or not isinstance(mtime, int)
                                  or mtime < 0):
            return None
        for name in ("content_id", "path"):
            if name in body and not (isinstance(body[name], str) and body[name]):
                return None
        version = body.get("version")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            return None
        return body

    def chunk_delete_body(self, record):
        """The delete body of a record given by :meth:`chunk_record`."""
        return dict((k, record[k]) for k in ("container_id", "content_id", "chunk_id")
                    if k in record)

    # -- admin answers -----------------------------------------------------

    def base_file(self, body):
        """``(path, mtime)`` of a peer's admin/has body (mtime None on 7.3.0)."""
        if not isinstance(body, str) or not body:
            return None, None
        if self.has_mtime:
            path, sep, mtime = body.rpartition(":")
            if sep and mtime.isdigit():
                return path, int(mtime)
        return body, None

    def removed(self, status, body):
        """What a peer's admin/remove answer says: True (a copy was
        deleted), False (it held none), None (it failed)."""
        if self.remove_reports_deleted:
            if status == 200 and isinstance(body, dict) and "deleted" in body:
                return bool(body["deleted"])
            return None
        if status == 200:
            return True
        return False if status == 431 else None


LEGACY = Release(
    "7.3.0", rawx_key_fields=("container_id", "content_id", "chunk_id"),
    rawx_value_fields=(("mtime", False),), meta2_missing_http=400, properties_ack=200,
    has_mtime=False, remove_reports_deleted=False, one_service_per_request=False,
    split_locks=False, copy_refusals=False, index_batches=False)
MODERN = Release(
    "2026.14", rawx_key_fields=("container_id", "chunk_id"),
    rawx_value_fields=(("content_id", True), ("mtime", True), ("path", True),
                       ("version", True)),
    meta2_missing_http=404, properties_ack=204, has_mtime=True, remove_reports_deleted=True,
    one_service_per_request=True, split_locks=True, copy_refusals=True, index_batches=True)


def detect(entries):
    """The release whose conscience listed ``entries`` (raw conscience/list
    items), or None when they tell nothing (no entry)."""
    for entry in entries or ():
        if not isinstance(entry, dict):
            continue
        tags = entry.get("tags") or {}
        if "scores" in entry or "tag.putlock" in tags or "tag.getlock" in tags:
            return MODERN
        return LEGACY
    return None
