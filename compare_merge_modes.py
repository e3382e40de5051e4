"""Compare the four ways a bidirectional LSTM can merge its two directions.

Follows the article's section "Comparing Bidirectional LSTM Merge Modes". Four
bidirectional LSTMs, identical but for ``merge_mode`` (``sum``, ``mul``, ``ave``,
``concat``), train for 250 epochs each on the same fresh sequences, ``--repeats`` times.
Training (``harness/article/training.py``), the plot and the summary table
(``harness/article/comparison_experiment.py``) are those of ``compare_directions.py``.

Usage:
    python compare_merge_modes.py
    python compare_merge_modes.py --modes sum,concat --repeats 20
"""

import argparse

from bilstm_classify import MERGE_MODES, build_bilstm
from harness import cli
from harness.article import command

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


def main(argv=None):
    parser = command.comparison_parser(__doc__)
    parser.add_argument("--modes", type=merge_mode_list, default=list(MERGE_MODES), metavar="LIST",
                        help=f"merge modes to compare, comma-separated (default: {','.join(MERGE_MODES)})")
    args = parser.parse_args(argv)
    builders = merge_mode_models(args.timesteps, args.units, args.modes)
    title = f"Log loss per epoch: Bidirectional LSTM({args.units}) merge modes"
    return command.run_comparison(parser, args, builders, NAME, title)


if __name__ == "__main__":
    cli.run(main)
