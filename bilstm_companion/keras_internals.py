"""The few private pieces of Keras (and JAX) this project uses, in one place.

Each is a name a release may move or rename without notice. They are reached only through
the functions here, and ``tests/test_keras_internals.py`` checks every one of them on the
installed versions, so that a move fails one test that names it, not a run.

- ``keep_keras_off_tensorflow``: Keras' lazy handle on TensorFlow
  (``keras.src.utils.module_utils.tensorflow``), told that TensorFlow is not there.
- ``learning_rate_index``: where an optimizer keeps its learning rate among its variables
  (``optimizer._learning_rate``), for training folds together with the stateless API.
- ``compilations``: how many programs a ``jax.jit`` function holds (``_cache_size``).
- ``GPU_CHECK`` and ``lstm_takes_cudnn``: the function Keras asks whether a GPU is there
  before it picks cuDNN for an LSTM on TensorFlow (tests pretend a GPU is present through it).
- ``replace_backend_lstm``: the function Keras' LSTM layer asks to run a whole LSTM
  (``keras.src.backend.lstm``, which raises ``NotImplementedError`` where the backend has no
  fused kernel for the case), replaced on PyTorch by ``bilstm_companion/torch_lstm.py``'s.
- ``force_xla``: a compiled model's ``_jit_compile``, set past ``compile``'s refusal (Keras
  turns XLA off, with a warning, while TensorFlow's op determinism is on, and for an LSTM that
  could take cuDNN), and its functions made in the order that keeps XLA to training.
"""

import importlib

# (module, attribute) of each private name, as ``check`` tests them.
LAZY_TENSORFLOW = ("keras.src.utils.module_utils", "tensorflow")
GPU_CHECK = ("keras.src.backend.tensorflow.rnn", "_is_gpu_available")
BACKEND_LSTM = ("keras.src.backend", "lstm")


def _attribute(module_name, attribute):
    """``module_name.attribute``, or an error naming the private Keras name that moved."""
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise RuntimeError(f"this Keras has no {module_name}.{attribute}, a private name "
                           f"bilstm_companion/keras_internals.py relies on ({error})") from None


def keep_keras_off_tensorflow():
    """Stop Keras from importing TensorFlow on another backend.

    ``keras.utils.set_random_seed`` also seeds TensorFlow whenever it is installed (for
    ``tf.data`` pipelines, which the other backends do not use), and importing it just for
    that costs seconds of start-up. Keras asks a lazy module whether TensorFlow is
    available; telling it no leaves everything else as it was.
    """
    lazy = _attribute(*LAZY_TENSORFLOW)
    if getattr(lazy, "module", None) is None:
        lazy._available = False


def learning_rate_index(optimizer):
    """The position of ``optimizer``'s learning-rate variable in ``optimizer.variables``,
    the order ``optimizer.stateless_apply`` takes them in."""
    variable = optimizer._learning_rate
    for index, candidate in enumerate(optimizer.variables):
        if candidate is variable:
            return index
    raise RuntimeError("the optimizer keeps its learning rate outside its variables (a learning-rate "
                       "schedule?); bilstm_companion/keras_internals.py expects a variable")


def compilations(jitted):
    """How many programs the ``jax.jit`` function ``jitted`` has compiled."""
    return jitted._cache_size()


def lstm_takes_cudnn():
    """Whether Keras would hand an LSTM to cuDNN on TensorFlow here: a GPU is visible."""
    return bool(_attribute(*GPU_CHECK)())


def replace_backend_lstm(function):
    """Make ``function`` the one Keras' LSTM layers call to run a whole LSTM (they look it up
    at every call); return the function it replaces."""
    original = _attribute(*BACKEND_LSTM)
    setattr(importlib.import_module(BACKEND_LSTM[0]), BACKEND_LSTM[1], function)
    return original


def force_xla(model):
    """Compile ``model``'s training steps with XLA from now on; its evaluation (validation)
    and prediction stay without: a forward pass over a few batches gains less from XLA than
    compiling it for every batch width costs. Call after ``compile`` and before any step,
    with every LSTM on Keras' own arithmetic (``use_cudnn=False``): XLA cannot compile
    cuDNN's kernel."""
    if not hasattr(model, "_jit_compile"):
        raise RuntimeError("this Keras keeps no _jit_compile on a model, a private name "
                           "bilstm_companion/keras_internals.py relies on")
    # Made now, without XLA, and kept: Keras makes one only where there is none.
    model.train_function = model.test_function = model.predict_function = None
    model._jit_compile = False
    model.make_test_function()
    model.make_predict_function()
    model._jit_compile = True
