"""The project's one shape of evidence: estimates with 95% intervals, paired differences, and
verdicts in plain words.

- For the article's repeated runs: means with Student's t intervals over the runs, rolling
  means, epochs to a loss level, and the per-model summary the comparison scripts print.
- For scored sequences (``classify_sequences.py``): ``accuracy_interval`` and
  ``difference_interval`` over ``Cells``, each cell one sequence scored by one training, in
  every design the script offers (a split, ``--folds K``, ``--repeats R``, ``--test FILE``): the
  variance of the scored sequences and the spread of the trainings, each counted once
  (``two_level``).
- ``verdict`` and ``format_interval``: how every report here words and writes them.
"""

import itertools
import math
from dataclasses import dataclass

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


def epochs_to_threshold(losses, threshold, smooth):
    """Per run (a row of ``losses``, shaped ``(runs, epochs)``): the first epoch whose
    ``smooth``-epoch mean loss is below ``threshold``; a run that never gets there counts as one
    epoch past the end, a bound it would at least have needed. Returns the epochs and how many
    runs got there, the one way every report here counts it (a mean of such bounds can only
    understate the time of the runs that never got there, and so any difference they make)."""
    losses = np.asarray(losses, dtype=np.float64)
    epochs = np.array([first_epoch_below(curve, threshold) for curve in rolling_mean(losses, smooth)])
    reached = int((~np.isnan(epochs)).sum())
    return np.where(np.isnan(epochs), losses.shape[1] + 1, epochs), reached


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
      loss is below ``threshold``, a run that never got there counted as one epoch past the
      end (``epochs_to_threshold``); ``reached`` counts the runs that got there;
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
        epochs_to, reached = epochs_to_threshold(losses, threshold, smooth)
        row = {"model": name, "repeats": losses.shape[0]}
        row |= _interval_columns("mean_loss", mean_loss)
        row |= _interval_columns("last_loss", losses[:, -last:].mean(axis=1))
        for metric in ("timestep_accuracy", "sequence_accuracy"):
            row |= _interval_columns(metric, [e[metric] for e in evaluations[name]])
        row |= _interval_columns("epochs_to_threshold", epochs_to)
        row["reached"] = reached
        row |= _interval_columns("diff_mean_loss", mean_loss - reference)
        rows.append(row)
    return pd.DataFrame(rows)


NO_DIFFERENCE = "no difference shown"


def verdict(low, high, *, above, below, margin=None, alike=None, unclear=NO_DIFFERENCE):
    """A paired difference's 95% interval ``(low, high)`` in plain words, the one vocabulary of
    every report here: ``above`` where it lies above 0, ``below`` where below; with a
    ``margin``, ``alike`` where it lies within plus or minus the margin (an equivalence test: a
    difference of that size is ruled out both ways); else ``unclear`` ("no difference shown",
    which is not a shown likeness)."""
    if np.isnan(low) or np.isnan(high):
        return unclear
    if margin is not None and -margin < low and high < margin:
        return alike or f"alike, within ±{margin:g}"
    if low > 0:
        return above
    if high < 0:
        return below
    return unclear


def format_interval(mean, low, high, digits=3, sign=False):
    """An estimate and its 95% interval, the one way every report here writes one: ``0.331 ±
    0.030`` where the interval is symmetric about the estimate (at the digits shown), else
    ``0.962 (0.951 to 0.970)``; the estimate alone where there is no interval, ``-`` where
    there is no estimate."""
    if math.isnan(mean):
        return "-"
    style = f"+.{digits}f" if sign else f".{digits}f"
    text = f"{mean:{style}}"
    if math.isnan(low) or math.isnan(high):
        return text
    below, above = mean - low, high - mean
    if math.isclose(below, above, rel_tol=1e-9, abs_tol=1e-12):
        return f"{text} ± {below:.{digits}f}"
    return f"{text} ({low:{style}} to {high:{style}})"


# Scored sequences, in every design -----------------------------------------------------------------
#
# A cell is one scored sequence scored by one training (a fit): the units it got right (real
# steps, or 1 for a sequence's label) out of the units it has. The designs differ only in their
# cells: one fit scoring the test part or a test file; K fits each scoring the sequences it held
# out (--folds K), R times over (--repeats R); K fits all scoring one test file. The estimate is
# the pooled accuracy, and its variance counts the two independent kinds of unit: the scored
# sequences, and the trainings (two-way clustering, as in Cameron, Gelbach and Miller 2011, and
# in the readers-by-cases analyses of Obuchowski and Rockette, and Hillis). Each part's degrees
# of freedom are its own (Satterthwaite 1946; Graybill and Wang 1980), and a few sequences
# carrying all the errors leave few of them. benchmarks/bench_verdicts.py checks the rate of
# false verdicts this gives, design by design, through this very code.

@dataclass
class Cells:
    """One model's scored cells, in the same order for every model of a comparison."""

    correct: np.ndarray  # units right in each cell
    counted: np.ndarray  # units in each cell
    sequence: np.ndarray  # which scored sequence each cell is (0 to N - 1)
    fit: np.ndarray  # which training scored it (0 to G - 1)

    @property
    def sequences(self):
        return int(self.sequence.max()) + 1

    @property
    def fits(self):
        return int(self.fit.max()) + 1


