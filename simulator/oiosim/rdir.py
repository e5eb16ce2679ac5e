"""Simulated rdir service, as OpenIO SDS 7.3.0 or 2026.14 answers (rdir-api.md).

One ``RdirService`` stands for one rdir process. It keeps, per volume, the
records a LevelDB database would hold, in key order, so that listings page
with a bisection instead of a scan. rawx indexes and meta2 indexes live in
separate namespaces, like the real ``<vol>`` and ``meta2-<vol>`` directories.
"""
import bisect
import json
import threading

from . import release as release_mod
from .core import Response, Write, parse_bool, writes
from .release import LEGACY

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000

REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    500: "Backend error",
    503: "Backend unavailable",
}

# Internal codes answered as HTTP 404 (CODE_IS_NOTFOUND and plain 404).
NOT_FOUND_CODES = frozenset((404, 406, 409, 420, 431, 454))


class RdirError(Exception):
    """An error with an OpenIO internal status. ``route_check`` marks the
    parameter checks done by a route, the only 400s that 7.3.0 answers as
    HTTP 400; a 400 coming from the storage layer becomes a 500."""

    def __init__(self, status, message, route_check=False):
        Exception.__init__(self, message)
        self.status = status
        self.message = message
        self.route_check = route_check


def record_mtime(value):
    """The mtime of a stored chunk record (7.3.0 stores only that)."""
    return value["mtime"] if isinstance(value, dict) else value


def _badreq(message):
    return RdirError(400, message, route_check=True)


def _db_not_found():
    return RdirError(404, "DB not found")


def _json_error(http_status, internal, message):
    headers = {"Content-Type": "application/json"}
    if http_status == 503:
        headers["Retry-After"] = "1"
    return Response(http_status, {"status": internal, "message": message},
                    headers=headers, reason=REASONS.get(http_status))


def _error_response(err):
    if err.status == 400 and err.route_check:
        return _json_error(400, 400, err.message)
    if err.status in NOT_FOUND_CODES:
        return _json_error(404, err.status, err.message)
    if err.status == 403:
        return _json_error(403, err.status, err.message)
    if err.status in (503, 509):
        return _json_error(503, err.status, err.message)
    return _json_error(500, err.status, err.message)


def _ok(body=None, headers=None):
    if body is None:
        return Response(204, None, headers=headers, reason=REASONS[204])
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    return Response(200, body, headers=hdrs, reason=REASONS[200])


def _created():
    return Response(201, None, reason=REASONS[201])


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "int": _is_int,
    "bool": lambda v: isinstance(v, bool),
}


def _extract(body, fields):
    """Field extraction with the messages of the C JSON mapper:
    ``fields`` is a list of (name, type, mandatory), checked in order."""
    if not isinstance(body, dict):
        body = {}
    out = {}
    for name, kind, mandatory in fields:
        if name not in body or body[name] is None:
            if mandatory:
                raise _badreq("Missing field [%s]" % name)
            out[name] = None
            continue
        if not _TYPE_CHECKS[kind](body[name]):
            raise _badreq("Invalid type for field [%s]" % name)
        out[name] = body[name]
    return out


def _clamp_limit(value):
    if value is None or value <= 0:
        return DEFAULT_LIMIT
    return min(value, MAX_LIMIT)


def _query_int(req, name):
    raw = req.query.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


