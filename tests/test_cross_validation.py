"""The article's comparisons on your own sequences: folds, pairing, baselines, intervals, refusals."""


import keras
import numpy as np
import pandas as pd
import pytest
from own_data import refusal, run_main, small_example, split

from bilstm_companion import backend
from bilstm_companion.own_data import baselines, report, scoring, trainer
from bilstm_companion.own_data.csv_files import read_sequences
from bilstm_companion.own_data.folds import plan_folds
from bilstm_companion.stopping import STOP
from classify_sequences import build_classifier

QUICK = ["--epochs", "1", "--units", "3", "--quiet", "--batch-size", "32", "--ensemble", "1"]  # (the batch size: as many updates as before it was chosen by size; one network)


# Folds -------------------------------------------------------------------------------------------

def test_every_sequence_is_in_exactly_one_test_part_and_folds_are_stratified(tmp_path):
    data = read_sequences(small_example(tmp_path, n_sequences=53, per_sequence=True), target="sequence")
    folds = plan_folds(data, 5, seed=4)
    tested = np.concatenate([fold.test for fold in folds])
    assert sorted(tested) == list(range(53))  # each sequence once
    for fold in folds:
        parts = [set(fold.training), set(fold.validation), set(fold.test)]
        assert sum(map(len, parts)) == 53 and not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert len(fold.validation) == round(0.15 * (53 - len(fold.test)))
    # Stratified: each class is spread over the folds evenly, to one sequence.
    for label in range(2):
        per_fold = [int((data.y[fold.test] == label).sum()) for fold in folds]
        assert max(per_fold) - min(per_fold) <= 1
    assert sorted(len(fold.test) for fold in folds) == [10, 10, 11, 11, 11]
    # Seeded: the same seed, the same folds; the weights seed goes up by one a fold.
    again = plan_folds(data, 5, seed=4)
    assert all(np.array_equal(a.test, b.test) and np.array_equal(a.validation, b.validation)
               for a, b in zip(folds, again))
    assert [fold.seed for fold in folds] == [4, 5, 6, 7, 8]
    assert not np.array_equal(plan_folds(data, 5, seed=5)[0].test, folds[0].test)


def test_one_fold_is_the_single_split_and_a_test_file_makes_each_fold_the_validation(tmp_path):
    data = read_sequences(small_example(tmp_path))
    (only,) = plan_folds(data, 1, seed=3)
    for part, expected in zip((only.training, only.validation, only.test), split(data, seed=3)):
        assert data.ids[part].tolist() == expected.ids.tolist()
    (single,) = plan_folds(data, 1, seed=3, scored_on_file=True)
    assert single.test is None and len(single.validation) == 6 and len(single.training) == 34
    folds = plan_folds(data, 4, seed=3, scored_on_file=True)
    assert sorted(np.concatenate([fold.validation for fold in folds])) == list(range(40))
    assert all(fold.test is None and len(fold.training) + len(fold.validation) == 40 for fold in folds)


# Baselines ---------------------------------------------------------------------------------------

def shapes(n, length, rng):
    """Two shapes of sequence, a rising and a falling ramp, with noise, shifted and scaled."""
    y = np.arange(n) % 2
    ramp = np.linspace(-1, 1, length)
    X = np.ones((n, length, 2), np.float32)
    X[:, :, 0] = np.where(y[:, None] == 1, ramp, -ramp) + rng.normal(0, 0.3, (n, length))
    X[:, :, 0] = X[:, :, 0] * rng.uniform(0.5, 3, (n, 1)) + rng.uniform(-5, 5, (n, 1))
    return X, y


