# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rdir assignments and rdir volume databases, the HTTP side.

An assignment is the reference ``_RDIR/<volume id>`` with ``rdir`` services
linked at seq 1 (rdir-api.md 1). Reading costs one ``reference/show`` per
volume, run with bounded concurrency; the volumes and rdirs come from two
conscience lists. Choosing rdirs is the planner's job (rdir_planner.py);
this file turns its plan into ``reference/force`` writes followed by the
creation of the volume's database on the new rdir.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading

from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.names import (
    RDIR_ACCOUNT, check_name_lengths, is_addr)
from ansible_collections.openio.sds.plugins.module_utils.rdir_planner import (
    STATUSES, RdirTable, plan_rdir_assignment, rdir_loads, split_hosts, volume_status)
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts
from ansible_collections.openio.sds.plugins.module_utils.services import normalize_service, service_id

SERVICE_TYPES = ("rawx", "meta2")
# rdir routes of each kind of index (rdir-api.md 3).
INDEX_ROUTE = {"rawx": "v1/rdir", "meta2": "v1/rdir/meta2"}
STATUS_ERROR = "error"
INFO_STATUSES = STATUSES + (STATUS_ERROR,)
# Paging of /v1/rdir/status and /v1/rdir/meta2/fetch: the server's cap.
PAGE_LIMIT = 10000
# Keep --diff readable on big clusters.
DIFF_MAX_VOLUMES = 50
# Internal status of "service already linked" (reference/force without replace).
STATUS_ALREADY_LINKED = 455
STATUS_NO_SUCH_REFERENCE = 406


# ---------------------------------------------------------------------------
# Services

def volume_id(entry):
    """Volume ID of a rawx/meta2 conscience entry: service ID, else address."""
    return service_id(entry)


def _service(entry, release):
    svc = normalize_service(entry, release)
    return dict((k, svc[k]) for k in ("id", "addr", "location", "score", "locked", "up"))


def list_volumes(client, service_type):
    """Volumes of ``service_type`` as the planner takes them."""
    check_service_type(service_type)
    out = []
    seen = set()
    for entry in facts(client).conscience_list(service_type):
        vol = _service(entry, facts(client).release)
        if not vol["id"] or vol["id"] in seen:
            continue
        seen.add(vol["id"])
        out.append(vol)
    return out


def list_rdirs(client):
    """rdir services, with ``stat.opened_db_count`` (needs ``full``)."""
    out = []
    seen = set()
    for entry in facts(client).conscience_list("rdir", full=True):
        rdir = _service(entry, facts(client).release)
        if not rdir["id"] or rdir["id"] in seen:
            continue
        seen.add(rdir["id"])
        try:
            rdir["opened_db_count"] = int((entry.get("tags") or {}).get(
                "stat.opened_db_count") or 0)
        except (TypeError, ValueError):
            rdir["opened_db_count"] = 0
        out.append(rdir)
    return out


def check_service_type(service_type):
    if service_type not in SERVICE_TYPES:
        raise InvalidInput("service_type must be one of %s, got %r"
                           % (", ".join(SERVICE_TYPES), service_type))


def check_volume_id(vol):
    if not isinstance(vol, str) or not vol.strip():
        raise InvalidInput("a volume ID must be a non-empty string, got %r" % (vol,))
    if vol != vol.strip() or "," in vol:
        raise InvalidInput("volume ID %r must not contain spaces around it or commas" % (vol,))
    problem = check_name_lengths(RDIR_ACCOUNT, vol)
    if problem:
        raise InvalidInput("volume ID %r: %s" % (vol, problem))


def quiet_retries(client, warn, limit=10):
    """Pass the first ``limit`` retry warnings of ``client`` to ``warn``, count
    the rest; returns a function that reports how many were held back. A
    namespace-wide outage would otherwise print one line per volume."""
    lock = threading.Lock()
    seen = [0]

    def counted(message):
        with lock:
            seen[0] += 1
            show = seen[0] <= limit
        if show:
            warn(message)

    client.warn = counted

    def flush():
        with lock:
            held = seen[0] - limit
            seen[0] = min(seen[0], limit)
        if held > 0:
            warn("%d more retries of transient failures were not shown" % held)

    return flush


# ---------------------------------------------------------------------------
# Reading assignments

