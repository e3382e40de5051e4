"""Small statistics for comparing learning curves over repeated runs.

Everything here is plain NumPy: means with 95% confidence intervals from Student's t
distribution, rolling means, and the per-model summary the comparison scripts print.
"""

import itertools
import math

import numpy as np
import pandas as pd

# Two-sided 95% critical values of Student's t distribution, t(0.975, df), for df 1 to 30.
_T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)
# Beyond 30 degrees of freedom, interpolate in 1/df between these and the normal value.
_T_975_LARGE = ((30, 2.042), (40, 2.021), (60, 2.000), (120, 1.980), (math.inf, 1.960))


def t_critical(df):
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (3 decimals)."""
    if df < 1:
        raise ValueError(f"df must be at least 1, got {df}")
    if df <= 30:
        return _T_975[int(df) - 1]
    for (df_low, t_low), (df_high, t_high) in itertools.pairwise(_T_975_LARGE):
        if df <= df_high:
            weight = (1 / df_low - 1 / df) / (1 / df_low - 1 / df_high)
            return t_low + weight * (t_high - t_low)
    return 1.960


def mean_ci(values, axis=0):
    """Mean and 95% confidence interval ``(mean, low, high)`` along ``axis``.

    With a single value the interval is undefined and returned as NaN.
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[axis]
    mean = values.mean(axis=axis)
    if n < 2:
        nan = np.full_like(mean, np.nan)
        return mean, nan, nan
    half_width = t_critical(n - 1) * values.std(axis=axis, ddof=1) / math.sqrt(n)
    return mean, mean - half_width, mean + half_width


def rolling_mean(values, window):
    """Trailing rolling mean along the last axis; the first values average what exists.

    A window longer than the values is the running mean of all so far.
    """
    values = np.asarray(values, dtype=np.float64)
    window = max(1, min(int(window), values.shape[-1]))
    cumulative = np.cumsum(values, axis=-1)
    shifted = np.zeros_like(cumulative)
    shifted[..., window:] = cumulative[..., :-window]
    counts = np.minimum(np.arange(1, values.shape[-1] + 1), window)
    return (cumulative - shifted) / counts


def first_epoch_below(curve, threshold):
    """The first epoch (counted from 1) where ``curve`` is below ``threshold``, else NaN."""
    below = np.flatnonzero(np.asarray(curve) < threshold)
    return float(below[0] + 1) if len(below) else math.nan


def _interval_columns(name, values):
    mean, low, high = mean_ci(values)
    return {name: float(mean), f"{name}_low": float(low), f"{name}_high": float(high)}


def summarise(curves, evaluations, *, last=50, smooth=10, threshold=0.2):
    """One row per model: the numbers that say whether two models really differ.

    ``curves`` maps a model name to its losses, shaped ``(repeats, epochs)``; every model
    must have the same repeats, paired by index. ``evaluations`` maps a model name to a
    list (one per repeat) of dicts from ``training.accuracy``. Columns, each with
    ``_low``/``_high`` 95% bounds over repeats:

    - ``mean_loss``: mean loss over all epochs (the area under the learning curve);
    - ``last_loss``: mean loss over the last ``last`` epochs;
    - ``timestep_accuracy``, ``sequence_accuracy``: held-out accuracy after training;
    - ``epochs_to_threshold``: first epoch where the ``smooth``-epoch rolling mean of the
      loss is below ``threshold``, averaged over the repeats that got there
      (``reached`` counts them);
    - ``diff_mean_loss``: paired difference in ``mean_loss`` from the first model.
    """
    names = list(curves)
    if len({len(curves[name]) for name in names}) != 1:
        raise ValueError("every model needs the same number of repeats to be paired")
    reference = np.asarray(curves[names[0]]).mean(axis=1)
    rows = []
    for name in names:
        losses = np.asarray(curves[name], dtype=np.float64)
        mean_loss = losses.mean(axis=1)
        epochs_to = np.array([first_epoch_below(c, threshold) for c in rolling_mean(losses, smooth)])
        reached = epochs_to[~np.isnan(epochs_to)]
        row = {"model": name, "repeats": losses.shape[0]}
        row |= _interval_columns("mean_loss", mean_loss)
        row |= _interval_columns("last_loss", losses[:, -last:].mean(axis=1))
        for metric in ("timestep_accuracy", "sequence_accuracy"):
            row |= _interval_columns(metric, [e[metric] for e in evaluations[name]])
        if len(reached):
            row |= _interval_columns("epochs_to_threshold", reached)
        else:
            row |= {"epochs_to_threshold": math.nan, "epochs_to_threshold_low": math.nan,
                    "epochs_to_threshold_high": math.nan}
        row["reached"] = len(reached)
        row |= _interval_columns("diff_mean_loss", mean_loss - reference)
        rows.append(row)
    return pd.DataFrame(rows)


def verdict(low, high):
    """How a paired difference reads: 'lower', 'higher' or 'too close to call'."""
    if np.isnan(low) or np.isnan(high) or low <= 0 <= high:
        return "too close to call"
    return "lower" if high < 0 else "higher"


def format_interval(mean, low, high, digits=3, sign=False):
    """``0.331 ± 0.030`` (mean and 95% half-width), or just the mean with no interval."""
    if math.isnan(mean):
        return "-"
    text = f"{mean:+.{digits}f}" if sign else f"{mean:.{digits}f}"
    if math.isnan(low):
        return text
    return f"{text} ± {(high - low) / 2:.{digits}f}"


def bootstrap_accuracies(correct, counted, *, resamples=2000, seed=0, chunk=100):
    """Accuracies over seeded bootstrap resamples of the sequences, paired across models.

    ``correct`` is ``(models, sequences)``: each model's correct units (steps, or 1 for a
    sequence's label) per sequence; ``counted`` is ``(sequences,)``, the units per sequence.
    Every resample draws the sequences with replacement, the same draw for every model, so
    differences between rows stay paired. Returns ``(models, resamples)``.
    """
    correct = np.atleast_2d(np.asarray(correct, dtype=np.float64))
    counted = np.asarray(counted, dtype=np.float64)
    rng = np.random.default_rng(seed)
    n = counted.shape[0]
    result = np.empty((correct.shape[0], resamples))
    for start in range(0, resamples, chunk):
        # How often each sequence is drawn, in ``chunk`` resamples at once.
        weights = rng.multinomial(n, np.full(n, 1 / n), size=min(chunk, resamples - start))
        result[:, start:start + len(weights)] = (correct @ weights.T) / (weights @ counted)
    return result


def percentile_ci(point, resampled):
    """``(point, low, high)``: a 95% percentile interval from bootstrap ``resampled`` values."""
    low, high = np.percentile(resampled, [2.5, 97.5], axis=-1)
    return point, low, high
