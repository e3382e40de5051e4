"""The ways fit is fed and compiled on your own sequences give the same numbers: a kept model
trains a fold as a fresh one would; on TensorFlow, the batches through tf.data are the ones
the PyDataset serves, XLA trains as the plain path does to float32 rounding, each batch width
compiles once per architecture, and on a GPU cuDNN is kept and XLA left off."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from processes import environment
from test_batches import sequences

from bilstm_companion import backend, keras_internals
from bilstm_companion.cudnn import lstm_layers
from bilstm_companion.own_data import recipe, trainer
from bilstm_companion.own_data.batches import Batches, DealEachEpoch
from bilstm_companion.own_data.recipe import compile_classifier
from classify_sequences import build_classifier

ROOT = Path(__file__).resolve().parents[1]
tensorflow_only = pytest.mark.skipif(backend.name() != "tensorflow", reason="tf.data and XLA are TensorFlow's")


def fresh(target="step", seed=3, units=3, features=("a", "b"), classes=("0", "1")):
    keras.utils.set_random_seed(seed)
    return compile_classifier(build_classifier(list(features), list(classes), target, "bilstm", units=units,
                                               mean=[0.1, -0.1], variance=[1.2, 0.9]), 2, 0.01)


def data_sets(seed=0):
    lengths = np.random.default_rng(seed).integers(3, 17, 60).tolist()  # widths 8 and 16 (or the longest)
    return sequences(lengths[:48], seed=seed), sequences(lengths[48:], seed=seed + 1)


def train(model, training, validation, epochs=4):
    history, _ = trainer.fit_one(model, training, validation, epochs=epochs, batch_size=8, patience=10, seed=2)
    return history, model.get_weights()


@pytest.fixture(autouse=True)
def nothing_kept():
    trainer._KEPT.clear()
    yield
    trainer._KEPT.clear()


def test_a_kept_model_trains_a_fold_exactly_as_a_fresh_model_would():
    (first_training, first_validation), (training, validation) = data_sets(0), data_sets(5)
    kept = trainer.kept(fresh(seed=3))
    train(kept, first_training, first_validation, epochs=2)  # the first fold: the model is now trained
    again = trainer.kept(fresh(seed=4))
    assert again is kept  # one model, one set of compiled functions, for the architecture
    history, weights = train(again, training, validation, epochs=3)
    trainer._KEPT.clear()
    expected_history, expected_weights = train(trainer.kept(fresh(seed=4)), training, validation, epochs=3)
    assert history.equals(expected_history)
    for value, expected in zip(weights, expected_weights, strict=True):
        np.testing.assert_array_equal(value, expected)



def test_data_of_other_names_trains_the_kept_model_which_then_describes_that_data():
    from bilstm_companion.own_data.layers import schema_of

    first = trainer.kept(fresh())
    again = trainer.kept(fresh(features=("x", "noise"), classes=("low", "high")))
    assert again is first  # the names compute nothing: the same compiled functions
    assert (schema_of(again).features, schema_of(again).classes) == (["x", "noise"], ["low", "high"])
    assert trainer.kept(fresh(units=5)) is not first


def test_each_fold_is_scored_by_its_own_training_though_one_model_trains_them_all(tmp_path, monkeypatch):
    """The kept model trains every fold in turn: each fold's predictions must come from that
    fold's weights, as they do when every fold trains a fresh model of its own."""
    import pandas as pd

    import classify_sequences
    from bilstm_companion.own_data.example import example_frame

    example_frame(n_sequences=30, lengths=(3, 7), seed=3).to_csv(tmp_path / "data.csv", index=False)
    monkeypatch.setattr(sys, "argv", ["classify_sequences.py"])
    monkeypatch.setattr(backend, "fit_with_xla", lambda: False)  # (XLA is beside the point, and slow to compile)

    def run(out):
        assert classify_sequences.main([str(tmp_path / "data.csv"), "--folds", "2", "--model", "lstm", "--epochs",
                                        "2", "--units", "3", "--no-batch-folds", "--quiet", "--no-dtw",
                                        "--output-dir", str(out)]) == 0
        return [pd.read_csv(out / f"classify_sequences_{part}.csv") for part in ("folds", "predictions")]

    kept = run(tmp_path / "kept")
    trainer._KEPT.clear()
    monkeypatch.setattr(trainer, "kept", lambda model, xla=None: trainer.compiled_for_fit(model, xla))
    for got, expected in zip(kept, run(tmp_path / "fresh"), strict=True):
        pd.testing.assert_frame_equal(got, expected)

