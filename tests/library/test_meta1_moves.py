"""The meta0 apply against the simulator: the request sequence per moved
base, what a failed copy or a failed force leaves behind, and the end
state on the services themselves (their copies, their ``sys.peers``, their
elections), including when the departing meta1 is the master."""
import pytest
import requests

from ansible_collections.openio.sds.plugins.module_utils.meta0 import apply as meta0_apply
from ansible_collections.openio.sds.plugins.module_utils.meta0 import model as meta0_model
from ansible_collections.openio.sds.plugins.module_utils.meta0 import plan as meta0_plan
from ansible_collections.openio.sds.plugins.module_utils.meta0 import planner
from ansible_collections.openio.sds.plugins.module_utils.meta0 import journal
from ansible_collections.openio.sds.plugins.module_utils.meta0.apply import held_copies
from ansible_collections.openio.sds.plugins.module_utils.client import OioClient
from ansible_collections.openio.sds.plugins.module_utils.election import election_status
from ansible_collections.openio.sds.plugins.module_utils.meta0.apply import Applier, ApplyError
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts
from ansible_collections.openio.sds.plugins.module_utils.sqlbase import (
    copies, get_admin_properties)


class Namespace(object):
    """A bootstrapped ``small`` namespace (digits 2), a client with no retry
    (the first injected failure counts) and an applier."""

    def __init__(self, sim, concurrency=1):
        self.sim = sim
        self.warnings = []
        self.client = OioClient(sim.proxy_url, sim.namespace, retries=0, timeout=30)
        self.applier = Applier(self.client, 2, concurrency=concurrency,
                               warn=self.warnings.append, sleep=lambda s: None)
        self.services = meta0_plan.load_meta1_services(self.client)

    def mapping(self):
        return meta0_model.bases_from_meta0(facts(self.client).meta0(), 2)[0]

    def base(self, key):
        return meta0_apply.meta1_base(key, 2)

    def routes(self):
        prefix = "/v3.0/%s/" % self.sim.namespace
        return [w["path"][len(prefix):] if w["path"].startswith(prefix)
                else w["path"][len("/v3.0/"):] for w in self.sim.writes()]

    def healthy(self, key, peers):
        """Elected among exactly ``peers``, ``sys.peers`` naming them, and no
        copy left on any other meta1."""
        base = self.base(key)
        status = election_status(self.client, base)
        sys_peers = get_admin_properties(self.client, base)["system"]["sys.peers"]
        others = [s["addr"] for s in self.services if s["addr"] not in peers]
        held = copies(self.client, base, others) if others else {}
        return (status["healthy"] and set([status["master"]] + status["slaves"]) == set(peers)
                and sys_peers == ",".join(sorted(peers)) and not any(held.values()))


@pytest.fixture
def ns(sim_factory):
    return Namespace(sim_factory("small_bootstrapped"))


def one_move(ns, key="AB", current=None, target=None):
    """``(current, target)``: ``target`` moves one replica of ``key``."""
    current = current or ns.mapping()
    spare = sorted(s["addr"] for s in ns.services if s["addr"] not in current[key])
    target = dict(target or current)
    target[key] = current[key][:2] + [spare[0]]
    return current, target


def test_one_moved_replica_costs_five_requests_plus_one_force(ns):
    current, target = one_move(ns)
    gone, added = current["AB"][2], target["AB"][2]
    ns.sim.reset_writes()
    ns.sim.reset_stats()
    report = ns.applier.apply(current, target)
    assert report["moved_bases"] == 1 and report["forced_prefixes"] == 256
    assert report["failed_bases_count"] == 0 and report["cleanup_problems_count"] == 0
    # Per batch, the record of the copies the force leaves to remove (made
    # before it, deleted once they are gone); per base, five requests.
    writes = [w for w in ns.sim.writes() if "/reference/" not in w["path"]]
    assert ns.routes() == ["admin/set_properties", "admin/copy", "reference/create",
                           "reference/set_properties", "admin/meta0_force", "cache/flush/high",
                           "admin/leave", "admin/remove", "reference/del_properties"]
    assert writes[1]["query"]["cid"].startswith("AB")
    # Every old and new peer leaves, the departing one included.
    assert sorted(writes[4]["query"]["service_id"].split(",")) == sorted(current["AB"] + [added])
    assert writes[5]["query"]["service_id"] == gone
    assert ns.client.proxy("POST", "reference/get_properties",
                           {"acct": "_OIOSDS", "ref": "meta0-pending"},
                           json_body=[]).body["properties"] == {}
    by_route = ns.sim.stats()["by_route"]
    assert sum(n for r, n in by_route.items() if "admin/status" in r) == 1
    assert ns.healthy("AB", target["AB"])
    assert ns.mapping()["AB"] == sorted(target["AB"])


