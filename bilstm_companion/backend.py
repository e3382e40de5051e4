"""What differs between Keras' backends, asked in one place.

The scripts and the rest of the package never ask which backend is running; they ask here
what it can do, and get the module that does it. Import this once the backend has started
(``bilstm_companion.startup.start_backend``): it imports Keras.

- ``seed_everything``: seeds for a run that repeats byte for byte.
- ``visible_gpus``: how many GPUs the backend can use.
- ``article_loop``: the module with this backend's ``CompiledLoop`` for the article's
  protocol (``bilstm_companion/article/loop_*.py``, one contract for all three).
- ``trains_folds_together``: whether a model's folds can train together in one compiled
  program (``bilstm_companion/own_data/trainer_jax.py``, JAX only).
- ``batch_feed``: the module that feeds batches of similar lengths to ``fit`` where the
  backend has a faster way than a ``keras.utils.PyDataset`` (TensorFlow: ``tf.data``).
- ``fit_with_xla``: whether ``fit`` should compile with XLA (TensorFlow on the CPU; then
  ``bilstm_companion.cudnn.without_cudnn``).
"""

import keras


def name():
    """The running backend: ``tensorflow``, ``jax`` or ``torch``."""
    return keras.backend.backend()


def seed_everything(seed):
    """Seed Keras, TensorFlow, NumPy and Python, and ask TensorFlow for deterministic ops."""
    keras.utils.set_random_seed(seed)
    if name() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def visible_gpus():
    """How many GPUs the running Keras backend can use."""
    if name() == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_logical_devices("GPU"))
    if name() == "jax":
        import jax

        return sum(device.platform == "gpu" for device in jax.devices())
    import torch

    return torch.cuda.device_count()


def article_loop():
    """The module with this backend's compiled loop for the article's protocol."""
    if name() == "tensorflow":
        from bilstm_companion.article import loop_tensorflow as module
    elif name() == "jax":
        from bilstm_companion.article import loop_jax as module
    else:
        from bilstm_companion.article import loop_torch as module
    return module


def trains_folds_together():
    """Whether a model's folds can train together in one compiled program (JAX only)."""
    return name() == "jax"


def batch_feed():
    """The module whose ``epochs_dataset`` feeds ``fit`` the batches of similar lengths, or None
    where a ``keras.utils.PyDataset`` serves them as well (JAX, PyTorch)."""
    if name() == "tensorflow":
        from bilstm_companion.own_data import feed_tensorflow

        return feed_tensorflow
    return None


def fit_with_xla():
    """Whether ``fit`` compiles with XLA: on TensorFlow where no GPU is visible. On a GPU,
    Keras hands LSTMs to cuDNN, whose kernel XLA cannot compile; on the CPU, XLA trains a
    later epoch in a quarter to a third of the time (docs/performance.md)."""
    from bilstm_companion import keras_internals

    return name() == "tensorflow" and not keras_internals.lstm_takes_cudnn()
