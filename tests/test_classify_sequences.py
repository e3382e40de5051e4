"""Your own sequences: reading a long CSV, masking, scaling, training, refusals, the saved model."""

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from own_data import refusal, run_main, small_example, split
from processes import environment

from bilstm_companion.own_data import trainer
from bilstm_companion.own_data.csv_files import read_sequences
from bilstm_companion.own_data.estimators import SequenceClassifier
from bilstm_companion.own_data.layers import (
    EachSequenceScaled,
    MaxOverSteps,
    Standardize,
    schema_of,
    statistics_by_sequence,
)
from bilstm_companion.own_data.recipe import compile_classifier
from bilstm_companion.own_data.sequences import DataError, feature_statistics
from bilstm_companion.stopping import STOP
from classify_sequences import build_classifier

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--epochs", "2", "--units", "3", "--quiet", "--batch-size", "32", "--ensemble", "1"]  # (the batch size: as many updates as before it was chosen by size; one network, as an ensemble has tests of its own)


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


# Reading the CSV ---------------------------------------------------------------------------------

def test_long_rows_become_padded_sequences_in_step_order(tmp_path):
    # Rows out of order, two features, ids as text, sequences of 3 and 2 steps.
    path = write(tmp_path, "id,step,a,b,label\n"
                           "s2,2,0.5,5,1\ns1,3,0.3,3,1\ns1,1,0.1,1,0\ns2,1,0.4,4,0\ns1,2,0.2,2,0\n")
    data = read_sequences(path)
    assert data.ids.tolist() == ["s2", "s1"]  # in order of first appearance
    assert data.features == ["a", "b"]  # every column but id, step and label
    assert data.X.shape == (2, 3, 3)
    np.testing.assert_allclose(data.X[1], [[0.1, 1, 1], [0.2, 2, 1], [0.3, 3, 1]])
    np.testing.assert_allclose(data.X[0], [[0.4, 4, 1], [0.5, 5, 1], [0, 0, 0]])  # padded
    assert data.mask.tolist() == [[True, True, False], [True, True, True]]
    assert data.y.tolist() == [[0, 1, 0], [0, 0, 1]]
    assert data.classes == ["0", "1"]


def test_columns_are_chosen_by_option_and_the_order_column_is_optional(tmp_path):
    path = write(tmp_path, "seq,t,x,noise,y\n1,2,0.2,9,b\n1,1,0.1,9,a\n2,1,0.3,9,a\n")
    data = read_sequences(path, id_column="seq", order_column="t", label_column="y", features=["x"])
    assert data.features == ["x"] and data.X.shape == (2, 2, 2)
    assert data.X[0, :, 0].tolist() == pytest.approx([0.1, 0.2])
    # No "step" column: the rows' own order counts.
    path = write(tmp_path, "id,x,label\n1,0.2,a\n1,0.1,b\n", name="unordered.csv")
    assert read_sequences(path).X[0, :, 0].tolist() == pytest.approx([0.2, 0.1])


def test_labels_per_sequence_and_classes_sorted_as_numbers(tmp_path):
    path = write(tmp_path, "id,step,x,label\n1,1,0.1,10\n1,2,0.2,10\n2,1,0.3,2\n3,1,0.4,1\n")
    data = read_sequences(path, target="sequence")
    assert data.classes == ["1", "2", "10"]  # as numbers, not as text ("10" < "2")
    assert data.y.tolist() == [2, 1, 0]


def test_split_is_by_sequence_seeded_and_scaling_uses_the_training_split(tmp_path):
    data = read_sequences(small_example(tmp_path))
    training, validation, test = split(data, seed=3)
    assert (len(training), len(validation), len(test)) == (28, 6, 6)
    assert not set(training.ids) & set(test.ids)
    assert split(data, seed=3)[2].ids.tolist() == test.ids.tolist()
    mean, _variance = feature_statistics(training)
    real = training.X[training.mask][:, :2]
    np.testing.assert_allclose(mean, real.mean(axis=0), rtol=1e-6)
    assert not np.allclose(mean, data.X[data.mask][:, :2].mean(axis=0))  # not the whole data's


