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
import threading
import time
import traceback

from concurrent.futures import ThreadPoolExecutor

try:
    from urllib.parse import quote, urlencode, urlsplit
except ImportError:  # pragma: no cover - Python 2 is not a target
    from urllib import quote, urlencode  # type: ignore
    from urlparse import urlsplit  # type: ignore

try:
    import requests
    from requests import exceptions as rexc
    from requests.adapters import HTTPAdapter
    from requests.utils import requote_uri
    from urllib3 import disable_warnings
    from urllib3.exceptions import InsecureRequestWarning, NewConnectionError
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.openio.sds.plugins.module_utils.errors import OioError

API_VERSION = "v3.0"
USER_AGENT = "openio.sds-ansible"
MAX_REQUEST_ID = 63  # the Python SDK truncates there; the proxy logs it as is
REQUEST_ID_RE = re.compile(r"^[\x20-\x7e]{1,%d}$" % MAX_REQUEST_ID)

# Internal OpenIO statuses that mean "try again": network errors towards a
# service (2..9), unavailable, gateway timeout, too many redirects, excessive
# load (proxy-api.md 1.6). 436 (container frozen) also maps to 503 but will
# not heal by itself, so it is not retried.
TRANSIENT_INTERNAL = frozenset([2, 3, 4, 5, 6, 7, 8, 9, 305, 503, 504, 509])
TRANSIENT_HTTP = frozenset([503, 504])
# What a dead service looks like behind the proxy: a network error towards it
# (2..9), or no meta1 of a base answering while its peers elect a new master
# (proxy-api.md 1.4). Only these are tried again through an outage window:
# an overloaded proxy's 503 is not a dead peer.
PEER_UNREACHABLE = frozenset([2, 3, 4, 5, 6, 7, 8, 9])
NO_META1 = "No meta1 answered"
# "Prefix not managed": the proxy sent a reference request to a meta1 that its
# cached meta0 mapping still names, but that a meta0 force (another writer's
# base move) took the prefix from. The meta1 refused it, so nothing was done:
# a proxy route is replayed once after the proxy forgets the mapping, whatever
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
# Requests at once on meta1 bases by default (base moves, election reads). A
# base's election makes its request answer about 95 ms later on 2026.14,
# without loading the proxy; a 2-core cluster's proxy serves about 330 admin
# requests a second, so about 32 in flight keep it busy through the elections
# (with 8, a meta1 decommission took 1.9 times as long on the simulator; on
# 7.3.0, whose elections cost no more than the request, 32 and 8 take as long).
META1_CONCURRENCY = 32
# Connections kept per service (scheme://host:port) when no concurrency is
# given, and services whose pools are kept (the proxy and a few rdir).
POOL_SIZE = 8
POOL_SERVICES = 16

_NOTHING = object()


def pool_size_for(concurrency):
    """Connections to keep per service for ``concurrency`` requests at once:
    one per request, and one for a listing read beside them."""
    return max(POOL_SIZE, (concurrency or 0) + 1)


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


def _decode(resp):
    content = resp.content
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:  # UnicodeDecodeError included
        try:
            return content.decode(resp.encoding or "utf-8", "replace")
        except LookupError:  # a charset Python does not know
            return content.decode("utf-8", "replace")


def error_from_response(method, url, resp):
    body = _decode(resp)
    status = None
    message = resp.reason or "HTTP error"
    if isinstance(body, dict) and "status" in body:
        status = body.get("status")
        message = body.get("message") or message
    elif isinstance(body, str) and body.strip():
        message = body.strip()
    transient = resp.status_code in TRANSIENT_HTTP or status in TRANSIENT_INTERNAL
    return OioError(message, method=method, url=url, http_status=resp.status_code,
                    status=status, body=body, transient=transient)


def peer_outage(err):
    """Whether ``err`` says a service behind the proxy is dead or its base is
    electing (worth waiting for), not that the proxy is overloaded."""
    return err.status in PEER_UNREACHABLE or (err.http_status == 503 and NO_META1 in err.message)


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


