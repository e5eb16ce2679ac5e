"""conscience/* and lb/* routes: services, scores, load-balancing pools."""
from ..core import Response, Write
from ..namespace import SimError, parse_targets
from .common import ADDR, json_body

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


# The same, as the 2026.14.2 lab has it (conscience_info of transcripts-2026.14).
STORAGE_POLICIES_2026 = {
    "17COPIES": "rawx17:DUP17", "THREECOPIES_FR": "rawx3:DUPONETHREE", "ECC": "NONE:E63C",
    "TWOCOPIES": "rawx2:DUPONETWO", "SINGLE": "NONE:NONE", "THREECOPIES": "rawx3:DUPONETHREE",
    "JUSTENOUGH": "justenoughrawx:E63", "NOTENOUGH": "notenoughrawx:E63", "ECX21": "NONE:EX21",
    "THREECOPIES_DA": "rawx3:DUPONETHREE", "EC21": "NONE:E21", "EC": "NONE:E63",
    "ANY-E93": "rawx_12:E93"}
SERVICE_POOLS_2026 = dict(((k, v) for k, v in SERVICE_POOLS.items() if k != "rawx3nearby"), **{
    "notenoughrawx": "9,rawx;fair_location_constraint=9.9.2.1;"
                     "strict_location_constraint=9.9.2.1;min_dist=1;warn_dist=0",
    "rawx_12": "12,rawx;fair_location_constraint=12.12.3.1;"
               "strict_location_constraint=12.12.4.1;max_dist=3;min_dist=1",
    "meta2": "1,meta2;fair_location_constraint=2.2.1.1;strict_location_constraint=1.1.1.1",
    "justenoughrawx": "9,rawx;fair_location_constraint=9.9.2.1;"
                      "strict_location_constraint=9.9.3.1;min_dist=1;warn_dist=0"})
DATA_SECURITY_2026 = {
    "DUPONETHREE": "plain/max_dist=2,min_dist=1,nb_copy=3",
    "E21": "ec/k=2,m=1,algo=liberasurecode_rs_vand,min_dist=1,warn_dist=0",
    "E93": "ec/k=9,m=3,algo=liberasurecode_rs_vand,min_dist=1",
    "EX21": "ec/k=2,m=1,algo=liberasurecode_rs_vand,min_dist=0,max_dist=2,warn_dist=0",
    "E63": "ec/k=6,m=3,algo=liberasurecode_rs_vand,min_dist=1",
    "DUP17": "plain/min_dist=1,nb_copy=17", "DUPONETWO": "plain/min_dist=1,nb_copy=2",
    "E63C": "ec/k=6,m=3,algo=liberasurecode_rs_vand,min_dist=1,checksum_type=inline_crc32"}


def check_type(ns, stype):
    if not stype:
        raise SimError(400, 400, "Missing type")
    if stype not in ns.types:
        raise SimError(404, 453, "Service type [%s] not managed" % stype)


def list_services(ns, req):
    stype = req.query.get("type")
    check_type(ns, stype)
    full = req.flag("full")
    return Response(200, [ns.service_json(s, full) for s in ns.of_type(stype)])


def info(ns, req):
    if req.query.get("what") == "types":
        return Response(200, list(ns.types))
    options = {"storage_policy": "SINGLE", "service_update_policy": ns.policy_text}
    if not ns.modern:
        options["flat_bitlength"] = 17
    if ns.digits != 4:
        options["meta1_digits"] = str(ns.digits)
    # A topology may add (or spoil) options, e.g. {"meta1_digits": "x"}.
    options.update(ns.topo.get("options") or {})
    return Response(200, {
        "ns": ns.name, "chunksize": 1048576, "options": options,
        "storage_policy": dict(STORAGE_POLICIES_2026 if ns.modern else STORAGE_POLICIES),
        "service_pools": dict(SERVICE_POOLS_2026 if ns.modern else SERVICE_POOLS),
        "data_security": dict(DATA_SECURITY_2026 if ns.modern else DATA_SECURITY)})


