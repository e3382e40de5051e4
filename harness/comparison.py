"""The comparisons' experiment: paired repeats of several models, a summary and a plot.

``compare_directions.py`` and ``compare_merge_modes.py`` each bring their models (a name
and a builder each) and hand them to ``run``.
"""

import sys

from harness import cli, reporting
from harness.progress import Progress, runs_label
from harness.stats import summarise
from harness.stopping import StopRequest
from harness.training import train_runs

EPOCHS = 250  # The article's comparisons train each model for 250 epochs.
REPEATS = 5
SMOOTH = 10
THRESHOLD = 0.3  # "Epochs to threshold" counts epochs until the smoothed loss is below this.
LAST = 50  # The summary's "late" loss is the mean over this many final epochs.


# Training -------------------------------------------------------------------------------

def compare(builders, *, n_timesteps, epochs, repeats, seed, loop="compiled",
            batch_repeats=False, eval_sequences=1000, verbose=0, should_stop=None):
    """Train every model ``repeats`` times, paired: repeat r feeds all of them the same
    sequences from the same weights seed. Returns ``(curves, evaluations, interrupted)``:
    ``curves`` has columns ``model, repeat, epoch, loss``; ``evaluations`` maps a model name
    to one held-out evaluation per finished run.
    """
    def progress(name, group):
        return Progress(epochs, verbose, label=f"{name}, {runs_label(group, repeats, 'repeat')}")

    curves, evaluations, _, interrupted = train_runs(
        builders, n_timesteps=n_timesteps, epochs=epochs, repeats=repeats, seed=seed, loop=loop,
        batch_repeats=batch_repeats, eval_sequences=eval_sequences, progress=progress,
        should_stop=should_stop)
    return curves.drop(columns="accuracy"), evaluations, interrupted


def complete_repeats(curves, evaluations):
    """The curves and evaluations of the repeats to summarise, as arrays by model.

    After Ctrl-C, the models that finished no run are left out, and the others keep the
    repeats they all finished, so that the pairs stay whole.
    """
    started = [name for name, runs in evaluations.items() if runs]
    finished = min((len(evaluations[name]) for name in started), default=0)
    by_model = {}
    for name in started:
        group = curves[(curves["model"] == name) & (curves["repeat"] < finished)]
        by_model[name] = group.pivot(index="repeat", columns="epoch", values="loss").to_numpy()
    return by_model, {name: evaluations[name][:finished] for name in started}


# The command line -----------------------------------------------------------------------

def make_parser(doc):
    """The options both comparisons take."""
    parser = cli.make_parser(doc, epochs=EPOCHS, repeats=REPEATS, smooth=SMOOTH)
    parser.add_argument("--threshold", type=cli.positive_float, default=THRESHOLD, metavar="L",
                        help="loss level for the summary's 'epochs to loss < L' "
                             f"(default: {THRESHOLD})")
    return parser


def run(args, builders, name, title):
    """Train, summarise, plot and save as the command line asked; return the exit status."""
    cli.seed_everything(args.seed)
    with StopRequest() as stop:
        curves, evaluations, interrupted = compare(
            builders, n_timesteps=args.timesteps, epochs=args.epochs, repeats=args.repeats,
            seed=args.seed, loop=args.loop, batch_repeats=args.batch_repeats,
            eval_sequences=args.eval_sequences,
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
