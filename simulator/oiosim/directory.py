"""The directory model behind the proxy: its meta0 cache (the high cache),
the meta1 in charge of a reference, and reference links under the service
update policy (seq numbering, services polled by distance), meta0 forcing."""
from .namespace import NUM_PREFIXES, Reference, SimError, location_of, refused

NO_SUCH_USER = "META1 error: no such user"
NO_SERVICE = "META1 error: Query error: found only 0 services matching the criteria"


def last_meta0(ns):
    """The meta0 the proxy tried last: the one its errors name."""
    return (ns.meta0_addrs()[-1:] or ["127.0.0.1:6000"])[0]


def resolve_meta1(ns, cid):
    """meta1 peers of a cid's prefix through the proxy's high cache."""
    if ns.high_cache is None:
        if ns.meta0_crashed:
            raise refused(last_meta0(ns))
        if ns.meta0 is None:
            raise SimError(503, 503, "No META1: Invalid META0 reply (meta0 not initialised)")
        ns.high_cache = ns.meta0
    return list(ns.high_cache[int(cid[:4], 16)])


def meta1_for(ns, cid):
    """The meta1 that answers a reference request. Raises when none can."""
    peers = resolve_meta1(ns, cid)
    if ns.electing(peers):
        # Its master was killed: no peer answers until a new one is elected.
        raise SimError(503, 503, "No meta1 answered")
    live = ns.meta0
    for addr in peers:
        if not ns.peer_alive(addr):
            continue
        if live is None or addr not in live[int(cid[:4], 16)]:
            raise SimError(500, 450, "META1 error: Prefix not managed: %s" % cid[:4])
        return addr
    raise SimError(503, 503, "No meta1 answered")


def get_ref(ns, cid, msg=NO_SUCH_USER):
    ref = ns.refs.get(cid)
    if ref is None:
        raise SimError(404, 406, msg)
    return ref


def ref_to_link(ns, cid, acct, name, autocreate, dryrun=False):
    """The reference a link lands on, created when asked (kept apart on a dry run)."""
    ref = ns.refs.get(cid)
    if ref is not None:
        return ref
    if not (autocreate and acct and name):
        raise SimError(404, 406, NO_SUCH_USER)
    if dryrun:
        return Reference(cid, acct, name)
    return ns.create_ref(acct, name)


def dir_entries(ns, cid):
    out = [{"seq": 1, "type": "meta0", "host": a, "args": ""} for a in ns.meta0_addrs()]
    for a in resolve_meta1(ns, cid):
        out.append({"seq": 1, "type": "meta1", "host": a, "args": ""})
    return out


def link(ns, ref, stype, renew, dryrun):
    """Entries answered to reference/link (renew: reference/renew)."""
    current = ns.linked(ref, stype)
    policy, replicas, dist = ns.policy.get(stype, ("KEEP", 1, 1))
    if current and not renew:
        up = [e for e in current if any(ns.host_up(h) for h in e[2].split(","))]
        if up:
            return up
    if current and policy == "KEEP":
        return current
    if stype not in ns.types:
        raise SimError(400, 400, "%s: pool [%s] not found" % (NO_SERVICE, stype))
    avoid = [location_of(ns.find(h)) for e in current for h in e[2].split(",")
             if ns.find(h)]
    chosen = ns.poll_services(stype, replicas, dist, avoid)
    if not chosen:
        raise SimError(403, 481, NO_SERVICE)
    seq = max([e[0] for e in current] or [0]) + 1
    entry = [seq, stype, ",".join(s["id"] or s["addr"] for s in chosen), ""]
    if dryrun:
        return [entry]
    ns.before_link_change(ref, stype)
    if policy == "REPLACE":
        ref.services = [e for e in ref.services if e[1] != stype]
    ref.services.append(entry)
    return [entry]


