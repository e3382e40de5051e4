"""Compare the four ways a bidirectional LSTM can merge its two directions.

Follows the article's section "Comparing Bidirectional LSTM Merge Modes". Four
bidirectional LSTMs, identical but for ``merge_mode`` (``sum``, ``mul``, ``ave``,
``concat``), train for 250 epochs each on the same fresh sequences, ``--repeats`` times.
The article's steps are the functions below; the paired repeats, the summary and the
files are ``bilstm_companion/article/comparison_experiment.py``'s, as for ``compare_directions.py``.

Usage:
    python compare_merge_modes.py
    python compare_merge_modes.py --modes sum,concat --repeats 20
    python compare_merge_modes.py --loop fit --epochs 5 --repeats 1
"""

import argparse

from bilstm_classify import MERGE_MODES, build_bilstm
from bilstm_companion import cli
from bilstm_companion.article import command
from bilstm_companion.article.steps import Steps

NAME = "compare_merge_modes"

# The article's names for the four models.
MODEL_NAMES = {"sum": "bilstm_sum", "mul": "bilstm_mul", "ave": "bilstm_ave", "concat": "bilstm_con"}


def merge_mode_list(text):
    """argparse type: comma-separated merge modes, each known and listed once."""
    modes = [mode.strip() for mode in text.split(",") if mode.strip()]
    unknown = [mode for mode in modes if mode not in MERGE_MODES]
    if not modes or unknown:
        got = f"unknown {', '.join(map(repr, unknown))}" if unknown else "nothing"
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list from {','.join(MERGE_MODES)}, got {got}")
    twice = next((mode for index, mode in enumerate(modes) if mode in modes[:index]), None)
    if twice:
        raise argparse.ArgumentTypeError(f"{twice} is named twice; list each merge mode once")
    return modes


def merge_mode_models(n_timesteps, units, modes=MERGE_MODES):
    """One bidirectional LSTM builder per merge mode, by the article's names."""
    return {MODEL_NAMES[mode]: (lambda mode=mode: build_bilstm(n_timesteps, units, mode))
            for mode in modes}


def compile_model(model):
    """The article's compile: binary cross-entropy and Adam (and accuracy, for the summary)."""
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


# Training one model, its loss kept per epoch ------------------------------------------------

def train_model(model, n_timesteps, epochs=250, rng=None, callbacks=()):
    """The article's ``train_model`` (as in ``compare_directions.py``): a new sequence and one
    ``fit`` each epoch; every epoch's loss. A callback setting ``model.stop_training`` ends it."""
    from sequence import get_sequence  # (here, not at the top: NumPy loads after the command line)

    loss = []
    for _ in range(epochs):
        X, y = get_sequence(n_timesteps, rng)
        loss += model.fit(X, y, epochs=1, batch_size=1, verbose=0, callbacks=list(callbacks)).history["loss"]
        if model.stop_training:
            break
    return loss


# The line plot ------------------------------------------------------------------------------

def plot_losses(curves, path, **options):
    """Each merge mode's loss per epoch, a line each (the mean of the repeats, with its band)."""
    from bilstm_companion import plots

    return plots.plot_comparison(curves, path, **options)


STEPS = Steps(compile=compile_model, train=train_model, plot=plot_losses)


# The command line -----------------------------------------------------------------------

def main(argv=None):
    parser = command.comparison_parser(__doc__)
    parser.add_argument("--modes", type=merge_mode_list, default=list(MERGE_MODES), metavar="LIST",
                        help=f"merge modes to compare, comma-separated (default: {','.join(MERGE_MODES)})")
    args = parser.parse_args(argv)
    builders = merge_mode_models(args.timesteps, args.units, args.modes)
    title = f"Log loss per epoch: Bidirectional LSTM({args.units}) merge modes"
    # The article's loop over the merge modes, each model trained in turn (train_model with --loop
    # fit; the compiled loop makes the same updates: tests/test_training.py), --repeats times, paired.
    return command.run_comparison(parser, args, builders, STEPS, NAME, title)


if __name__ == "__main__":
    cli.run(main)