def read_assignment(client, vol):
    """rdir hosts stored for ``vol`` (IDs or addresses), [] when none.

    Every ``rdir`` entry counts, in the order meta1 gives them (7.3.0 tools
    use only the first; several rdir per volume is the newer layout)."""
    resp = client.proxy("GET", "reference/show",
                        {"acct": RDIR_ACCOUNT, "ref": vol, "type": "rdir"},
                        expect=(404,))
    if resp.status == 404:
        body = resp.body if isinstance(resp.body, dict) else {}
        if body.get("status") == STATUS_NO_SUCH_REFERENCE:
            return []
        raise OioError(body.get("message") or "not found", method="GET", url=resp.url,
                       http_status=404, status=body.get("status"), body=resp.body)
    body = resp.body if isinstance(resp.body, dict) else {}
    hosts = [srv.get("host") for srv in body.get("srv") or []
             if isinstance(srv, dict) and srv.get("type") == "rdir"]
    return split_hosts([h for h in hosts if h])


def read_assignments(client, volume_ids, concurrency=16):
    """``({volume: [hosts]}, {volume: error dict})``. A volume whose read
    still fails after the client's retries is reported in the second dict
    and never stops the others."""
    assignments, errors = {}, {}
    for vol, hosts, err in client.map_bounded(
            lambda v: read_assignment(client, v), volume_ids, concurrency):
        if err is None:
            assignments[vol] = hosts
        elif isinstance(err, OioError):
            errors[vol] = err.to_dict()
        else:
            errors[vol] = {"message": "%s: %s" % (type(err).__name__, err)}
    return assignments, errors


# ---------------------------------------------------------------------------
# Planning and applying

def check_volumes(service_type, service_ids=None):
    """The service type and the volume IDs a task names (the numbers are the
    module's ``ranges``)."""
    check_service_type(service_type)
    for vol in service_ids or []:
        check_volume_id(vol)


def gather(client, service_type, service_ids=None, concurrency=16):
    """Volumes, rdirs, assignments and read errors of one service type.
    Unknown ``service_ids`` are an input error, before anything else."""
    volumes = list_volumes(client, service_type)
    known = set(v["id"] for v in volumes) | set(v["addr"] for v in volumes)
    if service_ids:
        unknown = sorted(set(service_ids) - known)
        if unknown:
            raise InvalidInput("no %s service with ID or address %s in the conscience"
                               % (service_type, ", ".join(unknown)))
    rdirs = list_rdirs(client)
    ids = [v["id"] for v in volumes]
    assignments, errors = read_assignments(client, ids[:1], concurrency)
    if errors and no_directory_yet(client, errors[ids[0]]):
        # No meta0 mapping, so no reference at all: every volume is
        # unassigned, and the plan comes from the conscience alone.
        return volumes, rdirs, dict((v, []) for v in ids), {}
    more, more_errors = read_assignments(client, ids[1:], concurrency)
    assignments.update(more)
    errors.update(more_errors)
    return volumes, rdirs, assignments, errors


def no_directory_yet(client, error):
    """Whether a failed read of an assignment (``error``, a dict) comes from
    a namespace without a meta0 mapping yet, where no reference, hence no
    assignment, can exist: meta1 cannot be resolved (503) and meta0 serves
    an empty mapping (a cheap read, then)."""
    if error.get("http_status") != 503:
        return False
    return not facts(client).meta0()


def _selected_ids(volumes, service_ids):
    if not service_ids:
        return None
    wanted = set(service_ids)
    return [v["id"] for v in volumes if v["id"] in wanted or v["addr"] in wanted]


def check_reassign_from(rdirs, assignments, key):
    """``reassign_from`` must name an rdir: one the conscience lists (by ID or
    address) or one some volume is still assigned to. A typo would otherwise
    move nothing and say nothing."""
    if not key:
        return
    table = RdirTable(rdirs)
    if table.resolve(key) is not None:
        return
    if any(key in hosts for hosts in assignments.values()):
        return
    known = sorted(set(r["id"] for r in rdirs))
    raise InvalidInput("reassign_from %r is not an rdir service: the conscience does not list "
                       "it (by ID or address) and no volume is assigned to it; known rdirs: %s"
                       % (key, ", ".join(known) or "none"))


