"""Training a model on a reader's sequences with Keras' ``fit``, and predicting with it.

``train`` is one model on one training set: mini-batches of similar lengths
(``batches.py``), the recipe of ``recipe.py`` (early stopping on the validation loss, the
learning rate halved on plateaus), progress as the other scripts show it, and a stop request
honoured after the current batch. ``predict`` gives each step's (or sequence's) class.

``kept`` keeps one model per architecture for the process, so that every fold and every
model of that architecture trains through one set of compiled functions: each batch width
compiles once, not once per fold. On TensorFlow's CPU those functions are compiled with XLA
and fed through ``tf.data`` (``backend.fit_with_xla``, ``backend.batch_feed``).
"""

import json
import sys

import keras
import numpy as np
import pandas as pd

from harness import backend, keras_internals, model_config
from harness.cudnn import without_cudnn
from harness.own_data import batches, recipe, widths
from harness.own_data.layers import DataSchema, schema_of
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


# One model per architecture for every fold and model of this process (see ``kept``).
_KEPT = {}


def architecture(model):
    """What makes two compiled models one program: their configuration with every name left
    out (a functional model names its layers inside its links too: they become positions)
    and without the description of the data its ``DataSchema`` keeps (the column and class
    names compute nothing), their loss, and their optimizer's settings but the learning rate."""
    optimizer = {key: value for key, value in model.optimizer.get_config().items()
                 if key not in ("name", "learning_rate")}
    configuration = model_config.configuration(model)
    for layer in configuration.get("layers", ()):
        if layer.get("class_name") == DataSchema.__name__:
            layer["config"] = {key: value for key, value in layer["config"].items()
                               if key not in DataSchema.DESCRIPTION}
    text = json.dumps([configuration, repr(model.loss), optimizer], sort_keys=True, default=repr)
    operations = getattr(model, "operations", model.layers)  # (a functional model's ops too)
    for position, operation in sorted(enumerate(operations), key=lambda item: -len(item[1].name)):
        text = text.replace(f'"{operation.name}"', f'"#{position}"')
    return text


def kept(fresh, xla=None):
    """The model this process keeps for ``fresh``'s architecture, holding ``fresh``'s weights,
    a fresh optimizer state and ``fresh``'s description of its data: the same numbers as
    training ``fresh``, through functions compiled once. The kept model is a copy of the
    first model of its architecture, never a model of the caller's: each estimator keeps
    its own. ``xla``: compile ``fit`` with XLA (default: where ``backend.fit_with_xla`` says
    it is faster), decided when an architecture is first kept."""
    key = architecture(fresh)
    fresh.optimizer.build(fresh.trainable_variables)
    if key not in _KEPT:
        _KEPT[key] = compiled_for_fit(copy_of(fresh), xla)
    model = _KEPT[key]
    restore(model, snapshot(fresh))
    schema_of(model).describe_as(schema_of(fresh))
    model.stop_training = False
    return model


def copy_of(model):
    """A compiled model of ``model``'s architecture, compiled as it is (its weights are set
    by ``kept``). Building draws its initial weights: NumPy's and Keras' global generators
    are left where they were, so a copy changes no later draw."""
    state = np.random.get_state()
    copy = keras.models.clone_model(model)
    np.random.set_state(state)
    copy.compile_from_config(model.get_compile_config())
    return copy


def compiled_for_fit(model, xla=None):
    """``model`` (compiled) with ``fit`` compiled with XLA where that is faster
    (``backend.fit_with_xla``; ``xla`` says so instead), its LSTMs then on Keras' own
    arithmetic: before its first step."""
    if backend.fit_with_xla() if xla is None else xla:
        without_cudnn(model)
        keras_internals.force_xla(model)
    return model


def forget_kept():
    """Drop every kept model (tests that compare ways of compiling)."""
    _KEPT.clear()


def snapshot(model):
    """``model``'s weights and optimizer state, to put back with ``restore``: a kept model
    trains on, and the model of a fold to save is its snapshot."""
    model.optimizer.build(model.trainable_variables)
    return model.get_weights(), [variable.numpy() for variable in model.optimizer.variables]


def restore(model, state):
    """Put a ``snapshot`` back into ``model``."""
    weights, optimizer = state
    model.set_weights(weights)
    model.optimizer.build(model.trainable_variables)
    for variable, value in zip(model.optimizer.variables, optimizer, strict=True):
        variable.assign(value)


