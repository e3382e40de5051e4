"""Every model scored on the same folds (``train_and_score``) and compared, paired (``summarise``).

The independent units are folds, or with a single fold the test sequences; never timesteps.
"""

import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from sklearn.base import clone

from bilstm_companion import devices
from bilstm_companion.own_data import baselines
from bilstm_companion.stats import Cells, accuracy_interval, difference_interval, what_intervals_count
from bilstm_companion.stopping import STOP

NETWORK_BASELINE = "no_memory"  # the article's network without its LSTM
DTW_BASELINE = "nearest_neighbour_dtw"


@dataclass
class Result:
    """One model scored on one fold's test sequences."""

    model: str
    fold: int  # its number, across repeats
    correct: np.ndarray  # (test sequences,) units right in each: real steps, or 1 for its label
    counted: np.ndarray  # (test sequences,) units in each
    repeat: int = 1
    sequences: np.ndarray | None = None  # which sequences were scored: positions in DATA, or in the test file
    from_data: bool = True  # scored on DATA's held-out sequences, or on a test file

    @property
    def accuracy(self):
        return float(self.correct.sum() / self.counted.sum())


def result_of(name, fold, scored, predicted):
    """The ``Result`` of model ``name`` in ``fold``."""
    from_data = fold.test is not None
    positions = fold.test if from_data else np.arange(len(scored))
    return Result(name, fold.number, *baselines.score(scored, predicted), fold.repeat, positions, from_data)


@dataclass
class Evaluation:
    """Everything one run trained and scored; ``stopped``: a stop request ended it early."""

    results: list = field(default_factory=list)
    histories: list = field(default_factory=list)  # DataFrames, each with model and fold columns
    predictions: list = field(default_factory=list)  # (fold, scored data, predicted, probability)
    saved: object = None  # the first network of the first fold (a fitted ``SequenceClassifier``): the model to save
    stopped: bool = False
    notes: list = field(default_factory=list)  # what the report should say of what was not done


def baseline_names(data):
    """The baselines beside a run's networks; the nearest neighbours need a label per sequence."""
    names = [NETWORK_BASELINE, "majority"]
    return names + ["nearest_neighbour", DTW_BASELINE] if data.y.ndim == 1 else names


def learned_positions(fold):
    """A baseline learns from the fold's training and validation parts: it needs no early stopping."""
    return np.sort(np.concatenate([fold.training, fold.validation]))


def baseline(name, data, scored_by_fold):
    """``classify(fold, learned, scored)`` of the baseline ``name`` (a quick one, or DTW's)."""
    from bilstm_companion.own_data.estimators import MajorityClassifier, NearestNeighbourClassifier

    def classify(fold, learned, _):  # (a fresh one each fold: none holds its training set after scoring)
        estimator = {"majority": MajorityClassifier, "nearest_neighbour": NearestNeighbourClassifier,
                     DTW_BASELINE: partial(NearestNeighbourClassifier, metric="dtw")}[name]()
        return estimator._given(data.subset(learned)).predict_codes(scored_by_fold[fold.number])[0]

    return classify


def score_classifier(evaluation, name, classify, folds, scored_by_fold, should_stop=lambda: False):
    """Score ``classify(fold, learned, scored)`` (positions in DATA, and in DATA or the test file; the class
    codes of the ``scored`` sequences back) as the model ``name`` on every fold, until a stop."""
    for fold in folds:
        if should_stop():
            evaluation.stopped = True
            return
        scored = scored_by_fold[fold.number]
        positions = fold.test if fold.test is not None else np.arange(len(scored))
        predicted = classify(fold, learned_positions(fold), positions)
        evaluation.results.append(result_of(name, fold, scored, predicted))


def score_dtw(evaluation, data, folds, scored_by_fold, dtw, trained_seconds, should_stop):
    """Score the nearest neighbour under DTW: ``dtw`` True always, None where it takes no longer
    than the networks' training (``trained_seconds``), else with a note saying so."""
    if dtw is None:
        estimate = sum(baselines.dtw_seconds(data.subset(learned_positions(fold)),
                                             scored_by_fold[fold.number]) for fold in folds)
        if estimate > devices.agreed(trained_seconds):  # (processes training together: the first's clock)
            evaluation.notes.append(
                f"{DTW_BASELINE} was not scored: it would take about {estimate:.0f} s here, longer than the "
                f"networks' training ({trained_seconds:.0f} s); --dtw asks for it.")
            return
    classify = baseline(DTW_BASELINE, data, scored_by_fold)
    score_classifier(evaluation, DTW_BASELINE, classify, folds, scored_by_fold, should_stop)


def fit_folds(estimator, data, folds, *, name, together=False, should_stop=STOP):
    """Yield a fitted clone of ``estimator`` per fold as trained. All folds' members go to one trainer, so
    one batch size serves all and, ``together``, one JAX program trains them. After a stop, the
    interrupted clone comes last (``interrupted_``)."""
    def sets(fold):  # made when asked for: the K x R copies of a large data set are never all held at once
        return data.subset(fold.training), data.subset(fold.validation)

    nbytes = data.X.nbytes + data.steps.nbytes
    clones = [clone(estimator)._given(data) for _ in folds]
    members = [member for fitted, fold in zip(clones, folds)
               for member in fitted._members(partial(sets, fold), fold.seed, len(fold.training), nbytes,
                                             name=name, fold=fold.number, folds=len(folds))]
    trained = []
    for result in estimator._trained(members, together=together and len(members) > 1, should_stop=should_stop):
        trained.append(result)
        if len(trained) == members[0].of:
            yield clones.pop(0)._finish(trained)
            trained = []
    if trained:  # a stop cut a fold's members short
        yield clones.pop(0)._finish(trained)


