"""oio_meta1_elections and oio_meta1_elections_info in-process: the scan of
every meta1 base or of a sample, its options, a proxy that goes away in the
middle of it (a failure, never a change), bases whose election failed."""


def test_bad_input_is_refused_before_any_request(oio):
    oio.sim.reset_stats()
    for module, options, parts in (
            ("oio_meta1_elections", {"pipeline_depth": 64},
             ["Unsupported parameters", "pipeline_depth"]),
            ("oio_meta1_elections_info", {"concurrency": 0},
             ["concurrency must be between 1 and 64"]),
            ("oio_meta1_elections", {"verify": "sample", "include_bases": ["XYZ"]},
             ["include_bases"])):
        result = oio(module, **options)
        assert result.failed and all(p in result.msg for p in parts), (options, result.msg)
    assert oio.sim.stats()["requests"] == 0


def test_a_proxy_gone_mid_scan_is_a_failure_not_a_change(oio):
    oio.sim.set_faults({"rules": [{"match": "admin/status", "service": "proxy",
                                   "action": "drop", "after": 40}]})
    oio.sim.reset_writes()
    for module, check in (("oio_meta1_elections", True), ("oio_meta1_elections", False),
                          ("oio_meta1_elections_info", False)):
        result = oio(module, check=check, concurrency=2, retries=1)
        assert result.failed and not result.changed, (module, check)
        for part in ("could not read", "cannot reach the service", "the scan stopped"):
            assert part in result.msg, (module, check, result.msg)
    assert oio.sim.writes() == []


def test_a_sample_or_every_base_and_what_it_cost(oio):
    oio.sim.reset_writes()
    sample = {"verify": "sample", "sample_size": 10, "include_bases": ["AB", "7D2A15"]}
    for check in (True, False):
        result = oio("oio_meta1_elections", check=check, **sample)
        assert not result.changed and result["healthy"] and result["scope"] == "sample"
        assert 10 <= result["total"] <= 12 and result["pinged"] == 0
        stats = result["stats"]
        assert stats["requests"] == result["total"] and stats["duration"] >= 0
        assert stats["concurrency"] == 32  # the documented default
    every = oio("oio_meta1_elections_info")
    assert every["scope"] == "all" and every["total"] == 256
    assert every["stats"]["requests"] == 256 and every["stats"]["rate"] > 0
    assert oio.sim.writes() == []


def test_failed_elections(oio_on):
    # 256 bases (digits 2): more only multiplies the scans (bench/bench_election.py
    # scans 65,536).
    oio = oio_on(preset="small_bootstrapped")
    oio.sim.set_faults({"failed_elections": ["meta1:7D00", "meta1:0000"]})
    oio.sim.reset_writes()
    info = oio("oio_meta1_elections_info", max_unhealthy=1)
    assert not info.changed and not info["healthy"] and info["total"] == 256
    assert (info["counts"]["healthy"], info["counts"]["failed"]) == (254, 2)
    # The list cut at one, the count whole.
    assert info["unhealthy_count"] == 2 and info["unhealthy_truncated"]
    assert [b["base"] for b in info["unhealthy"]] == ["0000"]
    assert sum(info["peer_problems"].values()) == 6  # 3 peers of each failed base
    check = oio("oio_meta1_elections", check=True)
    assert check.changed and check["pinged"] == 2 and check["scope"] == "all"
    assert check["stats"]["requests"] == 256
    assert oio.sim.writes() == []

    with_failed = {"verify": "sample", "sample_size": 100, "include_bases": ["7D00", "0000"]}
    # A failure that does not heal cannot be fixed.
    stuck = oio("oio_meta1_elections", wait_timeout=1, **with_failed)
    assert stuck.failed and stuck["scope"] == "sample" and stuck["pinged"] == 2
    assert 100 <= stuck["total"] <= 102 and "7D00" in stuck.msg
    assert "2 of %d meta1 bases are not elected" % stuck["total"] in stuck.msg

    oio.sim.clear_faults()
    oio.sim.reset_writes()
    healed = oio("oio_meta1_elections", **with_failed)
    assert not healed.changed and healed["healthy"] and healed["pinged"] == 0
    assert healed["counts"]["healthy"] == healed["total"]
    assert healed["stats"]["requests"] == healed["total"]
    assert oio.sim.writes() == []
