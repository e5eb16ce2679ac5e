"""meta0 payloads without a server: validation, user mappings, the moves
and the diff summary. The apply itself is tested against the simulator
(tests/library/test_meta1_moves.py)."""
import pytest

from ansible_collections.openio.sds.plugins.module_utils.meta0 import model as meta0_model
from ansible_collections.openio.sds.plugins.module_utils.meta0 import plan as meta0_plan
from ansible_collections.openio.sds.plugins.module_utils.meta0.model import PayloadError, normalize_user_mapping, validate_payload

A, B, C, D, E = ("10.0.0.%d:6110" % i for i in range(1, 6))


# ---------------------------------------------------------------------------
# Validation

def full_payload(addrs=(A, B, C)):
    return dict(("%04X" % p, list(addrs)) for p in range(65536))


def test_valid_partial_and_full_payloads():
    assert validate_payload({"0001": [A, B, C]})
    assert validate_payload(full_payload(), full=True)


@pytest.mark.parametrize("payload, words", [
    ({"0001": A}, "non-empty list"),                      # crashes a real meta0
    ({"0001": []}, "non-empty list"),
    ({"0001": [A, 6110]}, "not an IP:PORT"),
    ({"0001": [A, "meta1-1"]}, "not an IP:PORT"),
    ({"0001": [A, A]}, "twice"),
    ({"00": [A]}, "4-char"),
    ({"ZZZZ": [A]}, "4-char"),
    ({"abcd": [A]}, "4-char"),
    ({}, "non-empty object"),
    ([["0001", [A]]], "non-empty object"),
])
def test_refused_payloads(payload, words):
    with pytest.raises(PayloadError) as exc:
        validate_payload(payload)
    assert words in str(exc.value)


def test_first_force_needs_every_prefix():
    payload = full_payload()
    del payload["FFFF"]
    with pytest.raises(PayloadError, match="all 65536 prefixes"):
        validate_payload(payload, full=True)


def test_user_mapping_by_base_keys_expands_to_prefixes():
    mapping = dict(("%02X" % b, [A, B, C]) for b in range(256))
    prefixes = normalize_user_mapping(mapping, 2)
    assert len(prefixes) == 65536
    assert prefixes["AB12"] == [A, B, C]


def test_user_mapping_as_a_dump():
    prefixes = normalize_user_mapping(full_payload(), 2)
    assert len(prefixes) == 65536


@pytest.mark.parametrize("mapping, words", [
    ({"00": [A, B, C]}, "misses 255 of the 256 bases"),
    ({"00": [A, B, C], "0001": [A, B, C]}, "mapping keys must be"),
    (dict(("%02X" % b, "%s,%s" % (A, B)) for b in range(256)), "non-empty list"),
    (dict(("%02X" % b, [A, B, C]) for b in range(255)), "first: 'FF'"),
    ({}, "non-empty dict"),
])
def test_bad_user_mappings(mapping, words):
    with pytest.raises(PayloadError) as exc:
        normalize_user_mapping(mapping, 2)
    assert words in str(exc.value)


def test_moves_and_diff_summary():
    current = {"00": [A, B, C], "01": [A, B, C], "02": [C, B, A]}
    target = {"00": [A, B, D], "01": [E, D, C], "02": [A, B, C]}
    assert meta0_model.moved_bases(current, target) == ["00", "01"]
    moves = meta0_plan.replica_moves(current, target)
    assert moves == [("00", C, D), ("01", A, E), ("01", B, D)]
    before, after = meta0_plan.diff_summary(meta0_plan.bases_per_service(current),
                                            meta0_plan.bases_per_service(target), moves)
    assert after["moved_bases"] == 2 and after["moved_replicas"] == 3
    assert before["bases_per_meta1"][C] == 3 and after["bases_per_meta1"][E] == 1