# Masking: padding never changes a prediction or the loss -------------------------------------------

@pytest.mark.parametrize("model", ["lstm", "bilstm"])
@pytest.mark.parametrize("target", ["step", "sequence"])
def test_padding_to_10_or_to_50_steps_changes_no_prediction_and_no_loss(model, target):
    rng = np.random.default_rng(0)
    lengths = [3, 10, 7]
    X = np.zeros((3, 10, 3), np.float32)
    for index, length in enumerate(lengths):
        X[index, :length, :2] = rng.normal(size=(length, 2))
        X[index, :length, 2] = 1.0
    y = (rng.random((3, 10)) > 0.5).astype(np.int64) if target == "step" else np.array([0, 1, 1])
    keras.utils.set_random_seed(1)
    # (a label per sequence: each sequence scaled by its own statistics, the default there)
    scaling = "training" if target == "step" else "sequence"
    statistics = {"mean": [0.1, -0.2], "variance": [1.5, 0.8]} if target == "step" else {}
    classifier = compile_classifier(build_classifier(["a", "b"], ["no", "yes"], target, model, units=3,
                                                     scaling=scaling, **statistics), 2)
    longer = np.concatenate([X, np.zeros((3, 40, 3), np.float32)], axis=1)
    short, long = classifier.predict(X, verbose=0), classifier.predict(longer, verbose=0)
    if target == "step":
        for index, length in enumerate(lengths):
            np.testing.assert_allclose(long[index, :length], short[index, :length], rtol=1e-5, atol=1e-6)
        targets = y[..., None], np.concatenate([y, np.zeros((3, 40), np.int64)], axis=1)[..., None]
    else:
        np.testing.assert_allclose(long, short, rtol=1e-5, atol=1e-6)
        targets = y, y
    loss_short = classifier.evaluate(X, targets[0], verbose=0, return_dict=True)["loss"]
    loss_long = classifier.evaluate(longer, targets[1], verbose=0, return_dict=True)["loss"]
    assert loss_long == pytest.approx(loss_short, rel=1e-5)
    # And the mask is not trivially doing nothing: a real step's value matters.
    changed = X.copy()
    changed[0, 2, 0] += 3.0
    assert not np.allclose(classifier.predict(changed, verbose=0)[0], short[0])


def test_the_backward_half_sees_the_end_of_the_sequence_not_the_padding():
    # A bidirectional prediction at step 0 depends on the last real step, however much
    # padding follows it; so the backward LSTM starts from the true end.
    # Scaling moves the padding away from zero, so only the mask can keep it out.
    keras.utils.set_random_seed(2)
    classifier = build_classifier(["a"], ["no", "yes"], "step", "bilstm", units=3, mean=[0.4], variance=[0.5])
    X = np.zeros((1, 30, 2), np.float32)
    X[0, :4, 0], X[0, :4, 1] = [0.3, -0.2, 0.5, 0.9], 1.0
    bumped = X.copy()
    bumped[0, 3, 0] += 1.0  # the last real step
    first = lambda inputs: classifier.predict(inputs, verbose=0)[0, 0, 0]
    assert first(bumped) != pytest.approx(first(X), abs=1e-6)
    np.testing.assert_allclose(classifier.predict(X[:, :4], verbose=0)[0, :4],
                               classifier.predict(X, verbose=0)[0, :4], rtol=1e-5, atol=1e-6)


# Training, the report and the saved model ---------------------------------------------------------

