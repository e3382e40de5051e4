"""Every Keras backend installed here: the training tests, and runs of every script.

A Keras process runs on one backend, chosen before Keras is imported, so each other
backend gets a process of its own, in which pytest runs the tests below. The backend this
test session runs on is covered by the rest of the suite; a backend that is not installed
is skipped, saying how to install it.
"""

import importlib.util
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
    # On JAX, the folds of one model trained together equal each fold trained alone.
    "tests/test_folds_jax.py",
    # A loss gone NaN in a later fold ends the run in one line (on JAX, with the folds together).
    "tests/test_own_data_faults.py::test_a_nan_in_a_later_fold_names_the_fold_and_the_finished_folds_are_not_written",
    # The private Keras (and JAX) names the project relies on.
    "tests/test_keras_internals.py",
    # Batches of similar lengths: padding changes no loss and no prediction; fit serves each
    # epoch the batches dealt for it.
    "tests/test_batches.py::test_batches_padded_to_their_width_train_as_if_padded_to_the_longest",
    "tests/test_batches.py::test_predictions_and_the_validation_loss_do_not_depend_on_the_batches",
    "tests/test_batches.py::test_fit_serves_each_epoch_the_batches_dealt_for_it",
]


JAX_ONLY = {"only the JAX loop trains runs together", "only JAX trains folds together", "counts jax.jit's programs"}
ALLOWED_SKIPS = {"tensorflow": JAX_ONLY, "jax": {"cuDNN kernels are TensorFlow's"},
                 "torch": JAX_ONLY | {"cuDNN kernels are TensorFlow's", "TensorFlow is not installed"}}


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_and_every_script_on_every_installed_backend(backend):
    if backend == keras.backend.backend():
        pytest.skip(f"this session runs on {backend}: the rest of the suite covers it")
    if importlib.util.find_spec(backend) is None:
        requirements = "requirements.txt" if backend == "tensorflow" else f"requirements-{backend}.txt"
        pytest.skip(f"{backend} is not installed (pip install -r {requirements})")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                             *ON_EVERY_BACKEND], cwd=ROOT, env=environment(KERAS_BACKEND=backend), capture_output=True,
                            text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
    assert "Traceback" not in result.stderr
    # A test may skip only for a reason that belongs to another backend: a capability lost on
    # this one (JAX no longer training runs together, say) must fail, not skip.
    skipped = set(re.findall(r"^SKIPPED \[\d+\] [^:]+:\d+: (.+)$", result.stdout, re.MULTILINE))
    assert skipped <= ALLOWED_SKIPS[backend], skipped - ALLOWED_SKIPS[backend]
