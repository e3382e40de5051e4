"""The one layer of the article's models that Keras does not have."""

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="bilstm_companion")
class ReverseTime(layers.Layer):
    """Reverse a batch of sequences along the time axis (``compare_directions.py`` uses it to
    put a backward LSTM's outputs back in input order)."""

    def call(self, inputs):
        return ops.flip(inputs, axis=1)
