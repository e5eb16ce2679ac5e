"""The meta0 writer lease against the simulator: one holder at a time,
named to whoever waits; an expired lease taken over; a lost lease stops
the force; and two decommissions started at once through two real
playbooks both finish, with meta0 and the services agreeing."""
import os
import threading

import pytest
import requests

from ansible_collections.openio.sds.plugins.module_utils.namespace import facts
from ansible_collections.openio.sds.plugins.module_utils.client import OioClient
from ansible_collections.openio.sds.plugins.module_utils.meta0.lease import (
    LEASE_ACCOUNT, LEASE_REFERENCE, LeaseBusy, WriterLease)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(ROOT, "playbooks", "decommission.yml")


class Clock(object):
    def __init__(self, now=1000000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def client(sim_factory):
    sim = sim_factory("small_bootstrapped")
    return OioClient(sim.proxy_url, sim.namespace, retries=0)


def test_one_holder_at_a_time_named_to_the_others(client):
    first = WriterLease(client, holder="ops@host-a pid 1").acquire()
    second = WriterLease(client, holder="ops@host-b pid 2", timeout=0)
    with pytest.raises(LeaseBusy) as exc:
        second.acquire()
    assert "ops@host-a pid 1" in str(exc.value) and "lease_timeout" in str(exc.value)
    first.release()
    assert second.acquire().token and second.read()["holder"] == "ops@host-b pid 2"
    second.release()
    assert second.read() is None


def test_a_waiting_writer_gets_the_lease_when_it_is_released(client):
    first = WriterLease(client, holder="first").acquire()
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        first.release()
    second = WriterLease(client, holder="second", timeout=60, sleep=sleep).acquire()
    assert len(waits) == 1 and second.read()["holder"] == "second"


def test_an_expired_lease_is_taken_over_and_its_holder_stops(client):
    clock = Clock()
    dead = WriterLease(client, holder="dead", ttl=60, clock=clock).acquire()
    clock.now += 61
    alive = WriterLease(client, holder="alive", timeout=0, clock=clock).acquire()
    assert alive.taken_over["holder"] == "dead"
    with pytest.raises(LeaseBusy, match="lost .*alive"):
        dead.renew()
    dead.release()  # not its lease any more: left alone
    assert alive.read()["holder"] == "alive"


def test_bad_lease_options_are_refused(client):
    for kwargs in ({"timeout": -1}, {"ttl": 0}):
        with pytest.raises(ValueError):
            WriterLease(client, **kwargs)


@pytest.mark.one_release("7.3.0")
def test_a_held_lease_makes_a_meta0_writer_fail_naming_the_holder(sim_factory, run_playbook,
                                                                  tmp_path):
    sim = sim_factory("small_bootstrapped")
    client = OioClient(sim.proxy_url, sim.namespace, retries=0)
    WriterLease(client, holder="ops@elsewhere pid 42").acquire()
    victim = sorted(s["addr"] for s in facts(client).conscience_list("meta1"))[0]
    sim.reset_writes()
    play = tmp_path / "decommission.yml"
    play.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - openio.sds.oio_meta0_mapping:
        state: decommissioned
        services: ["%s"]
        lease_timeout: 0
""" % victim)
    result = run_playbook(str(play), sim)
    assert result.rc != 0 and "ops@elsewhere pid 42" in result.output
    # The only write: the attempt to create the lease (answered 202).
    assert [(w["path"].rsplit("/", 1)[-1], w["status"]) for w in sim.writes()] == \
        [("create", 202)]
    dry = run_playbook(str(play), sim, check=True)
    assert dry.rc == 0 and dry.changed == 1


def _meta0(sim):
    resp = requests.get("%s/v3.0/%s/admin/meta0_list" % (sim.proxy_url, sim.namespace),
                        timeout=60)
    return resp.json()


@pytest.mark.one_release("7.3.0")
def test_two_decommissions_at_once_both_finish(sim_factory, run_playbook):
    sim = sim_factory("small_bootstrapped")
    victims = sorted(set(a for peers in _meta0(sim).values() for a in peers))[:2]
    results = {}

    def decommission(victim):
        results[victim] = run_playbook(PLAYBOOK, sim, extra_vars={
            "oio_decommission_service": victim, "oio_decommission_type": "meta1"})
    threads = [threading.Thread(target=decommission, args=(v,)) for v in victims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.rc == 0 for r in results.values())
    mapping = _meta0(sim)
    assert not set(victims) & set(a for peers in mapping.values() for a in peers)
    url = "%s/v3.0/%s/admin/has" % (sim.proxy_url, sim.namespace)
    for base in sorted(set(p[:2] for p in mapping)):
        params = {"type": "meta1", "cid": base.ljust(64, "0")}
        # Every (base, peer) pair of meta0 is on its peer, none on a victim.
        has = requests.post(url, params=params, timeout=30).json()
        assert sorted(has) == mapping[base + "00"]
        assert all(r["status"]["status"] == 200 for r in has.values()), base
        gone = requests.post(url, params=dict(params, service_id=",".join(victims)),
                             timeout=30).json()
        assert all(r["status"]["status"] == 431 for r in gone.values()), base
    # Both released the lease.
    lease = requests.get("%s/v3.0/%s/reference/show" % (sim.proxy_url, sim.namespace),
                         params={"acct": LEASE_ACCOUNT, "ref": LEASE_REFERENCE}, timeout=30)
    assert lease.status_code == 404
