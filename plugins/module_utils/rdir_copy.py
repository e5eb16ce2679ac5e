# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy the records of one volume's index from one rdir to another.

Both listings are sorted by key on the rdir, so the copy walks them side by
side one page at a time and never holds a whole index in memory (a rawx
volume can index tens of millions of chunks). Only the records missing on
the destination are pushed: a record already there is left alone, since the
volume may have pushed a newer version to its new rdir meanwhile.

The copy is verified record by record: once the records are pushed, a
second walk reads both listings side by side and checks that every source
record is on the destination with the same value (or a newer one, pushed by
the volume meanwhile). Only a verified record is deleted from the source.

Writes follow the release (:attr:`release.Release.index_batches`): 2026.14
takes a JSON array of records on a push or a delete and writes it as one
batch, so a page of records costs one request (at most ``BATCH_MAX``
records, as ``openio-admin rdir copy`` sends); 7.3.0 takes one record per
request (an array is ``400 null body``), sent ``concurrency`` at once. The
next source page is read while the last one is written.

The listings and the records themselves are ``rdir_index``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading

try:
    import queue
except ImportError:  # pragma: no cover - Python 2 is not a target
    import Queue as queue  # type: ignore

from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts
from ansible_collections.openio.sds.plugins.module_utils.rdir import list_rdirs, locate_rdir
from ansible_collections.openio.sds.plugins.module_utils.rdir_index import (
    DEFAULT_PAGE, IndexReader, delete_record, delete_records, meta2_body, push_record,
    push_records, resolve_rdir)

MAX_REPORTED = 20
# Records per batched push or delete (2026.14): what openio-admin rdir copy sends.
BATCH_MAX = 1000


def read_ahead(pages, depth=1):
    """Yield the pages of ``pages`` while the next ``depth`` are read in a
    thread: the rdir reads the next page while the last one is written.
    An error of the reads is raised where the page would have come."""
    pending = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item):
        while not stop.is_set():
            try:
                pending.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read():
        try:
            for page in pages:
                if not put((page, None)):
                    return
            put((end, None))
        except Exception as exc:  # pylint: disable=broad-except
            put((end, exc))

    reader = threading.Thread(target=read, name="rdir-read-ahead")
    reader.daemon = True
    reader.start()
    try:
        while True:
            page, error = pending.get()
            if page is end:
                if error is not None:
                    raise error
                return
            yield page
    finally:
        stop.set()
        reader.join()


class DestinationCursor(object):
    """Walks the destination listing alongside the source: ``has(key)`` for
    increasing keys, fetching destination pages only as far as needed."""

    def __init__(self, reader):
        self.reader = reader
        # Read ahead too: a pushed key is never past the page being read,
        # so the next page never holds what this copy pushed.
        self._pages = read_ahead(reader.pages())
        self._page = []
        self._index = 0
        self._done = False
        self.differing = 0

    def _current(self):
        while self._index >= len(self._page):
            if self._done:
                return None
            try:
                self._page = next(self._pages)
            except StopIteration:
                self._done = True
                self._page = []
                return None
            self._index = 0
        return self._page[self._index]

    def lookup(self, key):
        """The destination value of ``key``, or None when it is missing."""
        while True:
            item = self._current()
            if item is None or item[0] > key:
                return None
            self._index += 1
            if item[0] == key:
                return item[1]

    def drain(self):
        while self._current() is not None:
            self._index = len(self._page)
        return self.reader.count


# ---------------------------------------------------------------------------
# Resolving rdirs


def endpoints(client, volume, source, destination=None, destination_volume=None, rdirs=None):
    """``(source id, source addr, destination id, destination addr)``,
    validated before anything is sent; ``rdirs``: the rdir services, when
    already read (several volumes locate their endpoints with one read)."""
    rdirs = list_rdirs(client) if rdirs is None else rdirs
    src_id, src_addr = resolve_rdir(rdirs, source, "source")
    dst_vol = destination_volume or volume
    if destination:
        dst_id, dst_addr = resolve_rdir(rdirs, destination, "destination")
    else:
        dst_id, dst_addr, dummy = locate_rdir(client, dst_vol)
    if src_addr == dst_addr and dst_vol == volume:
        raise InvalidInput(
            "source and destination are the same rdir (%s): the volume %s is still assigned "
            "to it; reassign the volume first (openio.sds.oio_rdir_assignment with "
            "reassign_from) or give destination" % (src_id, volume))
    return src_id, src_addr, dst_id, dst_addr


