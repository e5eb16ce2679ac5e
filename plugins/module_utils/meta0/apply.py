# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing a meta0 mapping: every ``meta0_force`` payload validated before
it leaves, and planned base moves applied with bounded concurrency and
verified by reading meta0 back (:class:`Applier`).

Every step is idempotent, so an interrupted apply is re-planned from what
meta0 holds and converges (the planner is deterministic: bases copied but
not forced are planned the same way again); copies left behind by an apply
interrupted after its force are found on the services themselves
(``held_copies``) and removed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading
import time

from ansible_collections.openio.sds.plugins.module_utils.cache import flush_proxy_cache
from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.election import (
    BaseRef, NotElected, call_problems, leave, wait_elected)
from ansible_collections.openio.sds.plugins.module_utils.meta0 import journal
from ansible_collections.openio.sds.plugins.module_utils.meta0.model import (
    meta0_payload, moved_bases, validate_payload)
from ansible_collections.openio.sds.plugins.module_utils.names import (
    base_cid,
    base_keys,
    siblings,
)
from ansible_collections.openio.sds.plugins.module_utils.sqlbase import (
    copies, copy_base, meta0_serves, remove_copies, same_peers, set_peers)
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts

# A non-master meta0 may serve its previous encoding for a moment after a force.
VERIFY_ATTEMPTS = 3
VERIFY_PAUSE = 1.0
MAX_REPORTED = 20

# How much longer than election_timeout the end-of-batch check of the bases
# still electing waits.
RECHECK_FACTOR = 4


class ApplyError(OioError):
    """meta0 did not end up with the planned mapping. Made by :meth:`caused`
    when a request failed (its method, URL and statuses), plainly when what
    meta0 serves tells it (no request failed)."""

    @classmethod
    def caused(cls, message, cause):
        """The error ``message``, carrying the failed exchange ``cause``."""
        return cls(message, method=cause.method, url=cause.url, http_status=cause.http_status,
                   status=cause.status, body=cause.body, transient=cause.transient)


# ---------------------------------------------------------------------------
# Validation


# ---------------------------------------------------------------------------
# Apply


def meta1_base(key, digits):
    """The BaseRef of the meta1 base with planner key ``key``."""
    name = key.ljust(4, "0")
    return BaseRef("meta1", name, {"type": "meta1", "cid": base_cid(key)},
                   cid=base_cid(key), digits=digits)


