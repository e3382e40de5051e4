"""``classify_sequences.py``'s paired comparison, from Python, on any scikit-learn classifiers."""

from sklearn.base import clone

from bilstm_companion.own_data import inputs, parameters, report, scoring
from bilstm_companion.own_data.estimators import Baseline, SequenceClassifier, SequencesIn, start_keras
from bilstm_companion.own_data.folds import plan_folds
from bilstm_companion.own_data.sequences import DataError


def reader_classifier(name, estimator, X, y, X_scored, classes, target):
    """``scoring``'s ``classify(fold, learned, scored)``: a clone fitted on ``X, y`` in their own form."""
    def classify(fold, learned, scored):
        try:
            fitted = clone(estimator).fit(inputs.take(X, learned), inputs.take_labels(y, learned))
            predicted = fitted.predict(inputs.take(X if fold.test is not None else X_scored, scored))
        except Exception as error:
            raise RuntimeError(f"the classifier {name!r} failed in fold {fold.number}: {type(error).__name__}: "
                               f"{error}") from error
        lengths = [len(labels) for labels in predicted] if target == "step" else None
        return inputs.label_codes(predicted, classes, lengths, target)

    return classify


def compare_classifiers(classifiers, X, y, *, folds=1, repeats=1, test=None, target=None, random_state=1,
                        channels_first=None, batch_folds=None):
    """Compare classifiers on the same folds, paired, with ``classify_sequences.py``'s intervals and verdicts.

    Parameters
    ----------
    classifiers : dict of str to classifier
        Names and scikit-learn classifiers taking ``X``, the reference first: this project's
        (``SequenceClassifier``s start each fold from its seed and stop early on its validation
        part) or anyone's (fitted on the fold's training and validation parts together).
    X, y : sequences and labels
        Any form ``SequenceClassifier`` takes, and a label (or an array of labels) per sequence.
    folds : int, default=1
        Folds, each the test part once (1: a single split, 70% train, 15% early stopping, 15% test).
    repeats : int, default=1
        Deal the folds this many times (with ``folds`` of 2 or more): narrower intervals, more training.
    test : tuple (X, y), default=None
        Other sequences to score every fold's models on; ``X, y`` then only train and validate.
    target : {"step", "sequence"}, default=None
        The networks', else taken from ``y``.
    random_state : int, default=1
        Deals the folds and seeds each fold's networks.
    channels_first : bool, default=None
        X holds aeon's ``(features, steps)`` arrays (default: as this project's classifiers read X).
    batch_folds : bool, default=None
        On JAX, a network's folds in one program (default: where the backend can).

    Returns
    -------
    summary : DataFrame
        A row per classifier: ``model, folds, sequences, accuracy, low, high, difference,
        difference_low, difference_high, verdict, counts`` (95% intervals; the difference is from
        the reference, paired); ``summary.attrs["report"]`` is the script's printout.

    Examples
    --------
    >>> from bilstm_companion import MajorityClassifier, SequenceClassifier, compare_classifiers
    >>> summary = compare_classifiers({"bilstm": SequenceClassifier(), "majority": MajorityClassifier()},
    ...                               X, y, folds=5)  # doctest: +SKIP
    >>> print(summary.attrs["report"])  # doctest: +SKIP
    """
    if not classifiers:
        raise ValueError("classifiers is empty: give a dict of names and classifiers, the reference first")
    for name, value in (("folds", folds), ("repeats", repeats)):
        if not parameters.whole(value, 1):
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    names = list(classifiers)
    networks = {name: estimator for name, estimator in classifiers.items() if isinstance(estimator, SequenceClassifier)}
    for estimator in networks.values():
        parameters.check(estimator)
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
    try:
        plan = plan_folds(data, folds, random_state, scored_on_file=test_set is not None, repeats=repeats)
    except DataError as error:  # (its words name the command line's option; here, the parameter)
        raise ValueError(f"{error.option.lstrip('-')}: {error}" if error.option else str(error)) from None
    others = {name: reader_classifier(name, estimator, X, y, X_scored, classes, target)
              for name, estimator in classifiers.items() if name not in networks}
    together = False
    if networks:
        start_keras()  # (before the backend's module imports Keras)
        from bilstm_companion import backend

        together = backend.trains_folds_together() if batch_folds is None else batch_folds
    evaluation = scoring.train_and_score(data, plan, networks, test_set, together=together, others=others,
                                         with_baselines=False)
    summary = scoring.summarise(evaluation.results, names)
    reference, once = summary["model"].iloc[0], report.trained_once(summary)  # each verdict in the script's words
    verdicts = [("(reference)" if row.model == reference
                 else report.more_accurate(row.model, reference, row.difference_low, row.difference_high, once))
                for row in summary.itertuples()]
    summary.insert(summary.columns.get_loc("counts"), "verdict", verdicts)
    scored_on = "test file" if test_set is not None else "test split" if len(plan) == 1 else "held-out folds"
    # The report's words on baselines mean this project's: another library's classifier is not one.
    not_baselines = [name for name in names if not isinstance(classifiers[name], Baseline)]
    summary.attrs["report"] = report.report(summary, not_baselines, target == "step", scored_on,
                                            again="folds=5").strip("\n")
    return summary
