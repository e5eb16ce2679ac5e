# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replicated bases and their elections (proxy ``/admin/...`` routes).

A base is addressed by its type and a cid; every admin route that runs on
all peers answers a per-peer map, turned here into one shape. The health
rule (algorithms.md 13): exactly one peer answers 200 (master) and every
other answers 303 naming it. ``scan_meta1_elections`` reads the status of
every meta1 base over a pipelined keep-alive transport, because a digits-4
namespace has 65,536 of them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import collections
import json
import socket
import ssl
import threading
import time
import uuid

try:
    from urllib.parse import quote, urlsplit
except ImportError:  # pragma: no cover - Python 2 is not a target
    from urllib import quote  # type: ignore
    from urlparse import urlsplit  # type: ignore

from ansible_collections.openio.sds.plugins.module_utils.client import (
    API_VERSION, TRANSIENT_HTTP, TRANSIENT_INTERNAL, USER_AGENT, OioError)
from ansible_collections.openio.sds.plugins.module_utils.names import (
    base_cid, base_name, check_name_lengths, compute_cid, is_cid, short_prefixes,
    split_base_name)

BASE_TYPES = ("meta0", "meta1", "meta2", "sqlx")
NETWORK_STATUSES = frozenset(range(2, 10))
STATES = ("healthy", "unreachable", "failed", "split", "no_master", "error")
# Per-peer debug states meaning "not part of an election" (admin/debug).
OUT_OF_ELECTION = frozenset(["NONE", "LEAVING", "LEAVING_FAILING"])
_UNSET = object()


class BaseRef(object):
    """One replicated base: its type, its name and the admin query that
    reaches it. meta1 bases are addressed by the base cid (the base name
    padded with 0), which every admin route accepts, including
    ``get_properties`` and ``copy`` that do not normalise the cid."""

    def __init__(self, stype, name, params, cid=None, account=None, reference=None,
                 digits=None):
        self.type = stype
        self.name = name
        self.params = params
        self.cid = cid
        self.account = account
        self.reference = reference
        self.digits = digits

    def query(self, **extra):
        params = dict(self.params)
        params.update(extra)
        return params

    def to_dict(self):
        out = {"type": self.type, "name": self.name, "cid": self.cid}
        if self.account is not None:
            out["account"] = self.account
            out["reference"] = self.reference
        return out


def base_identity_spec():
    """Options naming one base (documented by the ``openio.sds.base`` fragment)."""
    return dict(account=dict(type="str"), reference=dict(type="str"),
                cid=dict(type="str", aliases=["base"]))


def all_bases_scan_spec():
    """Tuning of the all-bases scan (documented by ``openio.sds.base.all_bases``)."""
    return dict(max_unhealthy=dict(type="int", default=1000),
                connections=dict(type="int", default=2),
                pipeline_depth=dict(type="int", default=64))


# Ranges of the all-bases scan options (OioModule ``ranges``).
ALL_BASES_SCAN_RANGES = dict(max_unhealthy=(0, None), connections=(1, 16),
                             pipeline_depth=(1, 1024))


# AnsibleModule rules that go with base_identity_spec().
BASE_IDENTITY_RULES = dict(required_together=[("account", "reference")],
                           mutually_exclusive=[("cid", "account")])


def meta1_digits(client):
    """``ns.meta1_digits`` (or ``meta1_digits``) from the namespace info,
    4 when the namespace does not set it, as the CLI does."""
    info = client.proxy("GET", "conscience/info").body or {}
    options = info.get("options") or {} if isinstance(info, dict) else {}
    for key in ("ns.meta1_digits", "meta1_digits"):
        value = options.get(key)
        if value not in (None, ""):
            try:
                digits = int(value)
            except (TypeError, ValueError):
                break
            if 0 <= digits <= 4:
                return digits
            break
    return 4


