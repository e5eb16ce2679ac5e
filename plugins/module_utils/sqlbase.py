# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One replicated sqliterepo base: its peers, its copies, its admin table.

The move follows algorithms.md 10 and 11.3, step by step, each step only
when the cluster is not already past it, so that a run interrupted halfway
can simply be run again:

1. ``sys.peers`` (and the admin properties asked for) in one
   ``admin/set_properties`` write, on the current master;
2. ``admin/copy`` to every new peer, from a peer that has the base (the
   master first);
3. the owner: ``meta0_force`` of the base's prefixes for a meta1 base (then
   the proxy's ``high`` cache is flushed, or it keeps resolving the old
   peers), ``reference/force?replace=yes`` for a meta2/sqlx base;
4. ``admin/leave`` of every old and new peer, so the peers reload their
   peer list and a departing master gives up;
5. ``admin/remove`` of the copies left on former peers;
6. the election is checked (ping and wait when needed).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.cache import flush_proxy_cache
from ansible_collections.openio.sds.plugins.module_utils.errors import OioError, Refused
from ansible_collections.openio.sds.plugins.module_utils.election import (
    admin_call, ask_any, call_problems, describe_peer, election_status, leave, wait_elected)
from ansible_collections.openio.sds.plugins.module_utils.names import is_addr, siblings
from ansible_collections.openio.sds.plugins.module_utils.release import COPY_TARGET_IS_MASTER
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts

MOVABLE_TYPES = ("meta1", "meta2", "sqlx")
PEERS_KEY = "sys.peers"


# -- admin table ---------------------------------------------------------------

def get_admin_properties(client, base, peers=None):
    """``{"properties": {user keys without "user."}, "system": {...}}``,
    from the master. When the base has none (a broken election refuses
    the read), from the first of ``peers`` that answers."""
    try:
        body = client.proxy("POST", "admin/get_properties", base.query(),
                            idempotent=True).body
    except OioError as exc:
        if not peers or exc.http_status not in (500, 503):
            raise
        body = ask_any(client, base, "get_properties", sorted(peers)).body
    body = body if isinstance(body, dict) else {}
    return {"properties": dict(body.get("properties") or {}),
            "system": dict(body.get("system") or {})}


def check_properties(user, system):
    """Error message for properties the proxy would refuse, else None."""
    for group, name in ((user, "properties"), (system, "system_properties")):
        if group is None:
            continue
        if not isinstance(group, dict):
            return "%s must be a dictionary" % name
        for key, value in group.items():
            if not isinstance(key, str) or not key:
                return "%s: empty or non-string key %r" % (name, key)
            if value is not None and not isinstance(value, str):
                return "%s: the value of %r must be a string (or null to remove it)" % (
                    name, key)
    for key in system or {}:
        if not key.startswith("sys."):
            return ("system_properties: %r does not start with 'sys.' (user keys go in "
                    "properties)" % key)
        if key == PEERS_KEY:
            return "system_properties: set %s with the peers option" % PEERS_KEY
    return None


def plan_properties(current, user=None, system=None, purge=False):
    """The changes to send, ``{"properties": {...}, "system": {...}}``,
    with ``""`` for a key to delete; only what the user asked for is
    compared. ``purge`` also deletes the user keys not listed."""
    cur_user = current.get("properties") or {}
    out = {"properties": _changed_keys(cur_user, user),
           "system": _changed_keys(current.get("system") or {}, system)}
    if purge and user is not None:
        for key in cur_user:
            if key not in user:
                out["properties"][key] = ""
    return out


def _changed_keys(current, wanted):
    """``wanted`` keys whose value differs from ``current``; an empty or None
    value deletes the key (sent as ``""``) when it is there."""
    out = {}
    for key, value in (wanted or {}).items():
        if value in (None, ""):
            if key in current:
                out[key] = ""
        elif current.get(key) != value:
            out[key] = value
    return out


def apply_properties(current, changes):
    """The admin table as it will be once ``changes`` are written."""
    user = dict(current.get("properties") or {})
    system = dict(current.get("system") or {})
    for group, key, value in ([(user, k, v) for k, v in changes["properties"].items()]
                              + [(system, k, v) for k, v in changes["system"].items()]):
        if value == "":
            group.pop(key, None)
        else:
            group[key] = value
    return {"properties": user, "system": system}


