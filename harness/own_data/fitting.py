"""Training a model on a reader's sequences with Keras' ``fit``, and predicting with it.

``train`` is one model on one training set: mini-batches of similar lengths
(``batches.py``), the recipe of ``recipe.py`` (early stopping on the validation loss, the
learning rate halved on plateaus), progress as the other scripts show it, and a stop request
honoured after the current batch. ``predict`` gives each step's (or sequence's) class.
"""

import sys

import keras
import numpy as np
import pandas as pd

from harness.own_data import batches, recipe
from harness.progress import Progress
from harness.stopping import guarded_write


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


def train(model, training, validation, *, epochs, batch_size, patience, verbose=0, should_stop=None,
          seed=None, buckets=True, label=""):
    """Fit ``model`` with early stopping on the validation loss, and the learning rate halved
    on plateaus, as ``recipe.callbacks`` sets them; return the per-epoch history (a DataFrame)
    and whether a stop request ended training. A loss that becomes NaN or infinite raises
    ``recipe.LossNotFinite``. The model keeps the weights of its best epoch.

    With ``buckets`` (the default), batches hold sequences of similar length, each padded
    only as far as it needs (``harness/batches.py``), dealt anew each epoch from ``seed``;
    None draws it from NumPy's global generator, which ``backend.seed_everything`` seeds.
    ``buckets=False`` pads every batch to the longest sequence and lets ``fit`` shuffle,
    as before buckets: for comparisons."""
    recipe_callbacks = list(recipe.callbacks(patience))
    watch = Watch(epochs, verbose, should_stop or (lambda: False), label)
    if buckets:
        seed = int(np.random.randint(2**31 - 1)) if seed is None else seed
        served = batches.Batches(training, batch_size, targets=recipe.targets(training), seed=seed)
        history = model.fit(served,
                            validation_data=batches.Batches(validation, batch_size, targets=recipe.targets(validation)),
                            # The batches come in their seed's order: fit would shuffle them again.
                            epochs=epochs, shuffle=False, verbose=0,
                            callbacks=[batches.DealEachEpoch(served), *recipe_callbacks, watch])
    else:
        history = model.fit(training.X, recipe.targets(training), validation_data=(validation.X, recipe.targets(validation)),
                            epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0,
                            callbacks=[*recipe_callbacks, watch])
    frame = pd.DataFrame(history.history)
    # A stop request mid-epoch leaves that epoch without a validation loss: it did not finish.
    frame = frame.dropna(subset=["val_loss"]) if "val_loss" in frame else frame.iloc[:0]
    frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    return frame, bool(should_stop and should_stop())


def predict(model, data, batch_size=256, *, buckets=True):
    """The predicted class index and its probability, per real step (``step`` target) or per
    sequence, as arrays shaped like ``data.y`` would be. ``buckets``: batches of similar
    lengths, as in ``train`` (the same predictions, sooner); False: every batch padded to
    the longest sequence."""
    probabilities = (batches.predict_outputs(model, data, batch_size) if buckets
                     else model.predict(data.X, batch_size=batch_size, verbose=0))
    if probabilities.shape[-1] == 1:  # one sigmoid unit: the probability of the second class
        positive = probabilities[..., 0]
        predicted = (positive > 0.5).astype(np.int64)
        return predicted, np.where(predicted == 1, positive, 1 - positive)
    return probabilities.argmax(axis=-1), probabilities.max(axis=-1)
