"""Compare a forward LSTM, a backward LSTM and a bidirectional LSTM as they learn.

Follows the article's section "Compare LSTM to Bidirectional LSTM". Three models train for
250 epochs each on the same fresh sequences: ``lstm_forw`` reads the sequence forwards,
``lstm_back`` reads it backwards (``go_backwards=True``) and ``bilstm_con`` does both and
concatenates. Each model is trained ``--repeats`` times; the plot shows the mean loss per
epoch with a 95% confidence band, and a summary table says which differences are real.

Usage:
    python compare_directions.py
    python compare_directions.py --repeats 20 --article-backwards
"""

import cli  # noqa: I001  (first: it loads TensorFlow with its start-up noise hidden)

import sys

import keras
from keras import layers, ops

import reporting
from bilstm_classify import build_bilstm
from lstm_classify import build_lstm
from stats import summarise
from training import train_runs

EPOCHS = 250  # The article's comparisons train each model for 250 epochs.
REPEATS = 5
SMOOTH = 10
THRESHOLD = 0.3  # "Epochs to threshold" counts epochs until the smoothed loss is below this.
LAST = 50  # The summary's "late" loss is the mean over this many final epochs.


# The backward LSTM ----------------------------------------------------------------------
#
# LSTM(go_backwards=True, return_sequences=True) reads the sequence from its last step to
# its first and returns its outputs in that reading order: output 0 belongs to input step
# n-1. Scored against the labels as they stand (as the article does), the prediction for
# step t then comes from the state at input step n-1-t. Reversing the outputs again lines
# prediction t up with input step t, as Bidirectional does for its backward half.

@keras.saving.register_keras_serializable(package="bilstm_companion")
class ReverseTime(layers.Layer):
    """Reverse a batch of sequences along the time axis."""

    def call(self, inputs):
        return ops.flip(inputs, axis=1)


def build_backward_lstm(n_timesteps=10, units=20, aligned=True):
    """An LSTM that reads the sequence backwards, then ``Dense(1, sigmoid)`` per timestep.

    ``aligned=True`` flips the LSTM's outputs back into input order; ``aligned=False`` is
    the article's model, whose prediction t is made at input step ``n_timesteps - 1 - t``.
    """
    stack = [
        keras.Input(shape=(n_timesteps, 1)),
        layers.LSTM(units, return_sequences=True, go_backwards=True),
    ]
    if aligned:
        stack.append(ReverseTime())
    stack.append(layers.Dense(1, activation="sigmoid"))
    return keras.Sequential(stack, name="lstm_back" if aligned else "lstm_back_article")


def direction_models(n_timesteps, units, article_backwards=False):
    """The three models of the comparison, by the article's names, as builders."""
    return {
        "lstm_forw": lambda: build_lstm(n_timesteps, units),
        "lstm_back": lambda: build_backward_lstm(n_timesteps, units, aligned=not article_backwards),
        "bilstm_con": lambda: build_bilstm(n_timesteps, units, "concat"),
    }


# Training -------------------------------------------------------------------------------

def compare(builders, *, n_timesteps, epochs, repeats, seed, loop="compiled",
            eval_sequences=1000, verbose=0, should_stop=None):
    """Train every model ``repeats`` times, paired: repeat r feeds all of them the same
    sequences from the same weights seed. Returns ``(curves, evaluations, interrupted)``:
    ``curves`` has columns ``model, repeat, epoch, loss``; ``evaluations`` maps a model name
    to one held-out evaluation per finished run.
    """
    def progress(name, repeat):
        return cli.Progress(epochs, verbose, label=f"{name}, repeat {repeat + 1}/{repeats}")

    curves, evaluations, _, interrupted = train_runs(
        builders, n_timesteps=n_timesteps, epochs=epochs, repeats=repeats, seed=seed, loop=loop,
        eval_sequences=eval_sequences, progress=progress, should_stop=should_stop)
    return curves.drop(columns="accuracy"), evaluations, interrupted


