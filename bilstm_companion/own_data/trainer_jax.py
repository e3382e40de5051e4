"""On JAX, ``trainer.train``'s members (folds, ensemble members) in one program: ``jax.vmap`` maps ``fit``'s
update over them, each with its own weights, statistics, Adam state, batches and ``recipe.callbacks`` (on a
``MemberSeenByCallbacks``). Equal to ``fit`` but for rounding (batches padded to one shape, sums in float64).
On several devices, the members are shared out (``along="folds"``) or each batch split.
"""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pandas as pd

from bilstm_companion import keras_internals
from bilstm_companion.jax_steps import member, stack, update_function
from bilstm_companion.own_data import recipe

HISTORY_COLUMNS = ["epoch", "accuracy", "loss", "val_accuracy", "val_loss", "learning_rate"]


class MemberSeenByCallbacks:
    """What Keras' callbacks see of one member's model: its weights and learning rate, in the stacked
    state, and ``stop_training``. Restoring weights writes into the member's own Keras model."""

    def __init__(self, trainer, index):
        self.trainer, self.index, self.model = trainer, index, trainer.models[index]
        self.stop_training = False
        self.optimizer = self  # the callbacks ask for ``model.optimizer.learning_rate``

    def get_weights(self):
        trainable, non_trainable = member(self.trainer.host(self.trainer.state[:2]), self.index)
        return [*trainable, *non_trainable]

    def set_weights(self, weights):
        variables = [*self.model.trainable_variables, *self.model.non_trainable_variables]
        for variable, value in zip(variables, weights, strict=True):
            variable.assign(value)

    @property
    def learning_rate(self):
        return np.asarray(self.trainer.host(self.trainer.state[2][self.trainer.rate_at]))[self.index]

    @learning_rate.setter
    def learning_rate(self, value):
        trainer, optimizer_state = self.trainer, list(self.trainer.state[2])
        rates = np.array(trainer.host(optimizer_state[trainer.rate_at]))
        rates[self.index] = value
        optimizer_state[trainer.rate_at] = trainer.placed(rates)
        trainer.state = (*trainer.state[:2], optimizer_state)


