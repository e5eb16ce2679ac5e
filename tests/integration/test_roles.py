"""The roles through the playbooks, against the simulator: check mode writes
nothing, a second bootstrap changes nothing, the connection comes from
module_defaults alone, and a decommission interrupted halfway by injected
faults ends, once run again, in the same state as an uninterrupted one.
"""
import json
import os
import re
import time

import pytest
import requests
from ansible_collections.openio.sds.plugins.module_utils.meta0 import model as meta0_model
from ansible_collections.openio.sds.plugins.module_utils.meta0 import planner
from ansible_collections.openio.sds.plugins.module_utils.client import OioClient
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts
from prometheus_client.parser import text_string_to_metric_families

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLAYBOOKS = os.path.join(ROOT, "playbooks")
CID = "C096D3B630A704C1B0B31513DCE8EB026C0FAA263C2BDECB573DD2C9EBF5AC0E"


def playbook(name):
    return os.path.join(PLAYBOOKS, name + ".yml")


def proxy_get(sim, route, **params):
    resp = requests.get("%s/v3.0/%s/%s" % (sim.proxy_url, sim.namespace, route),
                        params=params, timeout=30)
    resp.raise_for_status()
    return resp.json()


def rdir_of(sim, volume):
    show = proxy_get(sim, "reference/show", acct="_RDIR", ref=volume, type="rdir")
    return [s["host"] for s in show["srv"] if s["type"] == "rdir"][0]


def rdir_addr(sim, host):
    for rdir in proxy_get(sim, "conscience/list", type="rdir"):
        if host in (rdir["addr"], (rdir.get("tags") or {}).get("tag.service_id")):
            return rdir["addr"]
    return host


def seed_chunks(sim, per_volume=30):
    """Push chunk records for every rawx volume into its rdir."""
    for rawx in proxy_get(sim, "conscience/list", type="rawx"):
        vol = (rawx.get("tags") or {}).get("tag.service_id") or rawx["addr"]
        addr = rdir_addr(sim, rdir_of(sim, vol))
        for i in range(per_volume):
            requests.post("http://%s/v1/rdir/push" % addr,
                          params={"vol": vol, "create": "1"}, timeout=30,
                          # path and version: 2026.14 needs them, 7.3.0 ignores them.
                          json={"container_id": CID, "content_id": "0123456789ABCDEF",
                                "chunk_id": "%s-%04d" % (vol, i), "mtime": 1700000000 + i,
                                "path": "obj-%d" % i, "version": 1}
                          ).raise_for_status()


def chunk_records(sim):
    """{volume: number of chunk records on its rdir} and {rdir addr: records of
    any volume it still holds}."""
    per_volume, per_rdir = {}, {}
    rdirs = [r["addr"] for r in proxy_get(sim, "conscience/list", type="rdir")]
    volumes = [(r.get("tags") or {}).get("tag.service_id") or r["addr"]
               for r in proxy_get(sim, "conscience/list", type="rawx")]
    for vol in volumes:
        addr = rdir_addr(sim, rdir_of(sim, vol))
        per_volume[vol] = len(_fetch(addr, vol))
        for other in rdirs:
            per_rdir[other] = per_rdir.get(other, 0) + len(_fetch(other, vol))
    return per_volume, per_rdir


def _fetch(addr, vol):
    resp = requests.post("http://%s/v1/rdir/fetch" % addr, params={"vol": vol},
                         json={"limit": 10000}, timeout=30)
    return resp.json() if resp.status_code == 200 else []


def meta1_counts(sim):
    counts = {}
    for prefix, addrs in proxy_get(sim, "admin/meta0_list").items():
        for addr in addrs:
            counts[addr] = counts.get(addr, 0) + 1
    return counts


@pytest.fixture
def no_retries(monkeypatch):
    # The modules' retries option falls back to OIO_RETRIES: with none, the
    # first injected failure interrupts the run.
    monkeypatch.setenv("OIO_RETRIES", "0")


