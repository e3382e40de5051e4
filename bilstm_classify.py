"""Bidirectional LSTM for sequence classification: each timestep sees the past and the future.

Follows the article's section "Bidirectional LSTM For Sequence Classification". The LSTM
of ``lstm_classify.py`` is wrapped in ``Bidirectional``: one copy reads the sequence
forwards, a second reads it backwards, and their outputs at each timestep are merged
(concatenated by default) before the per-timestep sigmoid unit. The rest is the article's
listing again: compile, one fresh sequence per epoch, a new sequence predicted, the plot.

Usage:
    python bilstm_classify.py
    python bilstm_classify.py --merge-mode sum --epochs 500
    python bilstm_classify.py --loop fit --epochs 5
"""

from bilstm_companion import cli
from bilstm_companion.article import command
from bilstm_companion.article.defaults import MERGE_MODES
from bilstm_companion.article.steps import Steps

NAME = "bilstm_classify"


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


def compile_model(model):
    """As the article compiles every model: binary cross-entropy, Adam, and accuracy."""
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


# Training: each epoch, one fresh sequence and one update on it ---------------------------

def train_model(model, n_timesteps, epochs, rng=None, callbacks=()):
    """The article's loop, as in ``lstm_classify.py``: a new sequence, one ``fit`` epoch on it;
    each epoch's loss and accuracy. A callback setting ``model.stop_training`` ends it."""
    from sequence import get_sequence  # (here, not at the top: NumPy loads after the command line)

    losses, accuracies = [], []
    for _ in range(epochs):
        X, y = get_sequence(n_timesteps, rng)
        logs = model.fit(X, y, epochs=1, batch_size=1, verbose=0, callbacks=list(callbacks)).history
        losses, accuracies = losses + logs["loss"], accuracies + logs["accuracy"]
        if model.stop_training:
            break
    return losses, accuracies


# A new sequence, predicted step by step -----------------------------------------------------

def predict_classes(model, X):
    """Each step's class: the sigmoid's output above one half."""
    return (model.predict(X, verbose=0) > 0.5).astype(int)


def show_prediction(X, y, predicted):
    """Each step of ``X``: value, running total, expected and predicted label, mistakes marked."""
    print(f"\nA new sequence (the label turns 1 once the running total reaches {X.size / 4:g}):")
    print("step      x  total  expected  predicted")
    rows = zip(X.ravel(), X.ravel().cumsum(), y.ravel(), predicted.ravel())
    for step, (x, running, expected, guess) in enumerate(rows, 1):
        mark = "  <- wrong" if expected != guess else ""
        print(f"{step:4d}  {x:.3f}  {running:5.2f}  {expected:8d}  {guess:9d}{mark}")


# The plot -----------------------------------------------------------------------------------

def plot_curves(curves, path, **options):
    """Loss and accuracy per epoch, drawn (one call to the project's plotting)."""
    from bilstm_companion import plots

    return plots.plot_training(curves, path, **options)


STEPS = Steps(compile=compile_model, train=train_model, predict=predict_classes, show=show_prediction,
              plot=plot_curves)


# The command line -----------------------------------------------------------------------

def main(argv=None):
    parser = command.classifier_parser(__doc__)
    parser.add_argument("--merge-mode", choices=MERGE_MODES, default="concat",
                        help="how the two directions' outputs are combined (default: concat)")
    args = parser.parse_args(argv)
    build = lambda: build_bilstm(args.timesteps, args.units, args.merge_mode)
    title = (f"Bidirectional LSTM({args.units}), merge mode {args.merge_mode}, "
             f"{args.timesteps} timesteps, one fresh sequence per epoch")
    # --loop fit runs train_model above; the default compiled loop makes the same updates, many epochs
    # per compiled call (tests/test_training.py, test_compiled_loop_equals_fit_loop).
    return command.run_classifier(parser, args, build, STEPS, NAME, title)


if __name__ == "__main__":
    cli.run(main)
