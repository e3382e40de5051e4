"""What the tests that start processes share: the environment a reader's shell would give them.

``USER_ENVIRONMENT`` is the environment as the test session began (``conftest.py`` imports
this module before it starts the backend, which changes the environment of this process),
with one change: the compiled programs the backends keep between runs go to a folder of the
test session's own (``CACHE``), not to the reader's ``~/.cache``.
"""

import os
import tempfile

# One folder for the whole session: pytest-xdist's workers, and the pytest of another backend
# that tests/test_backends.py starts, inherit it from the process that made it.
CACHE = os.environ.get("BILSTM_COMPANION_TEST_CACHE") or tempfile.mkdtemp(prefix="bilstm-companion-tests-")
os.environ["BILSTM_COMPANION_TEST_CACHE"] = CACHE
# XLA compiles the tests' programs without LLVM's optimizations: the tests' programs are tiny
# and run a few steps each, so compiling dominates, and this halves it. It can move the last
# bits of a float32 (the README's example on JAX gave other bytes), so the reference files
# are written under it (reference_runs.py); a process a test starts as a reader would run it
# compiles as a reader's does.
TEST_XLA_FLAGS = "--xla_backend_optimization_level=0"
USER_ENVIRONMENT = {**os.environ, "XDG_CACHE_HOME": CACHE}
if CACHE in USER_ENVIRONMENT.get("TF_XLA_FLAGS", ""):  # the session's own, inherited by xdist's workers
    del USER_ENVIRONMENT["TF_XLA_FLAGS"]
if USER_ENVIRONMENT.get("XLA_FLAGS") == TEST_XLA_FLAGS:  # (the same)
    del USER_ENVIRONMENT["XLA_FLAGS"]


def environment(**extra):
    """The environment of a reader who has not set TF_CPP_MIN_LOG_LEVEL, plus ``extra``."""
    variables = {**USER_ENVIRONMENT, "PYTHONUNBUFFERED": "1", **extra}
    variables.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return variables
