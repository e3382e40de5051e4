"""Simple classifiers to set beside the article's models, and how any classifier is scored.

A model's accuracy means little alone. Two references here need no training at all:

- ``majority``: always the commonest class of the training sequences (per step or per
  sequence, as the labels are);
- ``nearest_neighbour``: for a label per sequence, the label of the training sequence
  closest to it, the standard reference of time-series classification (the UCR archive
  reports it for every data set). Each feature is z-normalised within each sequence,
  every sequence is resampled to one length, and closeness is Euclidean distance.
- ``nearest_neighbour_dtw``: the same under dynamic time warping (DTW), the archive's
  reference: sequences at their own lengths, each step free to match any step of the other
  sequence in order (a full warping window), through ``dtaidistance``'s C library. Its cost
  grows with the product of the lengths, so ``dtw_seconds`` estimates it first.

The third baseline, ``no_memory``, is a network (the article's model without its LSTM), so
it is built beside the others in ``classify_sequences.py``.
"""

import time

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
    longest = int(max(training.lengths.max(), scored.lengths.max()))
    length = min(longest, REFERENCE_LENGTH)
    references, queries = resampled(training, length), resampled(scored, length)
    squared = (references**2).sum(axis=1)
    nearest = np.empty(len(scored), np.int64)
    for start in range(0, len(scored), chunk):
        # |q - r|^2 = |r|^2 - 2 q.r + |q|^2; the last term is the same for every r.
        distances = squared[None, :] - 2 * queries[start:start + chunk] @ references.T
        nearest[start:start + chunk] = distances.argmin(axis=1)
    return training.y[nearest]


# Dynamic time warping ---------------------------------------------------------------------------------

def dtw_series(data, scale):
    """Each sequence of ``data`` as a ``(steps, features)`` float64 array of its real steps,
    every feature divided by ``scale`` (its spread over the training sequences, so that no
    feature outweighs another only by its unit; with one feature, no distance changes order)."""
    mask = data.mask
    return [np.ascontiguousarray(data.X[index, mask[index], :-1].astype(np.float64) / scale)
            for index in range(len(data))]


def feature_scale(training):
    """Each feature's standard deviation over the real steps of ``training`` (1 where flat)."""
    spread = training.X[training.mask][:, :-1].astype(np.float64).std(axis=0)
    return np.where(spread > 0, spread, 1.0)


def dtw_distances(references, queries):
    """DTW distances, ``(len(references), len(queries))``: squared differences summed along the
    best warping path, then the square root, with no window (the archive's "DTW (w=100)");
    dependent DTW over several features. Pruning stays off: it can lose a nearest neighbour
    to rounding where the best path is the diagonal."""
    from dtaidistance import dtw, dtw_ndim

    if dtw.dtw_cc is None:
        raise RuntimeError("dtaidistance's compiled C library is missing (pip install --force-reinstall "
                           "dtaidistance); the pure-Python one would take hours")
    n_features = references[0].shape[1]
    block = ((0, len(references)), (len(references), len(references) + len(queries)))
    distances = dtw_ndim.distance_matrix_fast(list(references) + list(queries), ndim=n_features, block=block,
                                              compact=True, parallel=True, window=None)
    return np.asarray(distances).reshape(len(references), len(queries))


def nearest_neighbour_dtw(training, scored, chunk=512):
    """Predict each sequence of ``scored`` with the label of its nearest training sequence
    under DTW (ties go to the first in training order, as the archive breaks them)."""
    scale = feature_scale(training)
    references, queries = dtw_series(training, scale), dtw_series(scored, scale)
    nearest = np.empty(len(queries), np.int64)
    for start in range(0, len(queries), chunk):
        nearest[start:start + chunk] = dtw_distances(references, queries[start:start + chunk]).argmin(axis=0)
    return training.y[nearest]


def dtw_seconds(training, scored, sample=16):
    """About how long ``nearest_neighbour_dtw`` would take here, in seconds: the time of the
    pairs of a few sequences, less a call's fixed cost, scaled by the steps of every pair
    (DTW's cost is the product of two lengths: about 5 ns a pair of steps on this project's
    machine)."""
    scale = feature_scale(training)
    references, queries = dtw_series(training, scale)[:sample], dtw_series(scored, scale)[:sample]

    def timed(*pairs):
        start = time.perf_counter()
        dtw_distances(*pairs)
        return time.perf_counter() - start

    timed(references[:1], queries[:1])  # (the threads start)
    fixed = timed(references[:1], queries[:1])
    per_cell = max(timed(references, queries) - fixed, 0.0) / max(
        sum(map(len, references)) * sum(map(len, queries)) - len(references[0]) * len(queries[0]), 1)
    return fixed + per_cell * float(training.mask.sum()) * float(scored.mask.sum())
