# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan which rdir services index which rawx (or meta2) volumes.

Pure and deterministic: no HTTP, no Ansible, standard library only.

The assignment of a volume lives in meta1, as the ``rdir`` services linked to
the reference ``_RDIR/<volume id>`` (seq 1). A stored host is either the
address of an rdir or its service ID; both are resolved here. The value this
planner proposes to write is :func:`rdir_host`: the rdir's service ID when it
has one, else its address.

Instead of choosing an rdir volume by volume (which can strand the last
volumes when capacities are tight), volumes are grouped into buckets that
share the same candidate rdirs, and the whole problem is solved as a flow:

1. a max-flow at ``max_per_rdir`` proves which volumes can be served at all;
2. the smallest uniform ceiling ``T`` and the largest floor ``L`` that stay
   feasible are searched, so loads end up within ``[L, T]`` (usually within
   one of each other);
3. every rdir is filled up to ``L`` first, then up to ``T``; with
   ``rebalance`` a min-cost flow does it while keeping as many current
   assignments as possible. Candidates are explored farthest first, so far
   rdirs are preferred where the balance leaves a choice.

The graph algorithms live in flow.py, the network of an assignment in
rdir_solver.py; this file triages the volumes and rdirs and drives it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.location import (
    MAX_TOKENS,
    distance,
    service_location,
    split_location,
)
from ansible_collections.openio.sds.plugins.module_utils.rdir_solver import (
    _Bucket, _Solver, _decompose, _groups, _served)
from ansible_collections.openio.sds.plugins.module_utils.services import score_of, service_id

STATUS_OK = "ok"
STATUS_MISSING = "missing"
STATUS_RDIR_DOWN = "rdir_down"
STATUS_RDIR_UNKNOWN = "rdir_unknown"
STATUS_TOO_CLOSE = "too_close"
STATUSES = (STATUS_OK, STATUS_MISSING, STATUS_RDIR_DOWN, STATUS_RDIR_UNKNOWN,
            STATUS_TOO_CLOSE)

REASON_REASSIGN = "reassign"
REASON_REBALANCE = "rebalance"
REASON_EXCESS = "excess"


# ---------------------------------------------------------------------------
# Services and hosts

def rdir_host(rdir):
    """The value stored in meta1 for ``rdir``: its service ID if it has one,
    else its address. ``id`` is taken as the service ID or address already."""
    return service_id(rdir)


def _volume_id(volume):
    return volume.get("id") or service_id(volume)


def split_hosts(hosts):
    """Hosts of an assignment as a list: accepts None, one string (HEAD joins
    several rdir with ``,``) or a list of such strings. Duplicates dropped."""
    if not hosts:
        return []
    if isinstance(hosts, str):
        hosts = [hosts]
    out = []
    for item in hosts:
        for host in str(item).split(","):
            host = host.strip()
            if host and host not in out:
                out.append(host)
    return out


class RdirTable:
    """Lookup table of the rdir services: keyed by their ID, resolvable from
    an ID or an address, with their parsed location and score."""

    def __init__(self, rdirs):
        if isinstance(rdirs, RdirTable):
            rdirs = list(rdirs.by_id.values())
        self.by_id = {}
        self._alias = {}
        for rdir in sorted(rdirs, key=rdir_host):
            rid = rdir_host(rdir)
            if rid in self.by_id:
                raise ValueError("duplicate rdir %r" % (rid,))
            self.by_id[rid] = rdir
        # IDs win over addresses when both could match.
        for rid, rdir in self.by_id.items():
            for alias in (rdir.get("addr"), rdir.get("id")):
                if alias and alias not in self.by_id:
                    self._alias.setdefault(alias, rid)
        self.location = {rid: split_location(service_location(r))
                         for rid, r in self.by_id.items()}
        self.score = {rid: score_of(r) for rid, r in self.by_id.items()}

    def resolve(self, host):
        """rdir ID for a stored host (ID or address), None when unknown."""
        if host in self.by_id:
            return host
        return self._alias.get(host)


