"""The sequences readers have in Python, as the padded, masked ``SequenceSet`` the models take.

``classify_sequences.py`` reads a CSV (``sequence_csv.py``); from Python, X comes in any of
the forms the field's libraries use, and ``sequence_set`` takes each:

- a 3-D array ``(sequences, steps, features)``, time-major as Keras and tslearn have it;
- a list of ``(steps_i, features)`` or ``(steps_i,)`` arrays of unequal lengths;
- a 3-D array padded with NaN at the end of the shorter sequences, as tslearn's
  ``to_time_series_dataset`` makes it;
- a 2-D array ``(sequences, steps)`` of one feature;
- a long DataFrame indexed by ``(sequence id, step)``, one row per step and a column per
  feature: the CSV's own shape, and aeon's and sktime's ``pd-multiindex``; a DataFrame with
  a plain index is taken as the 2-D array is, a row per sequence.

aeon's channels-first arrays ``(sequences, features, steps)`` are taken only with
``channels_first=True``: a 3-D array's axes cannot be told apart by looking. Steps that are
NaN in every feature at the end of a sequence are padding; a NaN among a sequence's real
steps, a value that is not finite, and a sequence with no steps are refused, each with a
``ValueError`` that names the sequence and the step, as scikit-learn's estimators refuse
what they cannot use.

Labels are kept as written, of any type: ``label_codes`` gives each label's position in the
sorted classes, one per sequence, or (``target="step"``) one array per sequence.
"""

import numpy as np
import pandas as pd

from harness.own_data.sequence_csv import LARGEST_FEATURE, SequenceSet

FORMS = ("a 3-D array (sequences, steps, features), NaN-padded or not; a 2-D array (sequences, steps) of "
         "one feature; a list of (steps, features) or (steps,) arrays; or a DataFrame indexed by "
         "(sequence id, step)")


def sequences_of(X, channels_first=False):
    """``X`` as a list of float64 ``(steps, features)`` arrays (NaN padding still on), their
    ids, their steps' order values (None: counted from 1), and the feature names."""
    if isinstance(X, pd.DataFrame):
        if X.index.nlevels == 1:  # a wide table: as the 2-D array, a row per sequence, a column per step
            sequences, _, steps, names = sequences_of(numeric(X.to_numpy(), "X"))
            return sequences, np.array([str(value) for value in X.index]), steps, names
        return long_frame(X)
    if isinstance(X, pd.Series):
        raise TypeError(f"X is a pandas Series; give the sequences as {FORMS}")
    if not isinstance(X, list | tuple | np.ndarray) and hasattr(X, "__array__"):
        X = np.asarray(X)  # array-likes: a PyTorch tensor, a xarray DataArray, ...
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim == 3:
            values = np.transpose(X, (0, 2, 1)) if channels_first else X
        elif X.ndim == 2:
            values = X[:, :, None]
        elif X.ndim == 1:
            raise ValueError("X is a 1-D array. Reshape your data: one sequence of one feature is X.reshape(1, -1), "
                             f"and in general give the sequences as {FORMS}")
        else:
            raise ValueError(f"X is a {X.ndim}-D array; give the sequences as {FORMS}")
        values = numeric(values, "X")
        sequences = list(values)
    elif isinstance(X, list | tuple | np.ndarray):
        sequences = []
        for index, sequence in enumerate(X):
            values = numeric(np.asarray(sequence), f"sequence {index}")
            if values.ndim == 1:
                values = values[:, None]
            elif values.ndim == 2:
                values = values.T if channels_first else values
            else:
                raise ValueError(f"sequence {index} is a {values.ndim}-D array; each sequence is (steps, "
                                 "features), or (steps,) for one feature")
            sequences.append(values)
    else:
        raise TypeError(f"X is a {type(X).__name__}; give the sequences as {FORMS}")
    if not sequences:
        raise ValueError("X holds no sequences")
    widths = {values.shape[1] for values in sequences}
    if len(widths) > 1:
        raise ValueError(f"the sequences of X have different numbers of features ({', '.join(map(str, sorted(widths)))})")
    n_features = widths.pop()
    names = ["x"] if n_features == 1 else [f"x{number}" for number in range(1, n_features + 1)]
    return sequences, np.array([str(number) for number in range(len(sequences))]), None, names


