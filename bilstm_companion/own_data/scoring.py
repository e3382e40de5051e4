"""The article's comparisons on a reader's sequences: every model on the same folds, paired.

``train_and_score`` keeps a ``Result`` per model and fold; ``summarise`` turns them into each
model's accuracy with a 95% interval and its paired difference from the first model. The
independent units are folds, or with a single fold the test sequences; never timesteps.
"""

import time
from collections.abc import Sequence
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


class FoldParts(Sequence):
    """Each fold's ``(fold, training set, validation set)``, made when asked for, so that the
    K x R copies of a large data set are never all held at once."""

    def __init__(self, data, folds):
        self.data, self.folds = data, list(folds)

    def __len__(self):
        return len(self.folds)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return FoldParts(self.data, self.folds[index])
        fold = self.folds[index]
        return fold, self.data.subset(fold.training), self.data.subset(fold.validation)

    def sets(self, index):
        """Fold ``index``'s training and validation sets."""
        return self[index][1:]


def learned_by_baselines(data, fold):
    """What a baseline learns from: the fold's training and validation parts, all the labelled data
    its networks see (a baseline needs no early stopping)."""
    return data.subset(np.sort(np.concatenate([fold.training, fold.validation])))


def score_baseline(evaluation, name, data, folds, scored_by_fold, should_stop=lambda: False):
    """Score the baseline ``name`` (of ``baseline_names``, but the network) on every fold, until a stop."""
    from bilstm_companion.own_data.estimators import MajorityClassifier, NearestNeighbourClassifier

    for fold in folds:
        if should_stop():
            evaluation.stopped = True
            return
        scored = scored_by_fold[fold.number]
        baseline = {"majority": MajorityClassifier(), "nearest_neighbour": NearestNeighbourClassifier(),
                    DTW_BASELINE: NearestNeighbourClassifier(metric="dtw")}[name]
        fitted = baseline._given(learned_by_baselines(data, fold))
        evaluation.results.append(result_of(name, fold, scored, fitted.predict_codes(scored)[0]))


def score_dtw(evaluation, data, folds, scored_by_fold, dtw, trained_seconds, should_stop):
    """Score the nearest neighbour under DTW: ``dtw`` True always, False never, None where it takes
    no longer than the networks' training (``trained_seconds``), else with a note saying so."""
    if dtw is False:
        return
    if dtw is None:
        estimate = sum(baselines.dtw_seconds(learned_by_baselines(data, fold), scored_by_fold[fold.number])
                       for fold in folds)
        if estimate > devices.agreed(trained_seconds):  # (processes training together: the first's clock)
            evaluation.notes.append(
                f"{DTW_BASELINE} was not scored: it would take about {estimate:.0f} s here, longer than the "
                f"networks' training ({trained_seconds:.0f} s); --dtw asks for it.")
            return
    score_baseline(evaluation, DTW_BASELINE, data, folds, scored_by_fold, should_stop)


def fit_folds(estimator, parts, *, name, together=False, should_stop=STOP):
    """One fitted clone of ``estimator`` per fold of ``parts``, yielded as each is trained. Every fold's
    members go to the one trainer at once, so that one batch size serves them all and, ``together``,
    they train in one program (JAX). After a stop, the interrupted clone comes last (``interrupted_``)."""
    nbytes = parts.data.X.nbytes + parts.data.steps.nbytes
    clones = [clone(estimator)._given(parts.data) for _ in parts.folds]
    members = [member for index, (fitted, fold) in enumerate(zip(clones, parts.folds))
               for member in fitted._members(partial(parts.sets, index), fold.seed, len(fold.training), nbytes,
                                             name=name, fold=fold.number, folds=len(parts))]
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
    """Score the quick baselines and ``others`` (``classify(fold, learned, scored)``), then train and
    score each of ``networks`` (name to ``SequenceClassifier``), then the nearest neighbour under DTW.

    Each fold scores its test part, or ``test_file``. The first network's predictions and first fit
    are kept for the report and saving. A training cut short by a stop keeps its finished epochs
    (``finished=False`` in its history) but is not scored: only finished trainings are compared."""
    evaluation, parts = Evaluation(), FoldParts(data, folds)
    scored_by_fold = {fold.number: test_file if fold.test is None else data.subset(fold.test) for fold in folds}
    for name in baseline_names(data) if with_baselines else ():
        if name in ("majority", "nearest_neighbour"):
            score_baseline(evaluation, name, data, folds, scored_by_fold)
    for name, classify in (others or {}).items():  # a reader's: learns from DATA's ``learned`` positions
        for fold in folds:
            scored = scored_by_fold[fold.number]
            learned = np.sort(np.concatenate([fold.training, fold.validation]))
            positions = fold.test if fold.test is not None else np.arange(len(scored))
            evaluation.results.append(result_of(name, fold, scored, classify(fold, learned, positions)))
    started = time.perf_counter()
    first = next(iter(networks), None)
    for name, estimator in networks.items():
        finished = []
        for fold, fitted in zip(folds, fit_folds(estimator, parts, name=name, together=together,
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
    if with_baselines and DTW_BASELINE in baseline_names(data):
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


def compared_models(results, models):
    """The models that finished at least one fold (after a stop, not all did)."""
    present = {result.model for result in results}
    return [name for name in models if name in present]


def complete_folds(results, models):
    """The folds that every model of ``models`` finished: the pairs that can be compared."""
    done = {}
    for result in results:
        done.setdefault(result.fold, set()).add(result.model)
    return sorted(fold for fold, names in done.items() if set(models) <= names)


def comparable_folds(results, models):
    """The folds every model finished; of folds dealt several times, whole dealings only (so that
    a sequence counts once in each), or with none whole, the first dealing's finished folds."""
    folds = complete_folds(results, models)
    by_fold = {result.fold: result for result in results if result.fold in folds}
    repeats = {by_fold[fold].repeat for fold in folds}
    if len(repeats) == 1 or not results[0].from_data:
        return folds
    dealt = {}
    for result in results:
        dealt.setdefault(result.repeat, set()).add(result.fold)
    whole = [repeat for repeat in sorted(repeats) if dealt[repeat] <= set(folds)]
    keep = whole or [min(repeats)]
    return [fold for fold in folds if by_fold[fold].repeat in keep]


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
    rows = []
    for name in models:
        difference = difference_interval(cells[models[0]], cells[name]) if name != models[0] else (np.nan,) * 3
        rows.append((name, *accuracy_interval(cells[name]), *difference))
    summary = pd.DataFrame(rows, columns=["model", "accuracy", "low", "high", "difference",
                                          "difference_low", "difference_high"])
    first = cells[models[0]]
    from_data = next(result for result in results if result.fold in folds).from_data
    repeats = len({result.repeat for result in results if result.fold in folds})
    summary.insert(1, "folds", len(folds))
    summary.insert(2, "sequences", first.sequences)
    summary["counts"] = what_intervals_count(first.sequences, first.fits, repeats, scored_on_file=not from_data)
    return summary
