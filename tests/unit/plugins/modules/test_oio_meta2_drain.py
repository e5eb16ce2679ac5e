"""oio_meta2_drain in-process: the containers of a meta2 moved to other
meta2 with their index records, in batches, through a run that stops and a
base moved by hand."""

SIM = "four_meta2"


def meta2_hosts(oio, cid):
    services = oio("oio_reference_info", cid=cid, types=["meta2"])["services"]
    return [h for s in services for h in s["hosts"]]


def test_a_meta2_drained_in_batches(oio, rdir_records):
    sim = oio.sim
    containers = sim.seed_data(account="drain", containers=12, chunks_per_volume=0)["containers"]
    meta2 = oio("oio_service_info", type="meta2")["services"]
    addrs = sorted(s["addr"] for s in meta2)
    # The service to drain: the one holding the most bases.
    victim_svc = max(meta2, key=lambda s: (sum(s["addr"] in c["meta2"] for c in containers),
                                           s["addr"]))
    victim, victim_addr = victim_svc["id"], victim_svc["addr"]
    held = [c["cid"] for c in containers if victim_addr in c["meta2"]]
    assert len(held) >= 4

    sim.reset_writes()
    for options, message in (
            ({"service": "meta2-that-does-not-exist"},
             "no meta2 service meta2-that-does-not-exist"),
            ({"service": victim, "targets": ["127.0.0.1:9"]},
             "target 127.0.0.1:9 is not a meta2 service"),
            ({"service": victim, "targets": [victim_addr]}, "is the service being drained"),
            ({"service": victim, "max_moves": 0}, "max_moves must be at least 1")):
        result = oio("oio_meta2_drain", **options)
        assert result.failed and message in result.msg, (options, result.msg)
    assert sim.writes() == []

    planned = oio("oio_meta2_drain", check=True, diff=True, service=victim, max_moves=2)
    assert sim.writes() == []
    assert planned.changed and planned["moves_count"] == 2
    assert planned["records_before"] == len(held) and planned["left"] == len(held) - 2
    assert victim_addr not in [a for m in planned["moved"] for a in m["peers_after"]]
    assert planned["diff"]["before"]["bases"] == len(held)

    first = oio("oio_meta2_drain", service=victim, max_moves=2)
    assert first.changed and first["left"] == len(held) - 2
    assert [m["cid"] for m in first["moved"]] == [m["cid"] for m in planned["moved"]]
    for cid in (m["cid"] for m in first["moved"]):
        hosts = meta2_hosts(oio, cid)
        assert len(hosts) == 2 and victim_addr not in hosts

    # The reference/force of the next base fails: the run stops, says so,
    # and leaves the base's record in place.
    sim.set_faults({"rules": [{"match": "reference/force", "method": "POST", "service": "proxy",
                               "action": "503"}]})
    stopped = oio("oio_meta2_drain", service=victim, max_moves=2, retries=0)
    sim.clear_faults()
    assert stopped.failed and "Run the task again" in stopped.msg
    assert stopped["moves_count"] == 0 and stopped["left"] == len(held) - 2

    # The next base moved by hand, without its index record.
    record = oio("oio_rdir_index_info", service_type="meta2", volume=victim,
                 limit=1)["records"][0]
    peers = meta2_hosts(oio, record["container_id"])
    by_hand = [a for a in peers if a != victim_addr] + [a for a in addrs if a not in peers][:1]
    assert oio("oio_base", type="meta2", cid=record["container_id"], peers=by_hand).changed

    rest = oio("oio_meta2_drain", service=victim)
    assert rest.changed and rest["left"] == 0, rest.msg
    # The base moved by hand only had its record to move.
    assert rest["records_moved"] == 1 and rest["moves_count"] == len(held) - 3
    assert record["container_id"] not in [m["cid"] for m in rest["moved"]]
    for container in containers:
        hosts = meta2_hosts(oio, container["cid"])
        assert len(hosts) == 2 and victim_addr not in hosts
    index = sim.index()["meta2"]
    assert index[victim]["records"] == 0
    assert sum(v["records"] for v in index.values()) == 2 * len(containers)
    again = oio("oio_meta2_drain", service=victim)
    assert not again.changed and again["left"] == 0 and again["moves_count"] == 0

    # A record no container answers to: named, and left.
    rdir_records.push(rest["index_rdir"], victim, "meta2", [
        {"container_id": "0" * 62 + "AB", "container_url": "OPENIO/drain/ghost",
         "mtime": 1700000000}])
    ghost = oio("oio_meta2_drain", service=victim)
    assert ghost.failed and "OPENIO/drain/ghost" in ghost.msg
    assert len(ghost["problems"]) == 1 and ghost["left"] == 1
