"""What the tests that start processes share: the environment a reader's shell would give them.

``USER_ENVIRONMENT`` is the environment as the test session began (``conftest.py`` imports
this module before it starts the backend, which changes the environment of this process),
with one change: the compiled programs the backends keep between runs go to a folder of the
test session's own (``CACHE``), not to the reader's ``~/.cache``.
"""

import os
import tempfile

CACHE = tempfile.mkdtemp(prefix="bilstm-companion-tests-")
USER_ENVIRONMENT = {**os.environ, "XDG_CACHE_HOME": CACHE}


def environment(**extra):
    """The environment of a reader who has not set TF_CPP_MIN_LOG_LEVEL, plus ``extra``."""
    variables = {**USER_ENVIRONMENT, "PYTHONUNBUFFERED": "1", **extra}
    variables.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return variables
