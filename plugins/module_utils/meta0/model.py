# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the meta0 planner works on: the meta1 services (scores, locations,
balanced targets), base keys, and the conversions between meta0's prefix
lists and base mappings. Pure and deterministic: no HTTP, no Ansible.

See ``planner`` for the planning rules (balance, min_dist).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections import namedtuple

from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.location import (
    masked_location,
    service_location,
)
from ansible_collections.openio.sds.plugins.module_utils.names import (
    NUM_PREFIXES,
    digits_problem,
    is_addr,
    base_keys,
    peer_lists_problem,
    upper_prefix,
    siblings,
)
from ansible_collections.openio.sds.plugins.module_utils.services import score_of, service_id

MAX_REPLICAS = 5
MAX_DIST = 4
# ``min_dist: auto``: the largest distance the topology can honour.
AUTO = "auto"
_HEX = frozenset("0123456789ABCDEF")


# One replica of one base changes peer: ``old`` (None: a replica is added)
# becomes ``new`` (None: a replica is dropped).
Move = namedtuple("Move", "base old new")


def replace_in_row(row, old, new):
    """One move on a base's peer row: ``old`` (None: a peer is added) becomes
    ``new`` (None: a peer is removed), in place."""
    if old is None:
        row.append(new)
    elif new is None:
        row.remove(old)
    else:
        row[row.index(old)] = new


class PlanningError(InvalidInput):
    """The inputs make the requested plan impossible."""


class PayloadError(InvalidInput):
    """A meta0 payload that must not be sent."""


# ---------------------------------------------------------------------------
# Parameters and services


def check_params(replicas, digits, min_dist):
    """Refuse numbers the planner cannot work with (the digits by their one
    rule, :func:`names.digits_problem`)."""
    for name, value, high in (("replicas", replicas, MAX_REPLICAS), ("digits", digits, None),
                              ("min_dist", min_dist, MAX_DIST)):
        if high is None:
            problem = digits_problem(value)
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            problem = "%s must be an integer between 1 and %d, got %r" % (name, high, value)
        else:
            problem = None
        if problem:
            raise PlanningError(problem)


def parse_min_dist(value):
    """``min_dist`` as given by a user: V(auto), or an integer from 1 to 4
    (a numeric string, as templating gives, is accepted)."""
    if isinstance(value, str) and value.strip().lower() == AUTO:
        return AUTO
    if isinstance(value, bool):
        raise PlanningError("min_dist must be auto or an integer from 1 to %d, got %r"
                            % (MAX_DIST, value))
    try:
        number = int(value)
        if isinstance(value, float) and number != value:
            raise ValueError(value)
        if isinstance(value, str) and value.strip() != str(number):
            raise ValueError(value)
    except (TypeError, ValueError):
        raise PlanningError("min_dist must be auto or an integer from 1 to %d, got %r"
                            % (MAX_DIST, value))
    if not 1 <= number <= MAX_DIST:
        raise PlanningError("min_dist must be auto or an integer from 1 to %d, got %r"
                            % (MAX_DIST, value))
    return number


def auto_min_dist(services, replicas, excluded=()):
    """The largest distance (4 down to 1) at which the services with a score
    > 0, minus ``excluded`` (addresses or IDs), offer at least ``replicas``
    distinct locations: with it every base can have its replicas that far
    apart. 1 when even distinct volumes are too few (the planner then says
    why)."""
    usable = []
    excluded = set(excluded or ())
    for svc in services or ():
        if not isinstance(svc, dict):
            continue
        sid = service_id(svc, with_addr=False)
        if svc.get("addr") in excluded or (sid and sid in excluded):
            continue
        try:
            if score_of(svc) <= 0:
                continue
        except ValueError:
            continue
        usable.append(service_location(svc))
    for dist in range(MAX_DIST, 0, -1):
        if len(set(masked_location(loc, dist) for loc in usable)) >= replicas:
            return dist
    return 1


