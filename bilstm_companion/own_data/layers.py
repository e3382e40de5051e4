"""The layers of ``classify_sequences.py``'s models that Keras lacks, and ``load`` for a saved model;
importing this module registers them (and ``recipe``'s loss on PyTorch) with Keras."""

import dataclasses
import zipfile
from pathlib import Path

import keras
import numpy as np
from keras import layers

from bilstm_companion.own_data import recipe  # noqa: F401  (registers the loss a model trained on PyTorch names)
from bilstm_companion.own_data.sequences import DataError, feature_statistics


@keras.saving.register_keras_serializable(package="bilstm_companion")
class DataSchema(layers.Layer):
    """Passes its input on unchanged, and keeps in the saved model what the data was: features, classes,
    ``target``, ``max_steps`` (None: none shortened) and, once fitted, ``SequenceClassifier.save``'s ``fitted``."""

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
    """Each feature's largest value over a sequence's real steps (``GlobalMaxPooling1D`` takes no mask)."""

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
    """``(x - mean) / sqrt(variance)`` as ``keras.layers.Normalization`` computes it, the statistics kept
    as weights, not constants: saved with the model, and each fold's own when folds train together."""

    def __init__(self, n_features, **kwargs):
        super().__init__(**kwargs)
        self.n_features = n_features
        self.supports_masking = True
        self.mean = self.add_weight(shape=(n_features,), initializer="zeros", trainable=False, name="mean")
        self.variance = self.add_weight(shape=(n_features,), initializer="ones", trainable=False, name="variance")

    def call(self, inputs):
        return (inputs - self.mean) / keras.ops.maximum(keras.ops.sqrt(self.variance), keras.backend.epsilon())

    def get_config(self):
        return {**super().get_config(), "n_features": self.n_features}


SMALLEST_SIZE = 1e-30  # the size of a sequence that is 0 on every step
# Below this share of its mean's size, a feature's spread in a sequence is float32's rounding of
# a constant (0.1 on 7 steps: 4e-9): it does not vary there.
CONSTANT = 1e-5


@keras.saving.register_keras_serializable(package="bilstm_companion")
class EachSequenceScaled(layers.Layer):
    """Each sequence z-normalised on its own (0 where constant), as the time-series archives do, with its
    level ``mean / (|mean| + deviation)`` and size ``log(|mean| + deviation)`` beside each feature: on
    PLAID's currents, the training set's scaling alone squeezes small sequences flat (docs/real-data.md)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        ops = keras.ops
        values, real = inputs[..., :-1], inputs[..., -1:]
        steps = ops.maximum(ops.sum(real, axis=1, keepdims=True), 1.0)
        mean = ops.sum(values * real, axis=1, keepdims=True) / steps
        spread = ops.sqrt(ops.sum(ops.square((values - mean) * real), axis=1, keepdims=True) / steps)
        scaled = ops.where(spread > CONSTANT * ops.abs(mean), (values - mean) / ops.maximum(spread, SMALLEST_SIZE), 0.0)
        magnitude = ops.maximum(ops.abs(mean) + spread, SMALLEST_SIZE)
        level = ops.broadcast_to(mean / magnitude, ops.shape(values))
        size = ops.broadcast_to(ops.log(magnitude), ops.shape(values))
        return ops.concatenate([ops.concatenate([scaled, level, size], axis=-1) * real, real], axis=-1)


# Below this variance, a feature EachSequenceScaled gives does not vary: on sets z-normalised before
# (the archives'), level and size move only by resampling (about 0.001), which scaling would blow up.
SMALLEST_VARIANCE = 1e-4


def statistics_by_sequence(data):
    """``feature_statistics`` of training ``data`` scaled by ``EachSequenceScaled``, for ``Standardize``."""
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
    """What the saved ``model`` knows of its data: its (first member's) ``DataSchema`` layer, or None."""
    return next((layer for layer in every_layer(model) if isinstance(layer, DataSchema)), None)


def load(path):
    """A model the script saved, and its ``DataSchema``; else ``DataError`` saying why ``path`` is not one."""
    path = Path(path)
    refuse = lambda why: DataError(f"'{path}' {why}", "--predict")
    if not path.exists():
        raise refuse("does not exist")
    if path.is_dir():
        raise refuse("is a folder, not a model file")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as file:
            if file.read(4) == b"PK\x03\x04":
                raise refuse("is cut short or damaged: it begins as the zip archive a .keras file is, but "
                             "does not end as one")
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
    schema = schema_of(model)
    if schema is None:
        raise refuse("is a Keras model, but not one classify_sequences.py saved (it keeps no description "
                     "of its data: no DataSchema layer)")
    return model, schema
