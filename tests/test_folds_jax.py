"""On JAX, the folds of one model train together: each equal to that fold trained alone with fit.

These tests run where the session's backend is JAX (``tests/test_backends.py`` runs them in
a JAX process of their own from a TensorFlow session).
"""

from functools import partial
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from bilstm_companion import backend
from bilstm_companion.own_data import batches, recipe, trainer
from bilstm_companion.own_data.csv_files import read_sequences
from bilstm_companion.own_data.example import example_frame
from bilstm_companion.own_data.folds import plan_folds
from bilstm_companion.own_data.recipe import compile_classifier
from bilstm_companion.own_data.sequences import feature_statistics
from classify_sequences import build_classifier

pytestmark = pytest.mark.skipif(backend.name() != "jax", reason="only JAX trains folds together")

EPOCHS, BATCH_SIZE, PATIENCE = 6, 8, 2


def folds_of(tmp_path, target):
    frame = example_frame(n_sequences=60, lengths=(3, 12), seed=3)
    if target == "sequence":
        frame["label"] = np.where(frame.groupby("id")["x"].transform("mean") > 0.5, "high", "low")
    frame.to_csv(tmp_path / "data.csv", index=False)
    data = read_sequences(tmp_path / "data.csv", target=target)
    return [(fold, data.subset(fold.training), data.subset(fold.validation)) for fold in plan_folds(data, 3, seed=5)]


def build(fold, training, model, learning_rate=0.001):
    backend.seed_everything(fold.seed)
    classifier = build_classifier(training.features, training.classes, "sequence" if training.y.ndim == 1 else "step",
                                  model, units=3, mean=feature_statistics(training)[0],
                                  variance=feature_statistics(training)[1])
    return compile_classifier(classifier, len(training.classes), learning_rate)


def alone(parts, model, epochs=EPOCHS, patience=PATIENCE, learning_rate=0.001):
    """Each fold trained alone with ``fit``, as the script trains it one fold at a time: through
    the one model kept for the architecture (``tests/test_fitting.py`` holds that to a fresh
    model's training), so each batch width compiles once, not once per fold."""
    results = []
    trainer._KEPT.clear()
    for fold, training, validation in parts:
        classifier = trainer.kept(build(fold, training, model, learning_rate))
        history, _ = trainer.fit_one(classifier, training, validation, epochs=epochs, batch_size=BATCH_SIZE,
                                         patience=patience, seed=fold.seed)
        results.append((history, classifier.get_weights()))
    return results


def together(parts, model, should_stop=lambda: False, epochs=EPOCHS, patience=PATIENCE, learning_rate=0.001):
    """The folds through the one trainer, together in one program."""
    settings = SimpleNamespace(epochs=epochs, batch_size=BATCH_SIZE, patience=patience, verbose=0)
    members = [trainer.Member(partial(lambda fold, training, validation: (
        build(fold, training, model, learning_rate), training, validation), *part), part[0].seed, len(part[1]), 0)
        for part in parts]
    return [(history, classifier.get_weights(), interrupted)
            for classifier, history, interrupted in trainer.train(members, settings, together=True,
                                                                   should_stop=should_stop)]


def assert_same(expected, got, rtol=2e-5, *, per_sequence):
    for (history, weights), (history_together, weights_together, *_) in zip(expected, got, strict=True):
        # Float32 rounding apart: the folds' batches are padded to one shape, and summed on the host.
        # With a label per step, Keras' own training accuracy on JAX counts padded steps (the
        # mask does not come out of jax.value_and_grad with the predictions), where the folds
        # together count the real steps only: it is compared with a label per sequence.
        columns = ["epoch", "loss", "val_accuracy", "val_loss", "learning_rate"] + (["accuracy"] if per_sequence else [])
        pd.testing.assert_frame_equal(history_together[columns], history[columns], check_dtype=False, rtol=rtol,
                                      atol=1e-6)
        for value, value_together in zip(weights, weights_together, strict=True):
            np.testing.assert_allclose(value_together, value, rtol=5 * rtol, atol=rtol)


@pytest.mark.parametrize(("target", "model"), [("step", "bilstm"), ("sequence", "lstm"), ("sequence", "no_memory")])
def test_each_fold_trained_together_equals_that_fold_trained_alone(tmp_path, target, model):
    parts = folds_of(tmp_path, target)
    expected, got = alone(parts, model), together(parts, model)
    assert [len(history) for history, _ in expected] == [len(history) for history, *_ in got]
    assert_same(expected, got, per_sequence=target == "sequence")


def test_the_learning_rate_halves_on_a_plateau_as_fit_halves_it(tmp_path, monkeypatch):
    # On the whole ladder of widths (as PyTorch trains): in the one width a run this short
    # chooses, these large updates carry a float32 rounding difference of 5e-7 in epoch 2 to
    # 1e-3 by epoch 12 in one fold, so the comparison below would measure the chaos, not the
    # trainers. The other tests here train in the widths each run chooses.
    monkeypatch.setattr(batches, "TRAINING", {})
    parts = folds_of(tmp_path, "sequence")
    settings = {"epochs": 12, "patience": 9, "learning_rate": 0.3}  # a rate too large: plateaus come
    expected, got = alone(parts, "lstm", **settings), together(parts, "lstm", **settings)
    assert any(history["learning_rate"].iloc[-1] < 0.3 for history, _ in expected)
    for (history, _), (history_together, *_) in zip(expected, got, strict=True):
        assert history_together["learning_rate"].tolist() == history["learning_rate"].tolist()
    # Updates this large magnify float32 rounding differences epoch by epoch, so the rest is
    # compared more loosely here.
    assert_same(expected, got, rtol=1e-3, per_sequence=True)


