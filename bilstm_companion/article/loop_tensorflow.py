"""The compiled loop on TensorFlow: a block of epochs inside one XLA-compiled function.

Each epoch of the block is one update on one sequence, in order, exactly as ``model.fit``
would make it. The block is a ``tf.function(jit_compile=True)`` that closes over the
model's variables and optimizer, so a new run only resets those, and the function is
traced and compiled once per architecture.
"""

import functools

import keras
import numpy as np
import tensorflow as tf

from bilstm_companion.article.loop_common import accuracy_of, optimizer_state, predict_probabilities, restart
from bilstm_companion.cudnn import without_cudnn


class CompiledLoop:
    """Trains ``model`` one block of sequences at a time; one run at once (``max_runs = 1``)."""

    max_runs = 1

    def __init__(self, model, block_size, jit_compile=True):
        self.model = model
        self.block_size = block_size
        # On a GPU, Keras hands LSTMs to cuDNN, which XLA cannot compile ("No registered
        # 'CudnnRNNV3' OpKernel for XLA"). The loop uses Keras' own LSTM arithmetic instead,
        # the same as on a CPU.
        without_cudnn(model)
        self._optimizer_start = optimizer_state(model)
        self.traced = self._trace(jit_compile)

    def _trace(self, jit_compile):
        model, block_size = self.model, self.block_size
        optimizer = model.optimizer
        variables = model.trainable_variables
        loss_fn = keras.losses.BinaryCrossentropy()

        @tf.function(jit_compile=jit_compile)
        def train_padded_block(X, y, n_sequences):
            losses = tf.TensorArray(tf.float32, size=block_size)
            accuracies = tf.TensorArray(tf.float32, size=block_size)

            def step(i):
                # X[i][None] keeps the batch dimension static (1); a slice X[i:i+1] with a
                # traced i would leave it unknown, and XLA's code for that is 20x slower.
                x_i, y_i = X[i][None], y[i][None]
                with tf.GradientTape() as tape:
                    y_pred = model(x_i, training=True)
                    loss = loss_fn(y_i, y_pred)
                gradients = tape.gradient(loss, variables)
                optimizer.apply_gradients(zip(gradients, variables))
                return loss, accuracy_of(y_i, y_pred)

            def skip():
                return tf.constant(0.0), tf.constant(0.0)

            # The loop always runs block_size times and skips the padding: XLA would compile
            # the loop again for every distinct trip count.
            for i in tf.range(block_size):
                loss, accuracy = tf.cond(i < n_sequences, functools.partial(step, i), skip)
                losses = losses.write(i, loss)
                accuracies = accuracies.write(i, accuracy)
            return losses.stack(), accuracies.stack()

        return train_padded_block

    def start(self, fresh_models):
        """Begin a run from ``fresh_models[0]``'s weights with a fresh optimizer."""
        (fresh,) = fresh_models
        restart(self.model, fresh, self._optimizer_start)

    def train_block(self, X, y):
        """Train on ``X, y`` shaped ``(1, n, timesteps, features)``; return ``(1, n)`` losses
        and accuracies, each computed on the prediction made before its update."""
        (X,), (y,) = X, y
        n = len(X)
        padding = ((0, self.block_size - n), (0, 0), (0, 0))
        loss, accuracy = self.traced(
            np.pad(X.astype(np.float32), padding), np.pad(y.astype(np.float32), padding),
            tf.constant(n, tf.int32))
        return loss.numpy()[None, :n].astype(np.float64), accuracy.numpy()[None, :n].astype(np.float64)

    def predict(self, X):
        """The run's predictions for ``X``, shaped ``(1, *y.shape)``."""
        return predict_probabilities(self.model, X)[None]

    def load_run(self, run):
        """Put run ``run``'s weights into ``self.model``: they are there already."""

    def compilations(self):
        """How many times the block function was traced (and so compiled)."""
        return self.traced.experimental_get_tracing_count()
