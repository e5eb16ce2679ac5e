"""State of one simulated namespace: conscience, meta0 mapping, meta1
references, sqliterepo bases (copies, elections, admin tables), LB pools.

Everything runs on the server's single event-loop thread: no locking.
Per-base state is created lazily so that a 65,536-base namespace costs
nothing until a base is touched.
"""
import gzip
import hashlib
import json
import os
import random
import time

from . import release as release_mod
from . import topology as topo_mod

NUM_PREFIXES = 65536
SQLITEREPO_TYPES = ("meta0", "meta1", "meta2", "sqlx")
KNOWN_TYPES = ["account", "beanstalkd", "meta0", "meta1", "meta2", "oioproxy",
               "rawx", "rdir", "sqlx"]


def compute_cid(account, reference):
    data = account.encode("utf-8")[:63] + b"\x00" + reference.encode("utf-8")[:1023]
    return hashlib.sha256(data).hexdigest().upper()


def prefix_key(p):
    return "%04X" % p


def location_of(svc):
    loc = svc["tags"].get("tag.loc")
    if not loc or loc == "addr":
        loc = (svc["addr"] or "").rsplit(":", 1)[0]
    return loc


def lb_distance(loc1, loc2):
    """LB distance: tokens right-aligned on 4 levels, 4 - common leading levels."""
    a = loc1.split(".")[-4:]
    b = loc2.split(".")[-4:]
    a = [None] * (4 - len(a)) + a
    b = [None] * (4 - len(b)) + b
    common = 0
    for x, y in zip(a, b):
        if x != y:
            break
        common += 1
    return 4 - common


def parse_policy(text):
    out = {}
    for item in (text or "").split(";"):
        if "=" not in item:
            continue
        stype, _unused, rest = item.partition("=")
        parts = rest.split("|")
        try:
            replicas = int(parts[1]) if len(parts) > 1 and parts[1] else 1
            dist = int(parts[2]) if len(parts) > 2 and parts[2] else 1
        except ValueError:
            replicas, dist = 1, 1
        out[stype.strip()] = (parts[0].strip().upper() or "KEEP", replicas, dist)
    return out


def parse_targets(text):
    """Pool targets -> (targets [(count, [slots])], options dict). ValueError if bad."""
    targets, options = [], {}
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        if "=" in item:
            k, _unused, v = item.partition("=")
            options[k.strip()] = v.strip()
            continue
        parts = [p.strip() for p in item.split(",")]
        if len(parts) < 2 or not parts[0].isdigit():
            raise ValueError("Invalid target [%s]" % item)
        targets.append((int(parts[0]), parts[1:]))
    if not targets:
        raise ValueError("No target")
    return targets, options


class SimError(Exception):
    """An error answer: HTTP status, internal status, message."""

    def __init__(self, http, status, message, headers=None):
        Exception.__init__(self, message)
        self.http = http
        self.status = status
        self.message = message
        self.headers = headers or {}


CONNREFUSED = "[errno=111] Connection refused"


def refused(addr, retry_after="1"):
    """The error of a peer that refuses connections (None: no Retry-After)."""
    return SimError(503, 2, "%s: %s" % (addr, CONNREFUSED), {"Retry-After": retry_after})


class Reference(object):
    __slots__ = ("cid", "account", "name", "props", "services")

    def __init__(self, cid, account, name):
        self.cid = cid
        self.account = account
        self.name = name
        self.props = {}
        self.services = []      # [seq, type, host, args], host may be "a,b"