@pytest.mark.one_release("2026.14")
def test_bootstrap_check_mode_then_twice(sim_factory, run_playbook):
    """On a fresh digits-4 namespace: check mode plans and writes nothing;
    the first bootstrap verifies a sample of the 65,536 meta1 elections (1,000
    at random and 3 of every meta1), reading at most about 2,000; a second
    run on the healthy namespace changes nothing and sends at most 2,000
    requests in all. (The full check: the next test, and
    bench/bench_election.py.) The rawx, registered locked as new storage is,
    are unlocked in one task, but the one kept locked."""
    services = topo_services("small")
    services["rawx"] = dict(services["rawx"], locked=True, score=0)
    sim = sim_factory("small", meta1_digits=4, services=services)
    extra = {"oio_expected_meta1": 6, "oio_expected_rawx": 6, "oio_keep_locked": ["rawx-6"],
             "oio_bootstrap_references": [{"account": "ops", "reference": "inventory",
                                           "link": ["meta2"]}]}
    unlocked = "Services unlocked: rawx-1, rawx-2, rawx-3, rawx-4, rawx-5"
    sim.reset_writes()
    dry = run_playbook(playbook("bootstrap"), sim, extra_vars=extra, check=True, diff=True)
    assert dry.rc == 0 and dry.failed == 0, dry.failure
    assert sim.writes() == []
    assert unlocked.replace("unlocked", "to unlock") in dry.output
    # The rdir assignments are planned from the conscience alone.
    assert "rdir assignments: 6 rawx and 2 meta2 volumes to (re)assign" in dry.output

    sim.reset_stats()
    first = run_playbook(playbook("bootstrap"), sim, extra_vars=extra)
    assert first.rc == 0 and first.changed > 0, first.failure
    # The role's min_dist is auto: three racks, every base's replicas apart.
    assert "min_dist 3)" in first.output
    assert unlocked in first.output
    rawx = facts(OioClient(sim.proxy_url, sim.namespace)).services("rawx")
    assert [s["id"] for s in rawx if s["locked"]] == ["rawx-6"]
    statuses = sim.stats()["by_route"].get("POST /v3.0/OPENIO/admin/status", 0)
    sampled = re.search(r"meta1 elections: (\d+) of (\d+) sampled bases \(1000 at random and 3 "
                        r"of every meta1, of 65536; oio_bootstrap_verify_elections=all reads "
                        r"every base\) healthy, (\d+) pinged", first.output)
    assert sampled, "no summary of a sample of the elections"
    read, healthy, pinged = int(sampled.group(2)), int(sampled.group(1)), int(sampled.group(3))
    # 1,000 at random, and 3 of each of the 6 meta1 unless drawn already.
    assert 1000 < read <= 1018 and healthy == read
    # At most: each sampled base read, warmed up, read again.
    assert pinged <= read and statuses <= 2 * read + 100

    sim.reset_stats()
    sim.reset_writes()
    second = run_playbook(playbook("bootstrap"), sim, extra_vars=extra)
    stats = sim.stats()
    assert second.rc == 0 and second.changed == 0, second.failure
    assert sim.writes() == []
    assert stats["requests"] <= 2000, stats["by_route"]
    assert stats["by_route"]["POST /v3.0/OPENIO/admin/status"] >= 1000
    assert re.search(r"(\d+) of \1 sampled bases \(1000 at random and 3 of every meta1, of 65536",
                     second.output)


# The role's election step, once per oio_bootstrap_verify_elections, in one
# ansible-playbook run: the admin/status requests of each and its summary.
VERIFY_STEP = """
    - name: Forget the requests so far
      oiosim.testing.control: {path: stats, method: DELETE}
    - name: The mapping step, verify %(verify)s
      ansible.builtin.include_role:
        name: openio.sds.bootstrap
        tasks_from: mapping.yml
      vars:
        oio_bootstrap_verify_elections: %(verify)s
        oio_bootstrap_election_sample_size: 10
    - name: The requests it sent
      oiosim.testing.control: {path: stats}
      register: verify_stats
    - name: Print them
      ansible.builtin.debug:
        msg: "VERIFY %(verify)s {{ verify_stats.json.by_route['POST /v3.0/OPENIO/admin/status']
              | default(0) }} {{ bootstrap_mapping.operation }}: {{ bootstrap_elections_summary }}"
"""


