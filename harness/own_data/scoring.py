"""The article's comparisons on a reader's sequences: every model on the same folds, paired.

``train_and_score`` scores the baselines, then trains and scores each network of the run,
fold by fold (``folds.py`` makes the folds), and keeps a ``Result`` per model and fold:
which scored units each test sequence got right. ``summarise`` turns them into the
project's one shape of evidence: each model's mean accuracy with a 95% interval, and its
paired difference from the first model. The independent units are folds (a t interval over
them), or, with a single fold, the test sequences (a seeded bootstrap over them); never
timesteps. ``report.py`` puts them into words.
"""

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from harness.own_data import baselines
from harness.stats import bootstrap_accuracies, mean_ci, percentile_ci

NETWORK_BASELINE = "no_memory"  # the article's network without its LSTM
RESAMPLES = 2000


@dataclass
class Result:
    """One model scored on one fold's test sequences."""

    model: str
    fold: int
    correct: np.ndarray  # (test sequences,) units right in each: real steps, or 1 for its label
    counted: np.ndarray  # (test sequences,) units in each

    @property
    def accuracy(self):
        return float(self.correct.sum() / self.counted.sum())


@dataclass
class Trained:
    """What ``fit`` returns for one network on one fold."""

    model: object  # the Keras model, with the weights of its best epoch
    history: pd.DataFrame  # one row per finished epoch
    interrupted: bool  # a stop request cut the training short


@dataclass
class Evaluation:
    """Everything one run trained and scored; ``stopped``: a stop request ended it early."""

    results: list = field(default_factory=list)
    histories: list = field(default_factory=list)  # DataFrames, each with model and fold columns
    predictions: list = field(default_factory=list)  # (fold, scored data, predicted, probability)
    kept: Trained | None = None  # the first network of the first fold: the model to save
    stopped: bool = False
    notes: list = field(default_factory=list)  # what the report should say of what was not done


DTW_BASELINE = "nearest_neighbour_dtw"


def baseline_names(data):
    """The baselines a run sets beside its networks: the nearest neighbours (Euclidean, and
    under dynamic time warping) need a label per sequence."""
    names = [NETWORK_BASELINE, "majority"]
    return names + ["nearest_neighbour", DTW_BASELINE] if data.y.ndim == 1 else names


def learned_by_baselines(data, fold):
    """What a baseline learns from in ``fold``: its training and validation parts, all the
    labelled data its networks see (a baseline needs no early stopping)."""
    return data.subset(np.sort(np.concatenate([fold.training, fold.validation])))


def score_baseline(evaluation, name, classify, data, folds, scored_by_fold):
    """Score the baseline ``classify`` on every fold."""
    for fold in folds:
        scored = scored_by_fold[fold.number]
        predicted = classify(learned_by_baselines(data, fold), scored)
        evaluation.results.append(Result(name, fold.number, *baselines.score(scored, predicted)))


def score_dtw(evaluation, data, folds, scored_by_fold, dtw, trained_seconds, should_stop):
    """Score the nearest neighbour under DTW on every fold: always with ``dtw`` True, never
    with False; with None, only where it would take no longer than the networks' training
    (``trained_seconds``), else say in ``evaluation.notes`` that it was skipped, and how to
    ask for it."""
    if dtw is False:
        return
    if dtw is None:
        estimate = sum(baselines.dtw_seconds(learned_by_baselines(data, fold), scored_by_fold[fold.number])
                       for fold in folds)
        if estimate > trained_seconds:
            evaluation.notes.append(
                f"{DTW_BASELINE} was not scored: it would take about {estimate:.0f} s here, longer than the "
                f"networks' training ({trained_seconds:.0f} s); --dtw asks for it.")
            return
    for fold in folds:
        if should_stop():
            evaluation.stopped = True
            return
        scored = scored_by_fold[fold.number]
        predicted = baselines.nearest_neighbour_dtw(learned_by_baselines(data, fold), scored)
        evaluation.results.append(Result(DTW_BASELINE, fold.number, *baselines.score(scored, predicted)))


