"""The simulated oio-proxy: `/v3.0/...` routes over a Namespace."""
import re

from .core import Response, error
from .namespace import (NUM_PREFIXES, SimError, parse_targets,
                        location_of, lb_distance)

_HEX64 = re.compile(r"^[0-9A-Fa-f]{64}$")
_HEX = re.compile(r"^[0-9A-Fa-f]{1,4}$")
_ADDR = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}$")
# Namespace configuration of the captured lab (conscience_info transcript).
STORAGE_POLICIES = {
    "17COPIES": "rawx17:DUP17",
    "TWOCOPIES": "rawx2:DUPONETWO",
    "SINGLE": "NONE:NONE",
    "THREECOPIES": "rawx3:DUPONETHREE",
    "ECX21": "NONE:ECX21",
    "EC21": "NONE:EC21",
    "BACKBLAZE": "NONE:BACKBLAZE",
    "EC": "NONE:EC"
}
SERVICE_POOLS = {
    "zonedrawx3": "1,rawx-europe,rawx;1,rawx-usa,rawx;1,rawx-asia,rawx",
    "rawx2": "1,rawx-even,rawx;1,rawx-odd,rawx;warn_dist=0",
    "meta2": "1,meta2",
    "rawxevenodd": "1,rawx-even;1,rawx-odd",
    "meta1": "3,meta1",
    "rawx3faraway": "3,rawx;min_dist=2;warn_dist=2",
    "rawx3nearby": "3,rawx;nearby_mode=true;warn_dist=0",
    "fastrawx3": "3,rawx-ssd,rawx",
    "rawx3": "1,rawx-even,rawx;1,rawx-odd,rawx;1,rawx;max_dist=2;warn_dist=0",
    "account": "1,account"
}
DATA_SECURITY = {
    "DUPONETWO": "plain/min_dist=1,nb_copy=2",
    "DUP17": "plain/min_dist=1,nb_copy=17",
    "EC21": "ec/k=2,m=1,algo=liberasurecode_rs_vand,min_dist=1,warn_dist=0",
    "DUPONETHREE": "plain/max_dist=2,min_dist=1,nb_copy=3",
    "ECX21": "ec/k=2,m=1,algo=liberasurecode_rs_vand,min_dist=0,max_dist=2,warn_dist=0",
    "EC": "ec/k=6,m=3,algo=liberasurecode_rs_vand,min_dist=1",
    "BACKBLAZE": "backblaze/account_id=None,bucket_name=None,min_dist=0,nb_copy=1"
}
NO_HANDLER = {"status": 404, "message": "No handler found"}
CONNREFUSED = "[errno=111] Connection refused"

# (method, route) of the routes that change state: every request to them is
# recorded in the write log, whatever its outcome.
WRITE_ROUTES = frozenset([
    ("POST", "reference/" + a) for a in (
        "create", "destroy", "link", "renew", "unlink", "force", "relink",
        "set_properties", "del_properties")] + [
    ("POST", "admin/" + a) for a in (
        "meta0_force", "ping", "leave", "sync", "copy", "remove", "set_properties",
        "del_properties", "vacuum", "freeze", "enable", "disable", "drop_cache")] + [
    ("POST", "conscience/" + a) for a in (
        "register", "lock", "unlock", "deregister", "flush")] + [
    ("POST", "lb/create_pool"), ("POST", "lb/reload"),
    ("POST", "cache/flush/high"), ("POST", "cache/flush/low"), ("POST", "cache/flush/local"),
    ("POST", "config")] + [
    ("POST", "forward/" + a) for a in (
        "config", "flush", "reload", "lean-glib", "lean-sqlx", "kill", "balance-masters")])


def _json_body(req):
    try:
        return req.json()
    except (ValueError, UnicodeDecodeError):
        raise SimError(400, 400, "Invalid JSON")


def _ok(body=None, status=200):
    if body is None:
        return Response(204 if status == 200 else status)
    return Response(status, body)