def train(model, training, validation, *, epochs, batch_size, patience, verbose=0, should_stop=None,
          seed=None, buckets=True, label="", callbacks=()):
    """Fit ``model`` with early stopping on the validation loss, and the learning rate halved
    on plateaus, as ``recipe.callbacks`` sets them; return the per-epoch history (a DataFrame)
    and whether a stop request ended training. A loss that becomes NaN or infinite raises
    ``recipe.LossNotFinite``. The model keeps the weights of its best epoch.

    With ``buckets`` (the default), batches hold sequences of similar length, each padded
    only as far as it needs (``harness/batches.py``), dealt anew each epoch from ``seed``;
    None draws it from NumPy's global generator, which ``backend.seed_everything`` seeds.
    ``buckets=False`` pads every batch to the longest sequence and lets ``fit`` shuffle,
    as before buckets: for comparisons. ``callbacks``: Keras callbacks of the caller's, after
    the recipe's (a benchmark's clock)."""
    recipe_callbacks = [*recipe.callbacks(patience), *callbacks]
    watch = Watch(epochs, verbose, should_stop or (lambda: False), label)
    if buckets:
        seed = int(np.random.randint(2**31 - 1)) if seed is None else seed
        chosen, first = training_widths(training, validation, batch_size, epochs, patience)
        served = batches.Batches(training, batch_size, targets=recipe.targets(training), seed=seed,
                                 widths=chosen, first_widths=first)
        checked = batches.Batches(validation, batch_size, targets=recipe.targets(validation),
                                  widths=chosen, first_widths=first)
        history = fit_in_batches(model, served, checked, epochs, [*recipe_callbacks, watch])
    else:
        history = model.fit(training.X, recipe.targets(training), validation_data=(validation.X, recipe.targets(validation)),
                            epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0,
                            callbacks=[*recipe_callbacks, watch])
    frame = pd.DataFrame(history.history)
    # A stop request mid-epoch leaves that epoch without a validation loss: it did not finish.
    frame = frame.dropna(subset=["val_loss"]) if "val_loss" in frame else frame.iloc[:0]
    frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    return frame, bool(should_stop and should_stop())


def training_widths(training, validation, batch_size, epochs, patience):
    """The batch widths a training run compiles, and those of its first epoch
    (``widths.for_training``): from the training sequences' lengths, for this backend."""
    longest = max(training.X.shape[1], validation.X.shape[1])
    return widths.for_training(training.mask.sum(axis=1), longest, batch_size, epochs, patience,
                               backend.name())


def fit_in_batches(model, served, checked, epochs, callbacks):
    """``model.fit`` on the batches ``served`` (dealt anew each epoch), validated on ``checked``:
    through the backend's own feed where it has one (``backend.batch_feed``), else as a
    ``keras.utils.PyDataset`` told each epoch's number. The batches come in their seed's order:
    ``fit`` must not shuffle them again."""
    feed = backend.batch_feed()
    if feed is None:
        return model.fit(served, validation_data=checked, epochs=epochs, shuffle=False, verbose=0,
                         callbacks=[batches.DealEachEpoch(served, checked), *callbacks])
    return model.fit(feed.epochs_dataset(served, epochs), validation_data=feed.epochs_dataset(checked, epochs),
                     steps_per_epoch=len(served), validation_steps=len(checked), epochs=epochs, shuffle=False,
                     verbose=0, callbacks=callbacks)


def predict_in_batches(model, data, batch_size=256, placement=None):
    """``batches.predict_outputs`` in the widths worth compiling for one pass
    (``widths.for_prediction``); on the devices of ``placement`` (``devices.Placement``),
    each batch shared out among them."""
    chosen = widths.for_prediction(data.mask.sum(axis=1), data.X.shape[1], batch_size, backend.name())
    predictor = None if placement is None else placement.predictor(model)
    return batches.predict_outputs(model, data, batch_size, widths=chosen, predictor=predictor)


def predict(model, data, batch_size=256, *, buckets=True, placement=None):
    """The predicted class index and its probability, per real step (``step`` target) or per
    sequence, as arrays shaped like ``data.y`` would be. ``buckets``: batches of similar
    lengths, as in ``train`` (the same predictions, sooner); False: every batch padded to
    the longest sequence. ``placement``: on several devices (``devices.Placement``)."""
    probabilities = (predict_in_batches(model, data, batch_size, placement) if buckets
                     else model.predict(data.X, batch_size=batch_size, verbose=0))
    if probabilities.shape[-1] == 1:  # one sigmoid unit: the probability of the second class
        positive = probabilities[..., 0]
        predicted = (positive > 0.5).astype(np.int64)
        return predicted, np.where(predicted == 1, positive, 1 - positive)
    return probabilities.argmax(axis=-1), probabilities.max(axis=-1)
