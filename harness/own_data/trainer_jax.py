"""On JAX, the members of ``trainer.train`` (folds, ensemble members) in one compiled program.

``jax.vmap`` maps one update (Keras' stateless API, as ``fit`` makes it on JAX:
``model.stateless_call`` inside ``jax.value_and_grad``, then ``optimizer.stateless_apply``)
over a stack of members, each with its own weights, feature statistics, Adam state and batch.
Each member keeps its own batches (``trainer.batches_for``, served in the order ``fit`` would
serve them), its own early stopping and best weights: its own copies of the very callbacks
``fit`` runs (``recipe.callbacks``), through one ``keras.callbacks.CallbackList`` per member,
as Keras' own JAX trainer runs them, on a stand-in for its model (``MemberSeenByCallbacks``).
A member that has run out of batches in an epoch, or has stopped early, sits the update out.

Equal to ``fit``, member by member: each batch's loss and accuracy as Keras computes them (the
loss averaged over the real steps of the batch, or its sequences; the epoch's averaged over
batches weighted by their sequences). Two things differ and change only rounding: the
members' batches are padded to one shape, and the host sums in float64.

On several devices (a ``devices.Placement``), the same update is spread over them: the
members shared out (``along="folds"``: nothing passes between devices), or each batch split
among them (``along="batch"``: the batch padded with rows of weight zero to a multiple of
the devices, and the gradients summed across them). The numbers are one device's.
"""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pandas as pd

from harness import keras_internals
from harness.jax_steps import member, stack, update_function
from harness.own_data import recipe

HISTORY_COLUMNS = ["epoch", "accuracy", "loss", "val_accuracy", "val_loss", "learning_rate"]


class MemberSeenByCallbacks:
    """What Keras' callbacks see of one member's model while the members train together: its
    weights and its learning rate, read from (and the rate written to) the stacked state, and
    ``stop_training``. Restoring weights (early stopping's best epoch) writes into the
    member's own Keras model."""

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
        trainable, non_trainable, optimizer_state = self.trainer.state
        rates = np.array(self.trainer.host(optimizer_state[self.trainer.rate_at]))
        rates[self.index] = value
        optimizer_state = list(optimizer_state)
        optimizer_state[self.trainer.rate_at] = self.trainer.placed(rates)
        self.trainer.state = (trainable, non_trainable, optimizer_state)


