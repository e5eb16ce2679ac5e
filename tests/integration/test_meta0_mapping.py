"""oio_meta0_mapping through ansible-playbook, for what a target playbook
cannot easily express: a restore from a real ``meta0_list`` dump into an
empty meta0, and the size and content of the check-mode diff."""
import json

import requests


def meta0_list(sim):
    resp = requests.get("%s/v3.0/%s/admin/meta0_list" % (sim.proxy_url, sim.namespace), timeout=60)
    resp.raise_for_status()
    return resp.json()


def test_restore_a_dump_into_an_empty_meta0(tmp_path, sim_factory, run_playbook, write_play):
    source = sim_factory("small_bootstrapped")
    dump = meta0_list(source)
    assert len(dump) == 65536
    dump_file = tmp_path / "meta0.json"
    dump_file.write_text(json.dumps(dump))

    target = sim_factory("small")  # same services, meta0 empty
    assert meta0_list(target) == {}
    play = write_play("restore.yml", """
    - name: Restore
      openio.sds.oio_meta0_mapping:
        state: present
        mapping: "{{ lookup('ansible.builtin.file', dump) | from_json }}"
      register: first
    - name: Restore again
      openio.sds.oio_meta0_mapping:
        state: present
        mapping: "{{ lookup('ansible.builtin.file', dump) | from_json }}"
      register: second
    - ansible.builtin.assert:
        that:
          - first is changed
          - first.operation == 'restore'
          - first.apply.forced_prefixes == 65536
          - first.warnings is not defined
          - second is not changed
""")
    result = run_playbook(play, target, extra_vars={"dump": str(dump_file)})
    assert result.rc == 0 and result.failed == 0
    assert meta0_list(target) == dump
    forces = [w for w in target.writes() if "meta0_force" in w["path"]]
    # The first force of an empty meta0 must hold every prefix: one request.
    assert len(forces) == 1


def test_check_mode_diff_is_a_summary(tmp_path, sim_factory, run_playbook, write_play):
    sim = sim_factory("small_bootstrapped")
    for i, rack in ((7, 1), (8, 2), (9, 3)):
        sim.add_service({"type": "meta1", "addr": "127.21.0.%d:6101" % i, "score": 80,
                         "location": "site1.rack%d.host%d.meta1-%d" % (rack, i, i)})
    sim.reset_writes()
    play = write_play("diff.yml", """
    - name: Rebalance
      openio.sds.oio_meta0_mapping:
        state: balanced
      register: plan
    - ansible.builtin.assert:
        that:
          - plan is changed
          - plan.moves_count > 0
          - plan.moves is not defined
          - plan.mapping is not defined
""")
    result = run_playbook(play, sim, check=True, diff=True)
    assert result.rc == 0 and result.failed == 0 and result.changed == 1
    assert sim.writes() == []
    out = result.output
    assert '"moved_bases"' in out or "moved_bases" in out
    assert "bases_per_meta1" in out
    assert "127.21.0.7:6101" in out
    # No mapping in the diff: no 4-hex prefix key, and a few KB at most.
    assert '"0000"' not in out and '"AB"' not in out
    assert len(out) < 20000, len(out)
