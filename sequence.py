"""The cumulative-sum sequence classification problem.

Each input is a sequence of random values in [0, 1], one per timestep. Its label at step t
is 0 while the running total of the values up to and including t is below a quarter of
the sequence length, and 1 from the step where the total reaches that limit. The label
therefore flips from 0 to 1 exactly once (or never), and deciding it needs the values
seen so far.

This follows the article's section "Sequence Classification Problem". Every script in
this project draws its data from here, already shaped ``(samples, timesteps, features)``
as Keras recurrent layers expect.

Usage:
    python sequence.py
"""

import numbers

import numpy as np


def check_count(name, value):
    """Return ``value`` if it is a whole number above zero, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a whole number above zero, got {value!r}")
    return int(value)


def as_generator(rng):
    """Turn ``None``, an integer seed or a ``numpy.random.Generator`` into a Generator."""
    if rng is None or isinstance(rng, (numbers.Integral, np.random.Generator)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be None, an int seed or a numpy.random.Generator, got {rng!r}")


def label(X, n_timesteps):
    """Labels for inputs ``X`` of shape ``(..., n_timesteps, 1)``: 1 once the sum reaches n/4."""
    limit = n_timesteps / 4.0
    return (np.cumsum(X, axis=-2) >= limit).astype(np.int64)


def get_sequences(n_sequences, n_timesteps, rng=None):
    """Draw ``n_sequences`` problems at once: ``X`` and ``y``, each ``(n_sequences, n_timesteps, 1)``.

    ``X`` holds floats in [0, 1); ``y`` holds the 0/1 labels as integers.
    """
    n_sequences = check_count("n_sequences", n_sequences)
    n_timesteps = check_count("n_timesteps", n_timesteps)
    X = as_generator(rng).random((n_sequences, n_timesteps, 1))
    return X, label(X, n_timesteps)


def get_sequence(n_timesteps, rng=None):
    """Draw one problem: ``X`` and ``y``, each shaped ``(1, n_timesteps, 1)``."""
    n_timesteps = check_count("n_timesteps", n_timesteps)
    return get_sequences(1, n_timesteps, rng)


if __name__ == "__main__":
    X, y = get_sequence(10)
    np.set_printoptions(precision=8, linewidth=200)
    print(X.ravel())
    print(y.ravel())
