"""The folds of one model trained together on JAX: one compiled update for every fold at once.

Cross-validation trains the same architecture K times, on K training sets. Here the K
trainings run in step: ``jax.vmap`` maps one update (Keras' stateless API, as ``fit``
makes it on JAX: ``model.stateless_call`` inside ``jax.value_and_grad``, then
``optimizer.stateless_apply``) over a stack of folds, each with its own weights, feature
statistics, Adam state and batch. Each fold keeps its own batches (``harness/batches.py``,
served in the order ``fit`` would serve them), its own early stopping and its own best
weights, all on the host; a fold that has run out of batches in an epoch, or has stopped
early, sits the update out and keeps its state.

Equal to ``fit``, fold by fold: each batch's loss and accuracy are computed as Keras
computes them (the loss averaged over the real steps of the batch, or its sequences; the
epoch's loss averaged over batches weighted by their sequences), and the early stopping is
``keras.callbacks.EarlyStopping(monitor="val_loss", restore_best_weights=True)``'s rule. Two
things differ and change only rounding: batches of the folds are padded to one shape (more
masked steps, and rows of weight zero), and the host sums in float64.
"""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pandas as pd

from harness import batches as batching


def _stack(values_per_fold):
    """One list of arrays per fold, as one list of arrays with a leading fold axis."""
    return [jnp.stack(values) for values in zip(*values_per_fold)]


def _weights_of(model):
    return ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables])


def _fold(tree, index):
    """Fold ``index``'s slice of every array of a stacked state."""
    return jax.tree.map(lambda value: value[index], tree)