class Stacked:
    """Trains ``models`` (one architecture, compiled alike) in step, on ``placement``'s devices where given."""

    def __init__(self, models, placement=None, along="folds"):
        self.models, self.placement, self.along = models, placement, along
        template = models[0]
        self.per_step = len(template.output_shape) == 3
        self.binary = template.output_shape[-1] == 1
        for model in models:
            model.optimizer.build(model.trainable_variables)

        def score(trainable, non_trainable, x, y, weight):
            y_pred, _ = template.stateless_call(trainable, non_trainable, x, training=False)
            return self._batch_scores(x, y_pred, y, weight)

        self._train = jax.jit(jax.vmap(update_function(template, self._batch_scores)))
        self._evaluate = jax.jit(jax.vmap(score))
        self.rate_at = keras_internals.learning_rate_index(template.optimizer)
        self.state = None  # (trainable, non_trainable, optimizer variables), each stacked over members

    def placed(self, array, batch=False):
        """A host array with a leading member axis, on the devices: split along the members, or along
        a batch's rows (``batch``, with each batch split; else whole on each device)."""
        if self.placement is None:
            return jnp.asarray(array)
        axis = 0 if self.along == "folds" else 1 if batch else None
        return self.placement.put(array, axis)

    def host(self, tree):
        """``tree`` gathered from every device (and process) to the host."""
        return tree if self.placement is None else self.placement.to_host(tree)

    def _batch_scores(self, x, y_pred, y, weight):
        """The batch's loss as ``fit`` computes it, and ``(correct, counted)`` for its accuracy."""
        if self.binary:
            losses = keras.losses.binary_crossentropy(y, y_pred)
            right = jnp.equal(y[..., 0], (y_pred[..., 0] > 0.5).astype(y.dtype)).astype(jnp.float32)
        else:
            losses = keras.losses.sparse_categorical_crossentropy(y, y_pred)
            right = jnp.equal(jnp.reshape(y, losses.shape), jnp.argmax(y_pred, axis=-1)).astype(jnp.float32)
        # Keras averages over the batch's real steps (its mask), or over its sequences (weight 0 on padding).
        mask = (x[..., -1] > 0).astype(jnp.float32) if self.per_step else weight
        counted = weight * mask if self.per_step else weight
        loss = jnp.sum(losses * counted) / jnp.maximum(jnp.sum(mask), 1.0)
        return loss, (jnp.sum(right * counted), jnp.sum(counted))

    def _stacked(self, served, batch_size):
        """The members' batches at one step (or None each) in one shape: ``x, y, weight, active, sequences``."""
        if self.placement is not None and self.along == "batch":
            batch_size = self.placement.rows(batch_size)
        present = [batch for batch in served if batch is not None]
        width = max(batch[0].shape[1] for batch in present)
        count = len(served)
        x = np.zeros((count, batch_size, width, present[0][0].shape[2]), np.float32)
        if not self.per_step:
            # A padding row gets one real step: an empty sequence's mean is 0/0, a NaN even at weight 0.
            x[:, :, 0, -1] = 1.0
        # As Keras' losses take them: a trailing axis of 1 per step, or per sequence for a sigmoid.
        y_shape = (width, 1) if self.per_step else (1,) if self.binary else ()
        y = np.zeros((count, batch_size, *y_shape), np.float32 if self.binary else np.int64)
        weight = np.zeros((count, batch_size, width) if self.per_step else (count, batch_size), np.float32)
        sequences = np.zeros(count)
        for index, batch in enumerate(served):
            if batch is None:
                continue
            rows, steps = batch[0].shape[:2]
            x[index, :rows, :steps] = batch[0]
            if self.per_step:
                y[index, :rows, :steps] = batch[1].reshape(rows, steps, 1)
                weight[index, :rows, :steps] = batch[2] if len(batch) > 2 else 1.0
            else:
                y[index, :rows] = batch[1].reshape(rows, *y.shape[2:])
                weight[index, :rows] = 1.0
            sequences[index] = rows
        return x, y, weight, np.array([batch is not None for batch in served]), sequences

    def _run_epoch(self, sets, running, train, batch_size, should_stop):
        """One pass over the running members' ``sets``, training or scoring; per-member sums
        ``(loss x sequences, sequences, correct, counted)``, and whether a stop cut it short."""
        count = len(sets)
        sums = np.zeros((4, count))
        steps = max((len(sets[index]) for index in range(count) if running[index]), default=0)
        for step in range(steps):
            served = [sets[i][step] if running[i] and step < len(sets[i]) else None for i in range(count)]
            x, y, weight, active, sequences = self._stacked(served, batch_size)
            x, y, weight = (self.placed(value, batch=True) for value in (x, y, weight))
            if train:
                self.state, loss, (correct, counted) = self._train(self.state, self.placed(active), x, y, weight)
            else:
                loss, (correct, counted) = self._evaluate(self.state[0], self.state[1], x, y, weight)
            loss, correct, counted = (np.where(active, np.asarray(value, np.float64), 0.0)
                                      for value in self.host((loss, correct, counted)))
            sums += np.stack([loss * sequences, sequences, correct, counted])
            if should_stop():
                return sums, True
        return sums, False

    def fit(self, sets, callbacks, *, epochs, batch_size, members=None, progress=None, should_stop=lambda: False):
        """Train each model on its ``sets`` (training and validation ``Batches``) with its own ``callbacks()``,
        as ``trainer.fit_one`` does; return ``[(history, interrupted), ...]``, each model at its best epoch."""
        training_sets, validation_sets = zip(*sets)
        per_model = [(model.trainable_variables, model.non_trainable_variables, model.optimizer.variables)
                     for model in self.models]
        self.state = tuple(jax.tree.map(lambda value: self.placed(np.asarray(value)),
                                        stack([[variable.value for variable in variables] for variables in kind]))
                           for kind in zip(*per_model))
        seen = [MemberSeenByCallbacks(self, index) for index in range(len(self.models))]
        # Each member's callbacks, and a History recording what they log (the plateau adds the rate), as in fit.
        callbacks = [keras.callbacks.CallbackList(callbacks(), add_history=True, model=model) for model in seen]
        for each in callbacks:
            each.on_train_begin()
        running = np.ones(len(seen), bool)
        interrupted = False
        for epoch in range(epochs):
            for batch_set in [*training_sets, *validation_sets]:
                batch_set.start_epoch(epoch)  # as fit does: each epoch's batches anew
            train_sums, interrupted = self._run_epoch(training_sets, running, True, batch_size, should_stop)
            if interrupted:
                break
            validation_sums, _ = self._run_epoch(validation_sets, running, False, batch_size, lambda: False)
            for index in np.flatnonzero(running):
                logs = {prefix + name: sums[at, index] / sums[at + 1, index]
                        for prefix, sums in (("", train_sums), ("val_", validation_sums))
                        for name, at in (("loss", 0), ("accuracy", 2))}
                with recipe.blamed(members[index] if members else None):
                    callbacks[index].on_epoch_end(epoch, logs)  # in fit's order
                running[index] = not seen[index].stop_training
            if progress is not None:
                last = [[model.history.history[name][-1] for model in seen] for name in ("loss", "accuracy")]
                progress(epoch + 1, *(np.array(values)[:, None] for values in last))
            if not running.any():
                break
        for model, each in zip(seen, callbacks):
            model.set_weights(model.get_weights())  # where it ended, unless a best epoch is kept:
            each.on_train_end()
        return [(pd.DataFrame({"epoch": np.arange(1, len(model.history.epoch) + 1), **model.history.history},
                              columns=HISTORY_COLUMNS), interrupted) for model in seen]