def test_an_ensemble_is_one_model_whose_members_each_train_and_whose_file_holds_them_all(tmp_path, monkeypatch,
                                                                                           capsys):
    path = small_example(tmp_path, per_sequence=True)
    out = tmp_path / "out"
    assert run_main(monkeypatch, path, *QUICK, "--target", "sequence", "--ensemble", "2", "--no-dtw",
                    "--output-dir", out) == 0
    printed = capsys.readouterr().out
    assert "bilstm is 2 networks from 2 seeds, their probabilities averaged; they trained 2 epochs" in printed
    history = pd.read_csv(out / "classify_sequences_history.csv")
    assert history.columns[:4].tolist() == ["model", "fold", "member", "finished"]
    assert history.groupby("model")["member"].unique().map(list).to_dict() == {"bilstm": [1, 2], "no_memory": [1, 2]}
    folds = pd.read_csv(out / "classify_sequences_folds.csv")
    assert folds["model"].tolist().count("bilstm") == 1  # one model to the comparison
    # The saved model holds both members and predicts as the run did.
    model = keras.saving.load_model(out / "classify_sequences.keras")
    assert sum(isinstance(layer, keras.Model) for layer in model.layers) == 2
    table = pd.read_csv(out / "classify_sequences_predictions.csv")
    assert run_main(monkeypatch, path, "--predict", out / "classify_sequences.keras", "--output-dir", out,
                    "--quiet") == 0
    again = pd.read_csv(out / "classify_sequences_predictions_data.csv").merge(table, on="id", suffixes=("", "_run"))
    assert len(again) == len(table) and (again["predicted"] == again["predicted_run"]).all()
    np.testing.assert_allclose(again["probability"], again["probability_run"], atol=2e-6)


def test_a_run_writes_predictions_curves_plot_and_a_model_that_predicts_the_same(tmp_path, monkeypatch,
                                                                                capsys):
    path = small_example(tmp_path)
    out = tmp_path / "out"
    assert run_main(monkeypatch, path, *QUICK, "--output-dir", out) == 0
    printed = capsys.readouterr().out
    assert ("Accuracy on the test split (share of timesteps); 95% intervals over the 6 test sequences, for the "
            "models as trained in this run") in printed
    assert re.search(r"^  majority  +[\d.]+ \([\d.]+ to [\d.]+\)", printed, re.MULTILINE), printed
    assert "Confusion matrix" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        "classify_sequences.keras", "classify_sequences.png", "classify_sequences_folds.csv",
        "classify_sequences_folds.png", "classify_sequences_history.csv", "classify_sequences_predictions.csv"]
    # The last line names every file written.
    assert sorted(printed.rstrip().splitlines()[-1].removeprefix("Saved ").split(", ")) == sorted(
        str(p) for p in out.iterdir())
    table = pd.read_csv(out / "classify_sequences_predictions.csv")
    assert table.columns.tolist() == ["id", "step", "label", "predicted", "probability"]
    data = read_sequences(path)
    test = split(data, seed=1)[2]
    assert len(table) == int(test.mask.sum())  # one row per real test step
    assert set(table["id"].astype(str)) == set(test.ids)
    assert table["probability"].between(0.5, 1).all()
    history = pd.read_csv(out / "classify_sequences_history.csv")
    assert history["epoch"].tolist() == [1, 2, 1, 2]  # bilstm, then no_memory
    assert history["model"].tolist() == ["bilstm"] * 2 + ["no_memory"] * 2
    # The saved model scales with the training split's statistics, and predicts the same.
    model = keras.saving.load_model(out / "classify_sequences.keras")
    normalization = next(layer for layer in model.layers if isinstance(layer, Standardize))
    mean, _ = feature_statistics(split(data, seed=1)[0])
    np.testing.assert_allclose(np.asarray(normalization.mean).ravel()[:2], mean, rtol=1e-5)
    # Predicting into the same folder leaves every file of the training run as it was.
    before = {file.name: file.read_bytes() for file in out.iterdir()}
    assert run_main(monkeypatch, path, "--predict", out / "classify_sequences.keras",
                    "--output-dir", out, "--quiet") == 0
    after = {file.name: file.read_bytes() for file in out.iterdir()}
    assert after.pop("classify_sequences_predictions_data.csv") and after == before
    again = pd.read_csv(out / "classify_sequences_predictions_data.csv")
    merged = table.merge(again, on=["id", "step"], suffixes=("", "_again"))
    assert len(merged) == len(table)
    assert (merged["predicted"] == merged["predicted_again"]).all()
    np.testing.assert_allclose(merged["probability"], merged["probability_again"], atol=2e-6)


