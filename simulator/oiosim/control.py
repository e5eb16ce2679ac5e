"""The `/_sim/...` control API: write log, stats, faults, services, meta0,
seeded data."""
import json
import time

from . import seeding
from .core import Response
from .namespace import SimError


class Control(object):

    def __init__(self, app):
        self.app = app

    def handle(self, req):
        route = req.path[len("/_sim"):].strip("/")
        key = (req.method, route)
        handler = {
            ("GET", "writes"): self.get_writes,
            ("DELETE", "writes"): self.reset_writes,
            ("GET", "stats"): self.get_stats,
            ("DELETE", "stats"): self.reset_stats,
            ("GET", "faults"): self.get_faults,
            ("PUT", "faults"): self.put_faults,
            ("POST", "faults"): self.put_faults,
            ("DELETE", "faults"): self.clear_faults,
            ("POST", "services"): self.add_service,
            ("DELETE", "services"): self.remove_service,
            ("POST", "services/down"): self.down,
            ("POST", "services/up"): self.up,
            ("POST", "meta0/restart"): self.meta0_restart,
            ("GET", "state"): self.state,
            ("POST", "seed"): self.seed,
            ("GET", "index"): self.index,
            ("GET", "meta1"): self.meta1,
            ("GET", "profile"): self.get_profile,
            ("PUT", "profile"): self.put_profile,
            ("DELETE", "profile"): self.clear_profile,
        }.get(key)
        if handler is None:
            return Response(404, {"error": "unknown control route %s %s" % key})
        try:
            return handler(req)
        except SimError as exc:
            return Response(exc.http, {"error": exc.message})
        except ValueError as exc:
            return Response(400, {"error": str(exc)})

    def _body(self, req):
        try:
            return json.loads(req.body.decode("utf-8")) if req.body.strip() else {}
        except ValueError:
            raise ValueError("invalid JSON")

    def get_writes(self, req):
        return Response(200, {"writes": self.app.writes.entries()})

    def reset_writes(self, req):
        self.app.writes.reset()
        return Response(204)

    def get_stats(self, req):
        doc = {"requests": self.app.requests, "by_route": dict(self.app.by_route)}
        doc.update(self.app.transport_stats())
        return Response(200, doc)

    def reset_stats(self, req):
        self.app.requests = 0
        self.app.by_route = {}
        self.app.reset_transport_stats()
        return Response(204)

    def get_profile(self, req):
        profile = self.app.profile
        return Response(200, profile.public() if profile else {"name": "none"})

    def put_profile(self, req):
        """``{"name": "real"}`` or a custom ``{"routes": [{"match", "ms"}],
        "default_ms", "max_concurrent"}``."""
        body = self._body(req)
        if not isinstance(body, dict):
            raise ValueError("expected an object")
        self.app.set_profile(body["name"] if set(body) == {"name"} else body)
        return self.get_profile(req)

    def clear_profile(self, req):
        self.app.set_profile(None)
        return self.get_profile(req)

    def _faults_doc(self):
        ns = self.app.ns
        return {"rules": self.app.faults.public(), "down_peers": sorted(ns.down_peers),
                "failed_elections": sorted(ns.failed_elections),
                "slow_elections": dict((k, round(max(0.0, until - time.monotonic()), 1))
                                       for k, until in ns.slow_elections.items()),
                "meta0_crash_on_bad_payload": ns.crash_on_bad_payload}

    def get_faults(self, req):
        return Response(200, self._faults_doc())

    def put_faults(self, req):
        body = self._body(req)
        if not isinstance(body, dict):
            raise ValueError("expected an object")
        ns = self.app.ns
        if "rules" in body:
            for r in body["rules"] or []:
                if str(r.get("action", "503")) not in ("503", "500", "drop", "latency", "kill"):
                    raise ValueError("unknown action %r" % r.get("action"))
                if r.get("action") == "kill" and not r.get("peer"):
                    raise ValueError("a kill rule names its peer")
                if r.get("service", "any") not in ("proxy", "rdir", "any"):
                    raise ValueError("unknown service %r" % r.get("service"))
            self.app.faults.set_rules(body["rules"])
        if "down_peers" in body:
            ns.down_peers = set(body["down_peers"] or [])
        if "failed_elections" in body:
            ns.failed_elections = set(body["failed_elections"] or [])
        if "slow_elections" in body:
            # {"meta1:AB": seconds}: those elections fail for that long.
            now = time.monotonic()
            ns.slow_elections = dict((k, now + float(v))
                                     for k, v in (body["slow_elections"] or {}).items())
        if "meta0_crash_on_bad_payload" in body:
            ns.crash_on_bad_payload = bool(body["meta0_crash_on_bad_payload"])
        return Response(200, self._faults_doc())

    def clear_faults(self, req):
        ns = self.app.ns
        self.app.faults.set_rules([])
        ns.down_peers = set()
        ns.killed = {}
        ns.failed_elections = set()
        ns.slow_elections = {}
        ns.crash_on_bad_payload = True
        return Response(200, self._faults_doc())

    def _service(self, req):
        body = self._body(req) if req.body.strip() else {}
        key = body.get("id") or body.get("addr") or req.query.get("id") or req.query.get("addr")
        svc = self.app.ns.find(key) if key else None
        if svc is None:
            raise SimError(404, 404, "no such service %r" % key)
        return svc

    def _svc_doc(self, svc):
        doc = self.app.ns.service_json(svc)
        doc["type"] = svc["type"]
        doc["id"] = svc["id"] or svc["addr"]
        if svc["type"] == "rdir":
            doc["url"] = "http://" + svc["addr"]
        return doc

    def add_service(self, req):
        body = self._body(req)
        stype = body.get("type")
        if not stype:
            raise ValueError("type is mandatory")
        tags = dict(body.get("tags") or {})
        if body.get("location"):
            tags["tag.loc"] = body["location"]
        tags.setdefault("tag.slots", stype)
        tags.setdefault("tag.vol", "/var/lib/oio/sds/%s/%s-added" % (self.app.ns.name, stype))
        spec = {"type": stype, "addr": body.get("addr"), "id": body.get("id"),
                "score": body.get("score", 70), "tags": tags,
                "listen": stype == "rdir", "locked": body.get("locked", False)}
        if spec["addr"] and self.app.ns.by_addr.get(spec["addr"]):
            raise ValueError("address already used")
        svc = self.app.ns.add_service(spec)
        return Response(201, self._svc_doc(svc))

    def down(self, req):
        svc = self._service(req)
        self.app.ns.set_down(svc, True)
        return Response(200, self._svc_doc(svc))

    def up(self, req):
        svc = self._service(req)
        self.app.ns.set_down(svc, False)
        return Response(200, self._svc_doc(svc))

    def remove_service(self, req):
        svc = self._service(req)
        self.app.ns.remove_service(svc)
        return Response(204)

    def meta0_restart(self, req):
        self.app.ns.meta0_crashed = False
        return Response(204)

    def seed(self, req):
        """``{"account", "containers", "chunks_per_volume", "volume_records"}``,
        each optional."""
        body = self._body(req)
        keys = {"account", "containers", "chunks_per_volume", "volume_records"}
        if not isinstance(body, dict) or set(body) - keys:
            raise ValueError("expected an object with " + ", ".join(sorted(keys)))
        return Response(200, seeding.seed(self.app.ns, **body))

    def index(self, req):
        return Response(200, seeding.index(self.app.ns))

    def meta1(self, req):
        """``?service=ADDR``: of every meta1 base, how many ADDR still holds
        a copy of, how many have no master among their meta0 peers, and how
        many have ``sys.peers`` other than their meta0 peers."""
        service = req.query.get("service") or ""
        return Response(200, seeding.meta1_bases(self.app.ns, service))

    def state(self, req):
        ns = self.app.ns
        counts = {}
        for s in ns.services:
            counts[s["type"]] = counts.get(s["type"], 0) + 1
        return Response(200, {"namespace": ns.name, "digits": ns.digits,
                              "replicas": ns.replicas, "counts": counts,
                              "meta0_initialised": ns.meta0 is not None,
                              "meta0_crashed": ns.meta0_crashed,
                              "references": len(ns.refs),
                              "proxy_url": self.app.proxy_url,
                              "rdir": self.app.rdir_urls()})
