"""Training the article's models on your own sequences, as one trains on real data.

``classify_sequences.py`` brings the model builder and the options; the run is here: the
data read and split (``harness/sequence_csv.py``), mini-batches with ``model.fit``, early
stopping on the validation loss, and an honest report on the test split (accuracy next to
the majority-class baseline, a confusion matrix, learning curves, a CSV of every test
prediction). Bad data raises ``DataError`` before anything is trained or written.
"""

import sys

import keras
import numpy as np
import pandas as pd

from harness import cli, reporting
from harness.progress import Progress
from harness.sequence_csv import DataError, example_frame, feature_statistics, read_sequences, split
from harness.stopping import STOP, guarded_write

# Training ------------------------------------------------------------------------------------

class Watch(keras.callbacks.Callback):
    """Progress as the other scripts show it, and a stop request honoured after the batch."""

    def __init__(self, epochs, verbose, should_stop):
        super().__init__()
        self.epochs, self.verbose, self.should_stop = epochs, verbose, should_stop
        self.progress = Progress(epochs, 1 if verbose == 1 else 0)

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


def train(model, training, validation, *, epochs, batch_size, patience, verbose=0, should_stop=None):
    """Fit ``model`` with early stopping on the validation loss; return the per-epoch history
    (a DataFrame) and whether a stop request ended training. The model keeps the weights of
    its best epoch."""
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                                   restore_best_weights=True)
    watch = Watch(epochs, verbose, should_stop or (lambda: False))
    history = model.fit(training.X, targets(training), validation_data=(validation.X, targets(validation)),
                        epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0,
                        callbacks=[early_stopping, watch])
    frame = pd.DataFrame(history.history)
    # A stop request mid-epoch leaves that epoch without a validation loss: it did not finish.
    frame = frame.dropna(subset=["val_loss"]) if "val_loss" in frame else frame.iloc[:0]
    frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    return frame, bool(should_stop and should_stop())


# Predicting and judging ---------------------------------------------------------------------------

def predict(model, data, batch_size=256):
    """The predicted class index and its probability, per real step (``step`` target) or per
    sequence, as arrays shaped like ``data.y`` would be."""
    probabilities = model.predict(data.X, batch_size=batch_size, verbose=0)
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


def judge(table, training, classes):
    """Accuracy, the majority-class baseline and the confusion matrix of a predictions table."""
    trained = training.y[training.mask] if training.y.ndim == 2 else training.y
    majority = classes[int(np.bincount(trained, minlength=len(classes)).argmax())]
    confusion = pd.crosstab(pd.Categorical(table["label"], classes), pd.Categorical(table["predicted"], classes),
                            rownames=["label"], colnames=["predicted"], dropna=False)
    return {
        "accuracy": float((table["label"] == table["predicted"]).mean()),
        "baseline": float((table["label"] == majority).mean()),
        "majority": majority,
        "confusion": confusion,
    }


def describe(judgement, target, n_rows):
    """The printed report of ``judge``'s numbers."""
    unit = "timesteps" if target == "step" else "sequences"
    lines = [
        f"Test accuracy, {n_rows} {unit}: {judgement['accuracy']:.3f}",
        (f"Majority-class baseline (always {judgement['majority']!r}, the commonest class in "
         f"training): {judgement['baseline']:.3f}"),
        "",
        "Confusion matrix (rows: label, columns: predicted):",
        judgement["confusion"].to_string(),
    ]
    return "\n".join(lines)


# The runs ---------------------------------------------------------------------------------------

def output_files(args, name):
    """Every file the run writes, with the option that places it."""
    if args.write_example is not None:
        return [("--write-example", args.write_example)]
    if args.predict is not None:  # named for the data, so the training run's files stay
        return [("--output-dir", args.output_dir / f"{name}_predictions_{args.data.stem}.csv")]
    return [("--output-dir", args.output_dir / f"{name}{ending}")
            for ending in ("_predictions.csv", ".png", ".keras", "_history.csv")]


def write_example(path, seed):
    """Write the example CSV to start from, drawn under ``seed``; return the exit status."""
    frame = example_frame(seed=seed)
    reporting.save_csv(frame, path)
    print(f"Wrote {frame['id'].nunique()} sequences of 5 to 30 steps ({len(frame)} rows) to {path}")
    print(f"Next: python classify_sequences.py {path}")
    return 0


def read(args, **schema):
    """The sequences of the CSV the command line names, read as its options say."""
    return read_sequences(args.data, id_column=args.id, order_column=args.order,
                          label_column=args.label, **schema)


def run(args, name, build, title):
    """Read, split, train, judge, save, then report; return the exit status.

    ``build(data, mean, variance)`` returns the compiled model for ``data``'s features and
    classes, scaling with the training split's ``mean`` and ``variance``.
    """
    data = read(args, features=args.features, target=args.target)
    training, validation, test = split(data, args.seed)
    cli.seed_everything(args.seed)
    model = build(data, *feature_statistics(training))  # scaled by the training split only
    lengths = data.mask.sum(axis=1)
    print(f"{len(data)} sequences of {lengths.min()} to {lengths.max()} steps, {len(data.features)} "
          f"feature{'s' if len(data.features) > 1 else ''} ({', '.join(data.features)}), classes "
          f"{', '.join(map(repr, data.classes))}; {len(training)} to train on, {len(validation)} to "
          f"validate, {len(test)} to test")

    STOP.enter("training")
    history, interrupted = train(model, training, validation, epochs=args.epochs,
                                 batch_size=args.batch_size, patience=args.patience,
                                 verbose=args.verbose, should_stop=STOP)
    if history.empty:
        STOP.say("Stopped before the first epoch finished; nothing was written.")
        return STOP.status
    table = predictions_table(test, *predict(model, test))
    judgement = judge(table, training, data.classes)

    STOP.enter("saving")
    predictions_csv, plot, model_file, history_csv = (path for _, path in output_files(args, name))
    saved = [reporting.save_csv(table, predictions_csv), reporting.save_csv(history, history_csv),
             reporting.plot_learning(history, judgement["confusion"], plot, title=title,
                                     partial=interrupted),
             reporting.atomic_write(model_file, model.save)]

    STOP.enter("reporting")
    where = ", ".join(map(str, saved))
    if interrupted or STOP():
        STOP.say(f"Stopped after epoch {len(history)}; saved the model of its best epoch and its "
                 f"test predictions to {where}")
        return STOP.status
    best = int(history["val_loss"].idxmin()) + 1
    print(f"\nTrained {len(history)} epochs; the best validation loss came in epoch {best}, "
          "whose weights the model keeps.")
    print(describe(judgement, args.target, len(table)))
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
