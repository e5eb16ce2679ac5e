"""oio_rdir_index_info in-process: a volume's reverse index read page by
page, the release's answer to a missing database, the rdir scheme."""


def test_reads_a_volume_index(oio, rdir_records):
    meta2 = oio("oio_service_info", type="meta2")["services"][0]["id"]
    index = oio("oio_rdir_volume", service_type="meta2", volume=meta2)
    rdir_records.push(index["rdir_addr"], meta2, "meta2", [
        {"container_id": "%064X" % n, "container_url": "%s/acct/ref-%d" % (oio.sim.namespace, n),
         "mtime": 1700000000 + n} for n in range(1, 6)])
    oio.sim.reset_writes()
    listed = oio("oio_rdir_index_info", check=True, service_type="meta2", volume=meta2,
                 page_size=2, limit=0)
    assert not listed.changed and listed["exists"] and not listed["truncated"]
    assert [r["container_url"] for r in listed["records"]] == [
        "%s/acct/ref-%d" % (oio.sim.namespace, n) for n in range(1, 6)]
    assert listed["count"] == 5 and listed["rdir_addr"] == index["rdir_addr"]
    assert listed["release"] == oio.sim.info["release"]

    cut = oio("oio_rdir_index_info", service_type="meta2", volume=meta2, limit=3)
    assert cut["count"] == 3 and cut["truncated"]
    # No database for that volume: 7.3.0 answers 400, 2026.14 404.
    missing = oio("oio_rdir_index_info", service_type="meta2", volume="127.0.0.1:6999",
                  rdir=index["rdir_addr"])
    assert not missing.failed and not missing["exists"] and missing["count"] == 0
    # The scheme asked for is the one used: the rdir speaks plain HTTP.
    over_tls = oio("oio_rdir_index_info", service_type="meta2", volume=meta2,
                   rdir_scheme="https", retries=0, timeout=2)
    assert over_tls.failed and "https://" + index["rdir_addr"] in over_tls.msg
    assert oio.sim.writes() == []


def test_bad_input_is_refused_before_any_request(oio):
    oio.sim.reset_stats()
    bad = oio("oio_rdir_index_info", service_type="meta2", volume="127.0.0.1:6999",
              page_size=0)
    assert bad.failed and "page_size must be between 1 and 10000" in bad.msg
    assert oio.sim.stats()["requests"] == 0