def volume_status(volume, hosts, rdirs, min_dist=1, replicas=1):
    """Health of one volume's assignment.

    ``hosts``: the rdir hosts stored in meta1 (IDs or addresses). Returns
    ``missing`` (fewer than ``replicas`` hosts), ``rdir_unknown`` (a host is not
    in the conscience), ``rdir_down`` (a host has score 0), ``too_close`` (an
    rdir is closer than ``min_dist`` to the volume or to another of its rdirs)
    or ``ok``; the first that applies in that order.
    """
    table = rdirs if isinstance(rdirs, RdirTable) else RdirTable(rdirs)
    hosts = split_hosts(hosts)
    if not hosts:
        return STATUS_MISSING
    resolved = [table.resolve(h) for h in hosts]
    if any(r is None for r in resolved):
        return STATUS_RDIR_UNKNOWN
    if any(table.score[r] <= 0 for r in resolved):
        return STATUS_RDIR_DOWN
    vloc = split_location(service_location(volume))
    for i, rid in enumerate(resolved):
        if distance(vloc, table.location[rid]) < min_dist:
            return STATUS_TOO_CLOSE
        for other in resolved[:i]:
            if other != rid and distance(table.location[other],
                                         table.location[rid]) < min_dist:
                return STATUS_TOO_CLOSE
    if len(set(resolved)) < replicas:
        return STATUS_MISSING
    return STATUS_OK


def rdir_loads(assignments, rdirs, external=True):
    """Volumes indexed per rdir ID: ``load`` of each rdir (volumes outside the
    run, if ``external``) plus the volumes of ``assignments`` resolving to it.
    Hosts unknown to the conscience are not counted."""
    table = rdirs if isinstance(rdirs, RdirTable) else RdirTable(rdirs)
    loads = {rid: (int(r.get("load", 0) or 0) if external else 0)
             for rid, r in table.by_id.items()}
    for hosts in (assignments or {}).values():
        for rid in {table.resolve(h) for h in split_hosts(hosts)}:
            if rid is not None:
                loads[rid] += 1
    return loads


# ---------------------------------------------------------------------------
# The plan

class RdirPlan:
    """Result of :func:`plan_rdir_assignment`.

    assignments: ``{volume id: [rdir id, ...]}`` after the plan, sorted
      (stored hosts unknown to the conscience are kept verbatim).
    changes: ``[{"volume", "old": [stored hosts], "new": [rdir_host, ...],
      "reason"}]``; reason is a status (``missing``, ``rdir_down``,
      ``rdir_unknown``, ``too_close``), ``reassign``, ``rebalance`` or
      ``excess`` (more rdirs than ``replicas``).
    unassignable: ``[{"volume", "reason"}]``, left as they are.
    skipped: IDs of locked volumes left as they are.
    load_before / load_after: ``{rdir id: volumes}``, ``load`` included.
    statuses: ``{volume id: status}`` before the plan.
    changed: whether ``changes`` is not empty.
    """

    def __init__(self):
        self.assignments = {}
        self.changes = []
        self.unassignable = []
        self.skipped = []
        self.load_before = {}
        self.load_after = {}
        self.statuses = {}

    @property
    def changed(self):
        return bool(self.changes)

    def to_dict(self):
        return {
            "assignments": {k: list(v) for k, v in self.assignments.items()},
            "changes": [dict(c, old=list(c["old"]), new=list(c["new"]))
                        for c in self.changes],
            "unassignable": [dict(u) for u in self.unassignable],
            "skipped": list(self.skipped),
            "load_before": dict(self.load_before),
            "load_after": dict(self.load_after),
            "statuses": dict(self.statuses),
            "changed": self.changed,
        }


