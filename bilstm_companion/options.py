"""Option types and a parser for the command line, without Keras: ``sequence.py`` uses them
too, and starts in a fraction of a second."""

import argparse
from pathlib import Path


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
SEED_MAX = 2**32 - 1  # NumPy's legacy seeding, which Keras uses, takes no more


def seed(text):
    """argparse type: a seed, 0 to 4294967295."""
    value = non_negative_int(text)
    if value > SEED_MAX:
        raise argparse.ArgumentTypeError(f"expected a seed from 0 to {SEED_MAX}, got {text!r}")
    return value


def _real_number(accepts, description):
    """An argparse type accepting the finite numbers that ``accepts``."""

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not accepts(value) or value == float("inf"):
            raise argparse.ArgumentTypeError(f"expected {description}, got {text!r}")
        return value

    return parse


positive_float = _real_number(lambda value: value > 0, "a number above zero")
non_negative_float = _real_number(lambda value: value >= 0, "a number, 0 or more")


def non_empty_path(text):
    """argparse type: a path, refusing the empty one.

    ``--output-dir "$OUT"`` with ``OUT`` unset passes an empty string, which ``Path`` would
    quietly read as the current folder.
    """
    if not text:
        raise argparse.ArgumentTypeError("expected a path, got an empty one (is a shell variable unset?)")
    return Path(text)
