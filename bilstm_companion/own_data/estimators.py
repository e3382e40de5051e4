"""The article's models and ``classify_sequences.py``'s baselines as scikit-learn classifiers.

``SequenceClassifier.fit`` trains through the private protocol (``_members``, ``_finish``) that the
script's folds (``scoring.fit_folds``) use too. X: any form of ``inputs.py``; y: a label, or an array
of labels (a label per step), per sequence, of any type, kept as written.
"""

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from bilstm_companion import devices, files
from bilstm_companion.options import SEED_MAX
from bilstm_companion.own_data import baselines, inputs, parameters
from bilstm_companion.own_data.folds import hold_back
from bilstm_companion.own_data.sequences import SequenceSet, feature_statistics, shorten
from bilstm_companion.stopping import STOP


def start_keras():
    """Start Keras' backend as the scripts do (CPU, quiet, compiled programs kept), unless already started."""
    from bilstm_companion import startup

    startup.start_backend("cpu")


class SequencesIn:
    """What every estimator here shares: X, y read into a ``SequenceSet``; ``target`` None takes it from y."""

    def _labelled(self, X, y):
        """``X, y`` for ``fit`` as a ``SequenceSet``; sets what ``_given`` sets, with ``classes_`` of the labels'
        own type, and ``feature_names_in_`` for a DataFrame."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
            raise TypeError(f"{type(self).__name__} takes no sparse matrix: a sequence is a dense array of steps")
        data, classes = inputs.labelled(X, y, self.target or inputs.target_of(y), self.channels_first)
        self._given(data)
        self.classes_ = classes
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(data.features, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return data

    def _given(self, data):
        """Set ``classes_`` (as text), ``target_`` and ``n_features_in_`` from a labelled ``SequenceSet``: ``fit``'s,
        or a fold's that ``scoring`` hands over."""
        self.classes_, self.n_features_in_ = np.asarray(data.classes), len(data.features)
        self.target_ = "step" if data.y.ndim == 2 else "sequence"
        return self

    def _unlabelled(self, X):
        """``X`` for ``predict``, checked against the features ``fit`` saw (number, and names if any)."""
        check_is_fitted(self)
        if isinstance(X, SequenceSet):
            return X
        if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
            raise TypeError(f"{type(self).__name__} takes no sparse matrix: a sequence is a dense array of steps")
        data = inputs.sequence_set(X, channels_first=self.channels_first)
        if len(data.features) != self.n_features_in_:
            raise ValueError(f"X has {len(data.features)} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input")
        if hasattr(X, "columns") and hasattr(self, "feature_names_in_") and \
                list(data.features) != list(self.feature_names_in_):
            raise ValueError(f"The feature names should match those that were passed during fit, in the same order: "
                             f"fit saw {', '.join(self.feature_names_in_)}; X has {', '.join(data.features)}")
        data.classes = [str(name) for name in self.classes_]
        return data

    def _as_labels(self, codes, data):
        """Class indices (per sequence, or padded per step) as the labels themselves."""
        if np.ndim(codes) == 1:
            return self.classes_[codes]
        return [self.classes_[row[:length]] for row, length in zip(codes, data.lengths)]

    def predict(self, X):
        """The class of each sequence (or, with a label per step, of each of its steps)."""
        data = self._unlabelled(X)
        return self._as_labels(self.predict_codes(data)[0], data)

    def predict_codes(self, data):
        """The class index and its probability per sequence (or step) of the ``SequenceSet`` ``data``."""
        from bilstm_companion.own_data.trainer import classes_of

        check_is_fitted(self)
        return classes_of(self._probabilities(data))

    def predict_proba(self, X):
        """Each class's probability, in ``classes_``' order: ``(sequences, classes)``, or per step a list
        of ``(steps, classes)`` arrays."""
        data = self._unlabelled(X)
        probabilities = self._probabilities(data)
        if probabilities.shape[-1] == 1:  # one sigmoid unit: the probability of the second class
            probabilities = np.concatenate([1 - probabilities, probabilities], axis=-1)
        if probabilities.ndim == 2:
            return probabilities
        return [row[:length] for row, length in zip(probabilities, data.lengths)]

    def score(self, X, y, sample_weight=None):
        """Accuracy over sequences, or per step over steps (``sample_weight``: one weight per sequence)."""
        if self.target_ == "sequence":
            return super().score(X, y, sample_weight)
        data = self._unlabelled(X)
        labels = inputs.per_sequence_labels(y, len(data), "step")
        weights = np.ones(len(data)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if weights.shape != (len(data),):
            raise ValueError(f"sample_weight holds one weight per sequence: {len(data)}, got shape {weights.shape}")
        predicted = self._as_labels(self.predict_codes(data)[0], data)
        right = [np.sum(np.asarray(got) == np.asarray(want)) for got, want in zip(predicted, labels)]
        return float(np.dot(weights, right) / np.dot(weights, data.lengths))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.single_output = True
        return tags


class SequenceClassifier(SequencesIn, ClassifierMixin, BaseEstimator):
    __init__ = parameters.stores()

    # Training -------------------------------------------------------------------------------------

    def fit(self, X, y):
        """Train on the sequences ``X`` and their labels ``y``; return the estimator."""
        parameters.check(self)
        data = self._shortened(self._labelled(X, y))
        if len(data) < 2:
            raise ValueError("X holds 1 sequence (1 sample): fitting needs at least 2, one to train on and one to "
                             "stop early on")
        seed = self._seed()
        strata = data.y if data.y.ndim == 1 and np.bincount(data.y).min() >= 2 else None
        training, validation = (data.subset(part) for part in hold_back(
            np.arange(len(data)), self.validation_share, strata, np.random.default_rng(seed)))
        return self._fit_parts(training, validation, seed)

    def _fit_parts(self, training, validation, seed):
        """Train on the ``SequenceSet`` ``training``, stopping early on ``validation``."""
        nbytes = sum(part.X.nbytes + part.steps.nbytes for part in (training, validation))
        members = self._members(lambda: (training, validation), seed, len(training), nbytes)
        return self._finish(list(self._trained(members)))

    def _trained(self, members, together=None, should_stop=STOP):
        """Train ``members`` (``_members`` started Keras), yielding ``(model, history, interrupted)``;
        ``together``: in one program (default: where the backend can and there are several)."""
        from bilstm_companion import backend
        from bilstm_companion.own_data import trainer

        placement = devices.placement(self.devices)
        count = 1 if placement is None else placement.count
        if together is None:
            together = backend.trains_folds_together() and len(members) > 1 and len(members) % count == 0
        return trainer.train(members, self, together=together, placement=placement, should_stop=should_stop)

    def _members(self, sets, seed, size, nbytes, **where):
        """One training's ``trainer.Member``s; ``sets()``: (training, validation); ``where``: name, fold."""
        start_keras()  # (before the trainer's module imports Keras)
        from bilstm_companion import backend
        from bilstm_companion.own_data.trainer import Member

        def prepare(member_seed):
            training, validation = (self._shortened(part) for part in sets())
            backend.seed_everything(member_seed)
            return self._built(training), training, validation

        count = self.ensemble_used()
        seeds = [seed] + [int(np.random.SeedSequence([seed, index]).generate_state(1)[0]) for index in range(1, count)]
        return [Member(partial(prepare, member_seed), member_seed, size, nbytes, index=index + 1, of=count,
                       order_seed=seed if count > 1 else None, **where)
                for index, member_seed in enumerate(seeds)]

    def _finish(self, trained):
        """End a training with its members' ``(model, history, interrupted)``; an ensemble averages them."""
        from bilstm_companion.own_data.network import average_of

        models, histories, interrupted = zip(*trained)
        self.model_ = models[0] if len(models) == 1 else average_of(models)
        count = self.ensemble_used()
        self.history_ = histories[0] if count == 1 else pd.concat(
            [history.assign(member=index) for index, history in enumerate(histories, start=1)], ignore_index=True)
        self.interrupted_ = any(interrupted) or len(trained) < count
        return self

    def _built(self, training):
        """A fresh compiled model for ``training``'s features and classes, scaled by its statistics."""
        from bilstm_companion.own_data.layers import statistics_by_sequence
        from bilstm_companion.own_data.network import build_classifier
        from bilstm_companion.own_data.recipe import compile_classifier

        scaling = self.scaling_used()
        statistics = statistics_by_sequence(training) if scaling == "sequence" else feature_statistics(training)
        model = build_classifier(training.features, training.classes, self.target_, self.model, self.units,
                                 self.merge_mode, *statistics, pooling=self.pooling,
                                 max_steps=self.max_steps if self.target_ == "sequence" and self.max_steps else None,
                                 scaling=scaling, noise=self.noise)
        return compile_classifier(model, len(training.classes), self.learning_rate)

    def ensemble_used(self):
        """``ensemble``, or where it is None, the target's (``parameters.ensemble_for``)."""
        return parameters.ensemble_for(self.target_, self.ensemble)

    def scaling_used(self):
        """``scaling``, or where it is None, the target's (``parameters.scaling_for``)."""
        return parameters.scaling_for(getattr(self, "target_", self.target), self.scaling)

    def _seed(self):
        """The seed of ``random_state`` (an int, None for a fresh one, or a NumPy ``RandomState``)."""
        if self.random_state is None:
            return int(np.random.default_rng().integers(SEED_MAX + 1))
        if isinstance(self.random_state, np.random.RandomState):
            return int(self.random_state.randint(SEED_MAX + 1))
        return int(self.random_state)

    def _shortened(self, data):
        """``data`` with sequences longer than ``max_steps`` resampled (a label per sequence)."""
        return shorten(data, self.max_steps) if self.target_ == "sequence" and self.max_steps else data

    # Predicting ------------------------------------------------------------------------------------

    def _probabilities(self, data):
        """The model's outputs for ``data``: a sigmoid's one column, or a softmax's."""
        start_keras()
        from bilstm_companion.own_data import trainer

        placement = devices.placement(self.devices)
        model = self.model_ if placement is not None else trainer.kept(self.model_)
        return trainer.predict_in_batches(model, self._shortened(data), placement=placement)

    # Saving ----------------------------------------------------------------------------------------

    def save(self, path):
        """Save as ``classify_sequences.py`` does: a ``.keras`` file with every member, parameters, classes
        (of their own type) and history; ``load`` and ``--predict`` read it."""
        from bilstm_companion.own_data.layers import schema_of

        check_is_fitted(self)
        if Path(path).suffix != ".keras" or Path(path).is_dir():
            raise ValueError(f"path must be a file name ending in .keras, Keras' format, got {str(path)!r}")
        schema_of(self.model_).fitted = {
            "parameters": {name: (None if name == "random_state" and not isinstance(value, int | None) else value)
                           for name, value in self.get_params().items()},
            "labels": self.classes_.tolist(), "target": self.target_,
            "history": None if self.history_ is None else self.history_.to_dict(orient="list")}
        return files.atomic_write(path, self.model_.save)

    @classmethod
    def load(cls, path):
        """The classifier a ``.keras`` file of ``save`` or ``classify_sequences.py`` holds, as fitted;
        ``DataError`` (a ``ValueError``) says why a file is not such a model."""
        start_keras()
        from bilstm_companion.own_data.layers import load

        model, schema = load(path)
        if not model.compiled:  # (saved before it was compiled: it predicts all the same)
            from bilstm_companion.own_data.recipe import compile_classifier

            compile_classifier(model, len(schema.classes))
        fitted = schema.fitted or {}
        estimator = cls(**fitted.get("parameters", parameters_of(model)))
        estimator.model_, estimator.target_ = model, schema.target
        estimator.classes_ = np.asarray(fitted.get("labels", schema.classes))
        estimator.n_features_in_ = len(schema.features)
        history = fitted.get("history")
        estimator.history_ = None if history is None else pd.DataFrame(history)
        estimator.interrupted_ = False
        return estimator


def parameters_of(model):
    """The parameters a model saved without them shows in its layers (an earlier version's)."""
    import keras

    from bilstm_companion.cudnn import lstm_layers
    from bilstm_companion.own_data.layers import EachSequenceScaled, MaxOverSteps, schema_of

    lstms = list(lstm_layers(model))
    halves = [layer for layer in model.layers if isinstance(layer, keras.layers.Bidirectional)]
    members = [layer for layer in model.layers if isinstance(layer, keras.Model)]  # an ensemble's networks
    return {"model": "bilstm" if halves else "lstm" if lstms else "no_memory", "ensemble": len(members) or 1,
            "units": lstms[0].units if lstms else parameters.DEFAULTS["units"],
            "merge_mode": halves[0].merge_mode if halves else "concat", "target": schema_of(model).target,
            "max_steps": schema_of(model).max_steps or 0,
            "pooling": "max" if any(isinstance(layer, MaxOverSteps) for layer in model.layers) else "last",
            "scaling": "sequence" if any(isinstance(layer, EachSequenceScaled) for layer in model.layers) else "training"}


SequenceClassifier.__doc__ = f"""The article's LSTM, bidirectional LSTM, or the same network without its LSTM, for
sequences of any lengths and any number of features, trained as ``classify_sequences.py``
trains it: a share of the training sequences held back to stop early on, batches of similar
lengths, Adam with the rate halved on plateaus; with ``ensemble`` K, K networks from K seeds,
whose probabilities are averaged.

{parameters.numpydoc()}

Attributes
----------
model_ : keras.Model
    The trained network (the average of the members, for an ensemble), with each member's
    best epoch's weights.
history_ : pandas.DataFrame
    One row per epoch: loss, accuracy, validation loss and accuracy, learning rate (and the
    member, for an ensemble).
classes_ : ndarray
    The labels, sorted, as written.
target_ : str
    ``"step"`` or ``"sequence"``, as ``target`` says or y showed.
n_features_in_ : int
    The number of features of each step.
feature_names_in_ : ndarray
    The features' names, where X was a DataFrame.

Examples
--------
>>> from bilstm_companion import SequenceClassifier, read_csv
>>> X, y = read_csv("data.csv", target="sequence")  # doctest: +SKIP
>>> model = SequenceClassifier(epochs=50).fit(X[:500], y[:500])  # doctest: +SKIP
>>> model.score(X[500:], y[500:])  # doctest: +SKIP
"""


class Baseline(SequencesIn):
    """A baseline: by design no match for a model that learns (scikit-learn's ``poor_score``)."""

    def fit(self, X, y):
        self._labelled(X, y)
        return self

    def _given(self, data):
        self.training_ = data
        return super()._given(data)

    def _probabilities(self, data):
        return np.eye(len(self.classes_))[self.rule(self.training_, data)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class MajorityClassifier(Baseline, ClassifierMixin, BaseEstimator):
    """The commonest class of the training sequences (or steps), predicted everywhere.

    Parameters
    ----------
    target : {'step', 'sequence'}, default=None
        A label per step or per sequence (default: taken from y).
    channels_first : bool, default=False
        A 3-D X is (sequences, features, steps).

    Attributes
    ----------
    classes_ : ndarray
        The labels, sorted, as written.
    target_ : str
        The target used.

    Examples
    --------
    >>> from bilstm_companion import MajorityClassifier
    >>> MajorityClassifier().fit([[1.0, 2.0], [3.0]], ["a", "b"]).predict([[0.5]])  # doctest: +SKIP
    """

    def __init__(self, target=None, channels_first=False):
        self.target = target
        self.channels_first = channels_first

    rule = staticmethod(baselines.majority)


class NearestNeighbourClassifier(Baseline, ClassifierMixin, BaseEstimator):
    """The label of the nearest training sequence: each feature z-normalised within the
    sequence and resampled to one length, by Euclidean distance, or at their own lengths under
    dynamic time warping, the field's reference.

    Parameters
    ----------
    metric : {'euclidean', 'dtw'}, default='euclidean'
        The distance.
    channels_first : bool, default=False
        A 3-D X is (sequences, features, steps).

    Attributes
    ----------
    classes_ : ndarray
        The labels, sorted, as written: a label per sequence only (``target`` is ``'sequence'``).

    Examples
    --------
    >>> from bilstm_companion import NearestNeighbourClassifier
    >>> model = NearestNeighbourClassifier(metric="dtw").fit(X, y)  # doctest: +SKIP
    """

    target = "sequence"

    def __init__(self, metric="euclidean", channels_first=False):
        self.metric = metric
        self.channels_first = channels_first

    def fit(self, X, y):
        if self.metric not in ("euclidean", "dtw"):
            raise ValueError(f"metric must be euclidean or dtw, got {self.metric!r}")
        return super().fit(X, y)

    def rule(self, training, scored):
        return (baselines.nearest_neighbour_dtw if self.metric == "dtw" else baselines.nearest_neighbour)(
            training, scored)
