# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option handling shared by the meta0 mapping modules: ``min_dist`` is
V(auto) or a number, and V(auto) becomes the largest distance the meta1
topology can honour before the mapping code sees it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils import meta0_planner as planner
from ansible_collections.openio.sds.plugins.module_utils.meta0 import load_meta1_services
from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput


def min_dist_spec(default):
    return dict(type="raw", default=default)


def resolve_min_dist(m):
    """Replace ``m.params['min_dist']`` by the number to use. Returns what was
    requested (``"auto"`` or the number). V(auto) costs one conscience list."""
    params = m.params
    try:
        requested = planner.parse_min_dist(params["min_dist"])
    except planner.PlanningError as exc:
        raise InvalidInput(str(exc))
    if requested != planner.AUTO:
        params["min_dist"] = requested
        return requested
    excluded = ()
    if params.get("state") == "decommissioned":
        excluded = params.get("services") or ()
    params["min_dist"] = planner.auto_min_dist(load_meta1_services(m.client),
                                               params["replicas"], excluded)
    return requested


def with_min_dist(run):
    """``run(m)`` with ``min_dist`` resolved; the result says what was asked
    (``min_dist_requested``) next to what was used (``min_dist``)."""
    def work(m):
        requested = resolve_min_dist(m)
        result = run(m)
        if isinstance(result, dict):
            result["min_dist_requested"] = requested
        return result
    return work