def t_quantile(df, level=0.975):
    """Student's t quantile at ``df`` degrees of freedom, fractional ones too."""
    from scipy import stats as distributions

    return float(distributions.t.ppf(level, max(float(df), 1e-9)))


def linearised(cells, correct=None):
    """The pooled accuracy of ``cells`` (or of ``correct`` counted in its cells) and each
    cell's share of its error, ``z``: the estimate minus its expectation is about ``z``'s sum."""
    correct = cells.correct if correct is None else correct
    total = cells.counted.sum()
    estimate = correct.sum() / total
    return estimate, (correct - estimate * cells.counted) / total


def sequence_df(totals):
    """Degrees of freedom of the sequences' part, from their totals: ``2N / (k - 1)`` with
    ``k`` the kurtosis of the totals (a few sequences carrying all the errors leave few),
    within 1 and ``N - 1``."""
    n = len(totals)
    squares = totals**2
    if squares.sum() == 0:
        return n - 1.0
    k = n * (squares**2).sum() / squares.sum() ** 2
    return float(np.clip(2 * n / (k - 1), 1, n - 1)) if k > 1 else n - 1.0


def two_level(cells, z):
    """The variance of ``z``'s sum and the half-width of its 95% interval: the scored
    sequences' part, plus the trainings' spread beyond what the single cells already carry;
    the wider of one Satterthwaite t and each part at its own degrees of freedom."""
    n, g, cell_count = cells.sequences, cells.fits, len(z)
    by_sequence = np.bincount(cells.sequence, weights=z, minlength=n)
    v_sequences = n / (n - 1) * (by_sequence**2).sum()
    v_cells = cell_count / (cell_count - 1) * (z**2).sum() if cell_count > 1 else 0.0
    v_fits = g / (g - 1) * (np.bincount(cells.fit, weights=z, minlength=g) ** 2).sum() if g > 1 else 0.0
    beyond = max(0.0, v_fits - v_cells)
    variance = v_sequences + beyond
    df_sequences = sequence_df(by_sequence)
    if beyond > 0:
        df = variance**2 / (v_sequences**2 / df_sequences + v_fits**2 / (g - 1) + v_cells**2 / (cell_count - 1))
    else:
        df = df_sequences
    apart = math.sqrt(t_quantile(df_sequences) ** 2 * v_sequences + (t_quantile(g - 1) ** 2 * beyond if beyond else 0))
    return variance, max(t_quantile(max(df, 1.0)) * math.sqrt(variance), apart)


def clopper_pearson(successes, trials):
    """The exact 95% interval of a share (Clopper and Pearson 1934), in its beta form, which
    takes a fractional number of trials too."""
    from scipy import stats as distributions

    low = distributions.beta.ppf(0.025, successes, trials - successes + 1) if successes > 0 else 0.0
    high = distributions.beta.ppf(0.975, successes + 1, trials - successes) if successes < trials else 1.0
    return float(low), float(high)


def accuracy_interval(cells):
    """``(accuracy, low, high)``: the pooled accuracy of ``cells`` and its 95% interval, true in
    width near 0 and 1. One training scoring one label per sequence: the exact binomial
    interval. Else the exact interval at the effective number of units the two-level variance
    implies (Korn and Graubard 1998), and at the number of sequences where there is no
    variance to tell it (every unit right, or every one wrong)."""
    estimate, z = linearised(cells)
    n = cells.sequences
    if cells.fits == 1 and np.all(cells.counted == 1) and len(z) == n:
        return (estimate, *clopper_pearson(cells.correct.sum(), n))
    variance, half = two_level(cells, z)
    if variance > 0 and 0 < estimate < 1:
        effective = min(estimate * (1 - estimate) * (1.959964 / half) ** 2, cells.counted.sum())
    else:
        effective = n
    return (estimate, *clopper_pearson(estimate * effective, effective))


def difference_interval(cells, other):
    """``(difference, low, high)``: ``other``'s pooled accuracy minus that of ``cells`` (the
    same cells, scored by another model: paired) and its 95% interval. Where the two models
    scored every cell alike, nothing measures a spread, and the interval is the largest
    difference N sequences could hide: ``1 - 0.025 ** (1 / N)`` either way."""
    first, z_first = linearised(cells)
    second, z_second = linearised(cells, other.correct)
    variance, half = two_level(cells, z_second - z_first)
    if variance == 0:
        half = 1 - 0.025 ** (1 / cells.sequences)
    difference = second - first
    return difference, difference - half, difference + half


def what_intervals_count(sequences, fits, per_fit_repeats, scored_on_file):
    """The one line a report gives on what its intervals count, design by design."""
    if fits == 1:
        return (f"95% intervals over the {sequences} test sequences, for the models as trained in this run; "
                "training them again (another seed or split) can change a result by more than this")
    trainings = f"{fits} trainings of each model" + (f" ({per_fit_repeats} dealings of the folds)"
                                                     if per_fit_repeats > 1 else "")
    if scored_on_file:
        return (f"95% intervals over the {sequences} sequences of the test file and the {trainings}; training "
                "on another data set is not included")
    return f"95% intervals over the {sequences} sequences, each tested by the training that held it out, and the {trainings}"

