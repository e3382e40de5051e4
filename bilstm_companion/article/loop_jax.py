"""The compiled loop on JAX: ``jax.jit`` over a ``lax.scan`` of updates, ``vmap`` over runs.

One update is Keras' stateless API, as ``fit`` makes it on JAX: ``model.stateless_call``
inside ``jax.value_and_grad``, then ``optimizer.stateless_apply``. A block of epochs is a
``jax.lax.scan`` over the block's sequences, so it is one compiled program; ``jax.vmap``
maps it over a stack of runs, each with its own weights, Adam state and sequences, so
many repeats train together. The program is compiled once per architecture, block size
and number of runs, and reused by every run after that.
"""

import jax
import jax.numpy as jnp
import keras
import numpy as np

from bilstm_companion import keras_internals
from bilstm_companion.article.loop_common import PREDICT_BATCH, accuracy_of, optimizer_state
from bilstm_companion.jax_steps import stack, update_function


class CompiledLoop:
    """Trains ``model`` one block of sequences at a time, for any number of runs at once."""

    max_runs = None

    def __init__(self, model, block_size):
        self.model = model
        self.block_size = block_size
        self._optimizer_start = optimizer_state(model)
        self._train_block = jax.jit(jax.vmap(self._block_function(), in_axes=(0, 0, 0, None)))
        self._predict = jax.jit(jax.vmap(
            lambda trainable, non_trainable, X: model.stateless_call(trainable, non_trainable, X)[0],
            in_axes=(0, 0, None)))
        self.state = None

    def _block_function(self):
        block_size = self.block_size
        loss_fn = keras.losses.BinaryCrossentropy()
        # One sequence, as a batch of one: its loss, and the predictions for its accuracy.
        update = update_function(self.model, lambda x, y_pred, y: (loss_fn(y, y_pred), y_pred))

        def train_block(state, X, y, n_sequences):
            def step(state, inputs):
                i, x, y_i = inputs
                # The scan always runs block_size steps, so one compilation serves a short
                # last block too; steps past its end leave the state as it was.
                state, loss, y_pred = update(state, i < n_sequences, x[None], y_i[None])
                return state, (loss, accuracy_of(y_i[None], y_pred))

            return jax.lax.scan(step, state, (jnp.arange(block_size), X, y))

        return train_block

    def start(self, fresh_models):
        """Begin one run per model in ``fresh_models``, from its weights, with a fresh optimizer."""
        self.state = (
            stack([[v.value for v in fresh.trainable_variables] for fresh in fresh_models]),
            stack([[v.value for v in fresh.non_trainable_variables] for fresh in fresh_models]),
            stack([self._optimizer_start] * len(fresh_models)),
        )

    def train_block(self, X, y):
        """Train every run on its block, ``X, y`` shaped ``(runs, n, timesteps, features)``;
        return ``(runs, n)`` losses and accuracies, each computed before its update."""
        n = X.shape[1]
        padding = ((0, 0), (0, self.block_size - n), (0, 0), (0, 0))
        self.state, (loss, accuracy) = self._train_block(
            self.state, np.pad(X.astype(np.float32), padding), np.pad(y.astype(np.float32), padding), n)
        return np.asarray(loss)[:, :n].astype(np.float64), np.asarray(accuracy)[:, :n].astype(np.float64)

    def predict(self, X):
        """Every run's predictions for ``X``, shaped ``(runs, *y.shape)``, in one program.

        ``X`` goes through in chunks of up to ``PREDICT_BATCH`` sequences, the last one
        padded, so one compilation serves any number of sequences and memory stays bounded.
        """
        trainable, non_trainable, _ = self.state
        size = min(len(X), PREDICT_BATCH)
        chunks = []
        for start in range(0, len(X), size):
            chunk = X[start : start + size].astype(np.float32)
            padded = np.pad(chunk, ((0, size - len(chunk)), (0, 0), (0, 0)))
            chunks.append(np.asarray(self._predict(trainable, non_trainable, padded))[:, : len(chunk)])
        return np.concatenate(chunks, axis=1)

    def load_run(self, run):
        """Put run ``run``'s weights and optimizer state into ``self.model``."""
        model = self.model
        variables = (model.trainable_variables, model.non_trainable_variables, model.optimizer.variables)
        for group, values in zip(variables, self.state):
            for variable, value in zip(group, values):
                variable.assign(value[run])

    def compilations(self):
        """How many programs the block function has been compiled into."""
        return keras_internals.compilations(self._train_block)
