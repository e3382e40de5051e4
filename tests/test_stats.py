"""Statistics: known inputs give known means, intervals and summaries."""

import math

import numpy as np
import pytest

from bilstm_companion.stats import (
    epochs_to_threshold,
    first_epoch_below,
    format_interval,
    mean_ci,
    rolling_mean,
    summarise,
    t_critical,
    verdict,
)


def test_mean_ci_of_one_to_five():
    mean, low, high = mean_ci([1, 2, 3, 4, 5])
    # sd = sqrt(2.5), t(0.975, 4) = 2.776, half width = 2.776 * 1.5811 / sqrt(5) = 1.9629
    assert mean == 3
    assert low == pytest.approx(3 - 1.9629, abs=1e-3)
    assert high == pytest.approx(3 + 1.9629, abs=1e-3)


def test_mean_ci_along_an_axis_and_of_one_value():
    mean, low, high = mean_ci(np.array([[0.0, 10.0], [2.0, 10.0]]))
    np.testing.assert_allclose(mean, [1.0, 10.0])
    assert low[1] == high[1] == 10.0  # no spread, no width
    assert low[0] < 1.0 < high[0]
    mean, low, high = mean_ci([0.5])
    assert mean == 0.5 and math.isnan(low) and math.isnan(high)


def test_t_critical_table_and_interpolation():
    assert t_critical(1) == 12.706
    assert t_critical(19) == 2.093
    assert t_critical(60) == pytest.approx(2.000)
    assert 2.000 < t_critical(50) < 2.021
    assert t_critical(10**9) == pytest.approx(1.960, abs=1e-3)
    with pytest.raises(ValueError):
        t_critical(0)


def test_rolling_mean_is_trailing_and_averages_what_exists():
    np.testing.assert_allclose(rolling_mean([2, 4, 6, 8], 2), [2, 3, 5, 7])
    np.testing.assert_allclose(rolling_mean([[1, 2, 3]], 5), [[1, 1.5, 2]])
    np.testing.assert_allclose(rolling_mean([1, 5, 3], 1), [1, 5, 3])


def test_first_epoch_below_counts_from_one():
    assert first_epoch_below([0.9, 0.5, 0.2, 0.1], 0.3) == 3
    assert math.isnan(first_epoch_below([0.9, 0.8], 0.3))


def test_summary_has_one_row_per_model_and_the_paired_difference():
    curves = {
        "a": np.array([[0.6, 0.4], [0.8, 0.6], [0.7, 0.5]]),  # mean losses 0.5, 0.7, 0.6
        "b": np.array([[0.5, 0.3], [0.7, 0.5], [0.6, 0.4]]),  # each 0.1 below a's
    }
    a_held_out = [{"timestep_accuracy": 0.9, "sequence_accuracy": 0.5}] * 3
    b_held_out = [{"timestep_accuracy": 0.8, "sequence_accuracy": value} for value in (0.3, 0.4, 0.5)]
    summary = summarise(curves, {"a": a_held_out, "b": b_held_out}, last=1, smooth=1, threshold=0.45)
    assert summary["model"].tolist() == ["a", "b"]
    for column in ("mean_loss", "last_loss", "timestep_accuracy", "sequence_accuracy",
                   "epochs_to_threshold", "diff_mean_loss"):
        assert {column, f"{column}_low", f"{column}_high"} <= set(summary.columns)
    a, b = summary.iloc[0], summary.iloc[1]
    assert a["mean_loss"] == pytest.approx(0.6)
    assert b["last_loss"] == pytest.approx(0.4)
    # The paired difference is exactly -0.1 in every repeat, so its interval is a point.
    assert b["diff_mean_loss"] == pytest.approx(-0.1)
    assert b["diff_mean_loss_low"] == pytest.approx(-0.1) and b["diff_mean_loss_high"] == pytest.approx(-0.1)
    assert a["diff_mean_loss"] == 0
    # a gets below 0.45 only in repeat 1 (epoch 2); b in repeats 1 and 3 (epoch 2 each). A run
    # that never gets there counts as one epoch past the end (3), as in every report here.
    assert (a["reached"], b["reached"]) == (1, 2)
    assert (a["epochs_to_threshold"], b["epochs_to_threshold"]) == pytest.approx((8 / 3, 7 / 3))
    # Each model's own held-out accuracies, with their interval over the repeats.
    assert summary["timestep_accuracy"].tolist() == pytest.approx([0.9, 0.8])
    assert summary["sequence_accuracy"].tolist() == pytest.approx([0.5, 0.4])
    assert b["sequence_accuracy_low"] < 0.4 < b["sequence_accuracy_high"]


def test_summary_refuses_unpaired_repeats():
    with pytest.raises(ValueError, match="paired"):
        summarise({"a": np.ones((2, 3)), "b": np.ones((3, 3))},
                  {"a": [{}] * 2, "b": [{}] * 3})


def test_verdict():
    words = {"above": "higher", "below": "lower"}
    assert verdict(-0.2, -0.1, **words) == "lower"
    assert verdict(0.1, 0.3, **words) == "higher"
    assert verdict(-0.1, 0.1, **words) == "no difference shown"
    assert verdict(math.nan, math.nan, **words) == "no difference shown"
    # Alike only where the whole interval lies within the margin: an interval around 0 that
    # is wider shows no difference, and no likeness either.
    assert verdict(-0.004, 0.006, **words, margin=0.01) == "alike, within ±0.01"
    assert verdict(-0.004, 0.012, **words, margin=0.01) == "no difference shown"
    assert verdict(0.011, 0.02, **words, margin=0.01) == "higher"


def test_epochs_to_a_threshold_count_a_run_that_never_gets_there_as_one_past_the_end():
    losses = np.array([[0.5, 0.3, 0.1], [0.5, 0.4, 0.35]])
    epochs, reached = epochs_to_threshold(losses, 0.2, smooth=1)
    assert epochs.tolist() == [3, 4] and reached == 1


def test_an_interval_is_written_one_way_everywhere():
    assert format_interval(0.331, 0.301, 0.361) == "0.331 ± 0.030"
    assert format_interval(0.962, 0.951, 0.970) == "0.962 (0.951 to 0.970)"
    assert format_interval(-0.05, -0.071, -0.029, sign=True) == "-0.050 ± 0.021"
    assert format_interval(0.5, math.nan, math.nan) == "0.500" and format_interval(math.nan, 0, 1) == "-"
