"""The article's training protocol, run two ways on any Keras backend, and the evaluation.

The protocol: every epoch draws one fresh random sequence and makes one Adam update on it
with batch size 1, recording that epoch's loss and accuracy as computed in the update.

- ``loop="fit"`` is the article's own loop, as each script writes it (``steps.Steps.train``: one
  ``model.fit(X, y, epochs=1, batch_size=1)`` per sequence), run with a callback that hears
  each epoch's loss and accuracy and honours a stop request. Each ``fit`` rebuilds Keras'
  data pipeline and callbacks, so almost all of its time is overhead.
- ``loop="compiled"`` runs a whole block of epochs per call of a function the backend
  compiles once: ``loop_tensorflow.py`` (XLA), ``loop_jax.py`` (``jax.jit`` over a
  ``lax.scan``) or ``loop_torch.py`` (an eager loop without ``fit``'s overhead), each with the
  same ``CompiledLoop`` contract (``bilstm_companion.backend.article_loop`` picks the one for the
  running backend). The arithmetic is the same (same loss, same optimizer, same order of
  updates); ``tests/test_training.py`` checks that each gives the losses and final weights
  of the script's ``fit`` loop. Where the backend can (JAX), it also trains several runs at
  once, each with its own weights, optimizer state and sequences.

Sequences are drawn from one ``numpy.random.Generator`` per run (the compiled loop takes
them in blocks of ``BLOCK_SIZE``: the same values as one at a time), so every loop sees the
same data and memory stays flat however many epochs are asked for.
"""

import json
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from bilstm_companion import backend, model_config
from bilstm_companion.article.loop_common import predict_probabilities
from sequence import check_count, get_sequences

LOOPS = ("compiled", "fit")
BLOCK_SIZE = 50


def trains_runs_together(loop="compiled"):
    """Whether ``loop`` on this backend can train several runs at once."""
    return loop == "compiled" and backend.article_loop().CompiledLoop.max_runs is None


# One compiled loop per architecture and block size, for every Trainer in this process: a
# second run of the same model (another script's main in the same process, say) compiles
# nothing. Each run resets the model's weights and optimizer before it trains.
_COMPILED = {}


def architecture(model):
    """What makes two models the same architecture: their configuration, names left out."""
    return json.dumps(model_config.configuration(model), sort_keys=True, default=repr)


def compiled_loop_for(model, block_size):
    """The model and compiled loop this process keeps for ``model``'s architecture (compiled
    by the script's ``Steps.compile``), made from ``model`` the first time."""
    key = (backend.name(), architecture(model), block_size)
    if key not in _COMPILED:
        _COMPILED[key] = model, backend.article_loop().CompiledLoop(model, block_size)
    return _COMPILED[key]


class EpochsHeard(keras.callbacks.Callback):
    """What the package hears of a script's ``fit`` loop: each epoch's loss and accuracy, as
    ``fit`` logs them; ``on_block`` called every ``block_size`` epochs, as the compiled loop
    calls it; and a stop request honoured after the epoch (``model.stop_training``)."""

    def __init__(self, block_size, on_block=None, should_stop=None):
        super().__init__()
        self.block_size, self.on_block, self.should_stop = block_size, on_block, should_stop or (lambda: False)
        self.losses, self.accuracies, self.heard = [], [], 0

    def on_epoch_end(self, epoch, logs=None):
        self.losses.append(logs["loss"])
        self.accuracies.append(logs.get("accuracy", np.nan))
        if len(self.losses) - self.heard == self.block_size:
            self.tell()
        if self.should_stop():
            self.model.stop_training = True

    def tell(self):
        """``on_block`` of the epochs not yet told."""
        if self.on_block is not None and len(self.losses) > self.heard:
            self.on_block(len(self.losses), np.array(self.losses[self.heard:])[None],
                          np.array(self.accuracies[self.heard:])[None])
        self.heard = len(self.losses)


def forget_compiled():
    """Drop every kept compiled loop (tests that change how Keras compiles use this)."""
    _COMPILED.clear()


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


def iter_stacked_blocks(n_epochs, n_timesteps, rngs, block_size=BLOCK_SIZE):
    """Yield blocks for several runs at once: ``X`` and ``y`` shaped ``(runs, n, timesteps, 1)``.

    Run r's sequences are drawn from ``rngs[r]`` alone, exactly as ``iter_blocks`` draws them.
    """
    for blocks in zip(*(iter_blocks(n_epochs, n_timesteps, rng, block_size) for rng in rngs)):
        X, y = zip(*blocks)
        yield np.stack(X), np.stack(y)


