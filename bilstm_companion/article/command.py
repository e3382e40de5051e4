"""The four article scripts' command line: their options, what is checked before Keras starts,
then the start of the backend and the hand-over to the experiment.

Nothing here imports NumPy, pandas, Matplotlib or Keras when it is imported: a script reads
and checks its command line first, so that ``--help`` and a mistake are answered at once.
``run_classifier`` and ``run_comparison`` then start the backend (``bilstm_companion.cli.start``),
make the checks that need it, and call the experiment (``classifier_experiment.py``,
``comparison_experiment.py``), which imports what it needs.
"""

import argparse

from bilstm_companion import cli
from bilstm_companion.article.defaults import (
    CLASSIFIER_EPOCHS,
    CLASSIFIER_SMOOTH,
    COMPARISON_EPOCHS,
    COMPARISON_REPEATS,
    COMPARISON_SMOOTH,
    THRESHOLD,
)
from bilstm_companion.options import non_empty_path, positive_float, positive_int


def make_parser(doc, *, epochs, repeats, smooth):
    """A parser with the options every article script takes; ``doc`` is the script's docstring."""
    parser = cli.new_parser(doc)
    add = parser.add_argument
    add("--timesteps", type=positive_int, default=10, metavar="N",
        help="timesteps per sequence (default: 10)")
    add("--units", type=positive_int, default=20, metavar="N",
        help="memory units in each LSTM (default: 20)")
    add("--epochs", type=positive_int, default=epochs, metavar="N",
        help=f"epochs, one fresh sequence and one update each (default: {epochs})")
    add("--repeats", type=positive_int, default=repeats, metavar="R",
        help=f"independent training runs of each model (default: {repeats})")
    add("--eval-sequences", type=positive_int, default=1000, metavar="N",
        help="fresh held-out sequences to measure accuracy on (default: 1000)")
    add("--smooth", type=positive_int, default=smooth, metavar="W",
        help=f"rolling-mean window over epochs for plots and summaries (default: {smooth})")
    add("--loop", choices=("compiled", "fit"), default="compiled",
        help="compiled: many epochs per compiled call (XLA on TensorFlow, jax.jit on JAX; "
             "on PyTorch fit's update without fit); fit: the article's model.fit per "
             "sequence (default: compiled)")
    add("--batch-repeats", action=argparse.BooleanOptionalAction, default=None,
        help="train a model's repeats together in one compiled program, each with its own "
             "weights, Adam state and sequences: the same numbers, in less time. Only JAX can; "
             "on TensorFlow and PyTorch repeats train one at a time (default: on where the "
             "backend can)")
    cli.add_run_options(parser)
    add("--show", action="store_true",
        help="also open the plot in a window (default: off, the plot is only saved)")
    return parser


def classifier_parser(doc):
    """The options both classifiers take."""
    parser = make_parser(doc, epochs=CLASSIFIER_EPOCHS, repeats=1, smooth=CLASSIFIER_SMOOTH)
    parser.add_argument("--save-model", type=non_empty_path, metavar="PATH.keras",
                        help="also save the trained model (Keras format) here (default: off)")
    return parser


def comparison_parser(doc):
    """The options both comparisons take."""
    parser = make_parser(doc, epochs=COMPARISON_EPOCHS, repeats=COMPARISON_REPEATS, smooth=COMPARISON_SMOOTH)
    parser.add_argument("--threshold", type=positive_float, default=THRESHOLD, metavar="L",
                        help="loss level for the summary's 'epochs to loss < L' "
                             f"(default: {THRESHOLD})")
    return parser


# The files a run writes -------------------------------------------------------------------------

def classifier_files(args, name):
    """Every file a classifier run writes, with the option that places it."""
    files = [("--output-dir", args.output_dir / f"{name}{ending}")
             for ending in (".csv", "_heldout.csv", ".png", "_sequences.png")]
    if args.save_model is not None:
        files.append(("--save-model", args.save_model))
    return files


def comparison_files(args, name, picture=False):
    """Every file a comparison writes, with the option that places it; ``picture``: also the
    models' predictions on a few new sequences, step by step."""
    endings = (".csv", "_summary.csv", ".png", *(("_sequences.png",) if picture else ()))
    return [("--output-dir", args.output_dir / f"{name}{ending}") for ending in endings]


