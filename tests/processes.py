"""What the tests that start processes share: the environment a reader's shell would give them.

``USER_ENVIRONMENT`` is the environment as the test session began (``conftest.py`` imports
this module before it starts the backend, which changes the environment of this process).
"""

import os

USER_ENVIRONMENT = dict(os.environ)


def environment(**extra):
    """The environment of a reader who has not set TF_CPP_MIN_LOG_LEVEL, plus ``extra``."""
    variables = {**USER_ENVIRONMENT, "PYTHONUNBUFFERED": "1", **extra}
    variables.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return variables
