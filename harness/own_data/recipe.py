"""How a model learns a reader's sequences: the loss, the optimizer, early stopping and the
learning rate halved on plateaus, and the labels shaped as the model's outputs.

Both ways of ``trainer.py`` take their recipe from here: ``fit_one`` hands these Keras callbacks
to ``model.fit``, and ``trainer_jax.Stacked`` runs the very same callback objects for each
member, so the two cannot drift apart.
"""

import math

import keras

# When the validation loss has not improved for a while, the learning rate halves (down to a
# floor): a large rate finds the way fast on small real data sets, a small one settles.
PLATEAU = {"factor": 0.5, "min_lr": 1e-5}


def plateau_patience(patience):
    """Epochs without a better validation loss before the learning rate halves: a third of
    the early-stopping patience, so that it halves about twice before training stops."""
    return max(3, patience // 3)


class LossNotFinite(RuntimeError):
    """The loss of a training became NaN or infinite: from there on it cannot learn. The trainer
    tells it whose loss it was: ``member``, a ``trainer.Member``."""

    def __init__(self, epoch, logs):
        bad = next(name for name in ("loss", "val_loss") if not math.isfinite(logs.get(name, 0.0)))
        self.epoch, self.member = epoch, None
        self.value = "NaN" if math.isnan(logs[bad]) else "infinite"
        self.which = "training" if bad == "loss" else "validation"
        super().__init__(f"the {self.which} loss became {self.value} in epoch {epoch}")


class blamed:
    """A context in which a ``LossNotFinite`` is told the ``member`` whose loss it was."""

    def __init__(self, member):
        self.member = member

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, LossNotFinite) and error.member is None:
            error.member = self.member
        return False


def check_finite(epoch, logs):
    """Raise ``LossNotFinite`` if an epoch's loss or validation loss is NaN or infinite
    (``epoch`` counted from 1)."""
    if not all(math.isfinite(logs.get(name, 0.0)) for name in ("loss", "val_loss")):
        raise LossNotFinite(epoch, logs)


class StopAtNonFiniteLoss(keras.callbacks.Callback):
    """Ends ``fit`` with ``LossNotFinite`` after an epoch whose loss is NaN or infinite, before
    early stopping could take the epoch for a plateau, or a stop request be read into it."""

    def on_epoch_end(self, epoch, logs=None):
        check_finite(epoch + 1, logs or {})


def callbacks(patience):
    """What ``fit`` runs after each epoch, in order: the check that the loss is finite; early
    stopping on the validation loss after ``patience`` epochs without a better one, keeping
    the best epoch's weights; and the learning rate halved on plateaus (``PLATEAU``)."""
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                                   restore_best_weights=True)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=plateau_patience(patience),
                                                **PLATEAU)
    return StopAtNonFiniteLoss(), early_stopping, plateau


@keras.saving.register_keras_serializable(package="bilstm_companion")
def binary_crossentropy_or_nan(y_true, y_pred):
    """Keras' binary cross-entropy, NaN where a prediction is NaN. PyTorch's kernel raises an
    error on a NaN ("all elements of input should be between 0 and 1") before a NaN loss can
    be seen and reported; TensorFlow's and JAX's return NaN. Where every prediction is a
    number, the loss and its gradient are Keras' own, to the bit."""
    y_pred = keras.ops.convert_to_tensor(y_pred)
    nan = keras.ops.isnan(y_pred)
    loss = keras.losses.binary_crossentropy(y_true, keras.ops.where(nan, 0.5, y_pred))
    return keras.ops.where(keras.ops.any(nan, axis=-1), float("nan"), loss)


def binary_loss():
    """The loss of two classes: Keras' own, or on PyTorch ``binary_crossentropy_or_nan``."""
    return binary_crossentropy_or_nan if keras.backend.backend() == "torch" else "binary_crossentropy"


def compile_classifier(model, n_classes, learning_rate=0.001):
    """Binary or categorical cross-entropy, as the classes ask, and Adam at ``learning_rate``."""
    loss = binary_loss() if n_classes == 2 else "sparse_categorical_crossentropy"
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(learning_rate), metrics=["accuracy"])
    return model


def targets(data):
    """``data.y`` shaped as the model's output: a trailing axis of 1 per step."""
    return data.y[..., None] if data.y.ndim == 2 else data.y