def plan(volumes, rdirs, assignments, errors, service_ids=None, max_per_rdir=None, min_dist=1,
         replicas=1, reassign_from=None, rebalance=False, include_locked=False):
    """Run the planner; volumes whose assignment could not be read are kept
    out of scope, so they are never reassigned blindly."""
    check_reassign_from(rdirs, assignments, reassign_from)
    scope = _selected_ids(volumes, service_ids)
    if scope is None:
        scope = [v["id"] for v in volumes]
    scope = [v for v in scope if v not in errors]
    try:
        return plan_rdir_assignment(
            volumes, rdirs, assignments, max_per_rdir=max_per_rdir, min_dist=min_dist,
            replicas=replicas, reassign_from=reassign_from, rebalance=rebalance,
            include_locked=include_locked, volume_ids=scope)
    except ValueError as exc:
        raise InvalidInput(str(exc))


def force_body(hosts, rdir_table):
    """The ``reference/force`` body for ``hosts``, checked against what the
    proxy accepts without complaint but would store wrongly (an unknown host
    or a foreign type is stored as given: reference_force_unregistered_host
    and reference_force_type_mismatch transcripts)."""
    if not hosts:
        raise InvalidInput("refusing to write an empty rdir assignment")
    for host in hosts:
        if not isinstance(host, str) or not host or "," in host:
            raise InvalidInput("invalid rdir host %r" % (host,))
        rid = rdir_table.resolve(host)
        if rid is None:
            raise InvalidInput("rdir %r is not in the conscience" % (host,))
        if rdir_table.score[rid] <= 0:
            raise InvalidInput("rdir %r has score 0" % (host,))
    if len(set(hosts)) != len(hosts):
        raise InvalidInput("duplicate rdir in %r" % (hosts,))
    # Several rdir are stored in one entry, sorted, like newer releases do.
    return {"seq": 1, "type": "rdir", "host": ",".join(sorted(hosts)), "args": ""}


def _already_linked(err):
    text = err.message or ""
    return err.status == STATUS_ALREADY_LINKED or "UNIQUE constraint failed" in text \
        or "are not unique" in text


def write_assignment(client, vol, body, replace):
    """One ``reference/force``. Without ``replace`` (no assignment was read),
    a 455 "already linked" means our own earlier attempt or another writer
    got there: it is done if the stored hosts are the ones wanted, else it is
    a conflict worth reporting rather than overwriting."""
    params = {"acct": RDIR_ACCOUNT, "ref": vol, "type": "rdir"}
    if replace:
        params["replace"] = "yes"
    # Safe to resend: with replace the same entry is rewritten; without it a
    # resent request ends in 455, handled below.
    try:
        client.proxy("POST", "reference/force", params, json_body=body,
                     action_mode=["autocreate"], idempotent=True)
    except OioError as err:
        if replace or not _already_linked(err):
            raise
        stored = read_assignment(client, vol)
        if sorted(stored) != sorted(body["host"].split(",")):
            raise OioError("already assigned to %s (changed by someone else meanwhile; "
                           "run again to review)" % ",".join(stored),
                           method=err.method, url=err.url, http_status=err.http_status,
                           status=err.status, body=err.body)


def create_index(client, rdir_addr, service_type, vol):
    """Create (or open) the volume's database on one rdir: 201 either way."""
    client.rdir("POST", rdir_addr, INDEX_ROUTE[service_type] + "/create",
                {"vol": vol}, idempotent=True)


def apply_changes(client, changes, rdirs, service_type, assignments, concurrency=16):
    """Write every change of the plan. Returns ``(done, failed, warnings)``:
    volumes written, ``{volume: error}`` for the writes that failed, and the
    database creations that failed (the rdir also creates it on first push)."""
    table = RdirTable(rdirs)
    bodies = {}
    for change in changes:
        vol = change["volume"]
        check_volume_id(vol)
        bodies[vol] = force_body(change["new"], table)

    def one(change):
        vol = change["volume"]
        write_assignment(client, vol, bodies[vol], replace=bool(assignments.get(vol)))
        problems = []
        old = set(table.resolve(h) or h for h in split_hosts(assignments.get(vol)))
        for host in change["new"]:
            rid = table.resolve(host)
            if rid in old:
                continue
            addr = table.by_id[rid]["addr"]
            try:
                create_index(client, addr, service_type, vol)
            except OioError as err:
                problems.append("%s: the database of %s was not created on rdir %s: %s"
                                % (vol, vol, rid, err))
        return problems

    done, failed, warnings = [], {}, []
    for change, problems, err in client.map_bounded(one, changes, concurrency):
        vol = change["volume"]
        if err is None:
            done.append(vol)
            warnings.extend(problems)
        elif isinstance(err, OioError):
            failed[vol] = err.to_dict()
        else:
            failed[vol] = {"message": "%s: %s" % (type(err).__name__, err)}
    return done, failed, warnings


