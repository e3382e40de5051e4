"""Mini-batches of sequences of similar length, each padded only as far as it needs.

``read_sequences`` pads every sequence to the longest in the file, and an LSTM steps
through every padded step, real or not: with lengths spread evenly from 5 to 100, about
half of its work is padding. Here the sequences are grouped by length into batches, and
each batch is cut to one of a small, fixed set of widths, the narrowest that holds its
longest sequence. Masking hides the padding, so neither a sequence's predictions nor a
batch's loss depend on how far the batch is padded.

- ``padded_lengths``: the ladder of widths a batch can have (``widths.py`` picks from it the
  widths a run compiles).
- ``plan_batches``: which sequences share each batch, and the width of each; seeded.
- ``Batches``: a ``keras.utils.PyDataset`` serving those batches to ``model.fit`` and
  ``model.evaluate``; a training set is dealt anew each epoch, from its seed and the
  epoch's number, so the same seed gives the same batches, epoch by epoch.
- ``DealEachEpoch``: the callback that tells a training set which epoch ``fit`` begins.
- ``predict_outputs``: the model's outputs for every sequence, batch by batch, in the data's order.
"""

import math

import keras
import numpy as np

SHORT_STEP = 8  # widths up to SHORT_UP_TO steps go up 8 steps at a time
SHORT_UP_TO = 64
GROWTH = 1.25  # beyond it, each width is about 1.25 times the one before


def padded_lengths(longest):
    """The widths a batch may be padded to, for data whose longest sequence has ``longest``
    steps: 8, 16, ... 64, then steps of about 1.25x (each a multiple of 8) below
    ``longest``, and ``longest`` itself, so that every sequence fits one of them.

    Every width is one more input shape for the backend to compile the training,
    validation and prediction functions for (JAX compiles once per shape, for seconds;
    TensorFlow relaxes to one function for every shape after a few), so the set must stay
    small however long the sequences: 10 widths up to 100 steps, 19 up to 1,000, 29 up to
    10,000. Geometric steps keep it small and pad a long sequence by at most a quarter of
    its width; among short sequences, where a quarter is a step or two, fixed steps of 8
    pad by at most 7 steps with only 8 widths. The set depends on ``longest`` alone, not on
    which sequences a set holds. A run compiles only those of them its epochs repay
    (``widths.py``), chosen once from its training sequences and shared by its validation.
    """
    if longest < 1:
        raise ValueError(f"longest must be at least 1, got {longest}")
    widths = list(range(SHORT_STEP, SHORT_UP_TO + 1, SHORT_STEP))
    while widths[-1] < longest:
        widths.append(SHORT_STEP * math.ceil(widths[-1] * GROWTH / SHORT_STEP))
    return tuple(width for width in widths if width < longest) + (int(longest),)


def plan_batches(lengths, batch_size, widths, rng=None, order_rng=None):
    """Which sequences share each batch, and the width each batch is padded to.

    ``lengths`` are the sequences' real lengths. Sorted by the width each needs, the
    sequences are cut into batches of ``batch_size`` in that order, so that batches rarely
    fall short of ``batch_size``; a batch may take in sequences of the next width up, and
    is then padded to that width, but never further: a sequence is padded at most one
    width beyond its own, and a very long sequence never drags a batch of short ones out
    to its length. With ``rng`` (a ``numpy.random.Generator``) the sequences of each width
    are shuffled before the cut, and the batches are served in a shuffled order (drawn from
    ``order_rng`` where given: the same ``order_rng`` gives the same width at every step,
    whatever ``rng``); without, the sequences keep their order within a width and the
    batches come narrowest first.

    Returns a list of index arrays into ``lengths`` and an array of widths, one per batch.
    """
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
    # Keras on TensorFlow learns the shapes of every batch from the first two it is served:
    # a dimension on which they differ may vary, one on which they agree may not. So the
    # second batch served is the first of another width, where there is one.
    other = np.flatnonzero(batch_widths[served] != batch_widths[served[0]])
    if len(other) and other[0] > 1:
        served[[1, other[0]]] = served[[other[0], 1]]
    return [batches[index] for index in served], batch_widths[served]


