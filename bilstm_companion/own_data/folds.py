"""Which of a reader's sequences train, validate and test, fold by fold.

Every model of a run gets the same ``Fold``s (parts and weights seed), so their results are paired. Without
a ``--test`` file fold k is the k-th test part and a seeded share of the rest validates; with one, fold k
validates and the file is the test. A label per sequence stratifies the folds. ``--repeats R`` deals the K
folds R times, numbered across repeats: repeat 2 of five folds holds folds 6 to 10.
"""

from dataclasses import dataclass

import numpy as np

from bilstm_companion.options import SEED_MAX
from bilstm_companion.own_data.sequences import DataError

SPLIT = (0.7, 0.15, 0.15)  # a single split's shares of the sequences for training, validation and test
VALIDATION_SHARE = 0.15  # of the sequences left for training, kept back for early stopping


@dataclass(frozen=True)
class Fold:
    """One training of every model: the positions in DATA of each part, and the seed."""

    number: int  # counted from 1, across repeats
    seed: int  # every model of this fold starts from the weights this seed draws
    training: np.ndarray
    validation: np.ndarray
    test: np.ndarray | None  # None: a --test file is scored instead
    repeat: int = 1  # which dealing of the folds, counted from 1


def deal(n, folds, strata, rng):
    """Each sequence's fold (0 to ``folds - 1``): shuffled and dealt out in turn, class by class,
    each class starting where the last stopped, so that the folds differ in size by one at most."""
    groups = [np.arange(n)] if strata is None else [np.flatnonzero(strata == c) for c in np.unique(strata)]
    fold_of = np.empty(n, np.int64)
    start = 0
    for members in groups:
        members = rng.permutation(members)
        fold_of[members] = (start + np.arange(len(members))) % folds
        start = (start + len(members)) % folds
    return fold_of


def hold_back(positions, share, strata, rng):
    """``(kept, held_back)``: a seeded ``share`` of ``positions`` (at least one, never all) held back,
    in each class's proportion when ``strata`` are given."""
    n_back = min(max(1, round(share * len(positions))), len(positions) - 1)
    order = rng.permutation(positions)
    if strata is not None:
        # Deal the shuffled positions class by class, so every prefix keeps the proportions.
        by_class = [order[strata[order] == c] for c in np.unique(strata[order])]
        rank = np.concatenate([(np.arange(len(members)) + 0.5) / len(members) for members in by_class])
        order = np.concatenate(by_class)[np.argsort(rank, kind="stable")]
    return np.sort(order[n_back:]), np.sort(order[:n_back])


def split_positions(n, seed):
    """The seeded positions of ``n`` sequences in the training, validation and test sets (``SPLIT``)."""
    n_validation, n_test = (max(1, round(share * n)) for share in SPLIT[1:])
    if n - n_validation - n_test < 1:
        raise DataError(f"{n} sequence{'s' if n != 1 else ''} cannot be split into training, "
                        "validation and test sets: at least 3 are needed")
    shuffled = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.split(shuffled, [n - n_validation - n_test, n - n_test])]


def plan_folds(data, folds, seed, scored_on_file=False, repeats=1):
    """The folds of one run; ``DataError`` for a number these sequences cannot give. Fold n's weights seed is
    ``seed + n - 1``; repeat r deals from the seed ``[seed, r - 1]``, the first from ``seed`` alone."""
    n, strata = len(data), data.y if data.y.ndim == 1 else None  # (a label per sequence: stratified)
    if folds > n:
        raise DataError(f"{folds} folds need at least {folds} sequences, and there are {n}", "--folds")
    if folds > 1 and strata is not None:
        counts = np.bincount(strata, minlength=len(data.classes))
        rarest = int(np.argmin(counts))
        if folds > counts[rarest]:
            raise DataError(f"the class {data.classes[rarest]!r} has {counts[rarest]} "
                            f"sequence{'s' if counts[rarest] != 1 else ''}, fewer than the {folds} folds: "
                            "with a label per sequence each fold holds every class, so use "
                            f"{max(1, counts[rarest])} folds or fewer", "--folds")
    largest = -(-n // folds)  # what the largest fold leaves must train, and validate unless a fold does
    if folds > 1 and n - largest < (1 if scored_on_file else 2):
        raise DataError(f"{n} sequences in {folds} folds leave too few to train and validate on; use "
                        "fewer folds", "--folds")
    if folds == 1 and scored_on_file and n < 2:
        raise DataError(f"{n} sequence cannot be split into training and validation sets: "
                        "at least 2 are needed")
    if repeats > 1 and folds < 2:
        raise DataError("repeats deal the folds anew each time, so they need 2 folds or more", "--repeats")
    if folds == 1 and not scored_on_file:
        return [Fold(1, seed % (SEED_MAX + 1), *split_positions(n, seed))]
    if folds == 1:
        training, validation = hold_back(np.arange(n), VALIDATION_SHARE, strata, np.random.default_rng(seed))
        return [Fold(1, seed % (SEED_MAX + 1), training, validation, None)]
    result = []
    for repeat in range(repeats):
        rng = np.random.default_rng(seed if repeat == 0 else [seed, repeat])
        fold_of = deal(n, folds, strata, rng)
        for k in range(folds):
            number = repeat * folds + k + 1
            held_out, rest = np.flatnonzero(fold_of == k), np.flatnonzero(fold_of != k)
            parts = ((rest, held_out, None) if scored_on_file
                     else (*hold_back(rest, VALIDATION_SHARE, strata, rng), held_out))
            result.append(Fold(number, (seed + number - 1) % (SEED_MAX + 1), *parts, repeat + 1))
    return result
