"""Your sequences from Python: ``SequenceClassifier`` and the baselines as scikit-learn
classifiers, the inputs readers have, and the script trained through the same code.

scikit-learn's own estimator checks run first, each expected failure named with its reason.
"""

import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import reference_runs
from own_data import run_main, small_example
from processes import environment
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_backends import ONCE, once_in

from bilstm_companion import backend
from bilstm_companion.stats import format_interval
from classify_sequences import (
    MajorityClassifier,
    NearestNeighbourClassifier,
    SequenceClassifier,
    compare_classifiers,
    read_csv,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))

QUICK = {"epochs": 2, "units": 3, "patience": 2, "batch_size": 16, "ensemble": 1}  # (one network: ensembles have tests of their own)


def quick(**changes):
    return SequenceClassifier(**{"target": "sequence", **QUICK, **changes})


# scikit-learn's checks ------------------------------------------------------------------------

# Each check that fails by design, and why.
TWO_D = ("a 2-D X is (sequences, steps) of one feature, not (samples, features): a sequence classifier's "
         "features are the third axis")
EXPECTED_FAILURES = {
    "check_n_features_in": TWO_D,
    "check_n_features_in_after_fitting": TWO_D,
    "check_estimators_empty_data_messages": TWO_D + "; a 2-D X of 0 columns is sequences with no steps",
    "check_classifiers_train": TWO_D + "; predicting fewer columns than fit saw is predicting shorter "
                               "sequences, which is allowed",
}
NETWORK_FAILURES = {
    "check_methods_sample_order_invariance": "a sequence's float32 probability moves in its last bit (1e-7) "
                                             "with the batch it is predicted in; the check allows 1e-7 relative",
}


def expected_failures(estimator):
    return {**EXPECTED_FAILURES, **(NETWORK_FAILURES if isinstance(estimator, SequenceClassifier) else {})}


# The tests of the contract, which reads X and y the same way whatever trains the network
# (scikit-learn's checks, the forms of X, the labels, the tools, bad input), run once, in the
# process of ``once_in``: PyTorch's where it is installed, which compiles nothing, so their
# hundreds of small fits on data of many shapes take seconds, where TensorFlow and JAX compile
# a program for nearly every one. What training does on each backend (padding, a label per
# step, pickling, the script's files and model, the comparison) runs on all three.
once = pytest.mark.skipif(backend.name() != once_in(), reason=ONCE)


@once
@parametrize_with_checks([SequenceClassifier(epochs=2), quick(), MajorityClassifier(), NearestNeighbourClassifier()],
                         expected_failed_checks=expected_failures)
def test_scikit_learns_checks(estimator, check):
    check(estimator)


# The inputs readers have ---------------------------------------------------------------------

def unequal(n_sequences=24, seed=0, features=2):
    """Sequences of 3 to 9 steps: a list of ``(steps, features)`` arrays, a label per sequence
    (whether the first feature's mean is high), and a label array per sequence (per step)."""
    rng = np.random.default_rng(seed)
    sequences = [rng.random((int(length), features)) for length in rng.integers(3, 10, n_sequences)]
    labels = np.array(["high" if values[:, 0].mean() > 0.5 else "low" for values in sequences])
    steps = [np.where(np.cumsum(values[:, 0]) > 1.0, "on", "off") for values in sequences]
    return sequences, labels, steps


def in_every_form(sequences):
    """The same sequences in each form X may take, the names of the forms as keys."""
    longest = max(len(values) for values in sequences)
    padded = np.full((len(sequences), longest, sequences[0].shape[1]), np.nan)
    for index, values in enumerate(sequences):
        padded[index, :len(values)] = values
    frame = pd.concat([pd.DataFrame(values, columns=["x1", "x2"]).assign(id=f"s{index}", step=np.arange(1, len(values) + 1))
                       for index, values in enumerate(sequences)]).set_index(["id", "step"])
    return {"list": sequences, "nan_padded": padded, "long_frame": frame,
            "channels_first": [values.T for values in sequences]}


