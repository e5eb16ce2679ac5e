# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of a meta0 state: what the planner needs read from the cluster
(the mapping, the meta1 services, the digits), the plan itself, and the
figures of the result. The planning rules are ``planner`` (pure); writing
is ``apply``, which comes after this and is never imported here.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.election import peer_results
from ansible_collections.openio.sds.plugins.module_utils.meta0 import planner
from ansible_collections.openio.sds.plugins.module_utils.meta0.model import (
    Move, PayloadError, bases_from_meta0, check_params, meta0_payload, moved_bases,
    normalize_user_mapping)
from ansible_collections.openio.sds.plugins.module_utils.names import base_cid, digits_problem
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts


# ---------------------------------------------------------------------------
# Reads


def resolve_digits(client, requested):
    """The digits to plan with; a value that contradicts the namespace
    configuration is refused (meta1 names its bases after the namespace's)."""
    configured, key = facts(client).configured_digits()
    if requested is None:
        return facts(client).meta1_digits()
    problem = digits_problem(requested)
    if problem:
        raise PayloadError(problem)
    if configured is not None and configured != requested:
        raise PayloadError("digits=%d contradicts the namespace option %s=%d"
                           % (requested, key, configured))
    return requested


def load_meta1_services(client):
    return facts(client).services("meta1")


# ---------------------------------------------------------------------------
# What the modules run


def bases_per_service(mapping, services=()):
    """``{addr: number of bases}``, every known service included (with 0)."""
    counts = dict((s["addr"], 0) for s in services)
    for addrs in mapping.values():
        for addr in addrs or ():
            counts[addr] = counts.get(addr, 0) + 1
    return counts


def replica_moves(current, target, bases=None):
    """``[(base, old, new)]`` turning ``current`` into ``target``: removed and
    added peers of each base paired up (None when a side is missing);
    ``bases``: the moved bases, when already known."""
    moves = []
    for base in moved_bases(current, target) if bases is None else bases:
        old = list(current.get(base) or ())
        new = list(target.get(base) or ())
        gone = [a for a in old if a not in new]
        added = [a for a in new if a not in old]
        for i in range(max(len(gone), len(added))):
            moves.append(Move(base, gone[i] if i < len(gone) else None,
                              added[i] if i < len(added) else None))
    return moves


def diff_summary(counts_before, counts_after, moves):
    """What ``--diff`` shows: bases per meta1 before and after, and how many
    bases and replicas move; never the mapping itself."""
    before = {"bases_per_meta1": dict(sorted(counts_before.items()))}
    after = {"bases_per_meta1": dict(sorted(counts_after.items())),
             "moved_bases": len(set(m.base for m in moves)),
             "moved_replicas": len(moves)}
    return before, after


def _same(current_prefixes, target_prefixes):
    if len(current_prefixes) != len(target_prefixes):
        return False
    for prefix, addrs in target_prefixes.items():
        if set(current_prefixes.get(prefix) or ()) != set(addrs):
            return False
    return True


def check_restore(target, services, replicas, warn):
    """A restored mapping may only name registered meta1 services and must
    give every base at least ``replicas`` of them."""
    known = set(s["addr"] for s in services)
    unknown = sorted(set(a for addrs in target.values() for a in addrs) - known)
    if unknown:
        raise PayloadError("the mapping names address(es) that are not registered meta1 "
                           "services: %s" % ", ".join(unknown[:10]))
    short = sorted(b for b, addrs in target.items() if len(addrs) < replicas)
    if short:
        raise PayloadError("%d base(s) have fewer than %d replicas (first: %s)"
                           % (len(short), replicas, ", ".join(repr(b) for b in short[:5])))
    extra = [b for b, addrs in target.items() if len(addrs) > replicas]
    if extra:
        warn("%d base(s) have more than %d replicas" % (len(extra), replicas))


class Plan(object):
    """What a state needs: the mapping meta0 serves (``prefixes``, as
    ``current`` bases), the ``target`` bases, the replica ``moves`` between
    them and the ``moved`` bases, or the full ``payload`` that bootstrap and
    restore force at once. ``result``: the planner's, when it planned."""

    def __init__(self, operation, digits, services, prefixes, current, inconsistent,
                 target=None, result=None, payload=None):
        self.operation = operation
        self.digits = digits
        self.services = services
        self.prefixes = prefixes
        self.current = current
        self.inconsistent = inconsistent
        self.target = current if target is None else target
        self.result = result
        self.payload = payload
        self.moved = moved_bases(current, self.target)
        self.moves = list(result.moves) if result is not None and result.moves else \
            replica_moves(current, self.target, self.moved)

    @property
    def initialised(self):
        """Whether meta0 held a mapping when it was read."""
        return bool(self.prefixes)

    @property
    def writes(self):
        """Whether applying it writes anything."""
        return bool(self.payload or self.moved)

    def same_reads(self, prefixes, services):
        """Whether it was made from these reads (planning 65,536 prefixes
        again would only cost CPU)."""
        return self.prefixes == prefixes and self.services == services


