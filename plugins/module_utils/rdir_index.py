# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The records of one volume's index on an rdir: listing them a page at a
time, pushing and deleting them as the release takes them, and following a
meta2 record to its base. The copy between rdirs is ``rdir_copy``.

Paging rules (rdir-api.md 3.11, 3.16 and the captures of both releases):

* rawx, ``POST /v1/rdir/fetch`` with ``start_after``/``limit``; the answer
  says ``x-oio-list-truncated`` and gives ``x-oio-list-marker``. A missing
  database is a 404 ``DB not found``. The record format is the release's
  (:meth:`release.Release.chunk_record`).
* meta2, ``POST /v1/rdir/meta2/fetch`` with ``marker``/``limit``; up to
  ``limit + 1`` records come back, ``truncated`` is in the body, and a marker
  that is not an existing key makes the server skip the record after it, so
  the marker is always the last URL returned, and a source record used as a
  marker is only deleted after the next page was read. A missing database
  is an HTTP 400 on 7.3.0 (every error of this route is), a 404 on 2026.14;
  the body says 404 on both.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.names import is_addr
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts
from ansible_collections.openio.sds.plugins.module_utils.rdir import (
    INDEX_ROUTE, check_service_type, check_volume_id, list_rdirs, locate_rdir)

MAX_PAGE = 10000  # the rdir caps limit there (rdir-api.md 3.11, 3.16)
DEFAULT_PAGE = 1000
STATUS_DB_NOT_FOUND = 404
# The listing of a volume's records: route, and the body keys of the marker
# and of the prefix filter (the two listings of the rdir API differ in all).
LISTINGS = {
    "rawx": ("v1/rdir/fetch", "start_after", "container_id"),
    "meta2": ("v1/rdir/meta2/fetch", "marker", "prefix"),
}


def missing_status(service_type, release):
    """The HTTP status of "no database for this volume" on a listing."""
    return 404 if service_type == "rawx" else release.meta2_missing_http


# ---------------------------------------------------------------------------
# Records

def meta2_body(record):
    """Push body of a meta2 record, or None when a mandatory field is not a
    non-empty string (the rdir would refuse it)."""
    if not isinstance(record, dict):
        return None
    url, cid = record.get("container_url"), record.get("container_id")
    if not (isinstance(url, str) and url and isinstance(cid, str) and cid):
        return None
    body = {"container_url": url, "container_id": cid}
    mtime = record.get("mtime")
    if mtime is not None:
        if isinstance(mtime, bool) or not isinstance(mtime, int) or mtime < 0:
            return None
        body["mtime"] = mtime
    # null extra_data is the rdir's way of saying "none": do not send it back.
    if isinstance(record.get("extra_data"), str):
        body["extra_data"] = record["extra_data"]
    return body


def push_record(client, service_type, addr, vol, body):
    """Push one record to a volume's index. create=1: the database may not
    exist yet; the same key overwrites, so a resend after a lost answer is
    harmless."""
    client.rdir("POST", addr, INDEX_ROUTE[service_type] + "/push", {"vol": vol, "create": "1"},
                json_body=body, idempotent=True)


def push_records(client, service_type, addr, vol, bodies):
    """Push a batch of records (2026.14): one request, written as one batch."""
    client.rdir("POST", addr, INDEX_ROUTE[service_type] + "/push", {"vol": vol, "create": "1"},
                json_body=list(bodies), idempotent=True)


def _delete_keys(client, service_type, body):
    if service_type == "rawx":
        return facts(client).release.chunk_delete_body(body)
    return dict((k, body[k]) for k in ("container_id", "container_url"))


def delete_records(client, service_type, addr, vol, bodies):
    """Delete a batch of records (2026.14) in one request."""
    _send_delete(client, service_type, addr, vol,
                 [_delete_keys(client, service_type, body) for body in bodies])


def delete_record(client, service_type, addr, vol, body):
    """Delete one record from a volume's index; deleting twice is a no-op."""
    _send_delete(client, service_type, addr, vol, _delete_keys(client, service_type, body))


def _send_delete(client, service_type, addr, vol, keys):
    """One delete request: a record's keys, or a list of them."""
    if service_type == "rawx":
        client.rdir("DELETE", addr, "v1/rdir/delete", {"vol": vol}, json_body=keys,
                    idempotent=True)
        return
    # POST, not DELETE (rdir-api.md 3.15).
    client.rdir("POST", addr, "v1/rdir/meta2/delete", {"vol": vol}, json_body=keys,
                idempotent=True)


def meta2_record(client, addr, vol, url):
    """The record of the container ``url`` in a meta2 index, or None."""
    reader = IndexReader(client, addr, "meta2", vol, page_size=10, prefix=url)
    for page in reader.pages():
        for key, value in page:
            if key == url:
                return value
            if key > url:
                return None
    return None


def follow_base(client, record, source, peers):
    """The meta2 index record of a base that moved follows it: pushed to the
    index of each peer that lacks it, read back there, and only then deleted
    from the index of the service the base left. ``source`` and each of
    ``peers`` are ``(volume, rdir address)``. Returns the volumes it was
    pushed to (would be, in check mode); OioError, with the record still on
    the source, when a push does not show."""
    body = meta2_body(record)
    if body is None:
        raise OioError("the meta2 index record of %r cannot be pushed as it is"
                       % (record.get("container_url") if isinstance(record, dict) else record,))
    url = body["container_url"]
    pushed = []
    for vol, addr in peers:
        if meta2_record(client, addr, vol, url) is not None:
            continue
        pushed.append(vol)
        if client.check_mode:
            continue
        push_record(client, "meta2", addr, vol, body)
        if meta2_record(client, addr, vol, url) is None:
            raise OioError("the meta2 index record of %s was pushed to the index of %s on %s "
                           "but does not show there; it was left on the source" % (url, vol, addr),
                           url=addr)
    if not client.check_mode:
        delete_record(client, "meta2", source[1], source[0], body)
    return pushed