def plan_rdir_assignment(volumes, rdirs, assignments=None, max_per_rdir=None,
                         min_dist=1, replicas=1, reassign_from=None,
                         rebalance=False, include_locked=False,
                         volume_ids=None, fix_too_close=True):
    """Plan the rdir services of a set of volumes of one type.

    volumes: dicts with ``id`` (service ID or address), ``addr``,
      ``location`` (or ``tags``/``tag.loc``), ``score``.
    rdirs: dicts with ``id``, ``addr``, ``location``, ``score`` and optional
      ``load`` (volumes it indexes that are not in ``volumes``).
    assignments: ``{volume id: [host, ...]}`` as stored in meta1 (host = rdir
      ID or address; comma-joined strings accepted).
    max_per_rdir: cap on each rdir's load (``load`` included), None = none.
    min_dist: 1..4, minimum distance between a volume and its rdirs and
      between the rdirs of one volume.
    replicas: rdirs per volume.
    reassign_from: rdir ID or address to move every volume away from.
    rebalance: also move healthy assignments so loads end within 1 of each
      other where constraints allow, with as few moves as possible.
    include_locked: handle volumes with score 0 too (default: skipped).
    volume_ids: only these volumes may change; the others count in loads.
    fix_too_close: replace rdirs closer than ``min_dist``.

    Returns a :class:`RdirPlan`.
    """
    opts = _Options(min_dist, replicas, max_per_rdir, rebalance,
                    include_locked, volume_ids, fix_too_close)
    table = RdirTable(rdirs)
    if reassign_from is not None:
        opts.drain = table.resolve(reassign_from) or reassign_from
    eligible = _Eligible(table, opts)
    vols = _volumes_by_id(volumes)
    assignments = assignments or {}
    old = {vid: split_hosts(assignments.get(vid)) for vid in vols}
    plan = RdirPlan()
    plan.load_before = rdir_loads(old, table)
    demand = _collect_demand(plan, vols, old, table, eligible, opts)
    _count_frozen(demand, old, table)
    _solve(plan, demand, eligible, opts)
    _read_back(plan, vols, old, demand, table)
    return plan


class _Options:
    """The options of one plan, checked and normalised once."""

    def __init__(self, min_dist, replicas, max_per_rdir, rebalance,
                 include_locked, volume_ids, fix_too_close):
        if not 1 <= int(min_dist) <= MAX_TOKENS:
            raise ValueError("min_dist must be between 1 and 4, got %r" % (min_dist,))
        if int(replicas) < 1:
            raise ValueError("replicas must be at least 1, got %r" % (replicas,))
        if max_per_rdir is not None and int(max_per_rdir) < 0:
            raise ValueError("max_per_rdir must be positive, got %r" % (max_per_rdir,))
        self.min_dist, self.replicas = int(min_dist), int(replicas)
        self.max_per_rdir = None if max_per_rdir is None else int(max_per_rdir)
        self.rebalance = rebalance
        self.include_locked = include_locked
        self.scope = None if volume_ids is None else set(volume_ids)
        self.fix_too_close = fix_too_close
        self.drain = None    # resolved rdir ID (or stored host) to move away from

    def far_enough(self, loc_a, loc_b):
        return distance(loc_a, loc_b) >= self.min_dist


class _Eligible:
    """The rdirs volumes may get (score > 0, not drained), by position."""

    def __init__(self, table, opts):
        self.table = table
        self.opts = opts
        self.rids = [rid for rid in table.by_id
                     if table.score[rid] > 0 and rid != opts.drain]
        self.position = {rid: i for i, rid in enumerate(self.rids)}
        self.locations = [table.location[rid] for rid in self.rids]
        self.groups = (_groups(self.rids, self.locations, opts.min_dist)
                       if opts.replicas > 1 else list(range(len(self.rids))))
        self._prefixes = {loc[:i] for loc in self.locations
                          for i in range(len(loc) + 1)}
        self._cache = {}

    def candidates(self, vloc, fixed):
        """(position, distance) of the rdirs far enough from a volume and its ``fixed`` ones."""
        # Volumes whose location shares the same longest prefix with the
        # rdir locations (and has the same depth) are at the same distance
        # from every rdir: compute once per such key and set of kept rdirs.
        depth = len(vloc)
        while depth and vloc[:depth] not in self._prefixes:
            depth -= 1
        key = (len(vloc), vloc[:depth], tuple(fixed))
        found = self._cache.get(key)
        if found is None:
            far_enough = self.opts.far_enough
            floc = [self.table.location[r] for r in fixed]
            found = tuple(
                (pos, distance(vloc, loc)) for pos, loc in enumerate(self.locations)
                if self.rids[pos] not in fixed and far_enough(vloc, loc)
                and all(far_enough(f, loc) for f in floc))
            self._cache[key] = found
        return found


class _Demand:
    """What is settled per volume, and the buckets the flow still has to serve."""

    def __init__(self, table):
        # Volume ID -> rdir IDs settled so far; None = frozen, keeps its hosts.
        self.final = {}
        self.reasons = {}
        self.buckets = {}
        # rdir ID -> load the flow must take as given.
        self.base = {rid: int(r.get("load", 0) or 0) for rid, r in table.by_id.items()}
        self.kept = 0

    def keep(self, vid, fixed):
        """Settle the rdirs a volume keeps as they are."""
        for rid in fixed:
            self.base[rid] += 1
        self.kept += len(fixed)
        self.final[vid] = list(fixed)


