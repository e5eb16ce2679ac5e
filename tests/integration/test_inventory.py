"""The inventory plugin openio.sds.conscience through ansible-inventory and
ansible-playbook: hosts from the service addresses, groups per type and
location level, host variables, filters, constructed options, cache, errors.
"""
import json
import os
import subprocess
import sys

import pytest
import requests
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def env_for(tmp_path, sim):
    env = dict(os.environ)
    env.update({
        # The collection link of a clone, as tests/integration/conftest.py uses.
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, "collections"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
        "OIO_PROXYD_URL": sim.proxy_url,
        "OIO_NS": sim.namespace,
    })
    return env


def inventory(tmp_path, sim, config, *args):
    path = tmp_path / "oio.conscience.yml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", str(path)] + list(args),
                          env=env_for(tmp_path, sim), cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=300,
                          check=False)
    return proc


def plain(value):
    """``--list`` marks strings from the cluster as unsafe (never templated):
    ``{"__ansible_unsafe": text}``. Unwrap them."""
    if isinstance(value, dict):
        if list(value) == ["__ansible_unsafe"]:
            return value["__ansible_unsafe"]
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def listing(tmp_path, sim, config):
    proc = inventory(tmp_path, sim, config, "--list")
    assert proc.returncode == 0, proc.stdout
    return plain(json.loads(proc.stdout[proc.stdout.index("{"):]))


def services(sim, stype):
    resp = requests.get("%s/v3.0/%s/conscience/list" % (sim.proxy_url, sim.namespace),
                        params={"type": stype}, timeout=30)
    resp.raise_for_status()
    return resp.json()


def hosts_of(data, group):
    return set(data.get(group, {}).get("hosts", []))


@pytest.mark.one_release("7.3.0")
def test_groups_and_host_variables(sim_factory, tmp_path):
    sim = sim_factory("small_bootstrapped")
    sim.reset_writes()
    data = listing(tmp_path, sim, {"plugin": "openio.sds.conscience"})
    hostvars = data["_meta"]["hostvars"]
    for stype in ("meta0", "meta1", "meta2", "rawx", "rdir"):
        expected = set(s["addr"].rsplit(":", 1)[0] for s in services(sim, stype))
        assert hosts_of(data, "oio_" + stype) == expected, stype
    meta1 = services(sim, "meta1")[0]
    host = meta1["addr"].rsplit(":", 1)[0]
    mine = [s for s in hostvars[host]["oio_services"] if s["addr"] == meta1["addr"]][0]
    assert mine == {"addr": meta1["addr"], "port": int(meta1["addr"].rsplit(":", 1)[1]),
                    "id": meta1["addr"], "type": "meta1", "score": meta1["score"],
                    "locked": False, "up": True, "location": meta1["tags"]["tag.loc"],
                    "tags": meta1["tags"]}
    assert "meta1" in hostvars[host]["oio_service_types"]
    # Location levels: site1 > site1.rack1 > site1.rack1.host1 (the last token
    # names the service itself).
    site, rack, node = meta1["tags"]["tag.loc"].split(".")[:3]
    top = "oio_loc_" + site
    assert "oio_loc_%s_%s" % (site, rack) in data[top]["children"]
    assert "oio_loc_%s_%s_%s" % (site, rack, node) in data["oio_loc_%s_%s" % (site, rack)]["children"]
    assert host in hosts_of(data, "oio_loc_%s_%s_%s" % (site, rack, node))
    # The rdir services all listen on 127.0.0.1: one host, three services.
    rdir_host = hostvars["127.0.0.1"]["oio_services"]
    assert sorted(s["addr"] for s in rdir_host) == sorted(s["addr"] for s in services(sim, "rdir"))
    graph = inventory(tmp_path, sim, {"plugin": "openio.sds.conscience"}, "--graph")
    assert graph.returncode == 0 and "@oio_meta1:" in graph.stdout
    assert sim.writes() == []


