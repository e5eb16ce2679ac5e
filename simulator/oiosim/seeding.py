"""Data a decommission has to carry, put in place the way the services would
(the control API's ``seed``), and what a run left read back in one request
(``index``: the rdir indexes per volume; ``meta1``: copies, masters and
sys.peers of every meta1 base): scenarios and tests start from a namespace
in use and check a digits-4 end state without 65,536 requests per check."""
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


def seed(ns, account="seed", containers=6, chunks_per_volume=4, volume_records=None):
    """Create ``containers`` references linked to meta2 and index them as
    their services would: each container on the meta2 index of each of its
    meta2 peers, ``chunks_per_volume`` chunk records (of the first
    containers) on the index of every rawx volume. ``volume_records``
    (``{rawx volume: count}``) adds that many chunk records of the first
    container to a volume's index: a volume of real size, loaded in one
    request."""
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
    for volume, count in sorted((volume_records or {}).items()):
        _bulk_chunks(ns, volume, count, seeded[0]["cid"])
    return {"account": account, "containers": seeded, "index": index(ns)}


def _bulk_chunks(ns, volume, count, cid):
    if ns.find(volume) is None or ns.find(volume)["type"] != "rawx":
        raise ValueError("volume_records names %r, which is not a rawx volume" % (volume,))
    if not isinstance(count, int) or not 0 <= count <= 10000000:
        raise ValueError("volume_records counts must be between 0 and 10,000,000")
    rdir = _rdir_object(ns, volume)
    for n in range(count):
        rdir.push_chunk(volume, cid, CONTENT_ID, "bulk-%09d" % n, MTIME, path="bulk", version=1)


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


def meta1_bases(ns, service):
    """Asked of every meta1 base, as ``admin/has``, ``admin/status`` and
    ``get_properties`` would answer: the bases ``service`` holds a copy of,
    those without a master among their meta0 peers, and those whose
    ``sys.peers`` differ from their meta0 peers."""
    if ns.meta0 is None:
        raise SimError(400, 400, "meta0 is not initialised")
    step = 16 ** (4 - ns.digits)
    held = unhealthy = wrong_peers = 0
    for prefix in range(0, len(ns.meta0), step):
        base = "%04X" % prefix
        peers = sorted(ns.meta0[prefix])
        held += bool(service) and ns.has_copy("meta1", base, service, peers)
        state = ns.election("meta1", base, peers)
        unhealthy += state["master"] not in peers or bool(state.get("stuck"))
        listed = (ns.admin.get(("meta1", base)) or {}).get("sys.peers")
        wrong_peers += listed is not None and listed != ",".join(peers)
    return {"bases": len(ns.meta0) // step, "held": int(held), "unhealthy": int(unhealthy),
            "wrong_peers": int(wrong_peers)}