class FoldsTogether:
    """Trains the models of several folds (one architecture, compiled alike) in step."""

    def __init__(self, models):
        self.models = models
        template = models[0]
        self.per_step = len(template.output_shape) == 3
        self.binary = template.output_shape[-1] == 1
        for model in models:
            model.optimizer.build(model.trainable_variables)
        self._train = jax.jit(jax.vmap(self._update_function(template)))
        self._evaluate = jax.jit(jax.vmap(self._score_function(template)))

    # One batch, as Keras scores it ---------------------------------------------------------

    def _batch_scores(self, x, y, weight, y_pred):
        """The batch's loss as ``fit`` computes it, and ``(correct, counted)`` for its accuracy."""
        if self.binary:
            losses = keras.losses.binary_crossentropy(y, y_pred)
            right = jnp.equal(y[..., 0], (y_pred[..., 0] > 0.5).astype(y.dtype)).astype(jnp.float32)
        else:
            losses = keras.losses.sparse_categorical_crossentropy(y, y_pred)
            right = jnp.equal(jnp.reshape(y, losses.shape), jnp.argmax(y_pred, axis=-1)).astype(jnp.float32)
        if self.per_step:  # Keras averages over the real steps of the batch (its mask)
            mask = (x[..., -1] > 0).astype(jnp.float32)
            counted = weight * mask
            loss = jnp.sum(losses * counted) / jnp.maximum(jnp.sum(mask), 1.0)
        else:  # over its sequences: ``weight`` is 1 on a real one, 0 on a row of padding
            counted = weight
            loss = jnp.sum(losses * weight) / jnp.maximum(jnp.sum(weight), 1.0)
        return loss, jnp.sum(right * counted), jnp.sum(counted)

    def _update_function(self, model):
        optimizer = model.optimizer

        def update(state, x, y, weight, active):
            trainable, non_trainable, optimizer_variables = state

            def loss_of(trainable):
                y_pred, new_non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
                loss, correct, counted = self._batch_scores(x, y, weight, y_pred)
                return loss, (new_non_trainable, correct, counted)

            (loss, (new_non_trainable, correct, counted)), gradients = jax.value_and_grad(
                loss_of, has_aux=True)(trainable)
            new_trainable, new_optimizer = optimizer.stateless_apply(optimizer_variables, gradients, trainable)
            new = (new_trainable, new_non_trainable, new_optimizer)
            # A fold with no batch at this step keeps its state as it was.
            state = jax.tree.map(lambda after, before: jnp.where(active, after, before), new, state)
            return state, loss, correct, counted

        return update

    def _score_function(self, model):
        def score(trainable, non_trainable, x, y, weight):
            y_pred, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            return self._batch_scores(x, y, weight, y_pred)

        return score

    # Batches of all folds at one step ---------------------------------------------------------

    def _stacked(self, served, batch_size):
        """The folds' batches at one step, ``served`` (a batch or None per fold), padded to one
        shape: ``x, y, weight, active, sequences`` with a leading fold axis."""
        present = [batch for batch in served if batch is not None]
        width = max(batch[0].shape[1] for batch in present)
        features = present[0][0].shape[2]
        n_folds = len(served)
        x = np.zeros((n_folds, batch_size, width, features), np.float32)
        if not self.per_step:
            # A row of padding gets one real step of zeros: an empty sequence would make a mean
            # over its steps 0/0, and even at weight zero a NaN spoils the gradient.
            x[:, :, 0, -1] = 1.0
        # As Keras' losses take them: a trailing axis of 1 per step, or per sequence for a sigmoid.
        y_shape = (width, 1) if self.per_step else (1,) if self.binary else ()
        y = np.zeros((n_folds, batch_size, *y_shape), np.float32 if self.binary else np.int64)
        weight = np.zeros((n_folds, batch_size, width) if self.per_step else (n_folds, batch_size), np.float32)
        sequences = np.zeros(n_folds)
        for index, batch in enumerate(served):
            if batch is None:
                continue
            batch_x, batch_y = batch[0], batch[1]
            rows, steps = batch_x.shape[:2]
            x[index, :rows, :steps] = batch_x
            if self.per_step:
                y[index, :rows, :steps] = batch_y.reshape(rows, steps, 1)
                weight[index, :rows, :steps] = batch[2] if len(batch) > 2 else 1.0
            else:
                y[index, :rows] = batch_y.reshape(rows, *y.shape[2:])
                weight[index, :rows] = 1.0
            sequences[index] = rows
        active = np.array([batch is not None for batch in served])
        return x, y, weight, active, sequences

    def _run_epoch(self, state, sets, running, function, batch_size, should_stop):
        """One pass over every running fold's ``sets``; returns the state, per-fold sums
        ``(loss x sequences, sequences, correct, counted)``, and whether a stop cut it short."""
        n_folds = len(sets)
        sums = np.zeros((4, n_folds))
        steps = max((len(sets[f]) for f in range(n_folds) if running[f]), default=0)
        for step in range(steps):
            served = [sets[f][step] if running[f] and step < len(sets[f]) else None for f in range(n_folds)]
            x, y, weight, active, sequences = self._stacked(served, batch_size)
            if function is self._train:
                state, loss, correct, counted = function(state, x, y, weight, active)
            else:
                loss, correct, counted = function(state[0], state[1], x, y, weight)
            loss, correct, counted = (np.where(active, np.asarray(value, np.float64), 0.0)
                                      for value in (loss, correct, counted))
            sums += np.stack([loss * sequences, sequences, correct, counted])
            if should_stop():
                return state, sums, True
        return state, sums, False

    # Training ------------------------------------------------------------------------------

    def fit(self, trainings, validations, *, epochs, batch_size, patience, seeds, progress=None,
            should_stop=lambda: False):
        """Train every fold's model on its ``trainings`` set, with early stopping on its
        ``validations`` set and the learning rate halved on plateaus, as
        ``own_sequences.train`` does with ``fit``; each model ends with its best epoch's
        weights. Returns ``[(history, interrupted), ...]`` per fold, ``history`` a DataFrame
        of the finished epochs."""
        from harness.own_sequences import PLATEAU, plateau_patience, targets
        n_folds = len(self.models)
        training_sets = [batching.Batches(data, batch_size, targets=targets(data), seed=seed)
                         for data, seed in zip(trainings, seeds)]
        validation_sets = [batching.Batches(data, batch_size, targets=targets(data))
                           for data in validations]
        weights = [_weights_of(model) for model in self.models]
        state = (_stack([w[0] for w in weights]), _stack([w[1] for w in weights]),
                 _stack([[v.value for v in model.optimizer.variables] for model in self.models]))
        running = np.ones(n_folds, bool)
        histories = [[] for _ in range(n_folds)]
        best = [None] * n_folds  # (val_loss, epoch, weights) of each fold's best epoch
        waited = np.zeros(n_folds, int)
        # keras.callbacks.ReduceLROnPlateau's state, fold by fold, and where the rate is kept.
        rate_at = next(i for i, v in enumerate(self.models[0].optimizer.variables) if v.path.endswith("learning_rate"))
        plateau_best, plateau_waited = [None] * n_folds, np.zeros(n_folds, int)
        interrupted = False
        for epoch in range(epochs):
            for training_set in training_sets:
                training_set.start_epoch(epoch)  # as fit does: each epoch's batches anew
            state, train_sums, interrupted = self._run_epoch(state, training_sets, running, self._train,
                                                             batch_size, should_stop)
            if interrupted:
                break
            _, validation_sums, _ = self._run_epoch(state, validation_sets, running, self._evaluate,
                                                    batch_size, lambda: False)
            for fold in np.flatnonzero(running):
                rates = np.array(state[2][rate_at])
                row = {"epoch": epoch + 1, "loss": train_sums[0, fold] / train_sums[1, fold],
                       "accuracy": train_sums[2, fold] / train_sums[3, fold],
                       "val_loss": validation_sums[0, fold] / validation_sums[1, fold],
                       "val_accuracy": validation_sums[2, fold] / validation_sums[3, fold],
                       "learning_rate": float(rates[fold])}
                histories[fold].append(row)
                # keras.callbacks.EarlyStopping's rule, fold by fold.
                if best[fold] is None:
                    best[fold] = (np.inf, epoch, _fold(state[:2], fold))
                waited[fold] += 1
                if row["val_loss"] < best[fold][0]:
                    best[fold] = (row["val_loss"], epoch, _fold(state[:2], fold))
                    waited[fold] = 0
                elif waited[fold] >= patience and epoch > 0:
                    running[fold] = False
                # keras.callbacks.ReduceLROnPlateau's rule (min_delta 1e-4, no cool-down).
                if plateau_best[fold] is None or row["val_loss"] + 1e-4 < plateau_best[fold]:
                    plateau_best[fold], plateau_waited[fold] = row["val_loss"], 0
                else:
                    plateau_waited[fold] += 1
                    if plateau_waited[fold] >= plateau_patience(patience) and rates[fold] > np.float32(
                            PLATEAU["min_lr"]):
                        rates[fold] = max(float(rates[fold]) * PLATEAU["factor"], PLATEAU["min_lr"])
                        optimizer_state = list(state[2])
                        optimizer_state[rate_at] = jnp.asarray(rates, dtype=state[2][rate_at].dtype)
                        state = (state[0], state[1], optimizer_state)
                        plateau_waited[fold] = 0
            if progress is not None:
                losses = np.array([h[-1]["loss"] for h in histories])
                accuracies = np.array([h[-1]["accuracy"] for h in histories])
                progress(epoch + 1, losses[:, None], accuracies[:, None])
            if not running.any():
                break
        for fold, model in enumerate(self.models):
            kept = best[fold][2] if best[fold] is not None else _fold(state[:2], fold)
            for variables, values in zip((model.trainable_variables, model.non_trainable_variables), kept):
                for variable, value in zip(variables, values):
                    variable.assign(value)
        columns = ["epoch", "accuracy", "loss", "val_accuracy", "val_loss", "learning_rate"]
        return [(pd.DataFrame(history, columns=columns),
                 interrupted) for history in histories]
