# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planner of the meta0 prefix mapping (which meta1 services hold which base).

Pure and deterministic: no HTTP, no Ansible, standard library only.

The planner works on *bases*: ``{base_key: [addr, ...]}`` where ``base_key``
is the first ``digits`` hex chars of a prefix (``""`` for digits 0). Services
are dicts with ``addr``, ``score``, ``location`` (or conscience ``tags`` with
``tag.loc``) and optionally ``id``; the mapping refers to them by address.

Balance: each masked location (see ``location.masked_location``) holding a
service with score > 0 gets the same share of the ``16**digits * replicas``
base replicas, spread evenly over its services with score > 0. Targets are the
floor or the ceil of that exact share; the ceils go to the services (and
locations) currently holding the most bases, so a balanced mapping stays
untouched.

When fewer masked locations than ``replicas`` have a positive score, min_dist
cannot be honoured: the planner falls back to the largest distance that can
(``effective_min_dist``, 0 meaning "distinct services only"), says so in
``warnings`` and sets ``min_dist_satisfied`` to False.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import heapq
from collections import Counter
from itertools import chain

from ansible_collections.openio.sds.plugins.module_utils.location import (
    MAX_TOKENS,
    masked_location,
    service_location,
)
from ansible_collections.openio.sds.plugins.module_utils.names import (
    is_addr,
    base_keys,
    peer_list_problem,
    siblings,
)
from ansible_collections.openio.sds.plugins.module_utils.services import score_of

MAX_REPLICAS = 5
MAX_DIST = 4
# ``min_dist: auto``: the largest distance the topology can honour.
AUTO = "auto"
_HEX = frozenset("0123456789ABCDEF")


def replace_in_row(row, old, new):
    """One move on a base's peer row: ``old`` (None: a peer is added) becomes
    ``new`` (None: a peer is removed), in place."""
    if old is None:
        row.append(new)
    elif new is None:
        row.remove(old)
    else:
        row[row.index(old)] = new


class PlanningError(ValueError):
    """The inputs make the requested plan impossible."""


# ---------------------------------------------------------------------------
# Parameters and services


