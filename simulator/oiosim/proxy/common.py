"""Request parsing shared by the proxy's subsystems."""
import re

from ..namespace import SimError, compute_cid

HEX = re.compile(r"^[0-9A-Fa-f]{1,4}$")
ADDR = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}$")
_HEX64 = re.compile(r"^[0-9A-Fa-f]{64}$")


def json_body(req):
    try:
        return req.json()
    except (ValueError, UnicodeDecodeError):
        raise SimError(400, 400, "Invalid JSON")


def url_of(ns, q, need_ref=False, prefix="No META1: "):
    """Location named by a request's query: (cid, account, name)."""
    if "cid" in q:
        cid = q["cid"]
        if len(cid) >= 65 and cid[64] == ".":
            cid = cid[:64]
        elif 1 <= len(cid) <= 4 and HEX.match(cid):
            cid = cid.ljust(64, "0")
        if not _HEX64.match(cid):
            raise SimError(400, 400, "Invalid oio url")
        if need_ref:
            raise SimError(400, 400, "%sPartial URL" % prefix)
        return cid.upper(), None, None
    acct, ref = q.get("acct"), q.get("ref")
    if not acct or not ref:
        raise SimError(400, 400, "%sIncomplete URL [%s/%s]" % (prefix, ns.name, acct or ""))
    return compute_cid(acct, ref), acct, ref


def cid_of(ns, req):
    return url_of(ns, req.query)[0]


def service_type(req):
    stype = req.query.get("type")
    if not stype:
        raise SimError(400, 400, "No service type provided")
    return stype
