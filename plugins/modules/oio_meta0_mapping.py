#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_meta0_mapping
short_description: Bootstrap, rebalance, decommission or restore the meta0 prefix mapping
version_added: 1.0.0
description:
  - Manages which meta1 services hold each of the 65,536 cid prefixes of an OpenIO SDS
    namespace (grouped into 16^O(digits) bases of O(replicas) peers each).
  - V(bootstrapped) initialises an empty meta0 with a balanced mapping that honours
    O(min_dist), and changes nothing once a mapping exists.
  - V(balanced) moves the fewest base replicas needed to balance the meta1 services
    (for example after adding some), also repairing bases on unknown or score-0
    services, wrong replica counts and O(min_dist) violations.
  - V(decommissioned) moves every base replica held by O(services) to other meta1
    services, and nothing else.
  - V(present) writes the given O(mapping) to meta0 (a restore from a dump). It writes
    meta0 only, no meta1 base is copied.
  - Moved bases are applied in the order of the reference procedure
    (C(MetaMapping.apply) of OpenIO SDS 7.3.0), with fewer requests and in parallel
    (see O(concurrency)). First C(sys.peers) is set to the new peers (on the current
    master) and the base copied to its new peers; then one C(meta0_force) with only
    the moved prefixes, read back with C(meta0_list) (meta0 serves every list sorted,
    so lists are compared as sets); then the proxy's high cache is flushed, every old
    and new peer leaves the election (a departing master blocks the election of the
    others until it leaves), the old copies are removed and the new election is
    checked. That is 5 requests for a base with one moved replica, plus one copy per
    extra replica.
  - A base whose copy fails keeps its old peers (its C(sys.peers) is restored) and the
    task fails after applying the other bases; running it again plans from what meta0
    holds and converges. C(sys.peers) is never restored on a base that meta0 may
    already serve with its new peers. The task never reports success unless meta0
    serves the new mapping, the old copies are removed and the moved bases are elected.
  - A move interrupted after its C(meta0_force) leaves copies that meta0 no longer shows;
    the bases they belong to are recorded before the force, and the next run asks the
    services about them and removes them (see O(check_copies)); done is read from the
    services themselves, not from the mapping alone.
