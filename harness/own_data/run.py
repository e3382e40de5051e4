"""A run of ``classify_sequences.py`` on a reader's sequences, as one trains on real data.

The data comes read (``data_files.py``); the steps of ``run``, each a function below: the folds (``folds.py``), every network trained on each fold with ``fit``
(``fitting.py``) or, on JAX, a model's folds together (``folds_together.py``), every model
and baseline scored on the same folds (``scoring.py``), then the files and the printed
report (``report.py``). ``predict_file`` is ``--predict``: a saved model on new data. Bad
data raises ``DataError`` before anything is trained or written.
"""

import sys
from dataclasses import dataclass

import pandas as pd

from harness import backend, files, plots
from harness.memory import available_memory
from harness.own_data import TrainingFailed, fitting, recipe, report, scoring
from harness.own_data.data_files import read
from harness.own_data.fitting import predict, train
from harness.own_data.folds import plan_folds
from harness.own_data.sequence_csv import DataError, shorten
from harness.progress import Progress
from harness.stopping import STOP, guarded_write

# Training every network on every fold ---------------------------------------------------------

@dataclass(frozen=True)
class Training:
    """How each network trains, from the command line."""

    epochs: int
    batch_size: int
    patience: int
    verbose: int
    together: bool  # a model's folds in one compiled program (JAX)
    learning_rate: float  # (for the message when a loss becomes NaN)

    @classmethod
    def of(cls, args):
        return cls(args.epochs, args.batch_size, args.patience, args.verbose, args.batch_folds,
                   args.learning_rate)


def failed(error, model_name, fold_number, n_folds, learning_rate):
    """``TrainingFailed`` for a loss that became NaN or infinite (``error``), in words."""
    where = f"epoch {error.epoch}" + (f" of fold {fold_number}" if n_folds > 1 else "")
    return TrainingFailed(
        f"the {error.which} loss of {model_name} became {error.value} in {where}, and nothing can be "
        f"learned from there, so the run stopped with nothing written; try a lower --learning-rate "
        f"(this run's: {learning_rate:g}), or look for extreme values among the features")


def fit_one_at_a_time(model_name, parts, build, training):
    """Train ``model_name`` on each fold's ``(fold, training set, validation set)`` in turn,
    from the fold's seed, its batches in the seed's order; stop at a stop request.

    Yields each fold's ``scoring.Trained`` as soon as it is trained, and must be scored before
    the next is asked for: every fold trains the one model kept for the architecture
    (``fitting.kept``), so the next fold's training replaces this one's weights."""
    first = True
    for fold, train_set, validation_set in parts:
        if STOP():
            return
        backend.seed_everything(fold.seed)
        model = fitting.kept(build(model_name, train_set))  # one compiled model for every fold
        label = f"{model_name}, fold {fold.number}/{len(parts)}" if len(parts) > 1 else model_name
        try:
            history, interrupted = train(model, train_set, validation_set, epochs=training.epochs,
                                         batch_size=training.batch_size, patience=training.patience,
                                         verbose=training.verbose, should_stop=STOP, seed=fold.seed, label=label)
        except recipe.LossNotFinite as error:
            raise failed(error, model_name, fold.number, len(parts), training.learning_rate) from None
        # The first fold's model may be the one saved: kept as it is now, as the model trains on.
        yield scoring.Trained(model, history, interrupted, fitting.snapshot(model) if first else None)
        first = False
        if interrupted:
            return


