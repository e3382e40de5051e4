"""The command line every script shares: the run options, the refusals, and the process.

Nothing here imports Keras: a script reads and checks its command line with these before
its backend starts (``bilstm_companion/startup.py``), so that ``--help`` and a mistake are answered at
once. ``run`` is the script's ``__main__``: it answers stop signals and a console that cannot
show every character, then calls the script's ``main``.
"""

import argparse
import codecs
import os
import sys
import tempfile
from pathlib import Path

from bilstm_companion import devices, startup
from bilstm_companion.memory import available_memory, size_text
from bilstm_companion.options import SEED_MAX, ArgumentParser, non_empty_path, seed
from bilstm_companion.stopping import STOP, friendly_exit


def new_parser(doc):
    """A parser whose description is ``doc``'s first line and whose epilog is the rest."""
    title, _, usage = doc.partition("\n")
    return ArgumentParser(description=title, epilog=usage.strip(),
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def add_run_options(parser):
    """Options of every script: the seed, where to train and write, how much to print."""
    add = parser.add_argument
    add("--seed", type=seed, default=1, metavar="S",
        help=f"seed for data and weights, 0 to {SEED_MAX}; the same seed gives the same "
             "numbers (default: 1)")
    add("--compile-cache", action=argparse.BooleanOptionalAction, default=True,
        help="keep compiled programs in ~/.cache/bilstm-companion (JAX's compilation cache, "
             "TensorFlow's XLA cache), so a later run of the same command skips compiling (default: on)")
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
            where = f"cannot write to '{existing}'" if existing == path.parent else \
                f"cannot create '{path.parent}' in '{existing}'"
            parser.error(f"argument {option}: {where}: {error.strerror or error}")


def check_memory(parser, terms):
    """Refuse sizes whose data could not fit in this machine's free memory. ``terms`` are
    ``(option, what, bytes)``: what a run holds at its peak, by the option that drives it."""
    free = available_memory()
    total = sum(n_bytes for _, _, n_bytes in terms)
    if free is None or total <= free:
        return
    option, what, _ = max(terms, key=lambda term: term[2])
    parser.error(f"argument {option}: {what} need about {size_text(total)} of memory, more than "
                 f"the {size_text(free)} free here")


def start(parser, args):
    """Start the backend the command line asks for (``--device``, ``--compile-cache``; with
    several processes, ``--join-timeout``), and refuse ``--device gpu`` where it sees no GPU."""
    startup.start_backend(args.device, args.compile_cache, getattr(args, "join_timeout", devices.JOIN_TIMEOUT))
    from bilstm_companion import backend

    if args.device == "gpu" and not backend.visible_gpus():
        parser.error(f"argument --device: no GPU is visible to Keras' {backend.name()} "
                     "backend here; leave out --device gpu to train on the CPU")


# What text a console cannot encode becomes: the few non-ASCII characters the scripts print.
PLAIN = {"±": "+/-", "−": "-", "×": "x", "≥": ">=", "≤": "<=", "…": "...", "–": "-", "—": "-"}


def _plain_text(error):
    """A codec error handler: write characters the console lacks in plain ASCII."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(PLAIN.get(character, "?") for character in bad), error.end


def register_plain_text():
    """Make ``errors="plain_text"`` a codec error handler: ``PLAIN``'s ASCII, else ``?``."""
    codecs.register_error("plain_text", _plain_text)


def tolerate_any_console():
    """Let stdout and stderr degrade text they cannot encode, rather than fail on it."""
    register_plain_text()
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="plain_text")


def run(main):
    """Run a script's ``main`` as its process: stop signals are answered from here on (a
    Ctrl-C while the backend loads is one line, not a traceback), text the console cannot
    show degrades, and ``main``'s return value is the exit status."""
    with friendly_exit():
        STOP.install()
        tolerate_any_console()
        sys.exit(main())
