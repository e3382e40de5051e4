"""Labelled sequences of any lengths, padded for Keras (``SequenceSet``), and ``from_rows``, the one
way every source of sequences becomes one. ``X``'s extra last feature is 1 on real steps and 0 on
padding, so ``Masking(mask_value=0)`` masks exactly the padding, whatever the values."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bilstm_companion.memory import available_memory, size_text
from bilstm_companion.own_data import DataError

# The largest feature value: beyond about 1.8e19, the float32 variance the model scales by could overflow.
LARGEST_FEATURE = 1e19


@dataclass
class SequenceSet:
    """Sequences, padded, with their labels."""

    ids: np.ndarray  # (sequences,) each sequence's id, as written
    X: np.ndarray  # (sequences, timesteps, features + 1) float32; the last feature: 1 = real step
    steps: np.ndarray  # (sequences, timesteps) each real step's order value; padding: NaN
    y: np.ndarray | None  # class indices, (sequences, timesteps) or (sequences,); None: unlabelled
    classes: list  # class names in index order, as text
    features: list  # feature names, in the order of X's features

    def __len__(self):
        return len(self.ids)

    @property
    def mask(self):
        """True on real steps, False on padding: ``(sequences, timesteps)``."""
        return self.X[:, :, -1] > 0

    @property
    def lengths(self):
        return self.mask.sum(axis=1)

    def subset(self, index):
        """The sequences at the positions ``index``."""
        return SequenceSet(self.ids[index], self.X[index], self.steps[index],
                           None if self.y is None else self.y[index], self.classes, self.features)


def first_beyond(values):
    """The first row of ``values`` with a feature beyond ±``LARGEST_FEATURE``, or None."""
    rows = np.flatnonzero((np.abs(values) > LARGEST_FEATURE).reshape(len(values), -1).any(axis=1))
    return int(rows[0]) if len(rows) else None


def from_rows(sequence_of_row, ids, order, values, features, *, source="X", line_of=None):
    """Rows of ``values``, each with its sequence (numbered as in ``ids``) and ``order`` (None: row order),
    as a ``SequenceSet`` and the row of each real step, in its ``mask``'s order. ``DataError`` for a step
    given twice (naming its lines, ``line_of(row)``, where given), an empty sequence, a real step's value
    not finite or beyond ``LARGEST_FEATURE``, or padded arrays over the free memory (``source`` names it)."""
    counted = order is None
    order = np.arange(len(values), dtype=float) if counted else order
    rows = np.lexsort((order, sequence_of_row))
    sequence, order = sequence_of_row[rows], order[rows]
    repeated = np.flatnonzero((np.diff(sequence) == 0) & (np.diff(order) == 0))
    if len(repeated):
        first, second = sorted(rows[repeated[0]:repeated[0] + 2])
        where = f" (lines {line_of(first)} and {line_of(second)})" if line_of else ""
        raise DataError(f"sequence {ids[sequence[repeated[0]]]!r} has step {order[repeated[0]]:g} twice{where}")
    starts = np.concatenate([[0], np.cumsum(np.bincount(sequence, minlength=len(ids)))[:-1]])
    position = np.arange(len(rows)) - starts[sequence]
    # Each sequence's trailing all-NaN rows are a NaN-padded array's padding.
    laid = values[rows]
    blank = np.isnan(laid).all(axis=1)
    last = np.full(len(ids), -1)
    np.maximum.at(last, sequence[~blank], position[~blank])
    if (last < 0).any():
        raise DataError(f"sequence {np.flatnonzero(last < 0)[0]} has no steps (an empty sequence, or NaN at every step)")
    keep = position <= last[sequence]
    rows, sequence, position, order, laid = (part[keep] for part in (rows, sequence, position, order, laid))
    bad = np.argwhere(~np.isfinite(laid))
    if len(bad):
        row, feature = bad[0]
        kind = "NaN" if np.isnan(laid[row, feature]) else "an infinite value"
        raise DataError(f"sequence {sequence[row]} has {kind} at step {position[row] + 1} (feature "
                        f"{feature + 1}), among its real steps; NaN marks only padding at the end of a sequence")
    beyond = first_beyond(laid)
    if beyond is not None:
        raise DataError(f"sequence {sequence[beyond]} has a value beyond ±{LARGEST_FEATURE:g}, more than the "
                        "model can scale in float32")
    n_sequences, n_steps = len(ids), int(position.max()) + 1
    needed = n_sequences * n_steps * ((values.shape[1] + 1) * 4 + 8 + 8)  # X, the steps, labels per step
    free = available_memory()
    if free is not None and needed > free:
        raise DataError(f"{source} padded to its longest sequence ({n_steps} steps) would take {size_text(needed)}, "
                        f"more than the {size_text(free)} free here; shorten or leave out the longest sequences")
    X = np.zeros((n_sequences, n_steps, values.shape[1] + 1), np.float32)
    X[sequence, position, :-1] = laid
    X[sequence, position, -1] = 1.0
    steps = np.full((n_sequences, n_steps), np.nan)
    steps[sequence, position] = position + 1 if counted else order
    return SequenceSet(np.asarray(ids), X, steps, None, [], [str(name) for name in features]), rows


def codes_in(labels, classes):
    """Each of ``labels``' position in ``classes``; ``DataError`` for a label not among them."""
    codes = pd.Categorical(np.asarray(labels), categories=pd.Index(np.asarray(classes))).codes.astype(np.int64)
    if (codes < 0).any():
        unknown = np.asarray(labels)[codes < 0][0]
        raise DataError(f"y holds the label {unknown!r}, which is not one of the classes "
                        f"({', '.join(map(str, classes))})")
    return codes


def shorten(data, max_steps):
    """``data`` with sequences longer than ``max_steps`` resampled to it (for a label per sequence only)."""
    if data.y is not None and data.y.ndim == 2:
        raise ValueError("only sequences with one label each can be shortened")
    lengths = data.lengths
    longer = np.flatnonzero(lengths > max_steps)
    if not len(longer):
        return data
    X, steps = data.X[:, :max_steps].copy(), data.steps[:, :max_steps].copy()
    where = np.linspace(0.0, 1.0, max_steps)
    for index in longer:
        original = np.linspace(0.0, 1.0, lengths[index])
        for feature in range(X.shape[-1]):  # (the last, 1 on every real step, stays 1)
            X[index, :, feature] = np.interp(where, original, data.X[index, :lengths[index], feature])
        steps[index] = np.interp(where, original, data.steps[index, :lengths[index]])
    return SequenceSet(data.ids, X, steps, data.y, data.classes, data.features)


def feature_statistics(data):
    """Each feature's mean and variance over ``data``'s real steps; variance 1 where it never varies."""
    real = data.X[data.mask][:, :-1].astype(np.float64)
    variance = real.var(axis=0)
    return real.mean(axis=0), np.where(variance > 0, variance, 1.0)
