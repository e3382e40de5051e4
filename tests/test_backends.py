"""Every Keras backend installed here: the training tests, and runs of every script.

A Keras process runs on one backend, chosen before Keras is imported, so each other
backend gets a process of its own, in which pytest runs the tests below. The backend this
test session runs on is covered by the rest of the suite; a backend that is not installed
is skipped, saying how to install it.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import pytest
from processes import environment

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("tensorflow", "jax", "torch")
ON_EVERY_BACKEND = [
    # The compiled loop equals fit; one compilation serves every run; stop requests; on JAX,
    # repeats trained together equal repeats trained one at a time.
    "tests/test_training.py",
    # The scripts, run through their main(): the four article scripts and your own sequences.
    "tests/test_runs.py::test_same_seed_gives_byte_identical_csv",
    "tests/test_runs.py::test_the_article_backwards_option_changes_lstm_back_alone",
    "tests/test_runs.py::test_verbose_2_prints_one_line_per_epoch_and_quiet_prints_no_progress",
    "tests/test_runs.py::test_saved_model_loads_back_and_predicts_what_was_printed",
    "tests/test_runs.py::test_a_stop_between_two_runs_saves_the_finished_runs_and_says_where",
    "tests/test_classify_sequences.py::test_a_run_writes_predictions_curves_plot_and_a_model_that_predicts_the_same",
    "tests/test_classify_sequences.py::test_an_ensemble_is_one_model_whose_members_each_train_and_whose_file_holds_them_all",
    # On JAX, the folds of one model trained together equal each fold trained alone.
    "tests/test_folds_jax.py",
    # Your sequences tried as a careless user would: a loss gone NaN or infinite (on JAX, with
    # the folds together), stops at every moment, odd files (those that start a process on each
    # backend run once, from the main session).
    "tests/test_own_data_faults.py",
    # On PyTorch, LSTMs through PyTorch's own kernel give Keras' own arithmetic.
    "tests/test_torch_lstm.py",
    # Your sequences from Python: the estimator, its inputs, the script trained through it
    # (the files it wrote before), the comparison; scikit-learn's checks and the notebook once.
    "tests/test_estimator.py",
    # The private Keras (and JAX) names the project relies on.
    "tests/test_keras_internals.py",
    # On JAX, four (virtual) devices give one device's numbers; two processes one process's files.
    "tests/test_devices_jax.py",
    # Batches of similar lengths: padding changes no loss and no prediction; fit serves each
    # epoch the batches dealt for it.
    "tests/test_batches.py::test_batches_padded_to_their_width_train_as_if_padded_to_the_longest",
    "tests/test_batches.py::test_predictions_and_the_validation_loss_do_not_depend_on_the_batches",
    "tests/test_batches.py::test_fit_serves_each_epoch_the_batches_dealt_for_it",
]


# JAX's process gets four virtual CPU devices, as Keras' own CI tests its distribution: the
# multi-device tests run there; every other test uses the first device, as on a plain CPU.
VARIABLES = {"jax": {"JAX_NUM_CPU_DEVICES": "4"}}


def installed(package):
    return importlib.util.find_spec(package) is not None


# Why a test may skip in another backend's process: a capability that belongs to another
# backend, a package that is not installed here, or a test that runs once, in the process
# ``once_in`` chooses. Each reason says where it is allowed; a capability lost on a backend
# that has it (JAX no longer training runs together, say), or a skip for a package that is
# there, must fail, not skip.
BELONGS_TO = {"only the JAX loop trains runs together": "jax", "only JAX trains folds together": "jax",
              "counts jax.jit's programs": "jax", "needs JAX with 4 devices": "jax", "cuDNN kernels are TensorFlow's": "tensorflow",
              "tf.data and XLA are TensorFlow's": "tensorflow", "PyTorch's LSTM kernel is PyTorch's": "torch",
              "TensorFlow's start-up log is TensorFlow's": "tensorflow"}
NOT_INSTALLED = {"TensorFlow is not installed": lambda: not installed("tensorflow"),
                 "needs JAX, and TensorFlow installed beside it":
                     lambda: not (installed("jax") and installed("tensorflow")),
                 "reads Linux's /proc": lambda: not Path("/proc/self/status").exists(),
                 # scikit-learn's own check, of the array API: it asks for SCIPY_ARRAY_API=1.
                 "SCIPY_ARRAY_API is not set: not checking array_api input":
                     lambda: not os.environ.get("SCIPY_ARRAY_API")}
ONCE = "runs once, in the process of the first backend installed of torch, tensorflow, jax"


def once_in():
    """The backend whose process runs the tests that need run only once: PyTorch's where it is
    installed (it compiles nothing, so hundreds of small fits take seconds), else the next."""
    return next(backend for backend in ("torch", "tensorflow", "jax") if installed(backend))


def allowed_skip(reason, backend):
    """Whether a test may skip for ``reason`` in ``backend``'s process, on this machine."""
    if reason in BELONGS_TO:
        return BELONGS_TO[reason] != backend
    if reason == ONCE:
        return once_in() != backend
    return reason in NOT_INSTALLED and NOT_INSTALLED[reason]()


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_and_every_script_on_every_installed_backend(backend):
    if backend == keras.backend.backend():
        pytest.skip(f"this session runs on {backend}: the rest of the suite covers it")
    if importlib.util.find_spec(backend) is None:
        requirements = "requirements.txt" if backend == "tensorflow" else f"requirements-{backend}.txt"
        pytest.skip(f"{backend} is not installed (pip install -r {requirements})")
    # In one process (-n 0): this test's own worker is the one this backend gets.
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-n", "0", "-p", "no:cacheprovider",
                             "-m", "not processes_on_every_backend", *ON_EVERY_BACKEND], cwd=ROOT,
                            env=environment(KERAS_BACKEND=backend, **VARIABLES.get(backend, {})), capture_output=True,
                            text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
    assert "Traceback" not in result.stderr
    # A test may skip only for a reason that belongs to another backend: a capability lost on
    # this one (JAX no longer training runs together, say) must fail, not skip.
    skipped = set(re.findall(r"^SKIPPED \[\d+\] [^:]+:\d+: (.+)$", result.stdout, re.MULTILINE))
    assert all(allowed_skip(reason, backend) for reason in skipped), skipped


def test_a_skip_is_allowed_only_for_another_backends_capability_or_a_package_missing_here(monkeypatch):
    assert allowed_skip("only JAX trains folds together", "torch")
    assert not allowed_skip("only JAX trains folds together", "jax")  # JAX lost it: a failure
    assert not allowed_skip("a reason nobody listed", "torch")
    # A package missing here: allowed where it is missing, whichever backends are installed.
    for present in ({"tensorflow", "jax", "torch"}, {"torch"}, {"jax", "torch"}, {"tensorflow", "torch"}):
        monkeypatch.setattr(sys.modules[__name__], "installed", lambda package, present=present: package in present)
        assert allowed_skip("TensorFlow is not installed", "torch") == ("tensorflow" not in present)
        assert allowed_skip("needs JAX, and TensorFlow installed beside it", "torch") == (
            not {"jax", "tensorflow"} <= present)
        assert allowed_skip(ONCE, "torch") == ("torch" not in present)
        assert not allowed_skip(ONCE, once_in())