def _network_error(exc):
    """The :class:`_NetworkError` of a requests exception: whether the
    request may have left (a connection that could not even be opened sent
    nothing) and what kind of failure it was."""
    if isinstance(exc, rexc.SSLError):
        return _NetworkError(exc, False, "tls")
    if isinstance(exc, rexc.ConnectTimeout):
        return _NetworkError(exc, False, "timeout")
    if isinstance(exc, rexc.Timeout):
        return _NetworkError(exc, True, "timeout")
    cause = exc.args[0] if exc.args else None
    never_sent = isinstance(getattr(cause, "reason", None), NewConnectionError)
    return _NetworkError(exc, not never_sent, "connection")


def check_request_id(request_id):
    """Raise ValueError unless ``request_id`` can go into a header as it is:
    printable ASCII, so that no CR or LF can end the header early."""
    if not isinstance(request_id, str) or not REQUEST_ID_RE.match(request_id):
        raise ValueError("request_id must be 1 to %d printable ASCII characters (no control "
                         "characters such as CR or LF), got %r" % (MAX_REQUEST_ID, request_id))
    return request_id


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

    Every request asks for keep-alive and goes through one
    ``requests.Session``, whose urllib3 pools keep up to ``pool_size``
    connections per service (size it to the concurrency of the task) and
    replace the ones a service closed while they were idle. urllib3 retries
    nothing: which failures are retried is OpenIO's rule, decided here.
    """

    def __init__(self, proxy_url, namespace, timeout=30.0, retries=3,
                 validate_certs=True, ca_path=None, request_id=None, warn=None,
                 backoff=0.5, max_backoff=8.0, pool_size=POOL_SIZE, sleep=time.sleep,
                 rdir_scheme="http", breaker_threshold=BREAKER_THRESHOLD, check_mode=False,
                 outage=0.0, clock=time.time):
        if not HAS_REQUESTS:
            raise OioError("the Python library requests is required on the host that runs "
                           "the module (pip install requests)")
        try:
            self.proxy_url = normalize_url(proxy_url)
            self.namespace = check_namespace(namespace)
            self.request_id = check_request_id(request_id or "ansible-openio")
        except ValueError as exc:
            raise OioError(str(exc))
        if rdir_scheme not in URL_SCHEMES:
            raise OioError("rdir_scheme must be http or https, got %r" % (rdir_scheme,))
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.verify = ca_path if (validate_certs and ca_path) else bool(validate_certs)
        if not validate_certs:
            # The operator turned verification off: say it once in the
            # documentation, not on every request.
            disable_warnings(InsecureRequestWarning)
        self.warn = warn or (lambda msg: None)
        self.backoff = backoff
        self.max_backoff = max_backoff
        # Seconds a transient failure of a request that may be retried is
        # tried again after its retries are spent: a meta1 peer that died
        # makes its bases answer 503 until the cluster elected a new master.
        self.outage = max(0.0, float(outage))
        self.clock = clock
        self.sleep = sleep
        # rdir services are reached directly, not through the proxy, and speak
        # plain HTTP in a standard deployment: their scheme is their own.
        self.rdir_scheme = rdir_scheme
        # The one check-mode gate: a client of a task in check mode refuses
        # every write, so a forgotten branch fails loudly instead of writing.
        self.check_mode = bool(check_mode)
        self._session = self._new_session(max(1, int(pool_size)))
        self._lock = threading.Lock()
        self.request_count = 0
        self.retry_count = 0
        self.breaker_threshold = max(1, int(breaker_threshold))
        self._failures = {}     # endpoint -> consecutive connection failures
        self.open_circuits = {}  # endpoint -> the error that opened it

    # -- transport -------------------------------------------------------

    @staticmethod
    def _new_session(pool_size):
        session = requests.Session()
        # Proxy and netrc settings of the environment have no place between
        # an operator and the cluster's own services, and cost time on every
        # request; TLS trust comes from validate_certs/ca_path.
        session.trust_env = False
        adapter = HTTPAdapter(pool_connections=POOL_SERVICES, pool_maxsize=pool_size,
                              max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        # oio-proxy closes every connection whose request does not ask for
        # keep-alive.
        session.headers.update({"User-Agent": USER_AGENT, "Connection": "Keep-Alive"})
        return session

    def close(self):
        """Close the pooled connections."""
        self._session.close()

    def _send(self, method, url, body, headers):
        """One exchange: the ``requests.Response``, or :class:`_NetworkError`
        when no answer came."""
        try:
            # Not streamed: the body is read here and the connection is free again.
            return self._session.send(self._prepare(method, url, body, headers),
                                      timeout=(min(self.timeout, 10.0), self.timeout),
                                      verify=self.verify, allow_redirects=False)
        except rexc.RequestException as exc:
            raise _network_error(exc)

    def _prepare(self, method, url, body, headers):
        """The prepared request, without ``Session.prepare_request``: the URL
        is built by this client (only what is still unsafe in it is quoted,
        it is not parsed again), there are no cookies, auth or hooks to
        merge, and that merge was a third of the client's CPU per request."""
        prep = requests.PreparedRequest()
        prep.prepare_method(method)
        prep.url = requote_uri(url)
        merged = dict(self._session.headers)
        merged.update(headers)
        prep.prepare_headers(merged)
        prep.prepare_body(body, None)
        prep.prepare_hooks({})
        return prep

    def new_request_id(self):
        rid = "%s-%s" % (self.request_id, os.urandom(8).hex())
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
        first_failure = None
        url = with_query(url, params)
        endpoint = endpoint_of(url)
        while True:
            attempt += 1
            if not past_breaker:
                self._check_circuit(method, url, endpoint)
            with self._lock:
                self.request_count += 1
            try:
                resp = self._send(method, url, data, hdrs)
            except _NetworkError as exc:
                err, safe = self._network_error(method, url, exc, idempotent)
                self._count_failure(endpoint, exc, err)
                first_failure = first_failure or self.clock()
                if safe and self._again(attempt, attempts, first_failure, False):
                    self._pause(attempt, attempts, err)
                    continue
                raise err
            self._count_success(endpoint)
            if resp.status_code < 400:
                return OioResponse(resp.status_code, resp.headers, _decode(resp), url, method)
            err = error_from_response(method, url, resp)
            if err.transient:
                first_failure = first_failure or self.clock()
            again = err.transient and idempotent and \
                self._again(attempt, attempts, first_failure, peer_outage(err))
            if expect and resp.status_code in expect and not again:
                return OioResponse(resp.status_code, resp.headers, err.body, url, method)
            if again:
                self._pause(attempt, attempts, err)
                continue
            raise self._given_up(err, err.transient and idempotent and peer_outage(err),
                                 first_failure)

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

    def _again(self, attempt, attempts, first_failure, outage):
        """Whether a transient failure is tried again: within the retries,
        else, when it is a peer outage, within ``outage`` seconds of the
        request's first failure."""
        if attempt < attempts:
            return True
        return outage and self.outage > 0 and self.clock() - first_failure < self.outage

    def _given_up(self, err, retried, first_failure):
        """``err``, saying so when it outlived the outage window."""
        if retried and self.outage > 0 and first_failure is not None:
            err.message = ("%s (still failing after %ds of retries: run the task again once the "
                           "cluster has elected its masters)"
                           % (err.message, self.clock() - first_failure))
        return err

    def _pause(self, attempt, attempts, err):
        with self._lock:
            self.retry_count += 1
        delay = random.uniform(0, min(self.max_backoff, self.backoff * (2 ** (attempt - 1))))
        if attempt < attempts:
            self.warn("retrying (attempt %d of %d) after a transient failure: %s"
                      % (attempt + 1, attempts, err))
        else:
            self.warn("retrying (attempt %d) for up to %ds after the first failure, while the "
                      "cluster elects new masters: %s" % (attempt + 1, self.outage, err))
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
        try:
            return self.request(method, self.proxy_route(route), params=params, **kwargs)
        except OioError as err:
            # The meta1 refused it, so nothing was done; check mode sends no flush.
            if err.status != STALE_PREFIX or self.check_mode:
                raise
            self.warn("the proxy routed the request by a meta0 mapping that changed since: "
                      "flushed its cache and sent it again (%s)" % err)
        self.proxy_global("POST", "cache/flush/high", idempotent=True)
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
    text = str(exc) or type(exc.cause).__name__
    # urllib3 wraps the useful part ("[Errno 111] Connection refused") deep inside.
    if "[Errno" in text:
        text = text[text.rfind("[Errno"):].rstrip("')\"")
    return text[:200]
