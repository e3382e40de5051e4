"""Start Keras' backend once for the whole session, as a script's main would, quietly and on
the CPU; each test starts with no stop asked for.

Importing the project changes nothing in this process (``tests/test_imports.py`` checks it):
this file starts the backend itself, after ``processes`` has kept the environment as the
session began, for the processes the tests start.
"""

import processes  # noqa: F401  (first: it keeps the environment before the backend changes it)
import pytest

from harness import startup
from harness.stopping import STOP

startup.start_backend("cpu", compile_cache=False)  # (no compiled programs kept in your ~/.cache)


@pytest.fixture(autouse=True)
def no_stop_asked():
    STOP.reset()
    yield
    STOP.reset()
