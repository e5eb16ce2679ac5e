"""Transport-neutral request/response types shared by every simulated service.

Each simulated service (proxy, rdir) is a plain object with a
``handle(req: Request) -> Response`` method. The HTTP server in
``oiosim.server`` parses the wire, applies fault injection, and calls it.
Keeping handlers free of sockets makes them easy to unit-test and lets the
conformance suite replay transcripts without caring about ports.
"""
import json
import threading
from urllib.parse import unquote_plus


def parse_query(raw):
    """Parse a query string the way oio-proxy does: split on '&', '+' is a
    space, percent-decode, and the FIRST occurrence of a name wins."""
    out = {}
    if not raw:
        return out
    for token in raw.split("&"):
        if not token:
            continue
        name, sep, value = token.partition("=")
        name = unquote_plus(name)
        if name not in out:
            out[name] = unquote_plus(value) if sep else ""
    return out


TRUE_WORDS = frozenset(("yes", "true", "on", "enable", "enabled", "1", "yeah"))
FALSE_WORDS = frozenset(("no", "false", "off", "disable", "disabled", "0", "nope"))


def parse_bool(value, default=False):
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    low = str(value).strip().lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS:
        return False
    return default


class Request(object):
    """One HTTP request as a handler sees it."""

    __slots__ = ("method", "path", "raw_query", "query", "headers", "body", "port")

    def __init__(self, method, path, raw_query="", headers=None, body=b"", port=None):
        self.method = method.upper()
        self.path = path                      # already percent-decoded per segment
        self.raw_query = raw_query or ""
        self.query = parse_query(self.raw_query)
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.body = body or b""
        self.port = port

    def flag(self, name, default=False):
        """Action-mode flag lookup (proxy-api.md 1.4): query first, then the
        x-oio-action-mode header tokens."""
        if name in self.query:
            return parse_bool(self.query[name], default)
        modes = self.headers.get("x-oio-action-mode", "")
        tokens = [t.strip().lower() for t in modes.split(",") if t.strip()]
        return name.lower() in tokens

    def json(self):
        """Body parsed as JSON; empty body -> None. Raises ValueError."""
        if not self.body.strip():
            return None
        return json.loads(self.body.decode("utf-8"))


class Response(object):
    """What a handler answers. ``body`` is bytes, str, or a JSON-able object
    (then serialised compactly with Content-Type application/json).
    ``drop=True`` makes the server close the connection without answering."""

    __slots__ = ("status", "body", "headers", "reason", "drop")

    def __init__(self, status=200, body=None, headers=None, reason=None, drop=False):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.reason = reason
        self.drop = drop

    def payload(self):
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        self.headers.setdefault("Content-Type", "application/json")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


def error(http_status, internal_status, message, reason=None):
    """An OpenIO error body. 503s carry Retry-After like the real proxy."""
    headers = {"Content-Type": "application/json"}
    if http_status == 503:
        headers["Retry-After"] = "1"
    return Response(http_status, {"status": internal_status, "message": message},
                    headers=headers, reason=reason)


class WriteLog(object):
    """Every state-changing request, in order. Tests read it to prove that
    check mode wrote nothing."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []

    def record(self, service, req, status):
        entry = {"service": service, "method": req.method, "path": req.path,
                 "query": dict(req.query), "status": status}
        with self._lock:
            self._entries.append(entry)

    def entries(self):
        with self._lock:
            return list(self._entries)

    def reset(self):
        with self._lock:
            self._entries = []


class Write(object):
    """A route handler whose requests change state, declared so beside its
    route in a ``ROUTES`` table: every request to it goes to the write log
    (whatever its outcome), and the tests assert that check mode sends none."""

    writes = True

    def __init__(self, handler):
        self.handler = handler

    def __call__(self, *args):
        return self.handler(*args)


def writes(handler):
    """Whether a ``ROUTES`` handler is declared a :class:`Write`."""
    return bool(getattr(handler, "writes", False))
