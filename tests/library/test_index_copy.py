"""Index copies at the size of a real volume, per release, against the
simulator over loopback HTTP: 2026.14 writes a page of records per request,
7.3.0 one record per request and refuses arrays; a copy stopped half-way
resumes with no record lost or duplicated, on each release."""
import json

import pytest
import requests

from ansible_collections.openio.sds.plugins.module_utils.client import OioClient
from ansible_collections.openio.sds.plugins.module_utils.rdir import list_rdirs, locate_rdir
from ansible_collections.openio.sds.plugins.module_utils.rdir_copy import IndexCopy
from ansible_collections.openio.sds.plugins.module_utils.rdir_index import list_records

# Each test names the release of its simulator: played in one leg of make test.
pytestmark = pytest.mark.one_release("7.3.0")

VOLUME = "rawx-1"


def volume_of_records(sim_factory, release, records):
    """A namespace of ``release`` whose rawx-1 indexes ``records`` chunks;
    returns the simulator, a client, the source and another rdir."""
    sim = sim_factory("small_bootstrapped", release=release)
    sim.seed_data(containers=1, chunks_per_volume=0, volume_records={VOLUME: records})
    client = OioClient(sim.proxy_url, sim.namespace, retries=0)
    dummy, src, dummy = locate_rdir(client, VOLUME)
    dst = [r["addr"] for r in list_rdirs(client) if r["addr"] != src][0]
    return sim, client, src, dst


def routes(sim, suffix):
    return sum(n for route, n in sim.stats()["by_route"].items() if route.endswith(suffix))


def records_on(client, addr):
    return dict((r["key"], r["value"]) for r in
                list_records(client, addr, "rawx", VOLUME, page_size=10000)["records"])


def test_a_2026_copy_writes_a_page_of_records_per_request(sim_factory):
    sim, client, src, dst = volume_of_records(sim_factory, "2026.14", 2500)
    before = records_on(client, src)
    sim.reset_stats()
    result = IndexCopy(client, "rawx", VOLUME, src, dst, remove_from_source=True).run()
    assert (result["copied"], result["verified"], result["removed_from_source"]) == (2500,) * 3
    assert result["failed_count"] == result["unverified_count"] == 0
    # Pages of at most 1,000 records: 3 pushes, 3 deletes.
    assert routes(sim, " /v1/rdir/push") == 3
    assert routes(sim, " /v1/rdir/delete") == 3
    assert records_on(client, dst) == before
    assert records_on(client, src) == {}


def test_a_7_3_0_copy_pushes_one_record_per_request_and_the_rdir_refuses_arrays(sim_factory):
    sim, client, src, dst = volume_of_records(sim_factory, "7.3.0", 300)
    record = {"container_id": "A" * 64, "content_id": "B" * 32, "chunk_id": "C" * 64,
              "mtime": 1}
    resp = requests.post("http://%s/v1/rdir/push" % dst, params={"vol": VOLUME, "create": "1"},
                         data=json.dumps([record]), timeout=10)
    assert resp.status_code == 400 and resp.json()["message"] == "null body"
    sim.reset_stats()
    result = IndexCopy(client, "rawx", VOLUME, src, dst, concurrency=4).run()
    assert result["copied"] == result["verified"] == 300
    assert routes(sim, " /v1/rdir/push") == 300


# Per release: the records of the volume, the pushes that succeed before the
# others fail, and the records they carry (2026.14 a page of 1,000 a push,
# 7.3.0 one record a push).
STOPPED = [("2026.14", 3000, 1, 1000), ("7.3.0", 200, 50, 50)]


@pytest.mark.parametrize("release, records, pushes, copied", STOPPED)
def test_a_copy_stopped_half_way_resumes_with_no_record_lost_or_duplicated(
        sim_factory, release, records, pushes, copied):
    sim, client, src, dst = volume_of_records(sim_factory, release, records)
    before = records_on(client, src)
    sim.set_faults({"rules": [{"match": "/v1/rdir/push", "method": "POST", "service": "rdir",
                               "action": "503", "after": pushes}]})
    stopped = IndexCopy(client, "rawx", VOLUME, src, dst, remove_from_source=True).run()
    left = records - copied
    assert stopped["copied"] == copied and stopped["failed_count"] == left
    # Only what the destination shows left the source.
    assert stopped["removed_from_source"] == copied and stopped["unverified_count"] == left
    assert len(records_on(client, src)) == left
    sim.clear_faults()
    resumed = IndexCopy(client, "rawx", VOLUME, src, dst, remove_from_source=True).run()
    assert resumed["copied"] == left and resumed["failed_count"] == 0
    assert resumed["removed_from_source"] == left
    assert records_on(client, dst) == before
    assert records_on(client, src) == {}


@pytest.mark.parametrize("release", ["7.3.0", "2026.14"])
def test_check_mode_reads_both_listings_and_writes_nothing(sim_factory, release):
    sim, dummy, src, dst = volume_of_records(sim_factory, release, 1500)
    client = OioClient(sim.proxy_url, sim.namespace, retries=0, check_mode=True)
    sim.reset_writes()
    result = IndexCopy(client, "rawx", VOLUME, src, dst, remove_from_source=True).run()
    assert result["copied"] == result["removed_from_source"] == 1500
    assert sim.writes() == []
