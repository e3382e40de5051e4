"""Mini-batches of sequences of similar length, each padded to the narrowest of a few widths that holds it,
not to the file's longest (lengths 5 to 100: half an LSTM's work would be padding); masking hides the
padding, so no prediction or loss depends on the width. A run compiles only the widths its epochs repay
(``for_training``), priced by costs measured once, never a clock, so a rerun gets the same batches; PyTorch
compiles nothing and keeps ``padded_lengths``' full ladder (docs/performance.md, "Which widths").
"""

import math
from collections import namedtuple

import keras
import numpy as np

SHORT_STEP = 8  # widths up to SHORT_UP_TO steps go up 8 steps at a time
SHORT_UP_TO = 64
GROWTH = 1.25  # beyond it, each width is about 1.25 times the one before


def padded_lengths(longest):
    """The widths a batch may have: 8, 16, ... 64, then about 1.25x (multiples of 8), then ``longest``.
    Each is a shape to compile, so they stay few (10 up to 100 steps, 30 up to 10,000)."""
    if longest < 1:
        raise ValueError(f"longest must be at least 1, got {longest}")
    widths = list(range(SHORT_STEP, SHORT_UP_TO + 1, SHORT_STEP))
    while widths[-1] < longest:
        widths.append(SHORT_STEP * math.ceil(widths[-1] * GROWTH / SHORT_STEP))
    return tuple(width for width in widths if width < longest) + (int(longest),)


# Seconds, on one backend: compiling one more width's programs; one step of a full batch (training: with
# its share of validation).
Costs = namedtuple("Costs", ["compile", "step"])

# Measured with the default bidirectional LSTM, batches of 32 to train and 256 to predict.
TRAINING = {"tensorflow": Costs(compile=2.0, step=2.1e-4), "jax": Costs(compile=1.7, step=0.85e-4)}
PREDICTING = {"tensorflow": Costs(compile=0.05, step=1.2e-4), "jax": Costs(compile=0.45, step=1.4e-4)}

EPOCHS_PER_PATIENCE = 3  # early stopping ends a run after about this many times its patience


def chosen(lengths, candidates, batch_size, passes, costs):
    """The ``candidates`` (ascending) that make compiling them plus ``passes`` passes over ``lengths``
    cheapest as ``costs`` prices them (None: all); exact dynamic programming, a tie keeping fewer."""
    candidates = tuple(int(width) for width in candidates)
    if costs is None or len(candidates) == 1:
        return candidates
    # How many sequences need each candidate (the narrowest that holds them).
    counts = np.bincount(np.searchsorted(candidates, np.asarray(lengths)), minlength=len(candidates))
    below = np.concatenate([[0], np.cumsum(counts)])
    step = passes * costs.step / batch_size  # one sequence padded one step, over every pass
    best, came_from = [0.0] * (len(candidates) + 1), [0] * (len(candidates) + 1)
    for end in range(1, len(candidates) + 1):  # candidates[end - 1] chosen
        options = [(best[start] + costs.compile + step * candidates[end - 1] * (below[end] - below[start]), start)
                   for start in range(end)]
        best[end], came_from[end] = min(options)
    widths, end = [], len(candidates)
    while end:
        widths.append(candidates[end - 1])
        end = came_from[end]
    return tuple(reversed(widths))


def for_training(lengths, longest, batch_size, epochs, patience, backend):
    """``(widths, first_widths)`` of a training run: those it compiles, and the fewer its first epoch pads to."""
    costs = TRAINING.get(backend)
    passes = max(1, min(int(epochs), EPOCHS_PER_PATIENCE * int(patience)))  # early stopping ends most runs sooner
    widths = chosen(lengths, padded_lengths(longest), batch_size, passes, costs)
    return widths, chosen(lengths, widths, batch_size, 1, costs)


def for_prediction(lengths, longest, batch_size, backend):
    """The widths of one pass of prediction over sequences of ``lengths``."""
    return chosen(lengths, padded_lengths(longest), batch_size, 1, PREDICTING.get(backend))


def plan_batches(lengths, batch_size, widths, rng=None, order_rng=None):
    """``(index arrays, widths)``: sequences sorted by width, cut into batches reaching one width up at most;
    ``rng`` shuffles within widths and batch order (``order_rng``'s where given); without, narrowest first."""
    lengths, widths = np.asarray(lengths), np.asarray(widths)
    if len(lengths) == 0:
        raise ValueError("there are no sequences to put into batches")
    if lengths.max() > widths[-1]:
        raise ValueError(f"a sequence of {lengths.max()} steps is longer than every width")
    width_of = np.searchsorted(widths, lengths)  # the narrowest width that holds each
    tie_break = np.arange(len(lengths)) if rng is None else rng.permutation(len(lengths))
    order = np.lexsort((tie_break, width_of))
    sorted_width = width_of[order]
    batches, batch_widths, start = [], [], 0
    while start < len(order):
        reach = np.searchsorted(sorted_width, sorted_width[start] + 1, side="right")
        stop = min(start + batch_size, reach)
        batches.append(order[start:stop])
        batch_widths.append(widths[sorted_width[stop - 1]])
        start = stop
    batch_widths = np.array(batch_widths, dtype=np.int64)
    served = np.arange(len(batches)) if rng is None else (order_rng or rng).permutation(len(batches))
    # Keras on TensorFlow learns which dimensions may vary from the first two batches served: so
    # the second is the first of another width, where there is one.
    other = np.flatnonzero(batch_widths[served] != batch_widths[served[0]])
    if len(other) and other[0] > 1:
        served[[1, other[0]]] = served[[other[0], 1]]
    return [batches[index] for index in served], batch_widths[served]


