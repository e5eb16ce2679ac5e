"""reference/* routes: meta1 references and their links."""
from .. import directory
from ..core import Response, Write
from ..namespace import SimError
from .common import cid_of, json_body, service_type, url_of


def _check_values(props):
    for k, v in props.items():
        if v is not None and not isinstance(v, str):
            raise SimError(400, 400, "Invalid property value for [%s]" % k)


def _names(body):
    """A JSON array of property names (None: all of them)."""
    if body is not None and not isinstance(body, list):
        raise SimError(400, 400, "Invalid JSON array")
    return body


def create(ns, req):
    body = json_body(req)
    cid, acct, name = url_of(ns, req.query, need_ref=True)
    props = {}
    if isinstance(body, dict) and isinstance(body.get("properties"), dict):
        _check_values(body["properties"])
        props = {k: v or "" for k, v in body["properties"].items()}
    directory.meta1_for(ns, cid)
    if cid in ns.refs:
        return Response(202, reason="Already Accepted")
    ref = ns.create_ref(acct, name)
    ref.props.update({k: v for k, v in props.items() if v})
    return Response(201)


def destroy(ns, req):
    cid = cid_of(ns, req)
    directory.meta1_for(ns, cid)
    ref = directory.get_ref(ns, cid, "META1 error: Query error: no such user")
    if not req.flag("force"):
        if ref.services:
            raise SimError(403, 407, "META1 error: Query error: User still linked to services")
        if ref.props:
            raise SimError(403, 407, "META1 error: Query error: User still has properties")
    del ns.refs[cid]
    return Response(204)


def _located_ref(ns, cid):
    directory.meta1_for(ns, cid)
    return directory.get_ref(ns, cid)


def show(ns, req):
    cid = cid_of(ns, req)
    ref = _located_ref(ns, cid)
    stype = req.query.get("type")
    entries = [e for e in ref.services if not stype or e[1] == stype]
    return Response(200, {"dir": directory.dir_entries(ns, cid), "srv": ns.expand(entries),
                          "cid": cid, "account": ref.account, "name": ref.name})


def get_properties(ns, req):
    body = json_body(req)
    cid = cid_of(ns, req)
    body = _names(body)
    if body and not all(isinstance(k, str) for k in body):
        raise SimError(400, 400, "Invalid property name")
    ref = _located_ref(ns, cid)
    if body:
        props = {k: ref.props[k] for k in body if k in ref.props}
    else:
        props = dict(ref.props)
    return Response(200, {"cid": cid, "properties": props})


def set_properties(ns, req):
    body = json_body(req)
    cid = cid_of(ns, req)
    if not isinstance(body, dict) or "properties" not in body:
        raise SimError(400, 400, 'No "properties" field')
    props = body["properties"]
    if not isinstance(props, dict):
        raise SimError(400, 400, "Invalid properties")
    for k, v in props.items():
        if not k:
            raise SimError(400, 400, "Empty property name")
        _check_values({k: v})
    ref = _located_ref(ns, cid)
    if "flush" in req.query:
        ref.props.clear()
    for k, v in props.items():
        if v:
            ref.props[k] = v
        else:
            ref.props.pop(k, None)
    return Response(204)


def del_properties(ns, req):
    body = json_body(req)
    cid = cid_of(ns, req)
    body = _names(body)
    ref = _located_ref(ns, cid)
    if not body:
        ref.props.clear()
    else:
        for k in body:
            if isinstance(k, str):
                ref.props.pop(k, None)
    return Response(204)


def _link(ns, req, renew):
    cid, acct, name = url_of(ns, req.query)
    stype = service_type(req)
    directory.meta1_for(ns, cid)
    dryrun = req.flag("dryrun")
    ref = directory.ref_to_link(ns, cid, acct, name, req.flag("autocreate"), dryrun)
    return Response(200, ns.expand(directory.link(ns, ref, stype, renew, dryrun)))


def link(ns, req):
    return _link(ns, req, renew=False)


def renew(ns, req):
    return _link(ns, req, renew=True)


def force(ns, req):
    body = json_body(req)
    cid, acct, name = url_of(ns, req.query)
    if not isinstance(body, dict):
        raise SimError(400, 400, "Not an object")
    for key, kind in (("seq", int), ("type", str), ("host", str), ("args", str)):
        if key not in body:
            raise SimError(400, 400, "Missing field [%s]" % key)
        if not isinstance(body[key], kind) or isinstance(body[key], bool):
            raise SimError(400, 400, "Invalid field [%s]" % key)
    service_type(req)
    directory.meta1_for(ns, cid)
    ref = directory.ref_to_link(ns, cid, acct, name, req.flag("autocreate"))
    entry = [body["seq"], body["type"], body["host"], body["args"]]
    directory.force_link(ns, ref, entry, req.flag("replace"))
    return Response(204)


def unlink(ns, req):
    cid = cid_of(ns, req)
    stype = service_type(req)
    directory.unlink(ns, _located_ref(ns, cid), stype)
    return Response(204)


def relink(ns, req):
    body = json_body(req)
    cid = cid_of(ns, req)
    stype = service_type(req)
    if not isinstance(body, dict) or not (body.get("kept") or body.get("replaced")):
        raise SimError(400, 400, "Missing kept/replaced")
    ref = _located_ref(ns, cid)
    entry = directory.relink(ns, ref, stype, body.get("kept") or {},
                             body.get("replaced") or {}, req.flag("dryrun"))
    return Response(200, ns.expand([entry]))


ROUTES = {
    ("POST", "reference/create"): Write(create),
    ("POST", "reference/destroy"): Write(destroy),
    ("GET", "reference/show"): show,
    ("POST", "reference/get_properties"): get_properties,
    ("POST", "reference/set_properties"): Write(set_properties),
    ("POST", "reference/del_properties"): Write(del_properties),
    ("POST", "reference/link"): Write(link),
    ("POST", "reference/renew"): Write(renew),
    ("POST", "reference/force"): Write(force),
    ("POST", "reference/unlink"): Write(unlink),
    ("POST", "reference/relink"): Write(relink),
}