class Applier(object):
    """Applies one plan. ``current``/``target`` are base mappings.

    A batch driver over the single-base steps of ``sqlbase``, in the order
    of the reference procedure (``MetaMapping.apply`` in 7.3.0):

    1. per base, ``sys.peers`` set to the new peers (on the current master:
       meta0 still names the old peers), then a copy to every new peer;
    2. one ``meta0_force`` with the prefixes of the bases prepared in 1,
       read back and compared as sets;
    3. the proxy's high cache flushed, then per base: every old and new
       peer leaves the election (the departing master included: while it
       stays master, the others cannot elect, trial transcript 06), the
       copies of the departing peers are removed, and the election is
       checked (and pinged until healthy when it is not).

    That is 5 requests for the usual one-replica move. The second ``leave``
    of the reference is not needed: the first one names every peer
    explicitly instead of the ones the proxy resolves.
    """

    def __init__(self, client, digits, concurrency=8, warn=None, sleep=time.sleep,
                 election_timeout=30, before_force=None, recheck_timeout=None):
        self.client = client
        self.before_force = before_force
        self.digits = digits
        self.concurrency = max(1, int(concurrency))
        self.warn = warn or (lambda msg: None)
        self.sleep = sleep
        self.election_timeout = election_timeout
        # A base still electing after election_timeout is checked again at
        # the end of the batch, for this long.
        self.recheck_timeout = (RECHECK_FACTOR * election_timeout if recheck_timeout is None
                                else recheck_timeout)
        self.writes = 0
        self.failed = []
        self.unelected = []
        self._lock = threading.Lock()

    def _count(self, n=1):
        with self._lock:
            self.writes += n

    def force(self, payload, full=False):
        validate_payload(payload, full=full)
        self._count()
        self.client.proxy("POST", "admin/meta0_force", json_body=payload, idempotent=True)

    def flush_high(self):
        self._count()
        flush_proxy_cache(self.client, "high")

    # -- verification ----------------------------------------------------

    def mismatches(self, payload):
        served = facts(self.client).meta0()
        return [p for p in sorted(payload) if not same_peers(served.get(p), payload[p])]

    def verify(self, payload):
        """Read meta0 back until it serves ``payload``; the differing
        prefixes after the last attempt (empty list = verified)."""
        wrong = []
        for attempt in range(VERIFY_ATTEMPTS):
            if attempt:
                self.sleep(VERIFY_PAUSE)
            wrong = self.mismatches(payload)
            if not wrong:
                return []
        return wrong

    def force_and_verify(self, payload, full=False):
        """One force, read back. A failed force that meta0 nevertheless took
        (answer lost) counts as done; anything else raises ApplyError."""
        error = None
        try:
            self.force(payload, full=full)
        except OioError as exc:
            error = exc
        try:
            wrong = self.verify(payload) if error is None else self.mismatches(payload)
        except OioError as exc:
            wrong = None
            if error is None:
                error = exc
        if wrong == []:
            if error is not None:
                self.warn("meta0_force answered an error but meta0 serves the new "
                          "mapping: %s" % error)
            return
        if error is not None:
            raise ApplyError.caused("meta0_force failed, meta0 was not updated: %s"
                                    % error.message, error)
        raise ApplyError("meta0 was forced but serves another mapping for %d of %d prefixes "
                         "(first: %s)" % (len(wrong), len(payload), ", ".join(wrong[:5])))

    # -- the three phases --------------------------------------------------

    def _prepare(self, job):
        key, old, new = job
        if not old:
            return  # nothing to copy: the base starts empty on its peers
        base = meta1_base(key, self.digits)
        added = [a for a in new if a not in old]
        sources = [a for a in old if a in new] + [a for a in old if a not in new]
        self._count()
        set_peers(self.client, base, new)
        try:
            for to in added:
                self._count()
                copy_base(self.client, base, to, sources)
        except OioError:
            # meta0 still names the old peers: their master takes the write.
            try:
                self._count()
                set_peers(self.client, base, old)
            except OioError as exc:
                self.warn("base %s: could not restore sys.peers after a failed copy: %s"
                          % (key, exc))
            raise

    def _cleanup(self, job, reset_peers=False):
        key, old, new = job
        base = meta1_base(key, self.digits)
        gone = sorted(a for a in old if a not in new)
        everyone = sorted(set(old) | set(new))
        problems = []
        if everyone:
            self._count()
            problems.extend("leave: %s" % p
                            for p in call_problems(leave(self.client, base, everyone)))
        if reset_peers:
            # After the leave: a departed master no longer blocks the write.
            self._count()
            set_peers(self.client, base, new)
        if gone:
            self._count()
            try:
                remove_copies(self.client, base, gone)
            except OioError as exc:
                problems.append(str(exc))
        try:
            problems.extend(self._elected_among(base, new, self.election_timeout))
        except NotElected:
            return problems, False
        except OioError as exc:
            problems.append(str(exc))
        return problems, True

    def _elected_among(self, base, peers, timeout):
        """[] when ``base`` elects a master among exactly ``peers`` within
        ``timeout``; the problem otherwise. Raises NotElected."""
        summary, dummy = wait_elected(self.client, base, timeout, sleep=self.sleep)
        members = [summary["master"]] + summary["slaves"]
        if set(members) != set(peers):
            return ["election among %s, expected %s" % (", ".join(members), ", ".join(sorted(peers)))]
        return []

    def _clean(self, jobs, reset_peers=False):
        """:meth:`_cleanup` of every job, then the elections still going on
        checked once more, for longer: a slow election does not fail a batch
        of good moves. Returns the problems left, one line per base."""
        problems, slow = [], []

        def one(job):
            return self._cleanup(job, reset_peers=reset_peers)
        for (job, found, err) in self.client.map_bounded(one, jobs, self.concurrency):
            if err is not None:
                problems.append("base %s: %s" % (job[0], err))
                continue
            found, elected = found
            problems.extend("base %s: %s" % (job[0], p) for p in found)
            if not elected:
                slow.append(job)
        return problems + self._recheck(slow)

    def _recheck(self, jobs):
        """The bases not elected within election_timeout, waited for up to
        recheck_timeout; each one still not elected is a problem naming the
        task that finishes it (recorded in ``unelected``)."""
        if not jobs:
            return []
        self.warn("%d moved base(s) not elected after %ss (first: %s); checking them again "
                  "for up to %ss" % (len(jobs), self.election_timeout, jobs[0][0],
                                     self.recheck_timeout))

        def again(job):
            return self._elected_among(meta1_base(job[0], self.digits), job[2],
                                       self.recheck_timeout)
        problems = []
        for (job, found, err) in self.client.map_bounded(again, jobs, self.concurrency):
            if err is None and not found:
                continue
            base = meta1_base(job[0], self.digits)
            entry = {"base": base.name, "problem": str(err) if err is not None else found[0],
                     "command": finish_command(base.name, self.recheck_timeout)}
            self.unelected.append(entry)
            problems.append("base %s: %s; finish it with: %s" % (
                job[0], entry["problem"], entry["command"]))
        return problems

    def _serves(self, served, key, peers):
        """Whether the ``meta0_list`` answer ``served`` maps every prefix of
        base ``key`` to ``peers``."""
        return meta0_serves(served, siblings(key, self.digits), peers)

    def _check_unchanged(self, jobs):
        """Right before the force: the writer still holds its lease, and
        meta0 still maps every prepared base to the peers the plan started
        from. Otherwise nothing is forced and sys.peers is given back."""
        try:
            if self.before_force is not None:
                self.before_force()
            served = facts(self.client).meta0()
        except OioError as exc:
            self._rollback(jobs)
            raise ApplyError.caused("meta0 was not updated: the lease and the mapping could not "
                                    "be checked right before the force: %s" % exc, exc)
        changed = [j[0] for j in jobs if not self._serves(served, j[0], j[1])]
        if changed:
            self._rollback([j for j in jobs if j[0] not in changed])
            raise ApplyError("meta0 changed under the plan for %d base(s) (first: %s): another "
                             "writer changed the mapping; nothing was forced, run the task again"
                             % (len(changed), ", ".join(changed[:5])))

    def _served_after_failure(self, jobs):
        """After a failed force: which bases meta0 serves with their new
        peers, which with their old ones, which neither (read back)."""
        served = facts(self.client).meta0()
        forced, kept, unknown = [], [], []
        for job in jobs:
            key, old, new = job
            if self._serves(served, key, new):
                forced.append(job)
            elif self._serves(served, key, old):
                kept.append(job)
            else:
                unknown.append(job)
        return forced, kept, unknown

    def apply(self, current, target, leftovers=None, records=()):
        """Apply the moves from ``current`` to ``target``, then clean up the
        ``leftovers`` (:func:`held_copies`) of an earlier run and delete its
        ``records`` (:mod:`journal`). Returns a report
        (:func:`new_report`); raises ApplyError when meta0 could not be
        updated."""
        bases = moved_bases(current, target)
        jobs = [(b, list(current.get(b) or ()), list(target[b])) for b in bases]
        report = new_report(len(jobs))
        if not jobs:
            return self._finish(report, leftovers, records)
        ok = []
        failed = []
        for (job, dummy, err) in self.client.map_bounded(self._prepare, jobs, self.concurrency):
            if err is None:
                ok.append(job)
            else:
                failed.append(job[0])
                report["failed_bases"].append({"base": job[0], "error": str(err)})
        if ok:
            self._check_unchanged(ok)
            record = self._record(ok)
            payload = meta0_payload(target, self.digits, [j[0] for j in ok])
            try:
                self.force_and_verify(payload)
            except ApplyError as exc:
                # Never undo sys.peers of a base meta0 may already serve with
                # its new peers: that is what broke the elections (trial 04).
                try:
                    forced, kept, unknown = self._served_after_failure(ok)
                except OioError:
                    forced, kept, unknown = [], [], ok
                self._rollback(kept)
                if not forced:
                    self._clear([record])  # nothing was forced: nothing to remove
                    report["writes"] = self.writes
                    raise exc
                self.warn("meta0 serves the new peers of %d of %d base(s) after a failed "
                          "force; the others stay on their old peers: %s"
                          % (len(forced), len(ok), exc))
                for job in kept + unknown:
                    failed.append(job[0])
                    report["failed_bases"].append({"base": job[0], "error": str(exc)})
                ok = forced
            report["meta0_updated"] = True
            report["forced_prefixes"] = len(ok) * (16 ** (4 - self.digits))
            report["moved_bases"] = len(ok)
            self.flush_high()
            problems = self._clean(ok)
            report["cleanup_problems_count"] = len(problems)
            report["cleanup_problems"] = problems[:MAX_REPORTED]
            if not problems:
                self._clear([record])  # else the next run asks these bases again
        self.failed = failed
        report["failed_bases_count"] = len(report["failed_bases"])
        report["failed_bases"] = report["failed_bases"][:MAX_REPORTED]
        return self._finish(report, leftovers, records)

    def _record(self, jobs):
        """Record the copies the force leaves to remove; nothing is forced
        when that fails."""
        try:
            self._count(2)
            return journal.record(self.client, self.digits, jobs)
        except OioError as exc:
            self._rollback(jobs)
            raise ApplyError.caused("meta0 was not updated: the bases whose copies the force "
                                    "leaves to remove could not be recorded in %s/%s: %s"
                                    % (journal.ACCOUNT, journal.REFERENCE, exc), exc)

    def _clear(self, records):
        """Delete records whose copies are gone; a failure only means the
        next run asks about those bases again."""
        if not any(records):
            return
        try:
            self._count()
            journal.clear(self.client, records)
        except OioError as exc:
            self.warn("the record of removed copies could not be deleted (the next run asks "
                      "about those bases again): %s" % exc)

    def _finish(self, report, leftovers, records=()):
        """The copies an earlier run left (``leftovers``) cleaned up and its
        ``records`` deleted, then the report completed with the writes and
        the bases left unelected."""
        problems = self.remove_leftovers(leftovers) if leftovers else []
        if leftovers:
            report["removed_copies"] = len(leftovers)
            report["cleanup_problems"] = (report["cleanup_problems"] + problems)[:MAX_REPORTED]
            report["cleanup_problems_count"] += len(problems)
        if not problems:
            self._clear(list(records))
        report["writes"] = self.writes
        report["unelected"] = self.unelected[:MAX_REPORTED]
        return report

    def _rollback(self, jobs):
        """meta0 kept the old peers: give the bases their old sys.peers back
        (the new copies stay, unused, and are overwritten by the next copy)."""
        def undo(job):
            if job[1]:
                self._count()
                set_peers(self.client, meta1_base(job[0], self.digits), job[1])
        failed = [j for (j, dummy, e) in self.client.map_bounded(undo, jobs, self.concurrency) if e]
        if failed:
            self.warn("sys.peers could not be restored on %d base(s) (first: %s); the next "
                      "run sets them again" % (len(failed), failed[0][0]))

    def remove_leftovers(self, held):
        """``held``: ``{base key: [services]}`` of copies that services keep
        although meta0 no longer maps the base to them (a move interrupted
        after its force). The holders leave the election with the current
        peers, ``sys.peers`` is set again, the copies are removed and the
        election checked: the same cleanup as a move."""
        served = facts(self.client).meta0()
        jobs = []
        for key, holders in sorted(held.items()):
            new = list(served.get(siblings(key, self.digits)[0]) or ())
            jobs.append((key, sorted(set(holders) | set(new)), new))

        return self._clean(jobs, reset_peers=True)

    def install(self, payload, bases):
        """Bootstrap/restore: the whole mapping (``bases`` of it) in one
        force, verified, then the proxy cache flushed. Returns the report."""
        self.force_and_verify(payload, full=True)
        self.flush_high()
        report = new_report(bases)
        report.update(moved_bases=bases, forced_prefixes=len(payload), meta0_updated=True,
                      writes=self.writes)
        return report