def train_and_score(data, folds, networks, fit_folds, predict, test_file=None, should_stop=lambda: False,
                    model_done=lambda name, results: None, dtw=None):
    """Score the quick baselines on every fold, then train and score each network of
    ``networks`` on every fold, one network after another, then the nearest neighbour under
    DTW (``dtw``: see ``score_dtw``). The baselines learn from a fold's training and
    validation parts, all the labelled data its networks see.

    ``fit_folds(name, parts)`` trains network ``name`` on each fold's ``(fold, training,
    validation)`` part, one at a time or together, and returns a ``Trained`` per fold it
    began (fewer when a stop request came); ``predict(model, data)`` gives the predicted
    classes and their probabilities. Each fold scores its test part, or ``test_file``
    when there is one. The first network's predictions are kept for the report, and its
    model of the first fold for saving. A training cut short by a stop keeps its model and
    its finished epochs (marked ``finished=False`` in its history), but is neither scored
    nor predicted: only finished trainings are compared and reported. ``model_done(name,
    results)`` hears of each model's results as they come.
    """
    evaluation = Evaluation()
    parts = [(fold, data.subset(fold.training), data.subset(fold.validation)) for fold in folds]
    scored_by_fold = {fold.number: test_file if fold.test is None else data.subset(fold.test) for fold in folds}
    quick = {"majority": baselines.majority, "nearest_neighbour": baselines.nearest_neighbour}
    for name in baseline_names(data):
        if name in quick:
            score_baseline(evaluation, name, quick[name], data, folds, scored_by_fold)
    started = time.perf_counter()
    for name in [*networks, NETWORK_BASELINE]:
        finished = []
        for (fold, _, _), trained in zip(parts, fit_folds(name, parts)):
            if trained.history.empty:  # stopped before its first epoch ended
                evaluation.stopped = True
                continue
            evaluation.histories.append(trained.history.assign(model=name, fold=fold.number,
                                                               finished=not trained.interrupted))
            if name == networks[0]:
                evaluation.kept = evaluation.kept or trained
            if trained.interrupted:  # its epochs are in the history, marked; nothing else counts it
                evaluation.stopped = True
                continue
            scored = scored_by_fold[fold.number]
            predicted, probability = predict(trained.model, scored)
            if name == networks[0]:
                evaluation.predictions.append((fold.number, scored, predicted, probability))
            finished.append(Result(name, fold.number, *baselines.score(scored, predicted)))
        evaluation.results += finished
        model_done(name, finished)
        if evaluation.stopped or should_stop():
            evaluation.stopped = True
            return evaluation
    if DTW_BASELINE in baseline_names(data):
        score_dtw(evaluation, data, folds, scored_by_fold, dtw, time.perf_counter() - started, should_stop)
    return evaluation


# The numbers ----------------------------------------------------------------------------------

def folds_table(results, models):
    """One row per model and fold, in the order of ``models``: ``model,fold,accuracy,sequences``."""
    rows = sorted(results, key=lambda result: (models.index(result.model), result.fold))
    return pd.DataFrame({
        "model": [result.model for result in rows],
        "fold": [result.fold for result in rows],
        "accuracy": [round(result.accuracy, 6) for result in rows],
        "sequences": [len(result.counted) for result in rows],
    })


def compared_models(results, models):
    """The models of ``models`` that finished at least one fold (after a stop, not all did)."""
    present = {result.model for result in results}
    return [name for name in models if name in present]


def complete_folds(results, models):
    """The folds that every model of ``models`` finished: the pairs that can be compared."""
    done = {}
    for result in results:
        done.setdefault(result.fold, set()).add(result.model)
    return sorted(fold for fold, names in done.items() if set(models) <= names)


def summarise(results, models, seed=0):
    """One row per model of ``models`` (the first is the reference), over the folds every
    model finished: ``model, accuracy, low, high, difference, difference_low,
    difference_high``, with 95% bounds; plus ``folds`` and ``interval`` ('folds' for a t
    interval over folds, 'bootstrap' for a percentile interval over test sequences)."""
    folds = complete_folds(results, models)
    by_key = {(result.model, result.fold): result for result in results}
    rows = []
    if len(folds) == 1:
        chosen = [by_key[(name, folds[0])] for name in models]
        resampled = bootstrap_accuracies([result.correct for result in chosen], chosen[0].counted,
                                         resamples=RESAMPLES, seed=seed)
        points = np.array([result.accuracy for result in chosen])
        for index, name in enumerate(models):
            accuracy = percentile_ci(points[index], resampled[index])
            difference = percentile_ci(points[index] - points[0], resampled[index] - resampled[0])
            rows.append((name, *accuracy, *difference))
        interval = "bootstrap"
    else:
        table = np.array([[by_key[(name, fold)].accuracy for fold in folds] for name in models])
        for index, name in enumerate(models):
            rows.append((name, *mean_ci(table[index]), *mean_ci(table[index] - table[0])))
        interval = "folds"
    summary = pd.DataFrame(rows, columns=["model", "accuracy", "low", "high", "difference",
                                          "difference_low", "difference_high"])
    summary.insert(1, "folds", len(folds))
    summary["interval"] = interval
    summary.loc[0, ["difference", "difference_low", "difference_high"]] = np.nan
    return summary
