"""The article's training protocol, run two ways, and the held-out evaluation.

The protocol: every epoch draws one fresh random sequence and makes one Adam update on it
with batch size 1, recording that epoch's loss and accuracy as computed in the update.

- ``loop="fit"`` is the article's own loop: one ``model.fit(X, y, epochs=1, batch_size=1)``
  call per sequence. Each call rebuilds Keras' data pipeline and callbacks, so almost all of
  its time is overhead.
- ``loop="compiled"`` runs a whole block of epochs inside one XLA-compiled TensorFlow
  function. The arithmetic is the same (same loss, same optimizer, same order of updates);
  only the per-call overhead is gone. ``tests/test_training.py`` checks that both loops give
  the same losses and the same final weights.

Sequences are drawn in blocks of ``BLOCK_SIZE`` from one ``numpy.random.Generator``, so both
loops see the same data and memory stays flat however many epochs are asked for.
"""

import functools
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from sequence import check_count, get_sequences

LOOPS = ("compiled", "fit")
BLOCK_SIZE = 50


def compile_model(model):
    """Compile ``model`` as every experiment here does: binary cross-entropy, Adam, accuracy."""
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


@dataclass
class History:
    """Per-epoch loss and accuracy of one training run."""

    loss: np.ndarray
    accuracy: np.ndarray
    interrupted: bool = False

    @property
    def epochs(self):
        return len(self.loss)


def iter_blocks(n_epochs, n_timesteps, rng, block_size=BLOCK_SIZE):
    """Yield ``(X, y)`` blocks of fresh sequences, ``n_epochs`` sequences in all."""
    n_epochs = check_count("n_epochs", n_epochs)
    for start in range(0, n_epochs, block_size):
        yield get_sequences(min(block_size, n_epochs - start), n_timesteps, rng)


def make_compiled_block(model, block_size=BLOCK_SIZE, jit_compile=True):
    """Return a function that trains ``model`` on a block, one sequence per update.

    The function takes ``X`` and ``y`` shaped ``(n, timesteps, 1)`` with ``n`` up to
    ``block_size`` and returns the loss and accuracy of each of the ``n`` updates, each
    computed on the prediction made before its update, exactly as ``model.fit`` reports
    them. Blocks are padded to ``block_size`` so that one XLA compilation serves every
    block; only the first ``n`` sequences are trained on. The traced function closes over
    the model's variables and optimizer, so resetting those (``Trainer.start_run``) lets
    it serve many runs.
    """
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError("the compiled loop needs the TensorFlow backend of Keras")
    optimizer = model.optimizer
    variables = model.trainable_variables
    optimizer.build(variables)
    loss_fn = keras.losses.BinaryCrossentropy()

    @tf.function(jit_compile=jit_compile)
    def train_padded_block(X, y, n_sequences):
        losses = tf.TensorArray(tf.float32, size=block_size)
        accuracies = tf.TensorArray(tf.float32, size=block_size)

        def step(i):
            # X[i][None] keeps the batch dimension static (1); a slice X[i:i+1] with a
            # traced i would leave it unknown, and XLA's code for that is 20x slower.
            x_i, y_i = X[i][None], y[i][None]
            with tf.GradientTape() as tape:
                y_pred = model(x_i, training=True)
                loss = loss_fn(y_i, y_pred)
            gradients = tape.gradient(loss, variables)
            optimizer.apply_gradients(zip(gradients, variables))
            correct = tf.cast(tf.equal(y_i, tf.cast(y_pred > 0.5, y_i.dtype)), tf.float32)
            return loss, tf.reduce_mean(correct)

        def skip():
            return tf.constant(0.0), tf.constant(0.0)

        # The loop always runs block_size times and skips the padding: XLA would compile
        # the loop again for every distinct trip count.
        for i in tf.range(block_size):
            loss, accuracy = tf.cond(i < n_sequences, functools.partial(step, i), skip)
            losses = losses.write(i, loss)
            accuracies = accuracies.write(i, accuracy)
        return losses.stack(), accuracies.stack()

    def train_block(X, y):
        n = len(X)
        padding = ((0, block_size - n), (0, 0), (0, 0))
        loss, accuracy = train_padded_block(
            np.pad(X.astype(np.float32), padding), np.pad(y.astype(np.float32), padding),
            tf.constant(n, tf.int32))
        return loss.numpy()[:n].astype(np.float64), accuracy.numpy()[:n].astype(np.float64)

    train_block.traced = train_padded_block
    return train_block