def test_one_label_per_sequence_and_three_classes(tmp_path, monkeypatch):
    def three_classes(frame):
        total = frame.groupby("id")["x"].transform("sum")
        return np.select([total < 1.5, total < 3], ["low", "mid"], "high")

    path = small_example(tmp_path, label=three_classes)
    out = tmp_path / "out"
    assert run_main(monkeypatch, path, *QUICK, "--target", "sequence", "--model", "lstm",
                    "--output-dir", out) == 0
    table = pd.read_csv(out / "classify_sequences_predictions.csv", keep_default_na=False)
    assert len(table) == 6 and (table["step"] == "").all()  # one row per test sequence
    assert set(table["predicted"]) <= {"high", "low", "mid"}
    model = keras.saving.load_model(out / "classify_sequences.keras")
    assert model.output_shape == (None, 3)  # a softmax over three classes
    assert schema_of(model).classes == ["high", "low", "mid"]


def test_a_stop_request_in_training_saves_the_finished_epochs(tmp_path, monkeypatch, capfd):
    path = small_example(tmp_path)
    real_train = trainer.fit_one

    def ctrl_c_in_the_first_batch(*args, **options):
        STOP.request(130)
        return real_train(*args, **options)

    monkeypatch.setattr(trainer, "fit_one", ctrl_c_in_the_first_batch)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "classify_sequences_folds.png").write_bytes(b"an earlier run's plot")
    status = run_main(monkeypatch, path, "--epochs", "50", "--units", "3", "--quiet",
                      "--output-dir", tmp_path / "out")
    assert status == 130
    history = pd.read_csv(tmp_path / "out" / "classify_sequences_history.csv")
    assert len(history) == 1  # stopped after the first batch; the epoch was validated
    assert (tmp_path / "out" / "classify_sequences.keras").exists()
    assert not (tmp_path / "out" / "classify_sequences_folds.png").exists()  # nothing to compare
    assert "Stopped early: no network finished a fold" in capfd.readouterr().err


# Bad data: one line, status 2, nothing written ------------------------------------------------------

