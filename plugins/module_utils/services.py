# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Conscience services: listing them in one normalised shape."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.location import service_location


def score_of(service):
    """A service's score as an int of 0 or more; ValueError when it is not a
    number (a broken conscience entry is an error, not a score of 0)."""
    try:
        return max(0, int(float(service.get("score") or 0)))
    except (TypeError, ValueError):
        raise ValueError("service %r has an invalid score %r"
                         % (service.get("addr"), service.get("score")))


def lock_state(entry, release=None):
    """``{"put": bool, "get": bool}``: which scores the conscience holds
    locked. 2026.14 locks them apart (``tag.putlock``, ``tag.getlock``;
    its ``tag.lock`` is true only when both are); 7.3.0 has one lock."""
    tags = entry.get("tags") or {}
    if release is not None and release.split_locks:
        return {"put": bool(tags.get("tag.putlock", False)),
                "get": bool(tags.get("tag.getlock", False))}
    locked = bool(tags.get("tag.lock", False))
    return {"put": locked, "get": locked}


def service_id(entry, with_addr=True):
    """A service's ID, the one rule: its ``service_id`` or conscience tag
    ``tag.service_id``, else its ``id`` (the collection's shape), else
    (unless ``with_addr`` is false) its address."""
    tags = entry.get("tags") or {}
    found = entry.get("service_id") or tags.get("tag.service_id") or entry.get("id")
    return found or (entry.get("addr") if with_addr else None)


def normalize_service(entry, release=None):
    """A conscience entry as the collection returns it: the SDK's ``id``
    (service ID, else address) plus the few tags everybody asks for.
    ``locked`` is true when any score is locked, ``fully_locked`` when all
    are; ``score`` is the put score (the one new data goes by)."""
    tags = entry.get("tags") or {}
    locks = lock_state(entry, release)
    out = {
        "addr": entry.get("addr"),
        "id": service_id(entry),
        "score": score_of(entry),
        "location": service_location(entry),
        "locked": locks["put"] or locks["get"],
        "fully_locked": locks["put"] and locks["get"],
        "locks": locks,
        "up": bool(tags.get("tag.up", True)),
        "tags": tags,
    }
    scores = entry.get("scores")
    if isinstance(scores, dict):
        out["scores"] = {"put": _int_or_none(scores.get("score.put")),
                         "get": _int_or_none(scores.get("score.get"))}
    return out


def _int_or_none(value):
    try:
        return max(0, int(float(value)))
    except (TypeError, ValueError):
        return None


def find_service(services, key):
    """The service whose ID or address is ``key``, or None."""
    for svc in services:
        if key in (svc["id"], svc["addr"]):
            return svc
    return None


def unknown_keys(services, keys):
    """The ``keys`` (IDs or addresses) that name none of ``services``."""
    return [k for k in keys or () if find_service(services, k) is None]


def lock_payload(service, service_type, score):
    # The conscience takes addresses only: a service ID is refused (400).
    return {"addr": service["addr"], "type": service_type, "score": int(score)}


def set_lock(client, service, service_type, locked, score=0):
    """Lock the score of a service at ``score``, or unlock it. Both are
    idempotent on the conscience, so a transient failure may be retried."""
    route = "conscience/lock" if locked else "conscience/unlock"
    client.proxy("POST", route, json_body=lock_payload(service, service_type, score),
                 idempotent=True)


def availability(services, min_count, min_score, service_ids=None):
    """Whether the services of a type are ready: at least ``min_count`` of
    them (or every one listed in ``service_ids``) with a score >= min_score.
    Returns (ready, ready_services, missing_ids)."""
    ready = [s for s in services if s["score"] >= min_score and s["up"]]
    missing = []
    if service_ids:
        ready_keys = set(s["id"] for s in ready) | set(s["addr"] for s in ready)
        missing = [sid for sid in service_ids if sid not in ready_keys]
        return not missing and len(ready) >= min_count, ready, missing
    return len(ready) >= min_count, ready, missing