class Trainer:
    """Train one architecture with the article's protocol, as many runs as asked.

    ``build`` returns a new, uncompiled Keras model. Each run starts from weights drawn
    under its own seed (``keras.utils.set_random_seed``), so two architectures started
    with the same seed draw their weights from the same stream. With the compiled loop
    the model and its traced function are kept between runs and only their weights and
    optimizer state are reset, so compilation is paid once per architecture.
    """

    def __init__(self, build, loop="compiled", block_size=BLOCK_SIZE, jit_compile=True):
        if loop not in LOOPS:
            raise ValueError(f"loop must be one of {', '.join(LOOPS)}, got {loop!r}")
        self.build = build
        self.loop = loop
        self.block_size = check_count("block_size", block_size)
        self.jit_compile = jit_compile
        self.model = None
        self._train_block = None
        self._optimizer_start = None

    def start_run(self, weights_seed):
        """Give the model fresh weights drawn under ``weights_seed`` and a fresh optimizer."""
        keras.utils.set_random_seed(weights_seed)
        fresh = self.build()
        if self.loop == "fit" or self.model is None:
            self.model = compile_model(fresh)
            if self.loop == "compiled":
                self._train_block = make_compiled_block(fresh, self.block_size, self.jit_compile)
                self._optimizer_start = [v.numpy() for v in fresh.optimizer.variables]
        else:
            self.model.set_weights(fresh.get_weights())
            for variable, value in zip(self.model.optimizer.variables, self._optimizer_start):
                variable.assign(value)
        return self.model

    def run(self, n_epochs, n_timesteps, rng, weights_seed, on_block=None, should_stop=None):
        """Train a fresh model for ``n_epochs`` epochs on sequences drawn from ``rng``.

        ``on_block(epochs_done, losses, accuracies)`` is called after every block with that
        block's values. Training stops early, between epochs, once ``should_stop()`` is true;
        the returned ``History`` then holds the finished epochs and ``interrupted=True``.
        """
        should_stop = should_stop or (lambda: False)
        self.start_run(weights_seed)
        losses, accuracies, done = [], [], 0
        for X, y in iter_blocks(n_epochs, n_timesteps, rng, self.block_size):
            if should_stop():
                break
            block_loss, block_accuracy = self.train_block(X, y, should_stop)
            losses.append(block_loss)
            accuracies.append(block_accuracy)
            done += len(block_loss)
            if on_block is not None and len(block_loss):
                on_block(done, block_loss, block_accuracy)
        return History(
            loss=np.concatenate(losses) if losses else np.zeros(0),
            accuracy=np.concatenate(accuracies) if accuracies else np.zeros(0),
            interrupted=done < n_epochs,
        )

    def train_block(self, X, y, should_stop=None):
        """One update per sequence of the block ``X, y``; return their losses and accuracies.

        The fit loop checks ``should_stop()`` between epochs and may return fewer values.
        """
        if self.loop == "compiled":
            return self._train_block(X, y)
        # The article's loop: one fit call, one epoch, one sequence.
        losses, accuracies = [], []
        for i in range(len(X)):
            if i and should_stop is not None and should_stop():
                break
            history = self.model.fit(X[i : i + 1], y[i : i + 1], epochs=1, batch_size=1, verbose=0)
            losses.append(history.history["loss"][0])
            accuracies.append(history.history["accuracy"][0])
        return np.array(losses), np.array(accuracies)


PREDICT_BATCH = 1000


