"""How a model learns a reader's sequences: the loss, the optimizer, early stopping and the
learning rate halved on plateaus, and the labels shaped as the model's outputs.

Both trainers take their recipe from here: ``fitting.train`` hands these Keras callbacks to
``model.fit``, and ``folds_together.FoldsTogether`` runs the very same callback objects, fold
by fold, so the two cannot drift apart.
"""

import keras

# When the validation loss has not improved for a while, the learning rate halves (down to a
# floor): a large rate finds the way fast on small real data sets, a small one settles.
PLATEAU = {"factor": 0.5, "min_lr": 1e-5}


def plateau_patience(patience):
    """Epochs without a better validation loss before the learning rate halves: a third of
    the early-stopping patience, so that it halves about twice before training stops."""
    return max(3, patience // 3)


def callbacks(patience):
    """Early stopping on the validation loss after ``patience`` epochs without a better one,
    keeping the best epoch's weights; and the learning rate halved on plateaus (``PLATEAU``)."""
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                                   restore_best_weights=True)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=plateau_patience(patience),
                                                **PLATEAU)
    return early_stopping, plateau


def compile_classifier(model, n_classes, learning_rate=0.001):
    """Binary or categorical cross-entropy, as the classes ask, and Adam at ``learning_rate``."""
    loss = "binary_crossentropy" if n_classes == 2 else "sparse_categorical_crossentropy"
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(learning_rate), metrics=["accuracy"])
    return model


def targets(data):
    """``data.y`` shaped as the model's output: a trailing axis of 1 per step."""
    return data.y[..., None] if data.y.ndim == 2 else data.y