def test_nearest_neighbour_and_majority_baselines(tmp_path):
    from bilstm_companion.own_data.sequences import SequenceSet

    rng = np.random.default_rng(0)
    X, y = shapes(40, 12, rng)
    X[::3, 8:] = 0  # some sequences are shorter: resampled to one length, they still match
    data = SequenceSet(np.arange(40), X, np.zeros(X.shape[:2]), y, ["falling", "rising"], ["x"])
    training, test = data.subset(np.arange(20)), data.subset(np.arange(20, 40))
    predicted = baselines.nearest_neighbour(training, test)
    assert (predicted == test.y).all()  # the shape is found whatever the offset and scale
    unbalanced = training.subset(np.r_[np.flatnonzero(training.y == 0), 1])
    assert (baselines.majority(unbalanced, test) == 0).all()
    correct, counted = baselines.score(test, predicted)
    assert correct.sum() == counted.sum() == 20
    # A label per step: only real steps are counted.
    steps = SequenceSet(np.arange(2), X[:2], np.zeros((2, 12)), np.zeros((2, 12), np.int64),
                        ["a", "b"], ["x"])
    correct, counted = baselines.score(steps, np.zeros((2, 12), np.int64))
    assert counted.tolist() == [8, 12] and correct.tolist() == [8, 12]


def reference_dtw(a, b):
    """DTW as the archive defines it, step by step: squared differences summed along the best
    warping path, then the square root."""
    cost = np.full((len(a) + 1, len(b) + 1), np.inf)
    cost[0, 0] = 0.0
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost[i, j] = ((a[i - 1] - b[j - 1]) ** 2).sum() + min(cost[i - 1, j], cost[i, j - 1], cost[i - 1, j - 1])
    return np.sqrt(cost[-1, -1])


def test_the_nearest_neighbour_under_dtw_is_the_archives_dtw_at_any_lengths_and_features():
    from bilstm_companion.own_data.sequences import SequenceSet

    rng = np.random.default_rng(4)
    lengths = [5, 9, 7, 12, 6, 10]
    X = np.zeros((6, 12, 3), np.float32)
    for index, length in enumerate(lengths):
        X[index, :length, :2] = rng.normal(size=(length, 2))
        X[index, :length, 2] = 1.0
    data = SequenceSet(np.arange(6).astype(str), X, np.zeros((6, 12)), np.array([0, 1, 0, 1, 0, 1]), ["a", "b"],
                       ["u", "v"])
    training, scored = data.subset(np.arange(4)), data.subset(np.arange(4, 6))
    series = baselines.dtw_series(data, training)
    expected = np.array([[reference_dtw(series[r], series[q]) for q in (4, 5)] for r in range(4)])
    np.testing.assert_allclose(baselines.dtw_distances(series[:4], series[4:]), expected, rtol=1e-9)
    assert (baselines.nearest_neighbour_dtw(training, scored) == training.y[expected.argmin(axis=0)]).all()
    # A copy of a training sequence finds it, and a tie goes to the first in training order.
    twice = data.subset(np.array([0, 0, 1]))
    assert (baselines.nearest_neighbour_dtw(twice, data.subset(np.array([0]))) == [0]).all()
    assert baselines.dtw_seconds(training, scored) > 0


def test_dtw_runs_where_it_takes_no_longer_than_training_and_says_when_it_does_not(tmp_path, monkeypatch, capsys):
    path = small_example(tmp_path, per_sequence=True)
    run = ["--target", "sequence", *QUICK]
    assert run_main(monkeypatch, path, *run, "--dtw", "--output-dir", tmp_path / "on") == 0
    assert "nearest_neighbour_dtw" in set(pd.read_csv(tmp_path / "on" / "classify_sequences_folds.csv")["model"])
    # (--no-dtw: the reference runs of test_estimator.py, whose files have no DTW rows)
    capsys.readouterr()
    monkeypatch.setattr(baselines, "dtw_seconds", lambda training, scored: 1e6)  # longer than any training here
    assert run_main(monkeypatch, path, *run, "--output-dir", tmp_path / "auto") == 0
    assert "nearest_neighbour_dtw was not scored: it would take about 1000000 s here, longer than the " \
           "networks' training" in capsys.readouterr().out


