"""asyncio HTTP/1.1 server: one event loop thread, one listening socket for
the proxy and one per rdir service, all on 127.0.0.1.

The HTTP parsing is hand-written and minimal (Content-Length and chunked
request bodies) because throughput matters: the benchmarks send tens of
thousands of small requests.

The transport behaves like the 7.3.0 oio-proxy: a connection is kept only
when the request asks for it (``Connection: Keep-Alive``), every other answer
says ``Connection: Close`` and the connection is closed; and pipelining is not
served: a request that arrives before the answer to the previous one on the
same connection is never answered, and the connection stays silent.

A latency profile (``PROFILES``, ``--profile``, ``/_sim/profile``) makes the
proxy take the time a real cluster takes: per route a range of milliseconds,
and a cap on the requests it serves at once (the others wait their turn).
"""
import asyncio
import json
import os
import random
import socket
import time
from urllib.parse import unquote

from .core import Request, Response, WriteLog, error
from .namespace import Namespace
from .proxy import Proxy
from .control import Control

from .rdir import RdirService

REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
           301: "Moved Permanently", 400: "Bad request", 403: "Forbidden",
           404: "Not found", 405: "Method not allowed", 409: "Conflict",
           413: "Request Entity Too Large", 500: "Internal error",
           502: "Bad gateway", 503: "Service unavailable", 504: "Gateway timeout"}
MAX_HEADER = 65536

# Latency profiles of the proxy. "real" is drawn from a 7.3.0 namespace (3 meta0,
# 3 meta1, digits 4) whose proxy ran on a 2-core machine: admin/status cost 2.4 to
# 4.7 ms per base at the proxy (it asks every peer), and the proxy served about
# 300 requests/s whatever the number of connections or requests at once; a
# keep-alive connection saved nothing measurable. The other admin routes go to
# one service (copy, leave, remove, has) or to the master (set_properties): a
# meta1 decommission of a real 7.3.0 lab, 49,152 replicas at 5.05 requests each
# (one admin/status, four of those), took 717 s from end to end, which leaves
# them 2.7 ms on average at most. The remaining routes were not measured and get
# a smaller range. On a real 2026.14.2 cluster a base's election (a new
# master chosen, through ZooKeeper) cost about 95 ms more: the request that
# causes it answers that much later, without holding the proxy meanwhile
# (``election_ms``, per release; 7.3.0's is within its admin range).
PROFILES = {
    "none": None,
    "real": {"routes": [{"match": "/admin/status", "ms": [2.4, 4.7]},
                        {"match": "/admin/", "ms": [1.9, 3.5]}],
             "default_ms": [0.5, 1.5],
             "max_concurrent": 1,
             "election_ms": {"2026.14": [80, 110]}},
}


class Profile(object):
    """Latency per route (first matching ``match`` substring of the path,
    else ``default_ms``) and at most ``max_concurrent`` requests served at
    once (0: no cap)."""

    def __init__(self, doc, seed=None, release=None):
        if isinstance(doc, str):
            if doc not in PROFILES:
                raise ValueError("unknown profile %r (known: %s)" % (doc, ", ".join(sorted(PROFILES))))
            name, doc = doc, PROFILES[doc]
        else:
            name = (doc or {}).get("name", "custom")
        doc = dict(doc or {})
        self.name = name
        self.routes = []
        for rule in doc.get("routes") or []:
            self.routes.append((str(rule.get("match", "")), self._range(rule.get("ms", 0))))
        self.default = self._range(doc.get("default_ms", 0))
        self.max_concurrent = int(doc.get("max_concurrent") or 0)
        if self.max_concurrent < 0:
            raise ValueError("max_concurrent must be 0 or more")
        elections = doc.get("election_ms") or 0
        if isinstance(elections, dict):
            elections = elections.get(release) or 0
        self.election = self._range(elections)
        self.rng = random.Random(seed)
        self.busy_until = []

    @staticmethod
    def _range(value):
        if isinstance(value, (int, float)):
            value = [value, value]
        low, high = float(value[0]), float(value[1])
        if low < 0 or high < low:
            raise ValueError("a latency range is [low, high] in ms with 0 <= low <= high")
        return low, high

    def delay(self, path):
        low, high = self.default
        for match, rng in self.routes:
            if match in path:
                low, high = rng
                break
        return self.rng.uniform(low, high) / 1000.0

    def election_delay(self, count):
        """Seconds ``count`` elections held by one request add to its answer."""
        low, high = self.election
        return sum(self.rng.uniform(low, high) for dummy in range(count)) / 1000.0

    def public(self):
        return {"name": self.name, "max_concurrent": self.max_concurrent,
                "election_ms": list(self.election),
                "default_ms": list(self.default),
                "routes": [{"match": m, "ms": list(r)} for m, r in self.routes]}

    async def serve(self, path):
        """Wait as long as the request takes, queueing behind the others
        when ``max_concurrent`` are being served. Each of the
        ``max_concurrent`` servers keeps the time it is busy until, so that
        the lateness of one wake-up of the event loop does not add up over
        the queue: the rate matches the latencies of the profile."""
        delay = self.delay(path)
        if not self.max_concurrent:
            if delay > 0:
                await asyncio.sleep(delay)
            return
        now = asyncio.get_event_loop().time()
        if len(self.busy_until) != self.max_concurrent:
            self.busy_until = [now] * self.max_concurrent
        slot = min(range(self.max_concurrent), key=self.busy_until.__getitem__)
        done = max(now, self.busy_until[slot]) + delay
        self.busy_until[slot] = done
        await asyncio.sleep(done - now)


