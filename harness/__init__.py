"""The machinery the article scripts share; the scripts themselves sit one folder up.

- ``startup``: runs before Keras is imported: the backend check, the device, a quiet start.
- ``cli``: the options every script takes and the refusals of bad input.
- ``training``: the article's training protocol, the ``fit`` loop and the compiled loop,
  with one small module per backend for the compiled loop: ``loop_tensorflow``,
  ``loop_jax``, ``loop_torch``.
- ``classifier``, ``comparison``: the two kinds of experiment the scripts run.
- ``stats``: means with 95% intervals, rolling means, the comparison summary.
- ``reporting``: CSV files, plots and printed tables, written atomically.
- ``progress``, ``stopping``: the progress display and Ctrl-C.
"""
