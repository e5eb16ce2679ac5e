"""Safety rails that a playbook cannot check from inside: what ansible-playbook
prints at -vvv (module invocations included) never holds the password of a
proxy_url with user information."""
import os
import re

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "S3cretPw-4711"  # the password playbooks/safety_credentials.yml uses


@pytest.mark.one_release("7.3.0")
def test_credentials_never_printed(sim_factory, run_playbook):
    sim = sim_factory("small")
    result = run_playbook(os.path.join(HERE, "playbooks", "safety_credentials.yml"), sim,
                          args=("-vvv",))
    assert result.rc == 0 and result.failed == 0, result.failure
    # Where a refused task shows its invocation (the format depends on the
    # ansible-core version), the user information of proxy_url is masked.
    shown = re.findall(r'proxy_url["\']?\s*[:=]\s*["\']?(\w+://[^"\'\s]*@)', result.output)
    assert all(url.endswith("********@") for url in shown), shown
    assert SECRET not in result.output