def diff_summary(plan_result, changes):
    """Readable before/after: load per rdir and the volumes that change
    (the first DIFF_MAX_VOLUMES of them)."""
    before = {"load": dict(sorted(plan_result.load_before.items()))}
    after = {"load": dict(sorted(plan_result.load_after.items()))}
    shown = changes[:DIFF_MAX_VOLUMES]
    before["volumes"] = dict((c["volume"], ",".join(c["old"]) or None) for c in shown)
    after["volumes"] = dict((c["volume"], ",".join(c["new"])) for c in shown)
    if len(changes) > len(shown):
        after["volumes_not_shown"] = len(changes) - len(shown)
    return before, after


# ---------------------------------------------------------------------------
# Info

def assignment_report(volumes, rdirs, assignments, errors, min_dist=1, replicas=1):
    """Per volume: its rdirs and a status; per rdir: its load."""
    table = RdirTable(rdirs)
    out_vols = {}
    counts = dict((s, 0) for s in INFO_STATUSES)
    for vol in sorted(volumes, key=lambda v: v["id"]):
        vid = vol["id"]
        entry = {"addr": vol["addr"], "location": vol["location"], "score": vol["score"]}
        if vid in errors:
            entry.update(rdir=None, rdirs=[], status=STATUS_ERROR, error=errors[vid])
        else:
            hosts = assignments.get(vid) or []
            entry.update(rdir=hosts[0] if hosts else None, rdirs=list(hosts),
                         status=volume_status(vol, hosts, table, min_dist, replicas))
        counts[entry["status"]] += 1
        out_vols[vid] = entry
    loads = rdir_loads(dict((k, v) for k, v in assignments.items() if k not in errors),
                       table, external=False)
    out_rdirs = {}
    for rdir in sorted(rdirs, key=lambda r: r["id"]):
        out_rdirs[rdir["id"]] = {
            "addr": rdir["addr"], "location": rdir["location"], "score": rdir["score"],
            "load": loads.get(rdir["id"], 0),
            "opened_db_count": rdir.get("opened_db_count", 0),
        }
    return out_vols, out_rdirs, counts


# ---------------------------------------------------------------------------
# One volume's database on its rdir

def locate_rdir(client, vol):
    """``(rdir host as stored, address to reach it, every stored host)``."""
    hosts = read_assignment(client, vol)
    if not hosts:
        raise InvalidInput("volume %s has no rdir assigned (reference %s/%s has no rdir "
                           "service); assign one with openio.sds.oio_rdir_assignment"
                           % (vol, RDIR_ACCOUNT, vol))
    host = hosts[0]
    for rdir in list_rdirs(client):
        if host in (rdir["id"], rdir["addr"]):
            return host, rdir["addr"], hosts
    if is_addr(host):
        return host, host, hosts
    raise InvalidInput("rdir %s of volume %s is not in the conscience, so its address is "
                       "unknown" % (host, vol))


