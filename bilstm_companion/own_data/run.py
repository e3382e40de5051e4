"""A run of ``classify_sequences.py``: train and score every model on the same folds, save, report.

``command.py`` hands over the data, folds and networks; ``predict_file`` is ``--predict``.
"""

import sys
from dataclasses import dataclass

import pandas as pd

from bilstm_companion import files, plots
from bilstm_companion.own_data import TrainingFailed, recipe, report, scoring
from bilstm_companion.stopping import STOP, guarded_write


def failed(error, n_folds, learning_rate):
    """``TrainingFailed`` for a loss that became NaN or infinite, in words."""
    member = error.member
    where = f"epoch {error.epoch}" + (f" of fold {member.fold}" if n_folds > 1 else "") + (
        f" (member {member.index} of {member.of})" if member.of > 1 else "")
    return TrainingFailed(
        f"the {error.which} loss of {member.name} became {error.value} in {where}, and nothing can be "
        f"learned from there, so the run stopped with nothing written; try a lower --learning-rate "
        f"(this run's: {learning_rate:g}), or look for extreme values among the features")


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
    """The ``Outcome`` of a run: its tables (predictions, confusion matrix, summary, histories)."""
    repeated = folds[-1].repeat > 1
    unused = [*(["repeat"] if not repeated else []), *(["fold"] if len(folds) == 1 else [])]
    tables = [report.predictions_table(scored, predicted, probability).assign(repeat=fold.repeat, fold=fold.number)
              for fold, scored, predicted, probability in evaluation.predictions]
    table = pd.concat(tables).drop(columns=unused) if tables else None
    present = {result.model for result in evaluation.results}
    compared = [name for name in models if name in present]  # after a stop, not all finished a fold
    finished = scoring.complete_folds(evaluation.results, compared)
    # After a stop, a summary only where at least one network finished its folds.
    summary = scoring.summarise(evaluation.results, compared) if finished and compared[0] in networks else None
    histories = pd.concat(evaluation.histories, ignore_index=True)
    first = ["model", *(["repeat"] if repeated else []), "fold", *(["member"] if "member" in histories else []),
             "finished"]
    histories = histories[first + [column for column in histories.columns if column not in first + ["repeat"]]]
    scored_on = "test file" if test_file is not None else "test split" if len(folds) == 1 else "held-out folds"
    confusion = None if table is None else pd.crosstab(
        pd.Categorical(table["label"], data.classes), pd.Categorical(table["predicted"], data.classes),
        rownames=["label"], colnames=["predicted"], dropna=False)
    return Outcome(evaluation, networks, models, table, confusion, compared, finished, summary, histories,
                   scored_on, data.y.ndim == 2)


