"""The verdicts on your own data mean what they say: when two models are equal in expectation
(yet disagree sequence by sequence), a "more accurate" verdict comes in about 5% of runs, in
every design the script offers. Through the project's own folds, summary and verdict code
(benchmarks/bench_verdicts.py, which prints the full table with the power)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_verdicts

from bilstm_companion.stats import Cells, accuracy_interval, difference_interval


def test_each_design_gives_false_verdicts_at_most_8_percent_of_500_null_runs():
    rates = bench_verdicts.false_verdicts(500)
    assert set(rates) == {design.name for design in bench_verdicts.DESIGNS}
    assert all(rate <= 0.08 for rate in rates.values()), rates


def test_the_simulation_can_tell_a_true_difference():
    shares, truths, _ = bench_verdicts.simulate(bench_verdicts.DESIGNS[3], 200, effects=(0.05,))
    assert truths[0] == pytest.approx(0.05, abs=0.01) and shares[0] > 0.15  # today's: 26% at 2,000 runs


def one_training(correct, counted=None):
    correct = np.asarray(correct, np.float64)
    counted = np.ones_like(correct) if counted is None else np.asarray(counted, np.float64)
    return Cells(correct, counted, np.arange(len(correct)), np.zeros(len(correct), np.int64))


def test_an_accuracy_at_the_edge_keeps_a_true_width():
    # 40 of 40 sequences right: the exact binomial interval, 0.91 to 1.00 (a bootstrap had
    # nothing left to resample: 1.000 to 1.000).
    accuracy, low, high = accuracy_interval(one_training(np.ones(40)))
    assert (accuracy, high) == (1.0, 1.0) and low == pytest.approx(0.912, abs=0.001)
    # Every step of 40 sequences right, a label per step: the same honest width.
    accuracy, low, high = accuracy_interval(one_training(np.full(40, 7.0), np.full(40, 7.0)))
    assert high == 1.0 and low == pytest.approx(0.912, abs=0.001)


def test_a_baseline_scored_by_five_alike_trainings_on_one_file_gets_the_files_uncertainty():
    rng = np.random.default_rng(0)
    right = (rng.random(175) < 0.64).astype(np.float64)  # the same predictions from every fold's rule
    cells = Cells(np.tile(right, 5), np.ones(5 * 175), np.tile(np.arange(175), 5), np.repeat(np.arange(5), 175))
    _, low, high = accuracy_interval(cells)
    assert high - low == pytest.approx(2 * 0.072, abs=0.02)  # not ± 0.000: the file is a sample
    _, low, high = difference_interval(cells, cells)  # two models alike in every cell
    assert -low == high == pytest.approx(1 - 0.025 ** (1 / 175))


def test_compare_classifiers_gives_the_scripts_summary_in_every_design():
    # The same draws through the script's summary code and through the Python function, the
    # rules as scikit-learn classifiers: the same numbers, so the rates above hold for both.
    for design in bench_verdicts.DESIGNS:
        _, same = bench_verdicts.simulate_from_python(design, 10)
        assert same, design.name


def test_with_unstable_trainings_each_design_holds_the_claim_it_prints():
    # Trainings whose accuracy moves by 0.10 from seed to seed (more than the networks moved
    # on ArrowHead, 0.089). One training: read as a claim about the models, its verdict would
    # be false far more often than 5%, which is why it says "as trained in this run"; for that
    # claim it is false rarely. Several trainings: the intervals count the spread.
    unstable = next(learner for learner in bench_verdicts.LEARNERS if learner.name == "very unstable")
    designs = {design.name: design for design in bench_verdicts.DESIGNS}
    one = designs["test file"]
    shares, _, wrong = bench_verdicts.simulate(one, 200, effects=(0.0,), learner=unstable)
    assert not bench_verdicts.claims_about_models(one)
    assert shares[0] > 0.15 and wrong <= 0.08, (shares, wrong)  # 2,000 runs: 44.8% and 0.2%
    several = designs["folds and test file"]
    assert bench_verdicts.claims_about_models(several)
    assert bench_verdicts.false_verdicts(200, designs=[several], learner=unstable)[several.name] <= 0.08


def test_an_ensemble_is_one_model_to_the_comparison_and_its_verdicts_hold_in_every_design():
    # Five very unstable trainings averaged (--ensemble 5): one rule per training of the model,
    # its spread over seeds a fifth of the variance; every design's claim holds.
    ensemble = next(learner for learner in bench_verdicts.LEARNERS if learner.members > 1)
    rates = bench_verdicts.false_verdicts(200, learner=ensemble)
    assert set(rates) == {design.name for design in bench_verdicts.DESIGNS}
    assert all(rate <= 0.08 for rate in rates.values()), rates
    # Averaged, its trainings vary less than one member's: one training, read as a claim about the
    # models, is wrong less often than a single very unstable member's.
    one = next(design for design in bench_verdicts.DESIGNS if design.name == "test file")
    alone = next(learner for learner in bench_verdicts.LEARNERS if learner.name == "very unstable")
    averaged, single = (bench_verdicts.simulate(one, 200, effects=(0.0,), learner=learner)[0][0]
                        for learner in (ensemble, alone))
    assert averaged < single / 2, (averaged, single)
