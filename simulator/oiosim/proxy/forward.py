"""forward/* routes (actions relayed to one service), and the proxy's own
status and config."""
from ..core import Response, Write
from ..namespace import SimError, refused
from .common import json_body

TEXT = {"Content-Type": "text/plain"}


def status(ns, req):
    return Response(200, "counter req.hits %d\n" % 0,
                    headers={"Content-Type": "text/x-java-properties"})


def get_config(ns, req):
    return Response(200, {"proxy.cache.enabled": "true", "proxy.dir_shuffle": "true"})


def set_config(ns, req):
    body = json_body(req)
    if not isinstance(body, dict):
        raise SimError(400, 400, "Not an object")
    return Response(200, {k: False for k in body})


def _target(ns, req):
    sid = req.query.get("id")
    if not sid:
        raise SimError(400, 400, "Missing SRVID")
    if not ns.peer_alive(sid):
        # No Retry-After here: the transcript shows none on forward routes.
        raise refused(sid, None)
    return ns.by_addr[sid]


def no_content(ns, req):
    _target(ns, req)
    return Response(204)


def empty_object(ns, req):
    _target(ns, req)
    return Response(200, {})


def info(ns, req):
    svc = _target(ns, req)
    return Response(200, "type %s\naddr %s\n" % (svc["type"], svc["addr"]), headers=dict(TEXT))


def _text(body):
    def handler(ns, req):
        _target(ns, req)
        return Response(200, body, headers=dict(TEXT))
    return handler


ROUTES = {
    ("GET", "status"): status,
    ("GET", "config"): get_config,
    ("POST", "config"): Write(set_config),
    ("POST", "forward/config"): Write(empty_object),
    ("GET", "forward/config"): empty_object,
    ("GET", "forward/info"): info,
    ("GET", "forward/version"): _text("7.3.0"),
    ("GET", "forward/ping"): _text(""),
    ("GET", "forward/stats"): _text("counter req.hits 0\n"),
}
# Actions forwarded to one service that answer nothing (proxy-api.md 8).
ROUTES.update((("POST", "forward/" + action), Write(no_content)) for action in (
    "flush", "reload", "balance-masters", "lean-glib", "lean-sqlx", "kill"))
