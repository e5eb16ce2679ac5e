"""Topology files: what services a simulated namespace has and where they sit.

A topology is a dict (YAML/JSON file or preset name)::

    namespace: OPENIO
    meta1_digits: 2          # 0..4
    replicas: 3
    bootstrapped: false      # meta0 mapping + _RDIR assignments + rdir DBs
    service_update_policy: "meta2=KEEP|3|1;sqlx=KEEP|1|1|;rdir=KEEP|1|1|"
    services:
      meta1: {count: 6, sites: 1, racks: 3, score: 70,
              location: "site{site}.rack{rack}.host{host}.meta1-{n}"}
      rawx:  {count: 6, racks: 3, service_id: "rawx-{n}"}
      rdir:  {count: 3, racks: 3}
      meta2: {entries: [{addr: "127.0.0.1:6012", location: "a.b.c.d", score: 63,
                         tags: {"tag.vol": "/srv/meta2-1"}}]}

Placeholders in ``location`` and ``service_id``: ``{n}`` (1-based index),
``{i}`` (0-based), ``{site}``, ``{rack}``, ``{host}``, ``{type}``.
Services are spread round-robin over sites, then racks, then hosts.
"""
import copy
import json
import os

import yaml

from . import snapshot

# Next to the package, so that it loads from any copy (a clone or an installed collection).
PRESET_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "presets")
DEFAULT_POLICY = "meta2=KEEP|3|1;sqlx=KEEP|1|1|;rdir=KEEP|1|1|"
# Order in which addresses are allocated (index is part of the fake address).
TYPE_ORDER = ("meta0", "meta1", "meta2", "rawx", "rdir", "sqlx", "account",
              "beanstalkd", "oioproxy")
DEFAULT_SCORE = 70
DEFAULT_STATS = {"stat.cpu": 84.422111, "stat.io": 98.006167, "stat.space": 31.178074,
                 "stat.thread.active": 0, "stat.cnx.client": 0}


def preset_names():
    return sorted(f[:-5] for f in os.listdir(PRESET_DIR) if f.endswith(".yaml"))


def load(preset=None, topology=None):
    """Return a topology dict from a preset name, a file path or a dict."""
    if topology is not None:
        if isinstance(topology, dict):
            return copy.deepcopy(topology)
        snap = snapshot.maybe_read(topology)
        if snap is not None:
            return snapshot.to_topology(snap)
        with open(topology) as fh:
            text = fh.read()
        data = json.loads(text) if topology.endswith(".json") else yaml.safe_load(text)
        data.setdefault("_dir", os.path.dirname(os.path.abspath(topology)))
        return data
    name = preset or "small"
    path = os.path.join(PRESET_DIR, name + ".yaml")
    if not os.path.exists(path):
        raise ValueError("unknown preset %r (known: %s)" % (name, ", ".join(preset_names())))
    with open(path) as fh:
        data = yaml.safe_load(fh)
    data["_dir"] = PRESET_DIR
    return data


def fake_addr(type_index, i):
    """A distinct 127/8 address nothing listens on."""
    return "127.%d.%d.%d:%d" % (20 + type_index, (i // 250) % 256, i % 250 + 1,
                                6100 + type_index)


def expand_services(topo):
    """List of service specs: dicts with type, addr (None for rdir = allocate a
    port), id, location, score, tags, listen."""
    out = []
    services = topo.get("services") or {}
    types = list(TYPE_ORDER) + sorted(t for t in services if t not in TYPE_ORDER)
    for tindex, stype in enumerate(types):
        spec = services.get(stype)
        if not spec:
            continue
        if isinstance(spec, int):
            spec = {"count": spec}
        entries = spec.get("entries")
        if entries:
            for i, ent in enumerate(entries):
                out.append(_entry(stype, tindex, i, spec, ent))
            continue
        count = int(spec.get("count", 0))
        sites = max(1, int(spec.get("sites", 1)))
        racks = max(1, int(spec.get("racks", 1)))
        hosts = max(1, int(spec.get("hosts", count or 1)))
        pattern = spec.get("location", "site{site}.rack{rack}.host{host}.{type}-{n}")
        for i in range(count):
            fmt = {"n": i + 1, "i": i, "type": stype,
                   "site": i % sites + 1,
                   "rack": (i // sites) % racks + 1,
                   "host": (i // (sites * racks)) % hosts + 1}
            ent = {"location": pattern.format(**fmt)}
            if spec.get("service_id"):
                ent["id"] = spec["service_id"].format(**fmt)
            out.append(_entry(stype, tindex, i, spec, ent, fmt))
    return out


def _locked(value):
    """true, false, or the one score 2026.14 locks apart ("put" or "get")."""
    return value if value in ("put", "get") else bool(value)


def _entry(stype, tindex, i, spec, ent, fmt=None):
    fmt = fmt or {"n": i + 1, "i": i, "type": stype}
    scores = spec.get("scores")
    score = ent.get("score", scores[i % len(scores)] if scores else spec.get("score", DEFAULT_SCORE))
    tags = {"tag.slots": spec.get("slots", stype)}
    loc = ent.get("location")
    if loc:
        tags["tag.loc"] = loc
    tags["tag.vol"] = spec.get("vol", "/var/lib/oio/sds/{ns}/{type}-{n}").format(
        ns="{ns}", **fmt)
    tags.update(spec.get("tags") or {})
    tags.update(ent.get("tags") or {})
    sid = ent.get("id")
    if sid:
        tags["tag.service_id"] = sid
    listen = stype == "rdir"
    addr = ent.get("addr")
    if addr is None and not listen:
        addr = fake_addr(tindex, i)
    return {"type": stype, "addr": addr, "id": sid, "score": int(score), "tags": tags,
            "locked": _locked(ent.get("locked", spec.get("locked", False))),
            "listen": listen, "name": ent.get("name") or "%s-%d" % (stype, i + 1),
            "stats": dict(DEFAULT_STATS)}