class Trainer:
    """Train one architecture with the article's protocol, as many runs as asked.

    ``build`` returns a new, uncompiled Keras model, which the script's ``steps`` (``Steps``)
    compile and, with ``loop="fit"``, train. Each run starts from weights drawn under its own
    seed (``keras.utils.set_random_seed``), so two architectures started with the same seed
    draw their weights from the same stream. With the compiled loop the model and its
    compiled function are kept between runs and only their weights and optimizer state are
    reset, so compilation is paid once per architecture.
    """

    def __init__(self, build, steps, loop="compiled", block_size=BLOCK_SIZE):
        if loop not in LOOPS:
            raise ValueError(f"loop must be one of {', '.join(LOOPS)}, got {loop!r}")
        self.build, self.steps, self.loop = build, steps, loop
        self.block_size = check_count("block_size", block_size)
        self.model = None
        self.compiled = None  # the backend's CompiledLoop, once made

    @property
    def max_runs(self):
        """How many runs ``run_together`` takes at once (None: any number)."""
        if self.loop == "fit":
            return 1
        return backend.article_loop().CompiledLoop.max_runs

    def start_runs(self, weights_seeds):
        """Fresh weights for one run per seed, each drawn under its seed, and fresh optimizers."""
        fresh = []
        for weights_seed in weights_seeds:
            keras.utils.set_random_seed(weights_seed)
            fresh.append(self.build())
        if self.loop == "fit":
            self.model = self.steps.compile(fresh[0])
            return
        if self.model is None:
            self.model, self.compiled = compiled_loop_for(self.steps.compile(fresh[0]), self.block_size)
        self.compiled.start(fresh)

    def start_run(self, weights_seed):
        """Give the model fresh weights drawn under ``weights_seed`` and a fresh optimizer."""
        self.start_runs([weights_seed])
        return self.model

    def run_together(self, n_epochs, n_timesteps, rngs, weights_seeds, on_block=None,
                     should_stop=None):
        """Train one fresh model per seed for ``n_epochs`` epochs, all at once.

        Run r starts from weights drawn under ``weights_seeds[r]`` and trains on sequences
        drawn from ``rngs[r]``. ``on_block(epochs_done, losses, accuracies)`` is called after
        every block with that block's values, shaped ``(runs, n)``. Training stops early,
        between blocks (between epochs, with the fit loop), once ``should_stop()`` is true;
        the returned ``History`` of each run then holds its finished epochs and
        ``interrupted=True``.
        """
        n_epochs = check_count("n_epochs", n_epochs)
        if self.max_runs is not None and len(rngs) > self.max_runs:
            raise ValueError(f"this loop trains at most {self.max_runs} run(s) at once, got {len(rngs)}")
        should_stop = should_stop or (lambda: False)
        self.start_runs(weights_seeds)
        if self.loop == "fit":
            heard = EpochsHeard(self.block_size, on_block, should_stop)
            if not should_stop():
                self.steps.train(self.model, n_timesteps, n_epochs, rngs[0], callbacks=[heard])
                heard.tell()
            return [History(loss=np.array(heard.losses, float), accuracy=np.array(heard.accuracies, float),
                            interrupted=len(heard.losses) < n_epochs)]
        losses, accuracies, done = [], [], 0
        for X, y in iter_stacked_blocks(n_epochs, n_timesteps, rngs, self.block_size):
            if should_stop():
                break
            block_loss, block_accuracy = self.train_block(X, y)
            losses.append(block_loss)
            accuracies.append(block_accuracy)
            done += block_loss.shape[1]
            if on_block is not None:
                on_block(done, block_loss, block_accuracy)
        loss = np.concatenate(losses, axis=1) if losses else np.zeros((len(rngs), 0))
        accuracy = np.concatenate(accuracies, axis=1) if accuracies else np.zeros((len(rngs), 0))
        return [History(loss=loss[r], accuracy=accuracy[r], interrupted=done < n_epochs)
                for r in range(len(rngs))]

    def run(self, n_epochs, n_timesteps, rng, weights_seed, on_block=None, should_stop=None):
        """Train a fresh model for ``n_epochs`` epochs on sequences drawn from ``rng``.

        The same as ``run_together`` with one run; returns its ``History``.
        """
        (history,) = self.run_together(n_epochs, n_timesteps, [rng], [weights_seed],
                                       on_block=on_block, should_stop=should_stop)
        return history

    def train_block(self, X, y):
        """The compiled loop: one update per sequence of the block ``X, y`` (shaped ``(runs, n,
        timesteps, 1)``); return their losses and accuracies, shaped ``(runs, n)``."""
        return self.compiled.train_block(X, y)

    def predict(self, X):
        """Every run's predictions for ``X`` from the weights it reached, ``(runs, *y.shape)``."""
        if self.compiled is not None:
            return self.compiled.predict(X)
        return predict_probabilities(self.model, X)[None]

    def trained_model(self, run=0):
        """The model with the weights run ``run`` of the last ``run_together`` reached."""
        if self.compiled is not None:
            self.compiled.load_run(run)
        return self.model


def accuracy(probabilities, y):
    """Held-out accuracy: the share of correct timesteps and of wholly correct sequences."""
    correct = (probabilities > 0.5).astype(np.int64) == y
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


