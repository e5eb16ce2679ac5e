# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Conscience services: listing them in one normalised shape."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.location import service_location


def normalize_service(entry):
    """A conscience entry as the collection returns it: the SDK's ``id``
    (service ID, else address) plus the few tags everybody asks for."""
    tags = entry.get("tags") or {}
    return {
        "addr": entry.get("addr"),
        "id": tags.get("tag.service_id") or entry.get("addr"),
        "score": int(entry.get("score") or 0),
        "location": service_location(entry),
        "locked": bool(tags.get("tag.lock", False)),
        "up": bool(tags.get("tag.up", True)),
        "tags": tags,
    }


def list_services(client, service_type, full=False):
    return [normalize_service(e) for e in client.conscience_list(service_type, full=full)]