def force_link(ns, ref, entry, replace):
    """Set a [seq, type, host, args] entry as given (reference/force)."""
    seq, stype = entry[0], entry[1]
    existing = [e for e in ref.services if e[1] == stype and e[0] == seq]
    if existing and not replace:
        raise SimError(403, 455, "META1 error: (SQLITE_CONSTRAINT) UNIQUE constraint "
                       "failed: services.cid, services.srvtype, services.seq")
    ns.before_link_change(ref, stype)
    if existing:
        ref.services[ref.services.index(existing[0])] = entry
    else:
        ref.services.append(entry)


def unlink(ns, ref, stype):
    """Drop a type's links and the properties that belong to it."""
    ns.before_link_change(ref, stype)
    ref.services = [e for e in ref.services if e[1] != stype]
    for k in [k for k in ref.props if k.startswith(stype + ".")]:
        del ref.props[k]


def relink(ns, ref, stype, kept, replaced, dryrun):
    """Replace the ``replaced`` hosts of a link, keeping the ``kept`` ones.
    Returns the new entry."""
    seq = (kept or replaced).get("seq")
    khosts = [h for h in (kept.get("host") or "").split(",") if h]
    rhosts = [h for h in (replaced.get("host") or "").split(",") if h]
    current = [e for e in ref.services if e[1] == stype and e[0] == seq]
    have = sorted(h for e in current for h in e[2].split(","))
    if sorted(khosts + rhosts) != have:
        raise SimError(500, 407, "META1 error: services changed")
    dummy, replicas, dist = ns.policy.get(stype, ("KEEP", 1, 1))
    if len(khosts) >= replicas and rhosts:
        raise SimError(500, 481, "META1 error: Too many services kept")
    avoid = [location_of(ns.find(h)) for h in khosts + rhosts if ns.find(h)]
    cands = ns.poll_services(stype, len(rhosts), dist, avoid)
    cands = [c for c in cands if (c["id"] or c["addr"]) not in rhosts]
    if len(cands) < len(rhosts):
        raise SimError(500, 481, "META1 error: found only %d services matching the "
                       "criteria" % len(cands))
    entry = [seq, stype, ",".join(khosts + [c["id"] or c["addr"] for c in cands]),
             (kept or replaced).get("args", "")]
    if not dryrun:
        ns.before_link_change(ref, stype)
        ref.services = [e for e in ref.services if e not in current] + [entry]
    return entry


def check_meta0(ns):
    """Raise the error the proxy answers when no meta0 can serve."""
    if ns.meta0_crashed:
        raise refused(last_meta0(ns))
    if not any(ns.peer_alive(a) for a in ns.meta0_addrs()):
        raise SimError(503, 503, "No meta0 answered")


def force_meta0(ns, body, valid_prefix):
    """Apply a {prefix: [addr, ...]} mapping; ``valid_prefix(key)`` tells the
    keys meta0 parses. A malformed list crashes meta0 when it is set to."""
    changes = {}
    for key, addrs in body.items():
        if not isinstance(addrs, list) or not all(isinstance(a, str) for a in addrs):
            if ns.crash_on_bad_payload:
                ns.meta0_crashed = True
                ns.high_cache = None
                # 2026.14 crashes every meta0 on it and reports status 10.
                if ns.modern:
                    raise SimError(503, 10, "EOF while reading response size from %s: (0) "
                                   "Success" % last_meta0(ns), {"Retry-After": "1"})
                raise SimError(503, 9, "EOF while reading response size from %s" % last_meta0(ns),
                               {"Retry-After": "1"})
            raise SimError(400, 400, "Invalid mapping for prefix [%s]" % key)
        if not valid_prefix(key):
            # The meta0 parser turns invalid hex into garbage it ignores.
            continue
        changes[int(key.ljust(4, "0"), 16)] = tuple(addrs)
    mapping = list(ns.meta0) if ns.meta0 is not None else [None] * NUM_PREFIXES
    for p, addrs in changes.items():
        mapping[p] = addrs
    if ns.meta0 is None:
        for p in range(NUM_PREFIXES):
            if mapping[p] is None:
                raise SimError(503, 503, "The current META0 service is not ready yet, it "
                               "has been partially initiated. Nothing found for prefix "
                               "%04X" % p)
    ns.set_meta0(mapping)