# ---------------------------------------------------------------------------
# The copy

class IndexCopy(object):
    """Copy (and, with ``remove_from_source``, move) one volume's records.

    Two walks of the source listing: the first pushes the records the
    destination lacks; the second (not in check mode) verifies every
    source record on the destination, and deletes the verified ones from
    the source when moving. With a client in check mode nothing is
    written: the counts say what would be."""

    def __init__(self, client, service_type, vol, src_addr, dst_addr, page_size=DEFAULT_PAGE,
                 concurrency=8, remove_from_source=False, dst_vol=None,
                 containers=None, prefix=None):
        self.client = client
        self.release = facts(client).release
        self.service_type = service_type
        self.vol = vol
        self.dst_vol = dst_vol or vol
        self.containers = set(containers) if containers else None
        self.prefix = prefix
        self.src_addr = src_addr
        self.dst_addr = dst_addr
        self.page_size = page_size
        self.concurrency = concurrency
        # 2026.14 writes an array of records as one batch.
        self.batches = self.release.index_batches
        self.batch_size = max(1, min(int(page_size), BATCH_MAX))
        self.remove = remove_from_source
        self.copied = 0
        self.removed = 0
        self.already_present = 0
        self.differing = 0
        self.verified = 0
        self.unverified = []
        self.unverified_count = 0
        self.skipped = []
        self.skipped_count = 0
        self.failed = []
        self.failed_count = 0
        self.selected = 0

    def _body(self, key, value):
        if self.service_type == "rawx":
            return self.release.chunk_record(key, value)
        return meta2_body(value)

    def _push(self, bodies):
        """One push: the batch on 2026.14, else its one record (``_run_all``
        groups one record per request there)."""
        if self.batches:
            push_records(self.client, self.service_type, self.dst_addr, self.dst_vol, bodies)
        else:
            push_record(self.client, self.service_type, self.dst_addr, self.dst_vol, bodies[0])

    def _delete(self, bodies):
        """One delete, as :meth:`_push`."""
        if self.batches:
            delete_records(self.client, self.service_type, self.src_addr, self.vol, bodies)
        else:
            delete_record(self.client, self.service_type, self.src_addr, self.vol, bodies[0])

    def _note(self, bucket, key, reason):
        if bucket == "skipped":
            self.skipped_count += 1
            if len(self.skipped) < MAX_REPORTED:
                self.skipped.append({"key": key, "reason": reason})
        elif bucket == "unverified":
            self.unverified_count += 1
            if len(self.unverified) < MAX_REPORTED:
                self.unverified.append({"key": key, "reason": reason})
        else:
            self.failed_count += 1
            if len(self.failed) < MAX_REPORTED:
                self.failed.append({"key": key, "error": reason})

    def _run_all(self, func, bodies):
        """Apply ``func`` to the bodies of ``[(key, body)]``: a batch of at
        most ``batch_size`` per request where the release takes arrays,
        else one record per request, ``concurrency`` requests at once.
        Returns the keys whose request succeeded."""
        done = []
        if not bodies:
            return done
        size = self.batch_size if self.batches else 1
        groups = [bodies[i:i + size] for i in range(0, len(bodies), size)]
        for group, dummy, err in self.client.map_bounded(
                lambda items: func([body for dummy_key, body in items]), groups,
                self.concurrency):
            if err is None:
                done.extend(key for key, dummy_body in group)
                continue
            detail = err.to_dict() if isinstance(err, OioError) else {
                "message": "%s: %s" % (type(err).__name__, err)}
            for key, dummy_body in group:
                self._note("failed", key, detail)
        return done

    def _readers(self):
        return (IndexReader(self.client, self.src_addr, self.service_type, self.vol,
                            self.page_size, self.prefix),
                IndexReader(self.client, self.dst_addr, self.service_type, self.dst_vol,
                            self.page_size, self.prefix))

    def _selected(self, page, count=False):
        """``(key, value, body)`` of the page's records in the selection;
        records the rdir would refuse are noted (once) and left out."""
        out = []
        for key, value in page:
            body = self._body(key, value)
            if self.containers is not None and (body or {}).get("container_id") \
                    not in self.containers:
                continue
            if count:
                self.selected += 1
            if body is None:
                if count:
                    self._note("skipped", key, "record the rdir would refuse; left in place")
                continue
            out.append((key, value, body))
        return out

    def run(self):
        source, destination = self._readers()
        cursor = DestinationCursor(destination)
        for page in read_ahead(source.pages()):
            to_push = []
            for key, value, body in self._selected(page, count=True):
                present = cursor.lookup(key)
                if present is None:
                    to_push.append((key, body))
                else:
                    self.already_present += 1
                    if present != value:
                        self.differing += 1
            if self.client.check_mode:
                self.copied += len(to_push)
                continue
            self.copied += len(self._run_all(self._push, to_push))
        # The pushes stay behind the cursor: it counts what was there before.
        destination_before = cursor.drain()
        if self.client.check_mode:
            if self.remove:
                self.removed = self.selected - self.skipped_count
        else:
            self._verify()
        return {
            "source_count": self.selected,
            "source_exists": source.exists,
            "destination_exists": destination.exists,
            "destination_count_before": destination_before,
            "destination_count_after": destination_before + self.copied,
            "copied": self.copied,
            "already_present": self.already_present,
            "differing": self.differing,
            "verified": self.verified,
            "unverified_count": self.unverified_count,
            "unverified_records": self.unverified,
            "removed_from_source": self.removed,
            "skipped_count": self.skipped_count,
            # Not "skipped": Ansible reads that key as the task status.
            "skipped_records": self.skipped,
            "failed_count": self.failed_count,
            "failed_records": self.failed,
        }

    def _verify(self):
        """Walk both listings again: every selected source record must be
        on the destination with the same value, or a newer one (the volume
        pushed it meanwhile). With ``remove``, the verified records of a
        page are deleted from the source once the next page was read (its
        last record is the marker of that read), in one batch where the
        release takes arrays."""
        source, destination = self._readers()
        cursor = DestinationCursor(destination)
        pending = []
        for page in read_ahead(source.pages()):
            self._remove(pending)
            pending = []
            for key, value, body in self._selected(page):
                present = cursor.lookup(key)
                if present is None:
                    self._note("unverified", key, "missing on the destination")
                elif present != value and not _newer(present, value):
                    self._note("unverified", key, "different on the destination")
                else:
                    self.verified += 1
                    pending.append((key, body))
            if not self.remove:
                pending = []
        self._remove(pending)
        cursor.drain()

    def _remove(self, items):
        if items:
            self.removed += len(self._run_all(self._delete, items))