def set_admin_properties(client, base, changes):
    """One ``admin/set_properties`` write (on the master). Setting the same
    values again gives the same table, so a transient failure is retried."""
    body = {}
    if changes.get("properties"):
        body["properties"] = changes["properties"]
    if changes.get("system"):
        body["system"] = changes["system"]
    if not body:
        return
    resp = client.proxy("POST", "admin/set_properties", base.query(), json_body=body,
                        idempotent=True)
    # 7.3.0 acknowledges with 200 {}, 2026.14 with 204: any other answer
    # is not the acknowledgement of this release.
    release = facts(client).release
    if resp.status != release.properties_ack:
        raise OioError("unexpected answer %s to admin/set_properties on %s base %s (OpenIO SDS "
                       "%s acknowledges with %s): the write may not have been made"
                       % (resp.status, base.type, base.name, release, release.properties_ack),
                       method="POST", url=resp.url, http_status=resp.status)


def set_peers(client, base, peers):
    """``sys.peers`` of the base (sorted, as the reference tools write it),
    written on its master."""
    set_admin_properties(client, base, {"system": {PEERS_KEY: ",".join(sorted(peers))}})


# -- peers and copies ------------------------------------------------------

def same_peers(served, expected):
    """meta0 stores each list sorted, whatever order was forced (trial
    transcripts 01 and 02): only the set of peers is compared."""
    return sorted(served or ()) == sorted(expected or ())


def meta0_serves(served, prefixes, peers):
    """Whether the ``meta0_list`` answer ``served`` maps every one of
    ``prefixes`` to ``peers``."""
    return all(same_peers(served.get(p), peers) for p in prefixes)


def owner_peers(client, base):
    """What the directory says the peers are, plus what the owner update
    needs: ``{"peers": [...], "seq", "args", "account", "reference"}``."""
    if base.type == "meta1":
        mapping = facts(client).meta0()
        prefixes = siblings(base.name[:base.digits], base.digits)
        lists = set(tuple(sorted(mapping.get(p) or ())) for p in prefixes)
        peers = list(mapping.get(prefixes[0]) or [])
        return {"peers": peers, "consistent": len(lists) == 1, "prefixes": prefixes,
                "replicas": _usual_length(mapping.values())}
    resp = client.proxy("GET", "reference/show", {"cid": base.cid}, expect=(404,))
    if resp.status == 404:
        raise OioError("no reference has the cid %s" % base.cid, method="GET", url=resp.url,
                       http_status=404, status=(resp.body or {}).get("status")
                       if isinstance(resp.body, dict) else None)
    body = resp.body or {}
    entries = [e for e in body.get("srv") or [] if e.get("type") == base.type]
    seqs = sorted(set(e.get("seq") for e in entries))
    if len(seqs) > 1:
        raise Refused("reference %s has %s services under several sequences %s: moving "
                      "them is not supported" % (base.cid, base.type, seqs))
    peers = []
    for entry in entries:
        for host in (entry.get("host") or "").split(","):
            if host and host not in peers:
                peers.append(host)
    return {"peers": peers, "seq": seqs[0] if seqs else 1,
            "args": entries[0].get("args") or "" if entries else "",
            "account": body.get("account") or base.account,
            "reference": body.get("name") or base.reference, "consistent": True}


def _usual_length(lists):
    """The most common length of the mapping's lists: its replica count."""
    counts = {}
    for lst in lists:
        counts[len(lst or ())] = counts.get(len(lst or ()), 0) + 1
    return max(sorted(counts), key=lambda n: counts[n]) if counts else 0


def expected_replicas(client, base, owner):
    """How many peers the namespace keeps of such a base: the mapping's
    replica count for a meta1 base, the service update policy's for a
    meta2 or sqlx base."""
    if base.type == "meta1":
        return owner.get("replicas") or 0
    return facts(client).service_replicas().get(base.type, 1)


def base_files(client, base, service_ids=None):
    """``{addr: {"path", "mtime"} | False | None}``: where a peer keeps its
    copy (its file's mtime on 2026.14, else None), no copy, or unknown
    (unreachable). Without ``service_ids`` the directory's peers answer."""
    extra = {"service_id": ",".join(service_ids)} if service_ids else {}
    release = facts(client).release
    out = {}
    for addr, res in admin_call(client, base, "has", **extra).items():
        if res["status"] == 200:
            path, mtime = release.base_file(res["body"])
            out[addr] = {"path": path, "mtime": mtime}
        elif res["status"] == 431:
            out[addr] = False
        else:
            out[addr] = None
    return out


def copies_of(files):
    """``{addr: True | False | None}`` (has the base, lacks it, unknown) of
    a :func:`base_files` answer."""
    return dict((addr, bool(found) if found is not None else None)
                for addr, found in files.items())


