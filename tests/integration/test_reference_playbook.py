"""oio_reference through ansible-playbook, for what is easier to check from Python:
a whole playbook in --check --diff sends nothing and prints a short diff, and
the cid reported matches the one the proxy keys the reference by, for a name
made of the characters a URL escapes."""
import hashlib

import pytest
import requests

TASKS = """
    - openio.sds.oio_reference:
        account: "{{ acct }}"
        reference: "{{ ref }}"
        properties: "{{ props }}"
        purge_properties: true
        services:
          - {type: rdir, host: "{{ rdir }}"}
      register: result
    - ansible.builtin.copy:
        content: "{{ result | to_json }}"
        dest: "{{ out }}"
      check_mode: false
      changed_when: false
      diff: false
"""

NAME = "sub/dir?q=1&r=%41 b+c \u00fc\u20ac"


def _show(sim, acct, ref):
    url = "%s/v3.0/%s/reference/show" % (sim.proxy_url, sim.namespace)
    return requests.get(url, params={"acct": acct, "ref": ref}, timeout=10)


def _run(run_playbook, write_play, sim, tmp_path, props, rdir, **kw):
    import json
    path = write_play("play.yml", TASKS)
    out = tmp_path / "result.json"
    extra = {"acct": "py_acct", "ref": NAME, "props": props, "rdir": rdir, "out": str(out)}
    res = run_playbook(path, sim, extra_vars=extra, **kw)
    assert res.rc == 0, res.output
    return res, json.loads(out.read_text())


@pytest.mark.one_release("7.3.0")
def test_check_diff_playbook_sends_nothing(sim_factory, run_playbook, write_play, tmp_path):
    sim = sim_factory(preset="small_bootstrapped")
    rdirs = sorted(sim.rdir_urls)
    big = {"k%02d" % i: "v" * 300 for i in range(3)}
    res, first = _run(run_playbook, write_play, sim, tmp_path, big, rdirs[0])
    assert res.changed == 1 and first["exists"]

    # The cid reported is the proxy's, and OpenIO's formula.
    shown = _show(sim, "py_acct", NAME).json()
    assert first["cid"] == shown["cid"]
    assert first["cid"] == hashlib.sha256(
        b"py_acct\x00" + NAME.encode("utf-8")).hexdigest().upper()
    assert shown["name"] == NAME

    sim.reset_writes()
    res, predicted = _run(run_playbook, write_play, sim, tmp_path, {"k00": "new"}, rdirs[1],
                          check=True, diff=True)
    assert sim.writes() == []
    assert res.changed == 1
    assert predicted["properties"] == {"k00": "new"}
    assert predicted["services"][0]["host"] == rdirs[1]
    # Long values are shortened in the diff, and it says what moved.
    assert "rdir seq 1: %s" % rdirs[1] in res.output
    assert "v" * 200 not in res.output
    assert "(300 chars)" in res.output
    # That a real run then does what was predicted, and one more changes
    # nothing: the module's own tests (tests/unit/plugins/modules).
