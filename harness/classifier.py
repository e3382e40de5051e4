"""The classifiers' experiment: train, show one sequence step by step, measure, save.

``lstm_classify.py`` and ``bilstm_classify.py`` each bring a model builder and hand it to
``run``; everything else they do is here, so the two read the same.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from harness import cli, reporting
from harness.progress import Progress, runs_label
from harness.stats import mean_ci
from harness.stopping import StopRequest
from harness.training import example_sequence, predict_classes, train_runs

EPOCHS = 1000  # The article trains each classifier for 1,000 epochs.
SMOOTH = 50  # Rolling-mean window for the plot of the noisy per-epoch values.


# Training and evaluation ----------------------------------------------------------------

def train_classifier(build, *, n_timesteps, epochs, repeats, seed, loop="compiled",
                     batch_repeats=False, eval_sequences=1000, verbose=0, should_stop=None):
    """Train ``repeats`` fresh models from ``build`` and measure each on held-out data.

    Returns ``(curves, evaluations, model, interrupted)``: ``curves`` is a DataFrame with
    columns ``repeat, epoch, loss, accuracy``; ``evaluations`` one dict per finished run
    (see ``training.evaluate``); ``model`` the trained model of the last run.
    """
    def progress(name, group):
        return Progress(epochs, verbose, label=runs_label(group, repeats, "run") if repeats > 1 else "")

    curves, evaluations, models, interrupted = train_runs(
        {"model": build}, n_timesteps=n_timesteps, epochs=epochs, repeats=repeats, seed=seed,
        loop=loop, batch_repeats=batch_repeats, eval_sequences=eval_sequences, progress=progress,
        should_stop=should_stop)
    return curves.drop(columns="model"), evaluations["model"], models["model"], interrupted


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
        value = reporting.format_interval(*mean_ci([e[key] for e in evaluations]))
        lines.append(f"  {text}: {value}")
    return "\n".join(lines)


# The command line -----------------------------------------------------------------------

def make_parser(doc):
    """The options both classifiers take."""
    parser = cli.make_parser(doc, epochs=EPOCHS, repeats=1, smooth=SMOOTH)
    parser.add_argument("--save-model", type=Path, metavar="PATH.keras",
                        help="also save the trained model (Keras format) here (default: off)")
    return parser


def validate(parser, args):
    """Refuse bad options before any training starts."""
    more_dirs = []
    if args.save_model is not None:
        if args.save_model.suffix != ".keras":
            parser.error(f"argument --save-model: expected a path ending in .keras, got '{args.save_model}'")
        more_dirs.append(("--save-model", args.save_model.parent))
    cli.validate(parser, args, more_dirs)


def run(args, build, name, title):
    """Train, report and save as the command line asked; return the exit status."""
    cli.seed_everything(args.seed)
    with StopRequest() as stop:
        curves, evaluations, model, interrupted = train_classifier(
            build, n_timesteps=args.timesteps, epochs=args.epochs, repeats=args.repeats,
            seed=args.seed, loop=args.loop, batch_repeats=args.batch_repeats,
            eval_sequences=args.eval_sequences,
            verbose=args.verbose, should_stop=stop,
        )
    if not interrupted:
        show_example(model, args.timesteps, args.seed)
        print(describe_accuracy(evaluations, args.eval_sequences))
    saved = [reporting.save_csv(curves, args.output_dir / f"{name}.csv")]
    if evaluations:
        held_out = pd.DataFrame(evaluations).rename_axis("repeat").reset_index()
        saved.append(reporting.save_csv(held_out, args.output_dir / f"{name}_heldout.csv"))
    saved.append(reporting.plot_training(
        curves, args.output_dir / f"{name}.png", title=title, smooth=args.smooth,
        partial=interrupted, show=args.show))
    where = ", ".join(map(str, saved))
    if interrupted:
        last = curves.iloc[-1]
        run = f" of run {int(last['repeat']) + 1}/{args.repeats}" if args.repeats > 1 else ""
        print(f"Stopped after epoch {int(last['epoch'])}/{args.epochs}{run}; saved the finished epochs "
              f"to {where}", file=sys.stderr)
        return 130
    print(f"\nSaved {where}")
    if args.save_model is not None:
        reporting.atomic_write(args.save_model, model.save)
        print(f"Saved the trained model to {args.save_model}")
    return 0