PICTURED = 4  # new sequences a run's picture shows (``plots.plot_sequences``)


def example_sequences(seed, n_timesteps, n_sequences=PICTURED):
    """New sequences to show trained models' predictions on, step by step, drawn from the run's
    seed; the first is the one ``example_sequence`` gives (a classifier prints it)."""
    return get_sequences(n_sequences, n_timesteps, np.random.default_rng([seed, _EXAMPLE_STREAM]))


def example_sequence(seed, n_timesteps):
    """One new sequence to show the trained model's predictions on, step by step."""
    return example_sequences(seed, n_timesteps, 1)


@dataclass(frozen=True)
class Stopped:
    """Where a stop request ended ``train_runs``: in (or before) ``model``'s run(s)
    ``repeats``, after ``epochs`` finished epochs of them."""

    model: str
    repeats: list
    epochs: int


@dataclass
class Runs:
    """What ``train_runs`` trained: every finished epoch, each finished run's held-out accuracy,
    the models, where a stop came, and the first run's predictions on the pictured sequences."""

    curves: pd.DataFrame  # columns model, repeat, epoch, loss, accuracy
    evaluations: dict  # model name -> one ``accuracy`` dict per finished run
    models: dict  # model name -> its model, with the weights of its last finished run
    stopped: Stopped | None  # where a stop request ended training, or None
    pictures: dict  # model name -> probabilities of its run 0 on ``pictured``, (n, timesteps, 1)


def train_runs(builders, steps, *, n_timesteps, epochs, repeats, seed, loop="compiled",
               batch_repeats=False, eval_sequences=1000, progress=None, should_stop=None, pictured=None):
    """Train every model ``repeats`` times with paired seeds and evaluate each run.

    ``builders`` maps a model name to a function returning a new model, which the script's
    ``steps`` compile (and with ``loop="fit"`` train: ``Steps``). Repeat r trains
    every model from the weights seed and on the sequences of ``repeat_seeds(seed, r)``,
    then measures it on one fixed held-out set. With ``batch_repeats`` (where the loop can,
    see ``trains_runs_together``) each model trains its repeats all at once, model after model;
    otherwise one run at a time, repeat after repeat. The pairing is the same either way.
    ``progress(name, group)``, if given, returns the ``on_block`` callback (with a
    ``close()`` method) of training ``name`` for the repeats listed in ``group``.

    Returns ``Runs``: ``curves`` ordered by model, repeat and epoch; ``stopped`` None, or a
    ``Stopped`` saying where a stop request (``should_stop``) ended training, between runs or
    in one; ``pictures``, each model's first run's predictions on the sequences ``pictured``
    (when given), the same sequences for every model.
    """
    trainers = {name: Trainer(build, steps, loop=loop) for name, build in builders.items()}
    X_held_out, y_held_out = held_out_set(seed, eval_sequences, n_timesteps)
    frames, evaluations, pictures = [], {name: [] for name in builders}, {}
    if batch_repeats and trains_runs_together(loop):
        groups = [(name, list(range(repeats))) for name in trainers]
    else:
        groups = [(name, [repeat]) for repeat in range(repeats) for name in trainers]
    stopped = None
    for name, group in groups:
        if should_stop and should_stop():  # asked between runs: start no other
            stopped = Stopped(name, group, 0)
            break
        trainer = trainers[name]
        weights_seeds, data_rngs = zip(*(repeat_seeds(seed, repeat) for repeat in group))
        on_block = progress(name, group) if progress else None
        histories = trainer.run_together(epochs, n_timesteps, data_rngs, weights_seeds,
                                         on_block=on_block, should_stop=should_stop)
        if on_block is not None:
            on_block.close()
        for repeat, history in zip(group, histories):
            frames.append(pd.DataFrame({
                "model": name,
                "repeat": repeat,
                "epoch": np.arange(1, history.epochs + 1),
                "loss": history.loss,
                "accuracy": history.accuracy,
            }))
        if histories[0].interrupted:
            stopped = Stopped(name, group, histories[0].epochs)
            break
        evaluations[name] += [accuracy(p, y_held_out) for p in trainer.predict(X_held_out)]
        if pictured is not None and group[0] == 0:
            pictures[name] = trainer.predict(pictured)[0]
        trainer.trained_model(len(group) - 1)  # the model returned holds the last repeat
    order = {name: index for index, name in enumerate(builders)}
    columns = ["model", "repeat", "epoch", "loss", "accuracy"]
    curves = pd.concat(frames or [pd.DataFrame(columns=columns)], ignore_index=True).sort_values(
        ["model", "repeat", "epoch"], key=lambda column: column.map(order) if column.name == "model"
        else column, kind="stable", ignore_index=True)
    return Runs(curves, evaluations, {name: t.model for name, t in trainers.items()}, stopped, pictures)
