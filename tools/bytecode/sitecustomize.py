"""A bytecode cache for the modules that ansible-playbook runs in the tests.

Each module task ships its code in an AnsiballZ zip that Python imports with
zipimport, which writes no .pyc: every task compiles ansible.module_utils and
the collection's module_utils again, about 0.3 s of CPU, a quarter of a
module's run. The integration tests run several hundred tasks.

Loaded at interpreter start-up through PYTHONPATH (tests/integration/conftest.py;
tools/test.sh for the documented commands and molecule), this keeps the code
compiled from a zip's source in OIO_TEST_BYTECODE_CACHE, under the hash of that
source, and gives it the file name of the zip being imported. The code run is
the code Python would compile; only the compiling is shared. Without the
variable, or on a Python whose zipimport differs, nothing changes.
"""
import hashlib
import importlib.util
import marshal
import os
import zipimport

CACHE = os.environ.get("OIO_TEST_BYTECODE_CACHE")
COMPILE = getattr(zipimport, "_compile_source", None)


def with_filename(code, filename):
    """``code`` and the code objects it holds, as compiled from ``filename``."""
    consts = tuple(with_filename(c, filename) if isinstance(c, type(code)) else c
                   for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def compile_source(pathname, source):
    digest = hashlib.sha256(importlib.util.MAGIC_NUMBER + source).hexdigest()
    path = os.path.join(CACHE, digest[:2], digest)
    try:
        with open(path, "rb") as handle:
            return with_filename(marshal.load(handle), pathname)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    code = COMPILE(pathname, source)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        part = "%s.%d" % (path, os.getpid())
        with open(part, "wb") as handle:
            marshal.dump(code, handle)
        os.replace(part, path)  # whole or not at all, for the other workers
    except OSError:
        pass
    return code


if CACHE and COMPILE is not None:
    zipimport._compile_source = compile_source
