"""Training the article's models on your own sequences, as one trains on real data.

``classify_sequences.py`` brings the model builder and the options; the run is here: the
data read (``harness/sequence_csv.py``) and split into folds (``harness/folds.py``),
mini-batches with ``model.fit``, early stopping on the validation loss, every model and
baseline scored on the same folds (``harness/cross_validation.py``), then the files and
the printed report. Bad data raises ``DataError`` before anything is trained or written.
"""

import sys

import keras
import numpy as np
import pandas as pd

from harness import cli, cross_validation, reporting
from harness.folds import plan
from harness.progress import Progress
from harness.sequence_csv import DataError, example_frame, read_sequences, shorten
from harness.stopping import STOP, guarded_write

# Training ------------------------------------------------------------------------------------

class Watch(keras.callbacks.Callback):
    """Progress as the other scripts show it, and a stop request honoured after the batch."""

    def __init__(self, epochs, verbose, should_stop, label=""):
        super().__init__()
        self.epochs, self.verbose, self.should_stop = epochs, verbose, should_stop
        self.progress = Progress(epochs, 1 if verbose == 1 else 0, label=label)

    def on_train_batch_end(self, batch, logs=None):
        if self.should_stop():
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.progress(epoch + 1, np.array([logs.get("loss", np.nan)]),
                      np.array([logs.get("accuracy", np.nan)]))
        if self.verbose == 2:
            values = " - ".join(f"{name}: {value:.4f}" for name, value in logs.items())
            guarded_write(sys.stdout, f"Epoch {epoch + 1}/{self.epochs} - {values}\n")

    def on_train_end(self, logs=None):
        self.progress.close()


def targets(data):
    """``data.y`` shaped as the model's output: a trailing axis of 1 per step."""
    return data.y[..., None] if data.y.ndim == 2 else data.y


# When the validation loss has not improved for a while, the learning rate halves (down to a
# floor): a large rate finds the way fast on small real data sets, a small one settles.
PLATEAU = {"factor": 0.5, "min_lr": 1e-5}


def plateau_patience(patience):
    """Epochs without a better validation loss before the learning rate halves: a third of
    the early-stopping patience, so that it halves about twice before training stops."""
    return max(3, patience // 3)


def train(model, training, validation, *, epochs, batch_size, patience, verbose=0, should_stop=None,
          seed=None, buckets=True, label=""):
    """Fit ``model`` with early stopping on the validation loss, and the learning rate halved
    on plateaus (``PLATEAU``); return the per-epoch history (a DataFrame) and whether a stop
    request ended training. The model keeps the weights of its best epoch.

    With ``buckets`` (the default), batches hold sequences of similar length, each padded
    only as far as it needs (``harness/batches.py``), dealt anew each epoch from ``seed``;
    None draws it from NumPy's global generator, which ``cli.seed_everything`` seeds.
    ``buckets=False`` pads every batch to the longest sequence and lets ``fit`` shuffle,
    as before buckets: for comparisons."""
    from harness import batches

    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                                   restore_best_weights=True)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=plateau_patience(patience),
                                                **PLATEAU)
    watch = Watch(epochs, verbose, should_stop or (lambda: False), label)
    if buckets:
        seed = int(np.random.randint(2**31 - 1)) if seed is None else seed
        served = batches.Batches(training, batch_size, targets=targets(training), seed=seed)
        history = model.fit(served,
                            validation_data=batches.Batches(validation, batch_size, targets=targets(validation)),
                            # The batches come in their seed's order: fit would shuffle them again.
                            epochs=epochs, shuffle=False, verbose=0,
                            callbacks=[batches.DealEachEpoch(served), early_stopping, plateau, watch])
    else:
        history = model.fit(training.X, targets(training), validation_data=(validation.X, targets(validation)),
                            epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0,
                            callbacks=[early_stopping, plateau, watch])
    frame = pd.DataFrame(history.history)
    # A stop request mid-epoch leaves that epoch without a validation loss: it did not finish.
    frame = frame.dropna(subset=["val_loss"]) if "val_loss" in frame else frame.iloc[:0]
    frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    return frame, bool(should_stop and should_stop())