# ---------------------------------------------------------------------------
# One volume's index on one rdir

class IndexReader(object):
    """Pages through one volume's index on one rdir in key order.

    ``pages()`` yields lists of ``(key, value)``; ``exists`` is False when
    the rdir has no database for the volume (the listing is then empty).
    """

    def __init__(self, client, addr, service_type, vol, page_size=DEFAULT_PAGE, prefix=None):
        self.client = client
        self.missing = missing_status(service_type, facts(client).release)
        self.addr = addr
        self.service_type = service_type
        self.vol = vol
        self.page_size = page_size
        self.prefix = prefix or None
        self.exists = True
        self.count = 0

    def pages(self):
        marker = None
        while True:
            page, truncated, next_marker = self._fetch(marker)
            if page is None:
                self.exists = False
                return
            self.count += len(page)
            if page:
                yield page
            if not truncated or not page:
                return
            if next_marker is None or (marker is not None and next_marker <= marker):
                raise OioError("the rdir listing of volume %s on %s does not advance past %r"
                               % (self.vol, self.addr, marker), url=self.addr)
            marker = next_marker

    def _fetch(self, marker):
        route, marker_key, prefix_key = LISTINGS[self.service_type]
        missing = self.missing
        body = {"limit": self.page_size}
        if marker is not None:
            body[marker_key] = marker
        if self.prefix:
            body[prefix_key] = self.prefix
        resp = self.client.rdir("POST", self.addr, route, {"vol": self.vol},
                                json_body=body, idempotent=True, expect=(missing,))
        if resp.status == missing:
            if _status(resp.body) == STATUS_DB_NOT_FOUND:
                return None, False, None
            raise _error(resp, "rdir refused the %s listing" % self.service_type)
        if self.service_type == "rawx":
            items = resp.body if isinstance(resp.body, list) else []
            page = [(item[0], item[1]) for item in items
                    if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)]
            truncated = str(resp.headers.get("x-oio-list-truncated", "")).lower() == "true"
            next_marker = resp.headers.get("x-oio-list-marker") or (page[-1][0] if page else None)
            return page, truncated, next_marker
        data = resp.body if isinstance(resp.body, dict) else {}
        page = [(rec.get("container_url"), rec) for rec in data.get("records") or []
                if isinstance(rec, dict) and isinstance(rec.get("container_url"), str)]
        # The URL of the last record: an existing key, so nothing is skipped.
        return page, bool(data.get("truncated")), (page[-1][0] if page else None)


def _status(body):
    return body.get("status") if isinstance(body, dict) else None


def _error(resp, default):
    body = resp.body if isinstance(resp.body, dict) else {}
    return OioError(body.get("message") or default, method=resp.method, url=resp.url,
                    http_status=resp.status, status=body.get("status"), body=resp.body)


def resolve_rdir(rdirs, key, what):
    """``(id, addr)`` of an rdir given by service ID or address. An address
    the conscience does not list is accepted as is (a removed rdir still
    answers at its address)."""
    if not isinstance(key, str) or not key.strip():
        raise InvalidInput("%s must be an rdir service ID or an IP:PORT address" % what)
    key = key.strip()
    for rdir in rdirs:
        if key in (rdir["id"], rdir["addr"]):
            return rdir["id"], rdir["addr"]
    if is_addr(key):
        return key, key
    raise InvalidInput("%s %r is not an rdir of the conscience, nor an IP:PORT address"
                       % (what, key))


def check_volumes(service_type, volume, destination_volume=None, containers=None):
    """The volume IDs and container IDs a listing or a copy names (the
    numbers are the module's ``ranges``)."""
    check_service_type(service_type)
    check_volume_id(volume)
    if destination_volume is not None:
        check_volume_id(destination_volume)
    for cid in containers or []:
        if not isinstance(cid, str) or not cid or "|" in cid:
            raise InvalidInput("containers must be container IDs, got %r" % (cid,))


def index_rdir(client, vol, rdir=None):
    """``(id, addr)`` of ``rdir`` (ID or address), else of the rdir the
    volume is assigned to."""
    if rdir:
        return resolve_rdir(list_rdirs(client), rdir, "rdir")
    rdir_id, addr, dummy = locate_rdir(client, vol)
    return rdir_id, addr


def list_records(client, addr, service_type, vol, limit=0, page_size=DEFAULT_PAGE,
                 prefix=None):
    """The records of one volume's index on one rdir, at most ``limit`` (0:
    all): ``{"records", "count", "exists", "truncated"}``."""
    reader = IndexReader(client, addr, service_type, vol, page_size, prefix)
    release = facts(client).release
    records, truncated = [], False
    for page in reader.pages():
        for key, value in page:
            if limit and len(records) >= limit:
                truncated = True
                break
            if service_type == "meta2":
                records.append(value)
                continue
            record = dict(release.chunk_record(key, value) or {})
            record.update(key=key, value=value)
            records.append(record)
        if truncated:
            break
    return {"records": records, "count": len(records), "exists": reader.exists,
            "truncated": truncated}
