"""Which batch widths a run compiles: as many as its epochs repay (docs/performance.md, "Which widths").

A width costs seconds to compile, an epoch of a few hundred sequences a fraction of one. The choice
reads costs measured once here, never a clock, so a rerun trains on the same batches; PyTorch
compiles nothing and keeps ``padded_lengths``' full ladder.
"""

from collections import namedtuple

import numpy as np

from bilstm_companion.own_data.batches import padded_lengths

# In seconds, on one backend: compiling the programs of one more width, and one step of one full
# batch (for training: the update and its share of validation).
Costs = namedtuple("Costs", ["compile", "step"])

# Measured with the default bidirectional LSTM, batches of 32 to train and 256 to predict.
TRAINING = {"tensorflow": Costs(compile=2.0, step=2.1e-4), "jax": Costs(compile=1.7, step=0.85e-4)}
PREDICTING = {"tensorflow": Costs(compile=0.05, step=1.2e-4), "jax": Costs(compile=0.45, step=1.4e-4)}

EPOCHS_PER_PATIENCE = 3  # early stopping ends a run after about this many times its patience


def chosen(lengths, candidates, batch_size, passes, costs):
    """The ``candidates`` (ascending) that make compiling them plus ``passes`` passes over ``lengths``
    cheapest as ``costs`` prices them (None: all). Exact dynamic programming over where each width
    ends: ``best[end]`` is ``best[start]``, one compilation and the steps between; a tie keeps fewer."""
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
