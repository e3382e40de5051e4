"""Stop signals and closed output, at any moment: finished work is kept, and no traceback.

A run goes through four phases, and a stop signal (Ctrl-C's SIGINT; SIGTERM from ``timeout``,
``kill`` or a batch scheduler; SIGHUP from a closed terminal) means the same in each:

- ``starting`` (imports, checking the options): nothing is written yet; say so and exit.
- ``training``: stop at the end of the current block of epochs, then save what is finished.
- ``saving``: finish saving first, then exit.
- ``reporting`` (printing the results): everything is saved already; exit at once.

A second signal quits at once in any phase; a file being written is then removed, never
left half-written. Output that can no longer be written (``| head`` has closed the pipe)
asks for a stop too, silently. The exit status says what stopped the run, as shells report
it: 128 plus the signal's number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), or 141
for a closed pipe, as if SIGPIPE had ended the program.
"""

import contextlib
import os
import signal
import sys
from pathlib import Path

PHASES = ("starting", "training", "saving", "reporting")
CLOSED_PIPE = 128 + 13  # SIGPIPE's number on every POSIX system
SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Stop:
    """The process's answer to stop signals. Call it to ask whether training should stop."""

    def __init__(self):
        self.phase = "starting"
        self.status = None  # the exit status a stop asked for, once one was asked for
        self.message_fd = None  # where to speak while stderr points elsewhere (see startup.py)
        self._previous = {}

    def __call__(self):
        return self.status is not None

    def install(self):
        """Answer stop signals from now on; the run is ``starting``."""
        self.reset()
        for number in SIGNALS:
            self._previous.setdefault(number, signal.signal(number, self._handle))

    def uninstall(self):
        """Give the signals their handlers back (for tests that run scripts in their process)."""
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()

    def reset(self):
        self.phase, self.status = "starting", None

    def enter(self, phase):
        """The run moves on to ``phase``."""
        if phase not in PHASES:
            raise ValueError(f"phase must be one of {', '.join(PHASES)}, got {phase!r}")
        self.phase = phase

    def request(self, status):
        """Ask for a stop at the next safe point, to end with ``status``; the first ask counts."""
        if self.status is None:
            self.status = status

    def _handle(self, number, frame):
        name = "Ctrl-C" if number == signal.SIGINT else signal.Signals(number).name
        if self.phase == "starting":
            self.say(f"Interrupted ({name}) before training began; nothing was written.")
        elif self.phase == "reporting":
            self.say(f"Interrupted ({name}); the results were saved before.")
        elif self.status is not None:
            self.say(f"Interrupted again ({name}): quitting at once.")
        else:
            self.request(128 + number)
            if self.phase == "training":
                self.say(f"\nInterrupted ({name}): finishing the current block, then saving what "
                         "is done (Ctrl-C again to quit at once)")
            else:
                self.say(f"\nInterrupted ({name}): finishing saving first (Ctrl-C again to quit "
                         "at once)")
            return
        # SystemExit unwinds through every ``finally``, so a file being written is removed.
        raise SystemExit(self.status or 128 + number)

    def say(self, text):
        """Write a line to the user's stderr, even while it points elsewhere; never fail."""
        if self.status == CLOSED_PIPE:
            return
        try:
            sys.stderr.flush()
            os.write(2 if self.message_fd is None else self.message_fd, f"{text}\n".encode())
        except (OSError, ValueError):
            pass

    def output_closed(self):
        """The reader has gone (``| head`` closed the pipe): stop, and write nothing more.

        Both output streams are pointed at /dev/null, so later writes, and Python's own
        flush at exit, cannot fail again.
        """
        self.request(CLOSED_PIPE)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            for stream in (sys.stdout, sys.stderr):
                try:
                    os.dup2(devnull, stream.fileno())
                except (OSError, ValueError):
                    pass
        finally:
            os.close(devnull)


STOP = Stop()


def guarded_write(stream, text):
    """``stream.write(text)`` and flush, treating a closed pipe as the reader going away."""
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        STOP.output_closed()


@contextlib.contextmanager
def friendly_exit():
    """End the program with one line instead of a traceback, for what any run can meet:
    Ctrl-C before the stop handler is installed (status 130), a closed pipe (quietly, status
    141), a file that cannot be written, such as on a full disk (status 1)."""
    try:
        yield
    except KeyboardInterrupt:
        STOP.say("Interrupted.")
        raise SystemExit(STOP.status or 130) from None
    except BrokenPipeError:
        STOP.output_closed()
        raise SystemExit(CLOSED_PIPE) from None
    except OSError as error:
        where = f": '{error.filename}'" if error.filename else ""
        STOP.say(f"{Path(sys.argv[0]).name}: error: {error.strerror or error}{where}")
        raise SystemExit(1) from None
