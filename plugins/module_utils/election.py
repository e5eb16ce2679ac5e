# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replicated bases and their elections (proxy ``/admin/...`` routes).

A base is addressed by its type and a cid; every admin route that runs on
all peers answers a per-peer map, turned here into one shape. The health
rule (algorithms.md 13): exactly one peer answers 200 (master) and every
other answers 303 naming it. ``scan_meta1_elections`` reads the status of
every meta1 base (65,536 of them with 4 digits), one request per base through
the shared client with bounded concurrency.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.names import (
    base_cid, base_name, check_name_lengths, compute_cid, is_cid, split_base_name)
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts

BASE_TYPES = ("meta0", "meta1", "meta2", "sqlx")
NETWORK_STATUSES = frozenset(range(2, 10))
STATES = ("healthy", "unreachable", "failed", "split", "no_master", "error")
# Per-peer debug states meaning "not part of an election" (admin/debug).
OUT_OF_ELECTION = frozenset(["NONE", "LEAVING", "LEAVING_FAILING"])


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


# AnsibleModule rules that go with base_identity_spec().
BASE_IDENTITY_RULES = dict(required_together=[("account", "reference")],
                           mutually_exclusive=[("cid", "account")])


def resolve_base(client, stype, account=None, reference=None, cid=None, digits=None):
    """Check the user's way of naming a base and return a :class:`BaseRef`.
    Raises InvalidInput with a readable message; nothing is sent except the
    namespace info read for meta1 bases."""
    if stype not in BASE_TYPES:
        raise InvalidInput("type must be one of %s, got %r" % (", ".join(BASE_TYPES), stype))
    if (account is None) != (reference is None):
        raise InvalidInput("account and reference go together")
    if account is not None and cid is not None:
        raise InvalidInput("give either account and reference, or cid")
    if account is not None:
        problem = check_name_lengths(account, reference)
        if problem:
            raise InvalidInput(problem)
        if not account or not reference:
            raise InvalidInput("account and reference must not be empty")
    if stype == "meta0":
        # Every meta0 holds the one meta0 base; the route still wants a cid.
        return BaseRef(stype, client.namespace, {"type": stype, "cid": "0" * 64},
                       cid="0" * 64)
    if account is None and cid is None:
        raise InvalidInput("a %s base needs account and reference, or cid" % stype)
    if stype == "meta1":
        if account is not None:
            full = compute_cid(account, reference)
        elif is_cid(cid):
            full = cid.upper()
        elif isinstance(cid, str) and 1 <= len(cid) <= 4 and is_hex(cid):
            full = cid.upper().ljust(64, "0")
        else:
            raise InvalidInput("a meta1 base is named by a 64-hex cid, or by its base "
                               "name or prefix (1 to 4 hex chars), got %r" % (cid,))
        if digits is None:
            digits = facts(client).meta1_digits()
        name = base_name(full[:4], digits)
        return BaseRef(stype, name, {"type": stype, "cid": base_cid(name)}, cid=full,
                       account=account, reference=reference, digits=digits)
    if account is not None:
        full = compute_cid(account, reference)
    else:
        try:
            full, seq = split_base_name(cid)
        except ValueError as exc:
            raise InvalidInput(str(exc))
        if seq is not None and seq != 1:
            # The proxy drops the sequence and always opens <CID>.1.
            raise InvalidInput("the proxy's admin routes only reach sequence 1 of a %s base "
                               "(%s.1), not %r" % (stype, full, cid))
    return BaseRef(stype, full + ".1", {"type": stype, "cid": full}, cid=full,
                   account=account, reference=reference)


def is_hex(text):
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


def ask_any(client, base, action, service_ids, **extra):
    """A single-target admin route (``get_properties``...) answered by the
    first of ``service_ids`` that can. 7.3.0 takes the list in one request
    and tries them in order; 2026.14 takes one service per request (400
    "Only one service can be requested" otherwise), so they are asked one
    after the other."""
    ids = [s for s in service_ids if s]
    if not ids:
        raise OioError("no service to ask %s of %s base %s" % (action, base.type, base.name))
    if not facts(client).release.one_service_per_request:
        return client.proxy("POST", "admin/" + action,
                            base.query(service_id=",".join(ids), **extra), idempotent=True)
    failure = None
    for sid in ids:
        try:
            return client.proxy("POST", "admin/" + action, base.query(service_id=sid, **extra),
                                idempotent=True)
        except OioError as exc:
            failure = exc
    raise failure


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


class NotElected(OioError):
    """A base whose election is not healthy after the time it was given:
    every request succeeded, so no URL; ``summary`` is its last status."""

    def __init__(self, base, timeout, summary):
        super(NotElected, self).__init__("%s base %s is not elected after %ss: %s" % (
            base.type, base.name, timeout, "; ".join(summary["problems"])))
        self.base = base
        self.summary = summary


def wait_elected(client, base, timeout, interval=0.5, sleep=time.sleep, clock=time.time):
    """Bring ``base`` to a healthy election. Returns ``(summary, pinged)``.

    Reads the status; a healthy base is left alone. Otherwise (unless the
    client is in check mode) pings every peer and reads the status again until healthy
    or ``timeout`` seconds have passed, then raises :class:`NotElected`
    naming the peers at fault.
    """
    summary = election_status(client, base)
    if summary["healthy"] or client.check_mode:
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
    raise NotElected(base, timeout, summary)
