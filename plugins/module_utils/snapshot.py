# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A snapshot of a namespace's directory, taken with reads only.

What it holds (``FORMAT`` 1):

* ``services``: per service type, every conscience entry in the collection's
  shape (``addr``, ``id``, ``score``, ``location``, ``locked``, ``up``,
  ``tags`` without the ``stat.*`` ones);
* ``meta0``: the prefix mapping as ``admin/meta0_list`` serves it;
* ``rdir_assignments``: per rawx and meta2 volume, the rdir hosts stored in
  ``_RDIR/<volume>``;
* ``rdir_index``: per assigned volume, the record count of its index on its
  rdir and, up to ``index_records`` records, the records themselves (a
  larger index keeps only its count).

Every request it sends is a GET or a listing POST that the rdir and the
proxy treat as reads. The simulator shipped with the collection starts a
namespace from this file (``PYTHONPATH=<collection>/simulator python -m
oiosim --snapshot FILE``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import gzip
import json
import os
import time

from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.files import write_atomically
from ansible_collections.openio.sds.plugins.module_utils.rdir import (
    SERVICE_TYPES, VolumeDatabase, read_assignments)
from ansible_collections.openio.sds.plugins.module_utils.rdir_index import MAX_PAGE, IndexReader
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts

FORMAT = "openio.sds/snapshot/1"
# Keys that change on every capture without the namespace changing.
VOLATILE_KEYS = ("captured_at",)
MAX_INDEX_RECORDS = 100000


def check_dest(dest):
    """A snapshot file path whose directory exists (the numbers are the
    module's ``ranges``)."""
    if not dest or dest.endswith(os.sep):
        raise InvalidInput("dest must be a file path, got %r" % (dest,))
    parent = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(parent):
        raise InvalidInput("the directory of dest does not exist: %s" % parent)
    if os.path.isdir(dest):
        raise InvalidInput("dest is a directory: %s" % dest)


# ---------------------------------------------------------------------------
# Capture

def _public_service(svc):
    out = dict(svc)
    out["tags"] = dict((k, v) for k, v in (svc.get("tags") or {}).items()
                       if not k.startswith("stat."))
    return out


def _index_of(client, rdir_addr, stype, vol, limit):
    """``{"rdir", "exists", "count", "records"}`` of one volume's index;
    records is None when the index holds more than ``limit`` of them."""
    out = {"rdir": rdir_addr, "exists": True, "count": 0, "records": []}
    if stype == "rawx":
        volume = VolumeDatabase(client, rdir_addr, stype, vol)
        admin = volume.admin()
        if admin is None:
            out["exists"] = False
            return out
        out["admin"] = admin
        status = volume.status()
        out["count"] = int((status.get("chunk") or {}).get("total") or 0)
        out["containers"] = int(status.get("containers") or 0)
        if out["count"] > limit:
            out["records"] = None
            return out
    # One pass: keep up to ``limit`` records, count them all (meta2 has no
    # cheaper count than its listing).
    reader = IndexReader(client, rdir_addr, stype, vol, page_size=MAX_PAGE)
    records, count = [], 0
    for page in reader.pages():
        count += len(page)
        if records is not None:
            if stype == "rawx":
                records.extend([key, value] for key, value in page)
            else:
                records.extend(value for dummy, value in page)
            if len(records) > limit:
                records = None
                if stype == "rawx":
                    break
    out["exists"] = reader.exists
    if stype == "meta2" or records is not None:
        out["count"] = count
    out["records"] = records
    return out


def _rdir_address(host, rdirs):
    for rdir in rdirs:
        if host in (rdir["id"], rdir["addr"]):
            return rdir["addr"]
    return None


def capture(client, index_records=1000, concurrency=16, now=time.time):
    """The snapshot dict, and a list of per-volume read errors."""
    types = sorted(t for t in facts(client).service_types() if isinstance(t, str))
    info = facts(client).info()
    digits, dummy = facts(client).configured_digits()
    services = {}
    for stype in types:
        services[stype] = [_public_service(s) for s in facts(client).services(stype)]
    mapping = facts(client).meta0()
    rdirs = services.get("rdir", [])
    assignments, index, errors = {}, {}, []
    for stype in SERVICE_TYPES:
        volumes = []
        for svc in services.get(stype, []):
            if svc["id"] not in volumes:
                volumes.append(svc["id"])
        found, failed = read_assignments(client, volumes, concurrency)
        for vol, err in sorted(failed.items()):
            errors.append({"what": "rdir assignment", "type": stype, "volume": vol,
                           "error": err})
        assignments[stype] = dict((vol, found[vol]) for vol in volumes if vol in found)
        jobs = []
        for vol, hosts in sorted(assignments[stype].items()):
            addr = _rdir_address(hosts[0], rdirs) if hosts else None
            if addr:
                jobs.append((vol, addr))
        index[stype] = {}
        for job, result, err in client.map_bounded(
                lambda j, t=stype: _index_of(client, j[1], t, j[0], index_records),
                jobs, concurrency):
            if err is None:
                index[stype][job[0]] = result
            else:
                detail = err.to_dict() if isinstance(err, OioError) else {"message": str(err)}
                errors.append({"what": "rdir index", "type": stype, "volume": job[0],
                               "rdir": job[1], "error": detail})
    options = info.get("options") if isinstance(info, dict) else None
    snapshot = {
        "format": FORMAT,
        "namespace": client.namespace,
        # The twin answers as the same release.
        "release": facts(client).release.name,
        "captured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now())),
        "meta1_digits": digits,
        "options": options if isinstance(options, dict) else {},
        "services": services,
        "meta0": mapping,
        "rdir_assignments": assignments,
        "rdir_index": index,
    }
    return snapshot, errors


def summary(snapshot):
    """Small figures that describe a snapshot (what the module returns)."""
    index = snapshot.get("rdir_index") or {}
    return {
        "namespace": snapshot.get("namespace"),
        "services": dict((t, len(v)) for t, v in sorted((snapshot.get("services") or {}).items())),
        "meta0_prefixes": len(snapshot.get("meta0") or {}),
        "rdir_assignments": dict((t, len(v)) for t, v in
                                 sorted((snapshot.get("rdir_assignments") or {}).items())),
        "index_records": dict((t, sum(int(e.get("count") or 0) for e in v.values()))
                              for t, v in sorted(index.items())),
        "index_counts_only": sorted("%s %s" % (t, vol) for t, v in index.items()
                                    for vol, e in v.items() if e.get("records") is None),
    }


# ---------------------------------------------------------------------------
# The file

def dumps(snapshot):
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":")).encode("utf-8")


