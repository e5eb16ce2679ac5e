"""Offline stand-in for the get-pip.py bootstrap that ansible-test downloads.

ansible-test --venv fetches get-pip.py from a host that this project's
machines cannot reach. It looks for ~/.ansible/test/cache/get_pip_X_Y.py
first: tools/setup_ansible_test.sh puts this file there, next to the pip
wheel of the pinned version, and this installs pip from that wheel.

A wheel is a zip of what goes into site-packages: unpacking it is the whole
install, where running pip from the wheel to install itself costs seconds of
CPU in each of the ten or so virtualenvs of a sanity run (pip compiled from
the zip, then every one of its files compiled again). Its files are compiled
when first imported instead.
"""
import glob
import os
import sys
import sysconfig
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
VERSION = os.path.basename(__file__)[len("get_pip_"):-len(".py")].replace("_", ".")
WHEEL = os.path.join(HERE, "pip-%s-py3-none-any.whl" % VERSION)
if not os.path.exists(WHEEL):
    candidates = sorted(glob.glob(os.path.join(HERE, "pip-%s*.whl" % VERSION)))
    if not candidates:
        sys.exit("no pip %s wheel next to %s" % (VERSION, __file__))
    WHEEL = candidates[-1]

# get-pip.py's options (--no-setuptools, --no-wheel, --disable-pip-version-check)
# and package pins do not apply: the wheel is the package.
target = sysconfig.get_paths()["purelib"]
with zipfile.ZipFile(WHEEL) as wheel:
    names = wheel.namelist()
    if any(os.path.isabs(name) or ".." in name.split("/") for name in names):
        sys.exit("%s holds a path outside site-packages" % WHEEL)
    wheel.extractall(target)
dist_info = sorted(set(name.split("/")[0] for name in names
                       if name.split("/")[0].endswith(".dist-info")))
for directory in dist_info:
    with open(os.path.join(target, directory, "INSTALLER"), "w") as installer:
        installer.write("pip\n")
print("Successfully installed %s" % ", ".join(d[:-len(".dist-info")] for d in dist_info))
