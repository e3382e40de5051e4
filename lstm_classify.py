"""LSTM for sequence classification: a forward LSTM labels every timestep of a sequence.

Follows the article's section "LSTM For Sequence Classification". An LSTM with 20 units
reads the sequence one value at a time and a sigmoid unit after it gives, at every
timestep, the probability that the running total has reached a quarter of the sequence
length. Each epoch trains on one fresh random sequence. Afterwards the script shows the
expected and predicted label of every step of a new sequence, and measures accuracy on
held-out sequences. The article's steps are the functions below, in its order; the
repeats, the stops and the files are ``bilstm_companion/article/``'s.

Usage:
    python lstm_classify.py
    python lstm_classify.py --epochs 2000 --verbose 2 --save-model results/lstm.keras
    python lstm_classify.py --loop fit --epochs 5
"""

from bilstm_companion import cli
from bilstm_companion.article import command
from bilstm_companion.article.steps import Steps

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


def compile_model(model):
    """The article's compile: binary cross-entropy (a 0/1 label per step), Adam, and accuracy."""
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


# Training: each epoch, one fresh sequence and one update on it ---------------------------

def train_model(model, n_timesteps, epochs, rng=None, callbacks=()):
    """The article's loop: draw a new sequence, ``fit`` one epoch on it (batch 1), again and
    again; return each epoch's loss and accuracy. ``callbacks`` go to every ``fit``; one that
    sets ``model.stop_training`` (this project's Ctrl-C) ends the loop."""
    from sequence import get_sequence  # (here, not at the top: NumPy loads after the command line)

    losses, accuracies = [], []
    for _ in range(epochs):
        X, y = get_sequence(n_timesteps, rng)
        history = model.fit(X, y, epochs=1, batch_size=1, verbose=0, callbacks=list(callbacks))
        losses.append(history.history["loss"][0])
        accuracies.append(history.history["accuracy"][0])
        if model.stop_training:
            break
    return losses, accuracies


# A new sequence, predicted step by step -----------------------------------------------------

def predict_classes(model, X):
    """Each step's class: the sigmoid's output above one half (Keras 3 has no ``predict_classes``)."""
    return (model.predict(X, verbose=0) > 0.5).astype(int)


def show_prediction(X, y, predicted):
    """Print each step of the sequence ``X``: its value, the running total, the expected
    label and the predicted one, as the article's Expected/Predicted lines, a mistake marked."""
    values, total = X.ravel(), X.ravel().cumsum()
    print(f"\nA new sequence (the label turns 1 once the running total reaches {len(values) / 4:g}):")
    print("step      x  total  expected  predicted")
    for step, (x, running, expected, guess) in enumerate(zip(values, total, y.ravel(), predicted.ravel()), 1):
        print(f"{step:4d}  {x:.3f}  {running:5.2f}  {expected:8d}  {guess:9d}{'  <- wrong' if expected != guess else ''}")


# The plot -----------------------------------------------------------------------------------

def plot_curves(curves, path, **options):
    """Loss and accuracy per epoch (the article prints them as ``fit`` goes; here they are drawn)."""
    from bilstm_companion import plots

    return plots.plot_training(curves, path, **options)


STEPS = Steps(compile=compile_model, train=train_model, predict=predict_classes, show=show_prediction,
              plot=plot_curves)


# The command line -----------------------------------------------------------------------

def main(argv=None):
    parser = command.classifier_parser(__doc__)
    args = parser.parse_args(argv)
    build = lambda: build_lstm(args.timesteps, args.units)
    title = f"LSTM({args.units}), {args.timesteps} timesteps, one fresh sequence per epoch"
    # With --loop fit the runs are train_model's, above. The default, the compiled loop, makes the
    # same updates, many epochs per compiled call: tests/test_training.py's
    # test_compiled_loop_equals_fit_loop holds it to train_model's losses and weights.
    return command.run_classifier(parser, args, build, STEPS, NAME, title)


if __name__ == "__main__":
    cli.run(main)