def _volumes_by_id(volumes):
    """Volumes keyed by ID: a duplicate would get two conflicting plans."""
    vols = {}
    for volume in volumes:
        vid = _volume_id(volume)
        if vid in vols:
            raise ValueError("duplicate volume %r" % (vid,))
        vols[vid] = volume
    return vols


def _triage_hosts(hosts, vloc, table, opts):
    """The rdirs a volume keeps from its stored hosts, and the first reason to change it."""
    kept, why = [], []
    for host in hosts:
        rid = table.resolve(host)
        if rid is None:
            why.append(REASON_REASSIGN if host == opts.drain else STATUS_RDIR_UNKNOWN)
        elif rid == opts.drain:
            why.append(REASON_REASSIGN)
        elif table.score[rid] <= 0:
            why.append(STATUS_RDIR_DOWN)
        elif rid in kept:
            continue
        elif opts.fix_too_close and (
                not opts.far_enough(vloc, table.location[rid])
                or any(not opts.far_enough(table.location[k], table.location[rid])
                       for k in kept)):
            why.append(STATUS_TOO_CLOSE)
        else:
            kept.append(rid)
    if len(kept) > opts.replicas:
        kept = kept[:opts.replicas]
        why.append(REASON_EXCESS)
    if len(kept) < opts.replicas and not why:
        why.append(STATUS_MISSING)
    return kept, (why[0] if why else None)


def _why_unassignable(vloc, fixed, candidates, need, eligible, opts):
    """Why a volume can never get ``need`` more rdirs, in words the user can act on."""
    if not candidates:
        if not eligible.rids:
            return "no rdir with score > 0" + (
                " (besides %s, being reassigned)" % opts.drain if opts.drain else "")
        if not any(opts.far_enough(vloc, loc) for loc in eligible.locations):
            return ("every rdir with score > 0 is closer than "
                    "min_dist=%d to the volume" % opts.min_dist)
        return ("every rdir far enough from the volume is closer "
                "than min_dist=%d to its other rdir(s) %s"
                % (opts.min_dist, ", ".join(fixed)))
    if len({eligible.groups[p] for p, dummy in candidates}) < need:
        return ("fewer than %d rdir with score > 0 at distance >= %d "
                "from the volume and from each other" % (need, opts.min_dist))
    return None


def _collect_demand(plan, vols, old, table, eligible, opts):
    """Settle what needs no solving, report hopeless volumes, bucket the rest for the flow."""
    # In ID order, which is also the order of statuses, skipped and unassignable.
    demand = _Demand(table)
    for vid in sorted(vols):
        volume = vols[vid]
        hosts = old[vid]
        plan.statuses[vid] = volume_status(volume, hosts, table, opts.min_dist,
                                           opts.replicas)
        selected = opts.scope is None or vid in opts.scope
        locked = score_of(volume) <= 0
        if not selected or (locked and not opts.include_locked):
            if selected:
                plan.skipped.append(vid)
            demand.final[vid] = None
            continue

        vloc = split_location(service_location(volume))
        kept, demand.reasons[vid] = _triage_hosts(hosts, vloc, table, opts)
        # With rebalance every rdir is up for grabs; kept ones only make
        # staying cheaper.
        fixed = [] if opts.rebalance else kept
        current = frozenset(eligible.position[r] for r in kept
                            if r in eligible.position) \
            if opts.rebalance else frozenset()
        need = opts.replicas - len(fixed)
        if need == 0:
            demand.keep(vid, fixed)
            continue

        candidates = eligible.candidates(vloc, fixed)
        problem = _why_unassignable(vloc, fixed, candidates, need, eligible, opts)
        if problem:
            plan.unassignable.append({"volume": vid, "reason": problem})
            demand.final[vid] = None
            continue
        demand.keep(vid, fixed)
        key = (candidates, need, current)
        if key not in demand.buckets:
            demand.buckets[key] = _Bucket(candidates, need, current)
        demand.buckets[key].volumes.append(vid)
    return demand


