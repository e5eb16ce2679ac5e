"""What differs on OpenIO SDS 2026.14, one check per difference, each run
against a 2026.14 simulator twice: with the release the collection detects
(the check passes), and with the collection told it talks to 7.3.0 (the
same check fails). So each check proves that the adaptation is needed and
that the owner of that protocol makes it.

Library against simulator over loopback HTTP: the checks drive the
protocol owners (sqlbase, rdir_index, services, namespace) directly.
"""
import json
import urllib.request

import pytest

from ansible_collections.openio.sds.plugins.module_utils import rdir_copy, rdir_index, sqlbase
from ansible_collections.openio.sds.plugins.module_utils.client import OioClient, OioError
from ansible_collections.openio.sds.plugins.module_utils.meta0.apply import meta1_base
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts
from ansible_collections.openio.sds.plugins.module_utils.release import LEGACY, MODERN

# Each test names the release of its simulator: played in one leg of make test.
pytestmark = pytest.mark.one_release("2026.14")

CID = "A" * 64


@pytest.fixture
def sim2026(sim_factory):
    return sim_factory("small_bootstrapped", release="2026.14")


def client_of(sim, assume=None):
    client = OioClient(sim.proxy_url, sim.namespace, retries=0)
    if assume is not None:
        facts(client).release = assume
    return client


def rdir_push(url, vol, body):
    req = urllib.request.Request(url + "/v1/rdir/push?vol=%s&create=1" % vol,
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 204


def rdir_fetch(url, vol):
    req = urllib.request.Request(url + "/v1/rdir/fetch?vol=%s" % vol,
                                 data=b'{"limit": 10000}', method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def first_meta1_base(client):
    mapping = facts(client).meta0()
    key = sorted(mapping)[0]
    return meta1_base(key[:2], 2), sorted(mapping[key])


# -- the checks ------------------------------------------------------------------

def check_rawx_records_copy(client, sim):
    """1. A 2026.14 rawx index (``<cid>|<chunk>`` keys, path and version in
    the value) is copied whole and verified record by record."""
    rdirs = sorted(sim.rdir_urls.items())
    (src_id, src_url), (dst_id, dst_url) = rdirs[0], rdirs[1]
    vol = "rawx-copy-test"
    for i in range(25):
        rdir_push(src_url, vol, {"container_id": CID, "content_id": "%032X" % i,
                                 "chunk_id": "%064X" % i, "mtime": 1700000000 + i,
                                 "path": "obj-%d" % i, "version": 1700000000000000 + i})
    src_addr, dst_addr = src_url.split("//")[1], dst_url.split("//")[1]
    result = rdir_copy.IndexCopy(client, "rawx", vol, src_addr, dst_addr, page_size=7).run()
    assert result["skipped_count"] == 0, result["skipped_records"]
    assert result["copied"] == 25 and result["verified"] == 25, result
    assert rdir_fetch(dst_url, vol) == rdir_fetch(src_url, vol)
    assert rdir_fetch(dst_url, vol)[0][1]["path"] == "obj-0"


def check_meta2_missing_index(client, sim):
    """2. The meta2 index of a volume the rdir lacks is an empty listing."""
    addr = sorted(sim.rdir_urls.values())[0].split("//")[1]
    reader = rdir_index.IndexReader(client, addr, "meta2", "127.0.0.1:6999")
    assert list(reader.pages()) == [] and reader.exists is False


def check_copy_to_the_master(client, sim):
    """3. A copy whose target is the master (473) is sent again once the
    target left the election."""
    base, peers = first_meta1_base(client)
    master = sqlbase.election_status(client, base)["master"]
    source = [p for p in peers if p != master][0]
    assert sqlbase.copy_base(client, base, master, [source]) == source


def check_set_properties_ack(client, sim):
    """4. admin/set_properties is acknowledged with 204 and no body."""
    base, dummy = first_meta1_base(client)
    sqlbase.set_admin_properties(client, base, {"properties": {"check": "2026"}})
    assert sqlbase.get_admin_properties(client, base)["properties"]["check"] == "2026"


def check_has_and_remove(client, sim):
    """5. admin/has bodies carry the file's mtime; admin/remove says per
    peer whether it deleted a copy."""
    base, peers = first_meta1_base(client)
    files = sqlbase.base_files(client, base)
    assert sorted(files) == peers
    for found in files.values():
        assert found["path"].endswith(".meta1") and isinstance(found["mtime"], int), found
    outsider = [s["addr"] for s in facts(client).services("meta1") if s["addr"] not in peers][0]
    assert sqlbase.remove_copies(client, base, [outsider]) == []


def check_one_service_per_request(client, sim):
    """6. A read that must name its services (the election is broken) asks
    them one at a time."""
    base, peers = first_meta1_base(client)
    sim.set_faults({"failed_elections": ["meta1:%s" % base.name]})
    try:
        table = sqlbase.get_admin_properties(client, base, peers=peers)
    finally:
        sim.clear_faults()
    assert table["system"]["sys.peers"] == ",".join(peers)


def check_split_locks(client, sim):
    """7. A service whose put score only is locked counts as locked."""
    sim.add_service({"type": "rawx", "addr": "127.0.0.9:6200", "locked": "put"})
    svc = [s for s in facts(client).services("rawx") if s["addr"] == "127.0.0.9:6200"][0]
    assert svc["locked"] and not svc["fully_locked"], svc
    assert svc["locks"] == {"put": True, "get": False}
    assert svc["scores"]["get"] > 0


CHECKS = [check_rawx_records_copy, check_meta2_missing_index, check_copy_to_the_master,
          check_set_properties_ack, check_has_and_remove, check_one_service_per_request,
          check_split_locks]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__[6:])
def test_passes_with_the_detected_release(check, sim2026):
    client = client_of(sim2026)
    assert facts(client).release is MODERN
    check(client, sim2026)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__[6:])
def test_fails_when_taken_for_7_3_0(check, sim2026):
    with pytest.raises((AssertionError, OioError, IndexError)):
        check(client_of(sim2026, assume=LEGACY), sim2026)


def test_7_3_0_is_detected_and_served_as_before(sim_factory):
    sim = sim_factory("small_bootstrapped", release="7.3.0")
    client = client_of(sim)
    assert facts(client).release is LEGACY
    base, peers = first_meta1_base(client)
    assert all(f["mtime"] is None for f in sqlbase.base_files(client, base).values())
    sqlbase.set_admin_properties(client, base, {"properties": {"check": "7.3.0"}})


def test_release_detection_costs_one_read(sim2026):
    client = client_of(sim2026)
    assert facts(client).release.name == "2026.14"
    assert client.request_count == 1
    assert facts(client).release.name == "2026.14"
    assert client.request_count == 1