def test_copies_a_stopped_run_left_are_recorded_and_found_again(ns):
    """The old copy could not be removed after the force: the record of it
    stays, and the next run asks about that one base only, removes the
    copy and deletes the record."""
    current, target = one_move(ns)
    gone = current["AB"][2]
    ns.sim.set_faults({"rules": [{"match": "admin/remove", "method": "POST",
                                  "service": "proxy", "action": "503"}]})
    report = ns.applier.apply(current, target)
    ns.sim.clear_faults()
    assert report["meta0_updated"] and report["cleanup_problems_count"] == 1
    recorded, names = journal.pending(ns.client, 2, ns.warnings.append)
    assert recorded == {"AB": [gone]} and len(names) == 1
    held, unknown, scanned = held_copies(ns.client, ns.mapping(), recorded, 2)
    assert held == {"AB": [gone]} and unknown == [] and scanned == 1
    report = ns.applier.apply(ns.mapping(), ns.mapping(), leftovers=held, records=names)
    assert report["removed_copies"] == 1 and report["cleanup_problems_count"] == 0
    assert journal.pending(ns.client, 2, ns.warnings.append) == ({}, [])
    assert ns.healthy("AB", target["AB"])


def test_a_reordered_list_is_not_a_move(ns):
    current = ns.mapping()
    reordered = dict(current)
    reordered["00"] = list(reversed(current["00"]))
    ns.sim.reset_writes()
    assert ns.applier.apply(current, reordered)["bases"] == 0
    assert ns.sim.writes() == []


def test_a_plan_is_made_again_only_when_meta0_or_the_services_changed(ns):
    """Under the writer lease the module plans again from what it reads then;
    the plan made before is kept when meta0 and the meta1 services are
    those it was made from."""
    victim = sorted(s["addr"] for s in ns.services)[0]
    first = meta0_plan.plan(ns.client, "decommissioned", ns.warnings.append, digits=2,
                            services=[victim])
    assert first.moved and len(first.moves) == meta0_plan.bases_per_service(
        first.current)[victim]
    again = meta0_plan.plan(ns.client, "decommissioned", ns.warnings.append, digits=2,
                            services=[victim], previous=first)
    assert again is first
    current, target = one_move(ns)
    ns.applier.apply(current, target)  # another writer moves a base
    replanned = meta0_plan.plan(ns.client, "decommissioned", ns.warnings.append, digits=2,
                                services=[victim], previous=first)
    assert replanned is not first
    assert sorted(replanned.current["AB"]) == sorted(target["AB"])


def test_failed_copy_restores_sys_peers_and_stays_out_of_the_force(ns):
    current, target = one_move(ns, "AB")
    current, target = one_move(ns, "CD", current, target)
    # The copy of AB (first in order) works, every copy after it fails.
    ns.sim.set_faults({"rules": [{"match": "admin/copy", "service": "proxy",
                                  "action": "503", "after": 1}]})
    report = ns.applier.apply(current, target)
    ns.sim.clear_faults()
    assert report["failed_bases_count"] == 1 and report["failed_bases"][0]["base"] == "CD"
    assert ns.applier.failed == ["CD"]
    served = ns.mapping()
    assert served["AB"] == sorted(target["AB"]) and served["CD"] == sorted(current["CD"])
    assert ns.healthy("AB", target["AB"]) and ns.healthy("CD", current["CD"])


@pytest.mark.one_release("2026.14")
def test_failing_force_rolls_back_then_a_rerun_replans_the_same_moves(ns):
    current = ns.mapping()
    for n in (7, 8, 9):
        ns.sim.add_service({"type": "meta1", "addr": "127.21.0.%d:6101" % n, "score": 80,
                            "location": "site1.rack%d.host%d.meta1-%d" % (n - 6, n, n)})
    services = meta0_plan.load_meta1_services(ns.client)
    plan = planner.rebalance(current, services, replicas=3, digits=2)
    assert plan.moves
    ns.sim.set_faults({"rules": [{"match": "admin/meta0_force", "service": "proxy",
                                  "action": "503"}]})
    with pytest.raises(ApplyError) as exc:
        ns.applier.apply(current, plan.mapping)
    ns.sim.clear_faults()
    assert "meta0 was not updated" in str(exc.value)
    assert ns.mapping() == dict((k, sorted(v)) for k, v in current.items())
    assert "admin/leave" not in ns.routes()
    moved = meta0_model.moved_bases(current, plan.mapping)
    assert get_admin_properties(ns.client, ns.base(moved[0]))["system"]["sys.peers"] == \
        ",".join(sorted(current[moved[0]]))
    again = planner.rebalance(ns.mapping(), services, replicas=3, digits=2)
    assert sorted(again.moves) == sorted(plan.moves)
    report = ns.applier.apply(ns.mapping(), again.mapping)
    assert report["failed_bases_count"] == 0 and report["cleanup_problems_count"] == 0
    assert all(ns.healthy(k, again.mapping[k]) for k in moved)


