"""admin/meta0_* routes: the prefix mapping of meta0."""
from .. import directory
from ..core import Response, Write
from ..namespace import SimError
from .common import HEX, json_body


def meta0_list(ns, req):
    directory.check_meta0(ns)
    return Response(200, ns.meta0_list_bytes(), headers={"Content-Type": "application/json"})


def meta0_force(ns, req):
    directory.check_meta0(ns)
    if not req.body.strip():
        raise SimError(400, 400, "Empty JSON mapping")
    body = json_body(req)
    if not isinstance(body, dict):
        raise SimError(400, 400, "Invalid JSON mapping")
    directory.force_meta0(ns, body, HEX.match)
    return Response(204)


ROUTES = {
    ("GET", "admin/meta0_list"): meta0_list,
    ("POST", "admin/meta0_force"): Write(meta0_force),
}
