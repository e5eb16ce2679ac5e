# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP client of the collection, for oio-proxy (``/v3.0``) and rdir (``/v1``).

It owns the transport rules every module relies on: request IDs, the
``x-oio-timeout`` budget, TLS options, URL-encoding of names, OpenIO error
bodies turned into one exception type, and retries of transient failures
with jittered backoff. Domain helpers (references, meta0, rdir, elections)
live in their own module_utils files and only call :meth:`OioClient.proxy`,
:meth:`OioClient.proxy_global` and :meth:`OioClient.rdir`.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import random
import re
import select
import socket
import ssl
import threading
import time
import uuid

from concurrent.futures import ThreadPoolExecutor

try:
    import http.client as httplib
    from urllib.parse import quote, urlencode, urlsplit
except ImportError:  # pragma: no cover - Python 2 is not a target
    import httplib  # type: ignore
    from urllib import quote, urlencode  # type: ignore
    from urlparse import urlsplit  # type: ignore

API_VERSION = "v3.0"
USER_AGENT = "openio.sds-ansible"
MAX_REQUEST_ID = 63  # the Python SDK truncates there; the proxy logs it as is

# Internal OpenIO statuses that mean "try again": network errors towards a
# service (2..9), unavailable, gateway timeout, too many redirects, excessive
# load (proxy-api.md 1.6). 436 (container frozen) also maps to 503 but will
# not heal by itself, so it is not retried.
TRANSIENT_INTERNAL = frozenset([2, 3, 4, 5, 6, 7, 8, 9, 305, 503, 504, 509])
TRANSIENT_HTTP = frozenset([503, 504])
# "Prefix not managed": the proxy sent a reference request to a meta1 that its
# cached meta0 mapping still names, but that a meta0 force (another writer's
# base move) took the prefix from. The meta1 refused it, so nothing was done:
# the request is replayed once after the proxy forgets the mapping, whatever
# the route (the real proxy neither decaches nor retries on it).
STALE_PREFIX = 450

# A namespace name goes into every proxy path: letters, digits, '.', '_' and
# '-', starting with a letter or a digit (so never '.' or '..'), at most 63
# characters (OpenIO keeps it in a 64-byte buffer).
NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
URL_SCHEMES = ("http", "https")
# Consecutive connection failures to one endpoint (scheme://host:port) after
# which the client stops sending to it for the rest of the run.
BREAKER_THRESHOLD = 5
# Requests at once (so pooled connections) of every concurrency option.
CONCURRENCY_RANGE = (1, 64)

_NOTHING = object()


class OioError(Exception):
    """A failed exchange with OpenIO: method, URL, HTTP status, and the
    internal status and message of the error body (when there is one)."""

    def __init__(self, message, method=None, url=None, http_status=None,
                 status=None, body=None, transient=False):
        super(OioError, self).__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.http_status = http_status
        self.status = status
        self.body = body
        self.transient = transient

    def __str__(self):
        parts = []
        if self.method and self.url:
            parts.append("%s %s" % (self.method, self.url))
        if self.http_status is not None:
            parts.append("HTTP %s" % self.http_status)
        if self.status is not None and self.status != self.http_status:
            parts.append("OpenIO status %s" % self.status)
        head = ": ".join(parts) if parts else ""
        return "%s: %s" % (head, self.message) if head else self.message

    def to_dict(self):
        return {
            "method": self.method, "url": self.url,
            "http_status": self.http_status, "status": self.status,
            "message": self.message,
        }


class Refused(OioError):
    """A change refused because of what the cluster answered, not a failed
    exchange: no method, no URL (the requests that told it succeeded), and
    nothing was sent for the change."""

    def __init__(self, message):
        super(Refused, self).__init__(message)


# POST routes that only read: the admin routes of the RUN_ALL mode that do
# not change a base, the properties reads, and the rdir index listings.
READ_POSTS = ("admin/status", "admin/has", "admin/get_properties", "admin/debug", "admin/info",
              "reference/get_properties", "rdir/fetch", "rdir/meta2/fetch")


def is_write(method, url):
    """Whether a request may change the cluster."""
    if method in ("GET", "HEAD"):
        return False
    path = urlsplit(url).path.rstrip("/")
    return not any(path.endswith("/" + route) for route in READ_POSTS)


