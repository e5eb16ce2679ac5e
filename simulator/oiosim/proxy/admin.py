"""admin/* routes on one sqliterepo base (meta0, meta1, meta2, sqlx): asked
of every peer (RUN_ALL), of the given ones (SPECIFIED) or of the master
(PREFER_MASTER)."""
from .. import directory
from ..core import Response, Write
from ..namespace import CONNREFUSED, SimError, refused
from .common import ADDR, json_body, url_of

NOT_FOUND = "Container not found : (2) No such file or directory"


def admin_target(ns, query, route):
    """(type, base, peers) of an admin request."""
    stype = query.get("type")
    if not stype:
        raise SimError(400, 400, "No service type")
    cid, dummy, dummy = url_of(ns, query, prefix="Directory error: ")
    if stype == "meta0":
        return stype, ns.name, ns.meta0_addrs()
    if stype == "meta1":
        base = cid[:4] if route in ("get_properties", "copy") else ns.base_of(cid)
        if "service_id" in query:
            return stype, base, []
        return stype, base, directory.resolve_meta1(ns, base.ljust(64, "0"))
    base = cid + ".1"
    if "service_id" in query:
        return stype, base, []
    ref = ns.refs.get(cid)
    peers = []
    if ref is not None:
        for e in ns.linked(ref, stype):
            for h in e[2].split(","):
                svc = ns.find(h)
                a = svc["addr"] if svc else h
                if a not in peers:
                    peers.append(a)
    if not peers:
        raise SimError(404, 431, "No service located")
    return stype, base, peers


def _peer_list(req, peers):
    sid = req.query.get("service_id")
    if sid is not None:
        return [p for p in sid.split(",") if p]
    return peers


def run_all(ns, req, route, action):
    """RUN_ALL / SPECIFIED mode: per-peer map. action(stype, base, peers, addr)
    -> (status, message, body)."""
    stype, base, peers = admin_target(ns, req.query, route)
    targets = _peer_list(req, peers)
    if not targets:
        raise SimError(404, 431, "No service located")
    out = {}
    for addr in targets:
        if not ns.peer_alive(addr):
            out[addr] = {"status": {"status": 2, "message": CONNREFUSED}, "body": ""}
            continue
        code, msg, body = action(stype, base, peers or targets, addr)
        if code in (503, 504, 509, 305):
            raise SimError(503, code, msg, {"Retry-After": "1"})
        out[addr] = {"status": {"status": code, "message": "OK" if code == 200 else msg},
                     "body": body if code == 200 else ""}
    return Response(200, out)


def _election_failed(base, stype):
    return "Election failed for %s.%s" % (base, stype)


def _elect(ns, stype, base, peers):
    """The election of a base; raises when it is stuck."""
    st = ns.election(stype, base, peers)
    if st["stuck"]:
        # The real proxy waits for the election about 20 s, then gives up.
        raise SimError(503, 503, "Election failed [%s][%s]" % (base, stype))
    return st


def prefer_master(ns, req, route, action):
    """PREFER_MASTER mode; with service_id it becomes SPECIFIED.
    action(stype, base, peers, addr) changes the base."""
    if "service_id" in req.query:
        def each(stype, base, peers, addr):
            action(stype, base, peers, addr)
            return 200, "OK", ""
        return run_all(ns, req, route, each)
    stype, base, peers = admin_target(ns, req.query, route)
    if ns.election_failed(stype, base):
        raise SimError(500, 500, _election_failed(base, stype))
    alive = [p for p in peers if ns.peer_alive(p)]
    if not alive:
        raise refused(peers[0] if peers else "?")
    st = _elect(ns, stype, base, peers)
    action(stype, base, peers, st["master"] or alive[0])
    if ns.modern and route in ("set_properties", "del_properties"):
        return Response(204)
    return Response(200, {})


def _not_managed(ns, stype, base, addr):
    """A meta1 asked about a base meta0 does not map to it."""
    if ns.manages(stype, base, addr):
        return None
    return 431, "Election error: get_peers(%s,%s): Base not managed" % (base, stype), ""


def _status_of(ns, stype, base, peers, addr):
    if ns.election_failed(stype, base):
        return 500, _election_failed(base, stype), ""
    not_managed = _not_managed(ns, stype, base, addr)
    if not_managed:
        return not_managed
    if len(peers) <= 1:
        return 200, "OK", ""
    st = ns.election(stype, base, peers)
    if st["stuck"]:
        # The peers wait for a master that no longer serves the base.
        return 500, _election_failed(base, stype), ""
    if st["master"] == addr or st["master"] is None:
        return 200, "OK", ""
    return 303, st["master"], ""


def status(ns, req):
    return run_all(ns, req, "status", lambda *args: _status_of(ns, *args))