class Batches(keras.utils.PyDataset):
    """The sequences of a ``SequenceSet`` in batches of similar length, for Keras.

    ``targets``: the labels, shaped as the model's outputs (``(sequences,)``, or
    ``(sequences, timesteps, 1)`` with a label per step); None serves the inputs alone.
    ``seed``: deal the batches anew each epoch, from ``(seed, epoch)``, as training wants
    (``start_epoch``; ``fit`` calls it through ``DealEachEpoch``, and must not shuffle the
    batches again); None keeps one order, for validation. ``order_seed``: serve them in an
    order of widths drawn from ``(order_seed, epoch)`` instead: the members of an ensemble,
    each dealing its own batches, then have batches of one width at every step, and train
    together without padding each other's batches wider. ``widths``: the widths a batch may
    have (default: ``padded_lengths``' full ladder; ``widths.py`` chooses fewer where
    compiling them costs more than they save). ``first_widths``: in epoch 0, each batch is
    padded further, to the narrowest of these that holds it (the same batches, so the same
    losses): the first epoch then needs only their programs, while the others compile.
    ``pad_to``: pad every batch to this many steps instead of its width: the same batches,
    to check that the width changes nothing.

    With a label per step, each batch comes with a weight for its steps, so that every
    real step of the set weighs the same in the loss, however the steps fall into
    batches. Keras takes a batch's loss as the mean over its real steps, then the epoch's
    as the mean of the batches' losses weighted by their numbers of sequences: unweighted,
    each step of a batch of 5-step sequences would count ten times as much as a step of a
    batch of 50-step ones. Random batches of mixed lengths even this out; batches of one
    length do not. Weighting a batch by its mean real length over the set's makes each
    step's share of the gradient what it is, on average, in random batches, and the
    epoch's loss the mean over every real step, whatever the batches, as the accuracy is.
    """

    def __init__(self, data, batch_size, *, targets=None, seed=None, order_seed=None, pad_to=None, widths=None,
                 first_widths=None):
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.X, self.targets = data.X, targets
        self.lengths = data.lengths
        self.widths = padded_lengths(self.X.shape[1]) if widths is None else self.held(widths)
        self.first_widths = None if first_widths is None else np.asarray(self.held(first_widths))
        self.batch_size, self.seed, self.order_seed, self.pad_to = int(batch_size), seed, order_seed, pad_to
        self.per_step = targets is not None and targets.ndim == 3
        self.mean_length = float(self.lengths.mean()) if len(self.lengths) else 1.0
        self.epoch = 0
        self.deal()

    def held(self, widths):
        """``widths`` as this set's arrays hold them: none wider than its padded sequences
        (a validation set may be padded less than the training set that chose them)."""
        return tuple(sorted({min(int(width), self.X.shape[1]) for width in widths}))

    def dealt(self, epoch):
        """The batches of epoch ``epoch`` (from ``(seed, epoch)``; one order without a seed)."""
        rng = None if self.seed is None else np.random.default_rng([self.seed, epoch])
        order_rng = None if self.order_seed is None else np.random.default_rng([self.order_seed, epoch])
        batches, widths = plan_batches(self.lengths, self.batch_size, self.widths, rng, order_rng)
        if epoch == 0 and self.first_widths is not None:
            widths = self.first_widths[np.searchsorted(self.first_widths, widths)]
        return batches, widths

    def deal(self):
        """Cut the batches of the current epoch."""
        self.batches, self.batch_widths = self.dealt(self.epoch)

    def __len__(self):
        return len(self.batches)

    def batch_plan(self, rows, width):
        """A batch's rows in the data's order (which reads memory in order), its width, and the
        weight of its steps (with a label per step; else 1)."""
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
        """Epoch ``epoch``'s batches as arrays, as ``__getitem__`` would serve them: each batch's
        rows (padded with 0 to ``batch_size``), how many rows, its width and its steps' weight;
        for a feed that gathers the batches itself (``feed_tensorflow``)."""
        batches, widths = self.dealt(epoch)
        rows = np.zeros((len(batches), self.batch_size), np.int32)
        counts, sizes = np.zeros(len(batches), np.int32), np.zeros(len(batches), np.int32)
        weights = np.zeros(len(batches), np.float32)
        for index, (batch, width) in enumerate(zip(batches, widths)):
            batch_rows, sizes[index], weights[index] = self.batch_plan(batch, width)
            rows[index, :len(batch_rows)], counts[index] = batch_rows, len(batch_rows)
        return rows, counts, sizes, weights

    def start_epoch(self, epoch):
        """Deal the batches of epoch ``epoch`` (counted from 0), from ``(seed, epoch)``.

        ``fit`` hears of it through ``DealEachEpoch``, a callback told each epoch's number.
        Keras' own dataset hooks would not do: they are also called when Keras peeks at a
        batch to build the model, and not alike on every backend.
        """
        before, self.epoch = self.epoch, epoch
        if self.seed is not None or (self.first_widths is not None and (before == 0) != (epoch == 0)):
            self.deal()  # (without a seed, every epoch after the first is dealt as the second)


class DealEachEpoch(keras.callbacks.Callback):
    """Deals each of ``sets`` (``Batches``) anew before each epoch of ``fit``, for that epoch's
    number: the training batches, and validation's where its first epoch is padded apart."""

    def __init__(self, *sets):
        super().__init__()
        self.sets = sets

    def on_epoch_begin(self, epoch, logs=None):
        for batches in self.sets:
            batches.start_epoch(epoch)


def predict_outputs(model, data, batch_size=256, *, pad_to=None, widths=None, predictor=None):
    """``model``'s outputs for every sequence of ``data``, in its order, shaped as
    ``model.predict(data.X)`` returns them; past each batch's width (padding), zeros.
    ``widths``: those a batch may have, as for ``Batches``. ``predictor``: a batch's inputs
    to its outputs, in place of ``model.predict_on_batch`` (on several devices)."""
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