BAD = {
    "missing file": (lambda tmp: tmp / "nowhere.csv", [], "no such file: "),
    "empty file": (lambda tmp: write(tmp, ""), [], "is empty"),
    "header only": (lambda tmp: write(tmp, "id,step,x,label\n"), [], "has a header but no rows"),
    "missing column": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,0\n"), ["--label", "y"],
                       "--label: '{path}' has no column 'y'; its columns are id, step, x, label"),
    "missing feature": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,0\n"), ["--features", "x,z"],
                        "--features: '{path}' has no column 'z'"),
    "text feature": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,0\n1,2,abc,1\n"), [],
                     "feature 'x' on line 3 is 'abc', not a number"),
    "NaN feature": (lambda tmp: write(tmp, "id,step,x,label\n1,1,nan,0\n"), [],
                    "feature 'x' on line 2 is 'nan', not a number"),
    "empty feature": (lambda tmp: write(tmp, "id,step,x,label\n1,1,,0\n"), [],
                      "feature 'x' on line 2 is empty"),
    "missing label": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,0\n1,2,0.6,\n"), [],
                      "the label 'label' on line 3 is empty or missing"),
    "NA label": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,0\n1,2,0.6,NA\n"), [],
                 "the label 'label' on line 3 is empty or missing"),
    "after a blank line": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,0\n\n1,2,abc,1\n"), [],
                           "feature 'x' on line 4 is 'abc', not a number"),
    "label as a feature": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,0\n"), ["--features", "x,label"],
                           "--features: 'label' is already the column of --label; each column has one role only"),
    "id as the label": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,0\n"), ["--label", "id"],
                        "--label: 'id' is already the column of --id"),
    "feature twice": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,0\n"), ["--features", "x,x"],
                      "--features: 'x' is named twice"),
    "label changes": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,a\n1,2,0.6,b\n2,1,0.1,a\n"),
                      ["--target", "sequence"],
                      ("the label of sequence '1' changes on line 3: with one label per sequence, it "
                       "must stay the same within a sequence")),
    "one class": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,a\n2,1,0.6,a\n"), [],
                  "every label in 'label' is 'a': with a single class there is nothing to classify"),
    "too few sequences": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,a\n2,1,0.6,b\n"), [],
                          "2 sequences cannot be split into training, validation and test sets"),
    "empty id": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,a\n,2,0.6,b\n"), [],
                 "the id 'id' on line 3 is empty or missing: every row needs the id of its sequence"),
    "step twice": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,a\n1,1,0.6,b\n"), [],
                   "sequence '1' has step 1 twice (lines 2 and 3)"),
    "a row too long": (lambda tmp: write(tmp, "id,step,x,label\n1,1,0.5,a\n1,2,0.6,b,extra\n"), [],
                       "is not a CSV file pandas can read (Error tokenizing data"),
    "no feature": (lambda tmp: write(tmp, "id,step,label\n1,1,a\n"), [],
                   "has no feature column besides id, step and label"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_data_is_refused_in_one_line_with_nothing_written(tmp_path, monkeypatch, capsys, case):
    make, args, words = BAD[case]
    path = make(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    err = refusal(monkeypatch, capsys, path, *args, *QUICK, "--output-dir", tmp_path / "out")
    assert words.format(path=path) in err
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, anywhere


def untrained_model(tmp_path):
    path = tmp_path / "model.keras"
    build_classifier(["x", "noise"], ["0", "1"], units=4).save(path)
    return path


def test_predicting_takes_the_models_features_in_its_order_or_the_columns_named_for_them(
        tmp_path, monkeypatch, capsys):
    model = untrained_model(tmp_path)
    path = small_example(tmp_path)
    out = tmp_path / "out"
    for features in ("x", "noise,x"):
        err = refusal(monkeypatch, capsys, path, "--predict", model, "--features", features, "--output-dir", out)
        assert "argument --features: the model takes 2 features in this order: x, noise" in err
    assert "the model predicts a label per step, not per sequence" in refusal(
        monkeypatch, capsys, path, "--predict", model, "--target", "sequence", "--output-dir", out)
    renamed = small_example(tmp_path, name="renamed.csv")
    frame = pd.read_csv(renamed).rename(columns={"noise": "other"})
    frame.to_csv(renamed, index=False)
    err = refusal(monkeypatch, capsys, renamed, "--predict", model, "--output-dir", out)
    assert "has no column 'noise', a feature the model was trained on; its columns are id, step, x, other, label" in err
    assert not out.exists()
    # Columns named for the model's features, in its order, are used as those features.
    assert run_main(monkeypatch, renamed, "--predict", model, "--features", "x,other", "--output-dir", out,
                    "--quiet") == 0
    by_name = pd.read_csv(out / "classify_sequences_predictions_renamed.csv")
    assert run_main(monkeypatch, path, "--predict", model, "--output-dir", tmp_path / "same", "--quiet") == 0
    assert by_name.equals(pd.read_csv(tmp_path / "same" / "classify_sequences_predictions_data.csv"))


def test_read_errors_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="is a folder"):
        read_sequences(tmp_path)


# As a reader runs it -------------------------------------------------------------------------------

def test_the_example_commands_run_word_for_word(tmp_path, monkeypatch, capsys):
    # The first command in this process, the second as a reader runs it, in its own.
    assert run_main(monkeypatch, "--write-example", tmp_path / "data.csv") == 0
    assert "Wrote 600 sequences" in capsys.readouterr().out
    frame = pd.read_csv(tmp_path / "data.csv")
    assert frame.columns.tolist() == ["id", "step", "x", "noise", "label"]
    assert frame.groupby("id").size().between(5, 30).all()
    assert run_main(monkeypatch, "--write-example", tmp_path / "other.csv", "--seed", "2") == 0
    assert not pd.read_csv(tmp_path / "other.csv")["x"].head(30).equals(frame["x"].head(30))
    # The second with 10 of its at most 300 epochs: enough to be far above the baseline.
    trained = subprocess.run([sys.executable, "classify_sequences.py", tmp_path / "data.csv", "--epochs",
                              "10", "--output-dir", tmp_path / "out"], cwd=ROOT, env=environment(), capture_output=True,
                             text=True, timeout=600, check=False)
    assert trained.returncode == 0, trained.stderr
    # Progress alone on stderr: no start-up log of the backend, no warning.
    for line in trained.stderr.splitlines():
        assert re.match(r"(bilstm|no_memory): epoch \d+/10 \[", line), trained.stderr
    accuracy = float(re.search(r"^  bilstm +([\d.]+) ", trained.stdout, re.MULTILINE)[1])
    baseline = float(re.search(r"^  majority +([\d.]+) ", trained.stdout, re.MULTILINE)[1])
    assert accuracy > 0.9 and accuracy > baseline + 0.3, trained.stdout
    assert (tmp_path / "out" / "classify_sequences.png").read_bytes().startswith(b"\x89PNG")


def test_standardize_scales_as_keras_normalization_does_and_keeps_its_statistics(tmp_path):
    mean, variance = [0.3, -2.0, 0.0], [4.0, 0.25, 1.0]
    scale = Standardize(3)
    scale.build((None, None, 3))
    scale.mean.assign(np.array(mean, np.float32))
    scale.variance.assign(np.array(variance, np.float32))
    X = np.random.default_rng(0).normal(size=(2, 5, 3)).astype(np.float32)
    expected = keras.layers.Normalization(mean=mean, variance=variance)(X)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(scale(X)), keras.ops.convert_to_numpy(expected))
    model = keras.Sequential([keras.Input((None, 3)), scale])
    model.save(tmp_path / "scale.keras")
    loaded = keras.saving.load_model(tmp_path / "scale.keras")
    np.testing.assert_array_equal(np.asarray(loaded.layers[0].variance), variance)