def read_file(path):
    """The snapshot stored at ``path`` (gzip when it ends with .gz), or None
    when there is no such file or it is not a snapshot."""
    if not os.path.isfile(path):
        return None
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            data = json.loads(fh.read().decode("utf-8"))
    except (IOError, OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    return data


def read_mapping(path):
    """The meta0 mapping kept in the file ``path`` (gzip when it ends with
    .gz): a JSON object of prefixes (``admin/meta0_list``, or a module's
    ``mapping`` result), or a snapshot of this module, whose ``meta0`` it
    holds. Raises InvalidInput saying what is wrong; the mapping itself is
    checked by the planner."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            data = json.loads(fh.read().decode("utf-8"))
    except (IOError, OSError) as exc:
        raise InvalidInput("cannot read the mapping file %s: %s" % (path, exc))
    except ValueError as exc:
        raise InvalidInput("the mapping file %s is not JSON: %s" % (path, exc))
    if isinstance(data, dict) and data.get("format") == FORMAT:
        data = data.get("meta0")
        if not data:
            raise InvalidInput("the snapshot %s holds no meta0 mapping (meta0 was empty when "
                               "it was taken)" % path)
    if not isinstance(data, dict):
        raise InvalidInput("the mapping file %s holds a JSON %s, not an object of prefixes"
                           % (path, type(data).__name__))
    return data


def _stable(snapshot):
    return dict((k, v) for k, v in snapshot.items() if k not in VOLATILE_KEYS)


def same_content(a, b):
    if a is None or b is None:
        return False
    return _stable(a) == _stable(b)


def write_file(path, snapshot, mode=0o644):
    """Write atomically (gzip-compressed when ``path`` ends with .gz)."""
    payload = dumps(snapshot)
    if path.endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)
    write_atomically(path, payload, mode)
