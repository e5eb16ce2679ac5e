# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The elections of every meta1 base: the scan of their statuses (or of a
sample), the aggregate, and the warm-up that pings only the unhealthy ones
(oio_meta1_elections and its info twin). One base: :mod:`election`."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random
import threading
import time

from ansible_collections.openio.sds.plugins.module_utils.client import (
    CONCURRENCY_RANGE, META1_CONCURRENCY, OioError)
from ansible_collections.openio.sds.plugins.module_utils.election import (
    STATES, is_hex, peer_results, summarize_status)
from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.meta0.model import bases_from_meta0
from ansible_collections.openio.sds.plugins.module_utils.names import (
    MAX_DIGITS, base_cid, base_keys, base_name)
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts

# The all-bases scan: the share of bases it may fail to read (at least
# READ_ERROR_MIN) before it stops and fails. Requests at once:
# client.META1_CONCURRENCY by default.
READ_ERROR_SHARE = 0.01
READ_ERROR_MIN = 10
VERIFY_SCOPES = ("all", "sample")


def meta1_scan_spec():
    """Tuning of the scan of the meta1 bases (documented by ``openio.sds.meta1_scan``)."""
    return dict(max_unhealthy=dict(type="int", default=1000),
                concurrency=dict(type="int", default=META1_CONCURRENCY),
                verify=dict(type="str", default="all", choices=list(VERIFY_SCOPES)),
                sample_size=dict(type="int", default=1000),
                sample_per_service=dict(type="int"),
                include_bases=dict(type="list", elements="str", default=[]))


def scan_scope(verify, sample_size, include_bases):
    """``(sample_size, include)`` for :func:`select_bases` from the options:
    sample_size None means every base."""
    if verify == "all":
        return None, []
    return sample_size, list(include_bases or [])


def meta1_scan_scope(client, verify, sample_size, include_bases, per_service=0, rng=None):
    """``(digits, sample_size, include)`` of a scan of the meta1 bases, from
    the scan options: every base (sample_size None), or a sample and the
    ``include_bases``, each checked against the namespace's digits, and
    ``per_service`` bases of every meta1 of the mapping (one read of meta0),
    so that a sample checks every meta1."""
    sample_size, include = scan_scope(verify, sample_size, include_bases)
    for name in include:
        # The names' form first: a typo sends nothing.
        try:
            normalize_meta1_base(name, MAX_DIGITS)
        except ValueError as exc:
            raise InvalidInput("include_bases: %s" % exc)
    digits = facts(client).meta1_digits()
    if sample_size is not None and per_service:
        include.extend(bases_of_every_service(facts(client).meta0(), digits, per_service, rng))
    return digits, sample_size, include


def bases_of_every_service(mapping, digits, per_service, rng=None):
    """``per_service`` bases chosen at random among those each meta1 of
    ``mapping`` (meta0's ``{prefix: [addr, ...]}``) holds, sorted."""
    held = {}
    bases, dummy = bases_from_meta0(mapping, digits)
    for key, addrs in bases.items():
        for addr in addrs:
            held.setdefault(addr, set()).add(base_name(key.ljust(4, "0"), digits))
    rng = rng or random.SystemRandom()
    chosen = set()
    for addr in sorted(held):
        bases = sorted(held[addr])
        chosen.update(rng.sample(bases, min(per_service, len(bases))))
    return sorted(chosen)


# What the sample options go with (OioModule ``only_with``): with
# verify=all they would do nothing.
META1_SCAN_ONLY_WITH = [("sample_per_service", "verify", "sample"),
                        ("include_bases", "verify", "sample")]
# Ranges of the meta1 scan options (OioModule ``ranges``).
META1_SCAN_RANGES = dict(max_unhealthy=(0, None), concurrency=CONCURRENCY_RANGE,
                         sample_size=(0, None), sample_per_service=(0, None))


def meta1_bases(digits):
    return [base_name(k.ljust(4, "0"), digits) for k in base_keys(digits)]


def error_summary(err):
    return {"master": None, "slaves": [], "peers": {}, "healthy": False, "state": "error",
            "problems": [str(err)]}


class ScanAborted(OioError):
    """Too many bases could not be read: the scan stopped, naming the cause."""


def read_error_limit(total):
    """How many bases a scan may fail to read before it stops and fails:
    a small share (1%, at least 10) of the bases it reads."""
    return max(READ_ERROR_MIN, int(total * READ_ERROR_SHARE))