def test_each_sequence_is_scaled_by_its_own_statistics_keeping_its_level_and_size(tmp_path):
    # Three sequences of one feature, padded to 5 steps: a ramp, a constant, one of all zeros.
    X = np.zeros((3, 5, 2), np.float32)
    X[0, :3] = [[1, 1], [2, 1], [3, 1]]
    X[1, :, :] = [10, 1]
    X[2, :4, 1] = 1
    scaled = keras.ops.convert_to_numpy(EachSequenceScaled()(X))
    assert scaled.shape == (3, 5, 4) and np.isfinite(scaled).all()
    np.testing.assert_allclose(scaled[0, :3, 0], [-1.2247449, 0, 1.2247449], rtol=1e-6)  # z-scores
    np.testing.assert_allclose(scaled[0, :3, 1], 2 / (2 + np.sqrt(2 / 3)), rtol=1e-6)  # level: mean / (|mean| + sd)
    np.testing.assert_allclose(scaled[0, :3, 2], np.log(2 + np.sqrt(2 / 3)), rtol=1e-6)  # size
    np.testing.assert_allclose(scaled[1, :, :3], np.tile([0, 1, np.log(10)], (5, 1)), rtol=1e-6)
    assert (scaled[0, 3:] == 0).all() and (scaled[2, 4:] == 0).all()  # padding stays padding
    np.testing.assert_array_equal(scaled[..., -1], X[..., -1])
    # A constant that float32 cannot hold exactly is still a constant: 0, not ±1 from rounding.
    for value, steps in ((0.1, 7), (0.1, 100), (0.3, 7), (1.7, 33)):
        flat = np.zeros((1, 100, 2), np.float32)
        flat[0, :steps] = [value, 1]
        assert (keras.ops.convert_to_numpy(EachSequenceScaled()(flat))[0, :, 0] == 0).all(), (value, steps)
    # In another unit (x 1000) the same model input: the size moves by a constant that the
    # training set's scaling removes.
    data = read_sequences(small_example(tmp_path, label=lambda frame: frame["id"] % 2), target="sequence")
    other = dataclasses.replace(data, X=data.X * np.array([1000, 1000, 1], np.float32))
    for statistics_of in (data, other):
        mean, variance = statistics_by_sequence(statistics_of)
        scale = Standardize(len(mean) + 1)
        scale.build((None, None, len(mean) + 1))
        scale.mean.assign(np.array([*mean, 0.0], np.float32))
        scale.variance.assign(np.array([*variance, 1.0], np.float32))
        inputs = keras.ops.convert_to_numpy(scale(EachSequenceScaled()(statistics_of.X)))
        if statistics_of is data:
            first = inputs
    np.testing.assert_allclose(inputs[data.mask], first[data.mask], atol=2e-4)
    # A label per sequence scales so by default, the saved model keeps it, and the loaded
    # estimator says so; a label per step keeps the training set's scaling.
    mean, variance = statistics_by_sequence(data)
    model = build_classifier(["x", "noise"], ["0", "1"], "sequence", "lstm", units=2, mean=mean, variance=variance,
                             scaling="sequence")
    assert any(isinstance(layer, EachSequenceScaled) for layer in model.layers)
    assert SequenceClassifier(target="sequence").scaling_used() == "sequence"
    assert SequenceClassifier(target="step").scaling_used() == "training"
    model.save(tmp_path / "model.keras")
    assert SequenceClassifier.load(tmp_path / "model.keras").scaling == "sequence"


