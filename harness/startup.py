"""What happens before Keras is imported: the backend check and a quiet TensorFlow start.

Every script imports ``harness.startup`` (through ``harness.cli``) before ``keras``. It
refuses a ``KERAS_BACKEND`` whose package is missing, in one line, and loads TensorFlow
with its start-up log noise hidden, unless ``TF_CPP_MIN_LOG_LEVEL`` is already set (then
TensorFlow logs as you asked).
"""

import importlib.util
import os
import sys
from pathlib import Path


def fail(message):
    """Print one line on stderr and exit with status 2, as argparse does for bad input."""
    prog = Path(sys.argv[0]).name or "python"
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _import_tensorflow_quietly():
    """Import TensorFlow with its C++ start-up messages silenced.

    ``TF_CPP_MIN_LOG_LEVEL`` hides most of them, but a few are written to the stderr file
    descriptor before TensorFlow reads it, so that descriptor is pointed at /dev/null for
    the import itself. Errors raised by the import still reach the user as exceptions.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
        return
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend != "tensorflow" or importlib.util.find_spec("tensorflow") is None:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        # TensorFlow has read the level by now and keeps it; programs this process starts
        # get the environment the user had.
        del os.environ["TF_CPP_MIN_LOG_LEVEL"]


def _refuse_missing_backend():
    """Refuse, before Keras is imported, a KERAS_BACKEND whose package is not installed."""
    backend = os.environ.get("KERAS_BACKEND")
    if backend and backend != "tensorflow" and importlib.util.find_spec(backend) is None:
        fail(
            f"KERAS_BACKEND={backend} but {backend} is not installed; this project trains "
            "with TensorFlow: unset KERAS_BACKEND or set KERAS_BACKEND=tensorflow"
        )


_refuse_missing_backend()
_import_tensorflow_quietly()