def _newer(present, value):
    """Whether the destination's record is newer than the source's."""
    try:
        return int(present.get("mtime")) > int(value.get("mtime"))
    except (AttributeError, TypeError, ValueError):
        return False


def diff_summary(result, src_id, dst_id):
    """Record counts on both rdirs, before and after: never the records."""
    before = {"source": {"rdir": src_id, "records": result["source_count"]},
              "destination": {"rdir": dst_id, "records": result["destination_count_before"]}}
    after = {"source": {"rdir": src_id,
                        "records": result["source_count"] - result["removed_from_source"]},
             "destination": {"rdir": dst_id, "records": result["destination_count_after"]}}
    return before, after


def copies_total(results):
    """The result of several volumes' copies, ``{volume: result}``: the
    counts summed, the record lists cut to their first MAX_REPORTED, each
    record naming its volume, and ``volumes`` holding each result."""
    total = {"volumes": results,
             "source_exists": any(r["source_exists"] for r in results.values()),
             "destination_exists": all(r["destination_exists"] for r in results.values())}
    for key in ("source_count", "destination_count_before", "destination_count_after", "copied",
                "already_present", "differing", "verified", "unverified_count",
                "removed_from_source", "skipped_count", "failed_count"):
        total[key] = sum(r[key] for r in results.values())
    for key in ("unverified_records", "skipped_records", "failed_records"):
        total[key] = [dict(record, volume=vol) for vol in sorted(results)
                      for record in results[vol][key]][:MAX_REPORTED]
    return total