@tensorflow_only
def test_the_tensorflow_feed_serves_each_epoch_the_batches_the_pydataset_serves():
    from bilstm_companion.own_data.feed_tensorflow import epochs_dataset

    training, _ = data_sets(0)
    served = Batches(training, 8, targets=recipe.targets(training), seed=2)
    dataset = epochs_dataset(Batches(training, 8, targets=recipe.targets(training), seed=2), 3)
    # No autotuning: fit's end would wait, idle, for its sleeping thread (docs/performance.md).
    assert dataset.options().autotune.enabled is False
    fed = iter(dataset)
    for epoch in range(3):
        served.start_epoch(epoch)
        for index in range(len(served)):
            for expected, got in zip(served[index], next(fed), strict=True):
                np.testing.assert_array_equal(got.numpy(), expected)


@tensorflow_only
def test_xla_and_the_feed_train_as_the_plain_path_does_to_float32_rounding():
    training, validation = data_sets(0)
    # Today's path before XLA: the PyDataset, told each epoch, with Keras' own compilation.
    # In the widths trainer.fit_one chooses.
    plain = fresh()
    served, checked = trainer.batches_for(training, validation, 8, 4, 10, seed=2)
    history = plain.fit(served, validation_data=checked, epochs=4, shuffle=False, verbose=0,
                        callbacks=[DealEachEpoch(served, checked), *recipe.callbacks(10)])
    compiled = trainer.kept(fresh(), xla=True)
    assert compiled.jit_compile
    compiled_history, compiled_weights = train(compiled, training, validation)
    for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
        np.testing.assert_allclose(compiled_history[name], history.history[name], rtol=1e-5, err_msg=name)
    for value, expected in zip(compiled_weights, plain.get_weights(), strict=True):
        np.testing.assert_allclose(value, expected, rtol=1e-4, atol=1e-5)
    predicted, expected = (trainer.classes_of(trainer.predict_in_batches(model, validation)) for model in (compiled, plain))
    np.testing.assert_array_equal(predicted[0], expected[0])
    np.testing.assert_allclose(predicted[1], expected[1], atol=1e-5)


@tensorflow_only
def test_on_a_gpu_fit_keeps_cudnn_and_leaves_xla_off(monkeypatch):
    module, name = keras_internals.GPU_CHECK
    monkeypatch.setattr(importlib.import_module(module), name, lambda: True)  # as on a CUDA machine
    assert not backend.fit_with_xla()
    model = trainer.kept(fresh())
    assert not model.jit_compile
    assert all(layer.use_cudnn != False for layer in lstm_layers(model))
    monkeypatch.undo()
    trainer._KEPT.clear()
    model = trainer.kept(fresh())  # on this CPU
    assert model.jit_compile and all(layer.use_cudnn is False for layer in lstm_layers(model))


# In a fresh process with an XLA cache of its own: how many programs XLA has compiled after a
# first fold, and after a second fold of the same architecture on the same widths.
COMPILED_PER_FOLD = """
import json, sys
from pathlib import Path
from bilstm_companion import startup
startup.start_backend("cpu")
sys.path.insert(0, "tests")
import numpy as np
from test_fitting import data_sets, fresh, train
from bilstm_companion.own_data import trainer
cache = Path(sys.argv[1]) / "bilstm-companion" / "tensorflow"
counts = []
training, validation = data_sets(0)
for seed in (3, 4):
    train(trainer.kept(fresh(seed=seed)), training, validation, epochs=2)
    counts.append(len(list(cache.iterdir())))
print(json.dumps(counts))
"""


@tensorflow_only
def test_each_batch_width_compiles_once_per_architecture_not_once_per_fold(tmp_path):
    done = subprocess.run([sys.executable, "-c", COMPILED_PER_FOLD, str(tmp_path)], cwd=ROOT,
                          env=environment(XDG_CACHE_HOME=str(tmp_path)), capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = json.loads(done.stdout.strip().splitlines()[-1])
    assert first > 0 and second == first  # the second fold compiled nothing new
