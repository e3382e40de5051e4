"""The article's steps, as each script writes them, handed to the bilstm_companion: ``Steps``.

No imports beyond the standard library: a script imports this before its command line is read.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Steps:
    """The article's steps, as a script writes them (``lstm_classify.py`` and the others), for
    the package to run: ``compile(model)`` returns it compiled; ``train(model, n_timesteps,
    epochs, rng, callbacks)`` is the article's loop of one fresh sequence and one ``fit`` per
    epoch; ``predict(model, X)`` gives each step's class and ``show(X, y, predicted)`` prints
    them; ``plot(curves, path, **options)`` draws the curves."""

    compile: Callable
    train: Callable
    predict: Callable | None = None
    show: Callable | None = None
    plot: Callable | None = None