def finish_command(base_name, timeout):
    """The ad-hoc task that finishes the election of a meta1 base."""
    return ("ansible localhost -m openio.sds.oio_election -a 'type=meta1 cid=%s state=elected "
            "wait_timeout=%d'" % (base_name, max(60, int(timeout) * 2)))


def new_report(bases):
    """What an apply tells: ``bases`` to move, how many moved and through
    how many forced prefixes, the bases that failed and the cleanup problems
    (the first MAX_REPORTED of each), the write requests, whether meta0 was
    updated; ``removed_copies`` when leftovers were cleaned up."""
    return {"bases": bases, "moved_bases": 0, "forced_prefixes": 0,
            "failed_bases": [], "failed_bases_count": 0,
            "cleanup_problems": [], "cleanup_problems_count": 0, "unelected": [],
            "writes": 0, "meta0_updated": False}


def service_addresses(names, services):
    """Addresses of ``names`` (addresses or service IDs of meta1 services)."""
    by_id = dict((s.get("id"), s["addr"]) for s in services if s.get("id"))
    return sorted(set(by_id.get(n, n) for n in names))


def held_copies(client, current, addrs, digits, concurrency=8):
    """Ask the services ``addrs`` themselves which of the bases meta0 does
    not map to them they still hold (``admin/has`` with their service IDs,
    one request per base); ``addrs`` is a list, asked about every base, or
    ``{base key: [services]}``, asked about those bases only. Returns
    ``(held, unknown, scanned)``: ``{base key: [holders]}``, ``[(base key,
    cause)]`` of the bases some of them did not answer for, and how many
    bases were asked about."""
    if isinstance(addrs, dict):
        asked = dict((k, set(a)) for k, a in addrs.items())
    else:
        asked = dict((k, set(addrs)) for k in base_keys(digits))
    for key in list(asked):
        asked[key] -= set(current.get(key) or ())
        if not asked[key]:
            del asked[key]
    keys = sorted(asked)

    def ask(key):
        return copies(client, meta1_base(key, digits), sorted(asked[key]))
    held, unknown = {}, []
    for (key, answer, err) in client.map_bounded(ask, keys, concurrency):
        if err is not None or any(v is None for v in answer.values()):
            unknown.append((key, str(err) if err is not None else "a peer did not answer"))
            continue
        holders = sorted(a for a, has in answer.items() if has)
        if holders:
            held[key] = holders
    return held, sorted(unknown), len(keys)
