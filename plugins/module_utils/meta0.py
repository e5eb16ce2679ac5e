# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The meta0 prefix mapping as the modules see it: what the planner needs
read from the cluster (the mapping, the meta1 services, the digits), the
plan of a state, and the figures of the result. The planning itself is
``meta0_planner`` (pure); writing is ``meta0_apply``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils import meta0_planner as planner
from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.election import peer_results
from ansible_collections.openio.sds.plugins.module_utils.meta0_apply import (
    MAX_REPORTED, Applier, ApplyError, PayloadError, held_copies, meta1_base, moved_bases,
    normalize_user_mapping, served_mapping, service_addresses, validate_payload)
from ansible_collections.openio.sds.plugins.module_utils.names import base_cid
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts

# What the modules use of the mapping, in one place (the writing side is
# defined in meta0_apply.py).
__all__ = ["MAX_REPORTED", "Applier", "ApplyError", "PayloadError", "bases_per_service",
           "check_numbers", "check_restore", "compare_meta0_peers", "diff_summary",
           "held_copies", "load_meta1_services", "meta1_base", "moved_bases",
           "normalize_user_mapping", "plan", "replica_moves", "resolve_digits",
           "served_mapping", "service_addresses", "validate_payload"]


# ---------------------------------------------------------------------------
# Reads


def resolve_digits(client, requested):
    """The digits to plan with; a value that contradicts the namespace
    configuration is refused (meta1 names its bases after the namespace's)."""
    configured, key = facts(client).configured_digits()
    if requested is None:
        return facts(client).meta1_digits()
    if not 0 <= requested <= 4:
        raise PayloadError("digits must be between 0 and 4, got %r" % (requested,))
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
            moves.append((base, gone[i] if i < len(gone) else None,
                          added[i] if i < len(added) else None))
    return moves


def diff_summary(counts_before, counts_after, moves):
    """What ``--diff`` shows: bases per meta1 before and after, and how many
    bases and replicas move; never the mapping itself."""
    before = {"bases_per_meta1": dict(sorted(counts_before.items()))}
    after = {"bases_per_meta1": dict(sorted(counts_after.items())),
             "moved_bases": len(set(m[0] for m in moves)),
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


def plan(client, state, warn, replicas=3, digits=None, min_dist=1, services=None,
         mapping=None, max_moves=None, previous=None):
    """Read the cluster and plan ``state`` (bootstrapped, balanced,
    decommissioned of ``services``, present as ``mapping``). Returns a dict
    with ``operation``, ``current``/``target`` base mappings, ``moved``
    bases, ``payload`` for a full install, the plan result and the context;
    raises PayloadError/PlanningError on a plan that cannot be (the
    options' own rules are the module's). Sends no write. ``previous``, a
    plan of the same options: returned as it is when meta0 and the meta1
    services read now are those it was made from (planning 65,536 bases
    again would only cost CPU)."""
    leaving = services
    digits = resolve_digits(client, digits)
    check_numbers(replicas, digits, min_dist)
    if state == "present":
        # Validate the user's mapping before reading anything large.
        user_prefixes = normalize_user_mapping(mapping, digits)
    services = load_meta1_services(client)
    current_prefixes = facts(client).meta0()
    if previous is not None and previous["prefixes"] == current_prefixes \
            and previous["services"] == services:
        return previous
    current, inconsistent = planner.bases_from_meta0(current_prefixes, digits)
    kwargs = dict(replicas=replicas, digits=digits, min_dist=min_dist)
    out = {"operation": "none", "digits": digits, "services": services,
           "prefixes": current_prefixes, "initialised": bool(current_prefixes),
           "current": current, "target": current, "moved": [],
           "payload": None, "result": None, "inconsistent": inconsistent, "moves": []}
    if inconsistent:
        warn("%d base(s) have sibling prefixes that disagree in meta0 (first: %s)"
             % (len(inconsistent), ", ".join(repr(b) for b in inconsistent[:5])))
    if state == "bootstrapped":
        if current_prefixes:
            return out
        result = planner.bootstrap(services, **kwargs)
        out.update(operation="bootstrap", target=result.mapping, result=result,
                   payload=planner.meta0_payload(result.mapping, digits))
    elif state == "present":
        target, bad = planner.bases_from_meta0(user_prefixes, digits)
        if bad:
            raise PayloadError("the sibling prefixes of %d base(s) disagree (first: %s): with "
                               "digits %d every prefix of a base maps to the same services"
                               % (len(bad), ", ".join(repr(b) for b in bad[:5]), digits))
        check_restore(target, services, replicas, warn)
        out["target"] = target
        if not _same(current_prefixes, user_prefixes):
            out.update(operation="restore",
                       payload=planner.meta0_payload(target, digits))
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
        out.update(operation="rebalance" if state == "balanced" else "decommission",
                   target=result.mapping, result=result)
        out["moves"] = list(result.moves)
    if out["result"] is not None:
        for msg in out["result"].warnings:
            warn(msg)
    out["moved"] = moved_bases(current, out["target"])
    if not out["moves"]:
        out["moves"] = replica_moves(current, out["target"], out["moved"])
    return out


def check_numbers(replicas, digits, min_dist):
    for name, value, low, high in (("replicas", replicas, 1, planner.MAX_REPLICAS),
                                   ("digits", digits, 0, 4), ("min_dist", min_dist, 1, 4)):
        if not low <= value <= high:
            raise PayloadError("%s must be between %d and %d, got %r" % (name, low, high, value))


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
