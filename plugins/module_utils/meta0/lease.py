# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The namespace-wide writer lease of meta0.

Every task that writes meta0 holds it while it plans and applies, so that
two writers (two decommissions started at once) never force lists planned
from the same old mapping: the last force would win and map bases to a
meta1 just emptied.

The lease is the reference ``_OIOSDS/meta0-writer`` in meta1. Creating a
reference is atomic: ``reference/create`` answers 201 to the one writer
that created it and 202 to everyone else. Its properties record the
holder, a token, the start and the expiry. A writer that finds it waits,
up to its timeout, then fails naming the holder; an expired lease is
destroyed and taken over. The holder checks it still holds the lease (and
extends it) right before each force, extends it every third of its ttl
while it runs, and destroys it when done: the lease of a task that died
expires after one ttl. A first
bootstrap cannot take it (without a mapping there is no meta1 to hold the
reference); meta0 itself then refuses nothing, and the read-back of the
force catches a concurrent bootstrap.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from contextlib import contextmanager
import getpass
import os
import socket
import threading
import time
import uuid

from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput

LEASE_ACCOUNT = "_OIOSDS"
LEASE_REFERENCE = "meta0-writer"
POLL = 2.0


def lease_spec():
    """Options of the modules that write meta0 (``openio.sds.lease`` fragment)."""
    return dict(lease_timeout=dict(type="float", default=600.0),
                lease_ttl=dict(type="float", default=300.0))


# Their ranges, for OioModule(ranges=...).
LEASE_RANGES = dict(lease_timeout=(0, 86400), lease_ttl=(3, 86400))


class LeaseBusy(OioError):
    """Another writer holds the lease."""


@contextmanager
def writer_lease(client, timeout, ttl, warn, needed=True):
    """The meta0 writer lease, held for the ``with`` block and released at
    its end, whatever happens; ``None`` when it is not ``needed`` (check mode,
    nothing to write). LeaseBusy (an OioError: the task fails naming the
    holder) when another writer keeps it past ``timeout``."""
    if not needed:
        yield None
        return
    try:
        lease = WriterLease(client, timeout=timeout, ttl=ttl)
    except ValueError as exc:
        raise InvalidInput(str(exc))
    lease.acquire()
    if lease.taken_over:
        warn("took over an expired meta0 writer lease of %s (started %s)"
             % (lease.taken_over.get("holder", "?"), lease.taken_over.get("start", "?")))
    try:
        yield lease
    finally:
        if not lease.release():
            warn("the meta0 writer lease could not be released: another run waits for it "
                 "to expire, at most %ds (reference %s/%s)" % (ttl, LEASE_ACCOUNT,
                                                               LEASE_REFERENCE))


def _iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def default_holder():
    try:
        user = getpass.getuser()
    except Exception:  # pylint: disable=broad-except
        user = "unknown"
    return "%s@%s pid %d" % (user, socket.gethostname(), os.getpid())


class WriterLease(object):

    def __init__(self, client, holder=None, timeout=600.0, ttl=300.0,
                 sleep=time.sleep, clock=time.time):
        if timeout < 0:
            raise ValueError("lease_timeout must be 0 or more, got %r" % (timeout,))
        if ttl <= 0:
            raise ValueError("lease_ttl must be more than 0, got %r" % (ttl,))
        self.client = client
        self.holder = holder or default_holder()
        self.timeout = float(timeout)
        self.ttl = float(ttl)
        self.sleep = sleep
        self.clock = clock
        self.token = None
        self.taken_over = None
        self._stop = threading.Event()

    @property
    def params(self):
        return {"acct": LEASE_ACCOUNT, "ref": LEASE_REFERENCE}

    def _properties(self, now):
        return {"holder": self.holder, "token": self.token, "start": _iso(now),
                "expiry": "%d" % (now + self.ttl), "expiry_time": _iso(now + self.ttl)}

    def read(self, past_breaker=False):
        """The lease's properties, or None when nobody holds it."""
        resp = self.client.proxy("POST", "reference/get_properties", self.params,
                                 json_body=[], idempotent=True, expect=(404,),
                                 past_breaker=past_breaker)
        if resp.status == 404:
            return None
        return dict((resp.body or {}).get("properties") or {})

    def _destroy(self, past_breaker=False):
        self.client.proxy("POST", "reference/destroy", dict(self.params, force="yes"),
                          idempotent=True, expect=(404,), past_breaker=past_breaker)

    def acquire(self):
        """Take the lease, waiting up to ``timeout`` seconds for its holder."""
        start = self.clock()
        self.token = uuid.uuid4().hex
        while True:
            now = self.clock()
            resp = self.client.proxy("POST", "reference/create", self.params,
                                     json_body={"properties": self._properties(now)},
                                     idempotent=True)
            current = self.read() if resp.status != 201 else None
            # A 202 may answer our own retried create: the token tells.
            if resp.status == 201 or (current or {}).get("token") == self.token:
                self._heartbeat()
                return self
            if current is None:
                continue  # released between the create and the read
            try:
                expiry = float(current.get("expiry"))
            except (TypeError, ValueError):
                expiry = 0.0  # not a lease we understand: as good as expired
            if expiry <= now:
                self.taken_over = current
                self._destroy()
                continue
            if now - start >= self.timeout:
                raise LeaseBusy(
                    "meta0 is being changed by %s since %s (its lease runs until %s): "
                    "waited %ds for it. Wait for that run to end, or raise lease_timeout; an "
                    "expired lease is taken over, and the reference %s/%s can be destroyed "
                    "by hand if that writer is known to be dead."
                    % (current.get("holder", "?"), current.get("start", "?"),
                       current.get("expiry_time", "?"), int(now - start),
                       LEASE_ACCOUNT, LEASE_REFERENCE))
            self.sleep(min(POLL, max(0.0, self.timeout - (now - start))))

    def renew(self):
        """Check the lease is still ours and extend it; LeaseBusy if it was
        lost (expired and taken over): the caller must not write meta0."""
        current = self.read()
        if (current or {}).get("token") != self.token:
            raise LeaseBusy("the meta0 writer lease was lost (now held by %s): nothing more "
                            "is forced; run the task again"
                            % ((current or {}).get("holder") or "nobody"))
        self._extend()

    def _extend(self):
        now = self.clock()
        self.client.proxy("POST", "reference/set_properties", self.params,
                          json_body={"properties": {"expiry": "%d" % (now + self.ttl),
                                                    "expiry_time": _iso(now + self.ttl)}},
                          idempotent=True)

    def _heartbeat(self):
        """Extend the lease every third of its ttl while the task runs, so
        that a short ttl covers a long apply and the lease of a task that
        died expires soon. A failed extension is not fatal: ``renew``
        checks the lease before every force."""
        def beat():
            while not self._stop.wait(self.ttl / 3.0):
                try:
                    self._extend()
                except OioError:
                    pass
        thread = threading.Thread(target=beat, name="meta0-lease")
        thread.daemon = True
        thread.start()

    def release(self):
        """Destroy the lease if it is still ours. Sent even when the client
        stopped sending to the proxy after connection failures: a lease left
        behind makes the next run wait up to ``ttl`` for it. Best effort
        still: when the proxy cannot be reached the task has already failed
        with the cause, and the lease expires by itself. Returns whether it
        was released."""
        self._stop.set()
        if self.token is None:
            return False
        try:
            if (self.read(past_breaker=True) or {}).get("token") == self.token:
                self._destroy(past_breaker=True)
            return True
        except OioError:
            return False
        finally:
            self.token = None
