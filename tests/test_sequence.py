"""The shared generator: shapes, values, the label rule and refusals."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sequence import get_sequence, get_sequences, label

ROOT = Path(__file__).resolve().parents[1]


def test_one_sequence_has_keras_shape_and_range():
    X, y = get_sequence(10, rng=0)
    assert X.shape == (1, 10, 1) and y.shape == (1, 10, 1)
    assert X.min() >= 0.0 and X.max() < 1.0
    assert set(np.unique(y)) <= {0, 1}
    assert y.dtype.kind == "i"


def test_batch_shape():
    X, y = get_sequences(7, 13, rng=1)
    assert X.shape == (7, 13, 1) and y.shape == (7, 13, 1)


def test_label_turns_on_where_running_total_reaches_a_quarter_of_length():
    X, y = get_sequences(500, 12, rng=2)
    totals = np.cumsum(X[..., 0], axis=1)
    np.testing.assert_array_equal(y[..., 0], (totals >= 12 / 4).astype(int))


def test_label_rule_on_hand_made_values():
    # Limit for 4 steps is 1.0: the total reaches it exactly at step 3.
    X = np.array([0.25, 0.25, 0.5, 0.1]).reshape(1, 4, 1)
    assert label(X, 4).ravel().tolist() == [0, 0, 1, 1]


def test_labels_never_turn_back_off():
    _, y = get_sequences(1000, 10, rng=3)
    assert (np.diff(y[..., 0], axis=1) >= 0).all()
    # Both classes occur, and the flip happens at different steps.
    assert 0 < y.mean() < 1
    assert len(np.unique(y[..., 0].sum(axis=1))) > 3


def test_same_seed_same_data_and_generator_is_consumed():
    a = get_sequences(3, 10, rng=42)
    b = get_sequences(3, 10, rng=42)
    np.testing.assert_array_equal(a[0], b[0])
    rng = np.random.default_rng(42)
    first, second = get_sequence(10, rng), get_sequence(10, rng)
    np.testing.assert_array_equal(first[0][0], a[0][0])
    assert not np.array_equal(first[0], second[0])


def test_a_block_equals_the_same_sequences_drawn_one_by_one():
    X_block, _ = get_sequences(5, 10, np.random.default_rng(9))
    rng = np.random.default_rng(9)
    X_one_by_one = np.concatenate([get_sequence(10, rng)[0] for _ in range(5)])
    np.testing.assert_array_equal(X_block, X_one_by_one)


@pytest.mark.parametrize("bad", [0, -3, 1.5, "10", True, None])
def test_bad_timesteps_are_refused_by_name(bad):
    with pytest.raises(ValueError, match="n_timesteps"):
        get_sequence(bad)


@pytest.mark.parametrize("bad", [0, -1, 2.0])
def test_bad_sequence_count_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="n_sequences"):
        get_sequences(bad, 10)


def test_numpy_integers_are_accepted():
    X, _ = get_sequences(np.int64(2), np.int32(5), rng=0)
    assert X.shape == (2, 5, 1)


def test_bad_rng_is_refused():
    with pytest.raises(TypeError, match="rng"):
        get_sequence(10, rng="seed")


def test_running_the_module_prints_ten_values_then_ten_labels():
    out = subprocess.run([sys.executable, "sequence.py"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert len(out) == 2
    values = out[0].strip("[]").split()
    labels = out[1].strip("[]").split()
    assert len(values) == 10 and all(0 <= float(v) < 1 for v in values)
    assert labels == sorted(labels) and set(labels) <= {"0", "1"}


def test_the_module_takes_a_length_and_a_seed_and_the_seed_repeats_the_draw():
    def draw(*args):
        return subprocess.run([sys.executable, "sequence.py", *args], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.splitlines()

    out = draw("--timesteps", "40", "--seed", "7")
    assert len(out) == 2 and len(out[0].strip("[]").split()) == 40 and len(out[1].strip("[]").split()) == 40
    assert draw("--timesteps", "40", "--seed", "7") == out
    _, y = get_sequence(40, 7)
    assert [int(v) for v in out[1].strip("[]").split()] == y.ravel().tolist()


@pytest.mark.parametrize("args", [["--timesteps", "0"], ["--timesteps", "ten"], ["--timesteps", "1000001"],
                                  ["--seed", "-1"], ["--seed", "4294967296"], ["extra"]])
def test_the_module_refuses_bad_arguments_in_one_line(args):
    result = subprocess.run([sys.executable, "sequence.py", *args], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("sequence.py: error: ")


def test_the_module_ends_quietly_when_the_reader_closes_the_pipe():
    process = subprocess.Popen([sys.executable, "sequence.py", "--timesteps", "1000000"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.read(20).startswith(b"[0.")
    process.stdout.close()  # as | head -c 20 does
    assert process.wait(timeout=60) == 141
    assert process.stderr.read() == b""
