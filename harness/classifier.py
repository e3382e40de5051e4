"""The classifiers' experiment: train, show one sequence step by step, measure, save.

``lstm_classify.py`` and ``bilstm_classify.py`` each bring a model builder and hand it to
``run``; everything else they do is here, so the two read the same.
"""

import numpy as np
import pandas as pd

from harness import cli, reporting
from harness.progress import Progress, runs_label, stop_point
from harness.stats import mean_ci
from harness.stopping import STOP
from harness.training import example_sequence, predict_classes, train_runs

EPOCHS = 1000  # The article trains each classifier for 1,000 epochs.
SMOOTH = 50  # Rolling-mean window for the plot of the noisy per-epoch values.


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
        value = reporting.format_interval(*mean_ci([e[key] for e in evaluations]))
        lines.append(f"  {text}: {value}")
    return "\n".join(lines)


# The command line -----------------------------------------------------------------------

def make_parser(doc):
    """The options both classifiers take."""
    parser = cli.make_parser(doc, epochs=EPOCHS, repeats=1, smooth=SMOOTH)
    parser.add_argument("--save-model", type=cli.non_empty_path, metavar="PATH.keras",
                        help="also save the trained model (Keras format) here (default: off)")
    return parser


def output_files(args, name):
    """Every file a classifier run writes, with the option that places it."""
    files = [("--output-dir", args.output_dir / f"{name}{ending}")
             for ending in (".csv", "_heldout.csv", ".png")]
    if args.save_model is not None:
        files.append(("--save-model", args.save_model))
    return files


def validate(parser, args, name):
    """Refuse bad options before any training starts."""
    if args.save_model is not None and args.save_model.suffix != ".keras":
        parser.error(f"argument --save-model: expected a path ending in .keras, got '{args.save_model}'")
    cli.validate(parser, args, output_files(args, name))


def run(args, build, name, title):
    """Train, save every file, then report, as the command line asked; return the exit status.

    Files are saved before anything is printed, so a console that fails cannot lose them;
    a stop request (Ctrl-C, SIGTERM, a closed pipe) keeps the finished epochs.
    """
    cli.seed_everything(args.seed)
    STOP.enter("training")
    curves, evaluations, model, stopped = train_classifier(
        build, n_timesteps=args.timesteps, epochs=args.epochs, repeats=args.repeats,
        seed=args.seed, loop=args.loop, batch_repeats=args.batch_repeats,
        eval_sequences=args.eval_sequences, verbose=args.verbose, should_stop=STOP,
    )
    if curves.empty:
        STOP.say("Stopped before the first epoch finished; nothing was written.")
        return STOP.status

    STOP.enter("saving")
    curves_csv, held_out_csv, plot, *model_file = (path for _, path in output_files(args, name))
    saved = [reporting.save_csv(curves, curves_csv)]
    if evaluations:
        held_out = pd.DataFrame(evaluations).rename_axis("repeat").reset_index()
        saved.append(reporting.save_csv(held_out, held_out_csv))
    else:  # no run finished: an earlier run's file would not match the new curves
        held_out_csv.unlink(missing_ok=True)
    saved.append(reporting.plot_training(curves, plot, title=title, smooth=args.smooth,
                                         partial=stopped is not None, show=args.show))
    if model_file and not stopped:
        saved.append(reporting.atomic_write(model_file[0], model.save))

    STOP.enter("reporting")
    where = ", ".join(map(str, saved))
    if stopped:
        at = stop_point(stopped, args.epochs, args.repeats, "run", model=False)
        STOP.say(f"Stopped {at}; saved the finished epochs to {where}")
        return STOP.status
    if STOP():  # asked to stop while saving: everything is saved
        STOP.say(f"Stopped after saving {where}")
        return STOP.status
    show_example(model, args.timesteps, args.seed)
    print(describe_accuracy(evaluations, args.eval_sequences))
    print(f"\nSaved {where}")
    if args.show:
        reporting.show_figures([plot])
    return 0
