"""What the two JAX trainers share: one update as ``fit`` makes it on JAX, and stacks of runs.

``bilstm_companion/article/loop_jax.py`` trains repeats of the article's protocol together, and
``bilstm_companion/own_data/trainer_jax.py`` the folds and members of a reader's networks; both map one update over
a stack of members (runs, or folds) with ``jax.vmap``, each member with its own weights and
optimizer state. Import only on JAX.
"""

import jax
import jax.numpy as jnp


def stack(values_per_member):
    """One list of arrays per member, as one list of arrays with a leading member axis."""
    return [jnp.stack(values) for values in zip(*values_per_member)]


def member(tree, index):
    """Member ``index``'s slice of every array of a stacked state."""
    return jax.tree.map(lambda value: value[index], tree)


def update_function(model, loss_of_batch):
    """One update of ``model`` through Keras' stateless API, as ``fit`` makes it on JAX:
    ``model.stateless_call`` inside ``jax.value_and_grad``, then ``optimizer.stateless_apply``.

    ``loss_of_batch(x, y_pred, *batch)`` returns the loss and what else the caller wants of
    the predictions. The update, ``update(state, keep, x, *batch)`` with ``state`` a tuple
    ``(trainable, non_trainable, optimizer_variables)``, returns the new state, the loss and
    that value; where ``keep`` is false the state stays as it was (a padded step, or a member
    with nothing to train on), so that one compiled program serves every step.
    """
    optimizer = model.optimizer

    def update(state, keep, x, *batch):
        trainable, non_trainable, optimizer_variables = state

        def loss_of(trainable):
            y_pred, new_non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
            loss, extra = loss_of_batch(x, y_pred, *batch)
            return loss, (extra, new_non_trainable)

        (loss, (extra, new_non_trainable)), gradients = jax.value_and_grad(loss_of, has_aux=True)(trainable)
        new_trainable, new_optimizer = optimizer.stateless_apply(optimizer_variables, gradients, trainable)
        new = (new_trainable, new_non_trainable, new_optimizer)
        state = jax.tree.map(lambda after, before: jnp.where(keep, after, before), new, state)
        return state, loss, extra

    return update
