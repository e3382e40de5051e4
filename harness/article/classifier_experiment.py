"""The classifiers' experiment: train, show one sequence step by step, measure, save.

``lstm_classify.py`` and ``bilstm_classify.py`` each bring a model builder and hand it to
``run`` (through ``command.run_classifier``); everything else they do is here, so the two
read the same.
"""

import numpy as np
import pandas as pd

from harness import files, plots
from harness.article import experiment
from harness.article.training import example_sequence, predict_classes, train_runs
from harness.progress import Progress, runs_label
from harness.stats import format_interval, mean_ci
from harness.stopping import STOP

# Training and evaluation ----------------------------------------------------------------

def train_classifier(build, *, n_timesteps, epochs, repeats, seed, loop="compiled",
                     batch_repeats=False, eval_sequences=1000, verbose=0, should_stop=None):
    """Train ``repeats`` fresh models from ``build`` and measure each on held-out data.

    Returns ``(curves, evaluations, model, stopped)``: ``curves`` is a DataFrame with
    columns ``repeat, epoch, loss, accuracy``; ``evaluations`` one dict per finished run
    (see ``training.accuracy``); ``model`` the trained model of the last run; ``stopped``
    None, or where a stop request ended training (``training.Stopped``).
    """
    def progress(name, group):
        return Progress(epochs, verbose, label=runs_label(group, repeats, "run") if repeats > 1 else "")

    curves, evaluations, models, stopped = train_runs(
        {"model": build}, n_timesteps=n_timesteps, epochs=epochs, repeats=repeats, seed=seed,
        loop=loop, batch_repeats=batch_repeats, eval_sequences=eval_sequences, progress=progress,
        should_stop=should_stop)
    return curves.drop(columns="model"), evaluations["model"], models["model"], stopped


def show_example(model, n_timesteps, seed):
    """Print one new sequence with the expected and the predicted label of every step."""
    X, y = example_sequence(seed, n_timesteps)
    predicted = predict_classes(model, X)
    limit = n_timesteps / 4
    print(f"\nA new sequence (the label turns 1 once the running total reaches {limit:g}):")
    print("step      x  total  expected  predicted")
    for step, (x, total, expected, guess) in enumerate(
        zip(X.ravel(), np.cumsum(X.ravel()), y.ravel(), predicted.ravel()), 1
    ):
        mark = "  <- wrong" if expected != guess else ""
        print(f"{step:4d}  {x:.3f}  {total:5.2f}  {expected:8d}  {guess:9d}{mark}")


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

def run(args, build, outputs, title):
    """Train, save every file, then report, as the command line asked; return the exit status.
    ``outputs`` are the files to write, as ``command.classifier_files`` lists them."""
    curves_csv, held_out_csv, plot, *model_file = (path for _, path in outputs)

    def train():
        return train_classifier(
            build, n_timesteps=args.timesteps, epochs=args.epochs, repeats=args.repeats,
            seed=args.seed, loop=args.loop, batch_repeats=args.batch_repeats,
            eval_sequences=args.eval_sequences, verbose=args.verbose, should_stop=STOP)

    def save(trained):
        curves, evaluations, model, stopped = trained
        saved = [files.save_csv(curves, curves_csv)]
        if evaluations:
            held_out = pd.DataFrame(evaluations).rename_axis("repeat").reset_index()
            saved.append(files.save_csv(held_out, held_out_csv))
        else:  # no run finished: an earlier run's file would not match the new curves
            held_out_csv.unlink(missing_ok=True)
        saved.append(plots.plot_training(curves, plot, title=title, smooth=args.smooth,
                                         partial=stopped is not None, show=args.show))
        if model_file and not stopped:
            saved.append(files.atomic_write(model_file[0], model.save))
        return saved, [plot], None

    def report(trained, _):
        _, evaluations, model, _ = trained
        show_example(model, args.timesteps, args.seed)
        print(describe_accuracy(evaluations, args.eval_sequences))

    return experiment.run(args, train=train, save=save, report=report, noun="run", name_model=False)