def plan(client, state, warn, replicas=3, digits=None, min_dist=1, services=None,
         mapping=None, max_moves=None, previous=None, meta1=None):
    """Read the cluster and :class:`Plan` ``state`` (bootstrapped, balanced,
    decommissioned of ``services``, present as ``mapping``); raises
    PayloadError/PlanningError on a plan that cannot be (the options' own
    rules are the module's). Sends no write. ``previous``, a plan of the
    same options: returned as it is when meta0 and the meta1 services read
    now are those it was made from. ``meta1``: the meta1 services, when the
    caller has just read them (for V(auto) min_dist), so as not to read
    them twice."""
    leaving = services
    digits = resolve_digits(client, digits)
    check_params(replicas, digits, min_dist)
    if state == "present":
        # Validate the user's mapping before reading anything large.
        user_prefixes = normalize_user_mapping(mapping, digits)
    services = load_meta1_services(client) if meta1 is None else meta1
    current_prefixes = facts(client).meta0()
    if previous is not None and previous.same_reads(current_prefixes, services):
        return previous
    current, inconsistent = bases_from_meta0(current_prefixes, digits)
    read = dict(digits=digits, services=services, prefixes=current_prefixes, current=current,
                inconsistent=inconsistent)
    kwargs = dict(replicas=replicas, digits=digits, min_dist=min_dist)
    if inconsistent:
        warn("%d base(s) have sibling prefixes that disagree in meta0 (first: %s)"
             % (len(inconsistent), ", ".join(repr(b) for b in inconsistent[:5])))
    if state == "bootstrapped":
        if current_prefixes:
            return Plan("none", **read)
        result = planner.bootstrap(services, **kwargs)
        out = Plan("bootstrap", target=result.mapping, result=result,
                   payload=meta0_payload(result.mapping, digits), **read)
    elif state == "present":
        target, bad = bases_from_meta0(user_prefixes, digits)
        if bad:
            raise PayloadError("the sibling prefixes of %d base(s) disagree (first: %s): with "
                               "digits %d every prefix of a base maps to the same services"
                               % (len(bad), ", ".join(repr(b) for b in bad[:5]), digits))
        check_restore(target, services, replicas, warn)
        if _same(current_prefixes, user_prefixes):
            return Plan("none", target=target, **read)
        out = Plan("restore", target=target, payload=meta0_payload(target, digits), **read)
        if current_prefixes:
            warn("restoring writes meta0 only: no meta1 base is copied, so every base "
                 "that changes peers must already be on its new peers")
    else:
        if not current_prefixes:
            raise PayloadError("meta0 holds no mapping yet: bootstrap it first "
                               "(state=bootstrapped)")
        if state == "balanced":
            result = planner.rebalance(current, services, max_moves=max_moves, **kwargs)
        else:
            result = planner.decommission(current, services, leaving, max_moves=max_moves,
                                          **kwargs)
        out = Plan("rebalance" if state == "balanced" else "decommission",
                   target=result.mapping, result=result, **read)
    if out.result is not None:
        for msg in out.result.warnings:
            warn(msg)
    return out


def compare_meta0_peers(client):
    """Whether every meta0 peer holds the same mapping, compared through the
    ``version:*`` counters of each peer's meta0 base (sqliterepo bumps them on
    every write): ``admin/get_properties?type=meta0&service_id=<peer>``."""
    peers = []
    for svc in facts(client).services("meta0"):
        addr = svc["addr"]
        entry = {"addr": addr, "versions": None, "error": None}
        try:
            resp = client.proxy("POST", "admin/get_properties",
                                {"type": "meta0", "cid": base_cid(""), "service_id": addr},
                                idempotent=True)
            entry["versions"] = _versions(resp.body, addr)
            if entry["versions"] is None:
                entry["error"] = "no admin table in the answer"
        except OioError as exc:
            entry["error"] = str(exc)
        peers.append(entry)
    answered = [p for p in peers if p["versions"] is not None]
    distinct = set(tuple(sorted(p["versions"].items())) for p in answered)
    return {
        "method": "admin/get_properties version counters per meta0 peer",
        "peers": peers,
        "unreachable": [p["addr"] for p in peers if p["versions"] is None],
        "consistent": bool(peers) and len(answered) == len(peers) and len(distinct) == 1,
    }


def _versions(body, addr):
    if isinstance(body, dict) and isinstance(body.get(addr), dict):
        # Per-peer ("specified" mode) answer.
        try:
            peer = peer_results({addr: body[addr]})[addr]
        except OioError:
            return None
        if peer["status"] != 200:
            return None
        body = peer["body"]
    if not isinstance(body, dict) or not isinstance(body.get("system"), dict):
        return None
    return dict((k, v) for k, v in body["system"].items() if k.startswith("version:"))