@pytest.mark.parametrize("target", ["step", "sequence"])
def test_the_network_without_memory_sees_one_step_or_the_mean_of_the_real_steps(target):
    keras.utils.set_random_seed(1)
    model = build_classifier(["a"], ["no", "yes"], target, "no_memory", mean=[0.2], variance=[2.0])
    assert not any(isinstance(layer, (keras.layers.LSTM, keras.layers.Bidirectional)) for layer in model.layers)
    X = np.zeros((1, 6, 2), np.float32)
    X[0, :4] = [[0.5, 1], [-1.0, 1], [2.0, 1], [0.3, 1]]
    changed = X.copy()
    changed[0, 2, 0] = -3.0
    before, after = model.predict(X, verbose=0), model.predict(changed, verbose=0)
    if target == "step":  # step 0's prediction ignores step 2, step 2's does not
        assert after[0, 0, 0] == pytest.approx(before[0, 0, 0])
        assert after[0, 2, 0] != pytest.approx(before[0, 2, 0])
    else:  # the mean of the real steps: padding changes nothing, a real step does
        assert after[0, 0] != pytest.approx(before[0, 0])
        np.testing.assert_allclose(model.predict(X[:, :4], verbose=0), before, rtol=1e-5)


# Intervals and verdicts ----------------------------------------------------------------------------

def result(model, fold, correct, first):
    """Model ``model`` in ``fold``: ``correct`` of 10 steps right in each of its sequences, the
    DATA positions ``first``, ``first + 1``, ..."""
    correct = np.asarray(correct)
    return scoring.Result(model, fold, correct, np.full(len(correct), 10), 1, np.arange(first, first + len(correct)))


def test_summary_over_folds_counts_every_sequence_and_training_and_says_which_is_more_accurate():
    rng = np.random.default_rng(1)
    results = []
    for fold in (1, 2, 3):
        first = 10 * (fold - 1)
        lstm = rng.integers(4, 9, 10)
        results += [result("lstm", fold, lstm, first), result("bilstm", fold, np.minimum(lstm + 2, 10), first),
                    result("majority", fold, rng.integers(3, 10, 10), first)]
    results.append(result("lstm", 4, np.full(10, 5), 30))  # fold 4 unfinished by the others: left out
    summary = scoring.summarise(results, ["lstm", "bilstm", "majority"])
    assert summary["folds"].tolist() == [3, 3, 3] and summary["sequences"].tolist() == [30, 30, 30]
    assert summary["counts"].iloc[0] == ("95% intervals over the 30 sequences, each tested by the training that "
                                         "held it out, and the 3 trainings of each model")
    rows = summary.set_index("model")
    lstm = np.concatenate([r.correct for r in results if r.model == "lstm" and r.fold < 4])
    assert rows.loc["lstm", "accuracy"] == pytest.approx(lstm.sum() / 300)  # pooled over the steps
    assert rows.loc["lstm", "low"] < rows.loc["lstm", "accuracy"] < rows.loc["lstm", "high"]
    row = rows.loc["bilstm"]
    assert row["difference"] == pytest.approx((np.minimum(lstm + 2, 10) - lstm).sum() / 300)
    assert row["difference_low"] > 0  # every sequence better by the same few steps: shown
    assert report.more_accurate("bilstm", "lstm", row["difference_low"], row["difference_high"]) == \
        "bilstm is more accurate on this data"
    text = report.report(summary, ["lstm", "bilstm"], False, "held-out folds")
    assert "bilstm is more accurate on this data" in text and summary["counts"].iloc[0] in text
    summary.loc[2, ["difference", "difference_low", "difference_high"]] = [0.0, -0.1, 0.1]
    assert "lstm is not shown to beat the baseline majority on this data." in \
        report.report(summary, ["lstm", "bilstm"], False, "held-out folds")
    summary.loc[2, ["difference", "difference_low", "difference_high"]] = [0.2, 0.1, 0.3]
    assert "The baseline majority is more accurate than lstm on this data" in \
        report.report(summary, ["lstm", "bilstm"], False, "held-out folds")
    summary.loc[2, ["difference", "difference_low", "difference_high"]] = [-0.2, -0.3, -0.1]
    text = report.report(summary, ["lstm", "bilstm"], False, "held-out folds")
    assert text.endswith("\nlstm beats every baseline on this data.")  # several trainings: about the models
    # One training of each: the verdicts speak of the models as trained in this run, and say
    # how to ask about the models (benchmarks/bench_verdicts.py: a split's verdict about the
    # models is false far more often than 5% when trainings vary).
    once = scoring.summarise([r for r in results if r.fold == 1], ["lstm", "bilstm", "majority"])
    once.loc[2, ["difference", "difference_low", "difference_high"]] = [-0.2, -0.3, -0.1]
    text = report.report(once, ["lstm", "bilstm"], False, "test split")
    assert ": as trained in this run, bilstm is more accurate on this data" in text
    assert text.endswith("\nAs trained in this run, lstm beats every baseline on this data.\nThese verdicts are about "
                         "one training of each model; to ask about the models themselves, train each several "
                         "times: --folds 5.")
    assert report.report(once, ["lstm", "bilstm"], False, "test split", again="folds=5").endswith("times: folds=5.")
    table = scoring.folds_table(results, ["lstm", "bilstm", "majority"])
    assert table.columns.tolist() == ["model", "fold", "accuracy", "sequences"]
    assert table["model"].tolist()[:4] == ["lstm"] * 4


