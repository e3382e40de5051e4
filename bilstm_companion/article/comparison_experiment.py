"""The comparisons' experiment: paired repeats of several models, a summary and a plot.

``compare_directions.py`` and ``compare_merge_modes.py`` each bring their models (a name
and a builder each) and hand them to ``run`` (through ``command.run_comparison``).
"""

from bilstm_companion import files, plots
from bilstm_companion.article import experiment
from bilstm_companion.article.defaults import LAST
from bilstm_companion.article.training import example_sequences, train_runs
from bilstm_companion.progress import Progress, runs_label
from bilstm_companion.stats import format_interval, summarise, verdict
from bilstm_companion.stopping import STOP

# Training -------------------------------------------------------------------------------

def compare(builders, steps, *, n_timesteps, epochs, repeats, seed, loop="compiled",
            batch_repeats=False, eval_sequences=1000, verbose=0, should_stop=None, pictured=None):
    """Train every model ``repeats`` times, paired: repeat r feeds all of them the same
    sequences from the same weights seed. Returns ``training.Runs``, whose ``curves`` have
    columns ``model, repeat, epoch, loss``; with ``pictured`` sequences, each model's first
    run's predictions on them.
    """
    def progress(name, group):
        return Progress(epochs, verbose, label=f"{name}, {runs_label(group, repeats, 'repeat')}")

    runs = train_runs(
        builders, steps, n_timesteps=n_timesteps, epochs=epochs, repeats=repeats, seed=seed, loop=loop,
        batch_repeats=batch_repeats, eval_sequences=eval_sequences, progress=progress,
        should_stop=should_stop, pictured=pictured)
    runs.curves = runs.curves.drop(columns="accuracy")
    return runs


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
            cells.append(f"{diff} {verdict(low, high, above='higher', below='lower')}")
        rows.append(cells)
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [headers, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def subject(title):
    """What a comparison's plot title is about: ``Forward, backward and ... LSTM(20)``."""
    about = title.partition(":")[2].strip()
    return about[:1].upper() + about[1:]


# The run ------------------------------------------------------------------------------------

def run(args, builders, steps, outputs, title):
    """Train, save every file, then report, as the command line asked; return the exit status.
    ``outputs`` are the files to write, as ``command.comparison_files`` lists them."""
    curves_csv, summary_csv, plot, *picture = (path for _, path in outputs)
    last = min(LAST, args.epochs)
    pictured = example_sequences(args.seed, args.timesteps) if picture else None

    def train():
        return compare(
            builders, steps, n_timesteps=args.timesteps, epochs=args.epochs, repeats=args.repeats,
            seed=args.seed, loop=args.loop, batch_repeats=args.batch_repeats,
            eval_sequences=args.eval_sequences, verbose=args.verbose, should_stop=STOP,
            pictured=None if pictured is None else pictured[0])

    def save(runs):
        curves, evaluations, stopped = runs.curves, runs.evaluations, runs.stopped
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
        saved.append(steps.plot(
            plotted, plot, title=f"{title}\n{plot_subtitle(curves, plotted, args.smooth)}",
            smooth=args.smooth, partial=stopped is not None, show=args.show))
        if picture and len(runs.pictures) == len(builders):  # every model's first repeat finished
            saved.append(plots.plot_sequences(
                *pictured, runs.pictures, picture[0],
                title=f"{subject(title)}: each step's prediction of the first repeat's models, on new sequences"))
        elif picture:  # an earlier run's picture would not be of these models
            picture[0].unlink(missing_ok=True)
        return saved, [plot], summary

    def report(runs, summary):
        runs = summary["repeats"].iloc[0]
        print(f"\nSummary of {runs} paired run{'s' if runs > 1 else ''} of {args.epochs} epochs per "
              f"model, as mean ± 95% CI half-width.\nEpochs to loss<{args.threshold:g}: first epoch "
              f"whose {args.smooth}-epoch mean is below it, a run that never got there counted as one "
              f"past the end (in brackets, the runs that got there). Accuracy: on {args.eval_sequences} "
              "held-out sequences.")
        print(summary_table(summary, last=last, smooth=args.smooth, threshold=args.threshold))

    return experiment.run(args, train=train, save=save, report=report, noun="repeat", name_model=True)