class SortedStore(object):
    """A dict whose keys can be walked in byte order from any position.

    Keys are appended and only sorted when a read needs the order, so bulk
    loads cost one Timsort pass instead of one list shift per insert; a
    deleted key leaves the key list at the next read, so a volume emptied
    record by record costs one pass per read instead of one shift per delete.
    (Python str order is code point order, the same as UTF-8 byte order.)
    """

    __slots__ = ("_data", "_keys", "_dirty", "_stale", "_rebuild")

    def __init__(self):
        self._data = {}
        self._keys = []
        self._dirty = False
        self._stale = 0       # deleted keys still in _keys
        self._rebuild = False  # a deleted key came back before a read

    def __len__(self):
        return len(self._data)

    def __contains__(self, key):
        return key in self._data

    def get(self, key, default=None):
        return self._data.get(key, default)

    def put(self, key, value):
        if key not in self._data:
            if self._stale:
                self._rebuild = True
            elif self._keys and not self._dirty and key < self._keys[-1]:
                self._dirty = True
            self._keys.append(key)
        self._data[key] = value

    def delete(self, key):
        if key not in self._data:
            return False
        del self._data[key]
        self._stale += 1
        return True

    def remove_if(self, predicate):
        """Drop every (key, value) matching ``predicate`` in one pass;
        returns how many went."""
        doomed = [k for k, v in self._data.items() if predicate(k, v)]
        for key in doomed:
            del self._data[key]
        self._stale += len(doomed)
        return len(doomed)

    def clear(self):
        self._data.clear()
        self._keys = []
        self._dirty = self._rebuild = False
        self._stale = 0

    def keys(self):
        data = self._data
        if self._rebuild:
            self._keys = sorted(data)
            self._dirty = self._rebuild = False
        elif self._stale:
            self._keys = [k for k in self._keys if k in data]
        self._stale = 0
        if self._dirty:
            self._keys.sort()
            self._dirty = False
        return self._keys

    def seek(self, key):
        """Index of the first key >= ``key``."""
        return bisect.bisect_left(self.keys(), key)

    def iter_from(self, index):
        keys = self.keys()
        data = self._data
        for i in range(index, len(keys)):
            yield keys[i], data[keys[i]]

    def items(self):
        return self.iter_from(0)


class RawxVolume(object):
    """Index of the chunks of one rawx volume. Keys are
    ``<container_id>|<content_id>|<chunk_id>``, values the mtime."""

    kind = "rawx"

    def __init__(self, name):
        self.name = name
        self.chunks = SortedStore()
        self.admin = {}      # "lock" / "incident_date" -> str, as stored

    @property
    def incident_date(self):
        try:
            return int(self.admin.get("incident_date", "0"))
        except ValueError:
            return 0


class Meta2Volume(object):
    """Index of the containers of one meta2 service, keyed by container_url."""

    kind = "meta2"

    def __init__(self, name):
        self.name = name
        self.containers = SortedStore()

    @property
    def dirname(self):
        return "meta2-" + self.name.replace(":", "-", 1)


