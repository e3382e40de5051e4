"""Training on several devices, and on several hosts, with Keras' distribution API (JAX only).

Importing this module imports no backend. What it holds:

- ``device_count``: the argparse type of ``--devices`` (a whole number, or ``all``).
- ``join_hosts``: where Keras' three variables (``KERAS_DISTRIBUTION_JOB_ADDRESSES``,
  ``..._NUM_PROCESSES``, ``..._PROCESS_ID``) are set, each process joins the others with
  ``keras.distribution.initialize()`` before the backend computes anything; a process id
  out of range, counts that disagree, or a coordinator that does not answer in time is
  refused in one line. Every process but the first then prints and writes nothing
  (``first_process``).
- ``placement``: the devices a run spreads over (``Placement``), checked against those
  present: ``ValueError``, in one line, where a backend or a number of devices cannot be used.
- ``Placement``: a ``keras.distribution.DeviceMesh`` of those devices, one axis, and Keras'
  ``TensorLayout``s on it: an array is put on the mesh split along one of its axes (the
  sequences of a batch, or the folds trained together) or whole on every device; XLA then
  partitions each compiled update and adds the all-reduce of the gradients.

Why the project's own JAX trainer (``trainer_jax.py``) and not ``fit`` under
``keras.distribution.DataParallel``: ``fit`` wants every batch to divide among the devices,
and the last batch of an epoch, or of a width, rarely does (``IndivisibleError``). Rows of
padding would make it divide, but Keras weighs each batch's loss by its rows, padding
included, and a label per sequence averages over them: the numbers would change. The
trainer scores padding as nothing, so every device count gives one device's numbers.
"""

import argparse
import os
import sys
import threading

from bilstm_companion.options import positive_int

ALL = "all"
VARIABLES = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES", "KERAS_DISTRIBUTION_PROCESS_ID")
JOIN_TIMEOUT = 120  # seconds a process waits for the others before it gives up (--join-timeout)
JOIN_TIMEOUT_MAX = 300  # jax.distributed.initialize's own limit, which Keras' initialize() keeps
AXIS = "batch"  # the mesh's one axis, named as keras.distribution.DataParallel names it

_first = True  # whether this is the first process (or the only one)
_joined = False  # whether this process has joined others


def join_timeout(text):
    """argparse type: seconds to wait for the other processes, 1 to ``JOIN_TIMEOUT_MAX``."""
    try:
        value = positive_int(text)
    except argparse.ArgumentTypeError:
        value = None
    if value is None or value > JOIN_TIMEOUT_MAX:
        raise argparse.ArgumentTypeError(f"expected a whole number of seconds from 1 to {JOIN_TIMEOUT_MAX} (JAX's "
                                         f"own limit), got {text!r}")
    return value


def device_count(text):
    """argparse type: a number of devices, 1 or more, or ``all``."""
    if text.strip().lower() == ALL:
        return ALL
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a whole number above zero, or {ALL}, got {text!r}") from None


def check_shared(trainings, count, members=1):
    """``ValueError`` where ``trainings`` trained together (folds, each of ``members``
    networks) cannot be shared out equally among ``count`` devices."""
    if count > 1 and trainings > 1 and trainings % count:
        what = "folds" if members == 1 else "trainings (folds times ensemble members)"
        raise ValueError(f"{trainings} {what} trained together cannot be shared out equally among {count} devices")


def first_process():
    """Whether this process prints and writes files: the first of several, or the only one."""
    return _first


def agreed(value):
    """``value`` (a number) as the first process has it, in every process: where processes
    train together, a decision each could take differently (from a clock, or from the memory
    free on its host) must be the same in all, or they would wait on each other. Every process
    must call it at the same point. One process: ``value`` as it is."""
    if not _joined:
        return value
    import numpy as np
    from jax.experimental import multihost_utils

    return type(value)(multihost_utils.broadcast_one_to_all(np.asarray(value)).item())


def several_hosts():
    """Whether Keras' distribution variables ask this process to join others."""
    return any(os.environ.get(name) for name in VARIABLES)


def host_settings():
    """``(job_addresses, processes, process_id)`` from Keras' variables, or a ``ValueError``
    that says in one line which of them cannot be used."""
    missing = [name for name in VARIABLES if not os.environ.get(name)]
    if missing:
        raise ValueError(f"{', '.join(missing)} not set: a process joins others only with all three of "
                         f"{', '.join(VARIABLES)}")
    addresses = os.environ[VARIABLES[0]]
    numbers = {}
    for name in VARIABLES[1:]:
        try:
            numbers[name] = int(os.environ[name])
        except ValueError:
            raise ValueError(f"{name}={os.environ[name]} is not a whole number") from None
    processes, process_id = numbers[VARIABLES[1]], numbers[VARIABLES[2]]
    if processes < 1:
        raise ValueError(f"{VARIABLES[1]}={processes}: there must be at least one process")
    if not 0 <= process_id < processes:
        raise ValueError(f"{VARIABLES[2]}={process_id} is out of range: with {processes} processes it is "
                         f"0 to {processes - 1}")
    listed = [address for address in addresses.split(",") if address.strip()]
    if len(listed) > 1 and len(listed) != processes:
        raise ValueError(f"{VARIABLES[0]} lists {len(listed)} addresses but {VARIABLES[1]}={processes}: "
                         "give one address per process, or the coordinator's alone")
    return addresses, processes, process_id