class VolumeDatabase(object):
    """The reverse-index database an rdir keeps for one volume: its admin
    routes (rdir-api.md 3.3-3.16)."""

    def __init__(self, client, rdir_addr, service_type, vol):
        check_service_type(service_type)
        check_volume_id(vol)
        self.client = client
        self.addr = rdir_addr
        self.service_type = service_type
        self.vol = vol
        self.base = INDEX_ROUTE[service_type]

    def _call(self, method, route, extra=None, **kwargs):
        params = {"vol": self.vol}
        params.update(extra or {})
        return self.client.rdir(method, self.addr, self.base + "/" + route, params, **kwargs)

    def admin(self):
        """Admin keys (``lock``, ``incident_date``), None when there is no
        database. Only rawx indexes have them."""
        resp = self._call("GET", "admin/show", expect=(404,))
        if resp.status == 404:
            return None
        return resp.body if isinstance(resp.body, dict) else {}

    def meta2_exists(self):
        # 7.3.0 answers every error of meta2/fetch, a missing DB included,
        # as HTTP 400; a valid body leaves no other cause.
        resp = self._call("POST", "fetch", json_body={"limit": 1}, expect=(400,))
        return resp.status < 400

    def exists(self):
        if self.service_type == "meta2":
            return self.meta2_exists()
        return self.admin() is not None

    def create(self):
        self._call("POST", "create", idempotent=True)

    def lock(self, who):
        if not isinstance(who, str) or not who:
            raise InvalidInput("who must be a non-empty string")
        # Re-entrant for the same holder: safe to resend.
        self._call("POST", "admin/lock", json_body={"who": who}, idempotent=True)

    def unlock(self):
        self._call("POST", "admin/unlock", idempotent=True)

    def set_incident(self, date):
        if isinstance(date, bool) or not isinstance(date, int) or date <= 0:
            raise InvalidInput("incident_date must be a positive integer (seconds since "
                               "the epoch), got %r" % (date,))
        self._call("POST", "admin/incident", json_body={"date": date}, idempotent=True)

    def clear(self, clear_all=False, before_incident=False, repair=False):
        params = {"all": "true" if clear_all else "false",
                  "before_incident": "true" if before_incident else "false",
                  "repair": "true" if repair else "false"}
        # Not resent: a second pass after a lost answer would report different counts.
        resp = self._call("POST", "admin/clear", params, idempotent=False)
        return resp.body if isinstance(resp.body, dict) else {}

    def status(self):
        """Sum of every page of /status (rawx) or a count of meta2 records."""
        if self.service_type == "meta2":
            return self._meta2_status()
        total = to_rebuild = 0
        containers = set()
        incident = None
        marker = None
        while True:
            extra = {"max": str(PAGE_LIMIT)}
            if marker:
                extra["marker"] = marker
            resp = self._call("GET", "status", extra)
            body = resp.body if isinstance(resp.body, dict) else {}
            chunk = body.get("chunk") or {}
            total += int(chunk.get("total") or 0)
            to_rebuild += int(chunk.get("to_rebuild") or 0)
            containers.update((body.get("container") or {}).keys())
            if body.get("rebuild"):
                incident = body["rebuild"].get("incident_date")
            truncated = str(resp.headers.get("x-oio-list-truncated", "false")).lower() == "true"
            marker = resp.headers.get("x-oio-list-marker")
            if not truncated or not marker:
                break
        out = {"chunk": {"total": total}, "containers": len(containers)}
        if incident:
            out["chunk"]["to_rebuild"] = to_rebuild
            out["incident_date"] = int(incident)
        return out

    def _meta2_status(self):
        urls = set()
        marker = None
        while True:
            body = {"limit": PAGE_LIMIT}
            if marker:
                body["marker"] = marker
            resp = self._call("POST", "fetch", json_body=body)
            page = resp.body if isinstance(resp.body, dict) else {}
            records = page.get("records") or []
            before = len(urls)
            for rec in records:
                if isinstance(rec, dict) and rec.get("container_url"):
                    urls.add(rec["container_url"])
            # The marker must be an existing key (else the next record is
            # skipped), so it is always the last URL returned.
            if not page.get("truncated") or not records or len(urls) == before:
                break
            marker = records[-1].get("container_url")
        return {"containers": len(urls)}


def predict_clear(status, admin, clear_all, before_incident, repair):
    """What admin/clear would do, from the status and admin keys: the
    removed and repaired counts and whether an incident date goes away."""
    total = int((status.get("chunk") or {}).get("total") or 0)
    incident = _int_or_none((admin or {}).get("incident_date"))
    if clear_all:
        removed = total
    elif before_incident and incident:
        removed = int((status.get("chunk") or {}).get("to_rebuild") or 0)
    else:
        removed = 0
    repaired = (total - removed) if repair else 0
    return {"removed": removed, "repaired": repaired,
            "incident_date_removed": bool(incident)}


def _int_or_none(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value or None


def admin_state(admin):
    """Admin keys as returned to the user: typed, None when absent."""
    admin = admin or {}
    return {"lock": admin.get("lock") or None,
            "incident_date": _int_or_none(admin.get("incident_date"))}
