"""Simple classifiers to set beside the article's models, and how any classifier is scored.

A model's accuracy means little alone. Two references here need no training at all:

- ``majority``: always the commonest class of the training sequences (per step or per
  sequence, as the labels are);
- ``nearest_neighbour``: for a label per sequence, the label of the training sequence
  closest to it, the standard reference of time-series classification (the UCR archive
  reports it for every data set). Each feature is z-normalised within each sequence,
  every sequence is resampled to one length, and closeness is Euclidean distance.

The third baseline, ``no_memory``, is a network (the article's model without its LSTM), so
it is built beside the others in ``classify_sequences.py``.
"""

import numpy as np

REFERENCE_LENGTH = 512  # at most this many points per resampled sequence, to bound the cost


def score(data, predicted):
    """``(correct, counted)`` per sequence of ``data``: the real steps (or the one label)
    that ``predicted`` got right, and how many there were. Accuracy over any set of
    sequences is then ``correct.sum() / counted.sum()``; sequences are the independent units."""
    if data.y.ndim == 2:  # a label per step: count the real steps only
        mask = data.mask
        return ((predicted == data.y) & mask).sum(axis=1), mask.sum(axis=1)
    return (predicted == data.y).astype(np.int64), np.ones(len(data), np.int64)


def majority(training, scored):
    """Predict the commonest class of ``training`` everywhere in ``scored``."""
    labels = training.y[training.mask] if training.y.ndim == 2 else training.y
    commonest = int(np.bincount(labels, minlength=len(training.classes)).argmax())
    shape = scored.X.shape[:2] if training.y.ndim == 2 else (len(scored),)
    return np.full(shape, commonest, np.int64)


def resampled(data, length):
    """Each sequence's features z-normalised within the sequence (a flat feature is only
    centred) and linearly resampled to ``length`` points: ``(sequences, length * features)``."""
    mask = data.mask
    n_features = data.X.shape[-1] - 1
    result = np.empty((len(data), length, n_features))
    for index in range(len(data)):
        values = data.X[index, mask[index], :-1].astype(np.float64)
        spread = values.std(axis=0)
        values = (values - values.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
        where = np.linspace(0, len(values) - 1, length)
        for feature in range(n_features):
            result[index, :, feature] = np.interp(where, np.arange(len(values)), values[:, feature])
    return result.reshape(len(data), -1)


def nearest_neighbour(training, scored, chunk=1024):
    """Predict each sequence of ``scored`` with the label of its nearest training sequence
    (ties go to the first in training order)."""
    longest = int(max(training.mask.sum(axis=1).max(), scored.mask.sum(axis=1).max()))
    length = min(longest, REFERENCE_LENGTH)
    references, queries = resampled(training, length), resampled(scored, length)
    squared = (references**2).sum(axis=1)
    nearest = np.empty(len(scored), np.int64)
    for start in range(0, len(scored), chunk):
        # |q - r|^2 = |r|^2 - 2 q.r + |q|^2; the last term is the same for every r.
        distances = squared[None, :] - 2 * queries[start:start + chunk] @ references.T
        nearest[start:start + chunk] = distances.argmin(axis=1)
    return training.y[nearest]
