# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record of the old copies a meta0 force leaves to remove.

A move forces meta0 first and removes the old copies after it: a run
stopped in between (Ctrl-C, a lost controller, a failure) leaves copies that
meta0 no longer shows, and only the services can tell which bases they
still hold. Asking them about every base costs 65,536 requests with digits
4 (minutes on a real cluster). So, right before each force, the writer
records the bases whose peers it drops in the reference
``_OIOSDS/meta0-pending``, and deletes that record once their old copies
are removed: the next run asks only about the recorded bases. It lives
apart from the writer lease, which an expired run loses.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import uuid

ACCOUNT = "_OIOSDS"
REFERENCE = "meta0-pending"
PARAMS = {"acct": ACCOUNT, "ref": REFERENCE}
PREFIX = "pending."


def record(client, digits, jobs):
    """Record the copies the ``jobs`` (``(base key, old peers, new
    peers)``) drop; returns the record's name, or None when none drops a
    copy. Raises OioError: the caller must not force then."""
    drops = {}
    for key, old, new in jobs:
        for addr in old:
            if addr not in new:
                drops.setdefault(addr, []).append(key)
    if not drops:
        return None
    name = PREFIX + uuid.uuid4().hex
    value = json.dumps({"digits": digits,
                        "drops": dict((a, ",".join(sorted(k))) for a, k in drops.items())},
                       sort_keys=True, separators=(",", ":"))
    client.proxy("POST", "reference/create", PARAMS, json_body={"properties": {}},
                 idempotent=True)
    client.proxy("POST", "reference/set_properties", PARAMS,
                 json_body={"properties": {name: value}}, idempotent=True)
    return name


def clear(client, names):
    """Delete the records ``names``: their copies are removed."""
    names = [n for n in names if n]
    if names:
        client.proxy("POST", "reference/del_properties", PARAMS, json_body=names,
                     idempotent=True, expect=(404,))


def pending(client, digits, warn):
    """``({base key: [addresses that may still hold a copy]}, [record
    names])`` of every record left by a run that did not finish. A record
    written with other digits is reported and left alone."""
    resp = client.proxy("POST", "reference/get_properties", PARAMS, json_body=[],
                        idempotent=True, expect=(404,))
    if resp.status == 404:
        return {}, []
    props = (resp.body or {}).get("properties") or {}
    held, names = {}, []
    for name in sorted(props):
        if not name.startswith(PREFIX):
            continue
        try:
            doc = json.loads(props[name])
            recorded = int(doc["digits"])
            drops = dict(doc["drops"])
        except (TypeError, ValueError, KeyError):
            warn("%s/%s: record %s is not readable; left alone" % (ACCOUNT, REFERENCE, name))
            continue
        if recorded != digits:
            warn("%s/%s: record %s is for digits %d, not %d; left alone"
                 % (ACCOUNT, REFERENCE, name, recorded, digits))
            continue
        for addr, keys in drops.items():
            for key in keys.split(","):
                if key:
                    held.setdefault(key, set()).add(addr)
        names.append(name)
    return dict((k, sorted(v)) for k, v in held.items()), names