def ping(ns, req):
    def act(stype, base, peers, addr):
        not_managed = _not_managed(ns, stype, base, addr)
        if not_managed:
            return not_managed
        if not ns.election_failed(stype, base) and len(peers) > 1:
            ns.election(stype, base, peers)
        return 200, "OK", ""
    return run_all(ns, req, "ping", act)


def leave(ns, req):
    def act(stype, base, peers, addr):
        ns.leave(stype, base, [addr])
        return 200, "OK", ""
    return run_all(ns, req, "leave", act)


def sync(ns, req):
    def act(stype, base, peers, addr):
        if ns.election_failed(stype, base):
            return 503, _election_failed(base, stype), ""
        code, msg, dummy = _status_of(ns, stype, base, peers, addr)
        if code == 500:
            return 503, msg, ""
        if code == 200:
            return 301, "not SLAVE", ""
        if code != 303:
            return code, msg, ""
        ns.set_copy(stype, base, addr, True, peers)
        return 200, "OK", ""
    return run_all(ns, req, "sync", act)


def debug(ns, req):
    def act(stype, base, peers, addr):
        st = ns.elections.get((stype, base))
        if st is None or st["master"] is None:
            return 200, "OK", None
        state = "MASTER" if st["master"] == addr else "SLAVE"
        ids = {p: i for i, p in enumerate(sorted(peers))}
        body = {"local": {"id": ids.get(addr, 0), "url": addr, "state": state},
                # A master reports itself with a null master url.
                "master": {"id": ids.get(st["master"], 0),
                           "url": None if state == "MASTER" else st["master"]},
                "base": {"name": base, "type": stype,
                         "zk": "/hc/ns/%s/el/%s/%s" % (ns.name, stype, base),
                         "zk_server": "127.0.0.1:2181"},
                "#": {"refcount": 1, "pipefrom": 0, "getvers": 0,
                      "seconds_since_last_access": 0, "seconds_since_last_status": 0},
                "peers": [p for p in peers if p != addr],
                "log": ["0:NONE:NONE:CREATING", "0:CHECKING_MASTER:GETVERS_OK:" + state]}
        return 200, "OK", body
    return run_all(ns, req, "debug", act)


def has(ns, req):
    def act(stype, base, peers, addr):
        if ns.has_copy(stype, base, addr, peers):
            path = ns.base_path(stype, base, addr)
            # 2026.14 adds the file's mtime.
            return 200, "OK", "%s:%d" % (path, ns.base_mtime(stype, base)) if ns.modern \
                else path
        return 431, NOT_FOUND, ""
    return run_all(ns, req, "has", act)


def info(ns, req):
    def act(stype, base, peers, addr):
        server = {"threads": {"active": 1}, "connections": {"clients": 1}}
        if ns.modern:
            server["memory_usage"] = 59289600
        return 200, "OK", {"sqlite": ["VERSION_RUNTIME=3.40.1"],
                           "sqliterepo": {"width": 2, "depth": 1, "vacuum": False,
                                          "delete": True},
                           "replication": "QUORUM",
                           "elections": {"total": 0, "none": 0, "pending": 0,
                                         "failed": 0, "slave": 0, "master": 0},
                           "cache": {"max": 1024, "soft_max": 1024, "hot": 0,
                                     "cold": 0, "used": 0},
                           "server": server,
                           "version": "2026.14.2/2026.14" if ns.modern else "7.3.0/7.3"}
    return run_all(ns, req, "info", act)


def drop_cache(ns, req):
    return run_all(ns, req, "drop_cache", lambda *args: (200, "OK", ""))


def remove(ns, req):
    if not req.query.get("service_id"):
        raise SimError(400, 400, "No service ID")

    def act(stype, base, peers, addr):
        every_peer = _all_peers(ns, req, stype, base)
        held = ns.has_copy(stype, base, addr, every_peer)
        ns.set_copy(stype, base, addr, False, every_peer)
        if ns.modern:
            return 200, "OK", {"deleted": held}
        return 200, "OK", ""
    return run_all(ns, req, "remove", act)


def _all_peers(ns, req, stype, base):
    """The peers of the base, whatever service_id names."""
    query = dict(req.query)
    query.pop("service_id", None)
    try:
        return admin_target(ns, query, "status")[2]
    except SimError:
        return []


def _on_master(route):
    """A route sent to the master that leaves the simulated base as it is."""
    def handler(ns, req):
        return prefer_master(ns, req, route, lambda *args: None)
    return handler