options:
  state:
    description:
      - What the mapping should look like.
    type: str
    choices: [bootstrapped, balanced, decommissioned, present]
    default: bootstrapped
  services:
    description:
      - With O(state=decommissioned), the meta1 services to empty, by address
        (C(IP:PORT)) or service ID. An address still in the mapping but no longer
        registered (a dead service) is accepted.
      - The services keep their score. Lock it to 0 (or stop them) before a later
        O(state=balanced) run, which would otherwise give them bases again.
    type: list
    elements: str
  mapping:
    description:
      - With O(state=present), the whole mapping, either as C(admin/meta0_list) prints
        it (all 65,536 prefixes of 4 hex chars) or as returned by O(return_mapping)
        (one key per base, O(digits) hex chars).
      - Every value is a list of at least O(replicas) registered meta1 addresses
        (C(IP:PORT)); all prefixes of a base must list the same services.
      - Mutually exclusive with O(mapping_src).
    type: dict
  mapping_src:
    description:
      - With O(state=present), a file on the host that runs the task holding the mapping
        as JSON (gzip-compressed when its name ends with C(.gz)), in either shape of
        O(mapping), or a snapshot written by M(openio.sds.oio_namespace_snapshot), whose
        meta0 mapping is restored.
      - A dump of 65,536 prefixes passed through O(mapping) is templated and sent by the
        controller, seconds of CPU per task; read from a file it costs nothing more.
      - Mutually exclusive with O(mapping).
    type: path
  check_copies:
    description:
      - Where to look for the old copies an earlier run stopped after its C(meta0_force)
        left behind. They are asked of the services themselves (C(admin/has) with their
        service ID, one request per base) and removed after their peers left the
        election. Also in check mode (reads only), where they count as a change.
      - V(recorded) asks about the bases recorded in the reference C(_OIOSDS/meta0-pending).
        Right before each force, the task records there the bases whose old copies it
        is about to drop, and deletes that record once they are removed. A run that
        finished leaves no record, so this costs one read.
      - V(all), with O(state=decommissioned), asks the services of O(services) about every
        base meta0 does not map to them (65,536 requests with digits 4), for copies that
        no record names, such as those left by another tool.
      - V(none) trusts the mapping alone.
      - The task fails, writing nothing, when a service does not answer for a base.
    type: str
    choices: [recorded, all, none]
    default: recorded
  replicas:
    description:
      - Number of meta1 services per base.
      - From 1 to 5.
    type: int
    default: 3
  digits:
    description:
      - Number of hex digits of a cid that select its meta1 base (0 to 4).
      - Defaults to the namespace option C(ns.meta1_digits) (or C(meta1_digits)) read from
        C(conscience/info), else 4. A value that contradicts the namespace option is refused.
      - From 0 to 4.
    type: int
  min_dist:
    description:
      - Minimum distance between the locations (C(tag.loc)) of the services of a base,
        1 distinct volumes, 2 distinct hosts, 3 distinct racks, 4 distinct sites.
      - V(auto) uses the largest distance the meta1 services with a score above 0 can
        honour for every base (with O(state=decommissioned), without the services being
        decommissioned), reported in RV(min_dist). For example 3 when they span three racks
        and O(replicas=3). The C(openio.sds.bootstrap) role uses it by default.
      - An integer from 1 to 4, or V(auto).
      - When the topology cannot honour a number, the largest distance that can is used and
        a warning says so.
    type: raw
    default: 1
  max_moves:
    description:
      - Move at most this many base replicas in this run (V(balanced) and
        V(decommissioned)); the rest is reported in RV(pending_moves) and done by the
        next runs. Every prefix of a plan is a valid mapping.
      - At least 0.
    type: int
  concurrency:
    description:
      - How many bases are copied, and then cleaned up, in parallel.
      - From 1 to 64.
    type: int
    default: 8
  election_timeout:
    description:
      - Seconds a moved base may take to elect a master among its new peers. A base still
        electing then does not fail the run at once; it is checked again at the end of the
        run for up to four times as long, and one still not elected after that is named in
        RV(apply.unelected) with the task that finishes it.
      - Also how long a request that fails because a meta1 peer died (a network error towards it,
        or no meta1 of a base answering until the cluster elected a new master) is tried again
        after its O(retries). Taking the meta0 writer lease and moving bases wait that long for
        the election, then the task fails, saying to run it again. An overloaded proxy's 503 only
        gets the O(retries).
      - From 0 to 86400.
    type: float
    default: 30
  return_moves:
    description:
      - Return the list of moved base replicas in RV(moves).
    type: bool
    default: false
  return_mapping:
    description:
      - Return the resulting (or, in check mode, predicted) base mapping in RV(mapping).
    type: bool
    default: false
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.lease
  - openio.sds.attributes
  - openio.sds.attributes.stateful
notes:
  - The diff shows the number of bases per meta1 service before and after, and the number
    of moved bases and replicas, never the mapping itself.
  - In check mode only reads are sent (C(conscience/info), C(conscience/list),
    C(meta0_list)); the plan is returned as if it had been applied.
seealso:
  - module: openio.sds.oio_meta0_mapping_info
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Initialise meta0 once, meta1 services of a base on distinct hosts
  openio.sds.oio_meta0_mapping:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    state: bootstrapped
    min_dist: 2

- name: Spread the bases over the meta1 services just added, 5000 replicas per run
  openio.sds.oio_meta0_mapping:
    state: balanced
    min_dist: 2
    max_moves: 5000
    concurrency: 16
  register: rebalance

- name: Empty a meta1 service before removing its host
  openio.sds.oio_meta0_mapping:
    state: decommissioned
    services: [10.0.0.7:6110]
    return_moves: true

- name: Restore meta0 from a dump of admin/meta0_list
  openio.sds.oio_meta0_mapping:
    state: present
    mapping_src: /var/backups/oio/meta0-dump.json

- name: Restore meta0 as the snapshot taken before the change holds it
  openio.sds.oio_meta0_mapping:
    state: present
    mapping_src: /var/backups/oio/snapshot.json.gz
'''

RETURN = r'''
stats:
  description: What the task cost, reading and (unless in check mode) applying.
  returned: always
  type: dict
  contains:
    duration:
      description: Seconds the task took.
      type: float
    requests:
      description: HTTP requests sent, retries included.
      type: int
    rate:
      description: Requests per second.
      type: float
  sample: {"duration": 165.2, "requests": 243873, "rate": 1476.2}