class Faults(object):
    """Generic fault injection, applied before dispatch."""

    def __init__(self, seed=None):
        self.rng = random.Random(seed)
        self.rules = []

    def set_rules(self, rules):
        self.rules = []
        for r in rules or []:
            rule = dict(r)
            rule.setdefault("match", "")
            rule.setdefault("service", "any")
            rule.setdefault("rate", 1.0)
            rule.setdefault("action", "503")
            rule["_seen"] = 0
            rule["_fired"] = 0
            self.rules.append(rule)

    def public(self):
        return [{k: v for k, v in r.items() if not k.startswith("_")} for r in self.rules]

    def decide(self, kind, req):
        """Return a list of actions (latency first) for this request."""
        out = []
        for rule in self.rules:
            if rule["service"] not in ("any", kind):
                continue
            if rule.get("method") and rule["method"].upper() != req.method:
                continue
            if rule["match"] not in req.path:
                continue
            rule["_seen"] += 1
            if rule["_seen"] <= int(rule.get("after") or 0):
                continue
            times = rule.get("times")
            if times is not None and rule["_fired"] >= int(times):
                continue
            if float(rule["rate"]) < 1.0 and self.rng.random() >= float(rule["rate"]):
                continue
            rule["_fired"] += 1
            out.append(rule)
        return out


class Endpoint(object):
    """One listening port and the service object behind it."""

    def __init__(self, kind, service_id, service):
        self.kind = kind            # "proxy" or "rdir"
        self.service_id = service_id
        self.service = service
        self.server = None
        self.sock = None
        self.port = None
        self.transports = set()


