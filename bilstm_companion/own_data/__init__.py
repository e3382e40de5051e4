"""A reader's own sequences: ``classify_sequences.py``'s machinery (see docs/architecture.md)."""

TARGETS = ("step", "sequence")  # a label per timestep, as in the article, or one per sequence


class TrainingFailed(RuntimeError):
    """A training that could not go on; the message is one line saying why and what to try."""
