"""The layers of ``classify_sequences.py``'s models that Keras does not have, and loading a
model the script saved.

- ``DataSchema`` keeps, in the saved model, what its data was (features, target, classes).
- ``Standardize`` scales the features by statistics the saved model keeps as weights.
- ``MaxOverSteps`` pools each LSTM output over the real steps of a sequence.

Importing this module registers them with Keras (and ``recipe``'s loss of two classes on
PyTorch), so that ``keras.saving.load_model`` can read a model the script saved; ``load``
does it for you.
"""

import zipfile
from pathlib import Path

import keras
import numpy as np
from keras import layers

from harness.own_data import recipe  # noqa: F401  (registers the loss a model trained on PyTorch names)
from harness.own_data.sequence_csv import DataError


@keras.saving.register_keras_serializable(package="bilstm_companion")
class DataSchema(layers.Layer):
    """Passes its input on unchanged, and keeps, in the saved model, what the data was: the
    feature columns in order, one label per ``step`` or per ``sequence``, the class names,
    and the length longer sequences were shortened to (``max_steps``; None: none were)."""

    DESCRIPTION = ("features", "classes", "target", "max_steps")  # what it keeps; it computes nothing

    def __init__(self, features, classes, target, max_steps=None, **kwargs):
        super().__init__(**kwargs)
        self.features, self.classes, self.target = list(features), list(classes), target
        self.max_steps = max_steps
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


def schema_of(model):
    """What the saved ``model`` knows of its data: its ``DataSchema`` layer."""
    return next(layer for layer in model.layers if isinstance(layer, DataSchema))


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
    schemas = [layer for layer in model.layers if isinstance(layer, DataSchema)]
    if not schemas:
        raise refuse("is a Keras model, but not one classify_sequences.py saved (it keeps no description "
                     "of its data: no DataSchema layer)")
    return model, schemas[0]
