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

Once the script's own code is done (``friendly_exit`` ends it), Python still runs code of
its own and of the libraries while it shuts down, where a handler's exception could only
be printed as a traceback, under an exit status already settled. So the signals get the
system's own action back there (``Stop.end``): a signal then ends the program at once, as
shells report it (130 for Ctrl-C). For the same reason, an exit that the handler raised
where Python can only report it (in a finalizer or a garbage-collection callback, which
may run at any moment) ends the program at once, quietly (``Stop.unraisable``).
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
        self.ending = False  # the program is ending: see ``end``
        self._late = None  # the exit status a signal asked for while ending
        self._exit = None  # the last SystemExit this handler raised
        self._previous = {}
        self._previous_hook = None

    def __call__(self):
        return self.status is not None

    def install(self):
        """Answer stop signals from now on; the run is ``starting``."""
        self.reset()
        for number in SIGNALS:
            self._previous.setdefault(number, signal.signal(number, self._handle))
        if self._previous_hook is None:
            self._previous_hook, sys.unraisablehook = sys.unraisablehook, self.unraisable

    def uninstall(self):
        """Give the signals their handlers back (for tests that run scripts in their process)."""
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()
        if self._previous_hook is not None:
            sys.unraisablehook, self._previous_hook = self._previous_hook, None

    def reset(self):
        self.phase, self.status = "starting", None
        self.ending, self._late = False, None

    def enter(self, phase):
        """The run moves on to ``phase``."""
        if phase not in PHASES:
            raise ValueError(f"phase must be one of {', '.join(PHASES)}, got {phase!r}")
        self.phase = phase

    def request(self, status):
        """Ask for a stop at the next safe point, to end with ``status``; the first ask counts."""
        if self.status is None:
            self.status = status

    def end(self):
        """The program ends: from here on a stop signal meets the system's own action, which
        ends the program at once (or ignores it, where it was ignored before). A signal that
        came while the actions were set ends it here, with its status."""
        self._late = None
        self._give_back_actions()
        if self._late is not None:
            raise self._exiting(self._late)

    def _give_back_actions(self):
        """Set every stop signal's action to the system's own; ``ending`` from the start.

        ``signal.signal`` first runs the handler of a signal that has come already, so none
        slips between two actions; while ``ending``, the handler only notes it in ``_late``.
        """
        self.ending = True
        for number in SIGNALS:
            before = self._previous.get(number, signal.getsignal(number))
            action = signal.SIG_IGN if before == signal.SIG_IGN else signal.SIG_DFL
            self._previous.setdefault(number, self._set_action(number, action))

    def _set_action(self, number, action):
        """``signal.signal(number, action)``, also where Python's own Ctrl-C handler answers a
        signal first (a program that installed none of ours, such as ``sequence.py``)."""
        while True:
            try:
                return signal.signal(number, action)
            except KeyboardInterrupt:
                self._late = self._late or 128 + signal.SIGINT

    def _handle(self, number, frame):
        name = "Ctrl-C" if number == signal.SIGINT else signal.Signals(number).name
        if self.ending:  # the actions are being given back: ``end`` exits when they are
            if self._late is None:
                self._late = self.status or 128 + number
                self.say(f"Interrupted ({name}) as the program ended.")
            return
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
        # Python may still run code of its own after it, so a later signal meets the system's
        # own action there rather than this handler, which could only raise in vain.
        status = self._late = self.status or 128 + number  # (said: a signal meanwhile says nothing)
        self._give_back_actions()
        raise self._exiting(status)

    def _exiting(self, status):
        """The SystemExit to raise, noted so that ``unraisable`` knows it for this handler's."""
        self._exit = SystemExit(status)
        return self._exit

    def unraisable(self, report):
        """``sys.unraisablehook``: Python reports an exception it could not raise. When it is
        this handler's exit (the signal came while a finalizer or a garbage-collection
        callback ran), the exit is carried out at once, quietly; any other is reported as
        before."""
        if report.exc_value is not None and report.exc_value is self._exit:
            self.quit_now(self._exit.code)
        else:
            (self._previous_hook or sys.__unraisablehook__)(report)

    def quit_now(self, status):
        """End the process with ``status`` at once, keeping what the output streams hold."""
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (AttributeError, OSError, RuntimeError, ValueError):  # (none, gone, busy, closed)
                pass
        os._exit(status)

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


def flush_output():
    """Write out what is still held in stdout's and stderr's buffers."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError):  # no stream, or one closed: nothing is held
            pass


@contextlib.contextmanager
def friendly_exit():
    """End the program with one line instead of a traceback, for what any run can meet:
    Ctrl-C before the stop handler is installed (status 130), a closed pipe (quietly, status
    141), a file that cannot be written, such as on a full disk (status 1).

    Whatever ends the script, its printed output is written out, and stop signals get the
    system's own action back for the rest of the program's end (``Stop.end``), which then
    no longer flushes it.
    """
    try:
        try:
            yield
        finally:
            flush_output()  # before a signal can end the program without it
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
    finally:
        STOP.end()