def _items(ns, req):
    """The service descriptions of a request, validated."""
    body = json_body(req)
    items = body if isinstance(body, list) else [body]
    for it in items:
        if not isinstance(it, dict):
            raise SimError(400, 400, "Invalid service description")
        addr = it.get("addr")
        if not isinstance(addr, str) or not ADDR.match(addr):
            raise SimError(400, 400, "Invalid address")
        stype = it.get("type")
        if not isinstance(stype, str) or not stype:
            raise SimError(400, 400, "Missing type")
        check_type(ns, stype)
    return items


def register(ns, req):
    for it in _items(ns, req):
        ns.register(it)
    return Response(204)


def _on_registered(action):
    """A handler that runs action(ns, svc, item) on the known service of each item."""
    def handler(ns, req):
        for it in _items(ns, req):
            svc = ns.registered(it)
            if svc is not None:
                action(ns, svc, it)
        return Response(204)
    return handler


def flush(ns, req):
    stype = req.query.get("type")
    check_type(ns, stype)
    for svc in ns.of_type(stype):
        ns.remove_service(svc)
    return Response(204)


def _service_of_type(ns, req):
    """The service named by ``type`` and ``service_id``, or None."""
    stype, sid = req.query.get("type"), req.query.get("service_id")
    if not stype or not sid:
        raise SimError(400, 400, "Missing type or service_id")
    check_type(ns, stype)
    svc = ns.find(sid)
    return svc if svc is not None and svc["type"] == stype else None


def score(ns, req):
    svc = _service_of_type(ns, req)
    if svc is None:
        raise SimError(404, 404, "Service [%s] not found" % req.query["service_id"])
    return Response(200, {"addr": svc["addr"], "score": svc["score"]})


def resolve(ns, req):
    # The real proxy answers an unknown ID with 503, not 404.
    svc = _service_of_type(ns, req)
    if svc is None:
        raise SimError(503, 503, "Service ID [%s] not found" % req.query["service_id"])
    return Response(200, {"addr": svc["addr"]})


def local_list(ns, req):
    return Response(200, [])


def create_pool(ns, req):
    body = json_body(req)
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
    if name in ns.pools and not req.flag("force"):
        raise SimError(409, 421, "Pool [%s] already exists" % name)
    ns.pools[name] = (targets, options)
    return Response(201)


def _lb_answer(ns, selected, flawed):
    out = [{"addr": s["id"] or s["addr"], "id": ns.key_of(s)} for s in selected]
    headers = {"x-oio-lb-flawed": "1"} if flawed else {}
    headers["Content-Type"] = "application/json"
    return Response(200, out, headers=headers)


def poll(ns, req):
    body = json_body(req)
    name = req.query.get("pool") or req.query.get("policy")
    if not name:
        raise SimError(404, 400, "Missing pool or policy")
    targets, options = ns.pool(name)
    body = body if isinstance(body, dict) else {}
    selected, flawed = ns.lb_select(targets, options, body.get("avoid") or [],
                                    body.get("known") or [])
    return _lb_answer(ns, selected, flawed)


def choose(ns, req):
    stype = req.query.get("type")
    check_type(ns, stype)
    try:
        size = int(req.query.get("size", "1"))
    except ValueError:
        raise SimError(400, 400, "Invalid size")
    slot = req.query.get("slot") or stype
    selected, flawed = ns.lb_select([(size, [slot])], {})
    return _lb_answer(ns, selected, flawed)


def reload_pools(ns, req):
    return Response(204)


ROUTES = {
    ("GET", "conscience/list"): list_services,
    ("GET", "conscience/info"): info,
    ("POST", "conscience/register"): Write(register),
    ("POST", "conscience/lock"): Write(_on_registered(lambda ns, svc, it: ns.lock(svc, it.get("score", 0)))),
    ("POST", "conscience/unlock"): Write(_on_registered(lambda ns, svc, it: ns.unlock(svc))),
    ("POST", "conscience/deregister"): Write(_on_registered(lambda ns, svc, it: ns.remove_service(svc))),
    ("POST", "conscience/flush"): Write(flush),
    ("GET", "conscience/score"): score,
    ("GET", "conscience/resolve"): resolve,
    ("GET", "local/list"): local_list,
    ("POST", "lb/create_pool"): Write(create_pool),
    ("POST", "lb/poll"): poll,
    ("GET", "lb/choose"): choose,
    ("POST", "lb/reload"): Write(reload_pools),
}
