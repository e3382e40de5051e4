"""The comparisons' experiment: paired repeats of several models, a summary and a plot.

``compare_directions.py`` and ``compare_merge_modes.py`` each bring their models (a name
and a builder each) and hand them to ``run`` (through ``command.run_comparison``).
"""

from harness import files, plots
from harness.article import experiment
from harness.article.defaults import LAST
from harness.article.training import train_runs
from harness.progress import Progress, runs_label
from harness.stats import format_interval, summarise, verdict
from harness.stopping import STOP

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


def summary_table(summary, *, last, smooth, threshold):
    """The comparison summary as aligned text, one row per model."""
    first = summary["model"].iloc[0]
    headers = [
        "model", "mean loss", f"last {last} loss", f"epochs to loss<{threshold:g}",
        "timestep acc", "sequence acc", f"mean loss vs {first}",
    ]
    rows = []
    for index, row in summary.iterrows():
        cells = [row["model"]]
        for name in ("mean_loss", "last_loss", "epochs_to_threshold",
                     "timestep_accuracy", "sequence_accuracy"):
            digits = 0 if name == "epochs_to_threshold" else 3
            cells.append(format_interval(row[name], row[f"{name}_low"], row[f"{name}_high"], digits))
        cells[3] += f" ({row['reached']}/{row['repeats']})"
        if index == 0:
            cells.append("(reference)")
        else:
            low, high = row["diff_mean_loss_low"], row["diff_mean_loss_high"]
            diff = format_interval(row["diff_mean_loss"], low, high, sign=True)
            cells.append(f"{diff} {verdict(low, high)}")
        rows.append(cells)
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [headers, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# The run ------------------------------------------------------------------------------------

def run(args, builders, outputs, title):
    """Train, save every file, then report, as the command line asked; return the exit status.
    ``outputs`` are the files to write, as ``command.comparison_files`` lists them."""
    curves_csv, summary_csv, plot = (path for _, path in outputs)
    last = min(LAST, args.epochs)

    def train():
        curves, evaluations, stopped = compare(
            builders, n_timesteps=args.timesteps, epochs=args.epochs, repeats=args.repeats,
            seed=args.seed, loop=args.loop, batch_repeats=args.batch_repeats,
            eval_sequences=args.eval_sequences, verbose=args.verbose, should_stop=STOP)
        return curves, evaluations, None, stopped

    def save(trained):
        curves, evaluations, _, stopped = trained
        saved = [files.save_csv(curves, curves_csv)]
        by_model, finished_evaluations = complete_repeats(curves, evaluations)
        summary = None
        if by_model:
            summary = summarise(by_model, finished_evaluations, last=last, smooth=args.smooth,
                                threshold=args.threshold)
            saved.append(files.save_csv(summary, summary_csv))
        else:  # no repeat finished: an earlier run's summary would not match the new curves
            summary_csv.unlink(missing_ok=True)
        # After a stop the CSV keeps every finished epoch; the plot compares the summary's pairs.
        plotted = paired_curves(curves, finished_evaluations)
        saved.append(plots.plot_comparison(
            plotted, plot, title=f"{title}\n{plot_subtitle(curves, plotted, args.smooth)}",
            smooth=args.smooth, partial=stopped is not None, show=args.show))
        return saved, [plot], summary

    def report(trained, summary):
        runs = summary["repeats"].iloc[0]
        print(f"\nSummary of {runs} paired run{'s' if runs > 1 else ''} of {args.epochs} epochs per "
              f"model, as mean ± 95% CI half-width.\nEpochs to loss<{args.threshold:g}: first epoch "
              f"whose {args.smooth}-epoch mean is below it (runs that got there). Accuracy: on "
              f"{args.eval_sequences} held-out sequences.")
        print(summary_table(summary, last=last, smooth=args.smooth, threshold=args.threshold))

    return experiment.run(args, train=train, save=save, report=report, noun="repeat", name_model=True)