def test_with_repeats_whole_dealings_are_compared_and_each_sequence_is_one_unit():
    rng = np.random.default_rng(2)
    results = []
    for repeat in (1, 2):
        order = rng.permutation(20)  # each dealing puts the sequences into other folds
        for index, fold in enumerate((1, 2)):
            positions = np.sort(order[10 * index:10 * index + 10])
            number = 2 * (repeat - 1) + fold
            for model, correct in (("a", rng.integers(5, 11, 10)), ("b", rng.integers(5, 11, 10))):
                results.append(scoring.Result(model, number, correct, np.full(10, 10), repeat, positions))
    results = [r for r in results if not (r.model == "b" and r.fold == 4)]  # dealing 2 cut short for b
    summary = scoring.summarise(results, ["a", "b"])
    assert summary["folds"].iloc[0] == 2  # the whole dealing only, not a half of the second
    assert summary["sequences"].iloc[0] == 20


# As a reader runs it -------------------------------------------------------------------------------

def test_the_models_of_one_run_see_the_same_folds_and_the_same_seeds(tmp_path, monkeypatch, capsys):
    seen, seeds = [], []
    real_train, real_seed = trainer.fit_one, backend.seed_everything

    def recording_train(model, training, validation, **options):
        seen.append((model.name, seeds[-1], tuple(training.ids), tuple(validation.ids)))
        return real_train(model, training, validation, **options)

    monkeypatch.setattr(trainer, "fit_one", recording_train)
    monkeypatch.setattr(backend, "seed_everything", lambda seed: (seeds.append(seed), real_seed(seed)))
    path = small_example(tmp_path, per_sequence=True)
    out = tmp_path / "out"
    assert run_main(monkeypatch, path, *QUICK, "--target", "sequence", "--model", "lstm,bilstm_sum",
                    "--folds", "2", "--no-batch-folds", "--output-dir", out) == 0  # (through train)
    assert [name for name, *_ in seen] == ["lstm_sequence"] * 2 + ["bilstm_sequence"] * 2 + ["no_memory_sequence"] * 2
    for fold in range(2):
        group = seen[fold::2]  # each model's training in this fold
        assert len({what[1:] for what in group}) == 1  # one seed, one training and validation set
    assert len({what[1] for what in seen}) == 2  # a seed of its own for each fold
    table = pd.read_csv(out / "classify_sequences_folds.csv")
    assert table.columns.tolist() == ["model", "fold", "accuracy", "sequences"]
    assert table["model"].unique().tolist() == ["lstm", "bilstm_sum", "no_memory", "majority",
                                                "nearest_neighbour", "nearest_neighbour_dtw"]  # (cheap here)
    assert (table.groupby("model")["sequences"].sum() == 40).all()  # every sequence tested once
    predictions = pd.read_csv(out / "classify_sequences_predictions.csv")
    assert sorted(predictions["id"]) == list(range(1, 41)) and set(predictions["fold"]) == {1, 2}
    printed = capsys.readouterr().out
    assert "95% intervals over the 40 sequences, each tested by the training that held it out, and the 2 " \
           "trainings of each model" in printed and "minus lstm, paired" in printed
    assert (out / "classify_sequences_folds.png").read_bytes().startswith(b"\x89PNG")


