# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local files the modules write (the snapshot, the audit report): each
written whole or not at all, so that a reader never sees half a file."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import tempfile

from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput


def write_atomically(path, payload, mode=0o644):
    """Write ``payload`` (bytes) to ``path``: a temporary file in the same
    directory, renamed over it."""
    parent = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s-" % os.path.basename(path), dir=parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_bytes(path):
    """The content of ``path``, or None when there is no such file."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def file_mode(value):
    """An octal permission string (``"0644"``) as a number."""
    try:
        mode = int(str(value), 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o7777:
        raise InvalidInput("mode must be an octal number such as '0644', got %r" % (value,))
    return mode


def check_names(names):
    """File names that are plain names in one directory: no directory part,
    not ``.`` or ``..``, not empty."""
    bad = sorted(n for n in names if not n or n in (".", "..") or "/" in n or "\0" in n)
    if bad:
        raise InvalidInput("files must be named by plain file names, without a directory "
                           "part: %s" % ", ".join(repr(n) for n in bad))


def write_files(path, files, mode=0o644, dir_mode=0o755, check_mode=False):
    """Write ``files`` (``{name: text}``) into the directory ``path``, each
    atomically and only when its content or its mode differs; the directory
    is made when missing. In check mode nothing is written. Returns the names
    written (or to write) and the names left as they were."""
    check_names(files)
    for name, text in files.items():
        if not isinstance(text, str):
            raise InvalidInput("the content of %s must be text, got %s"
                               % (name, type(text).__name__))
    if os.path.exists(path) and not os.path.isdir(path):
        raise InvalidInput("path exists and is not a directory: %s" % path)
    payloads = dict((name, text.encode("utf-8")) for name, text in files.items())
    written, unchanged = [], []
    for name in sorted(payloads):
        target = os.path.join(path, name)
        same = read_bytes(target) == payloads[name] and \
            (os.stat(target).st_mode & 0o7777) == mode
        (unchanged if same else written).append(name)
    if check_mode or not written:
        return written, unchanged
    if not os.path.isdir(path):
        os.makedirs(path, dir_mode)
    for name in written:
        write_atomically(os.path.join(path, name), payloads[name], mode)
    return written, unchanged
