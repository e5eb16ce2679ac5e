# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check of a meta0 mapping: missing or extra bases, replica counts,
min_dist, unknown or score-0 services, sibling consistency, balance, and the
placement of the copies per location level. Pure: no HTTP, no Ansible."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.location import MAX_TOKENS, masked_location
from ansible_collections.openio.sds.plugins.module_utils.meta0.model import (
    Services, bases_from_meta0, check_params, compute_targets)
from ansible_collections.openio.sds.plugins.module_utils.names import base_keys


def _truncated(items, limit):
    return {"count": len(items), "items": items[:limit], "truncated": len(items) > limit}


def check(mapping, services, replicas=3, digits=4, min_dist=1, inconsistent_bases=(),
          max_items=20, balance_tolerance=1):
    """Audit a base mapping. Returns a JSON-friendly dict with ``ok``, a list
    of ``problems`` (one sentence each) and per-category counts and lists (at
    most ``max_items`` entries each, with totals)."""
    check_params(replicas, digits, min_dist)
    mapping = mapping or {}
    # Too few usable services is a finding here, not an error.
    svcs = Services(services, replicas, min_dist, strict=False)
    keys = base_keys(digits)
    key_set = set(keys)
    problems = []

    unexpected = sorted(k for k in mapping if k not in key_set)
    missing = [k for k in keys if not mapping.get(k)]
    wrong_count = []
    violations = []
    duplicates = []
    unknown = {}
    zero = {}
    counts = [0] * len(svcs.addrs)
    # Replica placement: per distance level, the bases whose copies all sit
    # apart at that level (1: other services, up to 4: other top locations).
    levels = range(1, MAX_TOKENS + 1)
    apart = dict((level, 0) for level in levels)
    # Few distinct replica lists hold the 65,536 bases: read each list once.
    seen = {}

    def read_list(addrs):
        """(service indexes, whether an address repeats, [(address, the
        findings it goes to)], whether the required locations differ, per
        level whether the replicas sit apart)."""
        row, repeated, odd = [], False, []
        for addr in addrs:
            i = svcs.index.get(addr)
            if i is None:
                i = svcs.add_unknown(addr)
                counts.append(0)
            if i in row:
                repeated = True
                continue
            row.append(i)
            if i >= svcs.known:
                odd.append((svcs.addrs[i], unknown))
            elif svcs.scores[i] <= 0:
                odd.append((svcs.addrs[i], zero))
        locs = [svcs.req_locs[i] for i in row]
        at = [len(set(masked_location(svcs.raw_locs[i], level) for i in row)) == len(row)
              for level in levels]
        return row, repeated, odd, len(set(locs)) == len(locs), at

    for key in keys:
        addrs = mapping.get(key)
        if not addrs:
            continue
        if not isinstance(addrs, (list, tuple)):
            wrong_count.append({"base": key, "count": 0, "value": repr(addrs)[:80]})
            continue
        listed = tuple(addrs)
        if listed not in seen:
            seen[listed] = read_list(listed)
        row, repeated, odd, distinct, at = seen[listed]
        for i in row:
            counts[i] += 1
        if repeated:
            duplicates.append(key)
        for addr, findings in odd:
            findings.setdefault(addr, []).append(key)
        if len(addrs) != replicas:
            wrong_count.append({"base": key, "count": len(addrs)})
        if not distinct:
            violations.append({"base": key, "addrs": [svcs.addrs[i] for i in row]})
        for level, ok in zip(levels, at):
            apart[level] += ok

    targets = compute_targets(svcs, len(keys), prefer=counts) if svcs.usable_indices() \
        else [0] * len(svcs.addrs)
    over, under = [], []
    live_counts = []
    max_dev = 0
    for i, addr in enumerate(svcs.addrs):
        dev = counts[i] - targets[i]
        max_dev = max(max_dev, abs(dev))
        if svcs.usable(i):
            live_counts.append(counts[i])
        entry = {"addr": addr, "count": counts[i], "target": targets[i]}
        if dev > balance_tolerance:
            over.append(entry)
        elif -dev > balance_tolerance:
            under.append(entry)
    over.sort(key=lambda e: (e["target"] - e["count"], e["addr"]))
    under.sort(key=lambda e: (e["count"] - e["target"], e["addr"]))

    def by_service(d):
        items = [{"addr": a, "bases_count": len(b), "bases": b[:max_items]}
                 for a, b in sorted(d.items())]
        return {"count": sum(len(b) for b in d.values()), "services": len(d),
                "items": items[:max_items], "truncated": len(items) > max_items}

    result = {
        "replicas": replicas,
        "digits": digits,
        "min_dist": min_dist,
        "min_dist_satisfiable": svcs.min_dist_satisfied,
        "bases": len(keys),
        "missing_bases": _truncated(missing, max_items),
        "unexpected_bases": _truncated(unexpected, max_items),
        "wrong_replica_count": _truncated(wrong_count, max_items),
        "duplicate_addresses": _truncated(sorted(set(duplicates)), max_items),
        "min_dist_violations": _truncated(violations, max_items),
        "unknown_services": by_service(unknown),
        "zero_score_services": by_service(zero),
        "inconsistent_siblings": _truncated(sorted(inconsistent_bases or ()), max_items),
        "imbalance": {
            "max_deviation": max_dev,
            "max_count": max(live_counts or [0]),
            "min_count": min(live_counts or [0]),
            "tolerance": balance_tolerance,
            "over": _truncated(over, max_items),
            "under": _truncated(under, max_items),
        },
        "counts": dict((a, counts[i]) for i, a in enumerate(svcs.addrs)),
        "targets": dict((a, targets[i]) for i, a in enumerate(svcs.addrs)),
        "locations": dict((a, svcs.raw_locs[i]) for i, a in enumerate(svcs.addrs)
                          if i < len(svcs.raw_locs)),
        "placement": dict(("level_%d" % level, apart[level]) for level in levels),
    }
    if not svcs.usable_indices():
        problems.append("no meta1 service has a score > 0")
    elif len(svcs.usable_indices()) < replicas:
        problems.append("%d replicas but only %d meta1 service(s) with a score > 0"
                        % (replicas, len(svcs.usable_indices())))
    for label, section in (("missing bases", result["missing_bases"]),
                           ("bases not valid for digits %d" % digits, result["unexpected_bases"]),
                           ("bases with a replica count other than %d" % replicas,
                            result["wrong_replica_count"]),
                           ("bases listing an address twice", result["duplicate_addresses"]),
                           ("bases violating min_dist %d" % min_dist,
                            result["min_dist_violations"]),
                           ("base replicas on unknown services", result["unknown_services"]),
                           ("base replicas on services with score 0",
                            result["zero_score_services"]),
                           ("bases whose sibling prefixes disagree",
                            result["inconsistent_siblings"])):
        if section["count"]:
            problems.append("%d %s" % (section["count"], label))
    if not svcs.min_dist_satisfied:
        problems.append("the topology cannot honour min_dist %d with %d replicas"
                        % (min_dist, replicas))
    if max_dev > balance_tolerance:
        problems.append("unbalanced: a service is %d base(s) away from its target" % max_dev)
    result["problems"] = problems
    result["ok"] = not problems
    return result


def check_meta0(meta0_list, services, replicas=3, digits=4, min_dist=1, max_items=20,
                balance_tolerance=1):
    """``check`` on a raw ``meta0_list`` prefix dict (detects sibling
    inconsistencies as well)."""
    mapping, inconsistent = bases_from_meta0(meta0_list, digits)
    return check(mapping, services, replicas, digits, min_dist, inconsistent, max_items,
                 balance_tolerance)