def complete_repeats(curves, evaluations):
    """The curves and evaluations of the repeats every model finished, as arrays by model."""
    finished = min(len(runs) for runs in evaluations.values())
    by_model = {}
    for name, group in curves[curves["repeat"] < finished].groupby("model", sort=False):
        by_model[name] = group.pivot(index="repeat", columns="epoch", values="loss").to_numpy()
    return by_model, {name: runs[:finished] for name, runs in evaluations.items()}


# The command line -----------------------------------------------------------------------

def make_comparison_parser(doc):
    """The options both comparisons take."""
    parser = cli.make_parser(doc, epochs=EPOCHS, repeats=REPEATS, smooth=SMOOTH)
    parser.add_argument("--threshold", type=cli.positive_float, default=THRESHOLD, metavar="L",
                        help="loss level for the summary's 'epochs to loss < L' "
                             f"(default: {THRESHOLD})")
    return parser


def run_comparison(args, builders, name, title):
    """Train, summarise, plot and save as the command line asked; return the exit status."""
    cli.seed_everything(args.seed)
    with cli.StopRequest() as stop:
        curves, evaluations, interrupted = compare(
            builders, n_timesteps=args.timesteps, epochs=args.epochs, repeats=args.repeats,
            seed=args.seed, loop=args.loop, eval_sequences=args.eval_sequences,
            verbose=args.verbose, should_stop=stop,
        )
    saved = [reporting.save_csv(curves, args.output_dir / f"{name}.csv")]
    by_model, finished_evaluations = complete_repeats(curves, evaluations)
    if by_model:
        last = min(LAST, args.epochs)
        summary = summarise(by_model, finished_evaluations, last=last, smooth=args.smooth,
                            threshold=args.threshold)
        runs = summary["repeats"].iloc[0]
        print(f"\nSummary of {runs} paired run{'s' if runs > 1 else ''} of {args.epochs} epochs per "
              f"model, as mean ± 95% CI half-width.\nEpochs to loss<{args.threshold:g}: first epoch "
              f"whose {args.smooth}-epoch mean is below it (runs that got there). Accuracy: on "
              f"{args.eval_sequences} held-out sequences.")
        print(reporting.summary_table(summary, last=last, smooth=args.smooth, threshold=args.threshold))
        saved.append(reporting.save_csv(summary, args.output_dir / f"{name}_summary.csv"))
    repeats = curves["repeat"].nunique()
    band = f"mean of {repeats} runs with 95% band" if repeats > 1 else "one run"
    smooth = f", {args.smooth}-epoch rolling mean" if args.smooth > 1 else ""
    saved.append(reporting.plot_comparison(
        curves, args.output_dir / f"{name}.png", title=f"{title}\n{band}{smooth}",
        smooth=args.smooth, partial=interrupted, show=args.show))
    where = ", ".join(str(path) for path in saved)
    if interrupted:
        last = curves.iloc[-1]
        print(f"Stopped after epoch {int(last['epoch'])}/{args.epochs} of {last['model']}, repeat "
              f"{int(last['repeat']) + 1}/{args.repeats}; saved the finished epochs to {where}",
              file=sys.stderr)
        return 130
    print(f"\nSaved {where}")
    return 0


def main(argv=None):
    parser = make_comparison_parser(__doc__)
    parser.add_argument("--article-backwards", action="store_true",
                        help="score lstm_back's outputs in its reversed reading order, as the "
                             "article does, instead of aligned with the input (default: off)")
    args = parser.parse_args(argv)
    cli.validate(parser, args)
    builders = direction_models(args.timesteps, args.units, args.article_backwards)
    title = f"Log loss per epoch: forward, backward and bidirectional LSTM({args.units})"
    if args.article_backwards:
        title += ", lstm_back as in the article"
    return run_comparison(args, builders, "compare_directions", title)


if __name__ == "__main__":
    with cli.friendly_exit():
        sys.exit(main())
