"""The layers of ``classify_sequences.py``'s models that Keras does not have, and loading a
model the script saved.

- ``DataSchema`` keeps, in the saved model, what its data was (features, target, classes).
- ``Standardize`` scales the features by statistics the saved model keeps as weights.
- ``MaxOverSteps`` pools each LSTM output over the real steps of a sequence.
- ``EachSequenceScaled`` scales each sequence by its own level and size, and keeps them beside it.

Importing this module registers them with Keras (and ``recipe``'s loss of two classes on
PyTorch), so that ``keras.saving.load_model`` can read a model the script saved; ``load``
does it for you.
"""

import dataclasses
import zipfile
from pathlib import Path

import keras
import numpy as np
from keras import layers

from harness.own_data import recipe  # noqa: F401  (registers the loss a model trained on PyTorch names)
from harness.own_data.sequences import DataError, feature_statistics


@keras.saving.register_keras_serializable(package="bilstm_companion")
class DataSchema(layers.Layer):
    """Passes its input on unchanged, and keeps, in the saved model, what the data was: the
    feature columns in order, one label per ``step`` or per ``sequence``, the class names,
    and the length longer sequences were shortened to (``max_steps``; None: none were); and
    once fitted, what ``SequenceClassifier.save`` keeps of the fit (``fitted``)."""

    DESCRIPTION = ("features", "classes", "target", "max_steps", "fitted")  # what it keeps; it computes nothing

    def __init__(self, features, classes, target, max_steps=None, fitted=None, **kwargs):
        super().__init__(**kwargs)
        self.features, self.classes, self.target = list(features), list(classes), target
        self.max_steps, self.fitted = max_steps, fitted
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def describe_as(self, other):
        """Keep ``other``'s description of the data instead of this one's."""
        for name in self.DESCRIPTION:
            setattr(self, name, getattr(other, name))

    def get_config(self):
        return {**super().get_config(), **{name: getattr(self, name) for name in self.DESCRIPTION}}


