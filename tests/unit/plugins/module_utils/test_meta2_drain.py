"""Which meta2 services a drain may use, and which one takes each base."""
import pytest

from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.meta2_drain import (
    choose_services, pick_target)


def meta2(n, host=None, score=80, tagged=True):
    addr = "10.0.0.%d:6120" % n
    location = "site1.rack1.host%d.meta2-%d" % (host or n, n) if tagged else "10.0.0.%d" % n
    return {"addr": addr, "id": "meta2-%d" % n, "score": score, "location": location}


SERVICES = [meta2(1), meta2(2), meta2(3), meta2(4, score=0)]


def test_default_targets_are_the_others_with_a_score():
    svc, targets = choose_services(SERVICES, "meta2-1")
    assert svc["addr"] == "10.0.0.1:6120"
    assert [t["id"] for t in targets] == ["meta2-2", "meta2-3"]


@pytest.mark.parametrize("service, targets, message", [
    ("meta2-9", None, "no meta2 service meta2-9 in the conscience (known: meta2-1, meta2-2, "
                      "meta2-3, meta2-4)"),
    ("meta2-1", ["meta2-9"], "target meta2-9 is not a meta2 service of the conscience"),
    ("meta2-1", ["10.0.0.1:6120"], "target 10.0.0.1:6120 is the service being drained"),
    ("meta2-1", ["meta2-4"], "target meta2-4 has a score of 0: it would refuse new bases"),
])
def test_bad_services_are_refused(service, targets, message):
    with pytest.raises(InvalidInput) as info:
        choose_services(SERVICES, service, targets)
    assert str(info.value) == message


def test_no_service_left_to_take_the_bases():
    with pytest.raises(InvalidInput) as info:
        choose_services([meta2(1), meta2(2, score=0)], "meta2-1")
    assert "no other meta2 service with a positive score can take the bases of meta2-1" \
        in str(info.value)


def test_the_target_is_on_another_host_then_the_least_loaded():
    # meta2-2 shares a host with the remaining peer meta2-5: meta2-3 is
    # chosen although it holds more bases.
    candidates = [meta2(2, host=5), meta2(3), meta2(5)]
    loads = {"10.0.0.2:6120": 1, "10.0.0.3:6120": 9}
    peers = ["10.0.0.1:6120", "10.0.0.5:6120"]
    assert pick_target(candidates, peers, loads)["id"] == "meta2-3"
    # On separate hosts, the least loaded; equal loads by address.
    candidates = [meta2(2), meta2(3), meta2(5)]
    assert pick_target(candidates, peers, loads)["id"] == "meta2-2"
    assert pick_target(candidates, peers, {})["id"] == "meta2-2"


def test_an_untagged_service_is_on_the_host_of_its_address():
    candidates = [meta2(2, tagged=False), meta2(3, tagged=False)]
    peers = ["10.0.0.1:6120", "10.0.0.2:6120"]
    assert pick_target(candidates, peers, {})["id"] == "meta2-3"


def test_no_target_when_every_candidate_is_a_peer():
    assert pick_target([meta2(2)], ["10.0.0.1:6120", "10.0.0.2:6120"], {}) is None
