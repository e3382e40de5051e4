"""LSTM for sequence classification: a forward LSTM labels every timestep of a sequence.

Follows the article's section "LSTM For Sequence Classification". An LSTM with 20 units
reads the sequence one value at a time and a sigmoid unit after it gives, at every
timestep, the probability that the running total has reached a quarter of the sequence
length. Each epoch trains on one fresh random sequence. Afterwards the script shows the
expected and predicted label of every step of a new sequence, and measures accuracy on
held-out sequences. The training loop is ``harness/article/training.py``; the steps after
it are ``harness/article/classifier_experiment.py``.

Usage:
    python lstm_classify.py
    python lstm_classify.py --epochs 2000 --verbose 2 --save-model results/lstm.keras
"""

from harness import cli
from harness.article import command

NAME = "lstm_classify"


# The model ------------------------------------------------------------------------------

def build_lstm(n_timesteps=10, units=20):
    """``LSTM(units, return_sequences=True)`` then ``Dense(1, sigmoid)`` at every timestep.

    A ``Dense`` layer applied to a sequence acts on each timestep separately, which is
    what the article's ``TimeDistributed(Dense(...))`` did; Keras 3 needs no wrapper.
    """
    # Keras is imported here, when a model is built, not at the top: the command line is
    # read and checked first, so that --help and a mistake are answered before it starts.
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(n_timesteps, 1)),
            layers.LSTM(units, return_sequences=True),
            layers.Dense(1, activation="sigmoid"),
        ],
        name="lstm",
    )


# The command line -----------------------------------------------------------------------

def main(argv=None):
    parser = command.classifier_parser(__doc__)
    args = parser.parse_args(argv)
    build = lambda: build_lstm(args.timesteps, args.units)
    title = f"LSTM({args.units}), {args.timesteps} timesteps, one fresh sequence per epoch"
    return command.run_classifier(parser, args, build, NAME, title)


if __name__ == "__main__":
    cli.run(main)
