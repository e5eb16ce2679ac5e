# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moving the bases of a meta2 service to the other meta2 services, a batch
at a time (the domain of oio_meta2_drain).

A meta2 service cannot be asked which bases it holds: its rdir meta2 index
is the list. Each base is moved like oio_base moves it (copy, owner update,
election, old copy removed), then its index record follows it. A base is
done when its record has left the index, so the index is also where a run
stands: each call reads it from the start, and a base that an interrupted
call moved without its record is found there again and only its record
moves."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.election import resolve_base
from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.location import split_location
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts
from ansible_collections.openio.sds.plugins.module_utils.rdir import VolumeDatabase, locate_rdir
from ansible_collections.openio.sds.plugins.module_utils.rdir_index import IndexReader, follow_base
from ansible_collections.openio.sds.plugins.module_utils.services import find_service
from ansible_collections.openio.sds.plugins.module_utils.sqlbase import (
    PEERS_KEY, base_files, copies_of, get_admin_properties, move_plan, owner_peers, run_move)

NOT_FOUND = 404


def choose_services(services, service, targets=None):
    """``(the service, the services that may take its bases)`` from the
    conscience's meta2 services; InvalidInput before anything is written."""
    svc = find_service(services, service)
    if svc is None:
        raise InvalidInput("no meta2 service %s in the conscience (known: %s)"
                           % (service, ", ".join(sorted(s["id"] for s in services)) or "none"))
    if targets:
        chosen = []
        for key in targets:
            target = find_service(services, key)
            if target is None:
                raise InvalidInput("target %s is not a meta2 service of the conscience" % key)
            if target["addr"] == svc["addr"]:
                raise InvalidInput("target %s is the service being drained" % key)
            if target["score"] <= 0:
                raise InvalidInput("target %s has a score of 0: it would refuse new bases"
                                   % key)
            chosen.append(target)
    else:
        chosen = [s for s in services if s["addr"] != svc["addr"] and s["score"] > 0]
    if not chosen:
        raise InvalidInput("no other meta2 service with a positive score can take the bases "
                           "of %s" % svc["id"])
    return svc, sorted(chosen, key=lambda s: s["addr"])


def _host(service):
    """What a service's location says of its host: all but the last token,
    or the address's IP when it has no tag.loc."""
    loc = service.get("location") or ""
    if loc == service["addr"].rsplit(":", 1)[0]:
        return (loc,)
    return split_location(loc)[:-1] or (loc,)


def pick_target(candidates, peers, loads):
    """The candidate that takes a base from a service: not a peer already,
    on a host that no remaining peer is on if possible, then the least
    loaded (bases in its index), then by address. None when every
    candidate is a peer."""
    by_addr = dict((c["addr"], c) for c in candidates)
    hosts = set(_host(by_addr[p]) for p in peers if p in by_addr)
    free = [c for c in candidates if c["addr"] not in peers]
    if not free:
        return None
    return min(free, key=lambda c: (_host(c) in hosts, loads.get(c["addr"], 0), c["addr"]))


class Meta2Drain(object):
    """One call: at most ``max_moves`` bases of ``service`` moved, with
    their index records. ``run()`` returns the result; an error of the
    cluster stops the call where it is (``error`` in the result), which is
    safe: the next call finds what is left in the index."""

    def __init__(self, client, service, targets=None, max_moves=None, page_size=1000,
                 wait_timeout=30.0, warn=None):
        self.client = client
        self.warn = warn
        self.max_moves = max_moves
        self.page_size = page_size
        self.wait_timeout = wait_timeout
        services = facts(client).services("meta2")
        self.svc, self.candidates = choose_services(services, service, targets)
        self.ids = dict((s["addr"], s["id"]) for s in services)
        self._rdirs = {}
        self.moved = []
        self.records_moved = 0
        self.problems = []

    def _rdir_of(self, vol):
        if vol not in self._rdirs:
            self._rdirs[vol] = locate_rdir(self.client, vol)[1]
        return self._rdirs[vol]

    def _count(self, vol):
        index = VolumeDatabase(self.client, self._rdir_of(vol), "meta2", vol)
        return index.status()["containers"] if index.meta2_exists() else 0

    def run(self):
        vol = self.svc["id"]
        source = (vol, self._rdir_of(vol))
        before = self._count(vol)
        # Every candidate's index must be reachable before a base moves to
        # it, or its record would have nowhere to go.
        loads = dict((c["addr"], self._count(c["id"])) for c in self.candidates)
        error = None
        try:
            pages = IndexReader(self.client, source[1], "meta2", vol, self.page_size).pages()
            for record in (record for page in pages for dummy, record in page):
                if self.max_moves and self._done() >= self.max_moves:
                    break
                self._one(record, source, loads)
        except OioError as exc:
            error = exc
        handled = self._done()
        left = before - handled if self.client.check_mode or error is not None \
            else self._count(vol)
        return {
            "service": vol, "index_rdir": source[1], "records_before": before,
            "moved": self.moved, "moves_count": len(self.moved),
            "records_moved": self.records_moved, "left": max(0, left),
            "problems": self.problems, "error": error,
        }

    def _done(self):
        return len(self.moved) + self.records_moved

    def _one(self, record, source, loads):
        url = record.get("container_url")
        try:
            base = resolve_base(self.client, "meta2", cid=record.get("container_id"))
        except InvalidInput as exc:
            self.problems.append({"container": url, "problem": str(exc)})
            return
        try:
            owner = owner_peers(self.client, base)
        except OioError as exc:
            if exc.http_status != NOT_FOUND:
                raise
            self.problems.append({"container": url, "problem": "its index record names a "
                                  "container the directory does not know (%s)" % exc})
            return
        peers = owner["peers"]
        addr = self.svc["addr"]
        if addr in peers:
            target = pick_target(self.candidates, peers, loads)
            if target is None:
                self.problems.append({"container": url, "problem": "every meta2 that may take "
                                      "it is a peer already (%s)" % ", ".join(peers)})
                return
            desired = [p for p in peers if p != addr] + [target["addr"]]
            self._move(base, owner, desired)
            loads[target["addr"]] = loads.get(target["addr"], 0) + 1
            self.moved.append({"container": url, "cid": base.cid, "peers_before": peers,
                               "peers_after": desired})
            peers = desired
        else:
            self.records_moved += 1
        follow_base(self.client, record, source,
                    [(self.ids.get(p, p), self._rdir_of(self.ids.get(p, p))) for p in peers])

    def _move(self, base, owner, desired):
        table = get_admin_properties(self.client, base, peers=owner["peers"])
        sys_peers = [x for x in (table["system"].get(PEERS_KEY) or "").split(",") if x]
        plan = move_plan(owner, sys_peers, copies_of(base_files(self.client, base)), desired)
        if not self.client.check_mode:
            run_move(self.client, base, owner, plan, desired, {}, self.wait_timeout,
                     warn=self.warn)