class Proxy(object):

    def __init__(self, ns):
        self.ns = ns
        self.routes = {}
        for name in dir(self):
            if name.startswith("r_"):
                method, _unused, route = name[2:].partition("_")
                route = route.replace("__", "/").replace("_dash_", "-")
                self.routes[(method.upper(), route)] = getattr(self, name)

    # ------------------------------------------------------------------ dispatch
    def route_of(self, req):
        """(route name, needs_ns_check namespace) or (None, None)."""
        parts = req.path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "v3.0" or len(req.path) > 2048:
            return None, None
        rest = parts[1:]
        if rest[0] in ("cache", "forward", "status", "config"):
            return "/".join(rest), None
        if len(rest) < 3:
            return None, None
        return "/".join(rest[1:]), rest[0]

    def is_write(self, req):
        route, _unused = self.route_of(req)
        return route is not None and (req.method, route) in WRITE_ROUTES

    def handle(self, req):
        route, nsname = self.route_of(req)
        handler = self.routes.get((req.method, route)) if route else None
        if handler is None:
            return Response(404, dict(NO_HANDLER), reason="No handler found")
        if nsname is not None and nsname != self.ns.name:
            return error(400, 400, "Invalid parameter 'namespace'")
        try:
            return handler(req)
        except SimError as exc:
            resp = error(exc.http, exc.status, exc.message)
            for k, v in exc.headers.items():
                if v is None:
                    resp.headers.pop(k, None)
                else:
                    resp.headers[k] = v
            return resp

    # ------------------------------------------------------------------ helpers
    def url(self, req, need_ref=False, prefix="No META1: "):
        """Location of the request: (cid, account, name)."""
        q = req.query
        if "cid" in q:
            cid = q["cid"]
            if len(cid) >= 65 and cid[64] == ".":
                cid = cid[:64]
            elif 1 <= len(cid) <= 4 and _HEX.match(cid):
                cid = cid.ljust(64, "0")
            if not _HEX64.match(cid):
                raise SimError(400, 400, "Invalid oio url")
            if need_ref:
                raise SimError(400, 400, "%sPartial URL" % prefix)
            return cid.upper(), None, None
        acct, ref = q.get("acct"), q.get("ref")
        if not acct or not ref:
            raise SimError(400, 400, "%sIncomplete URL [%s/%s]" % (
                prefix, self.ns.name, acct or ""))
        from .namespace import compute_cid
        return compute_cid(acct, ref), acct, ref

    def resolve_meta1(self, cid):
        """meta1 peers of a cid's prefix through the proxy's high cache."""
        ns = self.ns
        if ns.high_cache is None:
            if ns.meta0_crashed:
                last = ns.meta0_addrs()[-1:] or ["127.0.0.1:6000"]
                raise SimError(503, 2, "%s: %s" % (last[0], CONNREFUSED), {"Retry-After": "1"})
            if ns.meta0 is None:
                raise SimError(503, 503, "No META1: Invalid META0 reply (meta0 not initialised)")
            ns.high_cache = ns.meta0
        return list(ns.high_cache[int(cid[:4], 16)])

    def meta1_call(self, cid):
        """The meta1 that answers a reference request. Raises when none can."""
        peers = self.resolve_meta1(cid)
        live = self.ns.meta0
        for addr in peers:
            if not self.ns.peer_alive(addr):
                continue
            if live is None or addr not in live[int(cid[:4], 16)]:
                raise SimError(500, 450, "META1 error: Prefix not managed: %s" % cid[:4])
            return addr
        raise SimError(503, 503, "No meta1 answered")

    def get_ref(self, cid, msg="META1 error: no such user"):
        ref = self.ns.refs.get(cid)
        if ref is None:
            raise SimError(404, 406, msg)
        return ref

    def dir_entries(self, cid):
        out = [{"seq": 1, "type": "meta0", "host": a, "args": ""} for a in self.ns.meta0_addrs()]
        for a in self.resolve_meta1(cid):
            out.append({"seq": 1, "type": "meta1", "host": a, "args": ""})
        return out

    # ------------------------------------------------------------------ reference
    def r_post_reference__create(self, req):
        body = _json_body(req)
        cid, acct, name = self.url(req, need_ref=True)
        props = {}
        if isinstance(body, dict) and isinstance(body.get("properties"), dict):
            for k, v in body["properties"].items():
                if v is not None and not isinstance(v, str):
                    raise SimError(400, 400, "Invalid property value for [%s]" % k)
                props[k] = v or ""
        self.meta1_call(cid)
        if cid in self.ns.refs:
            return Response(202, reason="Already Accepted")
        ref = self.ns.create_ref(acct, name)
        ref.props.update({k: v for k, v in props.items() if v})
        return Response(201)

    def r_post_reference__destroy(self, req):
        cid, _unused, _unused = self.url(req)
        self.meta1_call(cid)
        ref = self.get_ref(cid, "META1 error: Query error: no such user")
        if not req.flag("force"):
            if ref.services:
                raise SimError(403, 407, "META1 error: Query error: User still linked to services")
            if ref.props:
                raise SimError(403, 407, "META1 error: Query error: User still has properties")
        del self.ns.refs[cid]
        return Response(204)

    def r_get_reference__show(self, req):
        cid, _unused, _unused = self.url(req)
        self.meta1_call(cid)
        ref = self.get_ref(cid)
        stype = req.query.get("type")
        entries = [e for e in ref.services if not stype or e[1] == stype]
        return Response(200, {"dir": self.dir_entries(cid), "srv": self.ns.expand(entries),
                              "cid": cid, "account": ref.account, "name": ref.name})

    def r_post_reference__get_properties(self, req):
        body = _json_body(req)
        cid, _unused, _unused = self.url(req)
        if body is not None and not isinstance(body, list):
            raise SimError(400, 400, "Invalid JSON array")
        if body and not all(isinstance(k, str) for k in body):
            raise SimError(400, 400, "Invalid property name")
        self.meta1_call(cid)
        ref = self.get_ref(cid)
        if body:
            props = {k: ref.props[k] for k in body if k in ref.props}
        else:
            props = dict(ref.props)
        return Response(200, {"cid": cid, "properties": props})

    def r_post_reference__set_properties(self, req):
        body = _json_body(req)
        cid, _unused, _unused = self.url(req)
        if not isinstance(body, dict) or "properties" not in body:
            raise SimError(400, 400, 'No "properties" field')
        props = body["properties"]
        if not isinstance(props, dict):
            raise SimError(400, 400, "Invalid properties")
        for k, v in props.items():
            if not k:
                raise SimError(400, 400, "Empty property name")
            if v is not None and not isinstance(v, str):
                raise SimError(400, 400, "Invalid property value for [%s]" % k)
        self.meta1_call(cid)
        ref = self.get_ref(cid)
        if "flush" in req.query:
            ref.props.clear()
        for k, v in props.items():
            if v:
                ref.props[k] = v
            else:
                ref.props.pop(k, None)
        return Response(204)

    def r_post_reference__del_properties(self, req):
        body = _json_body(req)
        cid, _unused, _unused = self.url(req)
        if body is not None and not isinstance(body, list):
            raise SimError(400, 400, "Invalid JSON array")
        self.meta1_call(cid)
        ref = self.get_ref(cid)
        if not body:
            ref.props.clear()
        else:
            for k in body:
                if isinstance(k, str):
                    ref.props.pop(k, None)
        return Response(204)

    def _link(self, req, renew):
        cid, acct, name = self.url(req)
        stype = req.query.get("type")
        if not stype:
            raise SimError(400, 400, "No service type provided")
        self.meta1_call(cid)
        ns = self.ns
        ref = ns.refs.get(cid)
        if ref is None:
            if not (req.flag("autocreate") and acct and name):
                raise SimError(404, 406, "META1 error: no such user")
            if req.flag("dryrun"):
                from .namespace import Reference
                ref = Reference(cid, acct, name)
            else:
                ref = ns.create_ref(acct, name)
        current = ns.linked(ref, stype)
        policy, replicas, dist = ns.policy.get(stype, ("KEEP", 1, 1))
        if current and not renew:
            up = [e for e in current if any(ns.host_up(h) for h in e[2].split(","))]
            if up:
                return Response(200, ns.expand(up))
        if current and policy == "KEEP":
            return Response(200, ns.expand(current))
        if stype not in ns.types:
            raise SimError(400, 400, "META1 error: Query error: found only 0 services "
                           "matching the criteria: pool [%s] not found" % stype)
        avoid = [location_of(ns.find(h)) for e in current for h in e[2].split(",")
                 if ns.find(h)]
        chosen = ns.poll_services(stype, replicas, dist, avoid)
        if not chosen:
            raise SimError(403, 481, "META1 error: Query error: found only 0 services "
                           "matching the criteria")
        seq = max([e[0] for e in current] or [0]) + 1
        entry = [seq, stype, ",".join(s["id"] or s["addr"] for s in chosen), ""]
        if req.flag("dryrun"):
            return Response(200, ns.expand([entry]))
        ns.before_link_change(ref, stype)
        if policy == "REPLACE":
            ref.services = [e for e in ref.services if e[1] != stype]
        ref.services.append(entry)
        return Response(200, ns.expand([entry]))

    def r_post_reference__link(self, req):
        return self._link(req, renew=False)

    def r_post_reference__renew(self, req):
        return self._link(req, renew=True)

    def r_post_reference__force(self, req):
        body = _json_body(req)
        cid, acct, name = self.url(req)
        if not isinstance(body, dict):
            raise SimError(400, 400, "Not an object")
        for key, kind in (("seq", int), ("type", str), ("host", str), ("args", str)):
            if key not in body:
                raise SimError(400, 400, "Missing field [%s]" % key)
            if not isinstance(body[key], kind) or isinstance(body[key], bool):
                raise SimError(400, 400, "Invalid field [%s]" % key)
        if not req.query.get("type"):
            raise SimError(400, 400, "No service type provided")
        self.meta1_call(cid)
        ns = self.ns
        ref = ns.refs.get(cid)
        if ref is None:
            if not (req.flag("autocreate") and acct and name):
                raise SimError(404, 406, "META1 error: no such user")
            ref = ns.create_ref(acct, name)
        seq, stype = body["seq"], body["type"]
        existing = [e for e in ref.services if e[1] == stype and e[0] == seq]
        if existing and not req.flag("replace"):
            raise SimError(403, 455, "META1 error: (SQLITE_CONSTRAINT) UNIQUE constraint "
                           "failed: services.cid, services.srvtype, services.seq")
        ns.before_link_change(ref, stype)
        entry = [seq, stype, body["host"], body["args"]]
        if existing:
            ref.services[ref.services.index(existing[0])] = entry
        else:
            ref.services.append(entry)
        return Response(204)

    def r_post_reference__unlink(self, req):
        cid, _unused, _unused = self.url(req)
        stype = req.query.get("type")
        if not stype:
            raise SimError(400, 400, "No service type provided")
        self.meta1_call(cid)
        ref = self.get_ref(cid)
        self.ns.before_link_change(ref, stype)
        ref.services = [e for e in ref.services if e[1] != stype]
        for k in [k for k in ref.props if k.startswith(stype + ".")]:
            del ref.props[k]
        return Response(204)

    def r_post_reference__relink(self, req):
        body = _json_body(req)
        cid, _unused, _unused = self.url(req)
        stype = req.query.get("type")
        if not stype:
            raise SimError(400, 400, "No service type provided")
        if not isinstance(body, dict) or not (body.get("kept") or body.get("replaced")):
            raise SimError(400, 400, "Missing kept/replaced")
        self.meta1_call(cid)
        ns = self.ns
        ref = self.get_ref(cid)
        kept, replaced = body.get("kept") or {}, body.get("replaced") or {}
        seq = (kept or replaced).get("seq")
        khosts = [h for h in (kept.get("host") or "").split(",") if h]
        rhosts = [h for h in (replaced.get("host") or "").split(",") if h]
        current = [e for e in ref.services if e[1] == stype and e[0] == seq]
        have = sorted(h for e in current for h in e[2].split(","))
        if sorted(khosts + rhosts) != have:
            raise SimError(500, 407, "META1 error: services changed")
        policy, replicas, dist = ns.policy.get(stype, ("KEEP", 1, 1))
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
        if not req.flag("dryrun"):
            ns.before_link_change(ref, stype)
            ref.services = [e for e in ref.services if e not in current] + [entry]
        return Response(200, ns.expand([entry]))

    # ------------------------------------------------------------------ meta0
    def _meta0_check(self):
        ns = self.ns
        if ns.meta0_crashed:
            last = ns.meta0_addrs()[-1:] or ["127.0.0.1:6000"]
            raise SimError(503, 2, "%s: %s" % (last[0], CONNREFUSED), {"Retry-After": "1"})
        if not any(ns.peer_alive(a) for a in ns.meta0_addrs()):
            raise SimError(503, 503, "No meta0 answered")

    def r_get_admin__meta0_list(self, req):
        self._meta0_check()
        return Response(200, self.ns.meta0_list_bytes(),
                        headers={"Content-Type": "application/json"})

    def r_post_admin__meta0_force(self, req):
        ns = self.ns
        self._meta0_check()
        if not req.body.strip():
            raise SimError(400, 400, "Empty JSON mapping")
        body = _json_body(req)
        if not isinstance(body, dict):
            raise SimError(400, 400, "Invalid JSON mapping")
        changes = {}
        for key, addrs in body.items():
            if not isinstance(addrs, list) or not all(isinstance(a, str) for a in addrs):
                if ns.crash_on_bad_payload:
                    ns.meta0_crashed = True
                    ns.high_cache = None
                    last = ns.meta0_addrs()[-1:] or ["127.0.0.1:6000"]
                    raise SimError(503, 9, "EOF while reading response size from %s" % last[0],
                                   {"Retry-After": "1"})
                raise SimError(400, 400, "Invalid mapping for prefix [%s]" % key)
            if not _HEX.match(key):
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
        return Response(204)

    # ------------------------------------------------------------------ admin
    def admin_target(self, req, route):
        """(type, base, peers) of an admin request."""
        ns = self.ns
        stype = req.query.get("type")
        if not stype:
            raise SimError(400, 400, "No service type")
        cid, _unused, _unused = self.url(req, prefix="Directory error: ")
        if stype == "meta0":
            return stype, ns.name, ns.meta0_addrs()
        if stype == "meta1":
            if route in ("get_properties", "copy"):
                base = cid[:4]
            else:
                base = ns.base_of(cid)
            if "service_id" in req.query:
                return stype, base, []
            return stype, base, self.resolve_meta1(base.ljust(64, "0"))
        base = cid + ".1"
        if "service_id" in req.query:
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

    def peer_list(self, req, peers):
        sid = req.query.get("service_id")
        if sid is not None:
            return [p for p in sid.split(",") if p]
        return peers

    def net_error(self, addr):
        return {"status": {"status": 2, "message": CONNREFUSED}, "body": ""}

    def run_all(self, req, route, action):
        """RUN_ALL / SPECIFIED mode: per-peer map. action(addr) -> (status, msg, body)."""
        stype, base, peers = self.admin_target(req, route)
        targets = self.peer_list(req, peers)
        if not targets:
            raise SimError(404, 431, "No service located")
        out = {}
        for addr in targets:
            if not self.ns.peer_alive(addr):
                out[addr] = self.net_error(addr)
                continue
            code, msg, body = action(stype, base, peers or targets, addr)
            if code in (503, 504, 509, 305):
                raise SimError(503, code, msg, {"Retry-After": "1"})
            out[addr] = {"status": {"status": code, "message": "OK" if code == 200 else msg},
                         "body": body if code == 200 else ""}
        return Response(200, out)

    def elect(self, stype, base, peers):
        return self.ns.election(stype, base, peers)

    def _not_managed(self, stype, base, addr):
        """A meta1 asked about a base meta0 does not map to it."""
        if self.ns.manages(stype, base, addr):
            return None
        return 431, "Election error: get_peers(%s,%s): Base not managed" % (base, stype), ""

    def _status_of(self, stype, base, peers, addr):
        if self.ns.election_failed(stype, base):
            return 500, "Election failed for %s.%s" % (base, stype), ""
        refused = self._not_managed(stype, base, addr)
        if refused:
            return refused
        if len(peers) <= 1:
            return 200, "OK", ""
        st = self.elect(stype, base, peers)
        if st["stuck"]:
            # The peers wait for a master that no longer serves the base.
            return 500, "Election failed for %s.%s" % (base, stype), ""
        if st["master"] == addr or st["master"] is None:
            return 200, "OK", ""
        return 303, st["master"], ""

    def r_post_admin__status(self, req):
        return self.run_all(req, "status", self._status_of)

    def r_post_admin__ping(self, req):
        def act(stype, base, peers, addr):
            refused = self._not_managed(stype, base, addr)
            if refused:
                return refused
            if not self.ns.election_failed(stype, base) and len(peers) > 1:
                self.elect(stype, base, peers)
            return 200, "OK", ""
        return self.run_all(req, "ping", act)

    def r_post_admin__leave(self, req):
        def act(stype, base, peers, addr):
            self.ns.leave(stype, base, [addr])
            return 200, "OK", ""
        return self.run_all(req, "leave", act)

    def r_post_admin__sync(self, req):
        def act(stype, base, peers, addr):
            if self.ns.election_failed(stype, base):
                return 503, "Election failed for %s.%s" % (base, stype), ""
            code, msg, _unused = self._status_of(stype, base, peers, addr)
            if code == 500:
                return 503, msg, ""
            if code == 200:
                return 301, "not SLAVE", ""
            if code != 303:
                return code, msg, ""
            self.ns.set_copy(stype, base, addr, True, peers)
            return 200, "OK", ""
        return self.run_all(req, "sync", act)

    def r_post_admin__debug(self, req):
        def act(stype, base, peers, addr):
            st = self.ns.elections.get((stype, base))
            if st is None or st["master"] is None:
                return 200, "OK", None
            state = "MASTER" if st["master"] == addr else "SLAVE"
            ids = {p: i for i, p in enumerate(sorted(peers))}
            body = {"local": {"id": ids.get(addr, 0), "url": addr, "state": state},
                    # A master reports itself with a null master url.
                    "master": {"id": ids.get(st["master"], 0),
                               "url": None if state == "MASTER" else st["master"]},
                    "base": {"name": base, "type": stype,
                             "zk": "/hc/ns/%s/el/%s/%s" % (self.ns.name, stype, base),
                             "zk_server": "127.0.0.1:2181"},
                    "#": {"refcount": 1, "pipefrom": 0, "getvers": 0,
                          "seconds_since_last_access": 0, "seconds_since_last_status": 0},
                    "peers": [p for p in peers if p != addr],
                    "log": ["0:NONE:NONE:CREATING", "0:CHECKING_MASTER:GETVERS_OK:" + state]}
            return 200, "OK", body
        return self.run_all(req, "debug", act)

    def _path(self, stype, base, addr):
        svc = self.ns.by_addr.get(addr)
        vol = svc["tags"].get("tag.vol", "/var/lib/oio/sds") if svc else "/var/lib/oio/sds"
        return "%s/%s/%s.%s" % (vol.lstrip("\\"), base[:2], base, stype)

    def r_post_admin__has(self, req):
        def act(stype, base, peers, addr):
            if self.ns.has_copy(stype, base, addr, peers):
                return 200, "OK", self._path(stype, base, addr)
            return 431, "Container not found : (2) No such file or directory", ""
        return self.run_all(req, "has", act)

    def r_post_admin__info(self, req):
        def act(stype, base, peers, addr):
            return 200, "OK", {"sqlite": ["VERSION_RUNTIME=3.40.1"],
                               "sqliterepo": {"width": 2, "depth": 1, "vacuum": False,
                                              "delete": True},
                               "replication": "QUORUM",
                               "elections": {"total": 0, "none": 0, "pending": 0,
                                             "failed": 0, "slave": 0, "master": 0},
                               "cache": {"max": 1024, "soft_max": 1024, "hot": 0,
                                         "cold": 0, "used": 0},
                               "server": {"threads": {"active": 1},
                                          "connections": {"clients": 1}},
                               "version": "7.3.0/7.3"}
        return self.run_all(req, "info", act)

    def r_post_admin__drop_cache(self, req):
        return self.run_all(req, "drop_cache", lambda *a: (200, "OK", ""))

    def r_post_admin__remove(self, req):
        if not req.query.get("service_id"):
            raise SimError(400, 400, "No service ID")

        def act(stype, base, peers, addr):
            self.ns.set_copy(stype, base, addr, False, self._peers_for(req, stype, base))
            return 200, "OK", ""
        return self.run_all(req, "remove", act)

    def _peers_for(self, req, stype, base):
        q = dict(req.query)
        q.pop("service_id", None)
        fake = type(req)(req.method, req.path, "", req.headers)
        fake.query = q
        try:
            return self.admin_target(fake, "status")[2]
        except SimError:
            return []

    def prefer_master(self, req, route, action):
        """PREFER_MASTER mode; with service_id it becomes SPECIFIED."""
        if "service_id" in req.query:
            return self.run_all(req, route, lambda s, b, p, a: (action(s, b, p, a), "OK", ""))
        stype, base, peers = self.admin_target(req, route)
        if self.ns.election_failed(stype, base):
            raise SimError(500, 500, "Election failed for %s.%s" % (base, stype))
        alive = [p for p in peers if self.ns.peer_alive(p)]
        if not alive:
            raise SimError(503, 2, "%s: %s" % (peers[0] if peers else "?", CONNREFUSED),
                           {"Retry-After": "1"})
        st = self.elect(stype, base, peers)
        if st["stuck"]:
            # The real proxy waits for the election about 20 s, then gives up.
            raise SimError(503, 503, "Election failed [%s][%s]" % (base, stype))
        result = action(stype, base, peers, st["master"] or alive[0])
        if isinstance(result, Response):
            return result
        return Response(200, {})

    def _props_body(self, req):
        body = _json_body(req)
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

    def r_post_admin__set_properties(self, req):
        changes = self._props_body(req)
        flush = req.flag("flush")

        def act(stype, base, peers, addr):
            tab = self.ns.admin_table(stype, base, peers)
            if flush:
                for k in [k for k in tab if k.startswith("user.")]:
                    del tab[k]
            for k, v in changes.items():
                if v:
                    tab[k] = v
                else:
                    tab.pop(k, None)
            _bump(tab)
            return 200
        return self.prefer_master(req, "set_properties", act)

    def r_post_admin__del_properties(self, req):
        body = _json_body(req)
        if not isinstance(body, list):
            raise SimError(400, 400, "Bad names")

        def act(stype, base, peers, addr):
            tab = self.ns.admin_table(stype, base, peers)
            for k in body:
                if isinstance(k, str):
                    tab.pop("user." + k, None)
            _bump(tab)
            return 200
        return self.prefer_master(req, "del_properties", act)

    def r_post_admin__get_properties(self, req):
        stype, base, peers = self.admin_target(req, "get_properties")
        targets = self.peer_list(req, peers)
        for addr in targets:
            if not self.ns.peer_alive(addr):
                continue
            if not self.ns.has_copy(stype, base, addr, peers):
                raise SimError(404, 431, "Container not found : (2) No such file or directory")
            tab = self.ns.admin_table(stype, base, peers)
            props = {k[5:]: v for k, v in tab.items() if k.startswith("user.")}
            system = {k: v for k, v in tab.items() if not k.startswith("user.")}
            system.update({"stats.page_count": "12", "stats.freelist_count": "0",
                           "stats.page_size": "4096"})
            return Response(200, {"properties": props, "system": system})
        raise SimError(503, 2, "%s: %s" % (targets[0] if targets else "?", CONNREFUSED),
                       {"Retry-After": "1"})

    def r_post_admin__copy(self, req):
        body = _json_body(req)
        if not isinstance(body, dict) or not isinstance(body.get("to"), str):
            raise SimError(400, 400, "Missing target")
        to = body["to"]
        if not _ADDR.match(to):
            raise SimError(400, 400, "Invalid target URL")
        stype, base, peers = self.admin_target(req, "copy")
        ns = self.ns
        src = body.get("from")
        if src is None:
            alive = [p for p in peers if ns.peer_alive(p)]
            if not alive:
                raise SimError(503, 2, "%s: %s" % (peers[0] if peers else to, CONNREFUSED),
                               {"Retry-After": "1"})
            st = self.elect(stype, base, peers)
            if st["stuck"]:
                raise SimError(503, 503, "Election failed [%s][%s]" % (base, stype))
            master = st["master"] or alive[0]
            if not ns.has_copy(stype, base, master, peers):
                raise SimError(404, 431, "Container not found : (2) No such file or directory")
            if not ns.peer_alive(to):
                raise SimError(503, 2, "%s: %s" % (to, CONNREFUSED), {"Retry-After": "1"})
            ns.set_copy(stype, base, to, True, peers)
            return Response(200, {})
        for addr in (to, src):
            if not ns.peer_alive(addr):
                raise SimError(503, 2, "%s: %s" % (addr, CONNREFUSED), {"Retry-After": "1"})
        if not ns.has_copy(stype, base, src, peers):
            raise SimError(404, 431, "Container not found : (2) No such file or directory")
        ns.set_copy(stype, base, to, True, peers)
        return Response(204)

    def r_post_admin__vacuum(self, req):
        return self.prefer_master(req, "vacuum", lambda *a: 200)

    def r_post_admin__freeze(self, req):
        return self.prefer_master(req, "freeze", lambda *a: 200)

    def r_post_admin__enable(self, req):
        return self.prefer_master(req, "enable", lambda *a: 200)

    def r_post_admin__disable(self, req):
        return self.prefer_master(req, "disable", lambda *a: 200)

    # ------------------------------------------------------------------ conscience
    def _check_type(self, stype, required=True):
        if not stype:
            if required:
                raise SimError(400, 400, "Missing type")
            return
        if stype not in self.ns.types:
            raise SimError(404, 453, "Service type [%s] not managed" % stype)

    def r_get_conscience__list(self, req):
        stype = req.query.get("type")
        self._check_type(stype)
        full = req.flag("full")
        return Response(200, [self.ns.service_json(s, full) for s in self.ns.of_type(stype)])

    def r_get_conscience__info(self, req):
        ns = self.ns
        if req.query.get("what") == "types":
            return Response(200, list(ns.types))
        options = {"flat_bitlength": 17, "storage_policy": "SINGLE",
                   "service_update_policy": ns.policy_text}
        if ns.digits != 4:
            options["meta1_digits"] = str(ns.digits)
        return Response(200, {
            "ns": ns.name, "chunksize": 1048576, "options": options,
            "storage_policy": dict(STORAGE_POLICIES), "service_pools": dict(SERVICE_POOLS),
            "data_security": dict(DATA_SECURITY)})

    def _cs_items(self, req):
        body = _json_body(req)
        items = body if isinstance(body, list) else [body]
        out = []
        for it in items:
            if not isinstance(it, dict):
                raise SimError(400, 400, "Invalid service description")
            addr = it.get("addr")
            if not isinstance(addr, str) or not _ADDR.match(addr):
                raise SimError(400, 400, "Invalid address")
            stype = it.get("type")
            if not isinstance(stype, str) or not stype:
                raise SimError(400, 400, "Missing type")
            self._check_type(stype)
            out.append(it)
        return out

    def _svc_for(self, it):
        svc = self.ns.by_addr.get(it["addr"])
        if svc is not None and svc["type"] == it["type"]:
            return svc
        return None

    def r_post_conscience__register(self, req):
        for it in self._cs_items(req):
            tags = {k: v for k, v in (it.get("tags") or {}).items()
                    if k.startswith("tag.") or k.startswith("stat.")}
            svc = self._svc_for(it)
            if svc is None:
                score = it.get("score")
                spec = {"type": it["type"], "addr": it["addr"], "listen": False,
                        "score": score if isinstance(score, int) and score > 0 else 50,
                        "tags": {k: v for k, v in tags.items() if k.startswith("tag.")}}
                svc = self.ns.add_service(spec)
            else:
                for k, v in tags.items():
                    if k.startswith("stat."):
                        svc["stats"][k] = v
                    elif k not in ("tag.up", "tag.lock"):
                        svc["tags"][k] = v
        return Response(204)

    def r_post_conscience__lock(self, req):
        for it in self._cs_items(req):
            svc = self._svc_for(it)
            if svc is None:
                continue
            score = it.get("score", 0)
            try:
                score = int(score)
            except (TypeError, ValueError):
                score = 0
            svc["locked"] = True
            svc["score"] = max(0, min(100, score))
        return Response(204)

    def r_post_conscience__unlock(self, req):
        for it in self._cs_items(req):
            svc = self._svc_for(it)
            if svc is None:
                continue
            svc["locked"] = False
            svc["score"] = svc["base_score"] if svc["up"] else 0
        return Response(204)

    def r_post_conscience__deregister(self, req):
        for it in self._cs_items(req):
            svc = self._svc_for(it)
            if svc is not None:
                self.ns.remove_service(svc)
        return Response(204)

    def r_post_conscience__flush(self, req):
        stype = req.query.get("type")
        self._check_type(stype)
        for svc in self.ns.of_type(stype):
            self.ns.remove_service(svc)
        return Response(204)

    def _service_of_type(self, req):
        """The service named by ``type`` and ``service_id``, or None."""
        stype, sid = req.query.get("type"), req.query.get("service_id")
        if not stype or not sid:
            raise SimError(400, 400, "Missing type or service_id")
        self._check_type(stype)
        svc = self.ns.find(sid)
        return svc if svc is not None and svc["type"] == stype else None

    def r_get_conscience__score(self, req):
        svc = self._service_of_type(req)
        if svc is None:
            raise SimError(404, 404, "Service [%s] not found" % req.query["service_id"])
        return Response(200, {"addr": svc["addr"], "score": svc["score"]})

    def r_get_conscience__resolve(self, req):
        # The real proxy answers an unknown ID with 503, not 404.
        svc = self._service_of_type(req)
        if svc is None:
            raise SimError(503, 503, "Service ID [%s] not found" % req.query["service_id"])
        return Response(200, {"addr": svc["addr"]})

    def r_get_local__list(self, req):
        return Response(200, [])

    # ------------------------------------------------------------------ lb
    def r_post_lb__create_pool(self, req):
        body = _json_body(req)
        name = req.query.get("name")
        if not name:
            raise SimError(400, 400, "Missing pool name")
        if not isinstance(body, dict) or not isinstance(body.get("targets"), str):
            raise SimError(400, 400, "Missing or invalid targets")
        try:
            targets, options = parse_targets(body["targets"])
        except ValueError as exc:
            raise SimError(400, 400, str(exc))
        opts = body.get("options")
        if opts is not None:
            if not isinstance(opts, dict):
                raise SimError(400, 400, "Invalid options")
            for k, v in opts.items():
                if isinstance(v, (list, dict)):
                    raise SimError(400, 400, "Invalid value for option [%s]" % k)
                options[k] = v
        if name in self.ns.pools and not req.flag("force"):
            raise SimError(409, 421, "Pool [%s] already exists" % name)
        self.ns.pools[name] = (targets, options)
        return Response(201)

    def _pool(self, name):
        if name in self.ns.pools:
            return self.ns.pools[name]
        if name in self.ns.types:
            return [(1, [name])], {}
        raise SimError(400, 400, "pool [%s] not found" % name)

    def _in_slot(self, svc, slot):
        if svc["type"] == slot:
            return True
        slots = [s.strip() for s in str(svc["tags"].get("tag.slots", "")).split(",")]
        return slot in slots

    def lb_select(self, targets, options, avoid=(), known=()):
        """Run a pool. Returns (selected services, flawed)."""
        ns = self.ns
        min_dist = int(options.get("min_dist", 1) or 1)
        warn_dist = int(options.get("warn_dist", 0) or 0)
        keys = {ns.key_of(s): s for s in ns.services}
        known_svcs = [keys[k] for k in known if k in keys]
        avoid_set = set(a for a in avoid if a in keys)
        placed = list(known_svcs)
        selected, flawed = [], False
        for count, slots in targets:
            if slots == ["__any_slot"] or slots[0] == "__any_slot":
                continue
            for _unused in range(count):
                cands = []
                for slot in slots:
                    cands = [s for s in ns.services if self._in_slot(s, slot)
                             and s["score"] > 0 and ns.key_of(s) not in avoid_set
                             and s not in placed]
                    if cands:
                        break
                if not cands:
                    raise SimError(500, 481, "found only %d services matching the criteria"
                                   % len(selected))
                scored = []
                for s in cands:
                    d = min((lb_distance(location_of(s), location_of(p)) for p in placed),
                            default=4)
                    scored.append((d, s))
                best_d = max(d for d, _unused in scored)
                if best_d < min_dist:
                    raise SimError(500, 481, "found only %d services matching the criteria"
                                   % len(selected))
                if best_d < warn_dist:
                    flawed = True
                pick = ns.weighted([s for d, s in scored if d == best_d])
                placed.append(pick)
                selected.append(pick)
        return selected, flawed

    def _lb_answer(self, selected, flawed):
        out = [{"addr": s["id"] or s["addr"], "id": self.ns.key_of(s)} for s in selected]
        headers = {"x-oio-lb-flawed": "1"} if flawed else {}
        headers["Content-Type"] = "application/json"
        return Response(200, out, headers=headers)

    def r_post_lb__poll(self, req):
        body = _json_body(req)
        name = req.query.get("pool") or req.query.get("policy")
        if not name:
            raise SimError(404, 400, "Missing pool or policy")
        targets, options = self._pool(name)
        body = body if isinstance(body, dict) else {}
        selected, flawed = self.lb_select(targets, options, body.get("avoid") or [],
                                          body.get("known") or [])
        return self._lb_answer(selected, flawed)

    def r_get_lb__choose(self, req):
        stype = req.query.get("type")
        self._check_type(stype)
        try:
            size = int(req.query.get("size", "1"))
        except ValueError:
            raise SimError(400, 400, "Invalid size")
        slot = req.query.get("slot") or stype
        selected, flawed = self.lb_select([(size, [slot])], {})
        return self._lb_answer(selected, flawed)

    def r_post_lb__reload(self, req):
        return Response(204)

    # ------------------------------------------------------------------ cache, forward
    def r_get_cache__status(self, req):
        count = 1 if self.ns.high_cache is not None else 0
        return Response(200, ('{ "csm0":{"count":%d,"max":4194304,"ttl":0}, '
                              '"meta1":{"count":0,"max":4194304,"ttl":0}}' % count),
                        headers={"Content-Type": "application/json"})

    def r_get_cache__show(self, req):
        return Response(200, [{"addr": s["id"] or s["addr"], "id": self.ns.key_of(s)}
                              for s in self.ns.services if s["score"] > 0])

    def r_post_cache__flush__high(self, req):
        self.ns.high_cache = None
        return Response(204)

    def r_post_cache__flush__low(self, req):
        return Response(204)

    def r_post_cache__flush__local(self, req):
        self.ns.high_cache = None
        return Response(204)

    def r_get_status(self, req):
        return Response(200, "counter req.hits %d\n" % 0,
                        headers={"Content-Type": "text/x-java-properties"})

    def r_get_config(self, req):
        return Response(200, {"proxy.cache.enabled": "true", "proxy.dir_shuffle": "true"})

    def r_post_config(self, req):
        body = _json_body(req)
        if not isinstance(body, dict):
            raise SimError(400, 400, "Not an object")
        return Response(200, {k: False for k in body})

    def _forward(self, req):
        sid = req.query.get("id")
        if not sid:
            raise SimError(400, 400, "Missing SRVID")
        if not self.ns.peer_alive(sid):
            # No Retry-After here: the transcript shows none on forward routes.
            raise SimError(503, 2, "%s: %s" % (sid, CONNREFUSED), {"Retry-After": None})
        return self.ns.by_addr[sid]

    def _forward_no_content(self, req):
        self._forward(req)
        return Response(204)

    # Actions forwarded to one service that answer nothing (proxy-api.md 8).
    r_post_forward__flush = _forward_no_content
    r_post_forward__reload = _forward_no_content
    r_post_forward__balance_dash_masters = _forward_no_content
    r_post_forward__lean_dash_glib = _forward_no_content
    r_post_forward__lean_dash_sqlx = _forward_no_content
    r_post_forward__kill = _forward_no_content

    def r_post_forward__config(self, req):
        self._forward(req)
        return Response(200, {})

    def r_get_forward__info(self, req):
        svc = self._forward(req)
        return Response(200, "type %s\naddr %s\n" % (svc["type"], svc["addr"]),
                        headers={"Content-Type": "text/plain"})

    def r_get_forward__version(self, req):
        self._forward(req)
        return Response(200, "7.3.0", headers={"Content-Type": "text/plain"})

    def r_get_forward__ping(self, req):
        self._forward(req)
        return Response(200, "", headers={"Content-Type": "text/plain"})

    def r_get_forward__config(self, req):
        self._forward(req)
        return Response(200, {})

    def r_get_forward__stats(self, req):
        self._forward(req)
        return Response(200, "counter req.hits 0\n", headers={"Content-Type": "text/plain"})


def _bump(tab):
    v = tab.get("version:main.admin", "1:0").split(":")
    try:
        tab["version:main.admin"] = "%d:%s" % (int(v[0]) + 1, v[1] if len(v) > 1 else "0")
    except ValueError:
        pass
