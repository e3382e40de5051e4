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
    python sequence.py --timesteps 20 --seed 7
"""

import numbers

import numpy as np

MAX_PRINTED = 1_000_000  # the longest sequence ``python sequence.py`` prints


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


def main(argv=None):
    # The command line's pieces are the project's; the problem above needs NumPy alone.
    from bilstm_companion.options import SEED_MAX, ArgumentParser, positive_int, seed

    parser = ArgumentParser(description="Print one random sequence of the problem, then its labels.")
    parser.add_argument("--timesteps", type=positive_int, default=10, metavar="N",
                        help=f"length of the sequence, at most {MAX_PRINTED} (default: 10)")
    parser.add_argument("--seed", type=seed, metavar="S",
                        help=f"seed the draw, 0 to {SEED_MAX} (default: a fresh one each run)")
    args = parser.parse_args(argv)
    if args.timesteps > MAX_PRINTED:
        parser.error(f"argument --timesteps: at most {MAX_PRINTED} values are printed, got {args.timesteps}")
    X, y = get_sequence(args.timesteps, args.seed)
    print("[" + " ".join(f"{value:.8f}" for value in X.ravel()) + "]")
    print("[" + " ".join(str(value) for value in y.ravel()) + "]")


if __name__ == "__main__":
    from bilstm_companion.stopping import friendly_exit

    with friendly_exit():  # | head closing the pipe ends it quietly
        main()