class Services(object):
    """Known services (sorted by address) followed by the unknown addresses
    found in a mapping, with their locations masked at two levels: the
    requested min_dist (for reporting) and the effective one (for planning)."""

    def __init__(self, services, replicas, min_dist, excluded=(), strict=True):
        self.addrs = []
        self.ids = []
        self.scores = []
        self.raw_locs = []
        self.known = 0
        seen = {}
        for svc in services or ():
            if not isinstance(svc, dict):
                raise PlanningError("a service must be a dict, got %r" % (svc,))
            addr = svc.get("addr")
            if not is_addr(addr):
                raise PlanningError("service %r has no valid IP:PORT address" % (svc,))
            if addr in seen:
                raise PlanningError("service address %s is listed twice" % addr)
            seen[addr] = svc
        for addr in sorted(seen, key=_addr_sort_key):
            svc = seen[addr]
            self.addrs.append(addr)
            self.ids.append(service_id(svc) or addr)
            try:
                self.scores.append(score_of(svc))
            except ValueError as exc:
                raise PlanningError(str(exc))
            self.raw_locs.append(service_location(svc))
        self.known = len(self.addrs)
        # ``index``: address -> position; ``by_key`` also knows service ids.
        self.index = dict((a, i) for i, a in enumerate(self.addrs))
        self.by_key = dict(self.index)
        for i, sid in enumerate(self.ids):
            self.by_key.setdefault(sid, i)
        self.excluded = set()
        for key in excluded or ():
            if key not in self.by_key:
                raise PlanningError("unknown meta1 service %r" % (key,))
            self.excluded.add(self.by_key[key])
        self.replicas = replicas
        self.min_dist = min_dist
        self.strict = strict
        self.warnings = []
        self._choose_effective_min_dist()

    def usable(self, i):
        return i < self.known and self.scores[i] > 0 and i not in self.excluded

    def usable_indices(self):
        return [i for i in range(self.known) if self.usable(i)]

    def _choose_effective_min_dist(self):
        usable = self.usable_indices()
        if not usable:
            self.effective_min_dist = self.min_dist
            self.req_locs = [masked_location(loc, self.min_dist) for loc in self.raw_locs]
            self.eff_locs = list(self.req_locs)
            return
        if self.replicas > len(usable) and self.strict:
            raise PlanningError("%d replicas requested but only %d meta1 service(s) have a "
                                "score > 0" % (self.replicas, len(usable)))
        self.req_locs = [masked_location(loc, self.min_dist) for loc in self.raw_locs]
        eff = 0
        for md in range(self.min_dist, 0, -1):
            locs = set(masked_location(self.raw_locs[i], md) for i in usable)
            if len(locs) >= self.replicas:
                eff = md
                break
        self.effective_min_dist = eff
        if eff == self.min_dist:
            self.eff_locs = list(self.req_locs)
            return
        if eff:
            self.eff_locs = [masked_location(loc, eff) for loc in self.raw_locs]
        else:
            self.eff_locs = list(self.addrs)
        distinct = len(set(self.req_locs[i] for i in usable))
        self.warnings.append(
            "min_dist %d cannot be honoured: only %d distinct location(s) at that distance "
            "among the meta1 services with a score > 0, %d replicas needed; planning with %s"
            % (self.min_dist, distinct, self.replicas,
               "min_dist %d" % eff if eff else "distinct services only"))

    @property
    def min_dist_satisfied(self):
        return self.effective_min_dist == self.min_dist

    def add_unknown(self, addr):
        i = self.index.get(addr)
        if i is not None:
            return i
        i = len(self.addrs)
        self.addrs.append(addr)
        self.ids.append(addr)
        self.scores.append(0)
        loc = service_location({"addr": addr}) if isinstance(addr, str) else str(addr)
        self.raw_locs.append(loc)
        self.req_locs.append(masked_location(loc, self.min_dist))
        eff = self.effective_min_dist
        self.eff_locs.append(masked_location(loc, eff) if eff else addr)
        self.index[addr] = i
        return i


def _addr_sort_key(addr):
    host, dummy, port = addr.rpartition(":")
    return tuple(int(x) for x in host.split(".")) + (int(port),)


def compute_targets(svcs, nbases, prefer=None):
    """Integer balance targets, list indexed like ``svcs.addrs``.

    ``prefer`` (current counts) decides which services and locations get the
    ceil of their exact share, so that the current holders keep their bases.
    """
    n = len(svcs.addrs)
    targets = [0] * n
    prefer = prefer or [0] * n
    groups = {}
    for i in svcs.usable_indices():
        groups.setdefault(svcs.eff_locs[i], []).append(i)
    if not groups:
        return targets
    total = nbases * svcs.replicas
    share, extra = divmod(total, len(groups))
    # Locations currently holding more replicas keep the ceil.
    order = sorted(groups, key=lambda loc: (-sum(prefer[i] for i in groups[loc]), loc))
    for rank, loc in enumerate(order):
        members = groups[loc]
        loc_total = share + (1 if rank < extra else 0)
        each, rest = divmod(loc_total, len(members))
        ranked = sorted(members, key=lambda i: (-prefer[i], i))
        for pos, i in enumerate(ranked):
            targets[i] = each + (1 if pos < rest else 0)
    return targets