def _count_frozen(demand, old, table):
    """Frozen volumes (out of scope, locked, unassignable) keep hosts that still take room."""
    for vid, hosts in demand.final.items():
        if hosts is None:
            for rid in {table.resolve(h) for h in old[vid]}:
                if rid is not None:
                    demand.base[rid] += 1


def _solve(plan, demand, eligible, opts):
    """Run the flow over the buckets and add the rdirs it picks to each volume."""
    ordered = sorted(demand.buckets.values(),
                     key=lambda b: (b.candidates, b.need, sorted(b.current)))
    if not ordered:
        return
    rids = eligible.rids
    solver = _Solver(ordered, [demand.base[r] for r in rids], eligible.groups,
                     opts.max_per_rdir, opts.rebalance)
    if opts.max_per_rdir is not None:
        _drop_unservable(solver, plan, opts.max_per_rdir,
                         not opts.rebalance and demand.kept > 0, demand.final)
    if solver.demand:
        ceiling = solver.search_ceiling()
        floor = solver.search_floor(ceiling)
        net, layout = solver.solve(ceiling, floor)
        for bucket, entry in zip(solver.buckets, layout):
            for vid, chosen in _decompose(bucket, net, entry,
                                          eligible.groups).items():
                demand.final[vid] = demand.final[vid] + [rids[p] for p in chosen]


def _read_back(plan, vols, old, demand, table):
    """Turn the settled rdirs into the plan's assignments, changes with reasons and loads."""
    for vid in sorted(vols):
        hosts = demand.final[vid]
        if hosts is None:
            plan.assignments[vid] = sorted(table.resolve(h) or h for h in old[vid])
            continue
        plan.assignments[vid] = sorted(hosts)
        before = {table.resolve(h) or h for h in old[vid]}
        if set(hosts) != before:
            reason = demand.reasons.get(vid) or REASON_REBALANCE
            plan.changes.append({
                "volume": vid,
                "old": list(old[vid]),
                "new": [rdir_host(table.by_id[r]) for r in sorted(hosts)],
                "reason": reason,
            })
    plan.load_after = rdir_loads(plan.assignments, table)


def first_changes(plan, count, rdirs):
    """The plan cut to its first ``count`` changes, for a run that writes a
    batch: the volumes of the other changes keep their stored hosts, and the
    loads after are those of the cut plan; the next run plans again from the
    assignments as they are then. Returns ``(plan, changes left out)``."""
    if not count or count >= len(plan.changes):
        return plan, 0
    table = RdirTable(rdirs)
    cut = RdirPlan()
    cut.unassignable, cut.skipped = plan.unassignable, plan.skipped
    cut.load_before, cut.statuses = plan.load_before, plan.statuses
    cut.changes = plan.changes[:count]
    cut.assignments = dict(plan.assignments)
    for change in plan.changes[count:]:
        cut.assignments[change["volume"]] = sorted(table.resolve(h) or h for h in change["old"])
    cut.load_after = rdir_loads(cut.assignments, table)
    return cut, len(plan.changes) - count


def _drop_unservable(solver, plan, max_per_rdir, kept_hint, final):
    """Keep in the solver only the volumes a max-flow at ``max_per_rdir`` can
    serve; report the others, which keep their stored hosts."""
    reason = "every eligible rdir is full at max_per_rdir=%d" % max_per_rdir
    if kept_hint:
        reason += " (current assignments kept; rebalance may free room)"
    dropped = []
    # Stored hosts of a dropped volume stay and take room in turn, so repeat
    # until what remains fits.
    while True:
        served, net, layout = solver.max_flow(solver._ceiling(None))
        if served >= solver.demand:
            break
        base = list(solver.base)
        for bucket, (src, gedge, dummy) in zip(solver.buckets, layout):
            size = len(bucket.volumes)
            if bucket.need == 1:
                keep = net.flow(src)
            else:
                keep = _served([net.flow(e) for e in gedge.values()], size,
                               bucket.need)
            for vid in bucket.volumes[keep:]:
                dropped.append(vid)
                final[vid] = None
                for pos in bucket.current:
                    base[pos] += 1
            bucket.volumes = bucket.volumes[:keep]
        solver.reset([b for b in solver.buckets if b.volumes], base)
    for vid in dropped:
        plan.unassignable.append({"volume": vid, "reason": reason})
    plan.unassignable.sort(key=lambda u: u["volume"])
