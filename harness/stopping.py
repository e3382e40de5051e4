"""Ctrl-C: the first one asks training to stop at the next block, the second quits."""

import signal
import sys


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