def groups_in_memory(parts):
    """``parts`` (``scoring.FoldParts``) in groups small enough to train together here: each
    fold holds its training and validation sets and their batches, about three times the
    data's arrays, and a group may take half the memory free."""
    per_fold = 3 * (parts.data.X.nbytes + parts.data.steps.nbytes)
    free = available_memory()
    size = len(parts) if free is None else max(1, min(len(parts), int(free // 2 // max(per_fold, 1))))
    return [parts[start:start + size] for start in range(0, len(parts), size)]


def fit_together(model_name, parts, build, training):
    """Train ``model_name`` on the folds together, each from its own seed (JAX): all at once
    where they fit in memory, else in groups, one after another."""
    from harness.own_data.folds_together import FoldsTogether

    trained = []
    for group in groups_in_memory(parts):
        if STOP():
            break
        group = list(group)  # each fold's training and validation sets, made once
        models = []
        for fold, train_set, _ in group:
            backend.seed_everything(fold.seed)
            models.append(build(model_name, train_set))
        numbers = f"{group[0][0].number}-{group[-1][0].number}/{len(parts)}"
        progress = Progress(training.epochs, training.verbose, label=f"{model_name}, folds {numbers}")
        try:
            fitted = FoldsTogether(models).fit(
                [train_set for _, train_set, _ in group], [validation_set for _, _, validation_set in group],
                epochs=training.epochs, batch_size=training.batch_size, patience=training.patience,
                seeds=[fold.seed for fold, _, _ in group], progress=progress, should_stop=STOP)
        except recipe.LossNotFinite as error:
            progress.close()
            raise failed(error, model_name, group[error.fold][0].number, len(parts), training.learning_rate) from None
        progress.close()
        trained += [scoring.Trained(model, history, interrupted) for model, (history, interrupted) in zip(models, fitted)]
        if any(result.interrupted for result in trained):
            break
    return trained


def fitter(build, training):
    """``fit_folds(model_name, parts)`` for ``scoring.train_and_score``: every model of a fold
    starts from the fold's seed; folds train together where the backend can."""
    def fit_folds(model_name, parts):
        if training.together and len(parts) > 1:
            return fit_together(model_name, parts, build, training)
        return fit_one_at_a_time(model_name, parts, build, training)

    return fit_folds


def say_fold_scores(n_folds, verbose):
    """``model_done(name, results)`` for ``scoring.train_and_score``: each model's accuracy
    by fold, as it comes, when there are folds and progress is shown."""
    def model_done(model_name, results):
        if n_folds > 1 and verbose and results:
            scores = ", ".join(f"{result.accuracy:.3f}" for result in results)
            guarded_write(sys.stdout, f"{model_name}: accuracy by fold {scores}\n")

    return model_done


# The run -------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What a run trained and scored, ready to save and report."""

    evaluation: scoring.Evaluation
    networks: list
    models: list  # the networks, then the baselines
    predictions: pd.DataFrame | None  # None: no training of the first network finished
    confusion: pd.DataFrame | None
    compared: list  # the models with at least one finished fold
    finished: list  # the folds every compared model finished
    summary: pd.DataFrame | None
    histories: pd.DataFrame
    scored_on: str
    per_step: bool  # a label per step, or per sequence


def outcome_of(evaluation, data, folds, networks, models, test_file):
    """The tables of a run: predictions, confusion matrix, summary and histories."""
    tables = [report.predictions_table(scored, predicted, probability).assign(repeat=fold.repeat, fold=fold.number)
              for fold, scored, predicted, probability in evaluation.predictions]
    table = pd.concat(tables) if tables else None  # None: no training of the first network finished
    repeated = folds[-1].repeat > 1
    if table is not None:
        table = table.drop(columns=[*(["repeat"] if not repeated else []), *(["fold"] if len(folds) == 1 else [])])
    compared = scoring.compared_models(evaluation.results, models)
    finished = scoring.complete_folds(evaluation.results, compared)
    summary = None
    if finished and compared[0] in networks:  # after a stop, at least one network's folds
        summary = scoring.summarise(evaluation.results, compared)
    histories = pd.concat(evaluation.histories, ignore_index=True)
    histories = histories[["model", *(["repeat"] if repeated else []), "fold", "finished", *histories.columns[:-4]]]
    scored_on = "test file" if test_file is not None else "test split" if len(folds) == 1 else "held-out folds"
    confusion = None if table is None else report.confusion_matrix(table, data.classes)
    return Outcome(evaluation, networks, models, table, confusion, compared, finished, summary, histories,
                   scored_on, data.y.ndim == 2)


def save(outcome, paths, title, data_name, n_folds):
    """Save every file of the run; return their paths. A file with nothing finished to hold
    (the predictions, when no training of the first network finished; the folds plot, when
    no network finished a fold) is not written, and no earlier run's stands beside the new."""
    evaluation = outcome.evaluation
    folds_table = scoring.folds_table(evaluation.results, outcome.models)
    saved = []
    if outcome.predictions is not None:
        saved.append(files.save_csv(outcome.predictions, paths["_predictions.csv"]))
    else:
        paths["_predictions.csv"].unlink(missing_ok=True)
    kept = evaluation.kept
    if kept.state is not None:  # the model trained on for other folds: back to this one's weights
        fitting.restore(kept.model, kept.state)
    saved += [files.save_csv(outcome.histories, paths["_history.csv"]),
              plots.plot_learning(kept.history, outcome.confusion, paths[".png"], title=title,
                                  partial=evaluation.stopped, tested=outcome.scored_on),
              files.atomic_write(paths[".keras"], kept.model.save),
              files.save_csv(folds_table, paths["_folds.csv"])]
    if outcome.summary is not None:
        scope = "by fold" if n_folds > 1 else f"on the {outcome.scored_on}"
        saved.append(plots.plot_folds(folds_table, outcome.summary, paths["_folds.png"],
                                      title=f"{data_name}: accuracy {scope}", partial=evaluation.stopped))
    else:
        paths["_folds.png"].unlink(missing_ok=True)
    return saved


def report_stop(outcome, n_folds, where):
    """After a stop: the partial comparison, if any, and one line on what was saved."""
    networks, summary = outcome.networks, outcome.summary
    if summary is not None:
        print(report.report(summary, [name for name in networks if name in outcome.compared],
                            outcome.per_step, outcome.scored_on, partial=True))
        compares = (f"the summary compares {', '.join(outcome.compared)} on the {len(outcome.finished)} "
                    f"of {n_folds} folds they all finished")
    else:
        compares = "no network finished a fold, so there is nothing to compare"
    STOP.say(f"Stopped early: {compares}. Saved every finished training's scores, and the model "
             f"of {networks[0]}'s best epoch so far, to {where}")
    return STOP.status


def report_finished(outcome, n_folds, where):
    """The report of a finished run: the saved model's training, the comparison, the
    confusion matrix, the files."""
    first, kept = outcome.networks[0], outcome.evaluation.kept.history
    best = int(kept["val_loss"].idxmin()) + 1
    print(f"\n{first}{' in fold 1' if n_folds > 1 else ''} trained {len(kept)} epochs; the best "
          f"validation loss came in epoch {best}, whose weights the saved model keeps.")
    print(report.report(outcome.summary, outcome.networks, outcome.per_step, outcome.scored_on))
    for note in outcome.evaluation.notes:
        print(note)
    folds = outcome.evaluation.predictions
    counts = report.confusion_counts(outcome.per_step, len(folds), folds[-1][0].repeat,
                                     folds[0][0].test is None)
    print(f"\nConfusion matrix of {first} on the {outcome.scored_on}, counting {counts} (rows: label, "
          "columns: predicted):")
    print(outcome.confusion.to_string())
    classes = list(outcome.confusion.columns)
    if plots.numbered_classes(classes):
        numbers = ", ".join(f"{number} is {name!r}" for number, name in enumerate(classes, start=1))
        print(f"(The plot's font cannot draw these class names, so it numbers the classes: {numbers}.)")
    print(f"\nSaved {where}")
    return 0


def run(args, data, test_file, resampled_from, paths, build, title):
    """Split into folds, train and score every model on each, save, then report; return the
    exit status. ``resampled_from`` is the longest sequence's length before ``--max-steps``
    shortened it (None: nothing was shortened); ``paths`` maps each of ``command.OUTPUTS`` to
    its file; ``build(model_name, training)`` returns the compiled model ``model_name`` for
    ``training``'s data."""
    if resampled_from:
        print(f"Sequences longer than {args.max_steps} steps (the longest has {resampled_from}) are "
              f"resampled to {args.max_steps} (--max-steps).")
    folds = plan_folds(data, args.folds, args.seed, scored_on_file=test_file is not None, repeats=args.repeats)
    networks = list(args.model)
    models = networks + scoring.baseline_names(data)
    print(report.describe_data(data, folds, test_file))

    STOP.enter("training")
    evaluation = scoring.train_and_score(data, folds, networks, fitter(build, Training.of(args)), predict,
                                         test_file, should_stop=STOP,
                                         model_done=say_fold_scores(len(folds), args.verbose), dtw=args.dtw)
    if evaluation.kept is None:
        STOP.say("Stopped before the first epoch finished; nothing was written.")
        return STOP.status
    outcome = outcome_of(evaluation, data, folds, networks, models, test_file)

    STOP.enter("saving")
    saved = save(outcome, paths, title, args.data.name, len(folds))

    STOP.enter("reporting")
    where = ", ".join(map(str, saved))
    if evaluation.stopped:
        return report_stop(outcome, len(folds), where)
    if STOP():  # asked to stop while saving: everything is saved
        STOP.say(f"Stopped after saving {where}")
        return STOP.status
    return report_finished(outcome, len(folds), where)


# Predicting new data with a saved model ----------------------------------------------------------

def predict_file(args, path, model, schema):
    """Predict the command line's CSV with a saved model, write the predictions to ``path``;
    return the exit status. ``schema`` is the model's ``DataSchema``: its features, target and
    classes."""
    if args.target not in (None, schema.target):
        raise DataError(f"argument --target: the model predicts a label per {schema.target}, "
                        f"not per {args.target}")
    features = schema.features
    if args.features is not None:  # the CSV's names for the model's features, in its order
        if len(args.features) != len(features) or (sorted(args.features) == sorted(features)
                                                    and args.features != features):
            raise DataError(f"argument --features: the model takes {len(features)} feature"
                            f"{'s' if len(features) > 1 else ''} in this order: {', '.join(features)}; "
                            f"give one column for each, in that order, not {', '.join(args.features)}")
        features = args.features
    data = read(args, features=features, target=schema.target, classes=schema.classes,
                model_features=args.features is None)
    if getattr(schema, "max_steps", None):  # as the model's training data was
        data = shorten(data, schema.max_steps)
    table = report.predictions_table(data, *predict(model, data))
    STOP.enter("saving")
    saved = files.save_csv(table, path)
    STOP.enter("reporting")
    if STOP():  # asked to stop while saving: the predictions are saved
        STOP.say(f"Stopped after saving {saved}")
        return STOP.status
    if data.y is not None:
        unit = "timesteps" if schema.target == "step" else "sequences"
        accuracy = (table["label"] == table["predicted"]).mean()
        print(f"Accuracy on {args.data}, {len(table)} {unit}: {accuracy:.3f}")
    print(f"Saved the predictions of {len(data)} sequences to {saved}")
    return 0
