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

from ansible_collections.openio.sds.plugins.module_utils.meta0.model import (
    Move, PlanResult, PlanningError, Services, base_key_tuple, check_params, compute_targets,
    key_index, replace_in_row, validate_base_key)

# How far back a reroute looks for an earlier move to redirect: enough for
# any batch an operator runs, bounded so that a stuck plan stays fast.
REROUTE_SCAN = 4000
# The services furthest below target that a reroute tries to feed.
REROUTE_CANDIDATES = 16
# Rounds of shedding before the balance gives up on a topology that cannot
# be balanced further.
BALANCE_ROUNDS = 8
# A prime: each service starts shedding at its own offset in its bases, so
# the services over target do not all give up the same bases first.
SHED_STRIDE = 7919


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
    check_params(replicas, digits, min_dist)
    svcs = Services(services, replicas, min_dist)
    usable = svcs.usable_indices()
    if not usable:
        raise PlanningError("no meta1 service has a score > 0")
    keys = base_key_tuple(digits)
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
        check_params(replicas, digits, min_dist)
        if mapping is None:
            mapping = {}
        if not isinstance(mapping, dict):
            raise PlanningError("the base mapping must be a dict")
        self.replicas = replicas
        self.digits = digits
        self.svcs = svcs = Services(services, replicas, min_dist, excluded)
        if not svcs.usable_indices():
            raise PlanningError("no meta1 service with a score > 0 is left to hold bases")
        self.keys = base_key_tuple(digits)
        self.nbases = nbases = len(self.keys)
        index_of = key_index(digits)
        self.rows = rows = [[] for dummy in range(nbases)]
        self.inputs = [None] * nbases
        self.dirty = set()
        index = svcs.index
        duplicates = 0
        for key, addrs in mapping.items():
            n = index_of.get(key)
            if n is None:
                n = index_of[validate_base_key(key, digits)]
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
        self.moves.append(Move(b, old, new))

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
            if self._reroute_one(v, self._under(), per_base, REROUTE_SCAN, [b]):
                continue
            new = self.pick(b, v, False)
            if new is None:
                stuck += 1
                continue
            self.move(b, v, new)
            per_base[b] += 1
        return stuck

    def _under(self, limit=REROUTE_CANDIDATES):
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

    def balance(self, max_rounds=BALANCE_ROUNDS):
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

    def _reroute(self, over, scan=REROUTE_SCAN):
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
                    moves[idx] = Move(b1, x, u)
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
        start = (s * SHED_STRIDE) % len(bases) if bases else 0
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
        out_moves = [Move(self.keys[b], None if o is None else addrs[o],
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
