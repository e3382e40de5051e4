"""Every Keras backend installed here: its training tests, and a script run end to end.

A Keras process runs on one backend, chosen before Keras is imported, so each other
backend gets a process of its own. The backend this test session runs on is covered by
the rest of the suite; a backend that is not installed is skipped, saying how to install it.
"""

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from harness import startup

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("tensorflow", "jax", "torch")
TINY = ["--epochs", "6", "--eval-sequences", "20", "--timesteps", "6", "--units", "4"]


def other_backend(backend):
    """Skip unless ``backend`` is installed and is not the one this session runs on."""
    if backend == keras.backend.backend():
        pytest.skip(f"this session runs on {backend}: the rest of the suite covers it")
    if importlib.util.find_spec(backend) is None:
        requirements = "requirements.txt" if backend == "tensorflow" else f"requirements-{backend}.txt"
        pytest.skip(f"{backend} is not installed (pip install -r {requirements})")


def run_on(backend, *command):
    environment = {**startup.USER_ENVIRONMENT, "KERAS_BACKEND": backend, "PYTHONUNBUFFERED": "1"}
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return subprocess.run([sys.executable, *command], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_tests_pass_on_every_installed_backend(backend):
    # The compiled loop equals fit, one compilation serves every run, stop requests, ...
    other_backend(backend)
    result = run_on(backend, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_training.py")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_comparison_runs_end_to_end_on_every_installed_backend(backend, tmp_path):
    other_backend(backend)
    result = run_on(backend, "compare_directions.py", *TINY, "--repeats", "2",
                    "--output-dir", str(tmp_path), "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # nothing from the backend's start-up either
    with open(tmp_path / "compare_directions.csv", newline="") as file:
        table = list(csv.DictReader(file))
    assert len(table) == 3 * 2 * 6
    assert all(0 < float(row["loss"]) < 5 for row in table)
    assert (tmp_path / "compare_directions.png").stat().st_size > 0
    assert "bilstm_con" in result.stdout