class BulkCalls(object):
    """One admin route called on many meta1 bases through the client, with
    at most ``concurrency`` requests (so connections) at once.

    Each request goes through :meth:`OioClient.proxy` with its retries of
    transient failures; the retry warnings are counted and only the first
    few are passed on. Once more than :func:`read_error_limit` requests
    failed for good, the remaining ones are not sent and :meth:`run` raises
    :class:`ScanAborted` with the first cause. ``requests``, ``seconds``
    and :meth:`stats` tell what all the runs of this object cost.
    """

    MAX_WARNINGS = 5

    def __init__(self, client, concurrency=META1_CONCURRENCY, warn=None, clock=time.time):
        self.client = client
        self.concurrency = max(1, int(concurrency))
        self.warn = warn
        self.clock = clock
        self.requests = 0
        self.seconds = 0.0
        self.retried = 0
        self._lock = threading.Lock()

    def _warn(self, message):
        with self._lock:
            self.retried += 1
            first = self.retried <= self.MAX_WARNINGS
        if first and self.warn:
            self.warn(message)

    def run(self, action, bases, limit=None):
        """``[(base, per-peer map or OioError)]`` in the order of ``bases``."""
        bases = list(bases)
        limit = read_error_limit(len(bases)) if limit is None else limit
        failed = []
        stop = threading.Event()

        def one(base):
            if stop.is_set():
                return None
            try:
                resp = self.client.proxy("POST", "admin/" + action,
                                         {"type": "meta1", "cid": base_cid(base)},
                                         idempotent=True)
                return peer_results(resp.body, resp.method, resp.url)
            except OioError as exc:
                with self._lock:
                    failed.append(exc)
                    if len(failed) > limit:
                        stop.set()
                return exc

        before = self.client.request_count
        started = self.clock()
        saved_warn = self.client.warn
        self.client.warn = self._warn
        try:
            results = self.client.map_bounded(one, bases, self.concurrency)
        finally:
            self.client.warn = saved_warn
            self.seconds += self.clock() - started
            self.requests += self.client.request_count - before
        if stop.is_set():
            unsent = sum(1 for dummy, value, dummy2 in results if value is None)
            raise ScanAborted(
                "could not read %d meta1 bases (more than %d of %d), so the scan stopped "
                "(%d not sent); first failure: %s" % (
                    len(failed), limit, len(bases), unsent, failed[0]),
                method=failed[0].method, url=failed[0].url,
                http_status=failed[0].http_status, status=failed[0].status)
        out = []
        for base, value, err in results:
            if err is not None:  # not an OioError: a bug, do not hide it
                raise err
            out.append((base, value))
        if self.retried > self.MAX_WARNINGS and self.warn:
            self.warn("%d more retries after transient failures were not shown"
                      % (self.retried - self.MAX_WARNINGS))
            self.retried = self.MAX_WARNINGS
        return out

    def stats(self):
        return {"duration": round(self.seconds, 3), "requests": self.requests,
                "rate": round(self.requests / self.seconds, 1) if self.seconds > 0 else None,
                "concurrency": self.concurrency}


def scan_meta1_elections(client, digits, bases=None, concurrency=META1_CONCURRENCY,
                         warn=None, calls=None):
    """Status of every meta1 base (or of ``bases``): ``[(base, summary)]``
    where a request that failed for good gives a summary in state ``error``.
    One ``admin/status`` per base; raises :class:`ScanAborted` when too many
    bases cannot be read (see :func:`read_error_limit`)."""
    bases = list(bases) if bases is not None else meta1_bases(digits)
    calls = calls or BulkCalls(client, concurrency=concurrency, warn=warn)
    out = []
    for base, answer in calls.run("status", bases):
        if isinstance(answer, OioError):
            out.append((base, error_summary(answer)))
        else:
            out.append((base, summarize_status(answer)))
    return out


def ping_meta1_bases(client, bases, concurrency=META1_CONCURRENCY, warn=None, calls=None):
    """Ping each meta1 base; returns ``{base: problem}`` for the failed ones."""
    calls = calls or BulkCalls(client, concurrency=concurrency, warn=warn)
    return dict((b, str(a)) for b, a in calls.run("ping", bases) if isinstance(a, OioError))