@once
def test_every_form_of_x_gives_the_same_model_and_predictions():
    sequences, labels, _ = unequal()
    forms = in_every_form(sequences)
    predicted = {}
    for name, X in forms.items():
        classifier = quick(channels_first=name == "channels_first").fit(X, labels)
        predicted[name] = classifier.predict_proba(X)
        assert classifier.n_features_in_ == 2 and list(classifier.classes_) == ["high", "low"]
    for name, probabilities in predicted.items():
        np.testing.assert_allclose(probabilities, predicted["list"], rtol=1e-5, err_msg=name)
    # One feature: a 2-D array (sequences, steps) is the 3-D array of one feature.
    same_length = np.random.default_rng(1).random((20, 6))
    ones = np.where(same_length.mean(axis=1) > 0.5, 1, 0)
    np.testing.assert_allclose(quick().fit(same_length, ones).predict_proba(same_length),
                               quick().fit(same_length[:, :, None], ones).predict_proba(same_length[:, :, None]),
                               rtol=1e-5)


@once
def test_labels_of_any_type_are_kept_as_written_and_columns_follow_classes():
    sequences, labels, _ = unequal()
    for written in (labels, labels == "high", np.where(labels == "high", 7, 3)):
        classifier = quick().fit(sequences, written)
        predicted = classifier.predict(sequences)
        assert predicted.dtype == np.asarray(written).dtype and set(predicted) <= set(written)
        assert list(classifier.classes_) == sorted(set(written.tolist()))
        probabilities = classifier.predict_proba(sequences)
        assert probabilities.shape == (len(sequences), 2)
        np.testing.assert_array_equal(classifier.classes_[probabilities.argmax(axis=1)], predicted)
    three = np.array(["a", "b", "c"] * 8)
    assert quick().fit(sequences, three).predict_proba(sequences).shape == (24, 3)


def test_a_label_per_step_gives_an_array_per_sequence():
    sequences, _, steps = unequal()
    classifier = SequenceClassifier("lstm", **QUICK).fit(sequences, steps)
    predicted = classifier.predict(sequences)
    assert [len(labels) for labels in predicted] == [len(values) for values in sequences]
    assert set(np.concatenate(predicted)) <= {"on", "off"}
    probabilities = classifier.predict_proba(sequences)
    assert [p.shape for p in probabilities] == [(len(values), 2) for values in sequences]
    right = np.concatenate([got == want for got, want in zip(predicted, steps)])
    assert classifier.score(sequences, steps) == pytest.approx(right.mean())


# The estimator contract ------------------------------------------------------------------------

def test_padding_changes_no_prediction_clone_is_unfitted_and_a_pickled_classifier_predicts_the_same():
    sequences, labels, _ = unequal()
    classifier = quick().fit(sequences, labels)
    # A sequence predicted alone, or padded out to 40 steps beside a longer one: the same.
    alone = np.concatenate([classifier.predict_proba([values]) for values in sequences[:4]])
    beside_longer = classifier.predict_proba(sequences[:4] + [np.random.default_rng(2).random((40, 2))])[:4]
    np.testing.assert_allclose(beside_longer, alone, rtol=1e-5, atol=1e-7)
    copy = clone(classifier)
    assert copy.get_params() == classifier.get_params() and not hasattr(copy, "model_")
    with pytest.raises(NotFittedError):
        copy.predict(sequences)
    again = pickle.loads(pickle.dumps(classifier))
    np.testing.assert_array_equal(again.predict_proba(sequences), classifier.predict_proba(sequences))
    assert classifier.history_.columns[0] == "epoch" and len(classifier.history_) == 2


def test_the_saved_model_is_the_scripts_and_the_scripts_loads_back(tmp_path, monkeypatch):
    # Saved from Python, read by --predict.
    path = small_example(tmp_path, per_sequence=True)
    X, y = read_csv(path, target="sequence", frame=True)  # (the frame keeps the features' names)
    classifier = quick().fit(X, y)
    classifier.save(tmp_path / "model.keras")
    assert run_main(monkeypatch, path, "--predict", tmp_path / "model.keras", "--output-dir", tmp_path / "out",
                    "--quiet") == 0
    table = pd.read_csv(tmp_path / "out" / "classify_sequences_predictions_data.csv")
    np.testing.assert_array_equal(table["predicted"], classifier.predict(X))
    # Saved by the script, loaded into a classifier: the script's predictions again.
    assert run_main(monkeypatch, path, "--target", "sequence", "--epochs", "2", "--units", "3", "--quiet",
                    "--no-dtw", "--output-dir", tmp_path / "trained") == 0
    loaded = SequenceClassifier.load(tmp_path / "trained" / "classify_sequences.keras")
    assert (loaded.model, loaded.target, list(loaded.classes_)) == ("bilstm", "sequence", ["high", "low"])
    written = pd.read_csv(tmp_path / "trained" / "classify_sequences_predictions.csv", dtype={"id": str})
    tested = X.loc[X.index.get_level_values("id").isin(written["id"])]
    by_id = dict(zip(pd.unique(tested.index.get_level_values("id")), loaded.predict(tested)))
    assert [by_id[id_] for id_ in written["id"]] == written["predicted"].tolist()


