"""Compare a forward LSTM, a backward LSTM and a bidirectional LSTM as they learn.

Follows the article's section "Compare LSTM to Bidirectional LSTM". Three models train for
250 epochs each on the same fresh sequences: ``lstm_forw`` reads the sequence forwards,
``lstm_back`` reads it backwards (``go_backwards=True``) and ``bilstm_con`` does both and
concatenates. Each model is trained ``--repeats`` times; the plot shows the mean loss per
epoch with a 95% confidence band, and a summary table says which differences are real.
The article's steps are the functions below; the paired repeats, the summary and the
files are ``bilstm_companion/article/comparison_experiment.py``'s.

Usage:
    python compare_directions.py
    python compare_directions.py --repeats 20 --article-backwards
    python compare_directions.py --loop fit --epochs 5 --repeats 1
"""

from bilstm_classify import build_bilstm
from bilstm_companion import cli
from bilstm_companion.article import command
from bilstm_companion.article.steps import Steps
from lstm_classify import build_lstm

NAME = "compare_directions"


# The backward LSTM ----------------------------------------------------------------------
#
# LSTM(go_backwards=True, return_sequences=True) reads the sequence from its last step to
# its first and returns its outputs in that reading order: output 0 belongs to input step
# n-1. Scored against the labels as they stand (as the article does), the prediction for
# step t then comes from the state at input step n-1-t. Reversing the outputs again lines
# prediction t up with input step t, as Bidirectional does for its backward half: one
# Lambda layer, ops.flip(outputs, axis=1).

def build_backward_lstm(n_timesteps=10, units=20, aligned=True):
    """An LSTM that reads the sequence backwards, then ``Dense(1, sigmoid)`` per timestep.

    ``aligned=True`` flips the LSTM's outputs back into input order; ``aligned=False`` is
    the article's model, whose prediction t is made at input step ``n_timesteps - 1 - t``.
    """
    import keras  # (here, not at the top: see lstm_classify.build_lstm)
    from keras import layers

    stack = [
        keras.Input(shape=(n_timesteps, 1)),
        layers.LSTM(units, return_sequences=True, go_backwards=True),
    ]
    if aligned:
        stack.append(layers.Lambda(lambda outputs: keras.ops.flip(outputs, axis=1), name="reverse_time"))
    stack.append(layers.Dense(1, activation="sigmoid"))
    return keras.Sequential(stack, name="lstm_back" if aligned else "lstm_back_article")


def direction_models(n_timesteps, units, article_backwards=False):
    """The three models of the comparison, by the article's names, as builders."""
    return {
        "lstm_forw": lambda: build_lstm(n_timesteps, units),
        "lstm_back": lambda: build_backward_lstm(n_timesteps, units, aligned=not article_backwards),
        "bilstm_con": lambda: build_bilstm(n_timesteps, units, "concat"),
    }


def compile_model(model):
    """The article's compile of every model compared: binary cross-entropy and Adam (and accuracy)."""
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


# Training one model, its loss kept per epoch ------------------------------------------------

def train_model(model, n_timesteps, epochs=250, rng=None, callbacks=()):
    """The article's ``train_model``: each epoch a new sequence and one ``fit`` on it; the loss
    of every epoch. A callback setting ``model.stop_training`` (Ctrl-C here) ends it."""
    from sequence import get_sequence  # (here, not at the top: NumPy loads after the command line)

    loss = []
    for _ in range(epochs):
        X, y = get_sequence(n_timesteps, rng)
        history = model.fit(X, y, epochs=1, batch_size=1, verbose=0, callbacks=list(callbacks))
        loss.append(history.history["loss"][0])
        if model.stop_training:
            break
    return loss


# The line plot ------------------------------------------------------------------------------

def plot_losses(curves, path, **options):
    """Each model's loss per epoch, one line each (the article's ``results.plot()``), here the
    mean of the repeats with its 95% band."""
    from bilstm_companion import plots

    return plots.plot_comparison(curves, path, **options)


STEPS = Steps(compile=compile_model, train=train_model, plot=plot_losses)


# The command line -----------------------------------------------------------------------

def main(argv=None):
    parser = command.comparison_parser(__doc__)
    parser.add_argument("--article-backwards", action="store_true",
                        help="score lstm_back's outputs in its reversed reading order, as the "
                             "article does, instead of aligned with the input (default: off)")
    args = parser.parse_args(argv)
    builders = direction_models(args.timesteps, args.units, args.article_backwards)
    title = f"Log loss per epoch: forward, backward and bidirectional LSTM({args.units})"
    if args.article_backwards:
        title += ", lstm_back as in the article"
    # The article's loop over the models: each trained in turn (train_model with --loop fit; the
    # compiled loop makes the same updates, tests/test_training.py, test_compiled_loop_equals_fit_loop),
    # here --repeats times, each model of a repeat from the same weights on the same sequences.
    return command.run_comparison(parser, args, builders, STEPS, NAME, title, picture=True)


if __name__ == "__main__":
    cli.run(main)
