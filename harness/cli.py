"""The command line every script shares: its options, and the refusals of bad input.

Importing this module first (as every script does) runs ``harness.startup``, which must
happen before Keras is imported.
"""

import argparse
import os
import tempfile
from pathlib import Path

from harness import startup  # (first: it must run before Keras is imported)
from harness.options import (  # noqa: F401
    SEED_MAX,
    ArgumentParser,
    non_empty_path,
    non_negative_int,
    positive_float,
    positive_int,
    seed,
)
from harness.stopping import friendly_exit  # noqa: F401  (the scripts take these from here)


def new_parser(doc):
    """A parser whose description is ``doc``'s first line and whose epilog is the rest."""
    title, _, usage = doc.partition("\n")
    return ArgumentParser(description=title, epilog=usage.strip(),
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def make_parser(doc, *, epochs, repeats, smooth):
    """A parser with the options every article script takes; ``doc`` is the script's docstring."""
    parser = new_parser(doc)
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
    add_run_options(parser)
    add("--show", action="store_true",
        help="also open the plot in a window (default: off, the plot is only saved)")
    return parser


def add_run_options(parser):
    """Options of every script: the seed, where to train and write, how much to print."""
    add = parser.add_argument
    add("--seed", type=seed, default=1, metavar="S",
        help=f"seed for data and weights, 0 to {SEED_MAX}; the same seed gives the same "
             "numbers (default: 1)")
    add("--compile-cache", action=argparse.BooleanOptionalAction, default=True,
        help="JAX: keep compiled programs in ~/.cache/bilstm-companion/jax, so later runs "
             "skip compiling (default: on)")
    add("--device", choices=startup.DEVICES, default="cpu",
        help="where to train: these small models work through one tiny step after another, "
             "which should suit a CPU better (not yet measured on a GPU; default: cpu)")
    add("--output-dir", type=non_empty_path, default=Path("results"), metavar="DIR",
        help="folder for the files a run writes, created if missing (default: results)")
    add("--verbose", type=int, choices=(0, 1, 2), default=1,
        help="0: results only, 1: a progress bar, 2: one line per epoch (default: 1)")
    add("--quiet", dest="verbose", action="store_const", const=0,
        help="print only the results, the same as --verbose 0 (default: off)")


NAME_MAX = 255  # bytes in one file name, on the file systems Linux, macOS and Windows use
PATH_MAX = 4096


def check_outputs(parser, outputs):
    """Refuse, before any training, an output file that could not be written.

    ``outputs`` are ``(option, path)`` pairs, one per file the run will write. Each path must
    have names short enough, no folder or file in its way, and a writable folder above it,
    which a test file shows (removed at once). Nothing else is created: the output folder is
    made only when the first file is saved.
    """
    folders = {path.parent for _, path in outputs}
    for option, path in outputs:
        too_long = [part for part in path.parts if len(os.fsencode(part)) > NAME_MAX]
        if too_long:
            parser.error(f"argument {option}: the name '{too_long[0][:40]}...' is longer than the "
                         f"{NAME_MAX} bytes a file name may have")
        if len(os.fsencode(str(path.absolute()))) >= PATH_MAX:
            parser.error(f"argument {option}: '{path}' is longer than the {PATH_MAX} bytes a path "
                         "may have")
        if path in folders or any(path in folder.parents for folder in folders):
            parser.error(f"argument {option}: '{path}' is also where other output files go")
        if path.is_dir():
            parser.error(f"argument {option}: cannot write the file '{path}': a folder of that name "
                         "is in the way")
        # A symbolic link counts as there even when it leads nowhere (``ln -s loop loop``):
        # the folder could not be created in its place.
        existing = next(folder for folder in path.parents if os.path.lexists(folder))
        try:
            existing.stat()
        except OSError as error:
            parser.error(f"argument {option}: cannot create '{path.parent}': the link '{existing}' "
                         f"cannot be followed: {error.strerror or error}")
        if not existing.is_dir():
            parser.error(f"argument {option}: cannot create '{path.parent}': '{existing}' is a file")
        try:
            with tempfile.TemporaryFile(dir=existing):
                pass
        except OSError as error:
            parser.error(f"argument {option}: cannot write to '{existing}': {error.strerror or error}")


def available_memory():
    """Bytes of memory free for a new program here, or None where that cannot be told."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def memory_estimate(args, n_models):
    """What a run of these options holds in memory at its peak, roughly, by the option that
    drives each part: ``[(option, what, bytes), ...]``."""
    from harness.training import BLOCK_SIZE, PREDICT_BATCH

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


def size_text(n_bytes):
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n_bytes < 1000 or unit == "PB":
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1000
    return None


def check_memory(parser, args, n_models):
    """Refuse sizes whose data could not fit in this machine's free memory."""
    terms = memory_estimate(args, n_models)
    free = available_memory()
    total = sum(n_bytes for _, _, n_bytes in terms)
    if free is None or total <= free:
        return
    option, what, _ = max(terms, key=lambda term: term[2])
    parser.error(f"argument {option}: {what} need about {size_text(total)} of memory, more than "
                 f"the {size_text(free)} free here")


def visible_gpus():
    """How many GPUs the running Keras backend can use."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_logical_devices("GPU"))
    if backend == "jax":
        import jax

        return sum(device.platform == "gpu" for device in jax.devices())
    import torch

    return torch.cuda.device_count()


def check_device(parser, device):
    """Refuse ``--device gpu`` where the backend sees no GPU."""
    if device == "gpu" and not visible_gpus():
        import keras

        parser.error(f"argument --device: no GPU is visible to Keras' {keras.backend.backend()} "
                     "backend here; leave out --device gpu to train on the CPU")


def check_batch_repeats(parser, args):
    """Settle ``--batch-repeats``: on where the loop can, and refused where asked but it cannot."""
    from harness.training import batches_repeats

    possible = batches_repeats(args.loop)
    if args.batch_repeats and not possible:
        import keras

        parser.error(f"argument --batch-repeats: the {args.loop} loop on Keras' "
                     f"{keras.backend.backend()} backend trains repeats one at a time; only the "
                     "compiled loop on JAX trains them together")
    if args.batch_repeats is None:
        args.batch_repeats = possible


def validate_run(parser, args, outputs):
    """The checks of every script's run options, before any training; ``outputs`` are
    ``(option, path)`` pairs, one per file the run will write."""
    check_device(parser, args.device)
    check_outputs(parser, outputs)
    if not args.compile_cache and startup.backend_name() == "jax":
        import jax

        startup.use_compilation_cache(jax, enabled=False)


def validate(parser, args, outputs, n_models=1):
    """The checks every article script makes after parsing and before training, each one a
    refusal in one line (exit status 2) with nothing written.

    ``outputs`` are ``(option, path)`` pairs, one per file the run will write; ``n_models``
    how many models it trains.
    """
    validate_run(parser, args, outputs)
    check_batch_repeats(parser, args)
    check_memory(parser, args, n_models)
    # A window longer than the run is the mean of the whole run; say so in the labels too.
    args.smooth = min(args.smooth, args.epochs)


def seed_everything(seed):
    """Seed Keras, TensorFlow, NumPy and Python, and ask TensorFlow for deterministic ops."""
    import keras

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