# Predicting and judging ---------------------------------------------------------------------------

def predict(model, data, batch_size=256, *, buckets=True):
    """The predicted class index and its probability, per real step (``step`` target) or per
    sequence, as arrays shaped like ``data.y`` would be. ``buckets``: batches of similar
    lengths, as in ``train`` (the same predictions, sooner); False: every batch padded to
    the longest sequence."""
    from harness import batches

    probabilities = (batches.predict(model, data, batch_size) if buckets
                     else model.predict(data.X, batch_size=batch_size, verbose=0))
    if probabilities.shape[-1] == 1:  # one sigmoid unit: the probability of the second class
        positive = probabilities[..., 0]
        predicted = (positive > 0.5).astype(np.int64)
        return predicted, np.where(predicted == 1, positive, 1 - positive)
    return probabilities.argmax(axis=-1), probabilities.max(axis=-1)


def predictions_table(data, predicted, probability):
    """One row per real step (or per sequence): ``id, step, label, predicted, probability``."""
    classes = np.asarray(data.classes, dtype=object)
    if predicted.ndim == 2:  # per step
        mask = data.mask
        sequence = np.nonzero(mask)[0]
        ids, steps = data.ids[sequence], data.steps[mask]
        steps = pd.array(steps, dtype="Int64") if np.all(steps == np.round(steps)) else steps
        labels = classes[data.y[mask]] if data.y is not None else None
        predicted, probability = predicted[mask], probability[mask]
    else:
        ids, steps = data.ids, pd.array([None] * len(data), dtype="Int64")
        labels = classes[data.y] if data.y is not None else None
    return pd.DataFrame({"id": ids, "step": steps, "label": labels, "predicted": classes[predicted],
                         "probability": np.round(probability.astype(np.float64), 6)})


def confusion_matrix(table, classes):
    """Counts of each label (rows) against each predicted class (columns) in a predictions table."""
    return pd.crosstab(pd.Categorical(table["label"], classes), pd.Categorical(table["predicted"], classes),
                       rownames=["label"], colnames=["predicted"], dropna=False)


# The runs ---------------------------------------------------------------------------------------

OUTPUTS = ("_predictions.csv", ".png", ".keras", "_history.csv", "_folds.csv", "_folds.png")


def output_files(args, name):
    """Every file the run writes, with the option that places it."""
    if args.write_example is not None:
        return [("--write-example", args.write_example)]
    if args.predict is not None:  # named for the data, so the training run's files stay
        return [("--output-dir", args.output_dir / f"{name}_predictions_{args.data.stem}.csv")]
    return [("--output-dir", args.output_dir / f"{name}{ending}") for ending in OUTPUTS]


def write_example(path, seed):
    """Write the example CSV to start from, drawn under ``seed``; return the exit status."""
    frame = example_frame(seed=seed)
    reporting.save_csv(frame, path)
    print(f"Wrote {frame['id'].nunique()} sequences of 5 to 30 steps ({len(frame)} rows) to {path}")
    print(f"Next: python classify_sequences.py {path}")
    return 0


def read(args, path=None, **schema):
    """The sequences of the CSV the command line names (or ``path``), read as its options say."""
    return read_sequences(path or args.data, id_column=args.id, order_column=args.order,
                          label_column=args.label, **schema)


def read_test(args, data):
    """The ``--test`` file, read with DATA's features and classes; ``DataError`` if it cannot
    be scored as DATA's sequences are."""
    try:
        test = read(args, args.test, features=data.features, target=args.target, classes=data.classes,
                    classes_known_to=f"the classes of {args.data.name}, so training never saw it;")
    except DataError as error:
        raise DataError(f"argument --test: {error}") from None
    if test.y is None:
        raise DataError(f"argument --test: '{args.test}' has no label column '{args.label}'; scoring "
                        "needs the labels")
    return test