def copies(client, base, service_ids=None):
    """``{addr: True | False | None}``: has the base, lacks it, unknown."""
    return copies_of(base_files(client, base, service_ids))


def copy_base(client, base, target, sources):
    """Copy the base to ``target`` from the first source that works. A copy
    is a full overwrite from the source, so sending it again is safe.
    2026.14 refuses to overwrite the master's copy (473): the target then
    leaves the election, and the copy is sent once more."""
    errors = []
    refusals = facts(client).release.copy_refusals
    for src in sources:
        if src == target:
            continue
        for attempt in (1, 2):
            try:
                client.proxy("POST", "admin/copy", base.query(),
                             json_body={"to": target, "from": src}, idempotent=True)
                return src
            except OioError as exc:
                if refusals and exc.status == COPY_TARGET_IS_MASTER and attempt == 1:
                    leave(client, base, [target])
                    continue
                errors.append("from %s: %s" % (src, exc))
                break
    raise OioError("could not copy %s base %s to %s: %s" % (
        base.type, base.name, target, "; ".join(errors) or "no source holds it"),
        method="POST", url=client.proxy_route("admin/copy"))


def force_owner(client, base, owner, peers):
    """Point the owner at ``peers``: meta0 for meta1 bases, meta1 (the
    reference's link) for meta2/sqlx bases."""
    for addr in peers:
        if not is_addr(addr):
            raise ValueError("%r is not an IP:PORT address" % (addr,))
    if base.type == "meta1":
        # meta0 must still map the base as the move found it: otherwise
        # another writer changed it meanwhile, and forcing would undo that.
        served = facts(client).meta0()
        if not meta0_serves(served, owner["prefixes"], owner["peers"]):
            raise Refused("meta0 changed the peers of meta1 base %s during the move: another "
                          "writer? nothing was forced, run the task again" % base.name)
        # Only this base's prefixes: meta0 keeps the others as they are.
        payload = dict((p, sorted(peers)) for p in owner["prefixes"])
        client.proxy("POST", "admin/meta0_force", json_body=payload, idempotent=True)
        flush_proxy_cache(client, "high")
        return
    params = {"type": base.type, "replace": "yes"}
    if owner.get("account") and owner.get("reference"):
        params.update(acct=owner["account"], ref=owner["reference"])
    else:
        params["cid"] = base.cid
    body = {"seq": int(owner.get("seq") or 1), "type": base.type, "host": ",".join(peers),
            "args": owner.get("args") or ""}
    # replace=yes rewrites the same (type, seq) entry: repeating it is safe.
    client.proxy("POST", "reference/force", params, json_body=body, idempotent=True)


def remove_copies(client, base, service_ids):
    """Remove the copies of ``service_ids``; the services that held one.
    2026.14 says per peer whether it deleted a copy; 7.3.0 answers 431 for
    a peer without one."""
    results = admin_call(client, base, "remove", service_id=",".join(service_ids))
    release = facts(client).release
    outcome = dict((addr, release.removed(res["status"], res["body"]))
                   for addr, res in results.items())
    problems = [describe_peer(a, results[a]) for a in sorted(outcome) if outcome[a] is None]
    if problems:
        raise OioError("removing %s base %s failed on %s" % (
            base.type, base.name, "; ".join(problems)), method="POST",
            url=client.proxy_route("admin/remove"))
    return sorted(a for a in outcome if outcome[a])


# -- planning and running -----------------------------------------------------

def check_peers(peers, known):
    """Error message for a bad desired peer list, else None. ``known``:
    addresses of the services of the base's type in the conscience."""
    if not peers:
        return "peers must list at least one service"
    bad = [p for p in peers if not is_addr(p)]
    if bad:
        return "peers must be IP:PORT addresses: %s" % ", ".join(repr(b) for b in bad)
    if len(set(peers)) != len(peers):
        return "peers lists a service twice"
    unknown = [p for p in peers if p not in known]
    if unknown:
        return "not registered in the conscience as services of that type: %s" % (
            ", ".join(unknown))
    return None


def move_plan(owner, sys_peers, holders, desired):
    """What a move still has to do, from what the cluster says now.

    ``owner``: result of :func:`owner_peers`; ``sys_peers``: the base's
    ``sys.peers`` (list); ``holders``: :func:`copies` of the directory's
    peers. Returns a dict of steps (empty lists / False when done)."""
    current = list(owner["peers"])
    moving = set(current) != set(desired) or not owner.get("consistent", True)
    copy_to = [p for p in desired if p not in current or holders.get(p) is False]
    sources = [p for p in current if holders.get(p)]
    return {
        "set_peers": sorted(sys_peers) != sorted(desired),
        "copy_to": copy_to,
        "sources": sources,
        "force_owner": moving,
        "leave": moving or bool(copy_to),
        "remove_from": [p for p in current if p not in desired],
    }