def test_a_change_to_the_recipe_reaches_fit_and_the_folds_together_alike(tmp_path, monkeypatch):
    # Both trainers take their callbacks from recipe.callbacks: change the plateau's factor and
    # patience there, and both halve (now quarter) the rate at the same epochs.
    monkeypatch.setitem(recipe.PLATEAU, "factor", 0.25)
    monkeypatch.setattr(recipe, "plateau_patience", lambda patience: 1)
    parts = folds_of(tmp_path, "sequence")
    settings = {"epochs": 8, "patience": 9, "learning_rate": 0.3}
    expected, got = alone(parts, "lstm", **settings), together(parts, "lstm", **settings)
    rates = [history["learning_rate"].tolist() for history, _ in expected]
    # The new factor, after a plateau of one epoch: 0.3 x 0.25, in float32.
    assert any(np.isclose(fold_rates, 0.075, rtol=1e-6).any() for fold_rates in rates)
    assert [history["learning_rate"].tolist() for history, *_ in got] == rates


def test_a_stop_keeps_every_folds_finished_epochs_and_best_weights(tmp_path):
    parts = folds_of(tmp_path, "step")
    calls = []
    steps = max(-(-len(training) // BATCH_SIZE) for _, training, _ in parts)  # batches an epoch

    def stop_in_the_third_epoch():
        calls.append(1)
        return len(calls) >= 2 * steps + 2

    got = together(parts, "lstm", should_stop=stop_in_the_third_epoch)
    assert len(got) == len(parts) == 3
    assert all(interrupted and len(history) == 2 for history, _, interrupted in got)
    assert_same(alone(parts, "lstm", epochs=2), got, per_sequence=False)


def test_the_script_gives_the_same_numbers_with_folds_together_or_one_at_a_time(tmp_path, monkeypatch):
    import sys

    import classify_sequences

    parts = folds_of(tmp_path, "sequence")  # writes data.csv
    del parts
    monkeypatch.setattr(sys, "argv", ["classify_sequences.py"])
    tables = {}
    for option in ("--batch-folds", "--no-batch-folds"):
        out = tmp_path / option
        assert classify_sequences.main([str(tmp_path / "data.csv"), "--target", "sequence", "--folds", "3",
                                        "--model", "lstm", "--epochs", "3", "--units", "3", "--quiet",
                                        option, "--output-dir", str(out)]) == 0
        tables[option] = pd.read_csv(out / "classify_sequences_folds.csv")
        tables[option + "history"] = pd.read_csv(out / "classify_sequences_history.csv")
    pd.testing.assert_frame_equal(tables["--batch-folds"], tables["--no-batch-folds"])
    numbers = ["loss", "val_loss", "val_accuracy", "learning_rate"]
    np.testing.assert_allclose(tables["--batch-foldshistory"][numbers], tables["--no-batch-foldshistory"][numbers],
                               rtol=2e-5, atol=1e-6)


def test_an_ensembles_members_trained_together_equal_its_members_trained_one_at_a_time(tmp_path, monkeypatch):
    # Three members from three seeds, their batches in one order of widths (so that none pads
    # another's): in one program, and one after another with fit, the same numbers.
    from bilstm_companion.own_data.estimators import SequenceClassifier

    fold, training, validation = folds_of(tmp_path, "sequence")[0]
    fitted = {}
    for together in (True, False):
        monkeypatch.setattr(backend, "trains_folds_together", lambda together=together: together)
        classifier = SequenceClassifier("lstm", units=3, epochs=EPOCHS, batch_size=BATCH_SIZE, patience=PATIENCE,
                                        ensemble=3, learning_rate=0.001)
        fitted[together] = classifier._given(training)._fit_parts(training, validation, seed=fold.seed)
    histories = [fitted[way].history_ for way in (True, False)]
    assert histories[0]["member"].tolist() == histories[1]["member"].tolist()
    assert histories[0]["member"].nunique() == 3
    columns = ["epoch", "loss", "val_accuracy", "val_loss", "learning_rate", "accuracy"]
    pd.testing.assert_frame_equal(histories[0][columns], histories[1][columns], check_dtype=False, rtol=2e-5,
                                  atol=1e-6)
    probabilities = [trainer.predict_in_batches(trainer.kept(fitted[way].model_), validation) for way in (True, False)]
    np.testing.assert_allclose(probabilities[0], probabilities[1], rtol=1e-4, atol=1e-6)
    # The members differ (other seeds), and the model is their mean.
    members = [layer for layer in fitted[True].model_.layers if hasattr(layer, "layers")]
    assert len(members) == 3
    outputs = np.stack([trainer.predict_in_batches(trainer.kept(member), validation) for member in members])
    assert np.abs(outputs[0] - outputs[1]).max() > 1e-3
    np.testing.assert_allclose(probabilities[0], outputs.mean(axis=0), rtol=1e-5, atol=1e-6)
