"""Baselines that need no training, and how any classifier is scored.

For a label per sequence the nearest neighbour is the field's reference (the UCR archive reports it for every
data set): Euclidean on z-normalised sequences resampled to one length, or DTW with a full window.
"""

import time

import numpy as np

REFERENCE_LENGTH = 512  # at most this many points per resampled sequence, to bound the cost


def score(data, predicted):
    """``(correct, counted)`` per sequence, the independent units: its real steps (or its one label) predicted
    right, and how many there are."""
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
    """Sequences z-normalised (a flat feature only centred), resampled: ``(sequences, length * features)``."""
    mask, n_features = data.mask, data.X.shape[-1] - 1
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
    """The label of each scored sequence's nearest training sequence (ties: the first in training order)."""
    length = min(int(max(training.lengths.max(), scored.lengths.max())), REFERENCE_LENGTH)
    references, queries = resampled(training, length), resampled(scored, length)
    squared = (references**2).sum(axis=1)
    nearest = np.empty(len(scored), np.int64)
    for start in range(0, len(scored), chunk):
        # |q - r|^2 = |r|^2 - 2 q.r + |q|^2; the last term is the same for every r.
        distances = squared[None, :] - 2 * queries[start:start + chunk] @ references.T
        nearest[start:start + chunk] = distances.argmin(axis=1)
    return training.y[nearest]


# Dynamic time warping ---------------------------------------------------------------------------------

def dtw_series(data, training):
    """Each sequence's real steps, ``(steps, features)`` float64, each feature divided by its std over the
    real steps of ``training`` (1 where flat), so that no feature outweighs another only by its unit."""
    spread = training.X[training.mask][:, :-1].astype(np.float64).std(axis=0)
    scale, mask = np.where(spread > 0, spread, 1.0), data.mask
    return [np.ascontiguousarray(data.X[index, mask[index], :-1].astype(np.float64) / scale)
            for index in range(len(data))]


def dtw_distances(references, queries):
    """Dependent DTW distances with no window (the archive's "DTW (w=100)"), ``(references, queries)``.
    Pruning stays off: it can lose a nearest neighbour to rounding where the best path is the diagonal."""
    from dtaidistance import dtw, dtw_ndim

    if dtw.dtw_cc is None:
        raise RuntimeError("dtaidistance's compiled C library is missing (pip install --force-reinstall "
                           "dtaidistance); the pure-Python one would take hours")
    block = ((0, len(references)), (len(references), len(references) + len(queries)))
    distances = dtw_ndim.distance_matrix_fast(list(references) + list(queries), ndim=references[0].shape[1],
                                              block=block, compact=True, parallel=True, window=None)
    return np.asarray(distances).reshape(len(references), len(queries))


def nearest_neighbour_dtw(training, scored, chunk=512):
    """``nearest_neighbour`` under DTW (ties: the first in training order, as the archive breaks them)."""
    references, queries = dtw_series(training, training), dtw_series(scored, training)
    nearest = np.empty(len(queries), np.int64)
    for start in range(0, len(queries), chunk):
        nearest[start:start + chunk] = dtw_distances(references, queries[start:start + chunk]).argmin(axis=0)
    return training.y[nearest]


def dtw_seconds(training, scored, sample=16):
    """About how long ``nearest_neighbour_dtw`` would take here, in seconds: a few sequences' pairs
    timed, less a call's fixed cost, scaled by the product of the lengths of every pair."""
    references, queries = dtw_series(training, training)[:sample], dtw_series(scored, training)[:sample]

    def timed(*pairs):
        start = time.perf_counter()
        dtw_distances(*pairs)
        return time.perf_counter() - start

    timed(references[:1], queries[:1])  # (the threads start)
    fixed = timed(references[:1], queries[:1])
    per_cell = max(timed(references, queries) - fixed, 0.0) / max(
        sum(map(len, references)) * sum(map(len, queries)) - len(references[0]) * len(queries[0]), 1)
    return fixed + per_cell * float(training.mask.sum()) * float(scored.mask.sum())