class RdirService(object):
    """One rdir process: ``handle(req)`` answers like 7.3.0."""

    def __init__(self, service_id, addr, namespace="OPENIO", release=LEGACY):
        self.service_id = service_id
        self.addr = addr
        self.namespace = namespace
        # 2026.14 keys rawx records <cid>|<chunk_id> and keeps the content
        # id, mtime, path and version in the value (release.py).
        self.modern = release_mod.check(release) == release_mod.MODERN
        self.rawx = {}       # volume id -> RawxVolume
        self.meta2 = {}      # meta2 id -> Meta2Volume
        # 7.3.0 counts the rawx databases opened since the process started.
        self.opened = set()
        self.requests = 0
        self._lock = threading.RLock()

    # ------------------------------------------------------------ helpers

    def ensure_volume(self, vol, kind="rawx"):
        """Create (or keep) the index of ``vol``; returns the volume."""
        with self._lock:
            if kind == "meta2":
                return self._meta2_db(vol, create=True)
            if kind != "rawx":
                raise ValueError("kind must be 'rawx' or 'meta2'")
            return self._rawx_db(vol, create=True)

    def push_chunk(self, vol, container_id, content_id, chunk_id, mtime=0,
                   create=True, path=None, version=None):
        with self._lock:
            db = self._rawx_db(vol, create=create)
            rec = {"container_id": container_id, "content_id": content_id,
                   "chunk_id": chunk_id, "mtime": int(mtime or 0), "rtime": None,
                   "path": path if path is not None else "obj-%s" % content_id[:8],
                   "version": version if version is not None else 1}
            db.chunks.put(*self._chunk_record(rec))

    def restore_chunk(self, vol, key, value):
        """Store a record as the rdir of the same release listed it."""
        with self._lock:
            db = self._rawx_db(vol, create=True)
            value = value if isinstance(value, dict) else {}
            db.chunks.put(key, dict(value) if self.modern else int(value.get("mtime") or 0))

    def _chunk_record(self, rec):
        """(key, value) of a chunk record as this release stores it."""
        mtime = max(rec["mtime"] or 0, rec.get("rtime") or 0)
        if self.modern:
            return ("%s|%s" % (rec["container_id"], rec["chunk_id"]),
                    {"content_id": rec["content_id"], "mtime": mtime, "path": rec["path"],
                     "version": rec["version"]})
        return "%s|%s|%s" % (rec["container_id"], rec["content_id"], rec["chunk_id"]), mtime

    def push_meta2(self, vol, container_id, container_url, mtime=0,
                   extra_data=None, create=True):
        with self._lock:
            db = self._meta2_db(vol, create=create)
            db.containers.put(container_url, {
                "container_id": container_id,
                "container_url": container_url,
                "extra_data": extra_data,
                "mtime": int(mtime or 0)})

    @property
    def opened_db_count(self):
        """What ``GET /status`` reports (and the conscience publishes as
        ``stat.opened_db_count``)."""
        with self._lock:
            # 2026.14 counts the meta2 databases it holds open too.
            return len(self.opened) + (len(self.meta2) if self.modern else 0)

    @property
    def volumes(self):
        """Every database, keyed like its directory on a real rdir
        (``<vol>`` for rawx, ``meta2-<vol>`` for meta2)."""
        with self._lock:
            out = dict(self.rawx)
            out.update((db.dirname, db) for db in self.meta2.values())
            return out

    def chunk_records(self, vol):
        """[(key, mtime)] of a rawx volume, in key order."""
        with self._lock:
            db = self.rawx.get(vol)
            return list(db.chunks.items()) if db else []

    def meta2_records(self, vol):
        with self._lock:
            db = self.meta2.get(vol)
            return [dict(v) for _unused, v in db.containers.items()] if db else []

    def admin_keys(self, vol):
        with self._lock:
            db = self.rawx.get(vol)
            return dict(db.admin) if db else None

    def state(self):
        """A JSON-able summary for inspection."""
        with self._lock:
            out = {"service_id": self.service_id, "addr": self.addr,
                   "opened_db_count": len(self.opened), "rawx": {}, "meta2": {}}
            for name, db in sorted(self.rawx.items()):
                out["rawx"][name] = {"chunks": len(db.chunks),
                                     "admin": dict(db.admin)}
            for name, db in sorted(self.meta2.items()):
                out["meta2"][name] = {"containers": len(db.containers)}
            return out

    @staticmethod
    def mutating(req):
        """Whether the request goes to a route declared a Write."""
        return writes(ROUTES.get((req.method, req.path)))

    # ------------------------------------------------------------ dispatch

    def handle(self, req):
        with self._lock:
            self.requests += 1
            if req.path not in PATHS:
                return _json_error(404, 400, "Route not managed")
            # The body is parsed before the method is looked at.
            try:
                body = req.json()
            except (ValueError, UnicodeDecodeError):
                return _json_error(400, 400, "Invalid JSON")
            handler = ROUTES.get((req.method, req.path))
            if handler is None:
                return _json_error(405, 400, "Bad method")
            try:
                return handler(self, req, body)
            except RdirError as err:
                return _error_response(err)

    # ------------------------------------------------------------ storage

    def _rawx_db(self, vol, create=False):
        db = self.rawx.get(vol)
        if db is None:
            if not create:
                raise _db_not_found()
            db = self.rawx[vol] = RawxVolume(vol)
        self.opened.add(vol)
        return db

    def _meta2_db(self, vol, create=False):
        db = self.meta2.get(vol)
        if db is None:
            if not create:
                raise _db_not_found()
            db = self.meta2[vol] = Meta2Volume(vol)
        return db

    @staticmethod
    def _vol(req):
        vol = req.query.get("vol")
        if not vol:
            raise _badreq("no volume id")
        return vol

    # ------------------------------------------------------------ service

    def _srv_status(self, req, body):
        out = {"opened_db_count": self.opened_db_count}
        if self.modern:
            # The directory names of the meta2 databases ("meta2-" dropped).
            out["meta2_volumes"] = sorted(vol.replace(":", "-") for vol in self.meta2)
            out["rawx_volumes"] = sorted(self.rawx)
        if self.service_id and self.service_id != self.addr:
            out["service_id"] = self.service_id
        return _ok(out)

    def _srv_config(self, req, body):
        return _ok({
            "core.http.user_agent": "",
            "rdir.fd_per_base": 64,
            "rdir.fd_reserve": 0,
            "server.fd_max_passive": 0,
            "server.threadpool.max_idle": 1,
            "ns.name": self.namespace,
        })

    # ------------------------------------------------------------ admin

    def _admin_show(self, req, body):
        db = self._rawx_db(self._vol(req))
        # Stored keys are "admin|<name>", so LevelDB lists them sorted.
        return _ok({k: db.admin[k] for k in sorted(db.admin)})

    def _admin_lock(self, req, body):
        who = _extract(body, [("who", "string", True)])["who"]
        vol = self._vol(req)
        if not who:
            raise _badreq("'who' not set")
        self._take_lock(self._rawx_db(vol), who)
        return _ok()

    @staticmethod
    def _take_lock(db, who):
        holder = db.admin.get("lock")
        if holder is not None and holder != who:
            raise RdirError(403, "Already locked by %s" % holder)
        db.admin["lock"] = who

    def _admin_unlock(self, req, body):
        db = self._rawx_db(self._vol(req))
        db.admin.pop("lock", None)
        return _ok()

    def _admin_incident(self, req, body):
        if req.method == "GET":
            db = self._rawx_db(self._vol(req))
            return _ok({"date": db.incident_date})
        date = _extract(body, [("date", "int", True)])["date"]
        db = self._rawx_db(self._vol(req))
        db.admin["incident_date"] = str(date)
        return _ok()

    def _admin_clear(self, req, body):
        db = self._rawx_db(self._vol(req))
        clear_all = parse_bool(req.query.get("all"), False)
        before_incident = parse_bool(req.query.get("before_incident"), False)
        repair = parse_bool(req.query.get("repair"), False)
        self._take_lock(db, "admin_clear")
        removed = repaired = 0
        try:
            incident = db.incident_date
            if clear_all:
                removed = len(db.chunks)
                db.chunks.clear()
            elif before_incident and incident > 0:
                removed = db.chunks.remove_if(
                    lambda _k, value: record_mtime(value) <= incident)
            if repair:
                # Records are stored canonical already: a rewrite per record.
                repaired = len(db.chunks)
            db.admin.pop("incident_date", None)
        finally:
            db.admin.pop("lock", None)
        return _ok({"removed": removed, "repaired": repaired, "errors": 0})

    # ------------------------------------------------------------ rawx index

    def _vol_create(self, req, body):
        self._rawx_db(self._vol(req), create=True)
        return _created()

    def _chunk_fields(self, body, push):
        """The record fields of a push (or delete) body; 2026.14 wants the
        content's path and version too, and checks them before the volume."""
        if self.modern and not push:
            fields = [("container_id", "string", True), ("content_id", "string", False),
                      ("chunk_id", "string", True)]
        elif self.modern:
            fields = [("container_id", "string", True), ("content_id", "string", True),
                      ("chunk_id", "string", True), ("mtime", "int", True),
                      ("path", "string", True), ("version", "int", True),
                      ("rtime", "int", False)]
        else:
            fields = [("container_id", "string", True), ("content_id", "string", True),
                      ("chunk_id", "string", True), ("mtime", "int", False),
                      ("rtime", "int", False)]
        return _extract(body, fields)

    def _records(self, body):
        """The records of a write body: one object, or on 2026.14 a JSON
        array of them (written as one batch, every record checked before
        any is written). 7.3.0 parses an array as no record at all."""
        if self.modern and isinstance(body, list) and body:
            return body
        if not isinstance(body, dict):
            raise _badreq("null body")
        return [body]

    def _vol_push(self, req, body):
        if not isinstance(body, (dict, list)):
            raise _badreq("null body")
        # 7.3.0 wants the volume first, 2026.14 the record's fields.
        vol = None if self.modern else self._vol(req)
        recs = [self._chunk_fields(item, push=True) for item in self._records(body)]
        vol = vol or self._vol(req)
        db = self._rawx_db(vol, create=parse_bool(req.query.get("create"), False))
        for rec in recs:
            db.chunks.put(*self._chunk_record(rec))
        return _ok()

    def _vol_delete(self, req, body):
        vol = self._vol(req)
        recs = [self._chunk_fields(item, push=False) for item in self._records(body)]
        db = self._rawx_db(vol)
        for rec in recs:
            key = "%s|%s" % (rec["container_id"], rec["chunk_id"]) if self.modern else \
                "%s|%s|%s" % (rec["container_id"], rec["content_id"], rec["chunk_id"])
            db.chunks.delete(key)
        return _ok()

    def _page_args(self, req, body):
        """start_after, limit, prefix, rebuild from the body, overridden by
        the query (marker, max, prefix, rebuild)."""
        opts = _extract(body, [("start_after", "string", False),
                               ("limit", "int", False),
                               ("rebuild", "bool", False),
                               ("container_id", "string", False)])
        marker = req.query.get("marker", opts["start_after"])
        limit = _query_int(req, "max")
        if limit is None:
            limit = opts["limit"]
        prefix = req.query.get("prefix", opts["container_id"]) or ""
        rebuild = parse_bool(req.query.get("rebuild"), bool(opts["rebuild"]))
        return marker, _clamp_limit(limit), prefix, rebuild

    @staticmethod
    def _walk(store, marker, prefix):
        """Keys from the farthest of prefix/marker, start_after exclusive,
        stopping at the first key out of the prefix."""
        start = store.seek(max(prefix, marker or ""))
        keys = store.keys()
        if marker and start < len(keys) and keys[start].startswith(marker):
            start += 1
        for key, value in store.iter_from(start):
            if not key.startswith(prefix):
                return
            yield key, value

    def _page(self, db, marker, limit, prefix, rebuild):
        incident = db.incident_date
        page, truncated = [], False
        if rebuild and incident <= 0:
            return page, truncated
        for key, value in self._walk(db.chunks, marker, prefix):
            if rebuild and record_mtime(value) > incident:
                continue
            if len(page) >= limit:
                truncated = True
                break
            page.append((key, value))
        return page, truncated

    @staticmethod
    def _list_headers(page, truncated):
        headers = {"x-oio-list-truncated": "true" if truncated else "false"}
        if truncated and page:
            headers["x-oio-list-marker"] = page[-1][0]
        return headers

    def _vol_fetch(self, req, body):
        if body is not None and not isinstance(body, dict):
            raise _badreq("null body")
        vol = self._vol(req)
        marker, limit, prefix, rebuild = self._page_args(req, body)
        db = self._rawx_db(vol)
        page, truncated = self._page(db, marker, limit, prefix, rebuild)
        return _ok([[key, dict(value) if isinstance(value, dict) else {"mtime": value}]
                    for key, value in page],
                   headers=self._list_headers(page, truncated))

    def _vol_status(self, req, body):
        vol = self._vol(req)
        limit = _clamp_limit(_query_int(req, "max"))
        prefix = req.query.get("prefix", "")
        marker = req.query.get("marker")
        db = self._rawx_db(vol)
        incident = db.incident_date
        page, truncated = self._page(db, marker, limit, prefix, False)
        total = to_rebuild = 0
        containers = {}
        for key, value in page:
            mtime = record_mtime(value)
            cid = key.split("|", 1)[0]
            entry = containers.setdefault(cid, {"total": 0})
            entry["total"] += 1
            total += 1
            if incident > 0:
                late = 1 if mtime <= incident else 0
                entry["to_rebuild"] = entry.get("to_rebuild", 0) + late
                to_rebuild += late
        chunk = {"total": total}
        if incident > 0:
            chunk["to_rebuild"] = to_rebuild
        out = {"chunk": chunk, "container": containers}
        if incident > 0:
            out["rebuild"] = {"incident_date": incident}
        return _ok(out, headers=self._list_headers(page, truncated))

    # ------------------------------------------------------------ meta2 index

    def _meta2_create(self, req, body):
        self._meta2_db(self._vol(req), create=True)
        return _created()

    @staticmethod
    def _meta2_record(body, full):
        fields = [("container_url", "string", True),
                  ("container_id", "string", True)]
        if full:
            fields += [("mtime", "int", False), ("extra_data", "string", False)]
        return _extract(body, fields)

    def _meta2_push(self, req, body):
        records = self._records(body)
        vol = self._vol(req)
        recs = [self._meta2_record(item, full=True) for item in records]
        db = self._meta2_db(vol, create=parse_bool(req.query.get("create"), True))
        for rec in recs:
            db.containers.put(rec["container_url"], {
                "container_id": rec["container_id"],
                "container_url": rec["container_url"],
                "extra_data": rec["extra_data"],
                "mtime": rec["mtime"] or 0})
        return _ok()

    def _meta2_delete(self, req, body):
        records = self._records(body)
        vol = self._vol(req)
        recs = [self._meta2_record(item, full=False) for item in records]
        db = self._meta2_db(vol)
        for rec in recs:
            db.containers.delete(rec["container_url"])
        return _ok()

    def _meta2_fetch(self, req, body):
        try:
            return self._meta2_fetch_page(req, body)
        except RdirError as err:
            if self.modern:
                return _error_response(err)
            # 7.3.0 answers every error of this route as HTTP 400.
            return _json_error(400, err.status, err.message)

    def _meta2_fetch_page(self, req, body):
        if not isinstance(body, dict):
            raise _badreq("null body")
        vol = self._vol(req)
        opts = _extract(body, [("prefix", "string", False),
                               ("marker", "string", False),
                               ("limit", "int", False)])
        limit = _clamp_limit(opts["limit"])
        prefix = opts["prefix"] or ""
        marker = opts["marker"]
        store = self._meta2_db(vol).containers
        if marker:
            # "Seek then step once": an absent marker also skips the
            # first key after it.
            start = store.seek(marker) + 1
        else:
            start = store.seek(prefix)
        records, truncated = [], False
        for key, value in store.iter_from(start):
            if not key.startswith(prefix):
                break
            # The loop admits one record more than asked.
            if len(records) > limit:
                truncated = True
                break
            records.append(value)
        payload = json.dumps(records, separators=(",", ":")).replace("/", "\\/")
        text = '{"records":%s, "truncated":%s}' % (
            payload, "true" if truncated else "false")
        return Response(200, text.encode("utf-8"),
                        headers={"Content-Type": "application/json"},
                        reason=REASONS[200])


