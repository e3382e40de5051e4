"""What happens before Keras is imported: stop signals, the console, the backend, the device.

Every script imports ``harness.startup`` (through ``harness.cli``) before ``keras``. It

- answers stop signals from the first moment (``harness/stopping.py``): Ctrl-C while the
  backend loads ends the program with one line, not a traceback;
- lets text the console cannot show degrade (``±`` becomes ``+/-``) instead of failing;
- refuses, in one line, a Keras backend that is unknown, not installed or fails to import;
- chooses the device: the CPU unless the command line says ``--device gpu``. The
  article's models are tiny and train on one sequence at a time, work a GPU is not made
  for (README.md, "GPUs"); the choice has to be made before the backend starts, so it is
  read here;
- loads TensorFlow with its start-up log noise hidden, unless ``TF_CPP_MIN_LOG_LEVEL`` is
  already set (then TensorFlow logs as you asked).
"""

import argparse
import codecs
import importlib
import importlib.util
import json
import os
import sys
from pathlib import Path

from harness.stopping import STOP

# Keras backends this project trains with, and the requirements file that installs each.
BACKENDS = {"tensorflow": "requirements.txt", "jax": "requirements-jax.txt",
            "torch": "requirements-torch.txt"}
DEVICES = ("cpu", "gpu")
# The environment as the user set it, before this module (and the backend) changed it: the
# one to hand to programs this process starts.
USER_ENVIRONMENT = dict(os.environ)


def fail(message):
    """Print one line on stderr and exit with status 2, as argparse does for bad input."""
    prog = Path(sys.argv[0]).name or "python"
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def backend_name():
    """The backend Keras will use: ``KERAS_BACKEND``, else Keras' config file, else TensorFlow."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    config = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "keras.json"
    try:
        return json.loads(config.read_text()).get("backend") or "tensorflow"
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def requested_device(argv=None):
    """The ``--device`` the command line asks for (``cpu`` when it names none)."""
    early = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    early.add_argument("--device", choices=DEVICES, default="cpu")
    try:
        known, _ = early.parse_known_args(sys.argv[1:] if argv is None else argv)
    except argparse.ArgumentError:  # a bad value: the script's own parser refuses it soon
        return "cpu"
    return known.device


def hide_gpus():
    """Keep every backend on the CPU: set before it starts, CUDA shows it no GPU."""
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["JAX_PLATFORMS"] = "cpu"
    os.environ["KERAS_TORCH_DEVICE"] = "cpu"


def _quiet_stderr_import(package):
    """Import ``package`` with the C++ start-up messages TensorFlow writes silenced.

    ``TF_CPP_MIN_LOG_LEVEL`` hides most of them, but a few are written to the stderr file
    descriptor before TensorFlow reads it, so that descriptor is pointed at /dev/null for
    the import itself. Errors raised by the import still reach the caller as exceptions.
    """
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved = os.dup(2)
    STOP.message_fd = saved  # a Ctrl-C meanwhile still reaches the user
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            return importlib.import_module(package)
    finally:
        os.dup2(saved, 2)
        STOP.message_fd = None
        os.close(saved)
        # TensorFlow has read the level by now and keeps it; programs this process starts
        # get the environment the user had.
        del os.environ["TF_CPP_MIN_LOG_LEVEL"]


def start_backend(backend, device="cpu"):
    """Import the backend's package, or refuse in one line naming the fix."""
    if backend not in BACKENDS:
        fail(f"KERAS_BACKEND={backend} is not a backend this project trains with; "
             f"set KERAS_BACKEND to one of {', '.join(BACKENDS)}")
    fix = f"pip install -r {BACKENDS[backend]}, or set KERAS_BACKEND to another of {', '.join(BACKENDS)}"
    if importlib.util.find_spec(backend) is None:
        fail(f"KERAS_BACKEND={backend} but {backend} is not installed: {fix}")
    try:
        if backend == "tensorflow" and "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
            module = _quiet_stderr_import(backend)
        else:
            module = importlib.import_module(backend)
    except Exception as error:  # noqa: BLE001  (any failure to import gets the same advice)
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        fail(f"KERAS_BACKEND={backend} but importing {backend} failed ({reason}): {fix}")
    if backend == "tensorflow":
        # Training a model per fold and per model compiles fresh functions on purpose; its
        # "retracing" warnings would only alarm a reader. Errors still show.
        module.get_logger().setLevel("ERROR")
    if backend == "tensorflow" and device == "cpu":
        # CUDA_VISIBLE_DEVICES does not reach other kinds of GPU (Apple's Metal plugin).
        module.config.set_visible_devices([], "GPU")
    if backend == "jax":
        use_compilation_cache(module)
    if backend != "tensorflow":
        _keep_keras_off_tensorflow()


def compilation_cache_dir():
    """Where JAX keeps compiled programs between runs: ``~/.cache/bilstm-companion/jax``."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "bilstm-companion" / "jax"


def use_compilation_cache(jax, enabled=True):
    """Keep JAX's compiled programs on disk, so a second run skips compiling.

    Compiling the training loop takes seconds per architecture, more than training does;
    the cache makes later runs of the same models start in a fraction of that. A
    ``JAX_COMPILATION_CACHE_DIR`` of your own is kept; ``enabled=False`` (the scripts'
    ``--no-compile-cache``) turns the cache off.
    """
    if not enabled:
        jax.config.update("jax_enable_compilation_cache", False)
        return
    if not jax.config.jax_compilation_cache_dir:
        jax.config.update("jax_compilation_cache_dir", str(compilation_cache_dir()))
    # Cache every program, the small ones that build the models' weights too.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)


def _keep_keras_off_tensorflow():
    """Stop Keras from importing TensorFlow on another backend.

    ``keras.utils.set_random_seed`` also seeds TensorFlow whenever it is installed (for
    ``tf.data`` pipelines, which this project does not use), and importing it just for that
    costs seconds of start-up. Keras asks a lazy module whether TensorFlow is available;
    telling it no leaves everything else as it was.
    """
    from keras.src.utils import module_utils

    lazy = getattr(module_utils, "tensorflow", None)
    if lazy is not None and getattr(lazy, "module", None) is None:
        lazy._available = False


# What text a console cannot encode becomes: the few non-ASCII characters the scripts print.
PLAIN = {"±": "+/-", "−": "-", "×": "x", "≥": ">=", "≤": "<=", "…": "...", "–": "-", "—": "-"}


def _plain_text(error):
    """A codec error handler: write characters the console lacks in plain ASCII."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(PLAIN.get(character, "?") for character in bad), error.end


codecs.register_error("plain_text", _plain_text)


def tolerate_any_console():
    """Let stdout and stderr degrade text they cannot encode, rather than fail on it."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="plain_text")


def prepare():
    """Answer stop signals, tolerate the console, choose the device and start the backend."""
    STOP.install()
    tolerate_any_console()
    backend, device = backend_name(), requested_device()
    if device == "cpu":
        hide_gpus()
    start_backend(backend, device)


prepare()