def describe_data(data, folds, test_file):
    """What the run trains on and how it is split, in a sentence."""
    lengths = data.mask.sum(axis=1)
    n_features = len(data.features)
    text = (f"{len(data)} sequences of {lengths.min()} to {lengths.max()} steps, {n_features} "
            f"feature{'s' if n_features > 1 else ''} ({', '.join(data.features)}), classes "
            f"{', '.join(map(repr, data.classes))}; ")
    first = folds[0]
    if len(folds) == 1:
        text += f"{len(first.training)} to train on, {len(first.validation)} to validate"
        tested = len(first.test) if test_file is None else f"the {len(test_file)} of the test file"
        return text + f", {tested} to test"
    sizes = sorted({len(fold.validation if test_file is not None else fold.test) for fold in folds})
    text += f"{len(folds)} folds of {' or '.join(map(str, sizes))} sequences"
    if data.y.ndim == 1:
        text += ", stratified by class"
    if test_file is None:
        return text + "; each fold is the test part once, and a share of the rest validates"
    return text + f"; each fold validates once, and every fold's model is scored on the {len(test_file)} " \
                  "sequences of the test file"


def run(args, name, build, title):
    """Read, split into folds, train and score every model on each, save, then report;
    return the exit status.

    ``build(model_name, training)`` returns the compiled model ``model_name`` for
    ``training``'s features and classes, scaling with its statistics.
    """
    data = read(args, features=args.features, target=args.target)
    test_file = read_test(args, data) if args.test is not None else None
    if args.target == "sequence" and args.max_steps:
        longest = data.mask.sum(axis=1).max()
        data = shorten(data, args.max_steps)
        test_file = test_file and shorten(test_file, args.max_steps)
        if longest > args.max_steps:
            print(f"Sequences longer than {args.max_steps} steps (the longest has {longest}) are "
                  f"resampled to {args.max_steps} (--max-steps).")
    folds = plan(data, args.folds, args.seed, scored_on_file=test_file is not None)
    networks = list(args.model)
    models = networks + cross_validation.baseline_names(data)
    print(describe_data(data, folds, test_file))

    def fit_folds(model_name, parts):
        """Train ``model_name`` on each fold: together on JAX, else one after another. Every
        model of a fold starts from the fold's seed, and its batches come in the seed's order."""
        if args.batch_folds and len(parts) > 1:
            return fit_together(model_name, parts)
        trained = []
        for fold, training, validation in parts:
            if STOP():
                break
            cli.seed_everything(fold.seed)
            model = build(model_name, training)
            history, interrupted = train(model, training, validation, epochs=args.epochs,
                                         batch_size=args.batch_size, patience=args.patience,
                                         verbose=args.verbose, should_stop=STOP, seed=fold.seed,
                                         label=f"{model_name}, fold {fold.number}/{len(parts)}" if len(parts) > 1
                                         else model_name)
            trained.append(cross_validation.Trained(model, history, interrupted))
            if interrupted:
                break
        return trained

    def fit_together(model_name, parts):
        from harness.folds_jax import FoldsTogether

        models = []
        for fold, training, _ in parts:
            cli.seed_everything(fold.seed)
            models.append(build(model_name, training))
        progress = Progress(args.epochs, args.verbose, label=f"{model_name}, folds 1-{len(parts)}/{len(parts)}")
        fitted = FoldsTogether(models).fit(
            [training for _, training, _ in parts], [validation for _, _, validation in parts],
            epochs=args.epochs, batch_size=args.batch_size, patience=args.patience,
            seeds=[fold.seed for fold, _, _ in parts], progress=progress, should_stop=STOP)
        progress.close()
        return [cross_validation.Trained(model, history, interrupted)
                for model, (history, interrupted) in zip(models, fitted)]

    def model_done(model_name, results):
        if len(folds) > 1 and args.verbose and results:
            scores = ", ".join(f"{result.accuracy:.3f}" for result in results)
            guarded_write(sys.stdout, f"{model_name}: accuracy by fold {scores}\n")

    STOP.enter("training")
    evaluation = cross_validation.evaluate(data, folds, networks, fit_folds, predict, test_file,
                                           should_stop=STOP, model_done=model_done)
    if evaluation.kept is None:
        STOP.say("Stopped before the first epoch finished; nothing was written.")
        return STOP.status
    table = pd.concat([predictions_table(scored, predicted, probability).assign(fold=number)
                       for number, scored, predicted, probability in evaluation.predictions])
    if len(folds) == 1:
        table = table.drop(columns="fold")
    confusion = confusion_matrix(table, data.classes)
    compared = cross_validation.compared_models(evaluation.results, models)
    finished = cross_validation.complete_folds(evaluation.results, compared)
    summary = None
    if finished and compared[0] in networks:  # after a stop, at least one network's folds
        summary = cross_validation.summarise(evaluation.results, compared, seed=args.seed)
    histories = pd.concat(evaluation.histories, ignore_index=True)
    histories = histories[["model", "fold", *histories.columns[:-2]]]

    STOP.enter("saving")
    paths = dict(zip(OUTPUTS, (path for _, path in output_files(args, name))))
    scored_on = "test file" if test_file is not None else "test split" if len(folds) == 1 else "held-out folds"
    saved = [reporting.save_csv(table, paths["_predictions.csv"]),
             reporting.save_csv(histories, paths["_history.csv"]),
             reporting.plot_learning(evaluation.kept.history, confusion, paths[".png"], title=title,
                                     partial=evaluation.stopped, tested=scored_on),
             reporting.atomic_write(paths[".keras"], evaluation.kept.model.save),
             reporting.save_csv(cross_validation.folds_table(evaluation.results, models), paths["_folds.csv"])]
    if summary is not None:
        saved.append(reporting.plot_folds(cross_validation.folds_table(evaluation.results, models), summary,
                                          paths["_folds.png"],
                                          title=f"{args.data.name}: accuracy "
                                                f"{'by fold' if len(folds) > 1 else f'on the {scored_on}'}",
                                          partial=evaluation.stopped))
    else:  # nothing to plot: no earlier run's plot may stand beside this run's files
        paths["_folds.png"].unlink(missing_ok=True)

    STOP.enter("reporting")
    where = ", ".join(map(str, saved))
    if evaluation.stopped:
        if summary is not None:
            print(cross_validation.report(summary, [name for name in networks if name in compared],
                                          data.y.ndim == 2, scored_on, partial=True))
            compares = (f"the summary compares {', '.join(compared)} on the {len(finished)} of "
                        f"{len(folds)} folds they all finished")
        else:
            compares = "no network finished a fold, so there is nothing to compare"
        STOP.say(f"Stopped early: {compares}. Saved every finished training's scores, and the model "
                 f"of {networks[0]}'s best epoch so far, to {where}")
        return STOP.status
    kept = evaluation.kept.history
    best = int(kept["val_loss"].idxmin()) + 1
    print(f"\n{networks[0]}{' in fold 1' if len(folds) > 1 else ''} trained {len(kept)} epochs; the best "
          f"validation loss came in epoch {best}, whose weights the saved model keeps.")
    print(cross_validation.report(summary, networks, data.y.ndim == 2, scored_on))
    print(f"\nConfusion matrix of {networks[0]} on the {scored_on} (rows: label, columns: predicted):")
    print(confusion.to_string())
    print(f"\nSaved {where}")
    return 0


def predict_file(args, name, model, schema):
    """Predict the command line's CSV with a saved model, write the predictions; return the
    exit status. ``schema`` is the model's ``DataSchema``: its features, target and classes."""
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
    table = predictions_table(data, *predict(model, data))
    STOP.enter("saving")
    path = reporting.save_csv(table, output_files(args, name)[0][1])
    STOP.enter("reporting")
    if data.y is not None:
        unit = "timesteps" if schema.target == "step" else "sequences"
        accuracy = (table["label"] == table["predicted"]).mean()
        print(f"Accuracy on {args.data}, {len(table)} {unit}: {accuracy:.3f}")
    print(f"Saved the predictions of {len(data)} sequences to {path}")
    return 0