def _props_body(req):
    body = json_body(req)
    if not isinstance(body, dict):
        raise SimError(400, 400, "Not an object")
    props, system = body.get("properties"), body.get("system")
    if props is None and system is None:
        raise SimError(400, 400, "No properties found in JSON object")
    changes = {}
    for group, prefix in ((props, "user."), (system, "")):
        if group is None:
            continue
        if not isinstance(group, dict):
            raise SimError(400, 400, "Invalid properties")
        for k, v in group.items():
            if prefix == "" and not (k.startswith("sys.") or k.startswith("user.")):
                raise SimError(400, 400, "Invalid property name [%s]" % k)
            if v is not None and not isinstance(v, str):
                raise SimError(400, 400, "Invalid property value for [%s]" % k)
            changes[prefix + k] = v
    return changes


def set_properties(ns, req):
    changes = _props_body(req)
    flush = req.flag("flush")
    return prefer_master(ns, req, "set_properties", lambda stype, base, peers, addr:
                         ns.set_admin_props(stype, base, peers, changes, flush))


def del_properties(ns, req):
    body = json_body(req)
    if not isinstance(body, list):
        raise SimError(400, 400, "Bad names")
    return prefer_master(ns, req, "del_properties", lambda stype, base, peers, addr:
                         ns.del_admin_props(stype, base, peers, body))


def get_properties(ns, req):
    stype, base, peers = admin_target(ns, req.query, "get_properties")
    if "service_id" not in req.query and ns.election_failed(stype, base):
        # Without service_id the proxy asks the master, like the writes.
        raise SimError(500, 500, _election_failed(base, stype))
    targets = _peer_list(req, peers)
    # Named by service_id, the peers of the base are still the directory's.
    peers = peers or _all_peers(ns, req, stype, base)
    for addr in targets:
        if not ns.peer_alive(addr):
            continue
        if not ns.has_copy(stype, base, addr, peers):
            raise SimError(404, 431, NOT_FOUND)
        tab = ns.admin_table(stype, base, peers)
        props = {k[5:]: v for k, v in tab.items() if k.startswith("user.")}
        system = {k: v for k, v in tab.items() if not k.startswith("user.")}
        system.update({"stats.page_count": "12", "stats.freelist_count": "0",
                       "stats.page_size": "4096"})
        if ns.modern:
            system["stats.journal_mode"] = "memory"
        return Response(200, {"properties": props, "system": system})
    raise refused(targets[0] if targets else "?")


def copy(ns, req):
    body = json_body(req)
    if not isinstance(body, dict) or not isinstance(body.get("to"), str):
        raise SimError(400, 400, "Missing target")
    to = body["to"]
    if not ADDR.match(to):
        raise SimError(400, 400, "Invalid target URL")
    stype, base, peers = admin_target(ns, req.query, "copy")
    src = body.get("from")
    if src is None:
        alive = [p for p in peers if ns.peer_alive(p)]
        if not alive:
            raise refused(peers[0] if peers else to)
        st = _elect(ns, stype, base, peers)
        if not ns.has_copy(stype, base, st["master"] or alive[0], peers):
            raise SimError(404, 431, NOT_FOUND)
        if not ns.peer_alive(to):
            raise refused(to)
        ns.set_copy(stype, base, to, True, peers)
        return Response(200, {})
    for addr in (to, src):
        if not ns.peer_alive(addr):
            raise refused(addr)
    if not ns.has_copy(stype, base, src, peers):
        raise SimError(404, 431, NOT_FOUND)
    if ns.modern:
        _check_copy_target(ns, stype, base, to, src, peers)
    ns.set_copy(stype, base, to, True, peers)
    return Response(204)


def _check_copy_target(ns, stype, base, to, src, peers):
    """2026.14 refuses to overwrite a master's base (473), or the base of a
    peer that follows another master than the source (472)."""
    st = ns.elections.get((stype, base))
    master = st["master"] if st else None
    if master is None:
        return
    if master == to:
        raise SimError(500, 473, "Copy refused: %s is the master of %s.%s" % (to, base, stype))
    # Only a peer that holds the base takes part in its election.
    if master != src and ns.has_copy(stype, base, to, peers) and \
            ns.election_member(stype, base, to):
        raise SimError(500, 472, "Copy refused: %s follows master %s, not %s"
                       % (to, master, src))


# admin/status, has, debug, info and get_properties only read a base.
ROUTES = {
    ("POST", "admin/" + name): Write(handler) for name, handler in (
        ("ping", ping), ("leave", leave), ("sync", sync), ("drop_cache", drop_cache),
        ("remove", remove), ("set_properties", set_properties),
        ("del_properties", del_properties), ("copy", copy))}
ROUTES.update((("POST", "admin/" + name), handler) for name, handler in (
    ("status", status), ("debug", debug), ("has", has), ("info", info),
    ("get_properties", get_properties)))
ROUTES.update((("POST", "admin/" + name), Write(_on_master(name)))
              for name in ("vacuum", "freeze", "enable", "disable"))
