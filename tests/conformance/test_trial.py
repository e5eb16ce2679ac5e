"""What the end-to-end trial against a real 7.3.0 namespace showed, replayed
against the simulator (``trial`` preset: the same 3 meta0 and 4 meta1).

The captures are in ``transcripts-trial/`` (from the shared spec):
01/02 meta0 serves every list sorted whatever order was forced; 03/04/06 a
meta1 that meta0 no longer names but that is still the master of a base
answers 431 "Base not managed", and its peers cannot elect (503 "Election
failed" on writes) until it leaves the election; base copies stay on a
service until they are removed; an election runs among the base's
``sys.peers``.
"""
import json
import os
import re

import pytest
import requests

from compare import shape_problems

HERE = os.path.dirname(os.path.abspath(__file__))
TRIAL = os.path.join(HERE, "transcripts-trial")
M1, M2, M3, M4 = ("127.0.0.1:%d" % p for p in (6009, 6010, 6011, 6012))
BASE = "0005"
CID = BASE.ljust(64, "0")


def exchanges(name):
    """``[(request line, body, status, response body)]`` of a trial capture."""
    with open(os.path.join(TRIAL, name)) as fh:
        text = fh.read()
    out = []
    for chunk in text.split("\n## request\n")[1:]:
        sections = dict((s.split("\n", 1) + [""])[:2] for s in ("request\n" + chunk).split("\n## "))
        request = sections["request"].strip().split("\n")
        body = "\n".join(line for k, v in sections.items() if k.startswith("body")
                         for line in v.split("\n") if not line.startswith("#")).strip()
        out.append((request[0], "\n".join(request[1:]), int(sections["status"].strip()),
                    json.loads(body) if body else None))
    return out


class Proxy(object):
    def __init__(self, sim):
        self.base = "%s/v3.0/%s/" % (sim.proxy_url, sim.namespace)

    def post(self, route, body=None, **params):
        return requests.post(self.base + route, params=params, timeout=30,
                             data=json.dumps(body) if body is not None else None)

    def meta0(self):
        return requests.get(self.base + "admin/meta0_list", timeout=60).json()

    def status(self, **extra):
        resp = self.post("admin/status", type="meta1", cid=CID, **extra)
        assert resp.status_code == 200, resp.text
        return dict((a, (r["status"]["status"], r["status"]["message"]))
                    for a, r in resp.json().items())


@pytest.fixture
def proxy(sim_factory):
    # The trial ran against 7.3.0: its captures are 7.3.0 answers.
    return Proxy(sim_factory("trial", release="7.3.0", bootstrapped=True))


def test_meta0_serves_each_list_sorted_whatever_order_was_forced(proxy):
    (line, body, status, dummy), = exchanges("01-meta0_force-unsorted-list.txt")
    assert line == "POST /v3.0/OPENIO/admin/meta0_force"
    resp = proxy.post("admin/meta0_force", json.loads(body))
    assert resp.status_code == status == 204
    (dummy, dummy, status, served), = exchanges("02-meta0_list-after-unsorted-force.txt")
    mapping = proxy.meta0()
    assert mapping["0000"] == served["0000"] == sorted(json.loads(body)["0000"])
    assert all(lst == sorted(lst) for lst in mapping.values())


def _departed_master(proxy):
    """Base 0005 (on M4 and two others, M4 elected) moves from M4 to the
    fourth meta1 as the trial's decommission of M4 did: sys.peers set, copy,
    one meta0 force, the proxy's cache flushed; M4 did not leave."""
    peers = proxy.meta0()[BASE]
    assert M4 in peers
    new = sorted(set(peers) - set([M4]) | (set([M1, M2, M3]) - set(peers)))
    for dummy in range(3):
        if proxy.status().get(M4, (0,))[0] == 200:
            break
        proxy.post("admin/leave", type="meta1", cid=CID)
    assert proxy.status()[M4] == (200, "OK")
    assert proxy.post("admin/set_properties", {"system": {"sys.peers": ",".join(new)}},
                      type="meta1", cid=CID).status_code == 200
    for to in set(new) - set(peers):
        assert proxy.post("admin/copy", {"to": to, "from": M4},
                          type="meta1", cid=CID).status_code == 204
    assert proxy.post("admin/meta0_force", {BASE: new}).status_code == 204
    assert requests.post(proxy.base.split("/v3.0/")[0] + "/v3.0/cache/flush/high",
                         timeout=30).status_code == 204
    return new


def test_a_master_meta0_no_longer_names_breaks_the_election_until_it_leaves(proxy):
    _departed_master(proxy)
    # It no longer manages the base (06: "get_peers(...): Base not managed").
    code, message = proxy.status(service_id=M4)[M4]
    assert code == 431 and "Base not managed" in message
    # Its former peers wait for it: the election fails, writes get 503 (04, 06).
    assert all(code == 500 for code, dummy in proxy.status().values())
    resp = proxy.post("admin/set_properties", {"properties": {"k": "v"}},
                      type="meta1", cid=CID)
    assert resp.status_code == 503
    assert re.match(r"Election failed \[%s\]\[meta1\]" % BASE, resp.json()["message"])
    # Once it left, the new peers elect a master (03: one 200, two 303).
    assert proxy.post("admin/leave", type="meta1", cid=CID,
                      service_id=",".join([M1, M2, M3, M4])).status_code == 200
    (dummy, dummy, status, expected), = exchanges(
        "03-election-status-meta1-after-decommission-force.txt")
    resp = proxy.post("admin/status", type="meta1", cid=CID)
    assert resp.status_code == status
    assert shape_problems(expected, resp.json()) == []
    codes = sorted(code for code, dummy in proxy.status().values())
    assert codes == [200, 303, 303]


def test_copies_stay_on_a_service_until_removed(proxy):
    _departed_master(proxy)
    has = proxy.post("admin/has", type="meta1", cid=CID, service_id=M4).json()
    assert has[M4]["status"]["status"] == 200
    assert proxy.post("admin/remove", type="meta1", cid=CID, service_id=M4).status_code == 200
    has = proxy.post("admin/has", type="meta1", cid=CID, service_id=M4).json()
    assert has[M4]["status"]["status"] == 431


def test_the_election_runs_among_the_sys_peers(proxy):
    assert proxy.post("admin/meta0_force", {BASE: [M1, M2, M3]}).status_code == 204
    # M1 comes first in address order, but sys.peers leaves it out (04: the
    # base's peers are what sys.peers says, not what meta0 says).
    assert proxy.post("admin/set_properties", {"system": {"sys.peers": ",".join([M2, M3, M4])}},
                      type="meta1", cid=CID).status_code == 200
    (dummy, dummy, dummy, props), = exchanges("04-set_properties-election-failed.txt")
    assert "sys.peers" in props["system"]
    for dummy in range(3):
        assert proxy.post("admin/leave", type="meta1", cid=CID).status_code == 200
        status = proxy.status()
        masters = [a for a, (code, dummy) in status.items() if code == 200]
        assert len(masters) == 1 and masters[0] in (M2, M3)