@pytest.mark.one_release("7.3.0")
def test_bootstrap_verifies_what_it_is_asked_to(sim_factory, run_playbook, write_play):
    """A sample, every base or none: the admin/status requests sent and the
    summary. (The default, 1,000 at random and 3 of every meta1: the test
    above.)"""
    sim = sim_factory("small_bootstrapped")
    play = write_play("verify.yml", "".join(VERIFY_STEP % {"verify": verify}
                                            for verify in ("sample", "all", "none")))
    result = run_playbook(play, sim)
    assert result.rc == 0 and result.changed == 0, result.failure
    runs = dict((verify, (int(count), summary)) for verify, count, summary in re.findall(
        r'"VERIFY (\w+) (\d+) none: ([^"]*)"', result.output))
    assert sorted(runs) == ["all", "none", "sample"], result.output
    assert 10 < runs["sample"][0] <= 28
    assert "%d of %d sampled bases (10 at random and 3 of every meta1, of 256" % (
        (runs["sample"][0],) * 2) in runs["sample"][1]
    assert runs["all"][0] == 256 and "256 of 256 bases healthy" in runs["all"][1]
    assert runs["none"][0] == 0 and "not verified" in runs["none"][1]


@pytest.mark.one_release("7.3.0")
def test_audit_in_check_mode_writes_its_report_only(sim_factory, run_playbook, tmp_path):
    """Check mode, with no OIO_PROXYD_URL/OIO_NS in the environment (the
    playbook's variables reach the modules through module_defaults) and
    oio_audit_fail_on_findings: a healthy namespace passes; with an rdir
    down the audit fails once it has written its report, which names the
    findings; neither run writes to the cluster."""
    sim = sim_factory(preset="small_bootstrapped")
    connection = {"oio_proxy_url": sim.proxy_url, "oio_namespace": sim.namespace,
                  "oio_audit_fail_on_findings": True}
    sim.reset_writes()
    healthy = tmp_path / "healthy"
    result = run_playbook(playbook("audit"), None, check=True, extra_vars=dict(
        connection, oio_audit_report_dir=str(healthy)))
    assert result.rc == 0, "the audit of a healthy namespace found something: %s" % result.failure
    assert (healthy / "report.json").exists()
    assert "Result: OK, nothing found" in (healthy / "summary.txt").read_text()

    requests.post(sim.control_url + "/services/down", json={"id": rdir_addr(
        sim, rdir_of(sim, "rawx-1"))}, timeout=30).raise_for_status()
    report = tmp_path / "report"
    result = run_playbook(playbook("audit"), None, check=True, extra_vars=dict(
        connection, oio_audit_report_dir=str(report)))
    assert result.rc != 0 and "The audit found" in result.output
    assert sim.writes() == []
    text = (report / "summary.txt").read_text()
    assert "rdir_down" in text
    metrics = audit_metrics(report / "report.prom")
    labels = {"namespace": sim.namespace, "release": sim.info["release"]}
    assert metrics[("oio_audit_ok", ())] == 0
    assert metrics[("oio_audit_findings", (("kind", "rdir"),))] == text.count("  - rdir: ")
    rawx = dict((labels[0][1], v) for (name, labels), v in metrics.items()
                if name == "oio_audit_rdir_volumes" and ("type", "rawx") in labels)
    assert rawx["rdir_down"] >= 1 and rawx["ok"] + rawx["rdir_down"] == 6
    assert metrics[("oio_audit_volumes_without_rdir", (("type", "rawx"),))] == 0
    assert metrics[("oio_audit_meta1_elections_unhealthy", ())] == 0
    bases = [v for (name, dummy), v in metrics.items() if name == "oio_audit_meta1_bases"]
    assert len(bases) == 6 and sum(bases) == 256 * 3
    assert abs(metrics[("oio_audit_timestamp_seconds", ())] - time.time()) < 600
    assert all(sample.labels["namespace"] == labels["namespace"]
               and sample.labels["release"] == labels["release"]
               for family in text_string_to_metric_families((report / "report.prom").read_text())
               for sample in family.samples)


