"""A reader's own sequences: ``classify_sequences.py``'s machinery (see docs/architecture.md)."""

TARGETS = ("step", "sequence")  # a label per timestep, as in the article, or one per sequence


class TrainingFailed(RuntimeError):
    """A training that could not go on; the message is one line saying why and what to try."""


class DataError(ValueError):
    """Data that cannot be used as it is; the message is one line saying why. ``option``: the command
    line's option it concerns, where one does (``compare_classifiers`` names its parameter instead)."""

    def __init__(self, message, option=None):
        super().__init__(message)
        self.option = option

    def on_the_command_line(self):
        return f"argument {self.option}: {self}" if self.option else str(self)
