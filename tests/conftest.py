"""Load TensorFlow through cli.py first, as the scripts do, so its start-up noise stays hidden."""

import cli  # noqa: F401
