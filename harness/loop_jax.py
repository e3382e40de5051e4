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

from harness.training import PREDICT_BATCH, accuracy_of, optimizer_state


def _stack(values_per_run):
    """Turn one list of arrays per run into one list of arrays with a leading run axis."""
    return [jnp.stack(values) for values in zip(*values_per_run)]


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
        model, block_size = self.model, self.block_size
        optimizer = model.optimizer
        loss_fn = keras.losses.BinaryCrossentropy()

        def update(state, x, y):
            trainable, non_trainable, optimizer_variables = state

            def loss_of(trainable):
                y_pred, new_non_trainable = model.stateless_call(
                    trainable, non_trainable, x[None], training=True)
                return loss_fn(y[None], y_pred), (y_pred, new_non_trainable)

            (loss, (y_pred, non_trainable)), gradients = jax.value_and_grad(
                loss_of, has_aux=True)(trainable)
            trainable, optimizer_variables = optimizer.stateless_apply(
                optimizer_variables, gradients, trainable)
            return (trainable, non_trainable, optimizer_variables), loss, accuracy_of(y[None], y_pred)

        def train_block(state, X, y, n_sequences):
            def step(state, inputs):
                i, x, y_i = inputs
                new_state, loss, accuracy = update(state, x, y_i)
                # The scan always runs block_size steps, so one compilation serves a short
                # last block too; steps past its end leave the state as it was.
                keep = i < n_sequences
                state = jax.tree.map(lambda new, old: jnp.where(keep, new, old), new_state, state)
                return state, (loss, accuracy)

            return jax.lax.scan(step, state, (jnp.arange(block_size), X, y))

        return train_block

    def start(self, fresh_models):
        """Begin one run per model in ``fresh_models``, from its weights, with a fresh optimizer."""
        self.state = (
            _stack([[v.value for v in fresh.trainable_variables] for fresh in fresh_models]),
            _stack([[v.value for v in fresh.non_trainable_variables] for fresh in fresh_models]),
            _stack([self._optimizer_start] * len(fresh_models)),
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
        return self._train_block._cache_size()
