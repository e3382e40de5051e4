"""The machinery the scripts share; the scripts themselves sit one folder up.

Importing any of it changes nothing in the process: a script's ``main`` reads its command
line, starts the backend, and runs. Two halves, one package each, beside what both use:

- ``article/``: the article's protocol (one fresh sequence per epoch), for the four article
  scripts: ``command`` (their options and checks, without Keras), ``defaults`` (the
  article's numbers), ``training`` (the ``fit`` loop and the compiled loop), one
  ``loop_*`` module per backend with ``loop_common``, ``experiment`` (train, save, report)
  with ``classifier_experiment`` and ``comparison_experiment``, ``layers``.
- ``own_data/``: a reader's own sequences, for ``classify_sequences.py``: ``command``,
  ``sequence_csv`` (a long CSV into padded, masked arrays), ``example``, ``folds``,
  ``batches``, ``recipe`` (loss, optimizer, early stopping), ``fitting`` (``fit``) and
  ``folds_together`` (JAX), ``layers``, ``baselines``, ``scoring``, ``report``, ``run``,
  ``ucr`` (public archive sets).
- Shared: ``cli`` and ``options`` (the command line, refusals, the process), ``startup``
  (the backend's start), ``backend`` (what differs between backends, asked in one place),
  ``stopping`` and ``progress``, ``stats`` (intervals and verdicts), ``files`` (written
  whole or not at all), ``plots``, ``jax_steps`` (what the JAX trainers share),
  ``keras_internals`` (the private Keras names used, in one place).

docs/architecture.md draws what calls what.
"""
