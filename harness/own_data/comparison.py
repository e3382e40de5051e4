"""The script's paired comparison, from Python, on any scikit-learn classifiers.

``compare_classifiers`` runs ``classify_sequences.py``'s design (a split, ``folds`` folds
dealt ``repeats`` times, or a test file) on the classifiers it is given: the article's
networks (``SequenceClassifier``), the baselines as estimators, or a reader's own classifier
that takes the same X. Every classifier is trained on the same folds; each fold's networks
start from the fold's seed and stop early on its validation part, as the script's do, and
every other classifier learns from the fold's training and validation parts together, as the
script's baselines do. The summary is the script's: each accuracy with its 95% interval, each
paired difference from the first classifier with its interval and verdict, in a DataFrame.
"""


from harness.own_data import inputs, report, scoring
from harness.own_data.folds import plan_folds


def reader_classifier(estimator, X, y, X_scored, classes, target):
    """``classify(fold, learned, scored)`` for ``scoring``: a clone of ``estimator`` fitted on
    the fold's learned sequences of ``X, y`` in their own form, then predicting the scored
    ones (of ``X``, or of ``X_scored``, a test file), as class positions."""
    from sklearn.base import clone

    def classify(fold, learned, scored):
        fitted = clone(estimator).fit(inputs.take(X, learned), inputs.take_labels(y, learned))
        predicted = fitted.predict(inputs.take(X if fold.test is not None else X_scored, scored))
        lengths = [len(labels) for labels in predicted] if target == "step" else None
        codes = inputs.label_codes(predicted, classes, lengths, target)
        return codes

    return classify


def compare_classifiers(classifiers, X, y, *, folds=1, repeats=1, test=None, target=None, random_state=1,
                        channels_first=None, batch_folds=None):
    """Compare ``classifiers`` (a dict of names and scikit-learn classifiers; the first is the
    reference) on ``X, y`` by the script's paired design: ``folds`` folds (1: a single split,
    70% to train, 15% to stop early on, 15% to test), dealt ``repeats`` times, or scored on
    ``test``, an ``(X, y)`` pair of other sequences. Return the summary the script prints, a
    row per classifier: ``model, folds, sequences, accuracy, low, high, difference,
    difference_low, difference_high, verdict, counts``; ``summary.attrs["report"]`` is the
    printout itself. ``target``: ``"step"`` or ``"sequence"`` (default: the networks', else
    one label per sequence). ``channels_first``: X (and the test file's X) holds
    ``(features, steps)`` arrays, aeon's own (default: as this project's classifiers among
    ``classifiers`` read X, else False).
    ``batch_folds``: on JAX, train a network's folds together (default: where the backend can)."""
    from harness.own_data.estimators import SequenceClassifier, SequencesIn, start_keras

    if not classifiers:
        raise ValueError("classifiers is empty: give a dict of names and classifiers, the reference first")
    names = list(classifiers)
    networks = {name: estimator for name, estimator in classifiers.items() if isinstance(estimator, SequenceClassifier)}
    targets = {estimator.target for estimator in networks.values() if estimator.target is not None}
    if len(targets) > 1 or (target is not None and targets and targets != {target}):
        raise ValueError("every network compared must have the same target (a label per step, or per sequence)")
    target = target or (targets.pop() if targets else inputs.target_of(y))
    layouts = {estimator.channels_first for estimator in classifiers.values() if isinstance(estimator, SequencesIn)}
    if len(layouts) > 1 or (channels_first is not None and layouts and layouts != {channels_first}):
        raise ValueError("every classifier of this project compared must read X as the comparison does: "
                         "set channels_first alike")
    channels_first = channels_first if channels_first is not None else layouts.pop() if layouts else False
    data, classes = inputs.labelled(X, y, target, channels_first)
    test_set, X_scored = None, None
    if test is not None:
        X_scored, y_scored = test
        test_set, _ = inputs.labelled(X_scored, y_scored, target, channels_first, classes)
    plan = plan_folds(data, folds, random_state, scored_on_file=test_set is not None, repeats=repeats)
    others = {name: reader_classifier(estimator, X, y, X_scored, classes, target)
              for name, estimator in classifiers.items() if name not in networks}
    together = False
    if networks:
        from harness import backend

        start_keras()
        together = backend.trains_folds_together() if batch_folds is None else batch_folds
    evaluation = scoring.train_and_score(data, plan, networks, test_set, together=together, others=others,
                                         with_baselines=False)
    summary = scoring.summarise(evaluation.results, names)
    return with_words(summary, list(networks) or names[:1], target == "step",
                      "test file" if test_set is not None else "test split" if len(plan) == 1 else "held-out folds")


def with_words(summary, networks, per_step, scored_on):
    """``summary`` with each row's verdict in the script's words, and its printout."""
    reference = summary["model"].iloc[0]
    once = report.trained_once(summary)
    verdicts = [("(reference)" if row.model == reference
                 else report.more_accurate(row.model, reference, row.difference_low, row.difference_high, once))
                for row in summary.itertuples()]
    summary.insert(summary.columns.get_loc("counts"), "verdict", verdicts)
    summary.attrs["report"] = report.report(summary, networks, per_step, scored_on, again="folds=5").strip("\n")
    return summary
