"""A twin of a real namespace: start the simulator from a snapshot file
written by ``openio.sds.oio_namespace_snapshot``.

    python -m oiosim --snapshot snapshot.json.gz --port-file twin.json

The twin has the snapshot's services (same addresses, IDs, locations,
scores, locks and tags), its meta0 mapping, its rdir assignments, the
records of every index the snapshot kept record by record, and one
reference per container listed in a meta2 index, linked to the meta2
services whose index lists it.

One difference is unavoidable: the twin serves each rdir on a port of
127.0.0.1, not on the rdir's own address. Each rdir keeps its snapshot
address as its service ID (unless it had an ID of its own), and the rdir
assignments keep naming it that way, so a playbook addresses an rdir on the
twin exactly as on the cluster. ``--port-file`` lists the new ports under
``rdir_addresses`` (snapshot address -> twin address).
"""
import gzip
import json

FORMAT = "openio.sds/snapshot/1"
KEY = "_snapshot"
# Tags the conscience computes; the twin computes its own.
COMPUTED_TAGS = ("tag.up", "tag.lock", "tag.putlock", "tag.getlock")


def is_snapshot(data):
    return isinstance(data, dict) and data.get("format") == FORMAT


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = json.loads(fh.read().decode("utf-8"))
    if not is_snapshot(data):
        raise ValueError("%s is not a snapshot (format %s)" % (path, FORMAT))
    return data


def maybe_read(path):
    """The snapshot at ``path``, or None when it holds something else."""
    if not (path.endswith(".json") or path.endswith(".gz")):
        return None
    try:
        return read(path)
    except ValueError:
        return None


def _replicas(mapping):
    return max([len(v) for v in mapping.values()] or [3])


def to_topology(data):
    """The topology that creates the snapshot's services; :func:`restore`
    then installs the rest once the namespace exists."""
    services = {}
    for stype, entries in sorted((data.get("services") or {}).items()):
        out = []
        for svc in entries:
            tags = dict(svc.get("tags") or {})
            sid = tags.get("tag.service_id")
            if stype == "rdir" and not sid:
                sid = svc["addr"]
            out.append({"addr": svc["addr"], "id": sid, "score": int(svc.get("score") or 0),
                        "locked": locked_of(svc), "tags": tags,
                        "location": tags.get("tag.loc"), "name": svc["addr"]})
        services[stype] = {"entries": out}
    topo = {"namespace": data.get("namespace") or "OPENIO",
            # Snapshots taken before the release was recorded came from 7.3.0.
            "release": data.get("release") or "7.3.0",
            "meta1_digits": 4 if data.get("meta1_digits") is None else int(data["meta1_digits"]),
            "replicas": _replicas(data.get("meta0") or {}),
            "bootstrapped": False,
            "services": services,
            KEY: data}
    policy = (data.get("options") or {}).get("service_update_policy")
    if policy:
        topo["service_update_policy"] = policy
    return topo


def locked_of(svc):
    """The simulator's lock of a snapshot service: true, false, or the one
    score 2026.14 locks apart ("put", "get")."""
    locks = svc.get("locks")
    if isinstance(locks, dict) and locks.get("put") != locks.get("get"):
        return "put" if locks.get("put") else "get"
    return bool(svc.get("locked"))