class HttpProtocol(asyncio.Protocol):
    """One connection: one request at a time, like oio-proxy."""

    def __init__(self, app, endpoint):
        self.app = app
        self.ep = endpoint
        self.buf = bytearray()
        self.transport = None
        self.busy = False
        self.closing = False
        self.stalled = False
        self.counted = False

    def connection_made(self, transport):
        self.transport = transport
        self.ep.transports.add(transport)

    def connection_lost(self, exc):
        self.ep.transports.discard(self.transport)
        self.closing = True

    def data_received(self, data):
        if self.closing or self.stalled:
            return
        if self.busy:
            # A request sent before the answer to the previous one.
            self.stall()
            return
        self.buf += data
        self.process()

    def stall(self):
        """Pipelined requests are never answered; the connection stays silent."""
        self.stalled = True
        self.buf.clear()
        self.app.pipelined += 1

    def process(self):
        if self.busy or self.closing or self.stalled:
            return
        parsed = self.parse()
        if parsed is None:
            return
        req, keep = parsed
        if self.buf:
            # More bytes came with this request: a pipelined one.
            self.stall()
        self.busy = True
        control = self.ep.kind == "proxy" and req.path.startswith("/_sim")
        actions = () if control else self.app.faults.decide(self.ep.kind, req)
        if not control:
            self.app.started_request(self)
        delay = sum(float(a.get("latency_ms", 0)) for a in actions if a["action"] == "latency")
        profile = self.app.profile if (self.ep.kind == "proxy" and not control) else None
        if delay > 0 or profile is not None:
            asyncio.ensure_future(self.delayed(req, keep, actions, delay / 1000.0, profile))
            return
        self.respond(req, keep, actions, control)

    async def delayed(self, req, keep, actions, delay, profile):
        if delay > 0:
            await asyncio.sleep(delay)
        if profile is not None:
            await profile.serve(req.path)
        if self.closing:
            self.app.ended_request()
            return
        held = self.app.ns.elections_held
        resp = self.app.dispatch(self.ep, req, actions)
        if profile is not None and self.app.ns.elections_held > held:
            await asyncio.sleep(profile.election_delay(self.app.ns.elections_held - held))
            if self.closing:
                self.app.ended_request()
                return
        self.respond(req, keep, actions, False, resp)

    def respond(self, req, keep, actions, control, resp=None):
        if resp is None:
            resp = self.app.dispatch(self.ep, req, actions)
        if not control:
            self.app.ended_request()
        self.busy = False
        if resp.drop:
            self.closing = True
            self.transport.abort()
            return
        self.transport.write(encode(resp, keep))
        if not keep:
            self.closing = True
            self.transport.close()
            return
        self.process()

    def parse(self):
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEADER:
                self.transport.close()
                self.closing = True
            return None
        head = bytes(buf[:end]).decode("latin-1").split("\r\n")
        try:
            method, target, version = head[0].split(" ", 2)
        except ValueError:
            self.transport.close()
            self.closing = True
            return None
        headers = {}
        for line in head[1:]:
            name, _unused, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        pos = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = bytearray()
            while True:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    return None
                size = int(bytes(buf[pos:eol]).split(b";")[0] or b"0", 16)
                if size == 0:
                    trailer = buf.find(b"\r\n\r\n", eol)
                    if buf[eol:eol + 4] == b"\r\n\r\n":
                        pos = eol + 4
                    elif trailer >= 0:
                        pos = trailer + 4
                    else:
                        return None
                    break
                if len(buf) < eol + 2 + size + 2:
                    return None
                body += buf[eol + 2:eol + 2 + size]
                pos = eol + 2 + size + 2
            body = bytes(body)
        else:
            length = int(headers.get("content-length", "0") or 0)
            if len(buf) < pos + length:
                return None
            body = bytes(buf[pos:pos + length])
            pos += length
        del buf[:pos]
        path, _unused, raw_query = target.partition("?")
        if "%" in path:
            path = "/".join(unquote(seg) for seg in path.split("/"))
        # Like oio-proxy: kept only when asked for, whatever the HTTP version.
        tokens = [t.strip() for t in headers.get("connection", "").lower().split(",")]
        keep = "keep-alive" in tokens
        req = Request(method, path, raw_query, None, body, self.ep.port)
        req.headers = headers
        return req, keep