def numeric(values, what):
    """``values`` as float64; ``ValueError`` for complex numbers or text that is not a number,
    ``TypeError`` for an object that is not one."""
    if np.iscomplexobj(values):
        raise ValueError(f"Complex data not supported: {what} holds complex numbers")
    try:
        return np.asarray(values, dtype=np.float64)
    except TypeError as error:
        raise TypeError(f"{what} holds a value that is not a number ({error})") from None
    except ValueError as error:
        raise ValueError(f"{what} holds a value that is not a number ({error})") from None


def long_frame(frame):
    """A long DataFrame's sequences (see ``sequences_of``), in the order their ids first appear."""
    if frame.index.nlevels != 2:
        raise ValueError(f"a DataFrame of sequences is indexed by (sequence id, step), one row per step; this one's "
                         f"index has {frame.index.nlevels} level{'s' if frame.index.nlevels > 1 else ''}")
    if frame.empty or frame.shape[1] == 0:
        raise ValueError("the DataFrame holds no steps or no feature columns")
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column]):
            raise ValueError(f"the column {column!r} is not numeric: every column of X is a feature")
    codes, ids = pd.factorize(frame.index.get_level_values(0), sort=False)
    order = numeric(frame.index.get_level_values(1), "the step level of the DataFrame's index")
    rows = np.lexsort((order, codes))
    sequence, order = codes[rows], order[rows]
    repeated = np.flatnonzero((np.diff(sequence) == 0) & (np.diff(order) == 0))
    if len(repeated):
        raise ValueError(f"sequence {ids[sequence[repeated[0]]]!r} has step {order[repeated[0]]:g} twice")
    values = frame.to_numpy(dtype=np.float64)[rows]
    starts = np.flatnonzero(np.diff(sequence, prepend=-1))
    sequences = np.split(values, starts[1:])
    steps = np.split(order, starts[1:])
    return sequences, np.array([str(value) for value in ids]), steps, [str(column) for column in frame.columns]


def real_steps(values, index):
    """A sequence's real steps: without the steps at its end that are NaN in every feature;
    ``ValueError`` for a NaN among them, an infinite value, a value float32 cannot scale, or
    no steps at all."""
    present = ~np.isnan(values).all(axis=1)
    length = int(np.flatnonzero(present)[-1]) + 1 if present.any() else 0
    if length == 0:
        raise ValueError(f"sequence {index} has no steps (an empty sequence, or NaN at every step)")
    values = values[:length]
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        step, feature = bad[0]
        kind = "NaN" if np.isnan(values[step, feature]) else "an infinite value"
        raise ValueError(f"sequence {index} has {kind} at step {step + 1} (feature {feature + 1}), among its real "
                         "steps; NaN marks only padding at the end of a sequence")
    if np.abs(values).max() > LARGEST_FEATURE:
        raise ValueError(f"sequence {index} has a value beyond ±{LARGEST_FEATURE:g}, more than the model can scale "
                         "in float32")
    return values


def padded_set(sequences, ids, steps, features, y=None, classes=()):
    """The sequences as a ``SequenceSet``: zero-padded to the longest, with the last feature 1
    on every real step, as ``sequence_csv.read_sequences`` makes them."""
    lengths = [len(values) for values in sequences]
    X = np.zeros((len(sequences), max(lengths), len(features) + 1), np.float32)
    order = np.full(X.shape[:2], np.nan)
    for index, values in enumerate(sequences):
        X[index, :len(values), :-1] = values
        X[index, :len(values), -1] = 1.0
        order[index, :len(values)] = np.arange(1, len(values) + 1) if steps is None else steps[index][:len(values)]
    return SequenceSet(ids, X, order, y, [str(name) for name in classes], list(features))


def sequence_set(X, *, channels_first=False):
    """``X`` (any of the module's forms) as an unlabelled ``SequenceSet``; ``ValueError`` for
    what cannot be used."""
    sequences, ids, steps, features = sequences_of(X, channels_first)
    sequences = [real_steps(values, index) for index, values in enumerate(sequences)]
    return padded_set(sequences, ids, steps, features)