# Checks, the backend, and the hand-over ------------------------------------------------------

def memory_terms(args, n_models):
    """What a run of these options holds in memory at its peak, roughly, by the option that
    drives each part: ``[(option, what, bytes), ...]``."""
    from bilstm_companion.article.loop_common import PREDICT_BATCH
    from bilstm_companion.article.training import BLOCK_SIZE

    steps, units, runs = args.timesteps, args.units, args.repeats
    at_once = runs if args.batch_repeats else 1
    chunk = min(args.eval_sequences, PREDICT_BATCH)
    # Float64 inputs, integer labels, float32 predictions of every run held at once.
    held_out = args.eval_sequences * steps * (8 + 8 + 4 * at_once + 8)
    # A block of sequences, the states kept for the backward pass, and a chunk of predictions
    # with the activations of two directions (4 gates and 2 states of every unit).
    per_step = (BLOCK_SIZE * 16 + units * 2 * 6 * 4 * (1 + chunk)) * at_once
    # Weights of a bidirectional LSTM and its head; gradients, Adam's two moments, copies.
    weights = (2 * 4 * (units * (1 + units) + units) + 2 * units + 1) * 4 * 8 * at_once
    # Every epoch's loss and accuracy, in arrays and in the table of curves.
    curves = args.epochs * runs * n_models * 100
    return [
        ("--eval-sequences", f"{args.eval_sequences} held-out sequences of {steps} steps", held_out),
        ("--timesteps", f"sequences of {steps} steps through LSTMs of {units} units", per_step * steps),
        ("--units", f"LSTMs of {units} units", weights),
        ("--epochs", f"learning curves of {args.epochs} epochs x {runs} runs x {n_models} models", curves),
    ]


def settle_batch_repeats(parser, args):
    """Settle ``--batch-repeats``: on where the loop can, and refused where asked but it cannot."""
    from bilstm_companion import backend
    from bilstm_companion.article.training import trains_runs_together

    possible = trains_runs_together(args.loop)
    if args.batch_repeats and not possible:
        parser.error(f"argument --batch-repeats: the {args.loop} loop on Keras' {backend.name()} "
                     "backend trains repeats one at a time; only the compiled loop on JAX trains "
                     "them together")
    if args.batch_repeats is None:
        args.batch_repeats = possible


def start(parser, args, outputs, n_models=1):
    """The checks of an article script before training, each a refusal in one line (exit
    status 2) with nothing written: first those that need no Keras (the files it will
    write), then the backend starts and those that need it (the device, the loop, memory).

    ``outputs`` are ``(option, path)`` pairs, one per file the run will write; ``n_models``
    how many models it trains.
    """
    cli.check_outputs(parser, outputs)
    cli.start(parser, args)
    settle_batch_repeats(parser, args)
    cli.check_memory(parser, memory_terms(args, n_models))
    # A window longer than the run is the mean of the whole run; say so in the labels too.
    args.smooth = min(args.smooth, args.epochs)


def run_classifier(parser, args, build, steps, name, title):
    """Check, start the backend, then train the model ``build()`` returns as a classifier, with
    the script's ``steps`` (``steps.Steps``: ``classifier_experiment.run``); return the exit status."""
    if args.save_model is not None and args.save_model.suffix != ".keras":
        parser.error(f"argument --save-model: expected a path ending in .keras, got '{args.save_model}'")
    start(parser, args, classifier_files(args, name))
    from bilstm_companion.article import classifier_experiment

    return classifier_experiment.run(args, build, steps, classifier_files(args, name), title)


def run_comparison(parser, args, builders, steps, name, title, picture=False):
    """Check, start the backend, then compare the models ``builders`` (a name and a function
    returning a new model each), with the script's ``steps`` (``steps.Steps``), in paired
    repeats (``comparison_experiment.run``); return
    the exit status. ``picture``: also draw the first repeat's predictions on a few new
    sequences."""
    start(parser, args, comparison_files(args, name, picture), n_models=len(builders))
    from bilstm_companion.article import comparison_experiment

    return comparison_experiment.run(args, builders, steps, comparison_files(args, name, picture), title)
