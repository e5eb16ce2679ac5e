# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``min_dist`` of the meta0 mapping modules: V(auto) or a number, and
V(auto) becomes the largest distance the meta1 topology can honour before
the mapping code sees it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.meta0.model import AUTO, auto_min_dist


def min_dist_spec(default):
    return dict(type="raw", default=default)


def min_dist_to_use(requested, services, replicas, excluded=()):
    """The distance to plan with for ``requested`` (a number, or V(auto) as
    ``parse_min_dist`` gives them): V(auto) is the largest distance the
    meta1 ``services`` but the ``excluded`` ones can honour (``services``
    are only read for it)."""
    if requested != AUTO:
        return requested
    return auto_min_dist(services, replicas, excluded)
