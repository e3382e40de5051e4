"""On JAX, several devices train as one: the numbers of one device, to float32 rounding.

These tests run in a JAX process with four virtual CPU devices (``JAX_NUM_CPU_DEVICES=4``,
as Keras' own CI tests its distribution): the one ``tests/test_backends.py`` starts, or
``JAX_NUM_CPU_DEVICES=4 KERAS_BACKEND=jax python -m pytest tests/test_devices_jax.py``; on a
machine with four GPUs or more, ``benchmarks/gpu_check.sh`` runs them there. Elsewhere they skip.
"""

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from own_data import refusal, run_main, small_example
from processes import TEST_XLA_FLAGS, environment
from test_folds_jax import BATCH_SIZE, EPOCHS, PATIENCE, assert_same, build, folds_of

from bilstm_companion import backend, devices
from bilstm_companion.own_data import recipe, trainer
from bilstm_companion.own_data.csv_files import read_sequences
from bilstm_companion.own_data.estimators import SequenceClassifier

DEVICES = 4  # the tests train on the first four devices (or three)


def devices_here():
    """How many devices JAX sees, and of what kind (0 and None off JAX)."""
    if backend.name() != "jax":
        return 0, None
    import jax

    return len(jax.devices()), jax.devices()[0].platform


PRESENT, PLATFORM = devices_here()
pytestmark = pytest.mark.skipif(PRESENT < DEVICES, reason=f"needs JAX with {DEVICES} devices")
ROOT = Path(__file__).resolve().parents[1]


def trained(training, validation, data, devices_):
    classifier = SequenceClassifier("bilstm", units=3, epochs=EPOCHS, batch_size=BATCH_SIZE, patience=PATIENCE,
                                    devices=devices_)
    classifier._given(training)._fit_parts(training, validation, seed=7)
    return classifier.history_, classifier.model_.get_weights(), classifier.predict_codes(data)


def test_three_devices_give_one_devices_losses_weights_and_predictions(tmp_path):
    # Fold 1 of test_folds_jax.py's data, a label per step (per sequence below): one device
    # trains it with fit (through the model test_folds_jax.py compiled, where it ran first);
    # three devices with the folds' trainer, every batch of 8 padded to 9 rows, 3 to a device.
    _, training, validation = folds_of(tmp_path, "step")[0]
    data = read_sequences(tmp_path / "data.csv", target="step")
    one, three = (trained(training, validation, data, count) for count in (1, 3))
    assert_same([one[:2]], [three[:2]], per_sequence=False)
    np.testing.assert_array_equal(three[2][0], one[2][0])
    np.testing.assert_allclose(three[2][1], one[2][1], rtol=1e-5)


def test_folds_trained_together_are_shared_out_one_device_each(tmp_path):
    from bilstm_companion.own_data.trainer_jax import Stacked

    # test_folds_jax.py's three folds, a label per sequence, on one device and on three.
    parts = folds_of(tmp_path, "sequence")
    results = {}
    for placement in (None, devices.Placement(3)):
        models = [build(fold, training, "lstm") for fold, training, _ in parts]
        stacked = Stacked(models, placement)
        fitted = stacked.fit([trainer.batches_for(t, v, BATCH_SIZE, EPOCHS, PATIENCE, fold.seed) for fold, t, v in parts],
                             lambda: recipe.callbacks(PATIENCE), epochs=EPOCHS, batch_size=BATCH_SIZE)
        results[placement is None] = [(history, model.get_weights()) for (history, _), model in zip(fitted, models)]
    assert_same(results[True], [(*pair, False) for pair in results[False]], per_sequence=True)
    # Fold k's weights, and its Adam state, live on device k alone.
    for array in [*stacked.state[0], *stacked.state[2]]:
        holders = {shard.device: shard.index[0] for shard in array.addressable_shards}
        assert len(holders) == 3
        assert sorted((slice_.start, slice_.stop) for slice_ in holders.values()) == [(k, k + 1) for k in range(3)]


def test_devices_that_cannot_be_had_or_folds_that_cannot_be_shared_are_refused(tmp_path, monkeypatch, capsys):
    path = small_example(tmp_path)
    quick = ["--epochs", "1", "--units", "2", "--output-dir", tmp_path / "out"]
    err = refusal(monkeypatch, capsys, path, "--devices", str(PRESENT + 1), *quick)
    assert f"{PRESENT + 1} devices asked for, but JAX sees {PRESENT} here" in err
    err = refusal(monkeypatch, capsys, path, "--devices", "4", "--folds", "3", *quick)
    assert "3 folds trained together cannot be shared out equally among 4 devices" in err
    assert "--no-batch-folds" in err
    assert not (tmp_path / "out").exists()


