"""One owner of the namespace facts: the modules read them with one rule."""
import pytest

from ansible_collections.openio.sds.plugins.module_utils.client import OioClient
from ansible_collections.openio.sds.plugins.module_utils.namespace import NamespaceError, facts


@pytest.mark.one_release("2026.14")
def test_a_bad_meta1_digits_gets_one_answer_from_every_module(
        sim_factory, write_play, run_playbook):
    sim = sim_factory("small_bootstrapped", options={"meta1_digits": "x"})
    with pytest.raises(NamespaceError) as caught:
        facts(OioClient(sim.proxy_url, sim.namespace)).meta1_digits()
    message = "namespace option meta1_digits='x' is not an integer"
    assert message in str(caught.value)
    play = write_play("digits.yml", """
    - name: The election scan reads the digits
      openio.sds.oio_meta1_elections_info:
      register: scan
      ignore_errors: true
    - name: The mapping check reads them too
      openio.sds.oio_meta0_mapping_info:
      register: mapping
      ignore_errors: true
    - name: Both refuse the namespace with the same message
      ansible.builtin.assert:
        that:
          - scan is failed and mapping is failed
          - scan.msg == mapping.msg
          - "'meta1_digits' in scan.msg and 'is not an integer' in scan.msg"
""")
    result = run_playbook(play, sim)
    assert result.rc == 0 and result.failed == 0
