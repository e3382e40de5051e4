"""Bidirectional LSTM for sequence classification: each timestep sees the past and the future.

Follows the article's section "Bidirectional LSTM For Sequence Classification". The LSTM
of ``lstm_classify.py`` is wrapped in ``Bidirectional``: one copy reads the sequence
forwards, a second reads it backwards, and their outputs at each timestep are merged
(concatenated by default) before the per-timestep sigmoid unit. Training
(``harness/article/training.py``), the example and the held-out accuracy
(``harness/article/classifier_experiment.py``) are those of ``lstm_classify.py``.

Usage:
    python bilstm_classify.py
    python bilstm_classify.py --merge-mode sum --epochs 500
"""

from harness import cli
from harness.article import command
from harness.article.defaults import MERGE_MODES

NAME = "bilstm_classify"
# How Bidirectional combines the forward and backward outputs at each timestep.


# The model ------------------------------------------------------------------------------

def build_bilstm(n_timesteps=10, units=20, merge_mode="concat"):
    """``Bidirectional(LSTM(units, return_sequences=True))`` then ``Dense(1, sigmoid)``.

    With ``merge_mode="concat"`` the sigmoid unit sees ``2 * units`` values per timestep;
    with ``sum``, ``mul`` or ``ave`` it sees ``units``.
    """
    if merge_mode not in MERGE_MODES:
        raise ValueError(f"merge_mode must be one of {', '.join(MERGE_MODES)}, got {merge_mode!r}")
    import keras  # (here, not at the top: see lstm_classify.build_lstm)
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(n_timesteps, 1)),
            layers.Bidirectional(layers.LSTM(units, return_sequences=True), merge_mode=merge_mode),
            layers.Dense(1, activation="sigmoid"),
        ],
        name=f"bilstm_{merge_mode}",
    )


# The command line -----------------------------------------------------------------------

def main(argv=None):
    parser = command.classifier_parser(__doc__)
    parser.add_argument("--merge-mode", choices=MERGE_MODES, default="concat",
                        help="how the two directions' outputs are combined (default: concat)")
    args = parser.parse_args(argv)
    build = lambda: build_bilstm(args.timesteps, args.units, args.merge_mode)
    title = (f"Bidirectional LSTM({args.units}), merge mode {args.merge_mode}, "
             f"{args.timesteps} timesteps, one fresh sequence per epoch")
    return command.run_classifier(parser, args, build, NAME, title)


if __name__ == "__main__":
    cli.run(main)