def predict_classes(model, X):
    """Class labels (0 or 1) per timestep: the sigmoid output thresholded at 0.5.

    Keras 3 has no ``predict_classes``; this is its replacement for a sigmoid output.
    """
    # One batch for up to PREDICT_BATCH sequences keeps the number of input shapes, and so
    # of traced predict functions, small.
    batch_size = min(len(X), PREDICT_BATCH)
    return (model.predict(X, batch_size=batch_size, verbose=0) > 0.5).astype(np.int64)


def evaluate(model, X, y):
    """Held-out accuracy: the share of correct timesteps and of wholly correct sequences."""
    correct = predict_classes(model, X) == y
    return {
        "timestep_accuracy": float(correct.mean()),
        "sequence_accuracy": float(correct.all(axis=(1, 2)).mean()),
    }


# Seed streams. Repeat r of a run seeded s draws its weights and its training sequences from
# streams derived from (s, r) alone, so every model in repeat r starts from the same seed and
# sees the same sequences: differences between models are then not differences in data.
# The held-out set and the example sequence come from streams no repeat uses.
_HELD_OUT_STREAM = 2**32 - 1
_EXAMPLE_STREAM = 2**32 - 2


def repeat_seeds(seed, repeat):
    """The weights seed (an int) and the data generator of repeat ``repeat``."""
    weights_seed, data_seed = np.random.SeedSequence([seed, repeat]).generate_state(2)
    return int(weights_seed), np.random.default_rng(data_seed)


def held_out_set(seed, n_sequences, n_timesteps):
    """A fixed set of fresh sequences for measuring accuracy after training."""
    return get_sequences(n_sequences, n_timesteps, np.random.default_rng([seed, _HELD_OUT_STREAM]))


def example_sequence(seed, n_timesteps):
    """One new sequence to show the trained model's predictions on, step by step."""
    return get_sequences(1, n_timesteps, np.random.default_rng([seed, _EXAMPLE_STREAM]))


def train_runs(builders, *, n_timesteps, epochs, repeats, seed, loop="compiled",
               eval_sequences=1000, progress=None, should_stop=None):
    """Train every model ``repeats`` times with paired seeds and evaluate each run.

    ``builders`` maps a model name to a function returning a new model. Repeat r trains
    every model from the weights seed and on the sequences of ``repeat_seeds(seed, r)``,
    then measures it on one fixed held-out set. ``progress(name, repeat)``, if given,
    returns the ``on_block`` callback of that run (with a ``close()`` method).

    Returns ``(curves, evaluations, models, interrupted)``: ``curves`` is a DataFrame with
    columns ``model, repeat, epoch, loss, accuracy``; ``evaluations`` maps each name to one
    ``evaluate`` dict per finished run; ``models`` maps each name to its last trained model.
    """
    trainers = {name: Trainer(build, loop=loop) for name, build in builders.items()}
    X_held_out, y_held_out = held_out_set(seed, eval_sequences, n_timesteps)
    frames, evaluations = [], {name: [] for name in builders}
    interrupted = False
    for repeat in range(repeats):
        for name, trainer in trainers.items():
            weights_seed, data_rng = repeat_seeds(seed, repeat)  # the same for every model
            on_block = progress(name, repeat) if progress else None
            history = trainer.run(epochs, n_timesteps, data_rng, weights_seed,
                                  on_block=on_block, should_stop=should_stop)
            if on_block is not None:
                on_block.close()
            frames.append(pd.DataFrame({
                "model": name,
                "repeat": repeat,
                "epoch": np.arange(1, history.epochs + 1),
                "loss": history.loss,
                "accuracy": history.accuracy,
            }))
            if history.interrupted:
                interrupted = True
                break
            evaluations[name].append(evaluate(trainer.model, X_held_out, y_held_out))
        if interrupted:
            break
    curves = pd.concat(frames, ignore_index=True)
    return curves, evaluations, {name: t.model for name, t in trainers.items()}, interrupted