class WriteInCheckMode(OioError):
    """A write attempted by a client built for check mode: a bug, refused
    before anything is sent."""


class OioResponse(object):
    """Status, headers and decoded body (JSON when it parses, else text)."""

    __slots__ = ("status", "headers", "body", "url", "method")

    def __init__(self, status, headers, body, url, method):
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
        self.method = method


class _Answer(object):
    """What the transport read: status, reason, headers, the raw body and
    the URL sent (query included)."""

    __slots__ = ("status", "reason", "headers", "content", "url")

    def __init__(self, status, reason, headers, content, url):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.content = content
        self.url = url


def _decode(answer):
    if not answer.content:
        return None
    try:
        return json.loads(answer.content)
    except ValueError:  # UnicodeDecodeError included
        charset = answer.headers.get_content_charset() or "utf-8"
        return answer.content.decode(charset, "replace")


def error_from_response(method, url, answer):
    body = _decode(answer)
    status = None
    message = answer.reason or "HTTP error"
    if isinstance(body, dict) and "status" in body:
        status = body.get("status")
        message = body.get("message") or message
    elif isinstance(body, str) and body.strip():
        message = body.strip()
    transient = answer.status in TRANSIENT_HTTP or status in TRANSIENT_INTERNAL
    return OioError(message, method=method, url=url, http_status=answer.status,
                    status=status, body=body, transient=transient)


def with_query(url, params):
    """``url`` with ``params`` (a dict or pairs; None values left out, lists
    repeated) percent-encoded as its query string."""
    if not params:
        return url
    pairs = params.items() if isinstance(params, dict) else params
    query = urlencode([(k, v) for k, v in pairs if v is not None], doseq=True)
    if not query:
        return url
    return "%s%s%s" % (url, "&" if "?" in url else "?", query)


class _NetworkError(Exception):
    """A request that got no HTTP answer. ``sent`` says whether it may have
    reached the service (a failed connect sends nothing); ``kind`` is
    ``tls``, ``timeout`` or ``connection``."""

    def __init__(self, cause, sent, kind):
        super(_NetworkError, self).__init__(str(cause))
        self.cause = cause
        self.sent = sent
        self.kind = kind


def _network_error(exc, sent):
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return _NetworkError(exc, sent, "tls")
    if isinstance(exc, socket.timeout):
        return _NetworkError(exc, sent, "timeout")
    return _NetworkError(exc, sent, "connection")


def url_userinfo(url):
    """The ``user:password`` part of a URL, or None."""
    url = (url or "").strip()
    if "://" not in url:
        url = "http://" + url
    netloc = urlsplit(url).netloc
    if "@" not in netloc:
        return None
    return netloc.rsplit("@", 1)[0]


def normalize_url(url):
    """``proxy_url`` with a scheme and without a trailing slash. Refuses what
    cannot be right: another scheme than http(s), no host, user information
    (oio-proxy has no authentication, so a password there could only leak
    into messages and logs), a query or a fragment. The errors never repeat
    the URL."""
    url = (url or "").strip().rstrip("/")
    if not url:
        raise ValueError("proxy_url is empty")
    if "://" not in url:
        url = "http://" + url
    if url_userinfo(url) is not None:
        raise ValueError("proxy_url must not contain a user or password ('user:password@'): "
                         "oio-proxy has no authentication; remove that part")
    parts = urlsplit(url)
    try:
        valid_port = parts.port is None or 0 < parts.port < 65536
    except ValueError:  # not a number, or beyond 65535
        valid_port = False
    if not valid_port:
        raise ValueError("proxy_url has an invalid port")
    if parts.scheme.lower() not in URL_SCHEMES:
        raise ValueError("proxy_url must start with http:// or https://, not %s://"
                         % parts.scheme)
    if not parts.hostname:
        raise ValueError("proxy_url has no host")
    if parts.query or parts.fragment:
        raise ValueError("proxy_url must not contain a query or a fragment")
    return url


def check_namespace(namespace):
    """Raise ValueError unless ``namespace`` is a valid namespace name."""
    if not isinstance(namespace, str) or not NAMESPACE_RE.match(namespace):
        raise ValueError("namespace must be 1 to 63 characters among letters, digits, '.', "
                         "'_' and '-', starting with a letter or a digit, got %r" % (namespace,))
    return namespace


