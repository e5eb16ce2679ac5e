# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow network of an rdir assignment: volumes grouped into buckets that
share the same candidate rdirs, the max-flow that proves what can be served,
the search of the ceiling and floor of the loads, and the read-back of an
assignment from the flow (see ``rdir_planner`` for the rules). Pure: no
HTTP, no Ansible."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.flow import FlowNetwork
from ansible_collections.openio.sds.plugins.module_utils.location import MAX_TOKENS, distance

# Distinct marginal costs per rdir above the floor; beyond, one flat band.
_MAX_LEVELS = 64


class _Bucket:
    """Volumes sharing candidate rdirs, number of rdirs needed and current
    (movable) rdirs: interchangeable for the flow."""

    __slots__ = ("candidates", "need", "current", "volumes")

    def __init__(self, candidates, need, current):
        self.candidates = candidates      # ((rdir position, distance), ...)
        self.need = need
        self.current = current            # frozenset of rdir positions
        self.volumes = []


def _groups(rids, locations, min_dist):
    """Connected components of "closer than min_dist": two rdirs of one volume
    must come from different components, which is safe even when locations
    have different depths."""
    parent = list(range(len(rids)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(rids)):
        for j in range(i):
            if distance(locations[i], locations[j]) < min_dist:
                parent[find(i)] = find(j)
    return [find(i) for i in range(len(rids))]


def _served(group_flows, size, need):
    """How many volumes of a bucket can get ``need`` rdirs from distinct
    groups, given the units each group received."""
    for k in range(size, 0, -1):
        if sum(min(f, k) for f in group_flows) >= k * need:
            return k
    return 0


class _Solver:
    """Flow over buckets; rdir positions index ``rids`` (score > 0 only)."""

    def __init__(self, buckets, base, groups, cap, rebalance):
        self.groups = groups
        self.cap = cap
        self.rebalance = rebalance
        self.reset(buckets, base)

    def reset(self, buckets, base):
        self.buckets = buckets
        self.base = base
        self.n = len(base)
        self.reach = [0] * self.n
        for b in buckets:
            for pos, dummy in b.candidates:
                self.reach[pos] += len(b.volumes)
        self.demand = sum(len(b.volumes) * b.need for b in buckets)
        self.units = max(self.demand, 1)

    def _ceiling(self, ceiling):
        limit = self.cap if ceiling is None else (
            ceiling if self.cap is None else min(ceiling, self.cap))
        if limit is None:
            return [self.reach[j] for j in range(self.n)]
        return [max(0, min(limit - self.base[j], self.reach[j]))
                for j in range(self.n)]

    def _build(self, bands, costs=False):
        """Network with rdir->sink edges given as a list of (cap, cost) per
        rdir. Returns (network, source, sink, bucket edges)."""
        s, t = 0, 1
        rdir_node = 2
        node = rdir_node + self.n
        net = FlowNetwork(node + sum(
            1 + (len(set(self.groups[p] for p, dummy in b.candidates))
                 if b.need > 1 else 0) for b in self.buckets))
        change = 1
        sink_edges = []
        for j, band in enumerate(bands):
            sink_edges.append([net.add_edge(rdir_node + j, t, c, w)
                               for c, w in band if c > 0])
        layout = []
        for b in self.buckets:
            size = len(b.volumes)
            bnode = node
            node += 1
            src = net.add_edge(s, bnode, size * b.need)
            # Farthest first, for a stable order; tiers do the preferring.
            ordered = sorted(b.candidates, key=lambda c: (-c[1], c[0]))
            edges = []
            if b.need == 1:
                for pos, dist in ordered:
                    w = change if costs and pos not in b.current else 0
                    edges.append((pos, net.add_edge(bnode, rdir_node + pos, size, w,
                                                    MAX_TOKENS - dist)))
                layout.append((src, None, edges))
                continue
            gnode = {}
            gedge = {}
            for pos, dist in ordered:
                g = self.groups[pos]
                if g not in gnode:
                    gnode[g] = node
                    node += 1
                    gedge[g] = net.add_edge(bnode, gnode[g], size)
                w = change if costs and pos not in b.current else 0
                edges.append((pos, net.add_edge(gnode[g], rdir_node + pos, size, w,
                                                MAX_TOKENS - dist)))
            layout.append((src, gedge, edges))
        return net, s, t, layout, sink_edges

    def max_flow(self, caps):
        net, s, t, layout, dummy = self._build([[(c, 0)] for c in caps])
        return net.max_flow(s, t), net, layout

    def feasible(self, ceiling):
        return self.max_flow(self._ceiling(ceiling))[0] >= self.demand

    def _floor_caps(self, floor, ceiling_caps):
        return [max(0, min(floor - self.base[j], ceiling_caps[j]))
                for j in range(self.n)]

    def search_ceiling(self):
        """Smallest uniform ceiling on rdir loads that serves every volume."""
        if self.demand == 0:
            return None
        # Water level: the least ceiling whose room adds up to the demand.
        lo = 0
        hi = max(self.base) + self.demand if self.cap is None else self.cap
        while lo < hi:
            mid = (lo + hi) // 2
            room = sum(c for c in self._ceiling(mid))
            if room >= self.demand:
                hi = mid
            else:
                lo = mid + 1
        guess, step = lo, 1
        top = max(self.base) + self.demand if self.cap is None else self.cap
        while guess < top and not self.feasible(guess):
            lo = guess + 1
            guess = min(top, guess + step)
            step *= 2
        hi = guess
        while lo < hi:
            mid = (lo + hi) // 2
            if self.feasible(mid):
                hi = mid
            else:
                lo = mid + 1
        return hi

    def search_floor(self, ceiling):
        """Largest floor every reachable rdir can be filled up to, while
        respecting ``ceiling``."""
        caps = self._ceiling(ceiling)

        def ok(floor):
            need = self._floor_caps(floor, caps)
            if sum(need) > self.demand:
                return False
            return self.max_flow(need)[0] >= sum(need)

        top = ceiling if ceiling is not None else max(self.base) + self.demand
        for floor in (top, top - 1):
            if ok(floor):
                return floor
        lo, hi = 0, top - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if ok(mid):
                lo = mid
            else:
                hi = mid - 1
        return lo

    def solve(self, ceiling, floor):
        caps = self._ceiling(ceiling)
        low = self._floor_caps(floor, caps)
        if not self.rebalance and ceiling is not None and ceiling - floor <= 1:
            # Fill every rdir up to the floor, then add the room up to the
            # ceiling and augment again: augmenting paths never take flow
            # back from an edge into the sink, so the floor stays filled.
            # Each phase goes tier by tier, farthest rdirs first, so nearer
            # ones only take what the far ones cannot.
            net, s, t, layout, dummy = self._build([[(c, 0)] for c in low])
            for tier in range(MAX_TOKENS):
                net.max_flow(s, t, max_tier=tier)
            for j in range(self.n):
                if caps[j] > low[j]:
                    net.add_edge(2 + j, t, caps[j] - low[j])
            for tier in range(MAX_TOKENS):
                net.max_flow(s, t, max_tier=tier)
        else:
            # Each unit above the floor costs more the higher the load it
            # brings the rdir to (a convex cost, so the spread is as even as
            # constraints allow), and more than any move: balance first,
            # then as few moves as possible.
            big = self.units + 1
            bands = []
            for j in range(self.n):
                level = self.base[j] + low[j]
                room = caps[j] - low[j]
                band = [(low[j], 0)]
                steps = min(room, _MAX_LEVELS)
                for k in range(1, steps + 1):
                    band.append((1 if k < steps else room - steps + 1,
                                 big * max(1, level + k - floor)))
                bands.append(band)
            net, s, t, layout, dummy = self._build(bands, costs=self.rebalance)
            # Whatever can stay in place at no cost goes first, in bulk; the
            # residual network then has no negative edge, so successive
            # shortest paths can carry on from there.
            for tier in range(MAX_TOKENS):
                net.max_flow(s, t, free_only=True, max_tier=tier)
            net.min_cost_flow(s, t)
        total = sum(net.flow(entry[0]) for entry in layout)
        if total < self.demand:
            # search_ceiling only returns feasible ceilings.
            raise RuntimeError("rdir planner: flow below demand")
        return net, layout


def _decompose(bucket, net, layout_entry, groups):
    """Split a bucket's flow into rdir positions per volume (sorted)."""
    dummy, gedge, edges = layout_entry
    units = {pos: net.flow(e) for pos, e in edges}
    volumes = bucket.volumes
    if bucket.need == 1:
        result = []
        for pos in sorted(units, key=lambda p: (p not in bucket.current, p)):
            result.extend([[pos]] * units[pos])
        return dict(zip(volumes, result))
    by_group = {}
    for pos in units:
        by_group.setdefault(groups[pos], []).append(pos)
    out = {}
    remaining = len(volumes)
    for vid in volumes:
        totals = {g: sum(units[p] for p in ps) for g, ps in by_group.items()}
        live = [g for g in totals if totals[g] > 0]
        # A group with as many units as volumes left must serve every one of
        # them; the rest can follow preferences.
        live.sort(key=lambda g: (totals[g] < remaining,
                                 not any(units[p] and p in bucket.current
                                         for p in by_group[g]),
                                 -totals[g], g))
        chosen = []
        for g in live[:bucket.need]:
            pos = max((p for p in by_group[g] if units[p] > 0),
                      key=lambda p: (p in bucket.current, units[p], -p))
            units[pos] -= 1
            chosen.append(pos)
        out[vid] = chosen
        remaining -= 1
    return out
