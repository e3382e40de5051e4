"""Which batch widths a run compiles: as many as the epochs it will train repay, no more.

Every batch width is one more shape for the backend to compile the training, validation and
prediction programs for, and compiling a width costs seconds (on this project's 2-core
machine, about 2 s on TensorFlow with XLA and 1.7 s on JAX for the bidirectional LSTM's
training step and its validation step), while an epoch of a few hundred sequences takes a
fraction of a second. So ``padded_lengths``' full ladder (8, 16, ... 64, then steps of about
1.25x) pays only where many sequences train for many epochs; on a small file, or a short run,
most of its widths cost more to compile than they ever save.

``chosen`` picks, from that ladder, the widths that make the run cheapest: compiling each
costs ``Costs.compile``; every step a batch is padded to costs ``Costs.step``, once for each
pass over the data the run is expected to make. The longest width is always kept, so every
sequence fits. The choice depends on the lengths, the batch size, the passes and the backend's
costs, never on a clock, so a run and its rerun train on the same batches, byte for byte.

- ``for_training``: the widths of a training run, and the narrower choice of its first epoch,
  which pays its compilations before any later epoch can repay them: the first epoch's
  batches are padded up to those, and the other widths compile as the second epoch meets
  them.
- ``for_prediction``: the widths of one pass of prediction.

The costs are a model, measured once on this project's machine with the default bidirectional
LSTM (docs/performance.md, "Which widths"), not a timing of this run: a faster machine
compiles and steps faster alike, so their ratio, which is all the choice depends on, moves
less than either. PyTorch compiles nothing, so it keeps the full ladder.
"""

from dataclasses import dataclass

import numpy as np

from harness.own_data.batches import padded_lengths


@dataclass(frozen=True)
class Costs:
    """What a width costs and what a padded step costs, in seconds, on one backend."""

    compile: float  # compiling the programs of one more width
    step: float  # one step of one full batch (for training: the update and its share of validation)


# Measured with the default bidirectional LSTM, batches of 32 to train and 256 to predict
# (docs/performance.md, "Which widths"). PyTorch is absent: it compiles nothing.
TRAINING = {"tensorflow": Costs(compile=2.0, step=2.1e-4), "jax": Costs(compile=1.7, step=0.85e-4)}
PREDICTING = {"tensorflow": Costs(compile=0.05, step=1.2e-4), "jax": Costs(compile=0.45, step=1.4e-4)}

EPOCHS_PER_PATIENCE = 3  # early stopping ends a run after about this many times its patience


def expected_epochs(epochs, patience):
    """The epochs a run can be expected to train: ``epochs`` at most, and early stopping ends
    most runs within a few times ``patience`` (the README's example: 190 epochs with a
    patience of 50)."""
    return max(1, min(int(epochs), EPOCHS_PER_PATIENCE * int(patience)))


def chosen(lengths, candidates, batch_size, passes, costs):
    """The widths, from ``candidates`` (ascending, the last holding every sequence), that make
    compiling them and ``passes`` passes over sequences of ``lengths`` in batches of
    ``batch_size`` cheapest, as ``costs`` prices them; ``costs`` None keeps every candidate.

    Each sequence is padded to the narrowest chosen width that holds it, so the choice is a
    partition of the candidates, solved exactly by dynamic programming over where each width
    ends: ``best[j]``, the cheapest way to hold every sequence up to ``candidates[j]`` with
    ``candidates[j]`` chosen, is ``best[i]`` plus one compilation plus the padded steps of
    the sequences between ``candidates[i]`` and ``candidates[j]``. A tie keeps fewer widths.
    """
    candidates = tuple(int(width) for width in candidates)
    if costs is None or len(candidates) == 1:
        return candidates
    lengths = np.asarray(lengths)
    # How many sequences need each candidate (the narrowest that holds them).
    counts = np.bincount(np.searchsorted(candidates, lengths), minlength=len(candidates))
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
    """The widths a training run on sequences of ``lengths`` (padded to ``longest``) compiles,
    and those of its first epoch (a subset): ``(widths, first_widths)``."""
    costs = TRAINING.get(backend)
    widths = chosen(lengths, padded_lengths(longest), batch_size, expected_epochs(epochs, patience), costs)
    return widths, chosen(lengths, widths, batch_size, 1, costs)


def for_prediction(lengths, longest, batch_size, backend):
    """The widths of one pass of prediction over sequences of ``lengths``."""
    return chosen(lengths, padded_lengths(longest), batch_size, 1, PREDICTING.get(backend))
