"""cache/* routes: the proxy's caches."""
from ..core import Response, Write


def status(ns, req):
    count = 1 if ns.high_cache is not None else 0
    return Response(200, ('{ "csm0":{"count":%d,"max":4194304,"ttl":0}, '
                          '"meta1":{"count":0,"max":4194304,"ttl":0}}' % count),
                    headers={"Content-Type": "application/json"})


def show(ns, req):
    return Response(200, [{"addr": s["id"] or s["addr"], "id": ns.key_of(s)}
                          for s in ns.services if s["score"] > 0])


def flush_meta0(ns, req):
    # The high cache holds the meta0 mapping; the local one shares it here.
    ns.high_cache = None
    return Response(204)


def flush_low(ns, req):
    return Response(204)


ROUTES = {
    ("GET", "cache/status"): status,
    ("GET", "cache/show"): show,
    ("POST", "cache/flush/high"): Write(flush_meta0),
    ("POST", "cache/flush/low"): Write(flush_low),
    ("POST", "cache/flush/local"): Write(flush_meta0),
}