def encode(resp, keep):
    payload = resp.payload()
    status = resp.status
    lines = ["HTTP/1.1 %d %s" % (status, resp.reason or REASONS.get(status, "Unknown"))]
    for k, v in resp.headers.items():
        lines.append("%s: %s" % (k, v))
    lines.append("Content-Length: %d" % len(payload))
    if not keep:
        lines.append("Connection: Close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + payload


class App(object):
    """The whole simulated namespace behind its sockets."""

    def __init__(self, topo, seed=None, port=0, loop=None, profile=None):
        self.loop = loop or asyncio.new_event_loop()
        self.seed = seed
        self.faults = Faults(seed)
        self.writes = WriteLog()
        self.requests = 0
        self.by_route = {}
        self.reset_transport_stats()
        self.profile = None
        self.endpoints = {}          # addr -> Endpoint
        self.proxy_ep = Endpoint("proxy", "proxy", None)
        self._bind(self.proxy_ep, port)
        self.proxy_url = "http://127.0.0.1:%d" % self.proxy_ep.port
        self.ns = Namespace(topo, seed=seed, listener=self, rdir_factory=RdirService)
        self.proxy = Proxy(self.ns)
        self.proxy_ep.service = self.proxy
        self.control = Control(self)
        self.set_profile(profile)
        self.started = time.time()

    # -------------------------------------------------------------- transport stats
    def reset_transport_stats(self):
        self.connections = {"proxy": 0, "rdir": 0}
        self.in_flight = 0
        self.max_in_flight = 0
        self.pipelined = 0

    def started_request(self, protocol):
        if not protocol.counted:
            protocol.counted = True
            self.connections[protocol.ep.kind] = self.connections.get(protocol.ep.kind, 0) + 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def ended_request(self):
        self.in_flight = max(0, self.in_flight - 1)

    def transport_stats(self):
        """Connections that carried a request (control API excluded), most
        requests in progress at once, connections stalled by pipelining."""
        return {"connections": dict(self.connections), "max_in_flight": self.max_in_flight,
                "pipelined_connections": self.pipelined}

    def set_profile(self, doc):
        self.profile = None if doc in (None, "none") else \
            Profile(doc, self.seed, release=self.ns.release)

    # -------------------------------------------------------------- listener API
    def _bind(self, ep, port=0):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(512)
        sock.setblocking(False)
        ep.sock = sock
        ep.port = sock.getsockname()[1]
        ep.server = None

    def listen(self, addr_hint=None):
        """Bind a new rdir port now (the server starts with the loop)."""
        ep = Endpoint("rdir", None, None)
        self._bind(ep, 0)
        addr = "127.0.0.1:%d" % ep.port
        self.endpoints[addr] = ep
        if self.loop.is_running():
            asyncio.ensure_future(self._serve(ep))
        return addr

    def attach(self, addr, service):
        ep = self.endpoints[addr]
        ep.service = service
        ep.service_id = getattr(service, "service_id", None) or addr

    def unlisten(self, addr, keep=False):
        ep = self.endpoints.get(addr)
        if ep is None:
            return
        if ep.server is not None:
            ep.server.close()
            ep.server = None
        elif ep.sock is not None:
            ep.sock.close()
        ep.sock = None
        for t in list(ep.transports):
            t.abort()
        if not keep:
            self.endpoints.pop(addr, None)

    def relisten(self, addr):
        ep = self.endpoints.get(addr)
        if ep is None or ep.server is not None or ep.sock is not None:
            return
        self._bind(ep, ep.port)
        if self.loop.is_running():
            asyncio.ensure_future(self._serve(ep))

    async def _serve(self, ep):
        if ep.sock is None or ep.server is not None:
            return
        sock = ep.sock
        ep.server = await self.loop.create_server(lambda: HttpProtocol(self, ep), sock=sock)

    async def start(self):
        await self._serve(self.proxy_ep)
        for ep in list(self.endpoints.values()):
            await self._serve(ep)

    # -------------------------------------------------------------- dispatch
    def dispatch(self, ep, req, actions):
        if ep.kind == "proxy" and req.path.startswith("/_sim"):
            try:
                return self.control.handle(req)
            except Exception as exc:  # a bug in the control API must not kill the loop
                return Response(500, {"error": repr(exc)})
        self.requests += 1
        key = "%s %s" % (req.method, req.path)
        self.by_route[key] = self.by_route.get(key, 0) + 1
        if ep.kind == "proxy":
            is_write = self.proxy.is_write(req)
        else:
            is_write = ep.service.mutating(req)
        resp = None
        for a in actions:
            act = str(a["action"])
            if act == "drop":
                resp = Response(drop=True)
                break
            if act == "kill":
                # The request goes on: the peer dies as it arrives.
                self.ns.kill_peer(a["peer"], float(a.get("for", 5)),
                                  float(a.get("reelect", a.get("for", 5))))
                continue
            if act in ("503", "500"):
                code = int(act)
                msg = "Injected fault" if code == 500 else "Service unavailable (injected)"
                resp = error(code, code, msg)
                break
        if resp is None:
            try:
                resp = ep.service.handle(req)
            except Exception as exc:
                resp = error(500, 500, "Internal error: %r" % (exc,))
        if is_write:
            self.writes.record("proxy" if ep.kind == "proxy" else ep.service_id, req,
                               0 if resp.drop else resp.status)
        return resp

    def rdir_urls(self):
        out = {}
        for addr, ep in self.endpoints.items():
            if ep.kind == "rdir":
                out[ep.service_id or addr] = "http://" + addr
        return out

    def port_info(self):
        return {"proxy_url": self.proxy_url, "control_url": self.proxy_url + "/_sim",
                "namespace": self.ns.name, "release": self.ns.release, "pid": os.getpid(),
                "rdir": self.rdir_urls()}


def write_port_file(path, info):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as fh:
        json.dump(info, fh)
    os.replace(tmp, path)
