"""A network trained on every fold of a paired comparison: one fold at a time, or on JAX the
folds together.

``fit_folds(estimator, parts)`` takes a ``SequenceClassifier`` and the folds' parts
(``scoring.FoldParts``: each fold's ``(fold, training set, validation set)``) and yields one
fitted clone of it per fold, each trained from its fold's seed, as soon as it is trained; the
caller scores each before asking for the next. A stop request ends it after the current
batch: the interrupted clone is yielded last, with ``interrupted_`` set. A loss that becomes
NaN or infinite raises ``recipe.LossNotFinite``, its ``fold_number`` the fold's.
"""

from sklearn.base import clone

from harness import devices
from harness.memory import available_memory
from harness.own_data import recipe
from harness.own_data.defaults import batch_size_for
from harness.progress import Progress
from harness.stopping import STOP


def fit_folds(estimator, parts, *, name, together=False, should_stop=STOP):
    """One fitted clone of ``estimator`` per fold of ``parts``, yielded as each is trained;
    ``name`` labels the progress. ``together``: the folds in one compiled program (JAX).
    Where ``estimator.batch_size`` is None, every fold takes the batch size of the smallest
    fold's training part (``defaults.batch_size_for``), one size for them all, trained
    together or not."""
    if estimator.batch_size is None:
        smallest = min(len(fold.training) for fold in parts.folds)
        estimator = clone(estimator).set_params(batch_size=batch_size_for(smallest))
    if together and len(parts) > 1:
        return fit_together(estimator, parts, name, should_stop)
    return fit_one_at_a_time(estimator, parts, name, should_stop)


def fit_one_at_a_time(estimator, parts, name, should_stop):
    """Each fold's clone trained in turn, its batches in its seed's order."""
    for fold, training, validation in parts:
        if should_stop():
            return
        label = f"{name}, fold {fold.number}/{len(parts)}" if len(parts) > 1 else name
        fitted = clone(estimator)
        try:
            fitted.fit_sequence_sets(training, validation, seed=fold.seed, label=label, should_stop=should_stop)
        except recipe.LossNotFinite as error:
            error.fold_number = fold.number
            raise
        yield fitted
        if fitted.interrupted_:
            return


def groups_in_memory(parts, share_among=1):
    """``parts`` in groups small enough to train together here: each fold holds its training
    and validation sets and their batches, about three times the data's arrays, and a group
    may take half the memory free; each group a multiple of ``share_among`` folds (the
    devices that share them out)."""
    per_fold = 3 * (parts.data.X.nbytes + parts.data.steps.nbytes)
    free = available_memory()
    size = len(parts) if free is None else max(1, min(len(parts), int(free // 2 // max(per_fold, 1))))
    size = max(share_among, devices.agreed(size) // share_among * share_among)  # (the first process's)
    return [parts[start:start + size] for start in range(0, len(parts), size)]


def train_together(models, trainings, validations, estimator, seeds, label, should_stop, placement=None,
                   along="folds"):
    """``models`` trained in step on their ``trainings``, with ``estimator``'s recipe and
    progress labelled ``label``: ``FoldsTogether.fit``'s ``[(history, interrupted), ...]``.
    ``placement`` and ``along``: on several devices, the folds or each batch shared out."""
    from harness.own_data.folds_together import FoldsTogether

    progress = Progress(estimator.epochs, estimator.verbose, label=label)
    try:
        return FoldsTogether(models, placement, along).fit(
            trainings, validations, epochs=estimator.epochs,
            batch_size=batch_size_for(min(len(training) for training in trainings), estimator.batch_size),
            patience=estimator.patience, seeds=seeds, progress=progress, should_stop=should_stop)
    finally:
        progress.close()


def fit_together(estimator, parts, name, should_stop):
    """The folds' clones trained together, each from its own seed (JAX): all at once where
    they fit in memory, else in groups, one after another; on several devices
    (``estimator.devices``), each group's folds shared out among them."""
    placement = estimator.placement()
    if placement is not None and len(parts) % placement.count:
        raise ValueError(f"{len(parts)} folds trained together cannot be shared out equally among {placement.count} "
                         f"devices: choose a number of folds (times repeats) that is a multiple of {placement.count}, "
                         "or train the folds one at a time, each fold's batches shared out")
    for group in groups_in_memory(parts, 1 if placement is None else placement.count):
        if should_stop():
            return
        fitted = [clone(estimator) for _ in group]
        # Each fold's training and validation sets, made once (shortened as the estimator's fit would).
        group = [(fold, each.shortened(training), each.shortened(validation))
                 for each, (fold, training, validation) in zip(fitted, group)]
        models = [each.start(training, fold.seed) for each, (fold, training, _) in zip(fitted, group)]
        numbers = f"{group[0][0].number}-{group[-1][0].number}/{len(parts)}"
        try:
            results = train_together(models, [training for _, training, _ in group],
                                     [validation for _, _, validation in group], estimator,
                                     [fold.seed for fold, _, _ in group], f"{name}, folds {numbers}", should_stop,
                                     placement)
        except recipe.LossNotFinite as error:
            error.fold_number = group[error.fold][0].number
            raise
        for each, (history, interrupted) in zip(fitted, results):
            yield each.finish(history, interrupted)
        if any(interrupted for _, interrupted in results):
            return
