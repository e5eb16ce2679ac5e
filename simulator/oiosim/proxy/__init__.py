"""The simulated oio-proxy: `/v3.0/...` routes over a Namespace.

Each subsystem module declares its routes in a ``ROUTES`` table of
``{(method, route): handler(ns, req)}``; the Proxy only dispatches."""
from ..core import Response, error, writes
from ..namespace import SimError
from ..release import GONE, SINGLE_TARGET
from . import admin, caches, conscience, forward, meta0, references

NO_HANDLER = {"status": 404, "message": "No handler found"}
SUBSYSTEMS = (conscience, references, meta0, admin, caches, forward)


class Proxy(object):

    def __init__(self, ns):
        self.ns = ns
        self.routes = {}
        for subsystem in SUBSYSTEMS:
            self.routes.update(subsystem.ROUTES)

    @staticmethod
    def route_of(req):
        """(route name, namespace to check) or (None, None)."""
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
        """Whether the request goes to a route declared a Write."""
        route, dummy = self.route_of(req)
        return route is not None and writes(self.routes.get((req.method, route)))

    def handle(self, req):
        resp = self._handle(req)
        if self.ns.modern and resp.status >= 400:
            # 2026.14 names the services it tried (often none) on every error.
            resp.headers.setdefault("x-backend-service-id", "")
        return resp

    def _handle(self, req):
        route, nsname = self.route_of(req)
        handler = self.routes.get((req.method, route)) if route else None
        if handler is not None and self.ns.modern and (req.method, route) in GONE:
            handler = None
        if handler is None:
            return Response(404, dict(NO_HANDLER), reason="No handler found")
        if nsname is not None and nsname != self.ns.name:
            return error(400, 400, "Invalid parameter 'namespace'")
        if self.ns.modern and route in SINGLE_TARGET \
                and "," in req.query.get("service_id", ""):
            return error(400, 400, "Only one service can be requested")
        try:
            return handler(self.ns, req)
        except SimError as exc:
            resp = error(exc.http, exc.status, exc.message)
            for k, v in exc.headers.items():
                if v is None:
                    resp.headers.pop(k, None)
                else:
                    resp.headers[k] = v
            return resp