class Stacked:
    """Trains ``models`` (one architecture, compiled alike) in step; on the devices of
    ``placement`` (default: one), shared out ``along`` the members or each batch."""

    def __init__(self, models, placement=None, along="folds"):
        if along not in ("folds", "batch"):
            raise ValueError(f"along must be folds or batch, got {along!r}")
        self.models, self.placement, self.along = models, placement, along
        template = models[0]
        self.per_step = len(template.output_shape) == 3
        self.binary = template.output_shape[-1] == 1
        for model in models:
            model.optimizer.build(model.trainable_variables)
        # One update for every member: each batch scored as Keras scores it, a member with no
        # batch at this step keeping its state as it was.
        update = update_function(template, lambda x, y_pred, y, weight: self._scored(x, y, weight, y_pred))
        self._train = jax.jit(jax.vmap(update))
        self._evaluate = jax.jit(jax.vmap(self._score_function(template)))
        self.rate_at = keras_internals.learning_rate_index(template.optimizer)
        self.state = None  # (trainable, non_trainable, optimizer variables), each stacked over members

    # Where the arrays live -------------------------------------------------------------------

    def placed(self, array, batch=False):
        """A host array with a leading member axis, on the devices as this trainer shares them
        out: split along the members; or, with each batch split, a batch's arrays (``batch``)
        split along their rows, and the rest whole on each device. One device: as is."""
        if self.placement is None:
            return jnp.asarray(array)
        axis = 0 if self.along == "folds" else 1 if batch else None
        return self.placement.put(array, axis)

    def host(self, tree):
        """``tree`` where the host can read it: gathered from every device (and process)."""
        return tree if self.placement is None else self.placement.to_host(tree)

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

    def _scored(self, x, y, weight, y_pred):
        loss, correct, counted = self._batch_scores(x, y, weight, y_pred)
        return loss, (correct, counted)

    def _score_function(self, model):
        def score(trainable, non_trainable, x, y, weight):
            y_pred, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            return self._batch_scores(x, y, weight, y_pred)

        return score

    # Batches of all members at one step ---------------------------------------------------------

    def _stacked(self, served, batch_size):
        """The members' batches at one step, ``served`` (a batch or None each), padded to one
        shape: ``x, y, weight, active, sequences`` with a leading member axis; with a batch split
        among devices, ``batch_size`` rounded up to a multiple of them."""
        if self.placement is not None and self.along == "batch":
            batch_size = self.placement.rows(batch_size)
        present = [batch for batch in served if batch is not None]
        width = max(batch[0].shape[1] for batch in present)
        count = len(served)
        x = np.zeros((count, batch_size, width, present[0][0].shape[2]), np.float32)
        if not self.per_step:
            # A row of padding gets one real step of zeros: an empty sequence would make a mean
            # over its steps 0/0, and even at weight zero a NaN spoils the gradient.
            x[:, :, 0, -1] = 1.0
        # As Keras' losses take them: a trailing axis of 1 per step, or per sequence for a sigmoid.
        y_shape = (width, 1) if self.per_step else (1,) if self.binary else ()
        y = np.zeros((count, batch_size, *y_shape), np.float32 if self.binary else np.int64)
        weight = np.zeros((count, batch_size, width) if self.per_step else (count, batch_size), np.float32)
        sequences = np.zeros(count)
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
        return x, y, weight, np.array([batch is not None for batch in served]), sequences

    def _run_epoch(self, sets, running, train, batch_size, should_stop):
        """One pass over every running member's ``sets``, training (``train``) or scoring them;
        returns per-member sums ``(loss x sequences, sequences, correct, counted)``, and whether
        a stop cut the pass short."""
        count = len(sets)
        sums = np.zeros((4, count))
        steps = max((len(sets[index]) for index in range(count) if running[index]), default=0)
        for step in range(steps):
            served = [sets[i][step] if running[i] and step < len(sets[i]) else None for i in range(count)]
            x, y, weight, active, sequences = self._stacked(served, batch_size)
            keep = active
            if self.placement is not None:
                x, y, weight = (self.placed(value, batch=True) for value in (x, y, weight))
                keep = self.placed(active)
            if train:
                self.state, loss, (correct, counted) = self._train(self.state, keep, x, y, weight)
            else:
                loss, correct, counted = self._evaluate(self.state[0], self.state[1], x, y, weight)
            loss, correct, counted = (np.where(active, np.asarray(value, np.float64), 0.0)
                                      for value in self.host((loss, correct, counted)))
            sums += np.stack([loss * sequences, sequences, correct, counted])
            if should_stop():
                return sums, True
        return sums, False

    # Training ------------------------------------------------------------------------------

    def fit(self, sets, callbacks, *, epochs, batch_size, members=None, progress=None, should_stop=lambda: False):
        """Train every member's model on its ``sets``, its training and validation
        ``batches.Batches`` (``trainer.batches_for``), with its own ``callbacks()`` (the recipe's,
        ``recipe.callbacks``), as ``trainer.fit_one`` does with ``fit``; each model ends with its
        best epoch's weights.
        Returns ``[(history, interrupted), ...]``, ``history`` a DataFrame of the finished
        epochs. A ``recipe.LossNotFinite`` is told its member, of ``members`` where given."""
        training_sets, validation_sets = [served for served, _ in sets], [checked for _, checked in sets]
        state = tuple(stack([[v.value for v in variables(model)] for model in self.models])
                      for variables in (lambda model: model.trainable_variables,
                                        lambda model: model.non_trainable_variables,
                                        lambda model: model.optimizer.variables))
        self.state = state if self.placement is None else jax.tree.map(
            lambda value: self.placed(np.asarray(value)), state)
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
                logs = {"loss": train_sums[0, index] / train_sums[1, index],
                        "accuracy": train_sums[2, index] / train_sums[3, index],
                        "val_loss": validation_sums[0, index] / validation_sums[1, index],
                        "val_accuracy": validation_sums[2, index] / validation_sums[3, index]}
                with recipe.blamed(members[index] if members else None):
                    callbacks[index].on_epoch_end(epoch, logs)  # in fit's order
                running[index] = not seen[index].stop_training
            if progress is not None:
                last = [{name: values[-1] for name, values in model.history.history.items()} for model in seen]
                progress(epoch + 1, np.array([logs["loss"] for logs in last])[:, None],
                         np.array([logs["accuracy"] for logs in last])[:, None])
            if not running.any():
                break
        for model, each in zip(seen, callbacks):
            model.set_weights(model.get_weights())  # where it ended, unless a best epoch is kept:
            each.on_train_end()
        return [(pd.DataFrame({"epoch": np.arange(1, len(model.history.epoch) + 1), **model.history.history},
                              columns=HISTORY_COLUMNS), interrupted) for model in seen]
