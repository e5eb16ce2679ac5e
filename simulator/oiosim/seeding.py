"""Data a decommission has to carry, put in place the way the services would
(the control API's ``seed``), and the rdir indexes read back per volume
(its ``index``): scenarios and demos start from a namespace in use, and
check what a run left, without a task per record."""
from . import directory
from .namespace import SimError, compute_cid

CONTENT_ID = "0123456789ABCDEF0123456789ABCDEF"
MTIME = 1700000000


def volume_of(svc):
    return svc["id"] or svc["addr"]


def assigned_rdir(ns, volume):
    """The rdir service (a conscience entry) the volume's _RDIR reference
    names, or None."""
    ref = ns.refs.get(compute_cid("_RDIR", volume))
    hosts = [e[2] for e in (ref.services if ref else []) if e[1] == "rdir"]
    return ns.find(hosts[0]) if hosts else None


def _rdir_object(ns, volume):
    svc = assigned_rdir(ns, volume)
    obj = ns.rdirs.get(svc["addr"]) if svc else None
    if obj is None:
        raise SimError(400, 400, "volume %s has no rdir: bootstrap the namespace first" % volume)
    return obj


def seed(ns, account="seed", containers=6, chunks_per_volume=4):
    """Create ``containers`` references linked to meta2 and index them as
    their services would: each container on the meta2 index of each of its
    meta2 peers, ``chunks_per_volume`` chunk records (of the first
    containers) on the index of every rawx volume."""
    if not (isinstance(containers, int) and isinstance(chunks_per_volume, int)) \
            or containers < 1 or not 0 <= chunks_per_volume <= containers:
        raise ValueError("containers must be at least 1 and chunks_per_volume between 0 "
                         "and containers")
    for svc in ns.of_type("rawx") + ns.of_type("meta2"):
        _rdir_object(ns, volume_of(svc))  # every volume has its rdir before anything is made
    seeded = []
    for n in range(containers):
        name = "container-%d" % n
        ref = ns.create_ref(account, name)
        entries = directory.link(ns, ref, "meta2", renew=False, dryrun=False)
        hosts = [h for e in entries for h in e[2].split(",")]
        url = "%s/%s/%s" % (ns.name, account, name)
        for host in hosts:
            volume = volume_of(ns.find(host))
            _rdir_object(ns, volume).push_meta2(volume, ref.cid, url, MTIME + n)
        seeded.append({"cid": ref.cid, "name": name, "meta2": hosts})
    for rawx in ns.of_type("rawx"):
        volume = volume_of(rawx)
        rdir = _rdir_object(ns, volume)
        for n, container in enumerate(seeded[:chunks_per_volume]):
            rdir.push_chunk(volume, container["cid"], CONTENT_ID,
                            "%s-%04d" % (volume.replace(":", "-"), n), MTIME + n,
                            path="obj-%d" % n, version=1)
    return {"account": account, "containers": seeded, "index": index(ns)}


def index(ns):
    """Per service type, each volume's rdir and its records on every rdir
    that holds some; and the totals of records on the assigned rdirs."""
    out = {"rawx": {}, "meta2": {}, "totals": {"rawx": 0, "meta2": 0}}
    for stype in ("rawx", "meta2"):
        for svc in ns.of_type(stype):
            volume = volume_of(svc)
            rdir = assigned_rdir(ns, volume)
            held = {}
            for addr, obj in sorted(ns.rdirs.items()):
                count = len(obj.chunk_records(volume) if stype == "rawx"
                            else obj.meta2_records(volume))
                if count:
                    held[volume_of(ns.find(addr))] = count
            key = volume_of(rdir) if rdir else None
            out[stype][volume] = {"rdir": key, "records": held.get(key, 0), "held_by": held}
            out["totals"][stype] += held.get(key, 0)
    return out
