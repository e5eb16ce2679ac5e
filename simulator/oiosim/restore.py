"""A namespace snapshot put back into a fresh :class:`namespace.Namespace`:
services, meta0, rdir assignments and indexes, containers. Beside the model
it fills; the file format is ``snapshot``, which never imports the model."""
from .namespace import Reference
from .snapshot import COMPUTED_TAGS, locked_of


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
            svc["locked"] = locked_of(snap)
            svc["score"] = int(snap.get("score") or 0)
            if not svc["locked"]:
                svc["base_score"] = svc["score"]
            if not snap.get("up", True):
                svc["up"] = False
                svc["score"] = 0
    return renamed


def _restore_containers(ns, containers):
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
