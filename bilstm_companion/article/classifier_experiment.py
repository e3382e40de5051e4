"""The classifiers' experiment: train, show one sequence step by step, measure, save.

``lstm_classify.py`` and ``bilstm_classify.py`` each bring a model builder and hand it to
``run`` (through ``command.run_classifier``); everything else they do is here, so the two
read the same.
"""

import pandas as pd

from bilstm_companion import files, plots
from bilstm_companion.article import experiment
from bilstm_companion.article.training import (
    example_sequence,
    example_sequences,
    predict_probabilities,
    train_runs,
)
from bilstm_companion.progress import Progress, runs_label
from bilstm_companion.stats import format_interval, mean_ci
from bilstm_companion.stopping import STOP

# Training and evaluation ----------------------------------------------------------------

def train_classifier(build, steps, *, n_timesteps, epochs, repeats, seed, loop="compiled",
                     batch_repeats=False, eval_sequences=1000, verbose=0, should_stop=None):
    """Train ``repeats`` fresh models from ``build``, with the script's ``steps``, and measure each
    on held-out data.

    Returns ``training.Runs`` of the one model, named ``model``: its ``curves`` have columns
    ``repeat, epoch, loss, accuracy``.
    """
    def progress(name, group):
        return Progress(epochs, verbose, label=runs_label(group, repeats, "run") if repeats > 1 else "")

    runs = train_runs(
        {"model": build}, steps, n_timesteps=n_timesteps, epochs=epochs, repeats=repeats, seed=seed,
        loop=loop, batch_repeats=batch_repeats, eval_sequences=eval_sequences, progress=progress,
        should_stop=should_stop)
    runs.curves = runs.curves.drop(columns="model")
    return runs


def show_example(model, steps, n_timesteps, seed):
    """Predict one new sequence with the script's ``steps``, and print it step by step."""
    X, y = example_sequence(seed, n_timesteps)
    steps.show(X, y, steps.predict(model, X))


def draw_sequences(model, n_timesteps, seed, path, title):
    """Save the picture of what ``model`` sees on a few new sequences, the printed one first."""
    X, y = example_sequences(seed, n_timesteps)
    return plots.plot_sequences(X, y, {"probability": predict_probabilities(model, X)}, path,
                                title=f"{title.split(',')[0]}: each step's prediction, on new sequences",
                                first="the printed sequence")


def describe_accuracy(evaluations, eval_sequences):
    """One line per accuracy measure: a value, or a mean with its 95% interval over runs."""
    runs = len(evaluations)
    where = f"on {eval_sequences} held-out sequences" + (f", mean of {runs} runs [95% CI]" if runs > 1 else "")
    lines = [f"\nAccuracy {where}:"]
    for key, text in (("timestep_accuracy", "timesteps labelled correctly"),
                      ("sequence_accuracy", "sequences with every step correct")):
        value = format_interval(*mean_ci([e[key] for e in evaluations]))
        lines.append(f"  {text}: {value}")
    return "\n".join(lines)


# The run ------------------------------------------------------------------------------------

def run(args, build, steps, outputs, title):
    """Train, save every file, then report, as the command line asked; return the exit status.
    ``outputs`` are the files to write, as ``command.classifier_files`` lists them."""
    curves_csv, held_out_csv, plot, picture, *model_file = (path for _, path in outputs)

    def train():
        return train_classifier(
            build, steps, n_timesteps=args.timesteps, epochs=args.epochs, repeats=args.repeats,
            seed=args.seed, loop=args.loop, batch_repeats=args.batch_repeats,
            eval_sequences=args.eval_sequences, verbose=args.verbose, should_stop=STOP)

    def save(runs):
        curves, evaluations, model, stopped = runs.curves, runs.evaluations["model"], runs.models["model"], runs.stopped
        saved = [files.save_csv(curves, curves_csv)]
        if evaluations:
            held_out = pd.DataFrame(evaluations).rename_axis("repeat").reset_index()
            saved.append(files.save_csv(held_out, held_out_csv))
        else:  # no run finished: an earlier run's file would not match the new curves
            held_out_csv.unlink(missing_ok=True)
        saved.append(steps.plot(curves, plot, title=title, smooth=args.smooth, partial=stopped is not None,
                                show=args.show))
        if stopped:  # the model did not finish: an earlier run's picture would not be of it
            picture.unlink(missing_ok=True)
        else:
            saved.append(draw_sequences(model, args.timesteps, args.seed, picture, title))
        if model_file and not stopped:
            saved.append(files.atomic_write(model_file[0], model.save))
        return saved, [plot], None

    def report(runs, _):
        show_example(runs.models["model"], steps, args.timesteps, args.seed)
        print(describe_accuracy(runs.evaluations["model"], args.eval_sequences))

    return experiment.run(args, train=train, save=save, report=report, noun="run", name_model=False)
