"""The models: parameter counts and which inputs each prediction can see."""

import numpy as np
import pytest

from bilstm_classify import build_bilstm
from compare_directions import build_backward_lstm, direction_models
from compare_merge_modes import merge_mode_models
from lstm_classify import build_lstm


def layer_counts(model):
    return [layer.count_params() for layer in model.layers]


def test_lstm_parameter_counts():
    # 4 gates x (20 x (1 input + 20 recurrent) + 20 biases) = 1,760; the head 20 + 1 = 21.
    model = build_lstm(10, 20)
    assert layer_counts(model) == [1760, 21]
    assert model.output_shape == (None, 10, 1)


@pytest.mark.parametrize("mode, head", [("concat", 41), ("sum", 21), ("mul", 21), ("ave", 21)])
def test_bidirectional_parameter_counts(mode, head):
    model = build_bilstm(10, 20, mode)
    assert layer_counts(model) == [3520, head]
    assert model.output_shape == (None, 10, 1)


def test_unknown_merge_mode_is_refused():
    with pytest.raises(ValueError, match="merge_mode"):
        build_bilstm(10, 20, "max")


def test_backward_models_have_the_forward_models_parameters():
    assert sum(layer_counts(build_backward_lstm(10, 20))) == 1781
    assert sum(layer_counts(build_backward_lstm(10, 20, aligned=False))) == 1781


def test_comparison_model_names_follow_the_article():
    assert list(direction_models(10, 20)) == ["lstm_forw", "lstm_back", "bilstm_con"]
    assert list(merge_mode_models(10, 20)) == ["bilstm_sum", "bilstm_mul", "bilstm_ave", "bilstm_con"]
    assert direction_models(10, 20, article_backwards=True)["lstm_back"]().name == "lstm_back_article"


def test_the_aligned_backward_lstm_flips_only_the_time_axis_of_its_outputs():
    x = np.arange(12, dtype="float32").reshape(2, 3, 2)
    reverse_time = build_backward_lstm(3, 2).get_layer("reverse_time")
    np.testing.assert_array_equal(np.asarray(reverse_time(x)), x[:, ::-1, :])


def changed_steps(model, k, n_timesteps=10):
    """The output steps whose prediction changes when input step k changes."""
    rng = np.random.default_rng(0)
    x = rng.random((1, n_timesteps, 1)).astype("float32")
    bumped = x.copy()
    bumped[0, k, 0] += 0.9
    difference = np.abs(model.predict(bumped, verbose=0) - model.predict(x, verbose=0))[0, :, 0]
    return set(np.flatnonzero(difference > 1e-7).tolist())


@pytest.mark.parametrize("k", [0, 3, 9])
def test_aligned_backward_lstm_predicts_step_t_from_steps_t_onwards(k):
    # Reading backwards, the state at step t has seen inputs t..n-1: changing input k can
    # change the predictions at steps 0..k and no later ones.
    assert changed_steps(build_backward_lstm(10, 20), k) == set(range(k + 1))


@pytest.mark.parametrize("k", [0, 3, 9])
def test_article_backward_lstm_is_reversed_in_time(k):
    # Without the flip, output t is the state after reading inputs n-1 down to n-1-t, so
    # input k reaches outputs n-1-k..n-1.
    assert changed_steps(build_backward_lstm(10, 20, aligned=False), k) == set(range(9 - k, 10))


@pytest.mark.parametrize("k", [0, 4, 9])
def test_forward_lstm_is_causal_and_bidirectional_sees_everything(k):
    assert changed_steps(build_lstm(10, 20), k) == set(range(k, 10))
    assert changed_steps(build_bilstm(10, 20), k) == set(range(10))
