"""The project's loop on PyTorch: ``fit``'s update, one sequence at a time, without ``fit``.

Each epoch makes exactly the update Keras' ``fit`` makes on PyTorch (forward pass, loss,
``backward()``, ``optimizer.apply``) but skips the data pipeline, callbacks and logs that
``fit`` builds for every call. It runs eagerly, as ``fit`` does on PyTorch, so the arithmetic
is ``fit``'s exactly. ``torch.compile`` makes each update about 3 times faster here but takes
tens of seconds to compile per architecture, more than the scripts' runs gain back
(``benchmarks/bench_training.py --torch-compile`` measures it).
"""

import keras
import numpy as np
import torch

from bilstm_companion.article.loop_common import accuracy_of, optimizer_state, predict_probabilities, restart


class CompiledLoop:
    """Trains ``model`` one block of sequences at a time; one run at once (``max_runs = 1``)."""

    max_runs = 1

    def __init__(self, model, block_size):
        self.model = model
        self.block_size = block_size
        self._optimizer_start = optimizer_state(model)
        self._loss_fn = keras.losses.BinaryCrossentropy()

    def start(self, fresh_models):
        """Begin a run from ``fresh_models[0]``'s weights with a fresh optimizer."""
        (fresh,) = fresh_models
        restart(self.model, fresh, self._optimizer_start)

    def train_block(self, X, y):
        """Train on ``X, y`` shaped ``(1, n, timesteps, features)``; return ``(1, n)`` losses
        and accuracies, each computed on the prediction made before its update."""
        model, optimizer = self.model, self.model.optimizer
        weights = model.trainable_weights
        X = keras.ops.convert_to_tensor(X[0].astype(np.float32))
        y = keras.ops.convert_to_tensor(y[0].astype(np.float32))
        losses, accuracies = [], []
        for x_i, y_i in zip(X[:, None], y[:, None]):
            y_pred = model(x_i, training=True)
            model.zero_grad()
            loss = self._loss_fn(y_i, y_pred)
            loss.backward()
            with torch.no_grad():
                optimizer.apply([w.value.grad for w in weights], weights)
            losses.append(loss.detach())
            accuracies.append(accuracy_of(y_i, y_pred.detach()))
        as_numpy = lambda values: torch.stack(values).cpu().numpy().astype(np.float64)[None]
        return as_numpy(losses), as_numpy(accuracies)

    def predict(self, X):
        """The run's predictions for ``X``, shaped ``(1, *y.shape)``."""
        return predict_probabilities(self.model, X)[None]

    def load_run(self, run):
        """Put run ``run``'s weights into ``self.model``: they are there already."""

    def compilations(self):
        """Nothing is compiled on PyTorch."""
        return 0
