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
      - On 2026.14 a moved base's election makes its requests answer about 0.1 s later; the
        default keeps the cluster busy meanwhile. A lower value throttles the moves.
      - From 1 to 64.
    type: int
    default: 32
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

from ansible_collections.openio.sds.plugins.module_utils import snapshot
from ansible_collections.openio.sds.plugins.module_utils.client import (
    CONCURRENCY_RANGE, META1_CONCURRENCY)
from ansible_collections.openio.sds.plugins.module_utils.meta0.apply import Applier
from ansible_collections.openio.sds.plugins.module_utils.meta0.lease import (
    LEASE_RANGES, lease_spec, writer_lease)
from ansible_collections.openio.sds.plugins.module_utils.meta0.model import AUTO, parse_min_dist
from ansible_collections.openio.sds.plugins.module_utils.meta0.options import (
    min_dist_spec, min_dist_to_use)
from ansible_collections.openio.sds.plugins.module_utils.meta0.plan import plan
from ansible_collections.openio.sds.plugins.module_utils.meta0.run import (
    apply_plan, describe, leftover_copies, outcome, unfinished_runs)
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule
from ansible_collections.openio.sds.plugins.module_utils.names import DIGITS_RANGE
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts


# Ranges of the number options, and the options a state does not take,
# checked before anything is sent.
RANGES = dict(LEASE_RANGES, concurrency=CONCURRENCY_RANGE, digits=DIGITS_RANGE, max_moves=(0, None),
              replicas=(1, 5), election_timeout=(0, 86400))
ONLY_WITH = [("services", "state", "decommissioned"), ("mapping", "state", "present"),
             ("mapping_src", "state", "present"),
             ("max_moves", "state", ("balanced", "decommissioned"))]


def planning(m):
    """``(plan options, min_dist requested, services leaving, the meta1
    services when V(auto) read them)``."""
    p = m.params
    leaving = p["services"] if p["state"] == "decommissioned" else None
    requested = parse_min_dist(p["min_dist"])
    meta1 = facts(m.client).services("meta1") if requested == AUTO else None
    min_dist = min_dist_to_use(requested, meta1, p["replicas"], leaving or ())
    source = snapshot.read_mapping(p["mapping_src"]) if p["mapping_src"] else p["mapping"]
    return (dict(replicas=p["replicas"], digits=p["digits"], min_dist=min_dist,
                 services=p["services"], mapping=source, max_moves=p["max_moves"]),
            requested, leaving, meta1)


def work(m):
    """Plan; under the meta0 writer lease when the run will write, plan
    again from the mapping as it is then; describe; apply; report."""
    p, client = m.params, m.client
    options, requested, leaving, meta1 = planning(m)
    min_dist = options["min_dist"]
    planned = plan(client, p["state"], m.warn, meta1=meta1, **options)
    writes = not m.check_mode and planned.initialised and (
        planned.writes or unfinished_runs(client, p["check_copies"], planned))
    with writer_lease(client, p["lease_timeout"], p["lease_ttl"], m.warn, needed=writes) as lease:
        if lease is not None:
            planned = plan(client, p["state"], lambda msg: None, previous=planned, **options)
        held, scanned, records = leftover_copies(client, planned, p["check_copies"], leaving,
                                                 p["concurrency"], m.warn)
        result, m.changed, before, after = describe(
            planned, held, scanned, p["replicas"], min_dist, m.check_mode,
            p["return_moves"], p["return_mapping"])
        m.record_before(before)
        m.record_after(after)
        result["min_dist_requested"] = requested
        if not (m.changed or records) or m.check_mode:
            return result
        applier = Applier(client, planned.digits, p["concurrency"], m.warn,
                          election_timeout=p["election_timeout"],
                          before_force=lease.renew if lease is not None else None)
        report = apply_plan(applier, planned, held, records, result)
    return outcome(planned, applier, report, result, p["replicas"], min_dist, p["return_mapping"])


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
            concurrency=dict(type="int", default=META1_CONCURRENCY),
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
    module.run(work)


if __name__ == "__main__":
    main()
