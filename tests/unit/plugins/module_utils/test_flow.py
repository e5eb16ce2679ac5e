# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the flow solver alone (pure logic, tiny graphs)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.flow import FlowNetwork


def network(size, edges):
    """A network and the ids of ``edges`` given as (u, v, cap[, cost[, tier]])."""
    net = FlowNetwork(size)
    return net, [net.add_edge(*e) for e in edges]


def check_conservation(net, size, s, t):
    """Every node but s and t has as much flow in as out; returns the flow
    out of s."""
    balance = [0] * size
    for e in range(0, len(net.to), 2):
        u, v = net.to[e ^ 1], net.to[e]
        assert 0 <= net.flow(e)
        balance[u] -= net.flow(e)
        balance[v] += net.flow(e)
    assert all(b == 0 for n, b in enumerate(balance) if n not in (s, t))
    assert balance[s] == -balance[t]
    return -balance[s]


def test_single_path_is_limited_by_its_smallest_edge():
    net, ids = network(3, [(0, 1, 5), (1, 2, 3)])
    assert net.max_flow(0, 2) == 3
    assert [net.flow(e) for e in ids] == [3, 3]


def test_classic_max_flow():
    # The minimum cut around {0, 1, 2, 4} is 1->3 (12) + 4->3 (7) + 4->5 (4).
    edges = [(0, 1, 16), (0, 2, 13), (2, 1, 4), (1, 3, 12), (3, 2, 9),
             (2, 4, 14), (4, 3, 7), (3, 5, 20), (4, 5, 4)]
    net, dummy = network(6, edges)
    assert net.max_flow(0, 5) == 23
    assert check_conservation(net, 6, 0, 5) == 23
    # Nothing left to push.
    assert net.max_flow(0, 5) == 0


def test_bipartite_matching():
    # Three workers, three jobs; worker 2 only fits job 0, which worker 0
    # also fits: a perfect matching needs the augmenting path to reroute.
    s, t = 0, 7
    fits = {1: [4, 5], 2: [4], 3: [5, 6]}
    edges = [(s, w, 1) for w in fits] + [(j, t, 1) for j in (4, 5, 6)]
    edges += [(w, j, 1) for w, js in sorted(fits.items()) for j in js]
    net, dummy = network(8, edges)
    assert net.max_flow(s, t) == 3


def test_unreachable_sink_gets_nothing():
    net, dummy = network(4, [(0, 1, 5), (2, 3, 5)])
    assert net.max_flow(0, 3) == 0
    assert net.min_cost_flow(0, 3) == 0


def test_min_cost_picks_the_cheap_route_first():
    # A source 4 that supplies 3 units to 0: 2 go on the cheap route to 3
    # (cost 1 + 1), the third on the expensive one (cost 5 + 5).
    net, ids = network(5, [(4, 0, 3), (0, 1, 2, 1), (1, 3, 2, 1),
                           (0, 2, 5, 5), (2, 3, 5, 5)])
    assert net.min_cost_flow(4, 3) == 3
    assert [net.flow(e) for e in ids] == [3, 2, 2, 1, 1]
    assert net.cost_of_flow() == 2 * 2 + 1 * 10


def test_min_cost_reroutes_through_a_negative_residual_edge():
    # The cheapest first path 0-1-2-3 blocks both other routes; the second
    # unit must undo 1->2 so the total is 0-1-3 plus 0-2-3.
    edges = [(0, 1, 1, 1), (0, 2, 1, 3), (1, 2, 1, 1), (1, 3, 1, 3), (2, 3, 1, 1)]
    net, ids = network(4, edges)
    assert net.min_cost_flow(0, 3) == 2
    assert [net.flow(e) for e in ids] == [1, 1, 0, 1, 1]
    assert net.cost_of_flow() == 1 + 3 + 3 + 1


def test_infeasible_demand_is_reported_by_a_short_flow():
    # A demand of 4 from the source, but the middle carries at most 3: the
    # flow stops at 3 and the demand edge stays unsaturated.
    net, ids = network(4, [(0, 1, 4), (1, 2, 3), (2, 3, 4)])
    demand = ids[0]
    assert net.max_flow(0, 3) == 3
    assert net.flow(demand) < 4
    net, ids = network(4, [(0, 1, 4, 0), (1, 2, 3, 7), (2, 3, 4, 0)])
    assert net.min_cost_flow(0, 3) == 3
    assert net.cost_of_flow() == 21


def test_tiers_saturate_preferred_edges_first():
    # Two ways from 1 to the sink, tier 0 and tier 1; augmenting tier by
    # tier fills the tier 0 edge before anything goes through the other.
    net, ids = network(4, [(0, 1, 3), (1, 2, 2, 0, 0), (1, 3, 5, 0, 1), (2, 3, 5)])
    assert net.max_flow(0, 3, max_tier=0) == 2
    assert [net.flow(e) for e in ids] == [2, 2, 0, 2]
    assert net.max_flow(0, 3, max_tier=1) == 1
    assert [net.flow(e) for e in ids] == [3, 2, 1, 2]


def test_free_only_leaves_costly_edges_to_min_cost():
    # Free edges first, in bulk; min-cost flow then carries on with the rest.
    net, ids = network(3, [(0, 1, 4), (1, 2, 1, 0), (1, 2, 5, 3)])
    assert net.max_flow(0, 2, free_only=True) == 1
    assert [net.flow(e) for e in ids] == [1, 1, 0]
    assert net.min_cost_flow(0, 2) == 3
    assert [net.flow(e) for e in ids] == [4, 1, 3]
    assert net.cost_of_flow() == 9


def test_flow_continues_from_what_is_already_there():
    # Capacity added after a first max flow is used by the next one.
    net, ids = network(3, [(0, 1, 5), (1, 2, 2)])
    assert net.max_flow(0, 2) == 2
    extra = net.add_edge(1, 2, 2)
    assert net.max_flow(0, 2) == 2
    assert net.flow(ids[0]) == 4 and net.flow(extra) == 2
