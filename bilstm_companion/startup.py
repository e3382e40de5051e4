"""Starting Keras' backend, once the command line has been read: the device, a quiet start.

Importing this module does nothing. A script's ``main`` reads its command line first, without
Keras, so that ``--help`` and bad options are answered in a fraction of a second; then it calls
``start_backend``, which

- refuses, in one line, a Keras backend that is unknown, not installed or fails to import;
- keeps the backend on the CPU unless the command line says ``--device gpu``. The article's
  models are tiny and train on one sequence at a time, work a GPU is not made for
  (docs/performance.md, "GPUs"); CUDA reads the choice when the backend starts, so it is
  made here, before;
- loads TensorFlow with its start-up log noise hidden, unless ``TF_CPP_MIN_LOG_LEVEL`` is
  already set (then TensorFlow logs as you asked);
- keeps compiled programs on disk between runs (``--compile-cache``): JAX's compilation
  cache, and TensorFlow's persistent XLA cache, under one folder.

Stop signals and a console that cannot show every character are the process's concern, set
up by ``bilstm_companion.cli.run`` as a script starts, not here.
"""

import importlib
import importlib.util
import json
import os
import sys
from pathlib import Path

from bilstm_companion import devices
from bilstm_companion.stopping import STOP

# Keras backends this project trains with, and the requirements file that installs each.
BACKENDS = {"tensorflow": "requirements.txt", "jax": "requirements-jax.txt",
            "torch": "requirements-torch.txt"}
DEVICES = ("cpu", "gpu")


def program_name():
    """The script's name, as argparse shows it in a refusal."""
    return Path(sys.argv[0]).name or "python"


def fail(message):
    """Print one line on stderr and exit with status 2, as argparse does for bad input."""
    print(f"{program_name()}: error: {message}", file=sys.stderr)
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
        os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)


def start_backend(device="cpu", compile_cache=True, join_timeout=devices.JOIN_TIMEOUT):
    """Import the backend's package for ``device``, or refuse in one line naming the fix;
    return the backend's name. Where Keras' distribution variables are set, this process
    joins the others first (JAX only; ``devices.join_hosts``, waiting ``join_timeout``
    seconds at most).

    Where this process has imported the backend already (a notebook, the tests), its devices
    are as they were set then: they can no longer change.
    """
    backend = backend_name()
    if backend not in BACKENDS:
        fail(f"KERAS_BACKEND={backend} is not a backend this project trains with; "
             f"set KERAS_BACKEND to one of {', '.join(BACKENDS)}")
    fix = f"pip install -r {BACKENDS[backend]}, or set KERAS_BACKEND to another of {', '.join(BACKENDS)}"
    if importlib.util.find_spec(backend) is None:
        fail(f"KERAS_BACKEND={backend} but {backend} is not installed: {fix}")
    first = backend not in sys.modules
    if devices.several_hosts() and backend != "jax":
        fail(f"{devices.VARIABLES[1]} is set, but on Keras' {backend} backend a run is one process: only JAX "
             "trains across several (keras.distribution); set KERAS_BACKEND=jax")
    if first and device == "cpu":
        hide_gpus()
    if first and backend == "tensorflow" and compile_cache:
        keep_xla_programs()
    try:
        if first and backend == "tensorflow" and "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
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
        if first and device == "cpu":
            # CUDA_VISIBLE_DEVICES does not reach other kinds of GPU (Apple's Metal plugin).
            module.config.set_visible_devices([], "GPU")
    if backend == "jax":
        use_compilation_cache(module, enabled=compile_cache)
        if first and devices.several_hosts():
            devices.join_hosts(fail, program_name(), join_timeout)
        elif devices.several_hosts() and module.process_count() == 1:
            fail(f"{devices.VARIABLES[1]} is set, but JAX started in this process before it could join the others; "
                 "set the variables before JAX is imported, or call keras.distribution.initialize() first")
    if backend != "tensorflow":
        from bilstm_companion import keras_internals

        keras_internals.keep_keras_off_tensorflow()
    if backend == "torch":  # LSTMs on the CPU through PyTorch's own kernel, not step by step in Python
        from bilstm_companion import torch_lstm

        torch_lstm.install()
    return backend


def compilation_cache_dir(backend="jax"):
    """Where a backend keeps compiled programs between runs: ``~/.cache/bilstm-companion/jax``
    (or ``tensorflow``), below ``$XDG_CACHE_HOME`` where that is set."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "bilstm-companion" / backend


def keep_xla_programs():
    """Ask TensorFlow, before it starts, to keep the programs XLA compiles on disk, so that a
    second run of the same command skips compiling (the compiled loop of the article's
    scripts, and ``fit`` on your own sequences). Flags of your own in ``TF_XLA_FLAGS`` stay;
    one that names a cache folder already is left alone. Tracing a function and lowering it
    to XLA are not kept: the cache saves XLA's own compilation."""
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if "tf_xla_persistent_cache_directory" not in flags:
        folder = compilation_cache_dir("tensorflow")
        folder.mkdir(parents=True, exist_ok=True)
        os.environ["TF_XLA_FLAGS"] = f"{flags} --tf_xla_persistent_cache_directory={folder}".strip()


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