def test_several_processes_train_on_every_device_of_them_all(monkeypatch):
    import jax

    monkeypatch.setattr(jax, "process_count", lambda: 2)
    for count in (1, 2):  # one device each, or some: processes would wait on each other, or train apart
        with pytest.raises(ValueError, match=f"2 processes train on every device of them all: --devices all "
                                             f"\\({PRESENT} here\\), not {count}"):
            devices.placement(count)
    assert devices.placement("all").count == devices.placement(PRESENT).count == PRESENT


def free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


@pytest.mark.skipif(PLATFORM not in (None, "cpu") or PRESENT > DEVICES,
                    reason="compares four devices with two processes of two virtual CPU devices each")
def test_two_processes_of_two_devices_write_the_files_of_one_process_with_four(tmp_path, monkeypatch, capsys):
    # Four folds trained together, one to a device (two devices a process), and each fold's
    # model predicting with its batches shared out over the four.
    path = small_example(tmp_path, n_sequences=48, per_sequence=True)
    options = [path, "--target", "sequence", "--model", "lstm", "--folds", "4", "--epochs", "2", "--units", "3",
               "--batch-size", "8", "--quiet", "--devices", "all"]
    assert run_main(monkeypatch, *options, "--output-dir", tmp_path / "one") == 0
    printed = capsys.readouterr().out.replace(str(tmp_path / "one"), "OUT")
    address = f"localhost:{free_port()}"
    command = [sys.executable, str(ROOT / "classify_sequences.py"), *map(str, options), "--output-dir",
               str(tmp_path / "two")]
    started = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                                env=environment(KERAS_BACKEND="jax", JAX_NUM_CPU_DEVICES="2", XLA_FLAGS=TEST_XLA_FLAGS,
                                                KERAS_DISTRIBUTION_JOB_ADDRESSES=address,
                                                KERAS_DISTRIBUTION_NUM_PROCESSES="2",
                                                KERAS_DISTRIBUTION_PROCESS_ID=str(process)))
               for process in range(2)]
    try:  # a hang fails, not waits
        outputs = [process.communicate(timeout=150) for process in started]
    finally:
        for process in started:
            process.kill()
    assert [process.returncode for process in started] == [0, 0], outputs
    assert outputs[0][0].replace(str(tmp_path / "two"), "OUT") == printed  # the first process prints ...
    assert outputs[1][0] == ""  # ... the second does not
    one, two = sorted((tmp_path / "one").iterdir()), sorted((tmp_path / "two").iterdir())
    assert [file.name for file in two] == [file.name for file in one]
    for file in one:
        if file.suffix == ".csv":  # the same numbers, summed across processes in another order
            expected, got = pd.read_csv(file), pd.read_csv(tmp_path / "two" / file.name)
            pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-5, atol=1e-6)
    # --predict with the saved model (fold 1's), on the four devices: fold 1's test sequences get
    # the predictions the run gave them.
    out = tmp_path / "predicted"
    assert run_main(monkeypatch, path, "--predict", tmp_path / "one" / "classify_sequences.keras", "--devices", "all",
                    "--output-dir", out) == 0
    again = pd.read_csv(next(out.iterdir()), dtype={"id": str}).set_index("id")
    run = pd.read_csv(tmp_path / "one" / "classify_sequences_predictions.csv", dtype={"id": str})
    run = run[run["fold"] == 1].set_index("id")
    columns = [column for column in run.columns if column in again.columns and column != "fold"]
    pd.testing.assert_frame_equal(again.loc[run.index, columns], run[columns], check_exact=False, rtol=1e-5)
    # Training options mean nothing to --predict: three devices could not share two members of one fold
    # out equally, and that refuses a training, not a prediction (the same predictions, to rounding).
    assert run_main(monkeypatch, path, "--predict", tmp_path / "one" / "classify_sequences.keras", "--devices", "3",
                    "--batch-folds", "--ensemble", "2", "--output-dir", tmp_path / "three") == 0
    three = pd.read_csv(next((tmp_path / "three").iterdir()), dtype={"id": str}).set_index("id")
    pd.testing.assert_frame_equal(three, again, check_exact=False, rtol=1e-5)
