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
                        "locked": _locked(svc), "tags": tags,
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


def restore(ns, data):
    """Install the snapshot's state into a fresh :class:`Namespace`; returns
    ``{snapshot rdir address: twin rdir address}``."""
    renamed = _restore_services(ns, data)
    mapping = data.get("meta0") or {}
    if mapping:
        table = [()] * 65536
        for prefix, addrs in mapping.items():
            table[int(prefix, 16)] = tuple(addrs)
        ns.set_meta0(table)

    def host_in_twin(host):
        return host if ns.by_id.get(host) else renamed.get(host, host)

    for stype, volumes in sorted((data.get("rdir_assignments") or {}).items()):
        for vol, hosts in sorted(volumes.items()):
            if not hosts:
                continue
            ref = ns.create_ref("_RDIR", vol)
            ref.services = [[1, "rdir", ",".join(host_in_twin(h) for h in hosts), ""]]
    containers = {}
    for stype, volumes in sorted((data.get("rdir_index") or {}).items()):
        for vol, entry in sorted(volumes.items()):
            rdir = ns.rdirs.get(renamed.get(entry.get("rdir"), entry.get("rdir")))
            if rdir is None or not entry.get("exists", True):
                continue
            db = rdir.ensure_volume(vol, "meta2" if stype == "meta2" else "rawx")
            if stype == "rawx":
                db.admin.update(dict((k, str(v)) for k, v in (entry.get("admin") or {}).items()
                                     if v is not None))
            for rec in entry.get("records") or []:
                if stype == "rawx":
                    key, value = rec
                    rdir.restore_chunk(vol, key, value)
                else:
                    rdir.push_meta2(vol, rec["container_id"], rec["container_url"],
                                    rec.get("mtime") or 0, rec.get("extra_data"))
                    containers.setdefault(rec["container_id"], (rec["container_url"], []))[1] \
                        .append(vol)
    _restore_containers(ns, containers)
    return renamed


def _locked(svc):
    """The simulator's lock of a snapshot service: true, false, or the one
    score 2026.14 locks apart ("put", "get")."""
    locks = svc.get("locks")
    if isinstance(locks, dict) and locks.get("put") != locks.get("get"):
        return "put" if locks.get("put") else "get"
    return bool(svc.get("locked"))


def _restore_services(ns, data):
    renamed = {}
    for stype, entries in (data.get("services") or {}).items():
        for snap, svc in zip(entries, ns.of_type(stype)):
            if snap["addr"] != svc["addr"]:
                renamed[snap["addr"]] = svc["addr"]
            tags = dict((k, v) for k, v in (snap.get("tags") or {}).items()
                        if k not in COMPUTED_TAGS)
            if svc["id"]:
                tags["tag.service_id"] = svc["id"]
            svc["tags"] = tags
            svc["locked"] = _locked(snap)
            svc["score"] = int(snap.get("score") or 0)
            if not svc["locked"]:
                svc["base_score"] = svc["score"]
            if not snap.get("up", True):
                svc["up"] = False
                svc["score"] = 0
    return renamed


def _restore_containers(ns, containers):
    from .namespace import Reference
    meta2_by_volume = {}
    for svc in ns.of_type("meta2"):
        meta2_by_volume[svc["id"] or svc["addr"]] = svc["addr"]
    for cid, (url, volumes) in sorted(containers.items()):
        parts = url.split("/", 2)
        if len(parts) != 3:
            continue
        ref = ns.refs.get(cid)
        if ref is None:
            ref = Reference(cid, parts[1], parts[2])
            ns.refs[cid] = ref
        peers = [meta2_by_volume[v] for v in volumes if v in meta2_by_volume]
        if peers and not ns.linked(ref, "meta2"):
            # The order of the peers is not in the snapshot: address order.
            for peer in sorted(set(peers)):
                ref.services.append([1, "meta2", peer, ""])
