"""Offline stand-in for the get-pip.py bootstrap that ansible-test downloads.

ansible-test --venv fetches get-pip.py from a host that this project's
machines cannot reach. It looks for ~/.ansible/test/cache/get_pip_X_Y.py
first: tools/setup_ansible_test.sh puts this file there, next to the pip
wheel of the pinned version, and this installs pip from that wheel.
"""
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VERSION = os.path.basename(__file__)[len("get_pip_"):-len(".py")].replace("_", ".")
WHEEL = os.path.join(HERE, "pip-%s-py3-none-any.whl" % VERSION)
if not os.path.exists(WHEEL):
    candidates = sorted(glob.glob(os.path.join(HERE, "pip-%s*.whl" % VERSION)))
    if not candidates:
        sys.exit("no pip %s wheel next to %s" % (VERSION, __file__))
    WHEEL = candidates[-1]

sys.path.insert(0, WHEEL)
from pip._internal.cli.main import main  # noqa: E402  pylint: disable=wrong-import-position

# get-pip.py options that pip install does not know; package pins are
# replaced by the wheel itself.
SKIP = ("--no-setuptools", "--no-wheel")
options = [a for a in sys.argv[1:] if a.startswith("-") and a not in SKIP]
sys.exit(main(["install", "--no-index", WHEEL] + options))
