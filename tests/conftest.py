"""Start Keras through harness.startup first, as the scripts do, so its start-up noise stays hidden.

The scripts answer stop signals from their first moment (harness/stopping.py); this test
session keeps pytest's own Ctrl-C, and each test starts with no stop asked for.
"""

from harness import startup  # noqa: F401, I001  (first, as in the scripts)
from harness.stopping import STOP

import pytest

STOP.uninstall()


@pytest.fixture(autouse=True)
def no_stop_asked():
    STOP.reset()
    yield
    STOP.reset()
