"""The machinery the scripts share; the scripts themselves sit one folder up.

- ``startup``: runs before Keras is imported: the backend check, the device, a quiet start.
- ``cli``: the options every script takes and the refusals of bad input; ``options``, the
  option types and the one-line parser, without Keras (``sequence.py`` uses them too).
- ``training``: the article's training protocol, the ``fit`` loop and the compiled loop,
  with one small module per backend for the compiled loop: ``loop_tensorflow``,
  ``loop_jax``, ``loop_torch``.
- ``classifier``, ``comparison``: the two kinds of experiment the article scripts run.
- ``sequence_csv``, ``own_sequences``: ``classify_sequences.py``'s run on a reader's own
  sequences: a long CSV read into padded, masked arrays; training with ``fit``, the report.
- ``folds``, ``cross_validation``, ``baselines``: the folds every model of a run shares; each
  model and baseline scored on them, paired differences and verdicts; the baselines.
- ``batches``, ``folds_jax``: batches of similar lengths; a model's folds trained together
  on JAX.
- ``ucr``: public UCR archive sets as long CSVs, for ``benchmarks/bench_real_data.py``.
- ``stats``: means with 95% intervals, rolling means, the comparison summary.
- ``reporting``: CSV files, plots and printed tables, written atomically.
- ``progress``, ``stopping``: the progress display; Ctrl-C, SIGTERM and closed pipes.
"""