def join_hosts(fail, program, timeout=JOIN_TIMEOUT):
    """Join the other processes Keras' variables name, with ``keras.distribution.initialize``;
    ``fail(message)`` refuses (one line, exit status 2). A process that has not met the
    others within ``timeout`` seconds is ended with one line (``program: error: ...``) and
    status 2: a coordinator that never answers, or processes that disagree on their number,
    would otherwise wait forever.
    Call before the backend computes anything (JAX), once. Every process but the first then
    writes nothing to stdout, and no files (``first_process``); in none does the runtime's
    chatter on the stdout file descriptor reach it."""
    global _first, _joined

    try:
        _, processes, process_id = host_settings()
    except ValueError as error:
        fail(str(error))
    import keras

    coordinator = os.environ[VARIABLES[0]].split(",")[0]
    message = (f"process {process_id} of {processes} did not meet the others at {coordinator} within {timeout} s "
               f"(is the coordinator, process 0, running, and do all agree on {VARIABLES[1]}?); "
               "--join-timeout waits longer")
    watchdog = threading.Timer(timeout, _give_up, (f"{program}: error: {message}",))
    watchdog.daemon = True
    watchdog.start()
    # Gloo, which carries JAX's collectives between processes on a CPU, greets each peer on
    # the stdout file descriptor whenever it connects a group of devices, now or later in the
    # run: that descriptor goes to /dev/null, and Python's stdout to where it went.
    sys.stdout.flush()
    kept = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
    if process_id != 0:  # (only the first prints)
        os.close(kept)
        kept = os.devnull
    sys.stdout = open(kept, "w", encoding=sys.stdout.encoding, errors=sys.stdout.errors,  # noqa: SIM115
                      buffering=1 if sys.stdout.line_buffering else -1)
    try:
        keras.distribution.initialize()
    except Exception as error:  # noqa: BLE001  (whatever the runtime says, one line)
        watchdog.cancel()
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        fail(f"process {process_id} of {processes} could not join the others: {reason}")
    watchdog.cancel()
    _joined = True
    _first = process_id == 0


def _give_up(line):
    """End the process from the watchdog thread: the main thread is blocked in the runtime."""
    sys.stderr.write(f"{line}\n")
    sys.stderr.flush()
    os._exit(2)


def placement(count):
    """The ``Placement`` of ``count`` devices (a number, or ``all``), or None for one device
    (the single-device path, unchanged). Several processes use every device of all of them.
    ``ValueError``, in one line, where they cannot be had."""
    import keras

    backend_name = keras.backend.backend()
    if backend_name != "jax":
        if count == 1:
            return None
        raise ValueError(f"on Keras' {backend_name} backend a run trains on one device: only JAX spreads it over "
                         "several (keras.distribution); leave out --devices, or set KERAS_BACKEND=jax")
    import jax

    present = keras.distribution.get_device_count()
    count = present if count == ALL else count
    if count > present:
        hint = " (on a CPU, JAX_NUM_CPU_DEVICES=N makes N virtual devices, to try it)" if present == 1 else ""
        raise ValueError(f"{count} devices asked for, but JAX sees {present} here{hint}")
    if jax.process_count() > 1 and count != present:
        raise ValueError(f"{jax.process_count()} processes train on every device of them all: --devices {ALL} "
                         f"({present} here), not {count}")
    return None if count == 1 else Placement(count)


class Placement:
    """``count`` devices in a one-axis ``keras.distribution.DeviceMesh``, and arrays put on it."""

    def __init__(self, count):
        import keras

        self.count = count
        devices = keras.distribution.list_devices()[:count]
        self.mesh = keras.distribution.DeviceMesh((count,), [AXIS], devices)

    def layout(self, rank, axis=None):
        """Keras' ``TensorLayout`` of an array of ``rank`` axes: split along ``axis`` over the
        devices, or (None) whole on each; as JAX's ``NamedSharding``."""
        import keras

        axes = [None] * rank
        if axis is not None:
            axes[axis] = AXIS
        return keras.distribution.TensorLayout(axes, self.mesh).backend_layout

    def put(self, array, axis=None):
        """A host array on the mesh, split along ``axis`` (None: a copy on every device). Each
        process places only the parts its own devices hold."""
        import jax
        import numpy as np

        array = np.asarray(array)
        return jax.make_array_from_callback(array.shape, self.layout(array.ndim, axis), lambda index: array[index])

    def put_tree(self, tree, axis=None):
        import jax

        return jax.tree.map(lambda value: self.put(value, axis), tree)

    def rows(self, batch_size):
        """A batch's rows, ``batch_size`` rounded up so that every device gets as many."""
        return -(-batch_size // self.count) * self.count

    def to_host(self, tree):
        """``tree``'s arrays, whole, as NumPy arrays in every process (gathered from the devices
        of every process where they are spread over several)."""
        import jax
        import numpy as np
        from jax.experimental import multihost_utils

        def whole(value):
            if getattr(value, "is_fully_addressable", True):
                return np.asarray(value)
            return np.asarray(multihost_utils.process_allgather(value, tiled=True))

        return jax.tree.map(whole, tree)

    def predictor(self, model):
        """``x -> model's outputs`` on the mesh: each batch's rows padded to a multiple of the
        devices and split among them, the outputs gathered whole (``predict_on_batch``'s)."""
        import jax
        import numpy as np

        trainable = self.put_tree([variable.value for variable in model.trainable_variables])
        non_trainable = self.put_tree([variable.value for variable in model.non_trainable_variables])

        def outputs(trainable, non_trainable, x):
            return model.stateless_call(trainable, non_trainable, x, training=False)[0]

        compiled = jax.jit(outputs, out_shardings=self.layout(0))

        def predict(x):
            rows = len(x)
            padded = np.zeros((self.rows(rows), *x.shape[1:]), x.dtype)
            padded[:rows] = x
            if padded.shape[1]:  # a row of padding gets one real step: no mean over no steps
                padded[rows:, 0, -1] = 1.0
            return np.asarray(compiled(trainable, non_trainable, self.put(padded, axis=0)))[:rows]

        return predict
