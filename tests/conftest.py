"""Start Keras' backend once for the whole session, as a script's main would, quietly and on
the CPU; each test starts with no stop asked for.

Importing the project changes nothing in this process (``tests/test_imports.py`` checks it):
this file starts the backend itself, after ``processes`` has kept the environment as the
session began, for the processes the tests start.
"""

import os

import processes  # (first: it keeps the environment before the backend changes it)
import pytest

from bilstm_companion import startup
from bilstm_companion.stopping import STOP

# The compiled programs are kept for the session, in its own folder (not your ~/.cache): the
# tests build the same few models over and over, in this process and in those they start.
os.environ["XDG_CACHE_HOME"] = processes.CACHE
os.environ.setdefault("XLA_FLAGS", processes.TEST_XLA_FLAGS)
# One thread a process: the workers and the processes the tests start share the cores, and the
# tests' tensors are too small to gain from more. On the CPU, unless a GPU check asks for the GPUs
# (benchmarks/gpu_check.sh).
STARTED = startup.start_backend(os.environ.get("BILSTM_COMPANION_TEST_DEVICE", "cpu"))
if STARTED == "torch":
    import torch

    torch.set_num_threads(1)
elif STARTED == "tensorflow":
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


@pytest.fixture(autouse=True)
def no_stop_asked():
    STOP.reset()
    yield
    STOP.reset()