class Namespace(object):

    def __init__(self, topo, seed=None, listener=None, rdir_factory=None):
        self.topo = topo
        self.name = topo.get("namespace", "OPENIO")
        self.release = release_mod.check(topo.get("release"))
        # 2026.14 answers differ from 7.3.0's on a few routes (release.py).
        self.modern = self.release == release_mod.MODERN
        self.digits = int(topo.get("meta1_digits", 4))
        if not 0 <= self.digits <= 4:
            raise ValueError("meta1_digits must be within 0..4")
        self.replicas = int(topo.get("replicas", 3))
        self.policy_text = topo.get("service_update_policy", topo_mod.DEFAULT_POLICY)
        self.policy = parse_policy(self.policy_text)
        self.rng = random.Random(seed)
        self.listener = listener
        self.rdir_factory = rdir_factory
        self.types = list(KNOWN_TYPES)
        self.services = []
        self.by_addr = {}
        self.by_id = {}
        self.rdirs = {}          # addr -> rdir service object
        self.meta0 = None        # None, or list of 65536 tuples of addresses
        self.meta0_crashed = False
        self.meta0_json = None   # cached encoding of meta0_list
        self.high_cache = None   # the proxy's snapshot of the meta0 mapping
        self.refs = {}           # cid -> Reference
        self.copies = {}         # (type, base) -> set(addr) once it departs from default
        self.elections = {}      # (type, base) -> {"master": addr|None, "gen": n, "log": [...]}
        self.admin = {}          # (type, base) -> dict of admin keys
        self.pools = {}          # name -> (targets, options)
        self.down_peers = set()
        # {addr: (monotonic time it is back, time its bases have new masters)}:
        # a peer killed (SIGKILL) by a fault rule, as a real one is restarted
        # and its bases re-elected within the election timeout.
        self.killed = {}
        self.failed_elections = set()
        # Masters chosen so far (the latency profile makes each cost time).
        self.elections_held = 0
        # {"meta1:AB": monotonic time}: an election that fails until then,
        # as a slow ZooKeeper makes a real one take its time.
        self.slow_elections = {}
        self.crash_on_bad_payload = True
        for spec in topo_mod.expand_services(topo):
            self.add_service(spec)
        if topo.get("bootstrapped"):
            self.bootstrap()

    # ------------------------------------------------------------------ conscience
    def add_service(self, spec):
        stype = spec["type"]
        if stype not in self.types:
            self.types.append(stype)
        tags = dict(spec.get("tags") or {})
        for k, v in list(tags.items()):
            if isinstance(v, str) and "{ns}" in v:
                tags[k] = v.replace("{ns}", self.name)
        sid = spec.get("id") or tags.get("tag.service_id")
        if sid:
            tags["tag.service_id"] = sid
        addr = spec.get("addr")
        listen = spec.get("listen", stype == "rdir")
        if listen and self.listener is not None:
            addr = self.listener.listen(addr)
        if not addr:
            idx = topo_mod.TYPE_ORDER.index(stype) if stype in topo_mod.TYPE_ORDER else 9
            n = len(self.services) + 1000
            addr = topo_mod.fake_addr(idx, n)
        score = int(spec.get("score", topo_mod.DEFAULT_SCORE))
        # A service registered "locked" (as deployments do with new services)
        # sits at score 0 until an operator unlocks it.
        locked = spec.get("locked", False)
        # 2026.14 locks the put and get scores apart: "put" or "get" is one
        # of them, true both.
        locked = locked if locked in ("put", "get") else bool(locked)
        svc = {"type": stype, "addr": addr, "id": sid, "score": 0 if locked else score,
               "base_score": score, "locked": locked, "up": True, "tags": tags,
               "listen": listen,
               "stats": dict(spec.get("stats") or topo_mod.DEFAULT_STATS),
               "name": spec.get("name") or addr}
        self.services.append(svc)
        self.by_addr[addr] = svc
        if sid:
            self.by_id[sid] = svc
        if stype == "rdir" and self.rdir_factory is not None:
            self.rdirs[addr] = self.rdir_factory(sid or addr, addr, release=self.release)
            if self.listener is not None:
                self.listener.attach(addr, self.rdirs[addr])
        return svc

    def remove_service(self, svc):
        self.services.remove(svc)
        self.by_addr.pop(svc["addr"], None)
        if svc["id"]:
            self.by_id.pop(svc["id"], None)
        if svc["type"] == "rdir" and self.listener is not None:
            self.listener.unlisten(svc["addr"])
            self.rdirs.pop(svc["addr"], None)

    def register(self, item):
        """conscience/register of one {"type", "addr", "score", "tags"} item:
        adds the service, or updates the tags and stats of a known one."""
        tags = {k: v for k, v in (item.get("tags") or {}).items()
                if k.startswith("tag.") or k.startswith("stat.")}
        svc = self.registered(item)
        if svc is None:
            score = item.get("score")
            self.add_service({"type": item["type"], "addr": item["addr"], "listen": False,
                              "score": score if isinstance(score, int) and score > 0 else 50,
                              "tags": {k: v for k, v in tags.items() if k.startswith("tag.")}})
            return
        for k, v in tags.items():
            if k.startswith("stat."):
                svc["stats"][k] = v
            elif k not in ("tag.up", "tag.lock"):
                svc["tags"][k] = v

    def registered(self, item):
        """The service at the item's address, if it has the item's type."""
        svc = self.by_addr.get(item["addr"])
        if svc is not None and svc["type"] == item["type"]:
            return svc
        return None

    @staticmethod
    def lock(svc, score):
        try:
            score = int(score)
        except (TypeError, ValueError):
            score = 0
        svc["locked"] = True
        svc["score"] = max(0, min(100, score))

    @staticmethod
    def unlock(svc):
        svc["locked"] = False
        svc["score"] = svc["base_score"] if svc["up"] else 0

    def of_type(self, stype):
        return [s for s in self.services if s["type"] == stype]

    def find(self, key):
        return self.by_addr.get(key) or self.by_id.get(key)

    def key_of(self, svc):
        return "%s|%s|%s" % (self.name, svc["type"], svc["id"] or svc["addr"])

    def set_down(self, svc, down):
        svc["up"] = not down
        if down:
            svc["score"] = 0
            if svc["type"] == "rdir" and self.listener is not None:
                self.listener.unlisten(svc["addr"], keep=True)
        else:
            svc["score"] = svc["base_score"] if not svc["locked"] else svc["score"]
            if svc["type"] == "rdir" and self.listener is not None:
                self.listener.relisten(svc["addr"])

    def service_json(self, svc, full=False):
        tags = {}
        for k, v in svc["tags"].items():
            tags[k] = v
        tags["tag.up"] = svc["up"]
        tags["tag.lock"] = svc["locked"] is True if self.modern else bool(svc["locked"])
        entry = {"addr": svc["addr"], "score": svc["score"], "tags": tags}
        if self.modern:
            tags["tag.putlock"] = svc["locked"] in (True, "put")
            tags["tag.getlock"] = svc["locked"] in (True, "get")
            get_score = svc["score"] if tags["tag.getlock"] or not svc["up"] \
                else svc["base_score"]
            if svc["locked"] == "get":
                entry["score"] = svc["base_score"] if svc["up"] else 0
            entry["scores"] = {"score.put": entry["score"], "score.get": get_score}
        if full:
            stats = dict(svc["stats"])
            if svc["type"] == "rdir":
                rdir = self.rdirs.get(svc["addr"])
                stats["stat.opened_db_count"] = _opened_db_count(rdir)
            tags.update(stats)
        return entry

    def kill_peer(self, addr, seconds, reelect):
        """``addr`` dies now, is back after ``seconds``, and the bases it
        served answer 503 until ``reelect`` seconds have passed."""
        now = time.monotonic()
        self.killed[addr] = (now + seconds, now + reelect)

    def electing(self, peers):
        """Whether a killed peer among ``peers`` leaves them without a master."""
        now = time.monotonic()
        return any(now < self.killed[a][1] for a in peers if a in self.killed)

    def peer_alive(self, addr):
        if addr in self.down_peers:
            return False
        if addr in self.killed and time.monotonic() < self.killed[addr][0]:
            return False
        svc = self.by_addr.get(addr)
        if svc is not None and self.meta0_crashed and svc["type"] == "meta0":
            return False
        return svc is not None and svc["up"]

    # ------------------------------------------------------------------ meta0
    def base_of(self, cid):
        return cid[:self.digits].ljust(4, "0")

    def meta0_addrs(self):
        return [s["addr"] for s in self.of_type("meta0")]

    def set_meta0(self, mapping):
        """Install a new mapping (list of tuples); materialise base copies of
        bases whose peers change so that new peers do not hold the base.
        Like the real meta0, each prefix's list is stored sorted, whatever
        order was forced (trial transcripts 01 and 02)."""
        mapping = [tuple(sorted(a)) if a else a for a in mapping]
        old = self.meta0
        if old is not None:
            for p in range(NUM_PREFIXES):
                if old[p] != mapping[p]:
                    base = self.base_of("%04X" % p)
                    key = ("meta1", base)
                    if key not in self.copies:
                        self.copies[key] = set(old[int(base, 16)])
        self.meta0 = mapping
        self.meta0_json = None

    def meta0_list_bytes(self):
        if self.meta0_json is None:
            if self.meta0 is None:
                self.meta0_json = b"{}"
            else:
                m = self.meta0
                parts = []
                # The real proxy iterates the prefix as a little-endian 16-bit
                # integer: 0000, 0100, ..., FF00, 0001, ...
                for i in range(NUM_PREFIXES):
                    p = ((i & 0xFF) << 8) | (i >> 8)
                    addrs = m[p]
                    if addrs:
                        parts.append('"%04X":%s' % (p, json.dumps(list(addrs), separators=(",", ":"))))
                self.meta0_json = ("{" + ",".join(parts) + "}").encode()
        return self.meta0_json

    def bootstrap_mapping(self):
        """Spread bases over meta1 slices (one slice per rack-level location)."""
        meta1 = sorted(self.of_type("meta1"), key=location_of)
        if not meta1:
            return None
        slices = {}
        for s in meta1:
            loc = location_of(s).split(".")
            slices.setdefault(".".join(loc[:-2]) if len(loc) > 2 else ".".join(loc[:-1]), []).append(s)
        groups = list(slices.values())
        if len(groups) < self.replicas:
            groups = [[s] for s in meta1]
        nbases = 16 ** self.digits
        counters = [0] * len(groups)
        per_base = []
        for b in range(nbases):
            chosen = []
            for k in range(min(self.replicas, len(groups))):
                gi = (b + k) % len(groups)
                g = groups[gi]
                chosen.append(g[counters[gi] % len(g)]["addr"])
                counters[gi] += 1
            per_base.append(tuple(chosen))
        shift = 16 - 4 * self.digits
        return [per_base[p >> shift] if self.digits else per_base[0] for p in range(NUM_PREFIXES)]

    def bootstrap(self):
        mapping = None
        m0file = self.topo.get("meta0_mapping")
        if m0file:
            path = os.path.join(self.topo.get("_dir", "."), m0file)
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt") as fh:
                data = json.load(fh)
            mapping = [()] * NUM_PREFIXES
            for k, v in data.items():
                mapping[int(k, 16)] = tuple(v)
        else:
            mapping = self.bootstrap_mapping()
        if mapping is not None:
            self.set_meta0(mapping)
        explicit = self.topo.get("rdir_assignments") or {}
        counts = {s["addr"]: 0 for s in self.of_type("rdir")}
        for stype in ("rawx", "meta2"):
            for svc in self.of_type(stype):
                vol = svc["id"] or svc["addr"]
                rdir = None
                if vol in explicit:
                    rdir = self._rdir_by_name(explicit[vol])
                if rdir is None:
                    rdir = self._pick_rdir(svc, counts)
                if rdir is None:
                    continue
                counts[rdir["addr"]] = counts.get(rdir["addr"], 0) + 1
                ref = self.create_ref("_RDIR", vol)
                ref.services.append([1, "rdir", rdir["id"] or rdir["addr"], ""])
                obj = self.rdirs.get(rdir["addr"])
                if obj is not None:
                    from .core import Request
                    path = "/v1/rdir/create" if stype == "rawx" else "/v1/rdir/meta2/create"
                    obj.handle(Request("POST", path, "vol=" + _quote(vol)))

    def _rdir_by_name(self, name):
        for s in self.of_type("rdir"):
            if name in (s["name"], s["addr"], s["id"]):
                return s
        return None

    def _pick_rdir(self, svc, counts):
        rdirs = [r for r in self.of_type("rdir") if r["score"] > 0]
        if not rdirs:
            return None
        loc = location_of(svc)
        return min(rdirs, key=lambda r: (-lb_distance(loc, location_of(r)),
                                         counts.get(r["addr"], 0)))

    # ------------------------------------------------------------------ references
    def create_ref(self, account, name):
        cid = compute_cid(account, name)
        ref = self.refs.get(cid)
        if ref is None:
            ref = Reference(cid, account, name)
            self.refs[cid] = ref
        return ref

    def linked(self, ref, stype):
        return [e for e in ref.services if e[1] == stype]

    def expand(self, entries):
        out = []
        for seq, stype, host, args in entries:
            for h in host.split(","):
                out.append({"seq": seq, "type": stype, "host": h, "args": args})
        return out

    def host_up(self, host):
        svc = self.find(host)
        return svc is not None and svc["score"] > 0

    def poll_services(self, stype, count, dist, avoid_locs):
        """Choose up to `count` services of a type, score > 0, spread by
        distance, avoiding given locations when possible."""
        cands = [s for s in self.of_type(stype) if s["score"] > 0]
        chosen = []
        locs = list(avoid_locs)
        while len(chosen) < count and cands:
            best, best_d = [], -1
            for s in cands:
                d = min((lb_distance(location_of(s), l) for l in locs), default=4)
                if d > best_d:
                    best, best_d = [s], d
                elif d == best_d:
                    best.append(s)
            if best_d < dist and chosen:
                # Would violate the distance: stop rather than stack replicas.
                break
            pick = self.weighted(best)
            chosen.append(pick)
            cands.remove(pick)
            locs.append(location_of(pick))
        return chosen

    def weighted(self, svcs):
        total = sum(max(1, s["score"]) for s in svcs)
        r = self.rng.uniform(0, total)
        for s in svcs:
            r -= max(1, s["score"])
            if r <= 0:
                return s
        return svcs[-1]

    # ------------------------------------------------------------------ lb
    def pool(self, name):
        """(targets, options) of a pool, or of the implicit pool of a type."""
        if name in self.pools:
            return self.pools[name]
        if name in self.types:
            return [(1, [name])], {}
        raise SimError(400, 400, "pool [%s] not found" % name)

    @staticmethod
    def in_slot(svc, slot):
        if svc["type"] == slot:
            return True
        slots = [s.strip() for s in str(svc["tags"].get("tag.slots", "")).split(",")]
        return slot in slots

    def lb_select(self, targets, options, avoid=(), known=()):
        """Run a pool. Returns (selected services, flawed)."""
        min_dist = int(options.get("min_dist", 1) or 1)
        warn_dist = int(options.get("warn_dist", 0) or 0)
        keys = {self.key_of(s): s for s in self.services}
        placed = [keys[k] for k in known if k in keys]
        avoid_set = set(a for a in avoid if a in keys)
        selected, flawed = [], False
        for count, slots in targets:
            if slots == ["__any_slot"] or slots[0] == "__any_slot":
                continue
            for _unused in range(count):
                cands = []
                for slot in slots:
                    cands = [s for s in self.services if self.in_slot(s, slot)
                             and s["score"] > 0 and self.key_of(s) not in avoid_set
                             and s not in placed]
                    if cands:
                        break
                if not cands:
                    raise SimError(500, 481, "found only %d services matching the criteria"
                                   % len(selected))
                scored = []
                for s in cands:
                    d = min((lb_distance(location_of(s), location_of(p)) for p in placed),
                            default=4)
                    scored.append((d, s))
                best_d = max(d for d, _unused in scored)
                if best_d < min_dist:
                    raise SimError(500, 481, "found only %d services matching the criteria"
                                   % len(selected))
                if best_d < warn_dist:
                    flawed = True
                pick = self.weighted([s for d, s in scored if d == best_d])
                placed.append(pick)
                selected.append(pick)
        return selected, flawed

    def sqlx_key(self, ref, stype):
        return (stype, ref.cid + ".1")

    def before_link_change(self, ref, stype):
        """meta2/sqlx bases live on the linked peers: freeze the current
        copy set before the link changes, so that new peers lack the base."""
        if stype in ("meta2", "sqlx"):
            key = self.sqlx_key(ref, stype)
            if key not in self.copies:
                hosts = [h for e in self.linked(ref, stype) for h in e[2].split(",")]
                if hosts:
                    self.copies[key] = set(hosts)

    # ------------------------------------------------------------------ bases
    def default_copies(self, stype, base, peers):
        if stype == "meta1":
            if self.meta0 is None:
                return set()
            return set(self.meta0[int(base, 16)])
        if stype == "meta0":
            return set(self.meta0_addrs())
        return set(peers)

    def has_copy(self, stype, base, addr, peers):
        key = (stype, base)
        if key in self.copies:
            return addr in self.copies[key]
        return addr in self.default_copies(stype, base, peers)

    def set_copy(self, stype, base, addr, present, peers):
        key = (stype, base)
        if key not in self.copies:
            self.copies[key] = self.default_copies(stype, base, peers)
        if present:
            self.copies[key].add(addr)
        else:
            self.copies[key].discard(addr)

    def election_failed(self, stype, base):
        key = "%s:%s" % (stype, base)
        if key in self.slow_elections and time.monotonic() < self.slow_elections[key]:
            return True
        return key in self.failed_elections or "%s:*" % stype in self.failed_elections

    def manages(self, stype, base, addr):
        """Whether a service takes part in the base's election. A meta1
        serves only the bases meta0 maps to it: elsewhere it answers 431
        "Base not managed" (trial transcript 06)."""
        if stype != "meta1" or self.meta0 is None:
            return True
        return addr in self.meta0[int(base, 16)]

    def members(self, stype, base, peers):
        """The peers an election runs among: the base's ``sys.peers`` once
        its admin table exists, else the peers the request was sent to."""
        tab = self.admin.get((stype, base))
        listed = (tab or {}).get("sys.peers")
        if listed:
            return [p for p in listed.split(",") if p]
        return list(peers)

    def election_member(self, stype, base, addr):
        """Whether ``addr`` is among the peers the base's ``sys.peers`` names."""
        listed = (self.admin.get((stype, base)) or {}).get("sys.peers") or ""
        return addr in listed.split(",")

    def election(self, stype, base, peers):
        """Current election state, electing a master if there is none.

        A master stays master until it leaves or goes down, even when
        ``sys.peers`` or meta0 no longer name it; a master that meta0 no
        longer names breaks the election (``stuck``) until it leaves."""
        key = (stype, base)
        st = self.elections.get(key)
        if st is None:
            st = {"master": None, "gen": 0, "log": []}
            self.elections[key] = st
        if st["master"] is not None and not self.peer_alive(st["master"]):
            st["master"] = None
        if st["master"] is None:
            members = self.members(stype, base, peers)
            candidates = [p for p in members if self.peer_alive(p)
                          and self.manages(stype, base, p)]
            holders = [p for p in candidates if self.has_copy(stype, base, p, members)]
            candidates = holders or candidates
            if candidates:
                # Deterministic: the first candidate in address order, the
                # next one after each leave.
                ordered = sorted(candidates)
                st["master"] = ordered[st["gen"] % len(ordered)]
                self.elections_held += 1
        st["stuck"] = st["master"] is not None and not self.manages(stype, base, st["master"])
        return st

    def leave(self, stype, base, addrs=None):
        """``addrs`` leave the election; it is held again only when its
        master is among them (None: every peer leaves)."""
        st = self.elections.get((stype, base))
        if st is not None and (addrs is None or st["master"] in addrs):
            st["gen"] += 1
            st["master"] = None
            st["stuck"] = False

    def admin_table(self, stype, base, peers):
        key = (stype, base)
        tab = self.admin.get(key)
        if tab is None:
            tab = {"schema_version": "1.0", "sys.name": base,
                   "sys.peers": ",".join(sorted(peers)), "sys.type": stype,
                   "version:main.admin": "1:0"}
            if stype == "meta1":
                tab.update({"version:main.admin": "2:0", "version:main.properties": "1:0",
                            "version:main.services": "1:0", "version:main.users": "2:0"})
            self.admin[key] = tab
        return tab

    def set_admin_props(self, stype, base, peers, changes, flush):
        """Set (empty value: delete) admin keys; flush drops the user ones first."""
        tab = self.admin_table(stype, base, peers)
        if flush:
            for k in [k for k in tab if k.startswith("user.")]:
                del tab[k]
        for k, v in changes.items():
            if v:
                tab[k] = v
            else:
                tab.pop(k, None)
        _bump(tab)

    def del_admin_props(self, stype, base, peers, names):
        tab = self.admin_table(stype, base, peers)
        for k in names:
            if isinstance(k, str):
                tab.pop("user." + k, None)
        _bump(tab)

    @staticmethod
    def base_mtime(stype, base):
        """A stable modification time of a base's file (2026.14 admin/has)."""
        return 1796390000 + int(hashlib.md5(("%s.%s" % (base, stype)).encode()).hexdigest()[:4], 16)

    def base_path(self, stype, base, addr):
        """Where a peer keeps a base, under its volume."""
        svc = self.by_addr.get(addr)
        vol = svc["tags"].get("tag.vol", "/var/lib/oio/sds") if svc else "/var/lib/oio/sds"
        return "%s/%s/%s.%s" % (vol.lstrip("\\"), base[:2], base, stype)


def _bump(tab):
    v = tab.get("version:main.admin", "1:0").split(":")
    try:
        tab["version:main.admin"] = "%d:%s" % (int(v[0]) + 1, v[1] if len(v) > 1 else "0")
    except ValueError:
        pass


def _opened_db_count(rdir):
    if rdir is None:
        return 0
    count = getattr(rdir, "opened_db_count", None)
    if isinstance(count, int):
        return count
    vols = getattr(rdir, "volumes", None)
    if vols is None:
        return 0
    try:
        return sum(1 for v in vols.values() if getattr(v, "kind", "rawx") == "rawx") \
            if hasattr(vols, "values") else len(vols)
    except Exception:  # pragma: no cover - depends on the rdir state shape
        return len(vols)


def _quote(value):
    from urllib.parse import quote
    return quote(value, safe="")
