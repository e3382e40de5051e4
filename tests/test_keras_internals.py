"""The private names of Keras and JAX that ``bilstm_companion/keras_internals.py`` relies on are there,
and mean what it takes them to mean, on the versions installed here."""

import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from processes import environment

from bilstm_companion import backend, keras_internals

ROOT = Path(__file__).resolve().parents[1]


# In a fresh JAX process: does seeding Keras import TensorFlow, after ``start`` (the script's way)
# or after a plain ``import keras``? An attempt to import it is noted and refused (loading all of
# TensorFlow would take seconds and show nothing more), as Keras takes a TensorFlow not installed.
SEED_ON_JAX = """
import importlib.abc, sys
tried = []

class NoteTensorFlow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "tensorflow":
            tried.append(name)
            raise ImportError("not loaded in this test")
        return None

sys.meta_path.insert(0, NoteTensorFlow())
if sys.argv[1] == "start":
    from bilstm_companion import startup
    startup.start_backend("cpu")
import keras
keras.utils.set_random_seed(1)
print(bool(tried))
"""


@pytest.mark.processes_on_every_backend  # (it starts JAX processes of its own: once is enough)
@pytest.mark.skipif(importlib.util.find_spec("jax") is None or importlib.util.find_spec("tensorflow") is None,
                    reason="needs JAX, and TensorFlow installed beside it")
def test_on_another_backend_keras_is_kept_off_tensorflow_through_its_lazy_handle():
    seen = {}
    for way in ("start", "plain"):
        done = subprocess.run([sys.executable, "-c", SEED_ON_JAX, way], capture_output=True, text=True,
                              env=environment(KERAS_BACKEND="jax"), cwd=ROOT, timeout=120, check=True)
        seen[way] = done.stdout.strip().splitlines()[-1]
    assert seen == {"start": "False", "plain": "True"}  # without the handle turned off, TensorFlow loads


@pytest.mark.skipif(backend.name() != "tensorflow", reason="cuDNN kernels are TensorFlow's")
def test_the_gpu_check_for_cudnn_is_where_keras_kept_it():
    module = importlib.import_module(keras_internals.GPU_CHECK[0])
    assert callable(getattr(module, keras_internals.GPU_CHECK[1]))


def test_the_function_keras_lstm_layers_call_for_a_whole_lstm_is_where_keras_kept_it():
    from keras.src.layers.rnn import lstm

    module = importlib.import_module(keras_internals.BACKEND_LSTM[0])
    assert callable(getattr(module, keras_internals.BACKEND_LSTM[1]))
    assert lstm.backend is module  # the layer looks it up in that module at every call


def test_the_learning_rate_index_finds_the_variable_the_learning_rate_is_kept_in():
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(0.0123))
    model.optimizer.build(model.trainable_variables)
    index = keras_internals.learning_rate_index(model.optimizer)
    variable = model.optimizer.variables[index]
    assert np.isclose(float(np.asarray(variable.value)), 0.0123)
    model.optimizer.learning_rate = 0.5  # what ReduceLROnPlateau does
    assert np.isclose(float(np.asarray(model.optimizer.variables[index].value)), 0.5)


def test_a_missing_private_name_fails_in_one_message_that_names_it():
    with pytest.raises(RuntimeError, match="no keras.src.nowhere.thing, a private name"):
        keras_internals._attribute("keras.src.nowhere", "thing")


@pytest.mark.skipif(backend.name() != "jax", reason="counts jax.jit's programs")
def test_compilations_counts_the_programs_of_a_jitted_function():
    import jax

    jitted = jax.jit(lambda x: x + 1)
    jitted(np.zeros(2))
    jitted(np.zeros(3))
    jitted(np.ones(3))
    assert keras_internals.compilations(jitted) == 2


@pytest.mark.skipif(backend.name() != "jax", reason="counts jax.jit's programs")
def test_jaxs_compile_log_gives_bench_first_run_each_program_its_shapes_and_seconds(monkeypatch):
    # benchmarks/bench_first_run.py reads the programs a first run compiles from JAX's compile log.
    import io
    import logging

    import jax

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_first_run

    def train_step(weights, x):
        return (weights.sum() * x).sum()

    log = io.StringIO()
    handler = logging.StreamHandler(log)
    logging.getLogger("jax").addHandler(handler)
    try:
        with jax.log_compiles(True):
            for rows in (32, 4):  # a batch's weights (3 axes too) come before its sequences
                jax.jit(train_step)(np.ones((2, 2, 2), np.float32), np.zeros((rows, 7, 3), np.float32))
            jax.jit(lambda x: x - 1)(np.zeros(5, np.float32))
    finally:
        logging.getLogger("jax").removeHandler(handler)
    programs = bench_first_run.compiled_programs(log.getvalue())
    assert [(name, seconds > 0) for name, _, seconds in programs] == [("train_step", True)] * 2 + [("<lambda>", True)]
    assert bench_first_run.kinds(programs) == ["training steps, full batches", "training steps, a set's last and shorter batch",
                                              bench_first_run.SMALL]
    compiling = next(line for line in log.getvalue().splitlines() if "Compiling" in line)
    with pytest.raises(SystemExit, match="named 1 programs and gave the seconds of 0"):
        bench_first_run.compiled_programs(compiling)  # a log without the seconds is refused
