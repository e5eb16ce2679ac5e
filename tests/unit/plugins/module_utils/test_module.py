"""The declarative option rules every module checks before sending anything."""
import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.openio.sds.plugins.module_utils import module as module_utils
from ansible_collections.openio.sds.plugins.module_utils.module import (
    check_ranges, only_with_problem)

RULES = [("check_type", "state", "synced"), ("all_bases", "type", "meta1"),
         ("cid", "all_bases", False)]


def test_an_option_a_state_does_not_take_is_named_with_the_state():
    params = {"check_type": 1, "state": "elected", "type": "meta1", "all_bases": False}
    assert only_with_problem(params, RULES) == \
        "check_type goes with state synced (state is elected)"


def test_zero_is_a_value():
    params = {"check_type": 0, "state": "elected", "type": "meta1", "all_bases": False}
    assert only_with_problem(params, RULES) == \
        "check_type goes with state synced (state is elected)"


def test_unset_options_pass_whatever_the_state():
    for unset in (None, False, [], {}, ""):
        params = {"check_type": unset, "state": "elected", "all_bases": unset, "type": "meta2",
                  "cid": unset}
        assert only_with_problem(params, RULES) is None


def test_booleans_read_as_ansible_writes_them():
    params = {"cid": "0" * 64, "all_bases": True, "type": "meta1", "state": "synced"}
    assert only_with_problem(params, RULES) == "cid goes with all_bases false (all_bases is True)"


def test_several_allowed_values():
    assert only_with_problem({"x": 1, "state": "b"}, [("x", "state", ["a", "b"])]) is None
    assert "x goes with state a or b" in only_with_problem({"x": 1, "state": "c"},
                                                           [("x", "state", ("a", "b"))])


def test_ranges():
    ranges = {"score": (0, 100), "concurrency": (1, None), "ttl": (None, 60)}
    assert check_ranges({"score": 100, "concurrency": 1, "ttl": 60}, ranges) is None
    assert check_ranges({"score": 101}, ranges) == "score must be between 0 and 100, got 101"
    assert check_ranges({"concurrency": 0}, ranges) == "concurrency must be at least 1, got 0"
    assert check_ranges({"ttl": 61}, ranges) == "ttl must be at most 60, got 61"


def test_a_host_without_requests_is_told_which_package_to_install(monkeypatch, capsys):
    """The missing_required_lib idiom: one message naming the package, no
    traceback, nothing sent."""
    monkeypatch.setattr(module_utils, "HAS_REQUESTS", False)
    monkeypatch.setattr(module_utils, "REQUESTS_IMPORT_ERROR", "ImportError: no requests")
    args = {"proxy_url": "http://127.0.0.1:1", "namespace": "OPENIO"}
    with patch_module_args(args), pytest.raises(SystemExit):
        module_utils.OioModule()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"]
    assert "Failed to import the required Python library (requests)" in result["msg"]
