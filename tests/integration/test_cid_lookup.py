"""The lookup openio.sds.cid against the cids that a real 7.3.0 proxy
computed: every captured exchange whose request names an account and a
reference and whose answer carries the cid."""
import os
import re
from urllib.parse import parse_qs, urlsplit

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRANSCRIPTS = os.path.join(ROOT, "tests", "conformance", "transcripts")
CID_IN_BODY = re.compile(r'"cid":"([0-9A-F]{64})"')
URL = re.compile(r"'(http://[^']+)'")


def real_pairs():
    """{(account, reference): cid} from the transcripts."""
    pairs = {}
    for name in sorted(os.listdir(TRANSCRIPTS)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(TRANSCRIPTS, name)) as fh:
            text = fh.read()
        command = next((line for line in text.splitlines() if line.startswith("# command:")), "")
        url = URL.search(command)
        body = text.split("=== RESPONSE BODY", 1)[-1]
        found = CID_IN_BODY.search(body)
        if not url or not found:
            continue
        query = parse_qs(urlsplit(url.group(1)).query)
        if "acct" in query and "ref" in query:
            pairs[(query["acct"][0], query["ref"][0])] = found.group(1)
    return pairs


def test_transcripts_hold_distinct_real_pairs():
    pairs = real_pairs()
    assert len(pairs) >= 3
    assert pairs[("lab_acct", "lab_ref1")] == \
        "EE3038EF0349B143F1876FBB2139163A116C0753C981BE107C952ED90B38A004"
    assert ("_RDIR", "127.0.0.1:6013") in pairs


def test_lookup_gives_the_cids_of_the_proxy(run_playbook, tmp_path):
    pairs = [{"account": a, "reference": r, "cid": c} for (a, r), c in sorted(real_pairs().items())]
    play = tmp_path / "cid.yml"
    play.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [
            {"name": "One cid per pair",
             "ansible.builtin.assert": {"that": [
                 "lookup('openio.sds.cid', account=item.account, reference=item.reference)"
                 " == item.cid"]},
             "loop": pairs},
            {"name": "Several references of one account as terms",
             "ansible.builtin.assert": {"that": [
                 "query('openio.sds.cid', 'lab_ref1', 'lab_admin_ref', account='lab_acct') =="
                 " ['EE3038EF0349B143F1876FBB2139163A116C0753C981BE107C952ED90B38A004',"
                 " '7D2A715B9CBF1E21223ED68C4325B15BE1D8F8B2C27E4644669F64558357E0AA']"]}},
            {"name": "No account",
             "ansible.builtin.debug": {"msg": "{{ lookup('openio.sds.cid', reference='x') }}"},
             "register": "no_account", "ignore_errors": True},
            {"name": "A reference the proxy would truncate",
             "ansible.builtin.debug": {
                 "msg": "{{ lookup('openio.sds.cid', account='a', reference='r' * 1024) }}"},
             "register": "too_long", "ignore_errors": True},
            {"name": "Neither reference nor terms",
             "ansible.builtin.debug": {"msg": "{{ lookup('openio.sds.cid', account='a') }}"},
             "register": "nothing", "ignore_errors": True},
            {"name": "Clear errors",
             "ansible.builtin.assert": {"that": [
                 "no_account is failed", "'account' in no_account.msg",
                 "too_long is failed", "'longer than 1023 bytes' in too_long.msg",
                 "nothing is failed", "'give a reference' in nothing.msg"]}},
        ]}]))
    result = run_playbook(str(play))
    assert result.rc == 0 and result.failed == 0