def test_long_sequences_are_shortened_for_a_label_per_sequence_and_the_model_remembers(tmp_path, monkeypatch):
    from bilstm_companion.own_data.sequences import shorten

    path = small_example(tmp_path, label=lambda frame: frame["id"] % 2)
    data = read_sequences(path, target="sequence")
    short = shorten(data, 5)
    lengths, new_lengths = data.mask.sum(axis=1), short.mask.sum(axis=1)
    assert short.X.shape[1] == 5 and (new_lengths == np.minimum(lengths, 5)).all()
    kept = np.flatnonzero(lengths <= 5)
    np.testing.assert_array_equal(short.X[kept], data.X[kept, :5])  # short ones as they were
    longest = int(np.argmax(lengths))  # the first and last real steps are kept, between them interpolated
    assert short.X[longest, 0, 0] == data.X[longest, 0, 0]
    assert short.X[longest, -1, 0] == pytest.approx(data.X[longest, lengths[longest] - 1, 0])
    with pytest.raises(ValueError, match="one label each"):
        shorten(read_sequences(path), 5)
    out = tmp_path / "out"
    assert run_main(monkeypatch, path, *QUICK, "--target", "sequence", "--max-steps", "5", "--output-dir", out) == 0
    model = keras.saving.load_model(out / "classify_sequences.keras")
    assert schema_of(model).max_steps == 5
    assert any(isinstance(layer, MaxOverSteps) for layer in model.layers)
    # --predict shortens new data as the training data was, so it predicts what training did.
    assert run_main(monkeypatch, path, "--predict", out / "classify_sequences.keras", "--output-dir", out,
                    "--quiet") == 0
    trained = pd.read_csv(out / "classify_sequences_predictions.csv")
    again = pd.read_csv(out / "classify_sequences_predictions_data.csv").set_index("id").loc[trained["id"]]
    np.testing.assert_allclose(again["probability"], trained["probability"], atol=2e-6)


def test_the_last_state_is_the_articles_pooling(tmp_path):
    last = build_classifier(["a"], ["x", "y"], "sequence", "lstm", units=3, pooling="last")
    pooled = build_classifier(["a"], ["x", "y"], "sequence", "lstm", units=3)
    assert not any(isinstance(layer, MaxOverSteps) for layer in last.layers)
    assert any(isinstance(layer, MaxOverSteps) for layer in pooled.layers)
    # Max pooling counts real steps only: whatever the LSTM's outputs on padding, even the largest.
    outputs = np.array([[[0.1, -0.5], [0.3, -0.2], [9.0, 9.0]]], np.float32)
    mask = np.array([[True, True, False]])
    np.testing.assert_allclose(MaxOverSteps()(outputs, mask=mask), [[0.3, -0.2]])
    # So padding a sequence with more steps changes no prediction.
    X = np.zeros((1, 6, 2), np.float32)
    X[0, :3] = [[0.2, 1], [0.9, 1], [-0.4, 1]]
    before = pooled.predict(X, verbose=0)
    padded = np.concatenate([X, np.zeros((1, 4, 2), np.float32)], axis=1)
    np.testing.assert_allclose(pooled.predict(padded, verbose=0), before, rtol=1e-5)