def plan_is_empty(plan):
    return not (plan["set_peers"] or plan["copy_to"] or plan["force_owner"]
                or plan["remove_from"])


def describe_plan(base, plan, desired):
    steps = []
    if plan["set_peers"]:
        steps.append("set %s of %s to %s" % (PEERS_KEY, base.name, ",".join(sorted(desired))))
    for target in plan["copy_to"]:
        steps.append("copy %s to %s" % (base.name, target))
    if plan["force_owner"]:
        steps.append("point %s at %s" % (
            "meta0" if base.type == "meta1" else "the reference's %s link" % base.type,
            ",".join(desired)))
    if plan["leave"]:
        steps.append("make the peers leave the election")
    if plan["remove_from"]:
        steps.append("remove the copies on %s" % ", ".join(plan["remove_from"]))
    if plan["leave"] or plan["copy_to"]:
        steps.append("check the election")
    return steps


def run_move(client, base, owner, plan, desired, prop_changes, wait_timeout, warn=None,
             before_force=None):
    """Carry out ``plan``. ``prop_changes`` (admin properties) ride along
    with ``sys.peers`` in the same write; ``before_force`` is called right
    before the owner is updated. Returns the steps done."""
    done = []
    if plan["copy_to"] and not plan["sources"]:
        raise OioError("no peer of %s base %s holds a copy to copy from (peers: %s)" % (
            base.type, base.name, ", ".join(owner["peers"]) or "none"),
            method="POST", url=client.proxy_route("admin/has"))
    changes = {"properties": dict(prop_changes.get("properties") or {}),
               "system": dict(prop_changes.get("system") or {})}
    if plan["set_peers"]:
        changes["system"][PEERS_KEY] = ",".join(sorted(desired))
    if changes["properties"] or changes["system"]:
        set_admin_properties(client, base, changes)
        done.append("set_properties")
    if plan["copy_to"]:
        sources = list(plan["sources"])
        try:
            master = election_status(client, base)["master"]
        except OioError:
            master = None
        if master in sources:
            sources.remove(master)
            sources.insert(0, master)
        for target in plan["copy_to"]:
            src = copy_base(client, base, target, sources)
            done.append("copy %s -> %s" % (src, target))
    if plan["force_owner"]:
        if before_force is not None:
            before_force()
        force_owner(client, base, owner, desired)
        done.append("force_owner")
    if plan["leave"]:
        # Old and new peers by name: a departing master that is no longer
        # resolved through the directory would otherwise stay master and
        # block the election of the others (trial transcript 06).
        problems = call_problems(leave(client, base, sorted(set(owner["peers"]) | set(desired))))
        if problems and warn:
            warn("leaving the election of %s: %s" % (base.name, "; ".join(problems)))
        done.append("leave")
    if plan["remove_from"]:
        if facts(client).release.remove_reports_deleted:
            # The remove itself says which peers held a copy: no admin/has.
            removed = remove_copies(client, base, plan["remove_from"])
        else:
            there = copies(client, base, plan["remove_from"])
            holding = [a for a in plan["remove_from"] if there.get(a) is not False]
            removed = remove_copies(client, base, holding) if holding else []
        if removed:
            done.append("remove %s" % ",".join(removed))
    if plan["leave"] or plan["copy_to"]:
        wait_elected(client, base, wait_timeout)
        done.append("elected")
    return done


def plan_removal(client, base, service_ids, owner_list, force=False):
    """The services of ``service_ids`` that hold a copy to remove. Refuses to
    remove a copy from a service that is still a peer unless ``force``."""
    still = [s for s in service_ids if s in owner_list]
    if still and not force:
        raise ValueError("%s still %s of %s base %s: change peers first (or set force)" % (
            ", ".join(still), "is a peer" if len(still) == 1 else "are peers",
            base.type, base.name))
    results = admin_call(client, base, "has", service_id=",".join(service_ids))
    unknown = [describe_peer(a, r) for a, r in sorted(results.items())
               if r["status"] not in (200, 431)]
    if unknown:
        raise OioError("cannot tell which services hold a copy of %s base %s: %s" % (
            base.type, base.name, "; ".join(unknown)),
            method="POST", url=client.proxy_route("admin/has"))
    return [a for a in service_ids if results.get(a, {}).get("status") == 200]