def resolve_base(client, stype, account=None, reference=None, cid=None, digits=None):
    """Check the user's way of naming a base and return a :class:`BaseRef`.
    Raises ValueError with a readable message; nothing is sent except the
    namespace info read for meta1 bases."""
    if stype not in BASE_TYPES:
        raise ValueError("type must be one of %s, got %r" % (", ".join(BASE_TYPES), stype))
    if (account is None) != (reference is None):
        raise ValueError("account and reference go together")
    if account is not None and cid is not None:
        raise ValueError("give either account and reference, or cid")
    if account is not None:
        problem = check_name_lengths(account, reference)
        if problem:
            raise ValueError(problem)
        if not account or not reference:
            raise ValueError("account and reference must not be empty")
    if stype == "meta0":
        # Every meta0 holds the one meta0 base; the route still wants a cid.
        return BaseRef(stype, client.namespace, {"type": stype, "cid": "0" * 64},
                       cid="0" * 64)
    if account is None and cid is None:
        raise ValueError("a %s base needs account and reference, or cid" % stype)
    if stype == "meta1":
        if account is not None:
            full = compute_cid(account, reference)
        elif is_cid(cid):
            full = cid.upper()
        elif isinstance(cid, str) and 1 <= len(cid) <= 4 and _is_hex(cid):
            full = cid.upper().ljust(64, "0")
        else:
            raise ValueError("a meta1 base is named by a 64-hex cid, or by its base "
                             "name or prefix (1 to 4 hex chars), got %r" % (cid,))
        if digits is None:
            digits = meta1_digits(client)
        name = base_name(full[:4], digits)
        return BaseRef(stype, name, {"type": stype, "cid": base_cid(name)}, cid=full,
                       account=account, reference=reference, digits=digits)
    if account is not None:
        full = compute_cid(account, reference)
    else:
        try:
            full, seq = split_base_name(cid)
        except ValueError as exc:
            raise ValueError(str(exc))
        if seq is not None and seq != 1:
            # The proxy drops the sequence and always opens <CID>.1.
            raise ValueError("the proxy's admin routes only reach sequence 1 of a %s base "
                             "(%s.1), not %r" % (stype, full, cid))
    return BaseRef(stype, full + ".1", {"type": stype, "cid": full}, cid=full,
                   account=account, reference=reference)


def _is_hex(text):
    return all(c in "0123456789abcdefABCDEF" for c in text)


# -- per-peer answers -------------------------------------------------------

def peer_results(body, method=None, url=None):
    """``{addr: {"status": int, "message": str, "body": ...}}`` from a
    RUN_ALL / SPECIFIED answer; OioError if it does not have that shape."""
    if not isinstance(body, dict):
        raise OioError("unexpected answer, not a per-peer map: %r" % (body,)[:200],
                       method=method, url=url)
    out = {}
    for addr, item in body.items():
        status, message, payload = None, "", None
        if isinstance(item, dict):
            st = item.get("status")
            if isinstance(st, dict):
                status = st.get("status")
                message = st.get("message") or ""
            payload = item.get("body")
        try:
            status = int(status)
        except (TypeError, ValueError):
            raise OioError("unexpected per-peer answer for %s: %r" % (addr, item),
                           method=method, url=url)
        out[addr] = {"status": status, "message": message,
                     "body": None if payload == "" else payload}
    return out


def describe_peer(addr, result):
    """One readable line for a peer answer that is not plain success."""
    status = result["status"]
    if status in NETWORK_STATUSES:
        what = "unreachable"
    elif status == 500:
        what = "election failed"
    else:
        what = "answered"
    return "%s %s (OpenIO status %s: %s)" % (addr, what, status, result["message"])


