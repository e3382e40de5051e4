"""A reader's own sequences: ``classify_sequences.py``'s machinery (see docs/architecture.md)."""

TARGETS = ("step", "sequence")  # a label per timestep, as in the article, or one per sequence
