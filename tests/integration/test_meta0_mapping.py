"""oio_meta0_mapping through ansible-playbook, for what a target playbook
cannot easily express: a restore from a real ``meta0_list`` dump file into
an empty meta0, and the size and content of the check-mode diff."""
import json

import pytest
import requests


def meta0_list(sim):
    resp = requests.get("%s/v3.0/%s/admin/meta0_list" % (sim.proxy_url, sim.namespace), timeout=60)
    resp.raise_for_status()
    return resp.json()


@pytest.mark.one_release("2026.14")
def test_restore_a_dump_into_an_empty_meta0(tmp_path, sim_factory, run_playbook, write_play):
    """A restore read from a file (mapping_src): a bad file or both
    options are refused before any write; a real meta0_list dump is
    restored with one force; a snapshot of the result restores nothing
    more."""
    source = sim_factory("small_bootstrapped")
    dump = meta0_list(source)
    assert len(dump) == 65536
    dump_file = tmp_path / "meta0.json"
    dump_file.write_text(json.dumps(dump))
    (tmp_path / "list.json").write_text(json.dumps(sorted(dump)))
    (tmp_path / "broken.json").write_text(json.dumps(dump)[:1000])

    target = sim_factory("small")  # same services, meta0 empty
    assert meta0_list(target) == {}
    play = write_play("restore.yml", """
    - name: Restores from files that are not mappings, or with both options
      openio.sds.oio_meta0_mapping:
        state: present
        mapping_src: "{{ item.src | default(omit) }}"
        mapping: "{{ item.mapping | default(omit) }}"
      loop:
        - {src: "{{ dir }}/missing.json"}
        - {src: "{{ dir }}/broken.json"}
        - {src: "{{ dir }}/list.json"}
        - {src: "{{ dir }}/meta0.json", mapping: {"00": ["127.21.0.1:6101"]}}
      register: bad
      ignore_errors: true
    - name: Refused before any write, saying why
      oiosim.testing.control: {writes: none}
    - ansible.builtin.assert:
        that:
          - bad.results | rejectattr('failed') | list == []
          - "'cannot read the mapping file' in bad.results[0].msg"
          - "'is not JSON' in bad.results[1].msg"
          - "'not an object of prefixes' in bad.results[2].msg"
          - "'mutually exclusive' in bad.results[3].msg"
    - name: Restore
      openio.sds.oio_meta0_mapping:
        state: present
        mapping_src: "{{ dir }}/meta0.json"
      register: first
    - name: Snapshot the namespace restored
      openio.sds.oio_namespace_snapshot:
        dest: "{{ dir }}/snapshot.json.gz"
    - name: Restore again, from the snapshot
      openio.sds.oio_meta0_mapping:
        state: present
        mapping_src: "{{ dir }}/snapshot.json.gz"
      register: second
    - ansible.builtin.assert:
        that:
          - first is changed
          - first.operation == 'restore'
          - first.apply.forced_prefixes == 65536
          - first.warnings is not defined
          - second is not changed
""")
    result = run_playbook(play, target, extra_vars={"dir": str(tmp_path)})
    assert result.rc == 0 and result.failed == 0
    assert meta0_list(target) == dump
    forces = [w for w in target.writes() if "meta0_force" in w["path"]]
    # The first force of an empty meta0 must hold every prefix: one request.
    assert len(forces) == 1


@pytest.mark.one_release("7.3.0")
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
