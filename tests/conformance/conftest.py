"""Puts the replay helpers on sys.path.

The pass rate at the end of a run comes from tests/conftest.py: pytest-xdist's
controller loads that one, not this one.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# compare.py and replay.py sit beside the tests (tests/conftest.py has put
# the simulator on the path).
if HERE not in sys.path:
    sys.path.insert(0, HERE)
