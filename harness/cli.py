"""The command line every script shares: its options, and the refusals of bad input.

Importing this module first (as every script does) runs ``harness.startup``, which must
happen before Keras is imported.
"""

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from harness import startup  # (first: it must run before Keras is imported)


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose refusals are one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _whole_number(minimum, description):
    """An argparse type accepting whole numbers from ``minimum`` up."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected {description}, got {text!r}")
        return value

    return parse


positive_int = _whole_number(1, "a whole number above zero")
non_negative_int = _whole_number(0, "a whole number (0 or more)")


def positive_float(text):
    """argparse type: a number above zero."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number above zero, got {text!r}")
    return value


def make_parser(doc, *, epochs, repeats, smooth):
    """A parser with the options every script takes; ``doc`` is the script's docstring."""
    title, _, usage = doc.partition("\n")
    parser = ArgumentParser(
        description=title,
        epilog=usage.strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    add("--seed", type=non_negative_int, default=1, metavar="S",
        help="seed for data and weights; the same seed gives the same numbers (default: 1)")
    add("--loop", choices=("compiled", "fit"), default="compiled",
        help="compiled: many epochs per compiled call (XLA on TensorFlow, jax.jit on JAX; "
             "on PyTorch fit's update without fit); fit: the article's model.fit per "
             "sequence (default: compiled)")
    add("--batch-repeats", action=argparse.BooleanOptionalAction, default=None,
        help="train a model's repeats together in one compiled program, each with its own "
             "weights, Adam state and sequences: the same numbers, in less time. Only JAX can; "
             "on TensorFlow and PyTorch repeats train one at a time (default: on where the "
             "backend can)")
    add("--compile-cache", action=argparse.BooleanOptionalAction, default=True,
        help="JAX: keep compiled programs in ~/.cache/bilstm-companion/jax, so later runs "
             "skip compiling (default: on)")
    add("--device", choices=startup.DEVICES, default="cpu",
        help="where to train: these small models train one sequence at a time, which the "
             "CPU does fastest (default: cpu)")
    add("--output-dir", type=Path, default=Path("results"), metavar="DIR",
        help="folder for the CSV and PNG files, created if missing (default: results)")
    add("--show", action="store_true",
        help="also open the plot in a window (default: off, the plot is only saved)")
    add("--verbose", type=int, choices=(0, 1, 2), default=1,
        help="0: results only, 1: a progress bar, 2: one line per epoch (default: 1)")
    add("--quiet", dest="verbose", action="store_const", const=0,
        help="print only the results, the same as --verbose 0 (default: off)")
    return parser


def check_writable_dir(parser, path, option="--output-dir"):
    """Refuse ``path`` unless it is, or can be created as, a folder we may write in.

    Nothing is created here, so a refusal leaves the disk as it was.
    """
    for existing in (path, *path.parents):
        if existing.exists():
            if not existing.is_dir():
                parser.error(f"argument {option}: cannot create '{path}': '{existing}' is a file")
            if not os.access(existing, os.W_OK | os.X_OK):
                parser.error(f"argument {option}: cannot write to '{path}': permission denied")
            return


def make_writable_dir(parser, path, option="--output-dir"):
    """Create ``path`` if needed and check a file can be written there, or refuse."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as error:
        parser.error(f"argument {option}: cannot write to '{path}': {error.strerror or error}")


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


def validate(parser, args, more_dirs=()):
    """The checks every script makes after parsing and before training.

    ``more_dirs`` are ``(option, folder)`` pairs that must be writable too. Folders are
    created only once every check has passed.
    """
    check_device(parser, args.device)
    check_batch_repeats(parser, args)
    if not args.compile_cache and startup.backend_name() == "jax":
        import jax

        startup.use_compilation_cache(jax, enabled=False)
    dirs = [("--output-dir", args.output_dir), *more_dirs]
    for option, path in dirs:
        check_writable_dir(parser, path, option)
    for option, path in dirs:
        make_writable_dir(parser, path, option)


def seed_everything(seed):
    """Seed Keras, TensorFlow, NumPy and Python, and ask TensorFlow for deterministic ops."""
    import keras

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


@contextlib.contextmanager
def friendly_exit():
    """Exit 130 on Ctrl-C with one line instead of a traceback."""
    try:
        yield
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        raise SystemExit(130)