@keras.saving.register_keras_serializable(package="bilstm_companion")
class MaxOverSteps(layers.Layer):
    """Each feature's largest value over the real steps of a sequence; padding never counts.
    (``keras.layers.GlobalMaxPooling1D`` takes no mask.)"""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            lowest = keras.ops.full_like(inputs, float(np.finfo(np.float32).min))
            inputs = keras.ops.where(keras.ops.expand_dims(mask, -1), inputs, lowest)
        return keras.ops.max(inputs, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None


@keras.saving.register_keras_serializable(package="bilstm_companion")
class Standardize(layers.Layer):
    """``(x - mean) / sqrt(variance)``, feature by feature, as ``keras.layers.Normalization``
    computes it, with the mean and variance kept as (non-trainable) weights rather than
    constants: the saved model keeps them, and folds trained together on JAX can each have
    their own training set's statistics in one compiled program."""

    def __init__(self, n_features, **kwargs):
        super().__init__(**kwargs)
        self.n_features = n_features
        self.supports_masking = True
        self.mean = self.add_weight(shape=(n_features,), initializer="zeros", trainable=False, name="mean")
        self.variance = self.add_weight(shape=(n_features,), initializer="ones", trainable=False,
                                        name="variance")

    def call(self, inputs):
        return (inputs - self.mean) / keras.ops.maximum(keras.ops.sqrt(self.variance), keras.backend.epsilon())

    def get_config(self):
        return {**super().get_config(), "n_features": self.n_features}


# A sequence that is 0 on every step has no size; its logarithm is taken of this instead.
SMALLEST_SIZE = 1e-30
# A feature whose spread in a sequence is below this share of its mean's size does not vary
# there: float32's rounding of the mean leaves a constant such a spread (0.1 on 7 steps: 4e-9).
CONSTANT = 1e-5


def each_sequence_scaled(inputs):
    """``inputs`` (``(sequences, steps, features + 1)``, the last feature 1 on real steps and 0
    on padding) with each feature of each sequence scaled by its own mean and standard
    deviation over its real steps (0 where it does not vary, ``CONSTANT``), followed by two more features
    per feature, the same on every step: its level, the mean over the sum of the mean's size
    and the deviation (between -1 and 1), and its size, the logarithm of that sum. Neither
    depends on the unit of the feature but by a constant that the training set's scaling
    then removes. Padding stays 0."""
    ops = keras.ops
    values, real = inputs[..., :-1], inputs[..., -1:]
    steps = ops.maximum(ops.sum(real, axis=1, keepdims=True), 1.0)
    mean = ops.sum(values * real, axis=1, keepdims=True) / steps
    spread = ops.sqrt(ops.sum(ops.square((values - mean) * real), axis=1, keepdims=True) / steps)
    varies = spread > CONSTANT * ops.abs(mean)
    scaled = ops.where(varies, (values - mean) / ops.maximum(spread, SMALLEST_SIZE), 0.0)
    magnitude = ops.maximum(ops.abs(mean) + spread, SMALLEST_SIZE)
    level = ops.broadcast_to(mean / magnitude, ops.shape(values))
    size = ops.broadcast_to(ops.log(magnitude), ops.shape(values))
    return ops.concatenate([scaled, level, size], axis=-1) * real


@keras.saving.register_keras_serializable(package="bilstm_companion")
class EachSequenceScaled(layers.Layer):
    """Each sequence scaled by its own mean and spread (``each_sequence_scaled``): its shape on a
    scale of its own, as the time-series archives z-normalise their sequences, and its level
    and size beside it as features, so that how large a sequence is still tells. On data whose
    sequences differ in size by orders of magnitude (PLAID's currents), scaling by the
    training set's statistics alone squeezes the small ones flat (see docs/real-data.md)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return keras.ops.concatenate([each_sequence_scaled(inputs), inputs[..., -1:]], axis=-1)


# Below this variance (a standard deviation of 0.01), a feature EachSequenceScaled gives is taken
# as one that does not vary: they have no unit, and on sets z-normalised before (the archive's),
# the level and size vary only by what resampling to --max-steps moves them (about 0.001), which
# scaling to a variance of 1 would blow up into noise the size of the signal.
SMALLEST_VARIANCE = 1e-4


def statistics_by_sequence(data):
    """Mean and variance, over the real steps of ``data`` (the training set), of each feature
    ``EachSequenceScaled`` gives: what ``Standardize`` then scales them by
    (``sequences.feature_statistics`` of the scaled sequences; a feature whose variance is
    below ``SMALLEST_VARIANCE``, such as the size of sequences z-normalised before, gets
    variance 1, so that scaling only centres it)."""
    scaled = keras.ops.convert_to_numpy(EachSequenceScaled()(keras.ops.convert_to_tensor(data.X)))
    mean, variance = feature_statistics(dataclasses.replace(data, X=scaled))
    return mean, np.where(variance >= SMALLEST_VARIANCE, variance, 1.0)


def every_layer(model):
    """``model``'s layers, and those of the models among them (an ensemble's members), in order."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from every_layer(layer)


def schema_of(model):
    """What the saved ``model`` knows of its data: its (first member's) ``DataSchema`` layer."""
    return next(layer for layer in every_layer(model) if isinstance(layer, DataSchema))


def load(path):
    """A model this script saved, and its ``DataSchema``; ``DataError`` saying why ``path`` is
    not such a model: not there, a folder, not a Keras file, a Keras file cut short, or a
    Keras model that another program saved."""
    path = Path(path)
    refuse = lambda why: DataError(f"argument --predict: '{path}' {why}")
    if not path.exists():
        raise refuse("does not exist")
    if path.is_dir():
        raise refuse("is a folder, not a model file")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as file:
            starts_as_zip = file.read(4) == b"PK\x03\x04"
        if starts_as_zip:
            raise refuse("is cut short or damaged: it begins as the zip archive a .keras file is, but does "
                         "not end as one")
        raise refuse("is not a Keras model file (a .keras file is a zip archive, and this is not one)")
    try:
        with zipfile.ZipFile(path) as archive:
            inside = set(archive.namelist())
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError) as error:
        raise refuse(f"is a damaged zip archive ({error}), not a model file") from None
    if broken is not None or not {"config.json", "model.weights.h5"} <= inside:
        raise refuse("is not a whole Keras model file (cut short, or not written by Keras)")
    try:
        model = keras.saving.load_model(path)
    except Exception as error:  # noqa: BLE001  (any file at all gets one line; Ctrl-C passes)
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise refuse(f"cannot be loaded as a Keras model ({reason})") from None
    schemas = [layer for layer in every_layer(model) if isinstance(layer, DataSchema)]
    if not schemas:
        raise refuse("is a Keras model, but not one classify_sequences.py saved (it keeps no description "
                     "of its data: no DataSchema layer)")
    return model, schemas[0]
