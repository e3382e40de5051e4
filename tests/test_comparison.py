"""The comparisons' design: paired repeats, and what they record."""

from typing import ClassVar

import numpy as np
import pandas as pd

from bilstm_companion.article import comparison_experiment as comparison
from bilstm_companion.article import training
from bilstm_companion.article.training import History, iter_blocks


class RecordingTrainer:
    """Stands in for training.Trainer: records what each run was given, trains nothing."""

    seen: ClassVar[list] = []

    def __init__(self, build, steps, loop="compiled"):
        self.name = build()
        self.model = None

    def run_together(self, n_epochs, n_timesteps, rngs, weights_seeds, on_block=None,
                     should_stop=None):
        histories, self.runs = [], len(rngs)
        for rng, weights_seed in zip(rngs, weights_seeds):
            X = np.concatenate([X for X, _ in iter_blocks(n_epochs, n_timesteps, rng)])
            self.seen.append((self.name, weights_seed, X))
            histories.append(History(loss=X.mean(axis=(1, 2)), accuracy=np.ones(n_epochs)))
        return histories

    def predict(self, X):
        return np.ones((self.runs, *X.shape))

    def trained_model(self, run=0):
        return self.model


def fake_compare(monkeypatch, repeats=3, epochs=60):
    RecordingTrainer.seen = []
    monkeypatch.setattr(training, "Trainer", RecordingTrainer)
    builders = {name: (lambda name=name: name) for name in ("first", "second", "third")}
    return comparison.compare(builders, None, n_timesteps=10, epochs=epochs, repeats=repeats,
                                      seed=11, eval_sequences=5)


def test_each_repeat_feeds_every_model_the_same_sequences_and_seed(monkeypatch):
    fake_compare(monkeypatch)
    runs = RecordingTrainer.seen
    assert [name for name, _, _ in runs] == ["first", "second", "third"] * 3
    for repeat in range(3):
        (_, seed_0, X_0), *others = runs[3 * repeat: 3 * repeat + 3]
        for _, seed, X in others:
            assert seed == seed_0
            np.testing.assert_array_equal(X, X_0)
    # Different repeats differ in both.
    assert runs[0][1] != runs[3][1]
    assert not np.array_equal(runs[0][2], runs[3][2])


def test_curves_have_one_row_per_model_repeat_and_epoch(monkeypatch):
    runs = fake_compare(monkeypatch, repeats=2, epochs=60)
    curves, evaluations = runs.curves, runs.evaluations
    assert runs.stopped is None
    assert curves.columns.tolist() == ["model", "repeat", "epoch", "loss"]
    assert len(curves) == 3 * 2 * 60
    assert curves.groupby(["model", "repeat"])["epoch"].agg(list).map(
        lambda epochs: epochs == list(range(1, 61))).all()
    assert {name: len(runs) for name, runs in evaluations.items()} == {
        "first": 2, "second": 2, "third": 2}


def test_summary_after_ctrl_c_keeps_whole_pairs_of_the_models_that_finished_runs():
    def curves_of(counts, epochs=4):
        frames = [pd.DataFrame({"model": name, "repeat": r, "epoch": range(1, epochs + 1), "loss": 0.5})
                  for name, n in counts.items() for r in range(n)]
        return pd.concat(frames, ignore_index=True)

    run = {"timestep_accuracy": 1.0, "sequence_accuracy": 1.0}
    # One run at a time: stopped in repeat 3 of the third model.
    counts = {"a": 3, "b": 3, "c": 2}
    by_model, evaluations = comparison.complete_repeats(
        curves_of(counts), {name: [run] * n for name, n in counts.items()})
    assert {name: table.shape for name, table in by_model.items()} == {
        "a": (2, 4), "b": (2, 4), "c": (2, 4)}
    assert {name: len(runs) for name, runs in evaluations.items()} == {"a": 2, "b": 2, "c": 2}
    # Repeats trained together: stopped while the third model trained its five repeats.
    counts = {"a": 5, "b": 5, "c": 0, "d": 0}
    by_model, evaluations = comparison.complete_repeats(
        curves_of({"a": 5, "b": 5}), {name: [run] * n for name, n in counts.items()})
    assert list(by_model) == ["a", "b"] and by_model["a"].shape == (5, 4)
    assert list(evaluations) == ["a", "b"]


def test_the_plot_after_a_stop_shows_the_runs_the_summary_compares_and_says_how_many():
    def runs(name, repeat, epochs=4):
        return pd.DataFrame({"model": name, "repeat": repeat, "epoch": range(1, epochs + 1), "loss": 0.5})

    run = {"timestep_accuracy": 1.0, "sequence_accuracy": 1.0}
    # One run at a time: a finished two runs, b one, and was stopped in its second.
    curves = pd.concat([runs("a", 0), runs("b", 0), runs("a", 1), runs("b", 1, epochs=2)], ignore_index=True)
    _, finished = comparison.complete_repeats(curves, {"a": [run] * 2, "b": [run]})
    plotted = comparison.paired_curves(curves, finished)
    assert sorted(set(zip(plotted["model"], plotted["repeat"]))) == [("a", 0), ("b", 0)]
    assert comparison.plot_subtitle(curves, plotted, smooth=1) == "one run"
    # Repeats trained together: a finished three, b was stopped in all three.
    curves = pd.concat([runs("a", r) for r in range(3)] + [runs("b", r, epochs=2) for r in range(3)],
                       ignore_index=True)
    _, finished = comparison.complete_repeats(curves, {"a": [run] * 3, "b": []})
    plotted = comparison.paired_curves(curves, finished)
    assert sorted(set(zip(plotted["model"], plotted["repeat"]))) == [("a", 0), ("a", 1), ("a", 2)]
    assert comparison.plot_subtitle(curves, plotted, smooth=10) == (
        "mean of 3 runs with 95% band, 10-epoch rolling mean; no run finished: b")
    # No run finished at all: the runs cut short, all of them.
    curves = pd.concat([runs("a", r, epochs=2) for r in range(3)], ignore_index=True)
    _, finished = comparison.complete_repeats(curves, {"a": [], "b": []})
    assert comparison.paired_curves(curves, finished).equals(curves)