def audit_metrics(path):
    """{(name, ((label, value), ...) without namespace/release): value} of a
    .prom file, read with the Prometheus client's own parser."""
    out = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            labels = tuple(sorted((k, v) for k, v in sample.labels.items()
                                  if k not in ("namespace", "release")))
            out[(sample.name, labels)] = sample.value
    return out


@pytest.mark.one_release("2026.14")
def test_decommission_requires_a_known_service(sim_factory, run_playbook):
    sim = sim_factory(preset="small_bootstrapped")
    sim.reset_writes()
    bad_type = run_playbook(playbook("decommission"), sim, extra_vars={
        "oio_decommission_service": "127.0.0.1:1", "oio_decommission_type": "rawx"})
    unknown = run_playbook(playbook("decommission"), sim, extra_vars={
        "oio_decommission_service": "127.0.0.1:1", "oio_decommission_type": "meta1"})
    typo = run_playbook(playbook("decommission"), sim, extra_vars={
        "oio_decommission_service": "rdir-typo", "oio_decommission_type": "rdir"})
    assert bad_type.rc != 0 and "meta1, rdir, meta2" in bad_type.output
    assert unknown.rc != 0 and "No meta1 service 127.0.0.1:1" in unknown.output
    assert typo.rc != 0 and "rdir-typo" in typo.failure
    assert sim.writes() == []


def stopped_run(sim, run_playbook, name, extra, rule):
    """A run of playbook ``name`` that the injected fault ``rule`` stops."""
    sim.set_faults({"rules": [rule]})
    result = run_playbook(playbook(name), sim, extra_vars=extra)
    sim.clear_faults()
    assert result.rc != 0, "the injected fault did not stop the run"
    return result


def meta1_end_state(sim, victim):
    """Asked of every meta1 base: ``(bases the victim still holds a copy of,
    bases whose election is not healthy among its meta0 peers, bases whose
    sys.peers differ from meta0)``."""
    url = "%s/v3.0/%s/admin/" % (sim.proxy_url, sim.namespace)
    mapping = proxy_get(sim, "admin/meta0_list")
    held, unhealthy, wrong_peers = [], [], []
    for base in sorted(set(p[:2] for p in mapping)):
        params = {"type": "meta1", "cid": base.ljust(64, "0")}
        peers = mapping[base + "00"]
        has = requests.post(url + "has", params=dict(params, service_id=victim), timeout=30)
        if has.json()[victim]["status"]["status"] != 431:
            held.append(base)
        status = requests.post(url + "status", params=params, timeout=30).json()
        codes = sorted(r["status"]["status"] for r in status.values())
        if sorted(status) != peers or codes != [200] + [303] * (len(peers) - 1):
            unhealthy.append(base)
        props = requests.post(url + "get_properties", params=params, timeout=30).json()
        if props["system"].get("sys.peers") != ",".join(peers):
            wrong_peers.append(base)
    return held, unhealthy, wrong_peers


def topo_services(preset):
    """The services of a simulator preset, to change some of them."""
    from oiosim import topology as topo_mod
    return dict(topo_mod.load(preset)["services"])


def digits3_namespace(sim_factory):
    """A bootstrapped digits-3 namespace (4,096 meta1 bases of 3 replicas)
    over 128 meta1, so that one meta1 holds 96 base replicas, each base
    under 16 prefixes."""
    services = topo_services("small_bootstrapped")
    services["meta1"] = dict(services["meta1"], count=128)
    return sim_factory("small_bootstrapped", meta1_digits=3, services=services)