def train_and_score(data, folds, networks, test_file=None, *, together=False, others=None, with_baselines=True,
                    should_stop=lambda: False, model_done=lambda name, results: None, dtw=None):
    """Score the quick baselines and ``others`` (name to ``classify``, see ``score_classifier``), train and
    score ``networks`` (name to ``SequenceClassifier``), then DTW's nearest neighbour, each on every fold's
    test part or ``test_file``. The first network's predictions and first fit are kept. A training cut short
    by a stop keeps its epochs (``finished=False`` in its history) but is not scored: only finished
    trainings are compared."""
    evaluation = Evaluation()
    scored_by_fold = {fold.number: test_file if fold.test is None else data.subset(fold.test) for fold in folds}
    quick = {name: baseline(name, data, scored_by_fold) for name in baseline_names(data)
             if with_baselines and name in ("majority", "nearest_neighbour")}
    for name, classify in {**quick, **(others or {})}.items():
        score_classifier(evaluation, name, classify, folds, scored_by_fold)
    started = time.perf_counter()
    first = next(iter(networks), None)
    for name, estimator in networks.items():
        finished = []
        for fold, fitted in zip(folds, fit_folds(estimator, data, folds, name=name, together=together,
                                                 should_stop=should_stop)):
            if fitted.history_.empty:  # stopped before its first epoch ended
                evaluation.stopped = True
                continue
            evaluation.histories.append(fitted.history_.assign(model=name, repeat=fold.repeat, fold=fold.number,
                                                               finished=not fitted.interrupted_))
            if name == first:
                evaluation.saved = evaluation.saved or fitted
            if fitted.interrupted_:  # its epochs are in the history, marked; nothing else counts it
                evaluation.stopped = True
                continue
            scored = scored_by_fold[fold.number]
            predicted, probability = fitted.predict_codes(scored)
            if name == first:
                evaluation.predictions.append((fold, scored, predicted, probability))
            finished.append(result_of(name, fold, scored, predicted))
        evaluation.results += finished
        model_done(name, finished)
        if evaluation.stopped or should_stop():
            evaluation.stopped = True
            return evaluation
    if with_baselines and dtw is not False and DTW_BASELINE in baseline_names(data):
        score_dtw(evaluation, data, folds, scored_by_fold, dtw, time.perf_counter() - started, should_stop)
    return evaluation


# The numbers ----------------------------------------------------------------------------------

def folds_table(results, models):
    """One row per model and fold: ``model,[repeat,]fold,accuracy,sequences``."""
    rows = sorted(results, key=lambda result: (models.index(result.model), result.fold))
    repeats = {"repeat": [result.repeat for result in rows]} if any(result.repeat > 1 for result in rows) else {}
    return pd.DataFrame({"model": [result.model for result in rows], **repeats,
                         "fold": [result.fold for result in rows],
                         "accuracy": [round(result.accuracy, 6) for result in rows],
                         "sequences": [len(result.counted) for result in rows]})


def complete_folds(results, models):
    """The folds that every model of ``models`` finished: the pairs that can be compared."""
    done = {(result.model, result.fold) for result in results}
    return sorted({fold for _, fold in done if all((name, fold) in done for name in models)})


def comparable_folds(results, models):
    """The folds every model finished; of folds dealt several times, whole dealings only (so that
    a sequence counts once in each), or with none whole, the first dealing's finished folds."""
    folds = complete_folds(results, models)
    repeat_of = {result.fold: result.repeat for result in results}
    repeats = sorted({repeat_of[fold] for fold in folds})
    if len(repeats) == 1 or not results[0].from_data:
        return folds
    whole = [repeat for repeat in repeats
             if all(fold in folds for fold, dealt in repeat_of.items() if dealt == repeat)]
    return [fold for fold in folds if repeat_of[fold] in (whole or repeats[:1])]


def summarise(results, models):
    """One row per model (the first is the reference): ``model, folds, sequences, accuracy, low,
    high, difference, difference_low, difference_high, counts``, with 95% bounds."""
    folds = comparable_folds(results, models)
    # Each model's cells in one order; a sequence scored by several trainings is one sequence.
    by_key = {(result.model, result.fold): result for result in results}
    chosen = [by_key[(models[0], fold)] for fold in folds]
    _, sequence = np.unique(np.concatenate([result.sequences for result in chosen]), return_inverse=True)
    fit = np.repeat(np.arange(len(folds)), [len(result.sequences) for result in chosen])
    counted = np.concatenate([result.counted for result in chosen]).astype(np.float64)
    cells = {name: Cells(np.concatenate([by_key[(name, fold)].correct for fold in folds]).astype(np.float64),
                         counted, sequence, fit) for name in models}
    first = cells[models[0]]
    rows = [(name, len(folds), first.sequences, *accuracy_interval(cells[name]),
             *(difference_interval(first, cells[name]) if name != models[0] else (np.nan,) * 3))
            for name in models]
    summary = pd.DataFrame(rows, columns=["model", "folds", "sequences", "accuracy", "low", "high",
                                          "difference", "difference_low", "difference_high"])
    repeats = len({result.repeat for result in chosen})
    summary["counts"] = what_intervals_count(first.sequences, first.fits, repeats, not chosen[0].from_data)
    return summary