def select_bases(digits, sample_size=None, include=None, rng=None):
    """The meta1 bases to verify: every one when ``sample_size`` is None,
    else a random sample of that many plus the ``include`` ones (base names
    or prefixes of any length, normalised to the namespace's digits).
    Returns ``(bases in scan order, scope)`` with scope ``all`` or ``sample``."""
    every = meta1_bases(digits)
    if sample_size is None or sample_size >= len(every):
        return every, "all"
    chosen = set((rng or random.SystemRandom()).sample(every, max(0, int(sample_size))))
    for name in include or ():
        chosen.add(normalize_meta1_base(name, digits))
    return [b for b in every if b in chosen], "sample"


def normalize_meta1_base(name, digits):
    """A meta1 base name (``AB00``), prefix or cid -> the base name for ``digits``."""
    text = str(name).strip().upper()
    if not text or len(text) > 64 or not is_hex(text):
        raise ValueError("a meta1 base is named by hex characters (a prefix or a cid), got %r"
                         % (name,))
    return base_name(text[:4].ljust(4, "0"), digits)


def aggregate(scan, max_unhealthy=1000):
    """Counts by state, the unhealthy bases (at most ``max_unhealthy``) and,
    per peer, how many bases it is at fault in."""
    counts = dict((s, 0) for s in STATES)
    unhealthy = []
    by_peer = {}
    for base, summary in scan:
        counts[summary["state"]] = counts.get(summary["state"], 0) + 1
        if summary["healthy"]:
            continue
        for addr, peer in summary["peers"].items():
            if peer["role"] not in ("master", "slave"):
                by_peer[addr] = by_peer.get(addr, 0) + 1
        if len(unhealthy) < max_unhealthy:
            unhealthy.append({"base": base, "state": summary["state"],
                              "master": summary["master"], "problems": summary["problems"]})
    total_unhealthy = len(scan) - counts["healthy"]
    return {"total": len(scan), "counts": counts, "unhealthy": unhealthy,
            "unhealthy_count": total_unhealthy,
            "unhealthy_truncated": total_unhealthy > len(unhealthy),
            "peer_problems": by_peer, "healthy": total_unhealthy == 0}


def verify_meta1_elections(client, digits, concurrency=META1_CONCURRENCY, warn=None,
                           max_unhealthy=1000, sample_size=None, include=None):
    """``oio_meta1_elections_info``: the aggregate of the scan of every
    meta1 base (or of a sample), with ``scope`` and ``stats``."""
    bases, scope = select_bases(digits, sample_size, include)
    calls = BulkCalls(client, concurrency=concurrency, warn=warn)
    agg = aggregate(scan_meta1_elections(client, digits, bases=bases, calls=calls),
                    max_unhealthy=max_unhealthy)
    agg["scope"] = scope
    agg["stats"] = calls.stats()
    return agg


def elect_meta1_bases(client, digits, timeout, concurrency=META1_CONCURRENCY,
                      warn=None, sleep=time.sleep, clock=time.time, max_unhealthy=1000,
                      sample_size=None, include=None):
    """``openio directory warmup`` done right: read every meta1 base's
    status (or a sample's), ping only the unhealthy ones and read them
    again until healthy or ``timeout``. Returns ``(aggregate of the final
    state with scope and stats, pinged count)``. Bases that could not be
    read are not counted as to ping in check mode: an unanswered request
    is not a change."""
    bases, scope = select_bases(digits, sample_size, include)
    calls = BulkCalls(client, concurrency=concurrency, warn=warn)
    scan = scan_meta1_elections(client, digits, bases=bases, calls=calls)
    state = dict(scan)
    if client.check_mode:
        todo = [b for b, s in scan if not s["healthy"] and s["state"] != "error"]
    else:
        todo = [b for b, s in scan if not s["healthy"]]
    pinged = len(todo)
    if todo and not client.check_mode:
        deadline = clock() + max(0.0, float(timeout))
        delay = 0.5
        while todo:
            ping_meta1_bases(client, todo, calls=calls)
            for base, summary in scan_meta1_elections(client, digits, bases=todo, calls=calls):
                state[base] = summary
            todo = [b for b in todo if not state[b]["healthy"]]
            remaining = deadline - clock()
            if not todo or remaining <= 0:
                break
            sleep(min(delay, remaining))
            delay = min(delay * 2, 4.0)
    final = [(b, state[b]) for b, dummy in scan]
    agg = aggregate(final, max_unhealthy=max_unhealthy)
    agg["scope"] = scope
    agg["stats"] = calls.stats()
    return agg, pinged
