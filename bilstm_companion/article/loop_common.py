"""What the article's training loops share, on every backend: the accuracy as ``fit`` counts
it, a fresh optimizer state, a restart, prediction (the compile is each script's).

``bilstm_companion/article/training.py`` and each backend's ``loop_*.py`` import these; this module
imports neither.
"""

from keras import ops


def accuracy_of(y_true, y_pred):
    """Share of timesteps whose thresholded prediction equals the label, as ``fit`` counts it."""
    guess = ops.cast(ops.greater(y_pred, 0.5), y_true.dtype)
    return ops.mean(ops.cast(ops.equal(y_true, guess), "float32"))


def optimizer_state(model):
    """The values of ``model``'s optimizer variables, built if need be (a fresh Adam: zeros)."""
    model.optimizer.build(model.trainable_variables)
    return [variable.numpy() for variable in model.optimizer.variables]


def restart(model, fresh, optimizer_start):
    """Give ``model`` the weights of ``fresh`` and its optimizer the state ``optimizer_start``:
    a new run, for the loops that keep one model's weights in variables."""
    model.set_weights(fresh.get_weights())
    for variable, value in zip(model.optimizer.variables, optimizer_start):
        variable.assign(value)

PREDICT_BATCH = 1000


def predict_probabilities(model, X):
    """The model's sigmoid outputs for ``X``, in batches of up to ``PREDICT_BATCH`` sequences."""
    # One batch size for up to PREDICT_BATCH sequences keeps the number of input shapes, and
    # so of traced predict functions, small.
    return model.predict(X, batch_size=min(len(X), PREDICT_BATCH), verbose=0)
