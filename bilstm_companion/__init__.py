"""A runnable companion to the article "How to Develop a Bidirectional LSTM For Sequence
Classification in Python with Keras": the machinery its scripts share, and the article's
models on your own sequences as scikit-learn classifiers.

From Python (``pip install bilstm-companion``; docs/python.md)::

    from bilstm_companion import SequenceClassifier, read_csv
    X, y = read_csv("data.csv", target="sequence")
    model = SequenceClassifier().fit(X, y)

``SequenceClassifier``, ``MajorityClassifier``, ``NearestNeighbourClassifier``,
``compare_classifiers`` and ``read_csv`` are imported when first asked for: importing the
package changes nothing in the process and loads neither NumPy nor Keras.

The package has two halves, beside what both use:

- ``article/``: the article's protocol (one fresh sequence per epoch), for the four article
  scripts: ``command``, ``defaults``, ``steps`` (the script's steps, handed over),
  ``training`` (the script's ``fit`` loop and the compiled loop), one ``loop_*`` module per
  backend with ``loop_common``, ``experiment`` with ``classifier_experiment`` and
  ``comparison_experiment``.
- ``own_data/``: your own sequences, for ``classify_sequences.py`` and from Python:
  ``parameters`` (every default, named once), ``sequences``, ``inputs`` and ``csv_files``
  (one way in for data), ``estimators``, ``trainer`` and ``trainer_jax`` (one trainer of K
  models), ``batches``, ``recipe``, ``network``, ``layers``, ``folds``,
  ``baselines``, ``scoring``, ``comparison``, ``report``, ``run``, ``command``, ``example``.
- Shared: ``cli`` and ``options``, ``startup``, ``backend``, ``devices``, ``stopping`` and
  ``progress``, ``stats``, ``files``, ``plots``, ``jax_steps``, ``keras_internals``.

docs/architecture.md draws what calls what.
"""

# The public face, each name and the module that holds it.
PUBLIC = {"SequenceClassifier": "bilstm_companion.own_data.estimators",
          "MajorityClassifier": "bilstm_companion.own_data.estimators",
          "NearestNeighbourClassifier": "bilstm_companion.own_data.estimators",
          "compare_classifiers": "bilstm_companion.own_data.comparison",
          "read_csv": "bilstm_companion.own_data.inputs"}
__all__ = list(PUBLIC)


def __getattr__(name):
    """``from bilstm_companion import SequenceClassifier`` (and the rest of ``PUBLIC``), imported when asked for."""
    if name in PUBLIC:
        import importlib

        return getattr(importlib.import_module(PUBLIC[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
