# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flow networks: max flow (Dinic) and min-cost flow (successive shortest
paths with potentials).

Pure and deterministic: standard library only, and nothing about what the
nodes stand for. Nodes are integers ``0 .. size - 1``; every edge gets an
id from :meth:`FlowNetwork.add_edge` to read its flow back.

Each edge may also carry a ``tier``: :meth:`FlowNetwork.max_flow` can be
told to use only edges up to a tier, so a caller that augments tier by
tier saturates its preferred edges before it touches the others.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import heapq
from collections import deque

_INF = float("inf")


class FlowNetwork:
    """A directed graph with capacities, costs and tiers on its edges, and
    the flow pushed so far (kept as the residual capacities)."""

    def __init__(self, size):
        self.adj = [[] for dummy in range(size)]
        self.to = []
        self.cap = []
        self.cost = []
        self.tier = []

    def add_edge(self, u, v, cap, cost=0, tier=0):
        """Add the edge ``u -> v`` (and its residual twin); returns its id."""
        edge = len(self.to)
        self.to += [v, u]
        self.cap += [cap, 0]
        self.cost += [cost, -cost]
        self.tier += [tier, 0]
        self.adj[u].append(edge)
        self.adj[v].append(edge + 1)
        return edge

    def flow(self, edge):
        """Flow on an edge returned by :meth:`add_edge`."""
        return self.cap[edge ^ 1]

    def max_flow(self, s, t, free_only=False, max_tier=None):
        """Push as much more flow as possible from ``s`` to ``t``; returns
        the amount pushed. ``free_only``: only through edges of cost 0;
        ``max_tier``: only through edges of that tier or less (residual
        twins are tier 0)."""
        adj, to, cap = self.adj, self.to, self.cap
        if free_only or max_tier is not None:
            usable = [c > 0 and not (free_only and w)
                      and (max_tier is None or k <= max_tier)
                      for c, w, k in zip(cap, self.cost, self.tier)]
            cap = [c if ok else 0 for c, ok in zip(cap, usable)]
            # Work on a filtered copy, then fold the pushed flow back.
            before = list(cap)
            total = _dinic(adj, to, cap, s, t)
            real = self.cap
            for e, (b, a) in enumerate(zip(before, cap)):
                if b != a:
                    real[e] -= b - a
            return total
        return _dinic(adj, to, cap, s, t)

    def min_cost_flow(self, s, t):
        """Push as much more flow as possible at the least total cost;
        returns the amount pushed. The flow already there must leave no
        residual edge of negative cost (e.g. no flow, or flow on edges of
        cost 0 only)."""
        adj, to, cap, cost = self.adj, self.to, self.cap, self.cost
        size = len(adj)
        potential = [0] * size
        total = 0
        while True:
            dist = [_INF] * size
            prev = [-1] * size
            dist[s] = 0
            heap = [(0, s)]
            while heap:
                d, u = heapq.heappop(heap)
                if d > dist[u]:
                    continue
                pu = potential[u]
                for e in adj[u]:
                    if cap[e] > 0:
                        v = to[e]
                        nd = d + cost[e] + pu - potential[v]
                        if nd < dist[v]:
                            dist[v] = nd
                            prev[v] = e
                            heapq.heappush(heap, (nd, v))
            if dist[t] == _INF:
                return total
            for v in range(size):
                if dist[v] < _INF:
                    potential[v] += dist[v]
            pushed = None
            v = t
            while v != s:
                e = prev[v]
                pushed = cap[e] if pushed is None else min(pushed, cap[e])
                v = to[e ^ 1]
            v = t
            while v != s:
                e = prev[v]
                cap[e] -= pushed
                cap[e ^ 1] += pushed
                v = to[e ^ 1]
            total += pushed

    def cost_of_flow(self):
        """Total cost of the flow on the edges added by :meth:`add_edge`."""
        return sum(self.cost[e] * self.cap[e ^ 1] for e in range(0, len(self.to), 2))


def _dinic(adj, to, cap, s, t):
    """Blocking flows on level graphs until ``t`` is out of reach; updates
    ``cap`` in place and returns the flow pushed."""
    size = len(adj)
    total = 0
    while True:
        level = [-1] * size
        level[s] = 0
        queue = deque([s])
        while queue:
            u = queue.popleft()
            for e in adj[u]:
                if cap[e] > 0 and level[to[e]] < 0:
                    level[to[e]] = level[u] + 1
                    queue.append(to[e])
        if level[t] < 0:
            return total
        it = [0] * size
        while True:
            # Iterative DFS in the level graph: paths can be longer than the
            # recursion limit allows.
            path = []
            u = s
            while u != t:
                edges = adj[u]
                while it[u] < len(edges):
                    e = edges[it[u]]
                    if cap[e] > 0 and level[to[e]] == level[u] + 1:
                        break
                    it[u] += 1
                if it[u] < len(edges):
                    e = edges[it[u]]
                    path.append(e)
                    u = to[e]
                    continue
                if u == s:
                    break
                level[u] = -1
                e = path.pop()
                u = to[e ^ 1]
                it[u] += 1
            if u != t:
                break
            pushed = min(cap[e] for e in path)
            for e in path:
                cap[e] -= pushed
                cap[e ^ 1] += pushed
            total += pushed