def save(outcome, paths, title, data_name, n_folds):
    """Save every file of the run; return their paths. A file with nothing finished to hold is
    not written, and an earlier run's is removed, so that it cannot pass for this run's."""
    evaluation = outcome.evaluation
    folds_table = scoring.folds_table(evaluation.results, outcome.models)
    saved = []
    if outcome.predictions is not None:
        saved.append(files.save_csv(outcome.predictions, paths["_predictions.csv"]))
    else:
        paths["_predictions.csv"].unlink(missing_ok=True)
    fitted = evaluation.saved  # the first network's fit of the first fold
    saved += [files.save_csv(outcome.histories, paths["_history.csv"]),
              plots.plot_learning(fitted.history_, outcome.confusion, paths[".png"], title=title,
                                  partial=evaluation.stopped, tested=outcome.scored_on),
              fitted.save(paths[".keras"]),
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
    """The report of a finished run."""
    first, history = outcome.networks[0], outcome.evaluation.saved.history_
    fold = " in fold 1" if n_folds > 1 else ""
    if "member" in history:
        epochs = history.groupby("member").size()
        print(f"\n{first}{fold} is {len(epochs)} networks from {len(epochs)} seeds, their probabilities averaged; "
              f"they trained {epochs.min()}{'' if epochs.min() == epochs.max() else f' to {epochs.max()}'} epochs, "
              f"and each keeps the weights of its best validation loss, all {len(epochs)} in the saved model.")
    else:
        best = int(history["val_loss"].idxmin()) + 1
        print(f"\n{first}{fold} trained {len(history)} epochs; the best validation loss came in epoch {best}, "
              "whose weights the saved model keeps.")
    print(report.report(outcome.summary, outcome.networks, outcome.per_step, outcome.scored_on))
    for note in outcome.evaluation.notes:
        print(note)
    folds = outcome.evaluation.predictions
    counts = report.confusion_counts(outcome.per_step, len(folds), folds[-1][0].repeat, folds[0][0].test is None)
    print(f"\nConfusion matrix of {first} on the {outcome.scored_on}, counting {counts} (rows: label, "
          "columns: predicted):")
    print(outcome.confusion.to_string())
    classes = list(outcome.confusion.columns)
    if plots.numbered_classes(classes):
        numbers = ", ".join(f"{number} is {name!r}" for number, name in enumerate(classes, start=1))
        print(f"(The plot's font cannot draw these class names, so it numbers the classes: {numbers}.)")
    print(f"\nSaved {where}")
    return 0


def run(data, test_file, folds, networks, *, paths, title, data_name, together=False, dtw=None, verbose=1,
        resampled=None):
    """Train and score every model on ``folds``, save, report; return the exit status. ``networks``: name
    to ``SequenceClassifier``, ``no_memory`` last; ``paths``: each of ``command.OUTPUTS`` to its file;
    ``resampled``: ``(max_steps, longest)``, or None."""
    if resampled:
        print(f"Sequences longer than {resampled[0]} steps (the longest has {resampled[1]}) are "
              f"resampled to {resampled[0]} (--max-steps).")
    asked = [name for name in networks if name != scoring.NETWORK_BASELINE]
    models = asked + scoring.baseline_names(data)
    print(report.describe_data(data, folds, test_file))

    def model_done(model_name, results):  # each model's accuracy by fold, as it comes
        if len(folds) > 1 and verbose and results:
            scores = ", ".join(f"{result.accuracy:.3f}" for result in results)
            guarded_write(sys.stdout, f"{model_name}: accuracy by fold {scores}\n")

    STOP.enter("training")
    try:
        evaluation = scoring.train_and_score(data, folds, networks, test_file, together=together, should_stop=STOP,
                                             model_done=model_done, dtw=dtw)
    except recipe.LossNotFinite as error:
        raise failed(error, len(folds), networks[error.member.name].learning_rate) from None
    if evaluation.saved is None:
        STOP.say("Stopped before the first epoch finished; nothing was written.")
        return STOP.status
    outcome = outcome_of(evaluation, data, folds, asked, models, test_file)

    STOP.enter("saving")
    saved = save(outcome, paths, title, data_name, len(folds))

    STOP.enter("reporting")
    where = ", ".join(map(str, saved))
    if evaluation.stopped:
        return report_stop(outcome, len(folds), where)
    if STOP():  # asked to stop while saving: everything is saved
        STOP.say(f"Stopped after saving {where}")
        return STOP.status
    return report_finished(outcome, len(folds), where)


def predict_file(data, path, classifier, data_name):
    """``--predict``: a saved ``classifier``'s predictions of ``data``, written to ``path``; the exit status."""
    table = report.predictions_table(data, *classifier.predict_codes(data))
    STOP.enter("saving")
    saved = files.save_csv(table, path)
    STOP.enter("reporting")
    if STOP():  # asked to stop while saving: the predictions are saved
        STOP.say(f"Stopped after saving {saved}")
        return STOP.status
    if data.y is not None:
        unit = "timesteps" if classifier.target_ == "step" else "sequences"
        accuracy = (table["label"] == table["predicted"]).mean()
        print(f"Accuracy on {data_name}, {len(table)} {unit}: {accuracy:.3f}")
    print(f"Saved the predictions of {len(data)} sequences to {saved}")
    return 0
