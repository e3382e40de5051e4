"""Start Keras through harness.startup first, as the scripts do, so its start-up noise stays hidden."""

from harness import startup  # noqa: F401
