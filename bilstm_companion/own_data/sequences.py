"""Labelled sequences of any lengths, padded for Keras (``SequenceSet``), and ``from_rows``, the one
way every source of sequences becomes one. ``X``'s extra last feature is 1 on real steps and 0 on
padding, so ``Masking(mask_value=0)`` masks exactly the padding, whatever the values."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bilstm_companion.memory import available_memory, size_text

# The largest feature value: beyond about 1.8e19, the float32 variance the model scales by could overflow.
LARGEST_FEATURE = 1e19


class DataError(ValueError):
    """Data that cannot be used as it is; the message is one line saying why. ``option``: the command
    line's option it concerns, where one does (``compare_classifiers`` names its parameter instead)."""

    def __init__(self, message, option=None):
        super().__init__(message)
        self.option = option

    def on_the_command_line(self):
        return f"argument {self.option}: {self}" if self.option else str(self)


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
    rows = np.flatnonzero((np.abs(values) > LARGEST_FEATURE).any(axis=-1) if values.ndim > 1
                          else np.abs(values) > LARGEST_FEATURE)
    return int(rows[0]) if len(rows) else None


@dataclass
class Layout:
    """The rows sorted by sequence, then by step, with each one's sequence and position in it."""

    rows: np.ndarray  # the rows, in sequence and step order
    sequence: np.ndarray  # the sequence of each of those rows
    position: np.ndarray  # its position in its sequence, from 0
    order: np.ndarray  # its order value
    ids: np.ndarray  # each sequence's id

    @property
    def shape(self):
        """(sequences, steps of the longest)."""
        return len(self.ids), int(self.position.max()) + 1


def lay_out(sequence_of_row, ids, order, rows_named=None):
    """Rows (each one's sequence, numbered as ``ids`` lists them) sorted into sequences by ``order``;
    ``DataError`` for a step given twice, naming the rows with ``rows_named(first, second)`` (a CSV's lines)."""
    rows = np.lexsort((order, sequence_of_row))
    sequence, order = sequence_of_row[rows], order[rows]
    repeated = np.flatnonzero((np.diff(sequence) == 0) & (np.diff(order) == 0))
    if len(repeated):
        first, second = sorted(rows[repeated[0]:repeated[0] + 2])
        where = f" ({rows_named(first, second)})" if rows_named else ""
        raise DataError(f"sequence {ids[sequence[repeated[0]]]!r} has step {order[repeated[0]]:g} twice{where}")
    starts = np.concatenate([[0], np.cumsum(np.bincount(sequence, minlength=len(ids)))[:-1]])
    return Layout(rows, sequence, np.arange(len(rows)) - starts[sequence], order, np.asarray(ids))


def real_rows(layout, values):
    """``layout`` without each sequence's trailing all-NaN rows (NaN-padded arrays' padding);
    ``DataError`` for an empty sequence, or a value among real steps not finite or beyond ``LARGEST_FEATURE``."""
    laid = values[layout.rows]
    blank = np.isnan(laid).all(axis=1)
    last = np.full(len(layout.ids), -1)
    np.maximum.at(last, layout.sequence[~blank], layout.position[~blank])
    if (last < 0).any():
        raise DataError(f"sequence {np.flatnonzero(last < 0)[0]} has no steps (an empty sequence, or NaN at every step)")
    keep = layout.position <= last[layout.sequence]
    layout = Layout(layout.rows[keep], layout.sequence[keep], layout.position[keep], layout.order[keep], layout.ids)
    laid = laid[keep]
    bad = np.argwhere(~np.isfinite(laid))
    if len(bad):
        row, feature = bad[0]
        kind = "NaN" if np.isnan(laid[row, feature]) else "an infinite value"
        raise DataError(f"sequence {layout.sequence[row]} has {kind} at step {layout.position[row] + 1} (feature "
                        f"{feature + 1}), among its real steps; NaN marks only padding at the end of a sequence")
    beyond = first_beyond(laid)
    if beyond is not None:
        raise DataError(f"sequence {layout.sequence[beyond]} has a value beyond ±{LARGEST_FEATURE:g}, more than the "
                        "model can scale in float32")
    return layout


def from_rows(sequence_of_row, ids, order, values, features, *, source="X", rows_named=None):
    """Rows of feature ``values``, each row's sequence and ``order`` (None: the rows' own), as a
    ``SequenceSet`` and its ``Layout``, if the padded arrays fit in the free memory (``source`` names the data)."""
    counted = order is None
    layout = real_rows(lay_out(sequence_of_row, ids, np.arange(len(values), dtype=float) if counted else order,
                               rows_named), values)
    n_sequences, n_steps = layout.shape
    needed = n_sequences * n_steps * ((values.shape[1] + 1) * 4 + 8 + 8)  # X, the steps, labels per step
    free = available_memory()
    if free is not None and needed > free:
        raise DataError(f"{source} padded to its longest sequence ({n_steps} steps) would take {size_text(needed)}, "
                        f"more than the {size_text(free)} free here; shorten or leave out the longest sequences")
    X = np.zeros((n_sequences, n_steps, values.shape[1] + 1), np.float32)
    X[layout.sequence, layout.position, :-1] = values[layout.rows]
    X[layout.sequence, layout.position, -1] = 1.0
    steps = np.full((n_sequences, n_steps), np.nan)
    steps[layout.sequence, layout.position] = layout.position + 1 if counted else layout.order
    return SequenceSet(layout.ids, X, steps, None, [], [str(name) for name in features]), layout


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
    longer = np.flatnonzero(lengths > max_steps) if max_steps else []
    if not len(longer):
        return data
    X, steps = data.X[:, :max_steps].copy(), data.steps[:, :max_steps].copy()
    where = np.linspace(0.0, 1.0, max_steps)
    for index in longer:
        original = np.linspace(0.0, 1.0, lengths[index])
        for feature in range(X.shape[-1] - 1):
            X[index, :, feature] = np.interp(where, original, data.X[index, :lengths[index], feature])
        X[index, :, -1] = 1.0
        steps[index] = np.interp(where, original, data.steps[index, :lengths[index]])
    return SequenceSet(data.ids, X, steps, data.y, data.classes, data.features)


def feature_statistics(data):
    """Each feature's mean and variance over ``data``'s real steps; variance 1 where it never varies."""
    real = data.X[data.mask][:, :-1].astype(np.float64)
    variance = real.var(axis=0)
    return real.mean(axis=0), np.where(variance > 0, variance, 1.0)