@once
def test_cross_validation_a_grid_search_and_a_pipeline_take_it():
    sequences, labels, _ = unequal(30)
    padded = in_every_form(sequences)["nan_padded"]
    scores = cross_val_score(quick(), padded, labels, cv=3)
    assert scores.shape == (3,) and ((0 <= scores) & (scores <= 1)).all()
    search = GridSearchCV(quick(), {"units": [2, 3]}, cv=2).fit(padded, labels)
    assert search.best_params_["units"] in (2, 3) and search.best_estimator_.units == search.best_params_["units"]
    assert len(search.cv_results_["mean_test_score"]) == 2
    doubled = make_pipeline(FunctionTransformer(lambda X: X * 2.0), quick()).fit(padded, labels)
    assert doubled.predict(padded).shape == (30,)


@once
@pytest.mark.parametrize(("case", "message"), [
    ("lengths", "X holds 24 sequences but y holds 23 labels"),
    ("nan inside", "sequence 0 has NaN at step 2 (feature 1), among its real steps"),
    ("single class", "y holds a single class ('high')"),
    ("no steps", "sequence 1 has no steps"),
    ("features", "X has 3 features, but SequenceClassifier is expecting 2 features as input"),
    ("model", "model must be one of lstm, bilstm, no_memory, got 'gru'"),
])
def test_bad_input_is_a_value_error_that_names_the_problem(case, message):
    sequences, labels, _ = unequal()
    classifier = quick()
    if case == "lengths":
        call = lambda: classifier.fit(sequences, labels[:-1])
    elif case == "nan inside":
        broken = [values.copy() for values in sequences]
        broken[0][1, 0] = np.nan
        call = lambda: classifier.fit(broken, labels)
    elif case == "single class":
        call = lambda: classifier.fit(sequences, np.full(len(labels), "high"))
    elif case == "no steps":
        call = lambda: classifier.fit([sequences[0], np.zeros((0, 2)), *sequences[2:]], labels)
    elif case == "model":
        call = lambda: quick(model="gru").fit(sequences, labels)
    else:
        classifier.fit(sequences, labels)
        call = lambda: classifier.predict([np.zeros((4, 3))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and never a warning from inside Keras on the way
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            call()


@once
def test_predicting_before_fitting_is_not_fitted_error():
    with pytest.raises(NotFittedError):
        quick().predict([np.zeros((3, 2))])


# The paired comparison from Python ------------------------------------------------------------

class MostCommon(ClassifierMixin, BaseEstimator):
    """A reader's own classifier of long DataFrames: the commonest label, every time."""

    def fit(self, X, y):
        values, counts = np.unique(y, return_counts=True)
        self.label_ = values[counts.argmax()]
        return self

    def predict(self, X):
        return np.full(X.index.get_level_values(0).nunique(), self.label_)


@once
def test_compare_classifiers_takes_a_readers_own_classifier_in_the_readers_form(tmp_path):
    path = small_example(tmp_path, per_sequence=True, n_sequences=30)
    X, y = read_csv(path, target="sequence", frame=True)
    summary = compare_classifiers({"majority": MajorityClassifier(), "own": MostCommon(),
                                   "neighbour": NearestNeighbourClassifier()}, X, y, folds=3)
    assert summary["model"].tolist() == ["majority", "own", "neighbour"]
    own, majority = summary.iloc[1], summary.iloc[0]  # the same predictions, so the same numbers
    assert own[["accuracy", "low", "high"]].tolist() == majority[["accuracy", "low", "high"]].tolist()
    assert own["difference"] == 0 and own["verdict"] == "no difference shown"
    assert summary.attrs["report"].splitlines()[0].startswith("Accuracy on the held-out folds (share of sequences)")


@once
def test_compare_classifiers_reads_aeons_channels_first_arrays_as_its_networks_do(tmp_path):
    X, y = read_csv(small_example(tmp_path, per_sequence=True, n_sequences=30), target="sequence")
    X_aeon = [values.T for values in X]  # the docs' adapter: (steps, features) -> (features, steps)
    summary = compare_classifiers({"bilstm": quick(channels_first=True),
                                   "majority": MajorityClassifier(channels_first=True)}, X_aeon, y, folds=2)
    assert summary["sequences"].tolist() == [30, 30]
    for disagreeing in ({"bilstm": quick(channels_first=True), "majority": MajorityClassifier()},
                        {"bilstm": quick(channels_first=False)}):
        with pytest.raises(ValueError, match="set channels_first alike"):
            compare_classifiers(disagreeing, X_aeon, y, channels_first=True)


# One code path: the script trains through the estimator, and writes what it wrote before --------

@pytest.mark.parametrize("case", list(reference_runs.CASES))
def test_the_script_writes_the_files_it_wrote_before_it_trained_through_the_estimator(tmp_path, case, capsys):
    # tests/reference/ keeps each backend's files from before; on the machine that wrote them
    # (its processor and libraries) they are the same bytes, elsewhere the same to float32 rounding.
    out = reference_runs.run_case(case, tmp_path)
    kept = reference_runs.REFERENCE / backend.name()
    same_machine = (kept / "machine.txt").read_text().strip() == reference_runs.machine()
    for name in reference_runs.FILES:
        written, before = out / f"classify_sequences_{name}.csv", kept / case / f"{name}.csv"
        if same_machine:
            assert written.read_bytes() == before.read_bytes(), name
        else:
            pd.testing.assert_frame_equal(pd.read_csv(written), pd.read_csv(before), rtol=1e-4, atol=1e-5)
    if case == "sequences_test_file_repeats":  # and compare_classifiers gives the script's summary
        printed = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")}
        X, y = read_csv(tmp_path / "data.csv", target="sequence")
        test = read_csv(tmp_path / "test.csv", target="sequence")
        options = {"target": "sequence", "epochs": 3, "units": 3, "max_steps": 6, "scaling": "training", "batch_size": 32,
                   "ensemble": 1, "noise": 0.0}
        networks = {"bilstm_sum": SequenceClassifier("bilstm", merge_mode="sum", **options),
                    "lstm": SequenceClassifier("lstm", **options), "majority": MajorityClassifier()}
        summary = compare_classifiers(networks, X, y, folds=2, repeats=2, test=test)
        assert summary["model"].tolist() == list(networks)
        for row in summary.itertuples():  # the script's line: the same interval, difference and words
            line = printed[row.model]
            assert format_interval(row.accuracy, row.low, row.high) in line
            assert line.rstrip().endswith(row.verdict if row.model == "bilstm_sum" else f": {row.verdict}")


# The notebook -----------------------------------------------------------------------------------

@once
def test_the_notebook_runs_top_to_bottom_in_a_jupyter_kernel_and_shows_what_it_says(tmp_path, monkeypatch):
    import notebook  # docs/notebook.py

    # The kernel on one thread, as this process (conftest.py): on cores the other workers keep
    # busy, its two threads waiting for each other took the notebook from 11 s to 56 s on PyTorch.
    for variable in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        monkeypatch.setenv(variable, "1")
    ran = notebook.execute(epochs=3, results=tmp_path)
    text = "\n".join(output.get("text", "") for cell in ran.cells for output in cell.get("outputs", []))
    assert "Wrote 600 sequences" in text and "trained 3 epochs" in text
    assert "Accuracy on the held-out folds (share of timesteps)" in text and "running_total" in text
    images = [output for cell in ran.cells for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]
    assert len(images) == 1 and (tmp_path / "predictions.png").read_bytes().startswith(b"\x89PNG")
    # The committed notebook shows its outputs, from a run at its own settings.
    import nbformat

    committed = [output for cell in nbformat.read(notebook.NOTEBOOK, as_version=4).cells
                 for output in cell.get("outputs", [])]
    assert any("image/png" in output.get("data", {}) for output in committed)
    assert any("bilstm is more accurate" in output.get("text", "") for output in committed)


def test_the_estimators_parameters_defaults_and_checks_are_the_tables():
    from bilstm_companion.own_data import parameters

    assert SequenceClassifier().get_params() == parameters.DEFAULTS
    assert SequenceClassifier("lstm", units=3).get_params()["units"] == 3
    with pytest.raises(TypeError):
        SequenceClassifier(unknown=1)
    for name, bad in [("units", 0), ("ensemble", 2.5), ("learning_rate", -1.0), ("pooling", "mean"), ("max_steps", -1),
                      ("devices", "some"), ("validation_share", 1.0), ("epochs", True)]:
        with pytest.raises(ValueError, match=f"^{name} must be "):
            parameters.check(SequenceClassifier(**{name: bad}))
    assert "noise : float, default=0.0" in SequenceClassifier.__doc__  # numpydoc, from the table


# A standard classifier, and no silent wrong answers --------------------------------------------

@once
def test_the_target_is_taken_from_y_and_scikit_learns_tools_take_either():
    sequences, labels, steps = unequal(30)
    classifier = SequenceClassifier(**QUICK).fit(sequences, labels)
    assert classifier.target is None and classifier.target_ == "sequence"
    assert classifier.predict(sequences).shape == (30,)
    scores = cross_val_score(SequenceClassifier(**QUICK), sequences, labels, cv=3)  # the defaults' target
    assert scores.shape == (3,) and np.isfinite(scores).all()
    per_step = SequenceClassifier(**QUICK).fit(sequences, steps)
    assert per_step.target_ == "step" and [len(got) for got in per_step.predict(sequences)] == list(map(len, steps))
    # With a label per step, the classifier's own score: the share of timesteps, weighted by sequence.
    assert np.isfinite(cross_val_score(SequenceClassifier(**QUICK), sequences, steps, cv=3)).all()
    right = [np.mean(got == want) * len(want) for got, want in zip(per_step.predict(sequences), steps)]
    weights = np.arange(1, 31, dtype=float)
    expected = np.dot(weights, right) / np.dot(weights, list(map(len, steps)))
    assert per_step.score(sequences, steps, sample_weight=weights) == pytest.approx(expected)
    assert per_step.score(sequences, steps, sample_weight=weights) != pytest.approx(per_step.score(sequences, steps))
    with pytest.raises(ValueError, match="sample_weight holds one weight per sequence"):
        per_step.score(sequences, steps, sample_weight=weights[:5])


@once
def test_a_frame_whose_features_come_in_another_order_or_name_is_refused():
    sequences, labels, _ = unequal()
    frame = in_every_form(sequences)["long_frame"]
    classifier = quick().fit(frame, labels)
    assert list(classifier.feature_names_in_) == ["x1", "x2"]
    for other in (frame[["x2", "x1"]], frame.rename(columns={"x1": "a", "x2": "b"})):
        with pytest.raises(ValueError, match="feature names should match those that were passed during fit"):
            classifier.predict(other)


@once
def test_a_saved_classifier_loads_as_it_was_fitted(tmp_path):
    sequences, labels, _ = unequal()
    numbers = np.where(labels == "high", 7, 3)
    classifier = quick(units=4, epochs=3).fit(sequences, numbers)
    classifier.save(tmp_path / "model.keras")
    loaded = SequenceClassifier.load(tmp_path / "model.keras")
    assert loaded.get_params() == classifier.get_params() and loaded.target_ == "sequence"
    assert loaded.classes_.dtype.kind == "i" and list(loaded.classes_) == [3, 7]
    assert loaded.score(sequences, numbers) == classifier.score(sequences, numbers)
    pd.testing.assert_frame_equal(loaded.history_, classifier.history_, check_dtype=False)


@once
def test_saving_takes_a_keras_file_and_loading_says_why_a_path_is_not_one(tmp_path):
    sequences, labels, _ = unequal()
    classifier = quick().fit(sequences, labels)
    for path in (tmp_path / "model.h5", tmp_path / "model", tmp_path):
        with pytest.raises(ValueError, match="must be a file name ending in .keras"):
            classifier.save(path)
    assert not list(tmp_path.iterdir())
    for path, why in ((tmp_path, "is a folder"), (tmp_path / "model", "does not exist")):
        with pytest.raises(ValueError, match=why) as refused:
            SequenceClassifier.load(path)
        assert not str(refused.value).startswith("argument")  # the command line's words stay the command line's


@once
@pytest.mark.parametrize("missing", [None, np.nan])
def test_a_missing_label_is_one_value_error_that_says_where(missing):
    sequences, labels, steps = unequal()
    with_gap = labels.astype(object)
    with_gap[4] = missing
    with pytest.raises(ValueError, match=r"y holds a missing label \(None or NaN\) for sequence 4:"):
        quick().fit(sequences, with_gap)
    steps = [values.astype(object) for values in steps]
    steps[2][1] = missing
    with pytest.raises(ValueError, match="for sequence 2, step 2"):
        SequenceClassifier(**QUICK).fit(sequences, steps)


@once
def test_sequences_of_one_step_and_many_features_are_said_to_be_read_so():
    channels_first = np.random.default_rng(0).random((6, 1, 20))  # aeon's (sequences, features, steps)
    with pytest.warns(UserWarning, match="1 step and 20 features each; .* pass channels_first=True"):
        MajorityClassifier().fit(channels_first, np.array([0, 1] * 3))


@once
def test_compare_classifiers_refuses_in_its_own_words_and_names_a_classifier_that_fails(tmp_path):
    X, y = read_csv(small_example(tmp_path, per_sequence=True, n_sequences=30), target="sequence", frame=True)
    with pytest.raises(ValueError, match="^folds must be a whole number of at least 1, got 0"):
        compare_classifiers({"majority": MajorityClassifier()}, X, y, folds=0)
    with pytest.raises(ValueError, match="^folds: 1000 folds need at least 1000 sequences, and there are 30"):
        compare_classifiers({"majority": MajorityClassifier()}, X, y, folds=1000)

    class Broken(MostCommon):
        def predict(self, X):
            raise KeyError("no such column")

    with pytest.raises(RuntimeError, match="the classifier 'broken' failed in fold 1: KeyError"):
        compare_classifiers({"majority": MajorityClassifier(), "broken": Broken()}, X, y, folds=2)
    # Another library's classifier as the reference is no baseline of its own, nor of this project.
    summary = compare_classifiers({"own": MostCommon(), "neighbour": NearestNeighbourClassifier()}, X, y, folds=2)
    assert "baseline own" not in summary.attrs["report"]
    assert "the baseline neighbour" in summary.attrs["report"] or "beats every baseline" in summary.attrs["report"]


@pytest.mark.skipif(backend.name() != "tensorflow", reason="TensorFlow's start-up log is TensorFlow's")
def test_compare_classifiers_called_first_in_a_process_starts_keras_as_the_scripts_do(tmp_path):
    path = small_example(tmp_path, per_sequence=True, n_sequences=20)
    code = ("from bilstm_companion import SequenceClassifier, compare_classifiers, read_csv\n"
            f"X, y = read_csv({str(path)!r}, target='sequence')\n"
            "print(compare_classifiers({'bilstm': SequenceClassifier(epochs=1, units=2, ensemble=1)}, X, y)['model'].tolist())")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=environment(KERAS_BACKEND="tensorflow"), check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['bilstm']"
    assert "cuInit" not in done.stderr and "oneDNN" not in done.stderr, done.stderr[-2000:]


@once
def test_the_default_ensemble_is_five_networks_for_a_label_per_sequence_and_one_per_step():
    sequences, labels, steps = unequal(30)
    one_pass = {**QUICK, "epochs": 1, "ensemble": None}
    per_sequence = SequenceClassifier(**one_pass).fit(sequences, labels)
    assert sorted(per_sequence.history_["member"].unique()) == [1, 2, 3, 4, 5]
    assert per_sequence.model_.name == "average_of_5"
    per_step = SequenceClassifier(**one_pass).fit(sequences, steps)
    assert "member" not in per_step.history_.columns and not per_step.model_.name.startswith("average_of")


@once
def test_jitter_changes_training_reproducibly_and_not_prediction():
    sequences, labels, _ = unequal(30)
    plain, jittered = quick(noise=0.0).fit(sequences, labels), quick(noise=0.5).fit(sequences, labels)
    kinds = [type(layer).__name__ for layer in jittered.model_.layers]
    assert "GaussianNoise" in kinds and "GaussianNoise" not in [type(layer).__name__ for layer in plain.model_.layers]
    assert not np.allclose(plain.predict_proba(sequences), jittered.predict_proba(sequences))
    # The same seed, the same noise: a second fit (through the kept model, its noise's seed state
    # copied in) gives the same network.
    again = quick(noise=0.5).fit(sequences, labels)
    np.testing.assert_array_equal(again.predict_proba(sequences), jittered.predict_proba(sequences))
    # In prediction the noise is off: the model's outputs with and without it in training mode differ.
    import keras

    padded = np.zeros((30, max(map(len, sequences)), 3), np.float32)
    for index, sequence in enumerate(sequences):
        padded[index, :len(sequence), :2], padded[index, :len(sequence), 2] = sequence, 1.0
    inference = keras.ops.convert_to_numpy(jittered.model_(padded, training=False))
    np.testing.assert_array_equal(inference, keras.ops.convert_to_numpy(jittered.model_(padded, training=False)))
    assert not np.allclose(inference, keras.ops.convert_to_numpy(jittered.model_(padded, training=True)))
    with pytest.raises(ValueError, match="noise"):
        quick(noise=-0.1).fit(sequences, labels)
