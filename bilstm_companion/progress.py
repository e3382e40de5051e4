"""Progress of a training run: a live bar on a terminal, or a few lines in a log."""

import sys
import time

import numpy as np

from bilstm_companion import devices
from bilstm_companion.stopping import guarded_write


def runs_label(group, repeats, noun):
    """``run 2/5`` for one run of five, ``runs 1-5/5`` for five trained together."""
    if len(group) == 1:
        return f"{noun} {group[0] + 1}/{repeats}"
    return f"{noun}s {group[0] + 1}-{group[-1] + 1}/{repeats}"


def stop_point(stopped, epochs, repeats, noun, model=True):
    """Where a stop landed (a ``training.Stopped``), for the line that says so:
    ``after epoch 120/250 of bilstm_con, repeat 2/5``, or ``before ...`` between runs."""
    where = [stopped.model] if model else []
    if repeats > 1:
        where.append(runs_label(stopped.repeats, repeats, noun))
    if not stopped.epochs:
        return f"before {', '.join(where) or 'the first epoch'}"
    return f"after epoch {stopped.epochs}/{epochs}" + (f" of {', '.join(where)}" if where else "")


class Progress:
    """Reports one training run, or several trained together: a live bar on a terminal, or
    a few lines in a log.

    Called after every block with ``(epochs_done, block_losses, block_accuracies)``, as
    ``training.Trainer.run_together`` does; the values are shaped ``(runs, n)``, or ``(n,)``
    for one run. ``verbose=1`` draws a bar on stderr with the epoch, the running loss and
    accuracy (mean of the last block, and of the runs) and the time left; when stderr is
    not a terminal it writes a plain line at most every ``log_every`` seconds and at the
    end. ``verbose=2`` prints one line per epoch on stdout, in the article's style (the
    mean of the runs when several train together).
    """

    def __init__(self, n_epochs, verbose=1, label="", stream=None, log_every=10.0):
        self.n_epochs = n_epochs
        self.verbose = verbose if devices.first_process() else 0  # (one process of several speaks)
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
            losses = np.atleast_2d(losses).mean(axis=0)
            accuracies = np.atleast_2d(accuracies).mean(axis=0)
            first = done - len(losses) + 1
            lines = [f"Epoch {epoch}/{self.n_epochs} - loss: {loss:.4f} - accuracy: {accuracy:.4f}\n"
                     for epoch, (loss, accuracy) in enumerate(zip(losses, accuracies), first)]
            guarded_write(sys.stdout, "".join(lines))
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
            guarded_write(self.stream, "\r" + padded + ("\n" if finished else ""))
            self.open_line = not finished
        else:
            guarded_write(self.stream, text + "\n")

    def close(self):
        """End a live bar that was stopped before its last epoch."""
        if self.open_line:
            guarded_write(self.stream, "\n")
            self.open_line = False