def summarize_status(peers):
    """Health of one base from its ``admin/status`` per-peer map."""
    masters = sorted(a for a, r in peers.items() if r["status"] == 200)
    slaves = sorted(a for a, r in peers.items() if r["status"] == 303)
    view = {}
    problems = []
    unreachable = failed = False
    for addr in sorted(peers):
        res = peers[addr]
        status = res["status"]
        if status == 200:
            role = "master"
        elif status == 303:
            role = "slave"
        elif status in NETWORK_STATUSES:
            role, unreachable = "unreachable", True
            problems.append(describe_peer(addr, res))
        elif status == 500:
            role, failed = "failed", True
            problems.append(describe_peer(addr, res))
        else:
            role = "error"
            problems.append(describe_peer(addr, res))
        entry = {"role": role, "status": status, "message": res["message"]}
        if status == 303:
            entry["master"] = res["message"]
        view[addr] = entry
    master = masters[0] if len(masters) == 1 else None
    if len(masters) > 1:
        problems.append("%d peers claim to be master: %s" % (len(masters), ", ".join(masters)))
    for addr in slaves:
        named = peers[addr]["message"]
        if master is not None and named != master:
            problems.append("%s follows %s, not the master %s" % (addr, named, master))
        elif master is None and not masters and named not in peers:
            problems.append("%s follows %s, which is not a peer" % (addr, named))
    if not masters and not problems:
        problems.append("no peer is master")
    if not peers:
        problems.append("no peer answered")
    if not problems:
        state = "healthy"
    elif unreachable:
        state = "unreachable"
    elif failed:
        state = "failed"
    elif len(masters) > 1 or (master is not None and any(
            peers[a]["message"] != master for a in slaves)):
        state = "split"
    elif not masters:
        state = "no_master"
    else:
        state = "split" if len(masters) > 1 else "failed"
    return {"master": master, "slaves": slaves, "peers": view,
            "healthy": state == "healthy", "state": state, "problems": problems}


# -- single-base calls --------------------------------------------------------

def admin_call(client, base, action, idempotent=True, **extra):
    """POST /admin/<action> on every peer of ``base``; the per-peer map."""
    resp = client.proxy("POST", "admin/" + action, base.query(**extra), idempotent=idempotent)
    return peer_results(resp.body, resp.method, resp.url)


def election_status(client, base):
    """Status of the election (admin/status is a read: it lets the peers
    finish an election they need, as any access does)."""
    return summarize_status(admin_call(client, base, "status"))


def election_debug(client, base):
    """``{addr: debug object or None}`` (None: no election on that peer)."""
    return dict((a, r["body"] if r["status"] == 200 else
                 {"error": describe_peer(a, r)})
                for a, r in admin_call(client, base, "debug").items())


def in_election(debug_body):
    """Whether a peer's debug answer shows it taking part in an election."""
    if not isinstance(debug_body, dict) or not debug_body:
        return False
    if "error" in debug_body:
        return True  # unknown: count it as still in the election
    state = (debug_body.get("local") or {}).get("state")
    return state not in OUT_OF_ELECTION


def ping(client, base):
    """Start or refresh the election on every peer (does not wait). Pinging
    again is harmless, so transient failures are retried."""
    return admin_call(client, base, "ping")


def leave(client, base, service_ids=None):
    """Every peer (or the given ones) quits the election; the next access
    elects again. Leaving twice leaves the same state: retried."""
    extra = {"service_id": ",".join(service_ids)} if service_ids else {}
    return admin_call(client, base, "leave", **extra)


def sync(client, base, check_type=None):
    """Slaves re-download the base from the master; the master answers 301.
    Repeating it converges to the same copies: retried on 503."""
    extra = {"check_type": str(check_type)} if check_type is not None else {}
    return admin_call(client, base, "sync", **extra)


def sync_problems(results):
    """Peers whose sync answer is neither 200 (resynced) nor 301 (master)."""
    return [describe_peer(a, r) for a, r in sorted(results.items())
            if r["status"] not in (200, 301)]


def call_problems(results):
    return [describe_peer(a, r) for a, r in sorted(results.items()) if r["status"] != 200]


def wait_elected(client, base, timeout, check_mode=False, interval=0.5, sleep=time.sleep,
                 clock=time.time):
    """Bring ``base`` to a healthy election. Returns ``(summary, pinged)``.

    Reads the status; a healthy base is left alone. Otherwise (unless in
    check mode) pings every peer and reads the status again until healthy
    or ``timeout`` seconds have passed, then raises an OioError naming the
    peers at fault.
    """
    summary = election_status(client, base)
    if summary["healthy"] or check_mode:
        return summary, not summary["healthy"]
    deadline = clock() + max(0.0, float(timeout))
    ping(client, base)
    delay = interval
    while True:
        summary = election_status(client, base)
        if summary["healthy"]:
            return summary, True
        remaining = deadline - clock()
        if remaining <= 0:
            break
        sleep(min(delay, remaining))
        delay = min(delay * 2, 4.0)
        if summary["state"] in ("no_master", "failed"):
            ping(client, base)
    raise OioError("%s base %s is not elected after %ss: %s" % (
        base.type, base.name, timeout, "; ".join(summary["problems"])),
        method="POST", url=client.proxy_route("admin/status"))