operation:
  description: What was (or, in check mode, would be) done.
  returned: always
  type: str
  choices: [none, bootstrap, rebalance, decommission, restore]
digits:
  description: Digits used.
  returned: always
  type: int
  sample: 4
replicas:
  description: Replicas per base used.
  returned: always
  type: int
min_dist:
  description: Minimum distance planned with (the number chosen when O(min_dist=auto)).
  returned: always
  type: int
min_dist_requested:
  description: O(min_dist) as requested, V(auto) or the number.
  returned: unless the task fails
  type: raw
  sample: auto
initialised:
  description: Whether meta0 holds a mapping (after the task, unless in check mode).
  returned: always
  type: bool
moves_count:
  description: Number of base replicas that change service (every base for a bootstrap).
  returned: always
  type: int
  sample: 12
moved_bases_count:
  description: Number of bases whose services change.
  returned: always
  type: int
pending_moves:
  description: Replica moves left for later runs because of O(max_moves).
  returned: always
  type: int
counts_before:
  description: Number of bases per meta1 address before the task.
  returned: always
  type: dict
  sample: {"10.0.0.2:6110": 128}
counts_after:
  description: Number of bases per meta1 address after the task (predicted in check mode).
  returned: always
  type: dict
check:
  description:
    - Audit of the resulting mapping, as returned by M(openio.sds.oio_meta0_mapping_info)
      in RV(openio.sds.oio_meta0_mapping_info#module:check).
  returned: always
  type: dict
  contains:
    ok:
      description: No problem found.
      type: bool
    problems:
      description: One sentence per problem.
      type: list
      elements: str
moves:
  description: The moved base replicas.
  returned: when O(return_moves=true)
  type: list
  elements: dict
  contains:
    base:
      description: Base key (the first O(digits) hex chars of its cids).
      type: str
    from:
      description: Address leaving the base, null when a replica is added.
      type: str
    to:
      description: Address joining the base, null when a replica is dropped.
      type: str
mapping:
  description: The resulting base mapping, base key to addresses.
  returned: when O(return_mapping=true)
  type: dict
apply:
  description: What applying sent and found.
  returned: when something was applied
  type: dict
  contains:
    moved_bases:
      description: Bases now served by their new peers.
      type: int
    forced_prefixes:
      description: Prefixes sent in the single C(meta0_force).
      type: int
    failed_bases_count:
      description: Bases left on their old peers because a copy failed.
      type: int
    failed_bases:
      description: The first of them, with the error.
      type: list
      elements: dict
    cleanup_problems_count:
      description: Old copies not removed or elections not healthy after the move.
      type: int
    cleanup_problems:
      description: The first of them.
      type: list
      elements: str
    unelected:
      description: The moved bases still not elected after the end-of-run check (the first of
        them), each with its problem and the task that finishes it.
      type: list
      elements: dict
      sample: [{"base": "AB00", "problem": "meta1 base AB00 is not elected after 120.0s: ...",
                "command": "ansible localhost -m openio.sds.oio_election -a 'type=meta1 cid=AB00 state=elected wait_timeout=240'"}]
    removed_copies:
      description: Bases whose copies left on the decommissioned services were removed.
      type: int
    writes:
      description: Write requests sent.
      type: int
copies_left:
  description:
    - The copies services held, when the task started, of bases meta0 no longer maps
      to them (see O(check_copies)).
  returned: unless O(check_copies=none), on an initialised mapping, for moves
  type: dict
  contains:
    scanned_bases:
      description: Bases asked about.
      type: int
    count:
      description: Bases with such a copy.
      type: int
    by_service:
      description:
        - Per service, the bases it holds such a copy of. Another writer's run still
          under way shows here too, until it removes them.
      type: dict
    bases:
      description: The first of them, with the services holding them.
      type: dict
'''

from ansible_collections.openio.sds.plugins.module_utils import meta0_journal as journal
from ansible_collections.openio.sds.plugins.module_utils import meta0_planner as planner
from ansible_collections.openio.sds.plugins.module_utils import snapshot
from ansible_collections.openio.sds.plugins.module_utils.lease import (
    LEASE_RANGES, lease_spec, writer_lease)
from ansible_collections.openio.sds.plugins.module_utils.meta0 import (
    MAX_REPORTED, Applier, ApplyError, bases_per_service, diff_summary,
    held_copies, plan, served_mapping, service_addresses)
from ansible_collections.openio.sds.plugins.module_utils.meta0_options import (
    min_dist_spec, with_min_dist)
from ansible_collections.openio.sds.plugins.module_utils.client import CONCURRENCY_RANGE
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule


# Ranges of the number options, and the options a state does not take,
# checked before anything is sent.
RANGES = dict(LEASE_RANGES, concurrency=CONCURRENCY_RANGE, digits=(0, 4), max_moves=(0, None),
              replicas=(1, 5), election_timeout=(0, 86400))
ONLY_WITH = [("services", "state", "decommissioned"), ("mapping", "state", "present"),
             ("mapping_src", "state", "present"),
             ("max_moves", "state", ("balanced", "decommissioned"))]


def plan_now(m, warn, mapping, previous=None):
    """The plan from the namespace as it is now (a dict: current and target
    mappings, moves, services, digits, payload, ...); ``previous`` when
    nothing changed since it was made."""
    p = m.params
    return plan(m.client, p["state"], warn, replicas=p["replicas"], digits=p["digits"],
                min_dist=p["min_dist"], services=p["services"], mapping=mapping,
                max_moves=p["max_moves"], previous=previous)


def work(m):
    """Read and plan; under the meta0 writer lease when the run will write,
    plan again from the mapping as it is then; describe; apply; report."""
    mapping = m.params["mapping"]
    if m.params["mapping_src"]:
        mapping = snapshot.read_mapping(m.params["mapping_src"])
    p = plan_now(m, m.warn, mapping)
    writes = (not m.check_mode and p["initialised"]
              and bool(p["payload"] or p["moved"]
                       or unfinished_runs(m, p)))
    with writer_lease(m.client, m.params["lease_timeout"], m.params["lease_ttl"],
                      m.warn, needed=writes) as lease:
        if lease is not None:
            p = plan_now(m, lambda msg: None, mapping, previous=p)
        held, scanned, records = leftover_copies(m, p)
        result = describe(m, p, held, scanned)
        if not (m.changed or records) or m.check_mode:
            return result
        applier = Applier(m.client, p["digits"], m.params["concurrency"], m.warn,
                          election_timeout=m.params["election_timeout"],
                          before_force=lease.renew if lease is not None else None)
        report = apply(m, p, applier, held, records, result)
    return outcome(m, p, applier, report, result)


def unfinished_runs(m, p):
    """Whether an earlier run left a record of copies to remove: removing
    them and deleting the record are writes, made under the lease."""
    if m.params["check_copies"] != "recorded" or p["payload"] is not None:
        return False
    return bool(journal.pending(m.client, p["digits"], lambda msg: None)[1])


def leftover_copies(m, p):
    """``({base: holders}, bases asked, record names)``: the copies that
    services still hold of bases meta0 no longer maps to them (an earlier
    run stopped after its force), asked of the services the records of
    unfinished runs name (O(check_copies=recorded)), or of the services
    decommissioned, about every base (V(all)); None asked when not looked
    for. A base they do not answer for stops the run before any write."""
    mode = m.params["check_copies"]
    if mode == "none" or not p["initialised"] or p["payload"] is not None:
        return {}, None, []
    if mode == "all" and m.params["state"] == "decommissioned":
        asked, records = service_addresses(m.params["services"], p["services"]), []
    else:
        asked, records = journal.pending(m.client, p["digits"], m.warn)
    held, unknown, scanned = held_copies(m.client, p["current"], asked, p["digits"],
                                         m.params["concurrency"])
    if unknown:
        m.fail("cannot tell whether the services still hold copies of %d base(s) that meta0 "
               "no longer maps to them (first: %s): admin/has got no answer; nothing was "
               "written. Last cause: %s"
               % (len(unknown), ", ".join(k for k, dummy in unknown[:5]), unknown[-1][1]))
    return held, scanned, records


def describe(m, p, held, scanned):
    """The result before any write: what changes, the counts per meta1
    before and after, the check of the target; sets changed and the diff."""
    params = m.params
    moves = p["moves"]
    m.changed = bool(p["payload"]) or bool(p["moved"]) or bool(held)
    counts_before = bases_per_service(p["current"], p["services"])
    counts_after = bases_per_service(p["target"], p["services"])
    before, after = diff_summary(counts_before, counts_after, moves)
    m.record_before(before)
    m.record_after(after)
    res = p["result"]
    result = {
        "operation": p["operation"],
        "digits": p["digits"],
        "replicas": params["replicas"],
        "min_dist": params["min_dist"],
        "initialised": p["initialised"] or (m.changed and not m.check_mode),
        "moves_count": len(moves),
        "moved_bases_count": len(set(mv[0] for mv in moves)),
        "pending_moves": res.pending_moves if res is not None else 0,
        "counts_before": counts_before,
        "counts_after": counts_after,
        "check": planner.check(p["target"], p["services"], params["replicas"], p["digits"],
                               params["min_dist"]),
    }
    if scanned is not None:
        by_service = {}
        for holders in held.values():
            for addr in holders:
                by_service[addr] = by_service.get(addr, 0) + 1
        result["copies_left"] = {
            "scanned_bases": scanned, "count": len(held), "by_service": by_service,
            "bases": dict((k, held[k]) for k in sorted(held)[:MAX_REPORTED])}
    if params["return_moves"]:
        result["moves"] = [{"base": b, "from": o, "to": n} for b, o, n in moves]
    if params["return_mapping"]:
        result["mapping"] = served_mapping(p["target"])
    return result


def apply(m, p, applier, held, records, result):
    """The writes: the whole mapping (bootstrap, restore) or the moves and
    the leftovers. Returns the apply report; fails when meta0 could not be
    updated."""
    try:
        if p["payload"] is not None:
            return applier.install(p["payload"], len(p["target"]))
        return applier.apply(p["current"], p["target"], leftovers=held, records=records)
    except ApplyError as exc:
        m.changed = False
        m.fail(str(exc), error=exc.to_dict(), writes=applier.writes, **result)


def outcome(m, p, applier, report, result):
    """The result with the apply report, or a failure that says what a
    re-run finishes: bases left unclean, or bases that stayed on their old
    peers (then the counts and check describe what meta0 serves)."""
    result["apply"] = report
    if report["cleanup_problems_count"]:
        # meta0 is up to date but a base is not done: an old copy is left or
        # its election is not healthy. Not a success: a re-run finishes it.
        m.fail("meta0 serves the new mapping, but %d problem(s) remain after moving the "
               "bases (old copies or elections); run the task again to finish, first: %s"
               % (report["cleanup_problems_count"], report["cleanup_problems"][0]),
               **result)
    if report["failed_bases_count"]:
        actual = dict(p["target"])
        for base in applier.failed:
            if base in p["current"]:
                actual[base] = p["current"][base]
            else:
                actual.pop(base, None)
        result["counts_after"] = bases_per_service(actual, p["services"])
        result["check"] = planner.check(actual, p["services"], m.params["replicas"],
                                        p["digits"], m.params["min_dist"])
        if m.params["return_mapping"]:
            result["mapping"] = served_mapping(actual)
        m.changed = report["meta0_updated"]
        m.fail("%d of %d base(s) could not be copied to their new peers and were left on "
               "their old peers; run again to retry them (first: %s: %s)"
               % (report["failed_bases_count"], report["bases"],
                  report["failed_bases"][0]["base"], report["failed_bases"][0]["error"]),
               **result)
    return result


def main():
    module = OioModule(
        ranges=RANGES,
        only_with=ONLY_WITH,
        argument_spec=dict(
            state=dict(type="str", default="bootstrapped",
                       choices=["bootstrapped", "balanced", "decommissioned", "present"]),
            services=dict(type="list", elements="str"),
            mapping=dict(type="dict"),
            mapping_src=dict(type="path"),
            replicas=dict(type="int", default=3),
            digits=dict(type="int"),
            min_dist=min_dist_spec(default=1),
            max_moves=dict(type="int"),
            concurrency=dict(type="int", default=8),
            election_timeout=dict(type="float", default=30.0),
            check_copies=dict(type="str", choices=["recorded", "all", "none"],
                              default="recorded"),
            return_moves=dict(type="bool", default=False),
            return_mapping=dict(type="bool", default=False),
            **lease_spec()
        ),
        required_if=[("state", "decommissioned", ["services"]),
                     ("state", "present", ["mapping", "mapping_src"], True)],
        mutually_exclusive=[("mapping", "mapping_src")],
        report_stats=True,
        # A meta1 peer that dies makes its bases answer 503 until the cluster
        # elected new masters: the writer lease and the moves wait that long.
        outage_option="election_timeout",
    )
    module.run(with_min_dist(work))


if __name__ == "__main__":
    main()
