"""Puts the replay helpers and the simulator on sys.path.

The pass rate at the end of a run comes from tests/conftest.py: pytest-xdist's
controller loads that one, not this one.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
for path in (HERE, os.path.join(os.path.dirname(HERE), "simulator")):
    if path not in sys.path:
        sys.path.insert(0, path)