@pytest.mark.one_release("7.3.0")
def test_filters_and_constructed_options(sim_factory, tmp_path):
    sim = sim_factory("small_bootstrapped")
    locked = services(sim, "meta1")[0]["addr"]
    requests.post("%s/v3.0/%s/conscience/lock" % (sim.proxy_url, sim.namespace), timeout=30,
                  json={"addr": locked, "type": "meta1", "score": 0}).raise_for_status()
    data = listing(tmp_path, sim, {
        "plugin": "openio.sds.conscience", "types": ["meta1", "rdir"], "min_score": 1,
        "group_prefix": "sds_", "location_groups": False,
        "keyed_groups": [{"key": "oio_service_types", "prefix": "role"}],
        "groups": {"rdir_hosts": "'rdir' in oio_service_types"},
        "compose": {"meta1_addrs": "oio_services | selectattr('type', 'eq', 'meta1') "
                                   "| map(attribute='addr') | list"}})
    assert locked.rsplit(":", 1)[0] not in hosts_of(data, "sds_meta1")
    assert len(hosts_of(data, "sds_meta1")) == 5
    assert "sds_rawx" not in data and "oio_meta1" not in data
    assert not [g for g in data if g.startswith("sds_loc")]
    assert hosts_of(data, "role_meta1") == hosts_of(data, "sds_meta1")
    assert hosts_of(data, "rdir_hosts") == {"127.0.0.1"}
    some = sorted(hosts_of(data, "sds_meta1"))[0]
    assert data["_meta"]["hostvars"][some]["meta1_addrs"][0].startswith(some + ":")


@pytest.mark.one_release("7.3.0")
def test_cache_spares_the_proxy(sim_factory, tmp_path):
    sim = sim_factory("small_bootstrapped")
    config = {"plugin": "openio.sds.conscience", "cache": True,
              "cache_plugin": "ansible.builtin.jsonfile",
              "cache_connection": str(tmp_path / "cache"), "cache_timeout": 3600}
    first = listing(tmp_path, sim, config)
    sim.reset_stats()
    second = listing(tmp_path, sim, config)
    assert second == first
    assert sim.stats()["requests"] == 0


@pytest.mark.one_release("7.3.0")
def test_errors_are_clear(sim_factory, tmp_path):
    sim = sim_factory("small")
    bad_type = inventory(tmp_path, sim, {"plugin": "openio.sds.conscience",
                                         "types": ["nosuchtype"]}, "--list")
    assert bad_type.returncode != 0
    assert "OpenIO status 453" in bad_type.stdout
    down = inventory(tmp_path, sim, {"plugin": "openio.sds.conscience", "retries": 0,
                                     "proxy_url": "http://127.0.0.1:9"}, "--list")
    assert down.returncode != 0
    assert "cannot reach the service" in down.stdout


@pytest.mark.one_release("7.3.0")
def test_a_play_on_the_meta1_hosts(sim_factory, tmp_path):
    """What a playbook after a bootstrap does: run on each meta1 host, with
    the services of that host from the inventory."""
    sim = sim_factory("small_bootstrapped")
    inv = tmp_path / "oio.conscience.yml"
    inv.write_text(yaml.safe_dump({"plugin": "openio.sds.conscience", "types": ["meta1"]}))
    play = tmp_path / "play.yml"
    play.write_text(yaml.safe_dump([{
        "hosts": "oio_meta1", "gather_facts": False, "connection": "local",
        "tasks": [{"name": "The meta1 services of this host",
                   "ansible.builtin.assert": {"that": [
                       "oio_services | selectattr('type', 'eq', 'meta1') | list | length == 1",
                       "(oio_services | first).addr.startswith(inventory_hostname ~ ':')"]}}]}]))
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(inv), str(play)],
                          env=env_for(tmp_path, sim), cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout
    assert "ok=1" in proc.stdout and proc.stdout.count("ok=1") == 6
