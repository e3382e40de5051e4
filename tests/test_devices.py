"""``--devices`` and several processes: what is refused, on every backend. What four devices
compute is checked in ``tests/test_devices_jax.py``, in the JAX process ``tests/test_backends.py``
starts with four virtual CPU devices."""

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from own_data import refusal, small_example
from processes import TEST_XLA_FLAGS, environment

from bilstm_companion import backend, devices

ROOT = Path(__file__).resolve().parents[1]
needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")


@pytest.mark.parametrize(("value", "expected"), [("0", None), ("-2", None), ("two", None), ("", None),
                                                 ("3", 3), ("all", "all"), (" ALL", "all")])
def test_devices_takes_a_whole_number_above_zero_or_all(value, expected):
    if expected is None:
        with pytest.raises(argparse.ArgumentTypeError, match="expected a whole number above zero, or all"):
            devices.device_count(value)
    else:
        assert devices.device_count(value) == expected


@pytest.mark.parametrize(("variables", "message"), [
    ({"KERAS_DISTRIBUTION_PROCESS_ID": "2"}, "PROCESS_ID=2 is out of range: with 2 processes it is 0 to 1"),
    ({"KERAS_DISTRIBUTION_PROCESS_ID": "-1"}, "PROCESS_ID=-1 is out of range"),
    ({"KERAS_DISTRIBUTION_NUM_PROCESSES": "3"}, "lists 2 addresses but KERAS_DISTRIBUTION_NUM_PROCESSES=3"),
    ({"KERAS_DISTRIBUTION_NUM_PROCESSES": "two"}, "NUM_PROCESSES=two is not a whole number"),
    ({"KERAS_DISTRIBUTION_PROCESS_ID": ""}, "KERAS_DISTRIBUTION_PROCESS_ID not set"),
])
def test_process_settings_that_cannot_work_are_refused_before_joining(monkeypatch, variables, message):
    settings = {"KERAS_DISTRIBUTION_JOB_ADDRESSES": "10.0.0.1:1234,10.0.0.2:1234",
                "KERAS_DISTRIBUTION_NUM_PROCESSES": "2", "KERAS_DISTRIBUTION_PROCESS_ID": "1", **variables}
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        devices.host_settings()


@pytest.mark.skipif(backend.name() == "jax", reason="refused on the other backends")
def test_devices_above_one_are_refused_in_one_line_off_jax(tmp_path, monkeypatch, capsys):
    err = refusal(monkeypatch, capsys, small_example(tmp_path), "--devices", "2", "--output-dir", tmp_path / "out")
    assert f"argument --devices: on Keras' {backend.name()} backend a run trains on one device" in err
    assert not (tmp_path / "out").exists()


def classify(tmp_path, *args, timeout=120, **variables):
    return subprocess.run([sys.executable, str(ROOT / "classify_sequences.py"), *map(str, args)], check=False,
                          cwd=tmp_path,
                          capture_output=True, text=True, timeout=timeout,
                          env=environment(KERAS_BACKEND="jax", XLA_FLAGS=TEST_XLA_FLAGS, **variables))


@needs_jax
def test_a_coordinator_that_never_answers_ends_the_process_in_one_line_within_its_time(tmp_path):
    # Process 1 of 2 waits for a coordinator that is not there (nothing listens on port 9).
    result = classify(tmp_path, small_example(tmp_path), "--devices", "all", "--join-timeout", "1",
                      "--output-dir", tmp_path / "out", KERAS_DISTRIBUTION_JOB_ADDRESSES="localhost:9",
                      KERAS_DISTRIBUTION_NUM_PROCESSES="2", KERAS_DISTRIBUTION_PROCESS_ID="1")
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("classify_sequences.py")]
    assert errors == [("classify_sequences.py: error: process 1 of 2 did not meet the others at localhost:9 within "
                       "1 s (is the coordinator, process 0, running, and do all agree on "
                       "KERAS_DISTRIBUTION_NUM_PROCESSES?); --join-timeout waits longer")]
    assert result.stdout == "" and not (tmp_path / "out").exists()
