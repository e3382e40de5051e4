"""What every script shares on the command line: options, refusals, progress and Ctrl-C.

Import this module before Keras: it loads TensorFlow with its start-up log noise hidden,
unless ``TF_CPP_MIN_LOG_LEVEL`` is already set (then TensorFlow logs as you asked).
"""

import argparse
import contextlib
import importlib.util
import os
import signal
import sys
import tempfile
import time
from pathlib import Path


def _import_tensorflow_quietly():
    """Import TensorFlow with its C++ start-up messages silenced.

    ``TF_CPP_MIN_LOG_LEVEL`` hides most of them, but a few are written to the stderr file
    descriptor before TensorFlow reads it, so that descriptor is pointed at /dev/null for
    the import itself. Errors raised by the import still reach the user as exceptions.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
        return
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend != "tensorflow" or importlib.util.find_spec("tensorflow") is None:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        # TensorFlow has read the level by now and keeps it; programs this process starts
        # get the environment the user had.
        del os.environ["TF_CPP_MIN_LOG_LEVEL"]


def _refuse_missing_backend():
    """Refuse, before Keras is imported, a KERAS_BACKEND whose package is not installed."""
    backend = os.environ.get("KERAS_BACKEND")
    if backend and backend != "tensorflow" and importlib.util.find_spec(backend) is None:
        fail(
            f"KERAS_BACKEND={backend} but {backend} is not installed; this project trains "
            "with TensorFlow: unset KERAS_BACKEND or set KERAS_BACKEND=tensorflow"
        )


def fail(message):
    """Print one line on stderr and exit with status 2, as argparse does for bad input."""
    prog = Path(sys.argv[0]).name or "python"
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


_refuse_missing_backend()
_import_tensorflow_quietly()


# ---------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------

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
        help="compiled: many epochs per XLA-compiled call; fit: the article's "
             "model.fit per sequence (default: compiled)")
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


def check_backend(parser, loop):
    """Refuse the compiled loop under a Keras backend other than TensorFlow."""
    import keras

    backend = keras.backend.backend()
    if loop == "compiled" and backend != "tensorflow":
        parser.error(
            f"argument --loop: the compiled loop needs Keras' TensorFlow backend, but "
            f"it is {backend}: set KERAS_BACKEND=tensorflow, or use --loop fit"
        )


def validate(parser, args, more_dirs=()):
    """The checks every script makes after parsing and before training.

    ``more_dirs`` are ``(option, folder)`` pairs that must be writable too. Folders are
    created only once every check has passed.
    """
    check_backend(parser, args.loop)
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


# ---------------------------------------------------------------------------------------
# Ctrl-C
# ---------------------------------------------------------------------------------------

class StopRequest:
    """Turns the first Ctrl-C into a request to stop at the next epoch or block boundary.

    Use as a context manager around training; call the instance to ask whether to stop.
    A second Ctrl-C interrupts at once (KeyboardInterrupt).
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def __call__(self):
        return self.requested

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\nInterrupted: finishing the current block, then saving what is done "
              "(Ctrl-C again to quit at once)", file=sys.stderr, flush=True)

    def __enter__(self):
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info):
        signal.signal(signal.SIGINT, self._previous)
        return False


@contextlib.contextmanager
def friendly_exit():
    """Exit 130 on Ctrl-C with one line instead of a traceback."""
    try:
        yield
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        raise SystemExit(130)


# ---------------------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------------------

class Progress:
    """Reports one training run: a live bar on a terminal, or a few lines in a log.

    Called after every block with ``(epochs_done, block_losses, block_accuracies)``, as
    ``training.Trainer.run`` does. ``verbose=1`` draws a bar on stderr with the epoch, the
    running loss and accuracy (mean of the last block) and the time left; when stderr is
    not a terminal it writes a plain line at most every ``log_every`` seconds and at the
    end. ``verbose=2`` prints one line per epoch on stdout, in the article's style.
    """

    def __init__(self, n_epochs, verbose=1, label="", stream=None, log_every=10.0):
        self.n_epochs = n_epochs
        self.verbose = verbose
        self.label = f"{label}: " if label else ""
        self.stream = stream or sys.stderr
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.log_every = 0.1 if self.live else log_every
        self.start = time.perf_counter()
        # A log gets its first line after log_every seconds; a terminal gets one at once.
        self.last_shown = None if self.live else self.start
        # The first block pays for compilation, so the time left is estimated from the rest.
        self.first_block = None
        self.open_line = False
        self.width = 0

    def __call__(self, done, losses, accuracies):
        if self.verbose == 2:
            first = done - len(losses) + 1
            for epoch, (loss, accuracy) in enumerate(zip(losses, accuracies), first):
                print(f"Epoch {epoch}/{self.n_epochs} - loss: {loss:.4f} - accuracy: {accuracy:.4f}")
        elif self.verbose == 1:
            now = time.perf_counter()
            if self.first_block is None:
                self.first_block = (done, now)
            finished = done >= self.n_epochs
            if not finished and self.last_shown is not None and now - self.last_shown < self.log_every:
                return
            self.last_shown = now
            self._draw(done, float(losses.mean()), float(accuracies.mean()), now - self.start, finished)

    def _draw(self, done, loss, accuracy, elapsed, finished):
        bar_width = 24
        filled = int(bar_width * done / self.n_epochs)
        bar = "=" * filled + (">" if filled < bar_width else "") + "." * (bar_width - filled - 1)
        first_done, first_time = self.first_block
        if done > first_done:
            per_epoch = (time.perf_counter() - first_time) / (done - first_done)
        else:
            per_epoch = elapsed / done
        left = per_epoch * (self.n_epochs - done)
        timing = f"{elapsed:.1f}s" if finished else f"{left:.0f}s left"
        text = (f"{self.label}epoch {done}/{self.n_epochs} [{bar[:bar_width]}] "
                f"loss: {loss:.4f} - accuracy: {accuracy:.4f} - {timing}")
        if self.live:
            # Pad to the previous line's width so no characters of it are left behind.
            padded = text.ljust(self.width)
            self.width = len(text)
            self.stream.write("\r" + padded + ("\n" if finished else ""))
            self.open_line = not finished
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self):
        """End a live bar that was stopped before its last epoch."""
        if self.open_line:
            self.stream.write("\n")
            self.open_line = False
            self.stream.flush()
