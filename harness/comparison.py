"""The comparisons' experiment: paired repeats of several models, a summary and a plot.

``compare_directions.py`` and ``compare_merge_modes.py`` each bring their models (a name
and a builder each) and hand them to ``run``.
"""

from harness import cli, reporting
from harness.progress import Progress, runs_label, stop_point
from harness.stats import summarise
from harness.stopping import STOP
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
    sequences from the same weights seed. Returns ``(curves, evaluations, stopped)``:
    ``curves`` has columns ``model, repeat, epoch, loss``; ``evaluations`` maps a model name
    to one held-out evaluation per finished run; ``stopped`` is None, or where a stop
    request ended training (``training.Stopped``).
    """
    def progress(name, group):
        return Progress(epochs, verbose, label=f"{name}, {runs_label(group, repeats, 'repeat')}")

    curves, evaluations, _, stopped = train_runs(
        builders, n_timesteps=n_timesteps, epochs=epochs, repeats=repeats, seed=seed, loop=loop,
        batch_repeats=batch_repeats, eval_sequences=eval_sequences, progress=progress,
        should_stop=should_stop)
    return curves.drop(columns="accuracy"), evaluations, stopped


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


def paired_curves(curves, finished_evaluations):
    """The rows of ``curves`` the plot shows: the paired repeats that the summary compares
    (``finished_evaluations``, as ``complete_repeats`` returns them), so that every model's
    mean is over the same runs. When no run finished, the runs cut short."""
    if not finished_evaluations:
        return curves
    runs = len(next(iter(finished_evaluations.values())))
    return curves[curves["model"].isin(list(finished_evaluations)) & (curves["repeat"] < runs)]


def plot_subtitle(curves, plotted, smooth):
    """What the plot's mean is over, and the models it leaves out (no run finished)."""
    repeats = plotted["repeat"].nunique()
    text = f"mean of {repeats} runs with 95% band" if repeats > 1 else "one run"
    if smooth > 1:
        text += f", {smooth}-epoch rolling mean"
    left_out = [name for name in curves["model"].unique() if name not in set(plotted["model"])]
    if left_out:
        text += f"; no run finished: {', '.join(left_out)}"
    return text


# The command line -----------------------------------------------------------------------

def make_parser(doc):
    """The options both comparisons take."""
    parser = cli.make_parser(doc, epochs=EPOCHS, repeats=REPEATS, smooth=SMOOTH)
    parser.add_argument("--threshold", type=cli.positive_float, default=THRESHOLD, metavar="L",
                        help="loss level for the summary's 'epochs to loss < L' "
                             f"(default: {THRESHOLD})")
    return parser


def output_files(args, name):
    """Every file a comparison writes, with the option that places it."""
    return [("--output-dir", args.output_dir / f"{name}{ending}")
            for ending in (".csv", "_summary.csv", ".png")]


def validate(parser, args, name, n_models):
    """Refuse bad options before any training starts."""
    cli.validate(parser, args, output_files(args, name), n_models=n_models)


def run(args, builders, name, title):
    """Train, save every file, then report, as the command line asked; return the exit status.

    Files are saved before anything is printed, so a console that fails cannot lose them;
    a stop request (Ctrl-C, SIGTERM, a closed pipe) keeps the finished epochs.
    """
    cli.seed_everything(args.seed)
    STOP.enter("training")
    curves, evaluations, stopped = compare(
        builders, n_timesteps=args.timesteps, epochs=args.epochs, repeats=args.repeats,
        seed=args.seed, loop=args.loop, batch_repeats=args.batch_repeats,
        eval_sequences=args.eval_sequences, verbose=args.verbose, should_stop=STOP,
    )
    if curves.empty:
        STOP.say("Stopped before the first epoch finished; nothing was written.")
        return STOP.status

    STOP.enter("saving")
    curves_csv, summary_csv, plot = (path for _, path in output_files(args, name))
    saved = [reporting.save_csv(curves, curves_csv)]
    by_model, finished_evaluations = complete_repeats(curves, evaluations)
    last = min(LAST, args.epochs)
    if by_model:
        summary = summarise(by_model, finished_evaluations, last=last, smooth=args.smooth,
                            threshold=args.threshold)
        saved.append(reporting.save_csv(summary, summary_csv))
    else:  # no repeat finished: an earlier run's summary would not match the new curves
        summary_csv.unlink(missing_ok=True)
    # After a stop the CSV keeps every finished epoch; the plot compares the summary's pairs.
    plotted = paired_curves(curves, finished_evaluations)
    saved.append(reporting.plot_comparison(
        plotted, plot, title=f"{title}\n{plot_subtitle(curves, plotted, args.smooth)}", smooth=args.smooth,
        partial=stopped is not None, show=args.show))

    STOP.enter("reporting")
    where = ", ".join(str(path) for path in saved)
    if stopped:
        at = stop_point(stopped, args.epochs, args.repeats, "repeat")
        STOP.say(f"Stopped {at}; saved the finished epochs to {where}")
        return STOP.status
    if STOP():  # asked to stop while saving: everything is saved
        STOP.say(f"Stopped after saving {where}")
        return STOP.status
    runs = summary["repeats"].iloc[0]
    print(f"\nSummary of {runs} paired run{'s' if runs > 1 else ''} of {args.epochs} epochs per "
          f"model, as mean ± 95% CI half-width.\nEpochs to loss<{args.threshold:g}: first epoch "
          f"whose {args.smooth}-epoch mean is below it (runs that got there). Accuracy: on "
          f"{args.eval_sequences} held-out sequences.")
    print(reporting.summary_table(summary, last=last, smooth=args.smooth, threshold=args.threshold))
    print(f"\nSaved {where}")
    if args.show:
        reporting.show_figures([plot])
    return 0