def test_decommission_of_the_master_of_every_base_it_holds(ns):
    """The departing meta1 is the elected master of its bases: once meta0 no
    longer names it, its peers cannot elect until it leaves (trial 06)."""
    current = ns.mapping()
    victim = sorted(a for peers in current.values() for a in peers)[0]
    held = sorted(k for k, peers in current.items() if victim in peers)
    url = "%s/v3.0/%s/admin/" % (ns.sim.proxy_url, ns.sim.namespace)
    for key in held:
        for dummy in range(3):
            if election_status(ns.client, ns.base(key))["master"] == victim:
                break
            requests.post(url + "leave", params={"type": "meta1", "cid": key.ljust(64, "0")},
                          timeout=30).raise_for_status()
        assert election_status(ns.client, ns.base(key))["master"] == victim
    plan = planner.decommission(current, ns.services, [victim], replicas=3, digits=2)
    report = ns.applier.apply(current, plan.mapping)
    assert report["moved_bases"] == len(held) and report["cleanup_problems_count"] == 0
    assert all(ns.healthy(k, plan.mapping[k]) for k in held)
    assert meta0_apply.held_copies(ns.client, {}, [victim], 2)[0] == {}


@pytest.mark.one_release("7.3.0")
def test_concurrent_apply_ends_like_a_sequential_one(sim_factory):
    ends = []
    for concurrency in (1, 8):
        ns = Namespace(sim_factory("small_bootstrapped"), concurrency)
        current = target = ns.mapping()
        for key in sorted(current)[::2]:
            current, target = one_move(ns, key, current, target)
        ns.sim.reset_writes()
        report = ns.applier.apply(current, target)
        assert report["cleanup_problems_count"] == 0
        ends.append((ns.mapping(), sorted(ns.routes()), ns.applier.writes))
    assert ends[0] == ends[1]


def test_a_slow_election_is_checked_again_at_the_end_of_the_batch(sim_factory):
    """A moved base that elects after election_timeout but within the end
    of batch check is no problem; one that does not is named with the task
    that finishes it, and meta0 keeps the good moves of the batch."""
    ns = Namespace(sim_factory("small_bootstrapped"))
    current = ns.mapping()
    victim = sorted(current["AB"])[0]
    plan = planner.decommission(current, ns.services, [victim], replicas=3, digits=2,
                                max_moves=6)
    bases = sorted(set(mv[0] for mv in plan.moves))
    slow, stuck = bases[0], bases[1]
    name = dict((key, ns.base(key).name) for key in (slow, stuck))  # AB -> AB00

    def elections_slow_down():  # once the copies are made, right before the force
        ns.sim.set_faults({"slow_elections": {"meta1:" + name[slow]: 1.0,
                                              "meta1:" + name[stuck]: 600}})
    applier = Applier(ns.client, 2, concurrency=4, warn=ns.warnings.append,
                      election_timeout=0.2, recheck_timeout=3, before_force=elections_slow_down)
    report = applier.apply(current, plan.mapping)
    assert report["meta0_updated"] and report["failed_bases_count"] == 0
    assert [u["base"] for u in report["unelected"]] == [name[stuck]]
    assert ("oio_election -a 'type=meta1 cid=%s state=elected" % name[stuck]
            in report["unelected"][0]["command"])
    assert report["cleanup_problems_count"] == 1
    assert "finish it with: ansible localhost -m openio.sds.oio_election" in report["cleanup_problems"][0]
    assert any("not elected after 0.2s" in w and "checking them again" in w for w in ns.warnings)
    served = ns.mapping()
    for base in bases:
        assert sorted(served[base]) == sorted(plan.mapping[base])
    assert ns.healthy(slow, plan.mapping[slow])
    ns.sim.clear_faults()
    assert ns.healthy(stuck, plan.mapping[stuck])
