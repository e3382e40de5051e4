"""The training loops: the compiled loop is the article's fit loop, only faster."""

import importlib

import keras
import numpy as np
import pytest

from bilstm_classify import build_bilstm
from bilstm_companion import backend, keras_internals
from bilstm_companion.article.training import (
    History,
    Trainer,
    accuracy,
    forget_compiled,
    held_out_set,
    iter_blocks,
    repeat_seeds,
    trains_runs_together,
)
from compare_directions import build_backward_lstm
from lstm_classify import STEPS, build_lstm, predict_classes
from sequence import get_sequences


def weights_moved(build, weights_seed, trained):
    """The largest change of any weight from those a run seeded ``weights_seed`` starts from."""
    keras.utils.set_random_seed(weights_seed)
    initial = build().get_weights()
    return max(float(np.abs(after - before).max()) for before, after in zip(initial, trained, strict=True))


@pytest.mark.parametrize("build", [
    lambda: build_bilstm(10, 20, "concat"),
    lambda: build_backward_lstm(10, 20),
], ids=["bilstm", "aligned_backward_lstm"])
def test_compiled_loop_equals_fit_loop(build):
    results = {}
    for loop in ("fit", "compiled"):
        trainer = Trainer(build, STEPS, loop=loop, block_size=8)  # 30 epochs: blocks of 8, 8, 8, 6
        history = trainer.run(30, 10, np.random.default_rng(5), weights_seed=7)
        results[loop] = history, trainer.trained_model().get_weights()
    (fit, fit_weights), (compiled, compiled_weights) = results["fit"], results["compiled"]
    assert fit.epochs == compiled.epochs == 30
    np.testing.assert_allclose(compiled.loss, fit.loss, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(compiled.accuracy, fit.accuracy, atol=1e-6)
    assert len(fit_weights) == len(compiled_weights)
    for a, b in zip(fit_weights, compiled_weights):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)
    # Training did something: the weights moved from where they started (a loop that never
    # updated would agree with another that never updated).
    assert weights_moved(build, 7, fit_weights) > 1e-3


def test_runs_reuse_one_compiled_function_and_restart_from_scratch():
    trainer = Trainer(lambda: build_lstm(10, 8), STEPS, block_size=10)
    first = trainer.run(20, 10, np.random.default_rng(1), weights_seed=3)
    loop = trainer.compiled
    other = trainer.run(20, 10, np.random.default_rng(2), weights_seed=4)
    again = trainer.run(23, 10, np.random.default_rng(1), weights_seed=3)  # blocks 10, 10, 3
    assert trainer.compiled is loop
    # Another Trainer of the same architecture, as another script's run in this process.
    assert Trainer(lambda: build_lstm(10, 8), STEPS, block_size=10).run(
        20, 10, np.random.default_rng(1), weights_seed=3).loss.tolist() == first.loss.tolist()
    assert Trainer(lambda: build_lstm(10, 9), STEPS, block_size=10).start_run(0) is not trainer.model
    # One compilation for every run and every block size: a short last block is padded.
    assert loop.compilations() == (0 if backend.name() == "torch" else 1)
    assert again.epochs == 23
    np.testing.assert_array_equal(again.loss[:20], first.loss)  # weights and Adam state were reset
    assert not np.array_equal(other.loss, first.loss)


def test_sequences_are_drawn_a_block_at_a_time_however_many_epochs_are_asked_for():
    sizes = [len(X) for X, _ in iter_blocks(123, 10, np.random.default_rng(0), block_size=50)]
    assert sizes == [50, 50, 23]
    # A trillion epochs: drawn all at once they would need terabytes; a block comes at once.
    blocks = iter_blocks(10**12, 10, np.random.default_rng(0), block_size=50)
    assert next(blocks)[0].shape == (50, 10, 1)


def test_stop_request_ends_at_a_block_boundary():
    calls = []
    trainer = Trainer(lambda: build_lstm(10, 4), STEPS, block_size=5)
    history = trainer.run(50, 10, np.random.default_rng(0), weights_seed=0,
                          on_block=lambda *args: calls.append(args),
                          should_stop=lambda: len(calls) >= 2)
    assert history.interrupted and history.epochs == 10
    assert [done for done, _, _ in calls] == [5, 10]
    assert len(history.accuracy) == 10


def test_history_reports_finished_runs():
    history = Trainer(lambda: build_lstm(10, 4), STEPS, block_size=5).run(
        7, 10, np.random.default_rng(0), weights_seed=0)
    assert isinstance(history, History)
    assert not history.interrupted and history.epochs == 7
    assert ((0 <= history.accuracy) & (history.accuracy <= 1)).all()
    assert (history.loss > 0).all()


def test_unknown_loop_is_refused():
    with pytest.raises(ValueError, match="loop"):
        Trainer(build_lstm, STEPS, loop="eager")


class Constant:
    """A stand-in model whose every prediction is the given array."""

    def __init__(self, probabilities):
        self.probabilities = probabilities

    def predict(self, X, batch_size=None, verbose=0):
        return self.probabilities