# -- every meta1 base -------------------------------------------------------

class PipelinedReader(object):
    """Many small proxy requests over a few keep-alive connections, each
    with up to ``depth`` requests in flight (HTTP/1.1 pipelining).

    Same semantics as :class:`OioClient` for reads: request IDs and the
    ``x-oio-timeout`` budget, OpenIO error bodies as :class:`OioError`,
    transient failures (network, 503/504, internal 2..9/503/...) retried up
    to ``client.retries`` times with backoff and one warning per round. A
    server that closes the connection (``Connection: close``) just gets the
    unanswered requests again on a new connection, one at a time.
    Only for requests that are safe to repeat.
    """

    def __init__(self, client, connections=2, depth=64, sleep=time.sleep):
        self.client = client
        self.connections = max(1, int(connections))
        self.depth = max(1, int(depth))
        self.sleep = sleep
        parts = urlsplit(client.proxy_url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        self.request_count = 0
        # Send more once this many answers came back (1 = a true sliding window).
        self.refill = 1

    def _connect(self):
        sock = socket.create_connection((self.host, self.port),
                                        timeout=min(self.client.timeout, 10.0))
        sock.settimeout(self.client.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.https:
            verify = self.client.verify
            if verify is False:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            elif isinstance(verify, str):
                ctx = ssl.create_default_context(cafile=verify)
            else:
                ctx = ssl.create_default_context()
            sock = ctx.wrap_socket(sock, server_hostname=self.host)
        return sock, sock.makefile("rb")

    def _encode(self, method, path):
        rid = "%s-%s" % (self.client.request_id, uuid.uuid4().hex[:16])
        return ("%s %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: %s\r\n"
                "Connection: keep-alive\r\nContent-Length: 0\r\nx-oio-req-id: %s\r\n"
                "x-oio-timeout: %d\r\n\r\n" % (
                    method, path, self.host, self.port, USER_AGENT, rid[:63],
                    int(self.client.timeout * 1e6))).encode("ascii")

    @staticmethod
    def _read_response(reader):
        line = reader.readline(65537)
        if not line:
            raise EOFError("connection closed")
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise EOFError("malformed status line %r" % line[:80])
        status = int(parts[1])
        reason = parts[2].strip().decode("latin-1") if len(parts) > 2 else ""
        length, chunked, close = None, False, parts[0] == b"HTTP/1.0"
        while True:
            hline = reader.readline(65537)
            if not hline:
                raise EOFError("connection closed in headers")
            if hline in (b"\r\n", b"\n"):
                break
            name, dummy, value = hline.partition(b":")
            name = name.strip().lower()
            value = value.strip()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection":
                close = value.lower() == b"close"
        if chunked:
            chunks = []
            while True:
                size = int(reader.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while reader.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(reader.read(size))
                reader.readline(65537)
            data = b"".join(chunks)
        elif length is not None:
            data = reader.read(length)
            if len(data) < length:
                raise EOFError("truncated body")
        elif status in (204, 304) or 100 <= status < 200:
            data = b""
        else:
            data = reader.read()
            close = True
        return status, reason, data, close

    def _result(self, method, url, status, reason, data):
        body = None
        if data:
            try:
                body = json.loads(data.decode("utf-8"))
            except ValueError:
                body = data.decode("utf-8", "replace")
        if status < 400:
            return body
        internal, message = None, reason or "HTTP error"
        if isinstance(body, dict) and "status" in body:
            internal = body.get("status")
            message = body.get("message") or message
        elif isinstance(body, str) and body.strip():
            message = body.strip()
        transient = status in TRANSIENT_HTTP or internal in TRANSIENT_INTERNAL
        return OioError(message, method=method, url=url, http_status=status,
                        status=internal, body=body, transient=transient)

    def _take(self, queue, lock, count):
        with lock:
            batch = queue[:count]
            del queue[:count]
        return batch

    def _worker(self, queue, lock, results, retry):
        """One connection with a sliding window of requests in flight: new
        requests go out as answers come back, so the server never idles
        waiting for the client (nor for a delayed ACK)."""
        conn = None
        depth = self.depth
        inflight = collections.deque()
        try:
            while True:
                if not inflight:
                    inflight.extend(self._take(queue, lock, depth))
                    if not inflight:
                        return
                    if conn is None:
                        try:
                            conn = self._connect()
                        except (OSError, ssl.SSLError) as exc:
                            self._fail_all(inflight, retry, "cannot reach the service: %s" % exc)
                            inflight.clear()
                            continue
                    sent = list(inflight)
                else:
                    sent = []
                sock, reader = conn
                done, keep = 0, True
                try:
                    if sent:
                        sock.sendall(b"".join(self._encode(item[1], item[2]) for item in sent))
                    while inflight:
                        status, reason, data, close = self._read_response(reader)
                        item = inflight.popleft()
                        res = self._result(item[1], item[3], status, reason, data)
                        if isinstance(res, OioError) and res.transient:
                            retry.append(item + (res,))
                        else:
                            results[item[0]] = res
                        done += 1
                        if close:
                            # A server that closes connections gets no pipelining.
                            keep, depth = False, 1
                            break
                        if len(inflight) <= depth - self.refill:
                            more = self._take(queue, lock, depth - len(inflight))
                            if more:
                                # In flight before sending: a failed send requeues them.
                                inflight.extend(more)
                                sock.sendall(b"".join(self._encode(m[1], m[2]) for m in more))
                except (OSError, EOFError, ValueError, ssl.SSLError) as exc:
                    keep = False
                    if done == 0 and inflight:
                        # Nothing came back: the first request spends one
                        # attempt, so a dead server cannot loop forever.
                        item = inflight.popleft()
                        retry.append(item + (OioError(
                            "cannot reach the service: %s" % exc, method=item[1],
                            url=item[3], transient=True),))
                        done = 1
                with lock:
                    self.request_count += done
                    if not keep and inflight:
                        # Unanswered: send them again on a new connection.
                        queue[:0] = list(inflight)
                if not keep:
                    inflight.clear()
                    self._close(conn)
                    conn = None
        finally:
            if conn is not None:
                self._close(conn)

    @staticmethod
    def _close(conn):
        for part in reversed(conn):
            try:
                part.close()
            except (OSError, ssl.SSLError):
                pass

    @staticmethod
    def _fail_all(batch, retry, message):
        for index, method, path, url in batch:
            retry.append((index, method, path, url, OioError(
                message, method=method, url=url, transient=True)))

    def run(self, requests_list, warn=None):
        """``requests_list``: ``[(method, route, params)]`` of namespaced
        routes. Returns a list, in order, of decoded bodies or OioError."""
        results = [_UNSET] * len(requests_list)
        pending = []
        for i, (method, route, params) in enumerate(requests_list):
            query = "&".join("%s=%s" % (quote(str(k), safe=""), quote(str(v), safe=""))
                             for k, v in sorted(params.items()))
            path = "%s/%s/%s/%s" % (self.prefix, API_VERSION,
                                    quote(self.client.namespace, safe=""), route)
            if query:
                path += "?" + query
            url = "%s://%s:%d%s" % ("https" if self.https else "http", self.host, self.port, path)
            pending.append((i, method.upper(), path, url))
        attempt = 0
        while pending:
            attempt += 1
            retry = []
            lock = threading.Lock()
            queue = list(pending)
            workers = min(self.connections, max(1, len(queue) // self.depth + 1))
            threads = [threading.Thread(target=self._worker,
                                        args=(queue, lock, results, retry))
                       for dummy in range(workers)]
            for t in threads:
                t.daemon = True
                t.start()
            for t in threads:
                t.join()
            if not retry:
                break
            retry.sort(key=lambda r: r[0])
            if attempt > self.client.retries:
                for index, dummy, dummy2, dummy3, err in retry:
                    results[index] = err
                break
            if warn:
                warn("retrying %d request(s) (attempt %d of %d) after transient failures, "
                     "first: %s" % (len(retry), attempt + 1, self.client.retries + 1, retry[0][4]))
            self.sleep(min(self.client.max_backoff, self.client.backoff * (2 ** (attempt - 1))))
            pending = [r[:4] for r in retry]
        for index, value in enumerate(results):
            if value is _UNSET:  # defensive: never hand back a silent success
                results[index] = OioError("no answer", method=requests_list[index][0],
                                          url=requests_list[index][1], transient=True)
        return results


def meta1_bases(digits):
    return [base_name(k.ljust(4, "0"), digits) for k in short_prefixes(digits)]


def scan_meta1_elections(client, digits, bases=None, connections=2, depth=64, warn=None,
                         reader=None):
    """Status of every meta1 base (or of ``bases``): ``[(base, summary)]``
    where a failed request gives a summary in state ``error``."""
    bases = list(bases) if bases is not None else meta1_bases(digits)
    reader = reader or PipelinedReader(client, connections=connections, depth=depth)
    answers = reader.run([("POST", "admin/status", {"type": "meta1", "cid": base_cid(b)})
                          for b in bases], warn=warn)
    out = []
    for base, answer in zip(bases, answers):
        if isinstance(answer, OioError):
            out.append((base, error_summary(answer)))
            continue
        try:
            out.append((base, summarize_status(peer_results(answer))))
        except OioError as exc:
            out.append((base, error_summary(exc)))
    return out


def ping_meta1_bases(client, bases, connections=2, depth=64, warn=None, reader=None):
    """Ping each meta1 base; returns ``{base: problem}`` for the failed ones."""
    reader = reader or PipelinedReader(client, connections=connections, depth=depth)
    answers = reader.run([("POST", "admin/ping", {"type": "meta1", "cid": base_cid(b)})
                          for b in bases], warn=warn)
    return dict((b, str(a)) for b, a in zip(bases, answers) if isinstance(a, OioError))


def error_summary(err):
    return {"master": None, "slaves": [], "peers": {}, "healthy": False, "state": "error",
            "problems": [str(err)]}


def aggregate(scan, max_unhealthy=1000):
    """Counts by state, the unhealthy bases (at most ``max_unhealthy``) and,
    per peer, how many bases it is at fault in."""
    counts = dict((s, 0) for s in STATES)
    unhealthy = []
    by_peer = {}
    for base, summary in scan:
        counts[summary["state"]] = counts.get(summary["state"], 0) + 1
        if summary["healthy"]:
            continue
        for addr, peer in summary["peers"].items():
            if peer["role"] not in ("master", "slave"):
                by_peer[addr] = by_peer.get(addr, 0) + 1
        if len(unhealthy) < max_unhealthy:
            unhealthy.append({"base": base, "state": summary["state"],
                              "master": summary["master"], "problems": summary["problems"]})
    total_unhealthy = len(scan) - counts["healthy"]
    return {"total": len(scan), "counts": counts, "unhealthy": unhealthy,
            "unhealthy_count": total_unhealthy,
            "unhealthy_truncated": total_unhealthy > len(unhealthy),
            "peer_problems": by_peer, "healthy": total_unhealthy == 0}


def elect_meta1_bases(client, digits, timeout, check_mode=False, connections=2, depth=64,
                      warn=None, sleep=time.sleep, clock=time.time, max_unhealthy=1000):
    """``openio directory warmup`` done right: read every meta1 base's
    status, ping only the unhealthy ones and read them again until healthy
    or ``timeout``. Returns ``(aggregate of the final state, pinged count)``."""
    reader = PipelinedReader(client, connections=connections, depth=depth)
    scan = scan_meta1_elections(client, digits, connections=connections, depth=depth,
                                warn=warn, reader=reader)
    state = dict(scan)
    todo = [b for b, s in scan if not s["healthy"]]
    pinged = len(todo)
    if todo and not check_mode:
        deadline = clock() + max(0.0, float(timeout))
        delay = 0.5
        while todo:
            ping_meta1_bases(client, todo, warn=warn, reader=reader)
            for base, summary in scan_meta1_elections(client, digits, bases=todo,
                                                      warn=warn, reader=reader):
                state[base] = summary
            todo = [b for b in todo if not state[b]["healthy"]]
            remaining = deadline - clock()
            if not todo or remaining <= 0:
                break
            sleep(min(delay, remaining))
            delay = min(delay * 2, 4.0)
    final = [(b, state[b]) for b, dummy in scan]
    return aggregate(final, max_unhealthy=max_unhealthy), pinged
