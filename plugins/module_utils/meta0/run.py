# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run of a meta0 state, after its plan: the copies an earlier run left,
the result described before any write, the writes, and the outcome that
says what a re-run finishes. The top of the package: it uses the plan and
the apply, which never use it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.errors import Refused, Unfinished
from ansible_collections.openio.sds.plugins.module_utils.meta0 import journal
from ansible_collections.openio.sds.plugins.module_utils.meta0.apply import (
    MAX_REPORTED, ApplyError, held_copies, service_addresses)
from ansible_collections.openio.sds.plugins.module_utils.meta0.check import check
from ansible_collections.openio.sds.plugins.module_utils.meta0.model import served_mapping
from ansible_collections.openio.sds.plugins.module_utils.meta0.plan import (
    bases_per_service, diff_summary)


def unfinished_runs(client, check_copies, plan):
    """Whether an earlier run left a record of copies to remove: removing
    them and deleting the record are writes, made under the lease."""
    if check_copies != "recorded" or plan.payload is not None:
        return False
    return bool(journal.pending(client, plan.digits, lambda msg: None)[1])


def leftover_copies(client, plan, check_copies, leaving, concurrency, warn):
    """``({base: holders}, bases asked, record names)``: the copies that
    services still hold of bases meta0 no longer maps to them (an earlier
    run stopped after its force), asked of the services the records of
    unfinished runs name (``check_copies=recorded``), or of the services
    ``leaving``, about every base (V(all)); None asked when not looked
    for. A base they do not answer for stops the run before any write."""
    if check_copies == "none" or not plan.initialised or plan.payload is not None:
        return {}, None, []
    if check_copies == "all" and leaving:
        asked, records = service_addresses(leaving, plan.services), []
    else:
        asked, records = journal.pending(client, plan.digits, warn)
    held, unknown, scanned = held_copies(client, plan.current, asked, plan.digits, concurrency)
    if unknown:
        raise Refused(
            "cannot tell whether the services still hold copies of %d base(s) that meta0 no "
            "longer maps to them (first: %s): admin/has got no answer; nothing was written. "
            "Last cause: %s" % (len(unknown), ", ".join(k for k, dummy in unknown[:5]),
                                unknown[-1][1]))
    return held, scanned, records


def describe(plan, held, scanned, replicas, min_dist, check_mode, return_moves=False,
             return_mapping=False):
    """``(result, changed, diff before, diff after)`` before any write: what
    changes, the counts per meta1 before and after, the check of the
    target."""
    changed = plan.writes or bool(held)
    counts_before = bases_per_service(plan.current, plan.services)
    counts_after = bases_per_service(plan.target, plan.services)
    before, after = diff_summary(counts_before, counts_after, plan.moves)
    result = {
        "operation": plan.operation,
        "digits": plan.digits,
        "replicas": replicas,
        "min_dist": min_dist,
        "initialised": plan.initialised or (changed and not check_mode),
        "moves_count": len(plan.moves),
        "moved_bases_count": len(set(move.base for move in plan.moves)),
        "pending_moves": plan.result.pending_moves if plan.result is not None else 0,
        "counts_before": counts_before,
        "counts_after": counts_after,
        "check": check(plan.target, plan.services, replicas, plan.digits, min_dist),
    }
    if scanned is not None:
        by_service = {}
        for holders in held.values():
            for addr in holders:
                by_service[addr] = by_service.get(addr, 0) + 1
        result["copies_left"] = {
            "scanned_bases": scanned, "count": len(held), "by_service": by_service,
            "bases": dict((k, held[k]) for k in sorted(held)[:MAX_REPORTED])}
    if return_moves:
        result["moves"] = [{"base": m.base, "from": m.old, "to": m.new} for m in plan.moves]
    if return_mapping:
        result["mapping"] = served_mapping(plan.target)
    return result, changed, before, after


def apply_plan(applier, plan, held, records, result):
    """The writes: the whole mapping (bootstrap, restore) or the moves and
    the leftovers. Returns the apply report; a meta0 that could not be
    updated stops the run with nothing changed."""
    try:
        if plan.payload is not None:
            return applier.install(plan.payload, len(plan.target))
        return applier.apply(plan.current, plan.target, leftovers=held, records=records)
    except ApplyError as exc:
        raise Unfinished(str(exc), dict(result, writes=applier.writes), changed=False,
                         error=exc)


def outcome(plan, applier, report, result, replicas, min_dist, return_mapping=False):
    """The result with the apply report; a run that left bases unclean, or
    bases on their old peers (then the counts and check describe what meta0
    serves), stops with what a re-run finishes."""
    result["apply"] = report
    if report["cleanup_problems_count"]:
        # meta0 is up to date but a base is not done: an old copy is left or
        # its election is not healthy. Not a success: a re-run finishes it.
        raise Unfinished(
            "meta0 serves the new mapping, but %d problem(s) remain after moving the bases "
            "(old copies or elections); run the task again to finish, first: %s"
            % (report["cleanup_problems_count"], report["cleanup_problems"][0]),
            result, changed=True)
    if report["failed_bases_count"]:
        actual = dict(plan.target)
        for base in applier.failed:
            if base in plan.current:
                actual[base] = plan.current[base]
            else:
                actual.pop(base, None)
        result["counts_after"] = bases_per_service(actual, plan.services)
        result["check"] = check(actual, plan.services, replicas, plan.digits, min_dist)
        if return_mapping:
            result["mapping"] = served_mapping(actual)
        raise Unfinished(
            "%d of %d base(s) could not be copied to their new peers and were left on their "
            "old peers; run again to retry them (first: %s: %s)"
            % (report["failed_bases_count"], report["bases"],
               report["failed_bases"][0]["base"], report["failed_bases"][0]["error"]),
            result, changed=report["meta0_updated"])
    return result