def test_predict_classes_thresholds_at_one_half():
    model = Constant(np.array([[[0.2], [0.5], [0.51], [0.9]]]))
    assert predict_classes(model, np.zeros((1, 4, 1))).ravel().tolist() == [0, 0, 1, 1]


def test_accuracy_counts_timesteps_and_whole_sequences():
    y = np.array([[0, 1, 1], [0, 0, 1]]).reshape(2, 3, 1)
    guesses = np.array([[0, 1, 1], [0, 1, 1]]).reshape(2, 3, 1)  # one wrong step in sequence 2
    result = accuracy(guesses.astype(float), y)
    assert result["timestep_accuracy"] == pytest.approx(5 / 6)
    assert result["sequence_accuracy"] == pytest.approx(1 / 2)


def test_repeat_seeds_pair_models_and_separate_repeats():
    seed_a, rng_a = repeat_seeds(1, 0)
    seed_b, rng_b = repeat_seeds(1, 0)
    seed_c, rng_c = repeat_seeds(1, 1)
    assert seed_a == seed_b != seed_c
    X_a, X_b, X_c = (get_sequences(2, 10, rng)[0] for rng in (rng_a, rng_b, rng_c))
    np.testing.assert_array_equal(X_a, X_b)
    assert not np.array_equal(X_a, X_c)
    held_out = held_out_set(1, 2, 10)[0]
    assert not np.array_equal(held_out, X_a) and not np.array_equal(held_out, X_c)


@pytest.mark.skipif(backend.name() != "tensorflow", reason="cuDNN kernels are TensorFlow's")
def test_on_a_gpu_the_compiled_loop_takes_no_cudnn_kernel_and_still_equals_fit(monkeypatch):
    import tensorflow as tf

    rnn, gpu_check = importlib.import_module(keras_internals.GPU_CHECK[0]), keras_internals.GPU_CHECK[1]

    build = lambda: build_bilstm(10, 20, "concat")
    fit = Trainer(build, STEPS, loop="fit", block_size=8).run(20, 10, np.random.default_rng(5), weights_seed=7)
    # Tell Keras a GPU is present, as on a CUDA machine: its LSTMs then ask for cuDNN. The loop
    # must be compiled anew for that, not taken from an earlier test.
    monkeypatch.setattr(rnn, gpu_check, lambda: True)
    forget_compiled()
    model = build()
    with pytest.raises(tf.errors.InvalidArgumentError, match="CudnnRNN"):
        tf.function(model, jit_compile=True)(np.zeros((1, 10, 1), np.float32))
    trainer = Trainer(build, STEPS, block_size=8)
    compiled = trainer.run(20, 10, np.random.default_rng(5), weights_seed=7)
    np.testing.assert_allclose(compiled.loss, fit.loss, rtol=1e-5, atol=1e-6)
    assert weights_moved(build, 7, trainer.trained_model().get_weights()) > 1e-3


def test_runs_train_together_on_jax_and_one_at_a_time_elsewhere():
    assert trains_runs_together() == (backend.name() == "jax")
    assert not trains_runs_together("fit")


together_only = pytest.mark.skipif(backend.name() != "jax", reason="only the JAX loop trains runs together")


@together_only
@pytest.mark.parametrize("build", [
    lambda: build_lstm(10, 20),
    lambda: build_bilstm(10, 20, "concat"),
    lambda: build_backward_lstm(10, 20),
], ids=["lstm", "bilstm", "aligned_backward_lstm"])
def test_runs_trained_together_equal_runs_trained_one_at_a_time(build):
    seeds, rngs = zip(*(repeat_seeds(3, repeat) for repeat in range(3)))
    together = Trainer(build, STEPS, block_size=8)
    histories = together.run_together(20, 10, rngs, seeds)  # blocks of 8, 8, 4
    weights = [together.trained_model(run).get_weights() for run in range(3)]
    alone = Trainer(build, STEPS, block_size=8)
    for run in range(3):
        _, rng = repeat_seeds(3, run)  # a fresh generator: the same sequences again
        history = alone.run(20, 10, rng, seeds[run])
        np.testing.assert_allclose(histories[run].loss, history.loss, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(histories[run].accuracy, history.accuracy, atol=1e-6)
        for a, b in zip(weights[run], alone.trained_model().get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # Each run kept its own weights and data: no two runs trained alike.
    assert not np.allclose(histories[0].loss, histories[1].loss)
    # The two Trainers share the architecture's loop: one program for 3 runs, one for 1.
    assert alone.compiled is together.compiled and together.compiled.compilations() == 2


@together_only
def test_runs_trained_together_stop_together_at_a_block_boundary():
    seeds, rngs = zip(*(repeat_seeds(0, repeat) for repeat in range(4)))
    calls = []
    histories = Trainer(lambda: build_lstm(10, 4), STEPS, block_size=5).run_together(
        50, 10, rngs, seeds, on_block=lambda *args: calls.append(args),
        should_stop=lambda: len(calls) >= 2)
    assert [done for done, _, _ in calls] == [5, 10]
    assert calls[0][1].shape == (4, 5)  # every run's losses, block by block
    assert all(h.interrupted and h.epochs == 10 for h in histories)
