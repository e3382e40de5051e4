"""Mini-batches of sequences of similar length, each padded to the narrowest of a few widths that holds it,
not to the file's longest (with lengths from 5 to 100, half an LSTM's work would be padding). Masking
hides the padding, so no prediction or loss depends on the width (docs/performance.md)."""

import math

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


def plan_batches(lengths, batch_size, widths, rng=None, order_rng=None):
    """``(index arrays, widths)``: sequences sorted by width, cut into batches that reach one width up at most.
    ``rng`` shuffles each width's sequences and the batches' order (``order_rng`` draws the order where
    given, the same whatever ``rng``); without, narrowest first."""
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
    """The sequences of a ``SequenceSet`` in batches of similar length, for Keras: dealt anew each epoch
    from ``(seed, epoch)`` (None: one order), widths in an order from ``order_seed`` (so ensemble members
    share a width at each step), epoch 0 padded to ``first_widths`` while the others compile; every batch
    to ``pad_to`` where given (a check).

    With a label per step, a batch's steps weigh its mean length over the set's: Keras averages a
    batch's loss over its real steps, then batches by sequences, so the epoch's loss is then the mean
    over every real step, however the steps fall into batches.
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
        """Deal the batches of epoch ``epoch`` (from 0). Called by ``DealEachEpoch``: Keras' dataset
        hooks also run when Keras peeks at a batch, and differ between backends."""
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