def endpoint_of(url):
    """``scheme://host:port`` of a URL: the unit the circuit breaker counts on."""
    parts = urlsplit(url)
    return "%s://%s" % (parts.scheme, parts.netloc)


class OioClient(object):
    """HTTP client for one namespace through one proxy.

    ``retries`` is the number of extra attempts after a transient failure.
    A request is retried only when it is safe: reads always, writes only when
    the caller says the route is idempotent on the server (``idempotent=True``)
    or when the connection could not even be opened (nothing was sent).
    ``warn`` receives one message per retry.

    Every request asks for keep-alive and borrows a connection from a pool
    (standard library only: a module run imports no HTTP package), so the
    connections open are at most the requests in flight; ``pool_size`` idle
    connections are kept for the next requests.
    """

    def __init__(self, proxy_url, namespace, timeout=30.0, retries=3,
                 validate_certs=True, ca_path=None, request_id=None, warn=None,
                 backoff=0.5, max_backoff=8.0, pool_size=32, sleep=time.sleep,
                 rdir_scheme="http", breaker_threshold=BREAKER_THRESHOLD, check_mode=False):
        try:
            self.proxy_url = normalize_url(proxy_url)
            self.namespace = check_namespace(namespace)
        except ValueError as exc:
            raise OioError(str(exc))
        if rdir_scheme not in URL_SCHEMES:
            raise OioError("rdir_scheme must be http or https, got %r" % (rdir_scheme,))
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.validate_certs = bool(validate_certs)
        self.ca_path = ca_path
        self._tls_context = None
        self.request_id = request_id or "ansible-openio"
        self.warn = warn or (lambda msg: None)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.pool_size = pool_size
        self.sleep = sleep
        # rdir services are reached directly, not through the proxy, and speak
        # plain HTTP in a standard deployment: their scheme is their own.
        self.rdir_scheme = rdir_scheme
        # The one check-mode gate: a client of a task in check mode refuses
        # every write, so a forgotten branch fails loudly instead of writing.
        self.check_mode = bool(check_mode)
        self._idle = {}  # endpoint -> idle connections
        self._lock = threading.Lock()
        self.connections_opened = 0
        self.request_count = 0
        self.retry_count = 0
        self.breaker_threshold = max(1, int(breaker_threshold))
        self._failures = {}     # endpoint -> consecutive connection failures
        self.open_circuits = {}  # endpoint -> the error that opened it

    # -- transport -------------------------------------------------------

    def _tls(self):
        """The TLS context of every https connection: system trust, or
        ``ca_path`` (a file or a directory), or none when validate_certs is off."""
        if self._tls_context is None:
            if not self.validate_certs:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            elif self.ca_path and os.path.isdir(self.ca_path):
                context = ssl.create_default_context(capath=self.ca_path)
            else:
                context = ssl.create_default_context(cafile=self.ca_path or None)
            self._tls_context = context
        return self._tls_context

    def _borrow(self, endpoint):
        """An idle connection to ``endpoint``, or a new (unopened) one. One
        connection serves one request at a time, so the connections in use
        bound the connections open."""
        with self._lock:
            idle = self._idle.get(endpoint)
            conn = idle.pop() if idle else None
        if conn is not None:
            # The service may have closed it while it was idle (an EOF, or
            # anything unasked, makes the socket readable): open a new one
            # rather than write a request no one will read.
            sock = conn.sock
            if sock is not None and select.select([sock], [], [], 0)[0]:
                conn.close()
            return conn
        parts = urlsplit(endpoint)
        if parts.scheme == "https":
            return httplib.HTTPSConnection(parts.hostname, parts.port, context=self._tls())
        return httplib.HTTPConnection(parts.hostname, parts.port)

    def _give_back(self, endpoint, conn):
        with self._lock:
            idle = self._idle.setdefault(endpoint, [])
            if sum(len(conns) for conns in self._idle.values()) < self.pool_size:
                idle.append(conn)
                return
        conn.close()

    def close(self):
        """Close the pooled connections."""
        with self._lock:
            pools, self._idle = self._idle, {}
        for conns in pools.values():
            for conn in conns:
                conn.close()

    def _send(self, method, url, body, headers):
        """One exchange on a pooled keep-alive connection: an
        :class:`_Answer`, or :class:`_NetworkError` when no answer came."""
        endpoint = endpoint_of(url)
        parts = urlsplit(url)
        # Paths are built quoted; anything still unsafe is quoted here.
        target = quote(parts.path or "/", safe="/%!$&'()*+,;=:@~")
        if parts.query:
            target += "?" + parts.query
        conn = self._borrow(endpoint)
        if conn.sock is None:
            conn.timeout = min(self.timeout, 10.0)
            try:
                conn.connect()
            except (OSError, httplib.HTTPException) as exc:
                conn.close()
                raise _network_error(exc, sent=False)
            with self._lock:
                self.connections_opened += 1
        try:
            conn.sock.settimeout(self.timeout)
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            content = resp.read()
        except (OSError, httplib.HTTPException) as exc:
            conn.close()
            raise _network_error(exc, sent=True)
        # Connection: Close in the answer closed the socket already; the
        # connection object opens a new one when it is borrowed again.
        self._give_back(endpoint, conn)
        return _Answer(resp.status, resp.reason, resp.headers, content, url)

    def new_request_id(self):
        rid = "%s-%s" % (self.request_id, uuid.uuid4().hex[:16])
        return rid[:MAX_REQUEST_ID]

    def request(self, method, url, params=None, json_body=_NOTHING, headers=None,
                idempotent=None, action_mode=None, expect=None, past_breaker=False):
        """Send one request with retries; return an :class:`OioResponse`.

        ``expect`` is a collection of HTTP statuses >= 400 that the caller
        handles itself (returned instead of raised), e.g. 404 on a lookup.
        ``past_breaker`` sends it even to an endpoint whose circuit is open:
        for the few requests whose loss costs more than one more try (the
        release of the meta0 writer lease).
        """
        method = method.upper()
        if self.check_mode and is_write(method, url):
            raise WriteInCheckMode("internal error: a write was attempted in check mode, and "
                                   "refused: %s %s" % (method, url), method=method, url=url)
        if idempotent is None:
            idempotent = method in ("GET", "HEAD")
        hdrs = {
            "User-Agent": USER_AGENT,
            # oio-proxy closes every connection whose request does not ask
            # for keep-alive.
            "Connection": "Keep-Alive",
            "x-oio-req-id": self.new_request_id(),
            "x-oio-timeout": str(int(self.timeout * 1e6)),
        }
        if action_mode:
            hdrs["x-oio-action-mode"] = ",".join(action_mode)
        if headers:
            hdrs.update(headers)
        data = None
        if json_body is not _NOTHING:
            data = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        attempts = self.retries + 1
        attempt = 0
        replayed = False
        url = with_query(url, params)
        endpoint = endpoint_of(url)
        while True:
            attempt += 1
            if not past_breaker:
                self._check_circuit(method, url, endpoint)
            with self._lock:
                self.request_count += 1
            try:
                answer = self._send(method, url, data, hdrs)
            except _NetworkError as exc:
                err, safe = self._network_error(method, url, exc, idempotent)
                self._count_failure(endpoint, exc, err)
                if safe and attempt < attempts:
                    self._pause(attempt, attempts, err)
                    continue
                raise err
            self._count_success(endpoint)
            if answer.status < 400:
                return OioResponse(answer.status, answer.headers, _decode(answer), url, method)
            err = error_from_response(method, url, answer)
            if expect and answer.status in expect:
                if not (err.transient and idempotent and attempt < attempts):
                    return OioResponse(answer.status, answer.headers, err.body, url, method)
            if err.transient and idempotent and attempt < attempts:
                self._pause(attempt, attempts, err)
                continue
            if err.status == STALE_PREFIX and not replayed and not self.check_mode \
                    and url.startswith(self.proxy_url):
                replayed = True
                self.warn("the proxy routed the request by a meta0 mapping that changed since: "
                          "flushed its cache and sent it again (%s)" % err)
                self.proxy_global("POST", "cache/flush/high", idempotent=True)
                continue
            raise err

    # -- circuit breaker -------------------------------------------------

    def _check_circuit(self, method, url, endpoint):
        """Fail at once when ``endpoint`` already failed too many times in a
        row: a dead proxy is reported in seconds, not after every remaining
        request went through its retries."""
        cause = self.open_circuits.get(endpoint)
        if cause is not None:
            raise OioError("not sent: %d consecutive connection failures to %s, the client "
                           "stopped sending to it (last: %s)"
                           % (self.breaker_threshold, endpoint, cause.message),
                           method=method, url=url, transient=False)

    def _count_failure(self, endpoint, exc, err):
        # A TLS failure or a slow answer is no sign of a dead endpoint.
        if exc.kind != "connection" and (exc.sent or exc.kind == "tls"):
            return
        with self._lock:
            count = self._failures.get(endpoint, 0) + 1
            self._failures[endpoint] = count
            opened = count >= self.breaker_threshold and endpoint not in self.open_circuits
            if opened:
                self.open_circuits[endpoint] = err
        if opened:
            self.warn("%d consecutive connection failures to %s: no more requests are sent "
                      "to it in this run" % (count, endpoint))

    def _count_success(self, endpoint):
        if self._failures.get(endpoint):
            with self._lock:
                self._failures[endpoint] = 0

    def circuit_open(self, url=None):
        """Whether requests to the endpoint of ``url`` (default: the proxy)
        are no longer sent."""
        return endpoint_of(url or self.proxy_url) in self.open_circuits

    def _network_error(self, method, url, exc, idempotent):
        # A failed connect means the request never left: safe to resend
        # even a non-idempotent write. A read timeout or reset is not.
        if exc.kind == "tls":
            return OioError("TLS error: %s" % exc, method=method, url=url), False
        if exc.kind == "timeout":
            msg = "cannot connect: timed out" if not exc.sent else \
                "no answer within %ss" % self.timeout
        else:
            msg = "cannot reach the service: %s" % _short(exc)
        err = OioError(msg, method=method, url=url, transient=True)
        return err, bool(idempotent or not exc.sent)

    def _pause(self, attempt, attempts, err):
        with self._lock:
            self.retry_count += 1
        delay = random.uniform(0, min(self.max_backoff, self.backoff * (2 ** (attempt - 1))))
        self.warn("retrying (attempt %d of %d) after a transient failure: %s"
                  % (attempt + 1, attempts, err))
        self.sleep(delay)

    # -- URL builders ----------------------------------------------------

    def proxy_route(self, route):
        try:
            check_namespace(self.namespace)
        except ValueError as exc:
            raise OioError(str(exc))
        return "%s/%s/%s/%s" % (self.proxy_url, API_VERSION,
                                quote(self.namespace, safe=""), route)

    def proxy(self, method, route, params=None, **kwargs):
        """A namespaced proxy route, e.g. ``proxy("GET", "conscience/list", {...})``.
        Query values are percent-encoded, so a name cannot change the path."""
        return self.request(method, self.proxy_route(route), params=params, **kwargs)

    def proxy_global(self, method, route, params=None, **kwargs):
        """A proxy route outside the namespace (``/v3.0/cache/...``)."""
        url = "%s/%s/%s" % (self.proxy_url, API_VERSION, route)
        return self.request(method, url, params=params, **kwargs)

    def rdir_url(self, rdir_addr, route):
        return "%s://%s/%s" % (self.rdir_scheme, rdir_addr, route.lstrip("/"))

    def rdir(self, method, rdir_addr, route, params=None, **kwargs):
        """A route of one rdir service, reached directly at its address."""
        return self.request(method, self.rdir_url(rdir_addr, route), params=params, **kwargs)

    # -- shared reads ----------------------------------------------------

    def conscience_list(self, service_type, full=False):
        params = {"type": service_type}
        if full:
            params["full"] = "1"
        return self.proxy("GET", "conscience/list", params).body or []

    def map_bounded(self, func, items, workers=8):
        """Run ``func(item)`` over ``items`` with at most ``workers`` threads
        (so at most ``workers`` connections, one pooled session each).
        Returns ``[(item, result, error)]`` in input order; one failure never
        stops the others."""
        return map_bounded(func, items, workers)


def map_bounded(func, items, workers=8):
    items = list(items)
    if not items:
        return []
    workers = max(1, min(int(workers), len(items)))

    def call(item):
        try:
            return (item, func(item), None)
        except Exception as exc:  # pylint: disable=broad-except
            return (item, None, exc)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(call, items))


def _short(exc):
    return (str(exc) or type(exc.cause).__name__)[:200]