def base_counts(sim, digits):
    """Bases per meta1 (each base stands for 16 ** (4 - digits) prefixes)."""
    span = 16 ** (4 - digits)
    return dict((addr, n // span) for addr, n in meta1_counts(sim).items())


def batched_end_state(sim, victim, size, digits):
    """Bases per meta1 at the end of a decommission of ``victim`` in batches
    of ``size`` never stopped, planned in memory, batch after batch, by the
    planner the module runs, from the namespace as it is."""
    client = OioClient(sim.proxy_url, sim.namespace, check_mode=True)
    services = facts(client).services("meta1")
    mapping, dummy = meta0_model.bases_from_meta0(facts(client).meta0(), digits)
    while True:
        result = planner.decommission(mapping, services, [victim], replicas=3, digits=digits,
                                      max_moves=size)
        if result.mapping == mapping:
            break
        mapping = result.mapping
    counts = {}
    for peers in mapping.values():
        for addr in peers:
            counts[addr] = counts.get(addr, 0) + 1
    return counts


@pytest.mark.one_release("7.3.0")
def test_meta1_decommission_in_batches_stops_and_resumes(sim_factory, run_playbook, no_retries,
                                                         tmp_path):
    """On a digits-3 namespace: stopped after its first batch by a failed
    meta0 force, the re-run plans what is left, prints a progress line per
    batch, writes the audit pages before and after and ends with the bases
    per meta1 of a run never stopped. (Check mode and a further run that changes nothing are shown
    on smaller namespaces: the rebalance, meta2 and rdir batch tests.)"""
    sim = digits3_namespace(sim_factory)
    victim = sorted(meta1_counts(sim))[0]
    moves = base_counts(sim, 3)[victim]
    size = 25
    extra = {"oio_decommission_service": victim, "oio_decommission_type": "meta1",
             "oio_batch_size": size}
    assert moves > 75 and (moves + size - 1) // size >= 4
    uninterrupted = batched_end_state(sim, victim, size, 3)

    stopped = stopped_run(sim, run_playbook, "decommission", extra, {
        "match": "admin/meta0_force", "method": "POST", "service": "proxy",
        "action": "503", "after": 1})
    assert "batch 1/%d: %s of %s replicas moved" % (
        (moves + size - 1) // size, "{:,}".format(size), "{:,}".format(moves)) in stopped.output
    left = moves - size
    assert base_counts(sim, 3)[victim] == left
    resumed = run_playbook(playbook("decommission"), sim,
                           extra_vars=dict(extra, oio_report_dir=str(tmp_path)))
    assert resumed.rc == 0, resumed.failure
    batches = (left + size - 1) // size
    for n in range(1, batches + 1):
        line = "batch %d/%d: %s of %s replicas moved" % (
            n, batches, "{:,}".format(min(n * size, left)), "{:,}".format(left))
        assert line in resumed.output
    assert "about 0 min 0 s left" in resumed.output  # the last batch
    # The audit pages of the namespace before and after.
    for when, held in (("before", left), ("after", 0)):
        with open(os.path.join(str(tmp_path), when, "report.json")) as handle:
            report = json.load(handle)
        assert report["meta0_mapping"]["bases_per_meta1"].get(victim, 0) == held
        assert os.path.getsize(os.path.join(str(tmp_path), when, "report.html")) > 0
    assert base_counts(sim, 3) == uninterrupted
    assert sim.meta1_bases(victim) == {"bases": 4096, "held": 0, "unhealthy": 0,
                                       "wrong_peers": 0}


@pytest.mark.one_release("2026.14")
def test_meta1_rebalance_after_adding_services_in_batches(sim_factory, run_playbook, no_retries):
    """Two meta1 added to six: the rebalance moves replicas to them in
    batches, stopped after its first batch by a failed meta0 force; the
    re-run plans what is left and ends balanced, every base elected among
    its meta0 peers; one more run changes nothing. (Its dry run: the dry-run
    matrix, tests/integration/test_dry_runs.py.)"""
    sim = sim_factory(preset="small_bootstrapped")
    for n in (7, 8):
        sim.add_service({"type": "meta1", "addr": "127.21.0.%d:6101" % n, "score": 80,
                         "location": "site1.rack%d.host%d.meta1-%d" % (n % 3 + 1, n, n)})
    size = 50
    extra = {"oio_batch_size": size}
    stopped = stopped_run(sim, run_playbook, "rebalance", extra, {
        "match": "admin/meta0_force", "method": "POST", "service": "proxy", "action": "503",
        "after": 1})
    assert "batch 1/4: 50 of 192 replicas moved" in stopped.output
    # The batch that failed says so, with what was done before it.
    assert "batch 2/4 failed: 50 of 192 replicas moved before it" in stopped.output
    resumed = run_playbook(playbook("rebalance"), sim, extra_vars=extra)
    assert resumed.rc == 0, resumed.failure
    assert "batch 3/3: 142 of 142 replicas moved" in resumed.output
    counts = meta1_counts(sim)
    assert sorted(counts.values()) == [96 * 256] * 8  # prefixes (digits 2: 256 per base)
    assert sim.meta1_bases() == {"bases": 256, "held": 0, "unhealthy": 0, "wrong_peers": 0}
    again = run_playbook(playbook("rebalance"), sim, extra_vars=extra)
    assert again.rc == 0 and again.changed == 0, again.failure


# What a re-run of a finished meta1 decommission may send: the conscience,
# the lock, meta0 and the record of pending copies, read once or twice each.
RERUN_REQUESTS = 20


@pytest.mark.one_release("2026.14")
def test_meta1_decommission_outlives_a_peer_killed_during_a_batch(sim_factory, run_playbook):
    """A meta1 peer killed (as by SIGKILL) in the middle of a batch: its bases
    answer 503 "No meta1 answered" until the cluster elected new masters (4
    s here), and it is back after 2 s. The batch waits for the election
    (the role's election timeout) instead of failing, and the run finishes
    at once, with no re-run: the victim holds nothing, every base elected."""
    sim = sim_factory(preset="small_bootstrapped")
    meta1 = sorted(s["addr"] for s in proxy_get(sim, "conscience/list", type="meta1"))
    victim, killed = meta1[0], meta1[1]
    extra = {"oio_decommission_service": victim, "oio_decommission_type": "meta1",
             "oio_batch_size": 64}
    sim.set_faults({"rules": [{"match": "admin/copy", "service": "proxy", "action": "kill",
                               "peer": killed, "for": 2, "reelect": 4, "after": 40,
                               "times": 1}]})
    result = run_playbook(playbook("decommission"), sim, extra_vars=extra)
    assert result.rc == 0, "the run did not outlive the killed peer: %s" % result.failure
    assert "while the cluster elects new masters" in result.output
    assert sim.faults()["rules"][0]["action"] == "kill"
    held, unhealthy, wrong_peers = meta1_end_state(sim, victim)
    assert (held, unhealthy, wrong_peers) == ([], [], [])
    assert meta1_counts(sim).get(victim, 0) == 0
    # A re-run of the finished decommission, as an operator makes sure it is
    # done, sends a handful of requests whatever the size of the namespace.
    sim.reset_stats()
    again = run_playbook(playbook("decommission"), sim, extra_vars=extra)
    stats = sim.stats()
    assert again.rc == 0 and again.changed == 0, again.failure
    assert stats["requests"] <= RERUN_REQUESTS, stats["by_route"]


# Each step of a meta1 batch, and where a run stopped there leaves the
# victim: before the meta0 force it still holds replicas in meta0; after it,
# only the service knows what is left. (A failed force, which rolls every base
# of the batch back, stops the batches and rebalance tests above.)
BATCH_STEPS = [
    ("admin/copy", "503", 20, True),         # the copies fail halfway through the batch
    ("admin/leave", "503", 10, False),       # meta0 forced, then the elections step fails
    ("admin/remove", "drop", 10, False),     # the old copies half removed
]


@pytest.mark.one_release("7.3.0")
def test_meta1_decommission_interrupted_at_each_step(sim_factory, run_playbook, no_retries):
    """Stopped at each step of its batch in turn, each run resuming what the
    one before left, the decommission ends with the departing meta1 holding
    no copy, every base elected among its meta0 peers and sys.peers naming
    them: done is read from the service, not from the mapping. (That a
    further run changes nothing is shown by the batches test.)"""
    sim = sim_factory(preset="small_bootstrapped")
    victim = sorted(meta1_counts(sim))[0]
    extra = {"oio_decommission_service": victim, "oio_decommission_type": "meta1"}
    for route, action, after, before_force in BATCH_STEPS:
        stopped = stopped_run(sim, run_playbook, "decommission", extra, {
            "match": route, "method": "POST", "service": "proxy", "action": action,
            "after": after})
        assert route in stopped.output, (route, stopped.failure)
        if before_force:
            assert meta1_counts(sim).get(victim, 0) > 0, (route, "nothing was left to finish")
        else:
            # Asked of the simulator in one request: an admin/status per base
            # waits on every election the run left broken.
            assert meta1_counts(sim).get(victim, 0) == 0, route
            assert sim.meta1_bases(victim)["held"], (route, "nothing was left to finish")
    result = run_playbook(playbook("decommission"), sim, extra_vars=extra)
    assert result.rc == 0, result.failure
    counts = meta1_counts(sim)
    assert counts.get(victim, 0) == 0
    assert sum(counts.values()) == 65536 * 3  # prefixes times replicas
    assert meta1_end_state(sim, victim) == ([], [], [])
    # The simulator's own count, which the digits-4 test relies on, agrees.
    assert sim.meta1_bases(victim) == {"bases": 256, "held": 0, "unhealthy": 0, "wrong_peers": 0}


@pytest.mark.one_release("2026.14")
def test_rdir_decommission_interrupted_then_resumed(sim_factory, run_playbook, no_retries):
    """In batches of one volume: interrupted halfway through the copy of the
    first batch, a re-run reassigns the other volumes batch by batch, copies
    what the first run left, and ends with every volume holding the records it
    had, on its new rdir, and the old rdir holding none; one more run changes
    nothing. (The role takes the same course on both releases; the copy
    stopped half-way and resumed, a page per push or a record per push:
    tests/library/test_index_copy.py.)"""
    sim = sim_factory(preset="small_bootstrapped")
    seed_chunks(sim)
    victim = rdir_addr(sim, rdir_of(sim, "rawx-1"))
    before = chunk_records(sim)[0]
    extra = {"oio_decommission_service": victim, "oio_decommission_type": "rdir",
             "oio_batch_size": 1, "decommission_page_size": 10}
    # Pushes to the new rdirs are dropped after the first page of 10 (a page
    # per push): the copy stops partway through the records of the first volume.
    stopped = stopped_run(sim, run_playbook, "decommission", extra, {
        "match": "/v1/rdir/push", "method": "POST", "service": "rdir", "action": "drop",
        "after": 1})
    assert "batch 1/3: " not in stopped.output
    assert "batch 1/3 failed: 1 of 3 volumes reassigned, " in stopped.output
    assert chunk_records(sim)[1][victim] > 0, "nothing was left to finish"
    resumed = run_playbook(playbook("decommission"), sim, extra_vars=extra)
    assert resumed.rc == 0, resumed.failure
    assert "batch 1/2: 1 of 2 volumes reassigned" in resumed.output
    assert "batch 2/2: 2 of 2 volumes reassigned" in resumed.output
    per_volume, per_rdir = chunk_records(sim)
    assert per_volume == before
    assert per_rdir[victim] == 0
    assert rdir_addr(sim, rdir_of(sim, "rawx-1")) != victim
    again = run_playbook(playbook("decommission"), sim, extra_vars=extra)
    assert again.rc == 0 and again.changed == 0, again.failure


@pytest.mark.one_release("7.3.0")
def test_meta2_decommission_refuses_an_empty_index(sim_factory, run_playbook):
    """A meta2 holds a container its rdir meta2 index does not list: the
    service cannot be asked, so an empty index on a meta2 in service is
    refused, writing nothing but the lock, unless the task trusts it."""
    sim = sim_factory(preset="small_bootstrapped")
    url = "%s/v3.0/%s/reference/link" % (sim.proxy_url, sim.namespace)
    requests.post(url, params={"acct": "ops", "ref": "unindexed", "type": "meta2",
                               "autocreate": "1"}, timeout=30).raise_for_status()
    show = proxy_get(sim, "reference/show", acct="ops", ref="unindexed", type="meta2")
    victim = show["srv"][0]["host"].split(",")[0]
    extra = {"oio_decommission_service": victim, "oio_decommission_type": "meta2"}
    sim.reset_writes()
    refused = run_playbook(playbook("decommission"), sim, extra_vars=extra)
    assert refused.rc != 0 and "lists no base" in refused.output
    assert "oio_decommission_meta2_trust_index=true" in refused.output
    assert [w["path"].rsplit("/", 1)[-1] for w in sim.writes()] == ["lock"]
    trusted = run_playbook(playbook("decommission"), sim,
                           extra_vars=dict(extra, oio_decommission_meta2_trust_index=True))
    assert trusted.rc == 0, trusted.failure
    assert "a meta2 cannot be asked which bases it holds" in trusted.output


@pytest.mark.one_release("2026.14")
def test_meta2_decommission_in_batches_stops_and_resumes(sim_factory, run_playbook, no_retries):
    """Batches of 3 bases, each with its index record: stopped in its second
    batch by a failed reference/force, the run says where it stood; a re-run
    moves what the index still lists, every container keeps two peers, each
    peer's index lists it, and one more run changes nothing."""
    sim = sim_factory(preset="small_bootstrapped",
                      service_update_policy="meta2=KEEP|2|1;sqlx=KEEP|1|1|;rdir=KEEP|1|1|",
                      services=dict(topo_services("small_bootstrapped"), meta2={
                          "count": 4, "racks": 2, "score": 80,
                          "location": "site1.rack{rack}.host{n}.meta2-{n}"}))
    containers = sim.seed_data(account="batches", containers=16, chunks_per_volume=0)["containers"]
    holders = [h for c in containers for h in c["meta2"]]
    victim = max(sorted(set(holders)), key=holders.count)
    held = holders.count(victim)
    assert held >= 7
    extra = {"oio_decommission_service": victim, "oio_decommission_type": "meta2",
             "oio_batch_size": 3}
    stopped = stopped_run(sim, run_playbook, "decommission", extra, {
        "match": "reference/force", "method": "POST", "service": "proxy", "action": "503",
        "after": 4})
    batches = (held + 2) // 3
    assert "batch 1/%d: 3 of %d bases moved" % (batches, held) in stopped.output
    assert "batch 2/%d failed: 4 of %d bases moved (1 in this batch)" % (batches, held) \
        in stopped.output
    assert sim.index()["meta2"][victim]["records"] == held - 4
    resumed = run_playbook(playbook("decommission"), sim, extra_vars=extra)
    assert resumed.rc == 0, resumed.failure
    left = held - 4
    assert "batch %d/%d: %d of %d bases moved" % ((left + 2) // 3, (left + 2) // 3, left,
                                                  left) in resumed.output
    index = sim.index()["meta2"]
    assert index[victim]["records"] == 0
    assert sum(v["records"] for v in index.values()) == 2 * len(containers)
    for container in containers:
        show = proxy_get(sim, "reference/show", cid=container["cid"], type="meta2")
        peers = [h for s in show["srv"] for h in s["host"].split(",")]
        assert len(peers) == 2 and victim not in peers
    again = run_playbook(playbook("decommission"), sim, extra_vars=extra)
    assert again.rc == 0 and again.changed == 0, again.failure