def _check_params(replicas, digits, min_dist):
    for name, value, low, high in (("replicas", replicas, 1, MAX_REPLICAS),
                                   ("digits", digits, 0, 4),
                                   ("min_dist", min_dist, 1, 4)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise PlanningError("%s must be an integer between %d and %d, got %r"
                                % (name, low, high, value))


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
        sid = svc.get("id") or (svc.get("tags") or {}).get("tag.service_id")
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


class _Services(object):
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
            self.ids.append(svc.get("id") or (svc.get("tags") or {}).get("tag.service_id") or addr)
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


def _base_keys(digits):
    if digits not in _KEYS:
        _KEYS[digits] = tuple(base_keys(digits))
    return _KEYS[digits]


def _key_index(digits):
    if digits not in _KEY_INDEX:
        _KEY_INDEX[digits] = dict((k, n) for n, k in enumerate(_base_keys(digits)))
    return _KEY_INDEX[digits]


def _validate_base_key(key, digits):
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
    _check_params(1, digits, 1)
    if not isinstance(meta0_list, dict):
        raise PlanningError("the meta0 mapping must be a JSON object, got %s"
                            % type(meta0_list).__name__)
    span = 16 ** (4 - digits)
    groups = {}
    for prefix, addrs in meta0_list.items():
        if not isinstance(prefix, str) or len(prefix) != 4 or not set(prefix.upper()) <= _HEX:
            raise PlanningError("%r is not a 4-hex prefix" % (prefix,))
        if not isinstance(addrs, (list, tuple)):
            raise PlanningError("prefix %s maps to %r, not a list" % (prefix, addrs))
        prefix = prefix.upper()
        groups.setdefault(prefix[:digits], []).append((prefix, addrs))
    mapping = {}
    inconsistent = []
    for base, entries in groups.items():
        entries.sort(key=lambda e: e[0])
        mapping[base] = list(entries[0][1])
        if span > 1:
            first = sorted(entries[0][1])
            if len(entries) != span or any(sorted(a) != first for dummy, a in entries[1:]):
                inconsistent.append(base)
    inconsistent.sort()
    return mapping, inconsistent


def meta0_payload(base_mapping, digits, bases=None):
    """Prefix dict for ``meta0_force``: every sibling of the given bases (all
    bases when ``bases`` is None; an empty list gives an empty payload).

    Raises PlanningError on anything that is not a non-empty list of distinct
    ``IP:PORT`` strings: meta0 servers do not survive malformed values.
    """
    _check_params(1, digits, 1)
    keys = sorted(base_mapping) if bases is None else list(bases)
    payload = {}
    for key in keys:
        base = _validate_base_key(key, digits)
        addrs = base_mapping.get(key, base_mapping.get(base))
        problem = peer_list_problem(addrs)
        if problem:
            raise PlanningError("base %r: %s" % (key, problem))
        # Sorted: meta0 stores and serves every list sorted anyway.
        if digits == 4:
            payload[base] = sorted(addrs)
        else:
            for prefix in siblings(base, digits):
                payload[prefix] = sorted(addrs)
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
# Bootstrap


def _rotation_steps(nlocs, replicas):
    """Shifts g such that 0, g, 2g, ... (replicas terms) are distinct modulo
    nlocs: layer r of a block of bases takes location (i + r*g) mod nlocs, so
    every base of the block gets distinct locations and varying g mixes which
    locations share bases."""
    if nlocs == 1:
        return [0]
    steps = [g for g in range(1, nlocs)
             if all((d * g) % nlocs for d in range(1, replicas))]
    return steps or [1]


def _service_sequence(members, targets, salt):
    """Order in which a location hands out its slots: rounds over the
    services that still need bases, rotated from round to round so that the
    services of different locations pair up evenly."""
    if len(members) == 1:
        return members * targets[members[0]]
    seq = []
    top = max(targets[i] for i in members)
    part, change = None, 0
    for q in range(top):
        if q >= change:
            # Membership only shrinks when some member's target is reached.
            part = [i for i in members if targets[i] > q]
            change = min(targets[i] for i in part)
        k = (salt * q) % len(part)
        seq.extend(part[k:])
        seq.extend(part[:k])
    return seq


def bootstrap(services, replicas=3, digits=4, min_dist=1, current=None):
    """A fresh, balanced mapping of every base to ``replicas`` services.

    Services with score 0 get nothing. ``current`` (a base mapping) only
    serves to tell whether the result differs from what is in place.
    """
    _check_params(replicas, digits, min_dist)
    svcs = _Services(services, replicas, min_dist)
    usable = svcs.usable_indices()
    if not usable:
        raise PlanningError("no meta1 service has a score > 0")
    keys = _base_keys(digits)
    nbases = len(keys)
    targets = compute_targets(svcs, nbases)

    groups = {}
    for i in usable:
        groups.setdefault(svcs.eff_locs[i], []).append(i)
    locs = sorted(groups)
    nlocs = len(locs)
    loc_totals = [sum(targets[i] for i in groups[loc]) for loc in locs]

    # Location of each replica: full blocks of nlocs bases get a rotated
    # permutation of the locations per layer; the last partial block is filled
    # column-wise, each location's remaining slots being contiguous (hence on
    # distinct bases, as they never exceed the block size).
    layers = [[] for dummy in range(replicas)]
    steps = _rotation_steps(nlocs, replicas)
    order = list(range(nlocs))
    full, partial = divmod(nbases, nlocs)
    cycle = len(steps)
    for r in range(replicas):
        pattern = []
        for g in steps[:min(cycle, full)]:
            k = (r * g) % nlocs
            pattern.extend(order[k:])
            pattern.extend(order[:k])
        repeat, rest = divmod(full, cycle)
        layers[r] = pattern * repeat + pattern[:rest * nlocs]
    if partial:
        column = []
        for li in range(nlocs):
            column.extend([li] * (loc_totals[li] - replicas * full))
        for r in range(replicas):
            layers[r].extend(column[r * partial:(r + 1) * partial])

    # Service of each replica: each location deals its services in order,
    # layer after layer (any order works: a location appears once per base).
    dealers = []
    for li, loc in enumerate(locs):
        seq = _service_sequence(groups[loc], targets, li + 1)
        dealers.append(iter([svcs.addrs[i] for i in seq]))
    columns = [list(map(next, map(dealers.__getitem__, layer))) for layer in layers]
    mapping = dict(zip(keys, map(list, zip(*columns))))

    counts_after = dict((svcs.addrs[i], targets[i]) for i in range(svcs.known))
    target_map = dict((svcs.addrs[i], targets[i]) for i in range(svcs.known))
    changed = True
    if current is not None:
        changed = _normalise_current(current) != mapping
    return PlanResult("bootstrap", mapping, [], dict((a, 0) for a in svcs.addrs[:svcs.known]),
                      counts_after, target_map, 0, list(svcs.warnings), changed,
                      min_dist, svcs.effective_min_dist)


def _normalise_current(mapping):
    return dict((str(k).upper(), list(v)) for k, v in (mapping or {}).items())


# ---------------------------------------------------------------------------
# Moves (rebalance, decommission)


class _Planner(object):
    """Mutable state of a plan: base rows of service indices, counts, and the
    receivers by deficit (target - count), in one heap per location under a
    heap of locations, so that locations already in a base cost nothing to
    skip."""

    def __init__(self, mapping, services, replicas, digits, min_dist, excluded=()):
        _check_params(replicas, digits, min_dist)
        if mapping is None:
            mapping = {}
        if not isinstance(mapping, dict):
            raise PlanningError("the base mapping must be a dict")
        self.replicas = replicas
        self.digits = digits
        self.svcs = svcs = _Services(services, replicas, min_dist, excluded)
        if not svcs.usable_indices():
            raise PlanningError("no meta1 service with a score > 0 is left to hold bases")
        self.keys = _base_keys(digits)
        self.nbases = nbases = len(self.keys)
        key_index = _key_index(digits)
        self.rows = rows = [[] for dummy in range(nbases)]
        self.inputs = [None] * nbases
        self.dirty = set()
        index = svcs.index
        duplicates = 0
        for key, addrs in mapping.items():
            n = key_index.get(key)
            if n is None:
                n = key_index[_validate_base_key(key, digits)]
            if not isinstance(addrs, (list, tuple)):
                raise PlanningError("base %r maps to %r, not a list" % (key, addrs))
            try:
                row = list(map(index.__getitem__, addrs))
            except (KeyError, TypeError):
                for a in addrs:
                    if not isinstance(a, str):
                        raise PlanningError("base %r lists %r, not an address" % (key, a))
                row = [index[a] if a in index else svcs.add_unknown(a) for a in addrs]
            if len(set(row)) != len(row):
                duplicates += len(row) - len(set(row))
                row = sorted(set(row), key=row.index)
                self.dirty.add(n)
            rows[n] = row
            self.inputs[n] = addrs
        self.original = [list(r) for r in rows]
        nsvc = len(svcs.addrs)
        counter = Counter(chain.from_iterable(rows))
        self.counts = counts = [counter.get(i, 0) for i in range(nsvc)]
        self.bases_of = bases_of = [[] for dummy in range(nsvc)]
        appenders = [x.append for x in bases_of]
        for n, row in enumerate(rows):
            for i in row:
                appenders[i](n)
        self.counts_before = list(counts)
        self.targets = targets = compute_targets(svcs, nbases, prefer=counts)
        self.loc = svcs.eff_locs
        self.moves = []
        self.touched = set()
        self.placed = set()  # (base, service) pairs created by this plan
        self.loc_heaps = {}
        for i in svcs.usable_indices():
            self.loc_heaps.setdefault(self.loc[i], []).append((counts[i] - targets[i], i))
        self.top = []
        for loc, heap in self.loc_heaps.items():
            heapq.heapify(heap)
            self.top.append((heap[0][0], loc))
        heapq.heapify(self.top)
        self.warnings = list(svcs.warnings)
        if duplicates:
            self.warnings.append("%d duplicate address(es) in base lists were dropped"
                                 % duplicates)

    # -- bookkeeping -------------------------------------------------------

    def deficit(self, i):
        return self.targets[i] - self.counts[i]

    def _bump(self, i, delta):
        self.counts[i] += delta
        if self.svcs.usable(i):
            value = self.counts[i] - self.targets[i]
            loc = self.loc[i]
            heapq.heappush(self.loc_heaps[loc], (value, i))
            if delta < 0:
                heapq.heappush(self.top, (value, loc))

    def move(self, b, old, new):
        replace_in_row(self.rows[b], old, new)
        if old is not None:
            self._bump(old, -1)
        if new is not None:
            self._bump(new, 1)
            self.placed.add((b, new))
        self.touched.add(b)
        self.moves.append((b, old, new))

    def _fresh(self, entry):
        return entry[0] == self.counts[entry[1]] - self.targets[entry[1]]

    def pick(self, b, leaving, need_deficit):
        """Receiver with the largest deficit that can join base ``b`` once
        ``leaving`` (or nothing) has left it, or None."""
        row = self.rows[b]
        banned = set(self.loc[i] for i in row if i != leaving)
        top = self.top
        stash = []
        found = None
        while top:
            value, loc = top[0]
            heap = self.loc_heaps[loc]
            while heap and not self._fresh(heap[0]):
                heapq.heappop(heap)
            if not heap:
                heapq.heappop(top)
                continue
            if heap[0][0] != value:
                heapq.heapreplace(top, (heap[0][0], loc))
                continue
            if need_deficit and value >= 0:
                break
            if loc in banned:
                stash.append(heapq.heappop(top))
                continue
            cand = heap[0][1]
            if cand != leaving and cand not in row:
                found = cand
                break
            found = self._pick_in(heap, row, leaving, need_deficit)
            if found is not None:
                break
            stash.append(heapq.heappop(top))
        for entry in stash:
            heapq.heappush(top, entry)
        return found

    def _pick_in(self, heap, row, leaving, need_deficit):
        # The best of this location is already in the base: look deeper.
        kept = []
        found = None
        while heap:
            entry = heapq.heappop(heap)
            if not self._fresh(entry):
                continue
            kept.append(entry)
            if need_deficit and entry[0] >= 0:
                break
            if entry[1] != leaving and entry[1] not in row:
                found = entry[1]
                break
        for entry in kept:
            heapq.heappush(heap, entry)
        return found

    def holds(self, b, i):
        return i in self.rows[b]

    # -- phases --------------------------------------------------------------

    def fix_replica_counts(self):
        r = self.replicas
        for b, row in enumerate(self.rows):
            if len(row) == r:
                continue
            if len(row) > r:
                # Drop first what must go anyway, then the most overloaded.
                ranked = sorted(row, key=lambda i: (self.svcs.usable(i),
                                                    self.deficit(i), i))
                for i in ranked[:len(row) - r]:
                    self.move(b, i, None)
            while len(self.rows[b]) < r:
                new = self.pick(b, None, False)
                if new is None:
                    break
                self.move(b, None, new)

    def evict(self, victims):
        """Move every replica held by ``victims`` (service indices): first to
        services below target, then, for replicas that fit none of them, by
        redirecting an earlier move, and only then above a target."""
        later = []
        for v in sorted(victims):
            for b in self.bases_of[v]:
                if not self.holds(b, v):
                    continue
                new = self.pick(b, v, True)
                if new is None:
                    later.append((b, v))
                else:
                    self.move(b, v, new)
        stuck = 0
        per_base = Counter(m[0] for m in self.moves) if later else None
        for b, v in later:
            if self._reroute_one(v, self._under(), per_base, 4000, [b]):
                continue
            new = self.pick(b, v, False)
            if new is None:
                stuck += 1
                continue
            self.move(b, v, new)
            per_base[b] += 1
        return stuck

    def _under(self, limit=16):
        under = [i for i in self.svcs.usable_indices() if self.deficit(i) > 0]
        under.sort(key=lambda i: (-self.deficit(i), i))
        return under[:limit]

    def repair_distances(self):
        stuck = 0
        loc = self.loc
        getloc = loc.__getitem__
        for b, row in enumerate(self.rows):
            if len(set(map(getloc, row))) == len(row):
                continue
            seen = {}
            for i in sorted(row, key=lambda i: (self.deficit(i), i), reverse=True):
                seen.setdefault(loc[i], []).append(i)
            for members in seen.values():
                # Keep the member with the largest deficit, move the others.
                for i in members[1:]:
                    new = self.pick(b, i, False)
                    if new is None:
                        stuck += 1
                        continue
                    self.move(b, i, new)
        return stuck

    def balance(self, max_rounds=8):
        """Move bases from services above target to services below it."""
        for dummy in range(max_rounds):
            progress = False
            over = [i for i in range(len(self.counts)) if self.counts[i] > self.targets[i]]
            over.sort(key=lambda i: (self.targets[i] - self.counts[i], i))
            for untouched_only in (True, False):
                for s in over:
                    progress |= self._shed(s, untouched_only, True)
            if all(c <= t for c, t in zip(self.counts, self.targets)):
                return
            if progress:
                continue
            if self._reroute(over):
                continue
            # Nothing below target fits the remaining bases: hand one to a
            # service at target, which then sheds one of its own bases.
            for s in over:
                progress |= self._shed(s, False, False)
            if not progress:
                return

    def _reroute(self, over, scan=4000):
        """Unblock a service above target whose bases all hold the location of
        every service still below target, without extra moves: redirect an
        earlier move (b1: x -> v) to the starved service u, and give v one of
        the blocked bases instead. Only bases changed by that single move are
        redirected, so every prefix of the move list stays valid."""
        per_base = Counter(m[0] for m in self.moves)
        progress = False
        for s in over:
            while self.counts[s] > self.targets[s]:
                if not self._reroute_one(s, self._under(), per_base, scan):
                    break
                progress = True
        return progress

    def _reroute_one(self, s, under, per_base, scan, mine=None):
        loc = self.loc
        moves = self.moves
        if mine is None:
            mine = [b for b in self.bases_of[s]
                    if self.holds(b, s) and (b, s) not in self.placed]
        for u in under:
            for idx in range(len(moves) - 1, max(-1, len(moves) - 1 - scan), -1):
                b1, x, v = moves[idx]
                if v is None or per_base[b1] != 1 or v == u:
                    continue
                row1 = self.rows[b1]
                if u in row1 or loc[u] in set(loc[y] for y in row1 if y != v):
                    continue
                for b2 in mine:
                    row2 = self.rows[b2]
                    if v in row2 or loc[v] in set(loc[y] for y in row2 if y != s):
                        continue
                    row1[row1.index(v)] = u
                    moves[idx] = (b1, x, u)
                    self.placed.discard((b1, v))
                    self.placed.add((b1, u))
                    self._bump(v, -1)
                    self._bump(u, 1)
                    self.move(b2, s, v)
                    per_base[b2] += 1
                    return True
        return False

    def _shed(self, s, untouched_only, need_deficit):
        excess = self.counts[s] - self.targets[s]
        if excess <= 0:
            return False
        bases = self.bases_of[s]
        start = (s * 7919) % len(bases) if bases else 0
        moved = False
        for b in bases[start:] + bases[:start]:
            # A replica placed by this plan never moves again (no chains), and
            # bases already changed are left alone while others can go.
            if not self.holds(b, s) or (b, s) in self.placed or \
                    (untouched_only and b in self.touched):
                continue
            new = self.pick(b, s, need_deficit)
            if new is None:
                continue
            self.move(b, s, new)
            moved = True
            excess -= 1
            if excess <= 0 or not need_deficit:
                break
        return moved

    # -- result ----------------------------------------------------------------

    def lower_bound(self):
        bound = sum(max(0, c - t) for c, t in zip(self.counts_before, self.targets))
        return bound + sum(max(0, self.replicas - len(r)) for r in self.original)

    def result(self, operation, lower_bound, max_moves):
        svcs = self.svcs
        addrs = svcs.addrs
        moves = self.moves
        pending = 0
        rows = self.rows
        counts = self.counts
        changed = self.touched
        if max_moves is not None and len(moves) > max_moves:
            pending = len(moves) - max_moves
            moves = moves[:max_moves]
            rows = [list(r) for r in self.original]
            counts = list(self.counts_before)
            changed = set()
            for b, old, new in moves:
                replace_in_row(rows[b], old, new)
                changed.add(b)
                if old is not None:
                    counts[old] -= 1
                if new is not None:
                    counts[new] += 1
            self.warnings.append("max_moves %d reached: %d more move(s) needed"
                                 % (max_moves, pending))
        mapping = {}
        inputs = self.inputs
        dirty = self.dirty
        for n, key in enumerate(self.keys):
            if n in changed or n in dirty:
                if rows[n]:
                    mapping[key] = [addrs[i] for i in rows[n]]
            elif inputs[n]:
                mapping[key] = list(inputs[n])
        counts_after = dict((addrs[i], counts[i]) for i in range(len(addrs))
                            if i < svcs.known or counts[i])
        counts_before = dict((addrs[i], c) for i, c in enumerate(self.counts_before))
        targets = dict((addrs[i], t) for i, t in enumerate(self.targets))
        out_moves = [(self.keys[b], None if o is None else addrs[o],
                      None if n is None else addrs[n]) for b, o, n in moves]
        return PlanResult(operation, mapping, out_moves, counts_before, counts_after, targets,
                          lower_bound, self.warnings, bool(out_moves), svcs.min_dist,
                          svcs.effective_min_dist, pending)


def _check_max_moves(max_moves):
    if max_moves is not None and (isinstance(max_moves, bool) or not isinstance(max_moves, int)
                                  or max_moves < 0):
        raise PlanningError("max_moves must be a non-negative integer, got %r" % (max_moves,))


def rebalance(mapping, services, replicas=3, digits=4, min_dist=1, max_moves=None):
    """Moves reaching the balance targets, repairing on the way wrong replica
    counts, replicas on unknown or score-0 services and min_dist violations.

    Every move replaces one replica of one base and, applied in order, keeps
    each base on distinct services at the (effective) min_dist, so any prefix
    of ``moves`` (what ``max_moves`` keeps) is a valid mapping.
    """
    _check_max_moves(max_moves)
    p = _Planner(mapping, services, replicas, digits, min_dist)
    bound = p.lower_bound()
    p.fix_replica_counts()
    stuck = p.evict([i for i in range(len(p.counts)) if not p.svcs.usable(i)
                     and p.bases_of[i]])
    stuck += p.repair_distances()
    p.balance()
    if stuck:
        p.warnings.append("%d replica(s) could not be moved: no eligible service at the "
                          "required distance" % stuck)
    left = sum(max(0, c - t) for c, t in zip(p.counts, p.targets))
    if left:
        p.warnings.append("%d base replica(s) remain above their service's target" % left)
    return p.result("rebalance", bound, max_moves)


def decommission(mapping, services, addrs, replicas=3, digits=4, min_dist=1, max_moves=None):
    """Move away every replica held by ``addrs`` (addresses or service ids),
    and nothing else, onto the other services by deficit and at min_dist.

    ``addrs`` may name addresses that are in the mapping but no longer in the
    service list (a dead service).
    """
    _check_max_moves(max_moves)
    if isinstance(addrs, str):
        addrs = [addrs]
    addrs = list(addrs or ())
    if not addrs:
        raise PlanningError("no service to decommission")
    known = set()
    for svc in services or ():
        if isinstance(svc, dict):
            known.update(x for x in (svc.get("addr"), svc.get("id")) if x)
    in_mapping = set()
    for row in (mapping or {}).values():
        if isinstance(row, (list, tuple)):
            in_mapping.update(row)
    for key in addrs:
        if key not in known and key not in in_mapping:
            raise PlanningError("unknown meta1 service %r" % (key,))
    p = _Planner(mapping, services, replicas, digits, min_dist,
                 excluded=[a for a in addrs if a in known])
    victims = set(p.svcs.by_key.get(a, p.svcs.index.get(a)) for a in addrs)
    bound = sum(p.counts[v] for v in victims)
    stuck = p.evict(victims)
    if stuck:
        p.warnings.append("%d replica(s) could not be moved: no eligible service at the "
                          "required distance" % stuck)
    return p.result("decommission", bound, max_moves)


# ---------------------------------------------------------------------------
# Check


def _truncated(items, limit):
    return {"count": len(items), "items": items[:limit], "truncated": len(items) > limit}


def check(mapping, services, replicas=3, digits=4, min_dist=1, inconsistent_bases=(),
          max_items=20, balance_tolerance=1):
    """Audit a base mapping. Returns a JSON-friendly dict with ``ok``, a list
    of ``problems`` (one sentence each) and per-category counts and lists (at
    most ``max_items`` entries each, with totals)."""
    _check_params(replicas, digits, min_dist)
    mapping = mapping or {}
    # Too few usable services is a finding here, not an error.
    svcs = _Services(services, replicas, min_dist, strict=False)
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
    rows = {}
    counts = [0] * len(svcs.addrs)
    # Replica placement: per distance level, the bases whose copies all sit
    # apart at that level (1: other services, up to 4: other top locations).
    levels = range(1, MAX_TOKENS + 1)
    masks = dict((level, {}) for level in levels)
    apart = dict((level, 0) for level in levels)
    for key in keys:
        addrs = mapping.get(key)
        if not addrs:
            continue
        if not isinstance(addrs, (list, tuple)):
            wrong_count.append({"base": key, "count": 0, "value": repr(addrs)[:80]})
            continue
        row = []
        for addr in addrs:
            i = svcs.index.get(addr)
            if i is None:
                i = svcs.add_unknown(addr)
                counts.append(0)
            if i in row:
                duplicates.append(key)
                continue
            row.append(i)
            counts[i] += 1
            if i >= svcs.known:
                unknown.setdefault(svcs.addrs[i], []).append(key)
            elif svcs.scores[i] <= 0:
                zero.setdefault(svcs.addrs[i], []).append(key)
        rows[key] = row
        if len(addrs) != replicas:
            wrong_count.append({"base": key, "count": len(addrs)})
        locs = [svcs.req_locs[i] for i in row]
        if len(set(locs)) != len(locs):
            violations.append({"base": key, "addrs": [svcs.addrs[i] for i in row]})
        for level in levels:
            masked = masks[level]
            for i in row:
                if i not in masked:
                    masked[i] = masked_location(svcs.raw_locs[i], level)
            if len(set(masked[i] for i in row)) == len(row):
                apart[level] += 1

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