# (method, path) -> handler(service, req, body), like the proxy's tables.
ROUTES = {
    ("GET", "/status"): RdirService._srv_status,
    ("GET", "/config"): RdirService._srv_config,
    ("GET", "/v1/status"): RdirService._admin_show,
    ("GET", "/v1/rdir/admin/show"): RdirService._admin_show,
    ("POST", "/v1/rdir/admin/lock"): Write(RdirService._admin_lock),
    ("POST", "/v1/rdir/admin/unlock"): Write(RdirService._admin_unlock),
    ("GET", "/v1/rdir/admin/incident"): RdirService._admin_incident,
    ("POST", "/v1/rdir/admin/incident"): Write(RdirService._admin_incident),
    ("POST", "/v1/rdir/admin/clear"): Write(RdirService._admin_clear),
    ("POST", "/v1/rdir/create"): Write(RdirService._vol_create),
    ("POST", "/v1/rdir/push"): Write(RdirService._vol_push),
    ("DELETE", "/v1/rdir/delete"): Write(RdirService._vol_delete),
    ("POST", "/v1/rdir/fetch"): RdirService._vol_fetch,
    ("GET", "/v1/rdir/status"): RdirService._vol_status,
    ("POST", "/v1/rdir/status"): RdirService._vol_status,
    ("POST", "/v1/rdir/meta2/create"): Write(RdirService._meta2_create),
    ("POST", "/v1/rdir/meta2/push"): Write(RdirService._meta2_push),
    ("POST", "/v1/rdir/meta2/delete"): Write(RdirService._meta2_delete),
    ("POST", "/v1/rdir/meta2/fetch"): RdirService._meta2_fetch,
}
# A known path asked with another method answers 405, an unknown one 404.
PATHS = frozenset(path for dummy, path in ROUTES)