_KEYS = {}
_KEY_INDEX = {}


def base_key_tuple(digits):
    if digits not in _KEYS:
        _KEYS[digits] = tuple(base_keys(digits))
    return _KEYS[digits]


def key_index(digits):
    if digits not in _KEY_INDEX:
        _KEY_INDEX[digits] = dict((k, n) for n, k in enumerate(base_key_tuple(digits)))
    return _KEY_INDEX[digits]


def validate_base_key(key, digits):
    if not isinstance(key, str) or len(key) != digits or not set(key.upper()) <= _HEX:
        raise PlanningError("%r is not a base key for digits %d (expected %d hex chars)"
                            % (key, digits, digits))
    return key.upper()


# ---------------------------------------------------------------------------
# Conversions


def bases_from_meta0(meta0_list, digits):
    """``meta0_list`` prefix dict -> ``(base_mapping, inconsistent_bases)``.

    Each base takes the list of its first prefix (the one meta1 names the base
    after). ``inconsistent_bases`` (sorted) lists the bases whose siblings do
    not all carry the same set of addresses, or are partly missing; it is up
    to the caller to decide what to do with them.
    """
    check_params(1, digits, 1)
    if not isinstance(meta0_list, dict):
        raise PlanningError("the meta0 mapping must be a JSON object, got %s"
                            % type(meta0_list).__name__)
    span = 16 ** (4 - digits)
    groups = {}
    for prefix, addrs in meta0_list.items():
        upper = upper_prefix(prefix)
        if upper is None:
            raise PlanningError("%r is not a 4-hex prefix" % (prefix,))
        if not isinstance(addrs, (list, tuple)):
            raise PlanningError("prefix %s maps to %r, not a list" % (prefix, addrs))
        groups.setdefault(upper[:digits], []).append((upper, addrs))
    mapping = {}
    inconsistent = []
    for base, entries in groups.items():
        entries.sort(key=lambda e: e[0])
        first = entries[0][1]
        mapping[base] = list(first)
        if span > 1:
            # meta0 serves every list sorted: equal lists are the rule.
            ordered = sorted(first)
            if len(entries) != span or any(a != first and sorted(a) != ordered
                                           for dummy, a in entries[1:]):
                inconsistent.append(base)
    inconsistent.sort()
    return mapping, inconsistent


def meta0_payload(base_mapping, digits, bases=None):
    """Prefix dict for ``meta0_force``: every sibling of the given bases (all
    bases when ``bases`` is None; an empty list gives an empty payload).

    Raises PlanningError on anything that is not a non-empty list of distinct
    ``IP:PORT`` strings: meta0 servers do not survive malformed values.
    """
    check_params(1, digits, 1)
    keys = sorted(base_mapping) if bases is None else list(bases)
    lists = {}
    for key in keys:
        base = validate_base_key(key, digits)
        lists[key] = (base, base_mapping.get(key, base_mapping.get(base)))
    refused = peer_lists_problem(dict((key, addrs) for key, (dummy, addrs) in lists.items()))
    if refused:
        raise PlanningError("base %r: %s" % refused)
    payload = {}
    for base, addrs in lists.values():
        # Sorted once per base (meta0 stores and serves every list sorted
        # anyway), then one list of its own per prefix.
        ordered = sorted(addrs)
        if digits == 4:
            payload[base] = ordered
        else:
            for prefix in siblings(base, digits):
                payload[prefix] = list(ordered)
    return payload


# ---------------------------------------------------------------------------
# Results


class PlanResult(object):
    """Outcome of bootstrap, rebalance or decommission."""

    def __init__(self, operation, mapping, moves, counts_before, counts_after, targets,
                 lower_bound, warnings, changed, min_dist, effective_min_dist,
                 pending_moves=0):
        self.operation = operation
        self.mapping = mapping
        self.moves = moves
        self.counts_before = counts_before
        self.counts_after = counts_after
        self.targets = targets
        self.lower_bound = lower_bound
        self.warnings = warnings
        self.changed = changed
        self.min_dist = min_dist
        self.effective_min_dist = effective_min_dist
        self.min_dist_satisfied = effective_min_dist == min_dist
        self.pending_moves = pending_moves
        self.complete = pending_moves == 0

    @property
    def spread(self):
        return _spread(self.counts_after, self.targets)

    @property
    def moved_bases(self):
        return sorted(set(m[0] for m in self.moves))

    def to_dict(self, include_mapping=False, include_moves=False):
        result = {
            "operation": self.operation,
            "changed": self.changed,
            "moves_count": len(self.moves),
            "moved_bases_count": len(set(m[0] for m in self.moves)),
            "lower_bound": self.lower_bound,
            "pending_moves": self.pending_moves,
            "complete": self.complete,
            "min_dist": self.min_dist,
            "effective_min_dist": self.effective_min_dist,
            "min_dist_satisfied": self.min_dist_satisfied,
            "warnings": list(self.warnings),
            "counts_before": dict(self.counts_before),
            "counts_after": dict(self.counts_after),
            "targets": dict(self.targets),
            "spread": self.spread,
        }
        if include_mapping:
            result["mapping"] = dict((k, list(v)) for k, v in self.mapping.items())
        if include_moves:
            result["moves"] = [list(m) for m in self.moves]
        return result


