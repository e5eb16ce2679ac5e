# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The arithmetic of the roles' batch loops, in one place: how many batches,
and what a batch's label says once it ran."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time


def batch_count(total, size):
    total, size = int(total), int(size)
    if size < 1:
        raise ValueError("a batch holds at least one item, got a size of %d" % size)
    return max(0, (total + size - 1) // size)


def _minutes(seconds):
    seconds = max(0, int(seconds))
    return "%d min %d s" % (seconds // 60, seconds % 60)


def batch_progress(result, batch, batches, size, total, started, unit="replicas moved",
                   done=None, now=None):
    """The label of batch ``batch`` of ``batches`` once it ran, from its own
    registered ``result``: what the run has done then, never what the batch
    was meant to do. ``done``: the count so far when the role keeps it;
    else the full batches before this one, plus this one's ``moves_count``
    when it succeeded, or the length of its ``moved`` list when it failed
    (a failed module's ``moves_count`` is what it planned)."""
    batch, batches, size, total = int(batch), int(batches), int(size), int(total)
    result = result if isinstance(result, dict) else {}
    failed = bool(result.get("failed"))
    before = min((batch - 1) * size, total)
    elapsed = (time.time() if now is None else float(now)) - float(started)
    if failed:
        moved = result.get("moved")
        here = len(moved) if isinstance(moved, list) else None
        if done is not None:
            detail = ""
        elif here is None:
            done, detail = before, " before it"
        else:
            done, detail = before + here, " (%s in this batch)" % "{:,}".format(here)
        return "batch %d/%d failed: %s of %s %s%s, %s; run again to go on" % (
            batch, batches, "{:,}".format(int(done)), "{:,}".format(total), unit, detail,
            _minutes(elapsed))
    if done is None:
        done = min(before + int(result.get("moves_count") or 0), total)
    left = elapsed / batch * (batches - batch) if batch > 0 else 0
    return "batch %d/%d: %s of %s %s, %s, about %s left" % (
        batch, batches, "{:,}".format(int(done)), "{:,}".format(total), unit,
        _minutes(elapsed), _minutes(left))


class FilterModule(object):
    def filters(self):
        return {"batch_count": batch_count, "batch_progress": batch_progress}
