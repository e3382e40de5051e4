"""A Keras model's configuration with every name left out: what two models of one
architecture share, for the caches that keep one compiled program per architecture (the
article's compiled loop, ``bilstm_companion/article/training.py``, and ``fit`` on your own sequences,
``bilstm_companion/own_data/fitting.py``)."""


def unnamed(value):
    """``value`` (a configuration, or part of one) without its ``name`` entries."""
    if isinstance(value, dict):
        return {key: unnamed(item) for key, item in value.items() if key != "name"}
    if isinstance(value, list | tuple):
        return [unnamed(item) for item in value]
    return value


def configuration(model):
    """``model.get_config()`` with every name left out."""
    return unnamed(model.get_config())