def test_the_same_command_writes_the_same_bytes(tmp_path, monkeypatch):
    path = small_example(tmp_path)
    for folder in ("first", "second"):
        assert run_main(monkeypatch, path, *QUICK, "--model", "lstm", "--folds", "2",
                        "--output-dir", tmp_path / folder) == 0
    for name in ("classify_sequences_folds.csv", "classify_sequences_predictions.csv",
                 "classify_sequences_history.csv"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name


def test_a_test_file_is_scored_by_every_folds_model(tmp_path, monkeypatch, capsys):
    path = small_example(tmp_path, per_sequence=True)
    test = small_example(tmp_path, n_sequences=15, name="test.csv", per_sequence=True, seed=7)
    out = tmp_path / "out"
    assert run_main(monkeypatch, path, *QUICK, "--target", "sequence", "--model", "lstm", "--folds", "2",
                    "--test", test, "--output-dir", out) == 0
    table = pd.read_csv(out / "classify_sequences_folds.csv")
    assert (table["sequences"] == 15).all() and set(table["fold"]) == {1, 2}
    assert "Accuracy on the test file" in capsys.readouterr().out


def test_a_stop_keeps_the_folds_that_finished(tmp_path, monkeypatch, capfd):
    calls = []
    real_train = trainer.fit_one

    def train_then_stop(*args, **options):
        calls.append(1)
        if len(calls) == 5:  # lstm finished its 3 folds, no_memory its first
            STOP.request(130)
        return real_train(*args, **options)

    monkeypatch.setattr(trainer, "fit_one", train_then_stop)
    out = tmp_path / "out"
    status = run_main(monkeypatch, small_example(tmp_path), *QUICK, "--model", "lstm", "--folds", "3",
                      "--no-batch-folds", "--output-dir", out)  # one fold at a time, through train
    assert status == 130
    table = pd.read_csv(out / "classify_sequences_folds.csv")
    assert table[["model", "fold"]].values.tolist() == [
        ["lstm", 1], ["lstm", 2], ["lstm", 3], ["no_memory", 1], ["majority", 1], ["majority", 2], ["majority", 3]]
    captured = capfd.readouterr()
    assert "partial" in captured.out
    assert "the summary compares lstm, no_memory, majority on the 1 of 3 folds they all finished" in captured.err
    assert (out / "classify_sequences.keras").exists()


# Refusals: one line, status 2, nothing written ------------------------------------------------------

def test_impossible_folds_unknown_models_and_mismatched_test_files_are_refused(tmp_path, monkeypatch, capsys):
    path = small_example(tmp_path, per_sequence=True)
    frame = pd.read_csv(path)
    rare = frame.copy()
    rare.loc[rare["id"] <= 3, "label"] = "rare"
    rare.to_csv(tmp_path / "rare.csv", index=False)
    frame.drop(columns="noise").to_csv(tmp_path / "no_noise.csv", index=False)
    frame.assign(label=frame["label"].where(frame["id"] != 5, "other")).to_csv(tmp_path / "other.csv", index=False)
    (tmp_path / "tiny.csv").write_text("id,step,x,label\n1,1,0.1,a\n2,1,0.2,b\n3,1,0.3,a\n")
    for name in ("one.csv", "one_more.csv"):  # a single sequence, two classes
        (tmp_path / name).write_text("id,step,x,label\n1,1,0.1,a\n1,2,0.2,b\n")
    frame.drop(columns="label").to_csv(tmp_path / "unlabelled.csv", index=False)
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    sequence = ["--target", "sequence", "--output-dir", out]
    cases = [
        (["--folds", "0"], "argument --folds: expected a whole number above zero, got '0'"),
        (["--folds", "41"], "argument --folds: 41 folds need at least 41 sequences, and there are 40"),
        (["--folds", "4", "--model", "lstm,gru"], "unknown model 'gru'"),
        (["--model", "bilstm,bilstm_concat"], "bilstm_concat is the same as bilstm"),
        (["--test", tmp_path / "no_noise.csv"], "argument --test: "),
        (["--test", tmp_path / "other.csv"], "argument --test: the label 'other' is not one of the classes"),
        (["--test", tmp_path / "unlabelled.csv"], (f"argument --test: '{tmp_path / 'unlabelled.csv'}' has no label "
                                                 "column 'label'; scoring needs the labels")),
        (["--write-example", tmp_path / "example.csv"], "argument --write-example: writes the example and stops"),
    ]
    for args, words in cases:
        assert words in refusal(monkeypatch, capsys, path, *args, *sequence)
    err = refusal(monkeypatch, capsys, tmp_path / "rare.csv", "--folds", "4", *sequence)
    assert "the class 'rare' has 3 sequences, fewer than the 4 folds" in err
    err = refusal(monkeypatch, capsys, tmp_path / "tiny.csv", "--folds", "2", "--output-dir", out)
    assert "3 sequences in 2 folds leave too few to train and validate on" in err
    err = refusal(monkeypatch, capsys, tmp_path / "one.csv", "--test", tmp_path / "one_more.csv", "--output-dir", out)
    assert "1 sequence cannot be split into training and validation sets" in err
    err = refusal(monkeypatch, capsys, "--output-dir", out)
    assert "the following arguments are required: DATA.csv (or --write-example PATH)" in err
    if keras.backend.backend() != "jax":
        err = refusal(monkeypatch, capsys, path, "--folds", "2", "--batch-folds", *sequence)
        assert "argument --batch-folds: on Keras' " in err and "only JAX trains them together" in err
    assert "has no column 'noise'" in refusal(monkeypatch, capsys, path, "--test", tmp_path / "no_noise.csv",
                                              *sequence)
    model = tmp_path / "model.keras"
    build_classifier(["x", "noise"], ["0", "1"], units=2).save(model)
    for args in (["--folds", "2"], ["--test", path], ["--model", "lstm,bilstm"]):
        err = refusal(monkeypatch, capsys, path, "--predict", model, *args, "--output-dir", out)
        assert "argument --predict: predicts with one saved model" in err
    assert sorted(tmp_path.rglob("*")) == sorted([*before, model])  # nothing written, anywhere


def test_a_small_training_set_gets_batches_small_enough_for_8_updates_an_epoch(tmp_path, monkeypatch):
    from bilstm_companion.own_data.estimators import SequenceClassifier
    from bilstm_companion.own_data.parameters import batch_size_for

    assert [batch_size_for(n) for n in (420, 256, 255, 30, 7)] == [32, 32, 31, 3, 1]
    assert batch_size_for(30, 16) == 16  # a size given is kept
    # Folds take one size, the smallest training part's (one place decides it, for every way
    # the trainer trains: tests/test_folds_jax.py holds the folds together to the same numbers).
    data = read_sequences(small_example(tmp_path, n_sequences=43))
    folds = plan_folds(data, 5, seed=1)
    smallest = min(len(fold.training) for fold in folds)
    assert len({len(fold.training) for fold in folds}) > 1
    seen = []
    monkeypatch.setattr(trainer, "fit_one", lambda *args, batch_size, **kwargs: seen.append(batch_size) or
                        (pd.DataFrame({"loss": [0.5], "val_loss": [0.5]}), False))
    list(scoring.fit_folds(SequenceClassifier(units=2), data, folds, name="bilstm"))
    assert seen == [batch_size_for(smallest)] * 5 and seen[0] < 32
    # One training from Python takes its own training set's size.
    training, validation, _ = split(data, seed=1)
    SequenceClassifier(units=2)._given(training)._fit_parts(training, validation, seed=1)
    assert seen[-1] == batch_size_for(len(training)) < 32
