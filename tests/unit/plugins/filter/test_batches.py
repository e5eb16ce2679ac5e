"""The batch loops' arithmetic and labels (plugins/filter/batches.py)."""
import pytest

from ansible_collections.openio.sds.plugins.filter.batches import batch_count, batch_progress


def test_batch_count():
    assert batch_count(49152, 3000) == 17
    assert batch_count("6000", "3000") == 2
    assert batch_count(0, 10) == 0
    with pytest.raises(ValueError, match="at least one item"):
        batch_count(10, 0)


def test_a_batch_that_ran_counts_what_it_moved():
    label = batch_progress({"moves_count": 3000, "changed": True}, 3, 17, 3000, 49152,
                           started=100, now=280)
    assert label == "batch 3/17: 9,000 of 49,152 replicas moved, 3 min 0 s, about 14 min 0 s left"


def test_the_last_batch_counts_no_more_than_the_total():
    label = batch_progress({"moves_count": 1152}, 17, 17, 3000, 49152, started=0, now=60)
    assert label.startswith("batch 17/17: 49,152 of 49,152 replicas moved")


def test_a_failed_batch_says_so_with_what_was_done_before_it():
    # A failed module's moves_count is what it planned, not what it did.
    label = batch_progress({"failed": True, "moves_count": 3000}, 3, 17, 3000, 49152,
                           started=0, now=131)
    assert label == ("batch 3/17 failed: 6,000 of 49,152 replicas moved before it, "
                     "2 min 11 s; run again to go on")


def test_a_failed_batch_counts_what_its_result_says_it_moved():
    label = batch_progress({"failed": True, "moved": [{"container": "a"}]}, 2, 5, 3, 13,
                           started=0, now=1, unit="bases moved")
    assert label.startswith("batch 2/5 failed: 4 of 13 bases moved (1 in this batch)")


def test_a_count_kept_by_the_role():
    assert batch_progress({}, 1, 2, 1, 2, started=0, now=1, done=1,
                          unit="volumes reassigned").startswith("batch 1/2: 1 of 2 volumes reassigned")
    assert batch_progress({"failed": True}, 1, 3, 1, 3, started=0, now=1, done=1,
                          unit="volumes reassigned").startswith(
        "batch 1/3 failed: 1 of 3 volumes reassigned, ")