def per_sequence_labels(y, n_sequences, target):
    """``y`` as a list of one label per sequence, or (``target="step"``) one array of labels per
    sequence; ``ValueError`` where the counts disagree."""
    if y is None:
        raise ValueError("y is None: fitting needs the labels")
    if target == "step":
        labels = list(y) if not isinstance(y, np.ndarray) or y.ndim > 1 or y.dtype == object else None
        if labels is None or any(np.ndim(item) != 1 for item in labels):
            raise ValueError("with target='step', y holds one array of labels per sequence, one label per step; "
                             "for one label per sequence use target='sequence'")
        labels = [np.asarray(item) for item in labels]
    else:
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.ndim != 1:
            raise ValueError(f"y is a {labels.ndim}-D array; with target='sequence' it holds one label per sequence "
                             "(for a label per step, use target='step')")
    if len(labels) != n_sequences:
        raise ValueError(f"X holds {n_sequences} sequences but y holds {len(labels)} labels (or label arrays): "
                         "give one for each sequence")
    return labels


def label_codes(labels, classes, lengths, target):
    """Each label's position in ``classes`` (sorted, as ``numpy.unique`` sorts), as the class
    indices a ``SequenceSet`` holds: ``(sequences,)``, or ``(sequences, longest)`` per step;
    ``ValueError`` for a label not among ``classes`` or a step count that differs."""
    classes = np.asarray(classes)
    if target == "step":
        y = np.zeros((len(labels), max(lengths)), np.int64)
        for index, (steps_labels, length) in enumerate(zip(labels, lengths)):
            if len(steps_labels) != length:
                raise ValueError(f"sequence {index} has {length} steps but {len(steps_labels)} labels")
            y[index, :length] = codes_in(steps_labels, classes)
        return y
    return codes_in(np.asarray(labels), classes)


def codes_in(labels, classes):
    """Each of ``labels``' position in the sorted ``classes``; ``ValueError`` for another label."""
    positions = np.searchsorted(classes, labels)
    positions = np.clip(positions, 0, len(classes) - 1)
    unknown = classes[positions] != labels
    if np.any(unknown):
        raise ValueError(f"y holds the label {np.asarray(labels)[unknown][0]!r}, which is not one of the classes "
                         f"({', '.join(map(str, classes))})")
    return positions.astype(np.int64)


def take(X, positions):
    """The sequences of ``X`` at ``positions``, in ``X``'s own form (for a reader's classifier)."""
    if isinstance(X, pd.DataFrame):
        ids = pd.unique(X.index.get_level_values(0))[positions]
        return X.loc[X.index.get_level_values(0).isin(ids)]
    if isinstance(X, np.ndarray):
        return X[positions]
    return [X[position] for position in positions]


def take_labels(y, positions):
    """The labels of ``y`` at ``positions``, in ``y``'s own form."""
    if isinstance(y, pd.Series | np.ndarray):
        return y.iloc[positions] if isinstance(y, pd.Series) else y[positions]
    return [y[position] for position in positions]


def frame_of(data):
    """A ``SequenceSet``'s sequences as a long DataFrame indexed by ``(id, step)``."""
    mask = data.mask
    sequence = np.nonzero(mask)[0]
    index = pd.MultiIndex.from_arrays([data.ids[sequence], data.steps[mask]], names=["id", "step"])
    return pd.DataFrame(data.X[mask][:, :-1].astype(np.float64), index=index, columns=data.features)


def labels_of(data):
    """A ``SequenceSet``'s labels as written: one per sequence, or one array per sequence."""
    classes = np.asarray(data.classes, dtype=object)
    if data.y.ndim == 1:
        return classes[data.y]
    return [classes[row[:length]] for row, length in zip(data.y, data.mask.sum(axis=1))]


def list_of(data):
    """A ``SequenceSet``'s sequences as a list of ``(steps, features)`` float64 arrays."""
    return [data.X[index, row, :-1].astype(np.float64) for index, row in enumerate(data.mask)]


def read_csv(path, *, id_column="id", order_column="step", label_column="label", features=None, target="step",
             frame=False):
    """The labelled sequences of a long CSV, the format ``classify_sequences.py`` reads, as
    ``X, y``: X a list of ``(steps, features)`` arrays, the form every scikit-learn tool can
    split by sequence (or with ``frame``, a long DataFrame indexed by ``(id, step)``, a column
    per feature, as aeon and sktime take it); y one label per sequence (``target="sequence"``),
    or one array of labels per sequence, as the CSV writes them. ``DataError`` (a
    ``ValueError``) says in one line what the file lacks."""
    from harness.own_data.sequence_csv import read_sequences

    data = read_sequences(path, id_column=id_column, order_column=order_column, label_column=label_column,
                          features=features, target=target)
    return (frame_of(data) if frame else list_of(data)), labels_of(data)
