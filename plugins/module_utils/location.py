# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Service locations and distances, as OpenIO's Python tooling computes them.

Locations are dotted strings, most significant token first, conventionally
``site.rack.host.volume``. Distance 1 means another volume, 2 another host,
3 another rack, 4 another site.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

MAX_TOKENS = 4


def service_location(service):
    """Location of a conscience entry: ``tag.loc``, or the IP of its address
    when the tag is missing, empty or the literal ``addr`` (as OpenIO does)."""
    tags = service.get("tags") or {}
    loc = tags.get("tag.loc") or service.get("location")
    if not loc or loc == "addr":
        addr = service.get("addr") or ""
        loc = addr.rsplit(":", 1)[0]
    return str(loc)


def split_location(location):
    # A fifth token and beyond stays glued to the fourth, like split('.', 3).
    return tuple(str(location).split(".", MAX_TOKENS - 1))


def distance(loc1, loc2):
    """Number of tokens of the longer location minus the common leading ones."""
    a = loc1 if isinstance(loc1, tuple) else split_location(loc1)
    b = loc2 if isinstance(loc2, tuple) else split_location(loc2)
    common = 0
    for x, y in zip(a, b):
        if x != y:
            break
        common += 1
    return max(len(a), len(b)) - common


def masked_location(location, min_dist):
    """Location with its last ``min_dist - 1`` tokens replaced by ``*``: two
    services with the same masked location are too close to share a base."""
    if not 1 <= min_dist <= MAX_TOKENS:
        raise ValueError("min_dist must be between 1 and 4, got %r" % (min_dist,))
    tokens = split_location(location)
    if min_dist == 1:
        return ".".join(tokens)
    keep = max(len(tokens) - (min_dist - 1), 0)
    return ".".join(tokens[:keep] + ("*",) * (len(tokens) - keep))