def _spread(counts, targets):
    live = [a for a, t in targets.items() if t > 0]
    dev = max([abs(counts.get(a, 0) - t) for a, t in targets.items()] +
              [c for a, c in counts.items() if a not in targets] + [0])
    return {
        "max": max([counts.get(a, 0) for a in live] or [0]),
        "min": min([counts.get(a, 0) for a in live] or [0]),
        "max_deviation": dev,
    }


# ---------------------------------------------------------------------------
# What meta0 can take


def validate_payload(payload, full=False):
    """Refuse what a real meta0 cannot take. A value that is not a list of
    strings crashes the meta0 server (it closes the connection and stays
    down), so every value must be a non-empty list of distinct IP:PORT."""
    if not isinstance(payload, dict) or not payload:
        raise PayloadError("the meta0 payload must be a non-empty object")
    for prefix in payload:
        if upper_prefix(prefix) != prefix:
            raise PayloadError("%r is not a 4-char uppercase hex prefix" % (prefix,))
    # A tuple would be taken for a list; JSON only makes lists.
    bad = peer_lists_problem(dict((prefix, addrs if isinstance(addrs, list) else None)
                                  for prefix, addrs in payload.items()))
    if bad:
        raise PayloadError("prefix %s: %s" % bad)
    if full and len(payload) != NUM_PREFIXES:
        raise PayloadError("a full mapping needs all %d prefixes, got %d"
                           % (NUM_PREFIXES, len(payload)))
    return payload


def normalize_user_mapping(mapping, digits):
    """A mapping given by the user (a ``meta0_list`` dump keyed by 4-hex
    prefixes, or a base mapping keyed by ``digits`` hex chars) as a complete
    prefix dict. Raises PayloadError on anything incomplete or malformed."""
    if not isinstance(mapping, dict) or not mapping:
        raise PayloadError("mapping must be a non-empty dict")
    lengths = set(len(k) if isinstance(k, str) else -1 for k in mapping)
    if lengths == set([4]) and len(mapping) == NUM_PREFIXES:
        prefixes = dict((k.upper(), v) for k, v in mapping.items())
    elif lengths == set([digits]):
        missing = sorted(set(base_keys(digits)) - set(k.upper() for k in mapping))
        if missing:
            raise PayloadError("the mapping misses %d of the %d bases (first: %s)"
                               % (len(missing), 16 ** digits,
                                  ", ".join(repr(b) for b in missing[:5])))
        prefixes = {}
        span = 16 ** (4 - digits)
        for key, addrs in mapping.items():
            if not set(key.upper()) <= _HEX:
                raise PayloadError("%r is not a base key of %d hex chars" % (key, digits))
            start = int(key.upper().ljust(4, "0"), 16) if digits else 0
            for p in range(start, start + span):
                prefixes["%04X" % p] = addrs
    else:
        raise PayloadError(
            "mapping keys must be all %d prefixes (4 hex chars, as admin/meta0_list prints "
            "them) or the %d base keys of %d hex chars; got %d key(s) of length(s) %s"
            % (NUM_PREFIXES, 16 ** digits, digits, len(mapping),
               ", ".join(str(n) for n in sorted(lengths))))
    for key, addrs in prefixes.items():
        if isinstance(addrs, tuple):
            prefixes[key] = list(addrs)
    validate_payload(prefixes, full=True)
    return prefixes


def moved_bases(current, target):
    """Bases whose set of peers differs (a reordering alone is not a move)."""
    keys = set(current) | set(target)
    return sorted(k for k in keys if target.get(k)
                  and set(current.get(k) or ()) != set(target.get(k) or ()))


def served_mapping(mapping):
    """A base mapping as meta0 serves it: every list sorted."""
    return dict((k, sorted(v)) for k, v in sorted(mapping.items()))
