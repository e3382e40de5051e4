"""How a model learns a reader's sequences: loss, optimizer, early stopping, the learning rate halved
on plateaus, and the labels shaped as the model's outputs. ``trainer.fit_one`` hands these callbacks
to ``fit`` and ``trainer_jax.Stacked`` runs the very same objects per member, so the two cannot drift."""

import math
from contextlib import contextmanager

import keras

from bilstm_companion.own_data.parameters import DEFAULTS

# When the validation loss has not improved for a while, the learning rate halves (down to a
# floor): a large rate finds the way fast on small real data sets, a small one settles.
PLATEAU = {"factor": 0.5, "min_lr": 1e-5}


def plateau_patience(patience):
    """Epochs before the learning rate halves: a third of the patience, so it halves about twice before a stop."""
    return max(3, patience // 3)


class LossNotFinite(RuntimeError):
    """The training or validation loss became NaN or infinite; ``member`` (a ``trainer.Member``) is whose."""

    def __init__(self, epoch, name, loss):
        self.epoch, self.member = epoch, None
        self.value = "NaN" if math.isnan(loss) else "infinite"
        self.which = "training" if name == "loss" else "validation"
        super().__init__(f"the {self.which} loss became {self.value} in epoch {epoch}")


@contextmanager
def blamed(member):
    """A context in which a ``LossNotFinite`` is told the ``member`` whose loss it was."""
    try:
        yield
    except LossNotFinite as error:
        if error.member is None:
            error.member = member
        raise


class StopAtNonFiniteLoss(keras.callbacks.Callback):
    """Raises ``LossNotFinite`` after an epoch whose loss is not finite, before early stopping could
    take it for a plateau, or a stop request be read into it."""

    def on_epoch_end(self, epoch, logs=None):
        for name in ("loss", "val_loss"):
            if not math.isfinite((logs or {}).get(name, 0.0)):
                raise LossNotFinite(epoch + 1, name, logs[name])


def callbacks(patience):
    """What ``fit`` runs after each epoch, in order: the finite-loss check, early stopping, halving on plateaus."""
    return (StopAtNonFiniteLoss(),
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True),
            keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=plateau_patience(patience), **PLATEAU))


@keras.saving.register_keras_serializable(package="bilstm_companion")
def binary_crossentropy_or_nan(y_true, y_pred):
    """Keras' binary cross-entropy (to the bit), but NaN where a prediction is NaN: PyTorch's kernel
    raises on a NaN ("all elements of input should be between 0 and 1") before it can be reported."""
    y_pred = keras.ops.convert_to_tensor(y_pred)
    nan = keras.ops.isnan(y_pred)
    loss = keras.losses.binary_crossentropy(y_true, keras.ops.where(nan, 0.5, y_pred))
    return keras.ops.where(keras.ops.any(nan, axis=-1), float("nan"), loss)


def compile_classifier(model, n_classes, learning_rate=DEFAULTS["learning_rate"]):
    """Binary (on PyTorch ``binary_crossentropy_or_nan``) or categorical cross-entropy, and Adam."""
    binary = binary_crossentropy_or_nan if keras.backend.backend() == "torch" else "binary_crossentropy"
    loss = binary if n_classes == 2 else "sparse_categorical_crossentropy"
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(learning_rate), metrics=["accuracy"])
    return model


def targets(data):
    """``data.y`` shaped as the model's output: a trailing axis of 1 per step."""
    return data.y[..., None] if data.y.ndim == 2 else data.y