class Batches(keras.utils.PyDataset):
    """A ``SequenceSet``'s sequences in batches of similar length, for Keras: dealt anew each epoch from
    ``(seed, epoch)`` (None: one order), widths in an order from ``order_seed`` (so ensemble members share
    a width at each step), epoch 0 padded to ``first_widths`` while the others compile; ``pad_to``: every
    batch's width (a check). With a label per step, a batch's steps weigh its mean length over the set's:
    Keras takes a batch's mean over real steps, then over batches by sequences, so the epoch's loss is
    every real step's mean.
    """

    def __init__(self, data, batch_size, *, targets=None, seed=None, order_seed=None, pad_to=None, widths=None,
                 first_widths=None):
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.X, self.targets, self.lengths = data.X, targets, data.lengths
        self.widths = padded_lengths(self.X.shape[1]) if widths is None else self.held(widths)
        self.first_widths = None if first_widths is None else np.asarray(self.held(first_widths))
        self.batch_size, self.seed, self.order_seed, self.pad_to = int(batch_size), seed, order_seed, pad_to
        self.per_step = targets is not None and targets.ndim == 3
        self.mean_length = float(self.lengths.mean()) if len(self.lengths) else 1.0
        self.epoch = 0
        self.batches, self.batch_widths = self.dealt(0)

    def held(self, widths):
        """``widths``, none wider than this set's arrays (validation may be padded less than training)."""
        return tuple(sorted({min(int(width), self.X.shape[1]) for width in widths}))

    def dealt(self, epoch):
        """The batches of epoch ``epoch`` (from ``(seed, epoch)``; one order without a seed)."""
        rng = None if self.seed is None else np.random.default_rng([self.seed, epoch])
        order_rng = None if self.order_seed is None else np.random.default_rng([self.order_seed, epoch])
        batches, widths = plan_batches(self.lengths, self.batch_size, self.widths, rng, order_rng)
        if epoch == 0 and self.first_widths is not None:
            widths = self.first_widths[np.searchsorted(self.first_widths, widths)]
        return batches, widths

    def __len__(self):
        return len(self.batches)

    def batch_plan(self, rows, width):
        """A batch's rows in the data's order (reading memory in order), its width and its steps' weight."""
        rows = np.sort(rows)
        width = int(width if self.pad_to is None else self.pad_to)
        weight = self.lengths[rows].mean() / self.mean_length if self.per_step else 1.0
        return rows, width, np.float32(weight)

    def __getitem__(self, index):
        rows, width, weight = self.batch_plan(self.batches[index], self.batch_widths[index])
        x = self.X[rows, :width]
        if self.targets is None:
            return (x,)
        if not self.per_step:
            return x, self.targets[rows]
        return x, self.targets[rows, :width], np.full((len(rows), width), weight, np.float32)

    def epoch_table(self, epoch):
        """Epoch ``epoch``'s batches as arrays ``(rows, counts, widths, weights)``, for ``feed_tensorflow``."""
        batches, widths = self.dealt(epoch)
        rows = np.zeros((len(batches), self.batch_size), np.int32)
        counts, sizes, weights = (np.zeros(len(batches), dtype) for dtype in (np.int32, np.int32, np.float32))
        for index, (batch, width) in enumerate(zip(batches, widths)):
            batch_rows, sizes[index], weights[index] = self.batch_plan(batch, width)
            rows[index, :len(batch_rows)], counts[index] = batch_rows, len(batch_rows)
        return rows, counts, sizes, weights

    def start_epoch(self, epoch):
        """Deal epoch ``epoch``'s batches (from 0); called by ``DealEachEpoch``, since Keras' dataset hooks
        also run when Keras peeks at a batch, and differ between backends."""
        before, self.epoch = self.epoch, epoch
        if self.seed is not None or (self.first_widths is not None and (before == 0) != (epoch == 0)):
            self.batches, self.batch_widths = self.dealt(epoch)  # (no seed: every later epoch as the second)


class DealEachEpoch(keras.callbacks.Callback):
    """Deals each of ``sets`` (``Batches``) anew before each epoch of ``fit``."""

    def __init__(self, *sets):
        super().__init__()
        self.sets = sets

    def on_epoch_begin(self, epoch, logs=None):
        for batches in self.sets:
            batches.start_epoch(epoch)


def predict_outputs(model, data, batch_size=256, *, pad_to=None, widths=None, predictor=None):
    """``model``'s outputs for every sequence of ``data``, in order, as ``model.predict`` shapes them
    (zeros past each batch's width). ``predictor``: replaces ``model.predict_on_batch`` (several devices)."""
    batches = Batches(data, batch_size, pad_to=pad_to, widths=widths)
    outputs = None
    for index in range(len(batches)):
        (x,) = batches[index]
        predicted = np.asarray(model.predict_on_batch(x) if predictor is None else predictor(x))
        if outputs is None:
            per_step = predicted.ndim == 3
            outputs = np.zeros((len(data), *((data.X.shape[1],) if per_step else ()),
                                *predicted.shape[1 + per_step:]), predicted.dtype)
        rows = np.sort(batches.batches[index])
        outputs[rows, :predicted.shape[1]] = predicted
    return outputs
