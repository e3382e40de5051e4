"""The sequences readers have in Python (``FORMS``), through ``sequences.from_rows`` as the CSV's are.

aeon's ``(sequences, features, steps)`` needs ``channels_first=True``: a 3-D array's axes cannot be told
apart by looking. Steps NaN in every feature at the end are padding.
"""

import warnings

import numpy as np
import pandas as pd

from bilstm_companion.own_data.csv_files import read_sequences
from bilstm_companion.own_data.sequences import DataError, codes_in, from_rows

FORMS = ("a 3-D array (sequences, steps, features), NaN-padded or not; a 2-D array (sequences, steps) of "
         "one feature; a list of (steps, features) or (steps,) arrays; or a DataFrame indexed by "
         "(sequence id, step)")


def numeric(values, what):
    """``values`` as float64; ``ValueError`` or ``TypeError`` naming ``what`` for what is not a number."""
    if np.iscomplexobj(values):
        raise ValueError(f"Complex data not supported: {what} holds complex numbers")
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{what} holds a value that is not a number ({error})") from None


def long_frame(frame):
    """A long DataFrame's rows: ``(sequence of each row, ids, order, values, features)``."""
    if frame.index.nlevels != 2:
        raise ValueError(f"a DataFrame of sequences is indexed by (sequence id, step), one row per step; this one's "
                         f"index has {frame.index.nlevels} levels")
    if frame.empty or frame.shape[1] == 0:
        raise ValueError("the DataFrame holds no steps or no feature columns")
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column]):
            raise ValueError(f"the column {column!r} is not numeric: every column of X is a feature")
    sequence_of_row, ids = pd.factorize(frame.index.get_level_values(0), sort=False)
    order = numeric(frame.index.get_level_values(1), "the step level of the DataFrame's index")
    return (sequence_of_row, np.array([str(value) for value in ids]), order, frame.to_numpy(dtype=np.float64),
            [str(column) for column in frame.columns])


def arrays(X, channels_first):
    """Arrays and lists of sequences: a list of ``(steps, features)`` float64 arrays."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim == 3:
            if X.shape[1] == 1 < X.shape[2] and not channels_first:  # (the axes are never guessed, but said)
                warnings.warn(f"X is read as sequences of 1 step and {X.shape[2]} features each; if it is "
                              "(sequences, features, steps), as aeon's arrays are, pass channels_first=True",
                              UserWarning, stacklevel=3)
            return list(numeric(np.transpose(X, (0, 2, 1)) if channels_first else X, "X"))
        if X.ndim == 2:
            return list(numeric(X[:, :, None], "X"))
        if X.ndim == 1:
            raise ValueError("X is a 1-D array. Reshape your data: one sequence of one feature is X.reshape(1, -1), "
                             f"and in general give the sequences as {FORMS}")
        raise ValueError(f"X is a {X.ndim}-D array; give the sequences as {FORMS}")
    sequences = []
    for index, sequence in enumerate(X):
        values = numeric(np.asarray(sequence), f"sequence {index}")
        if values.ndim > 2:
            raise ValueError(f"sequence {index} is a {values.ndim}-D array; each sequence is (steps, features), or "
                             "(steps,) for one feature")
        sequences.append(values[:, None] if values.ndim == 1 else values.T if channels_first else values)
    return sequences


def sequence_set(X, *, channels_first=False):
    """``X`` (any of ``FORMS``) as an unlabelled ``SequenceSet``."""
    if isinstance(X, pd.DataFrame) and X.index.nlevels > 1:
        return from_rows(*long_frame(X))[0]
    if isinstance(X, pd.DataFrame):  # a row per sequence
        data = sequence_set(numeric(X.to_numpy(), "X"))
        data.ids = np.array([str(value) for value in X.index])
        return data
    if isinstance(X, pd.Series):
        raise TypeError(f"X is a pandas Series; give the sequences as {FORMS}")
    X = as_array(X)
    if not isinstance(X, list | tuple | np.ndarray):
        raise TypeError(f"X is a {type(X).__name__}; give the sequences as {FORMS}")
    sequences = arrays(X, channels_first)
    if not sequences:
        raise ValueError("X holds no sequences")
    widths = sorted({values.shape[1] for values in sequences})
    if len(widths) > 1:
        raise ValueError(f"the sequences of X have different numbers of features ({', '.join(map(str, widths))})")
    features = ["x"] if widths[0] == 1 else [f"x{number}" for number in range(1, widths[0] + 1)]
    sequence_of_row = np.repeat(np.arange(len(sequences)), [len(values) for values in sequences])
    ids = np.arange(len(sequences)).astype(str)
    return from_rows(sequence_of_row, ids, None, np.concatenate(sequences), features)[0]


def as_array(y):
    """Array-likes (a pandas Series, a PyTorch tensor, ...) as arrays; lists and arrays as they are."""
    return np.asarray(y) if not isinstance(y, list | tuple | np.ndarray) and hasattr(y, "__array__") else y


def target_of(y):
    """``"step"`` where ``y`` holds an array of labels per sequence, else ``"sequence"``."""
    y = as_array(y)
    if isinstance(y, np.ndarray) and y.dtype != object:
        return "step" if y.ndim == 2 and y.shape[1] > 1 else "sequence"
    return "step" if len(y) and all(np.ndim(item) == 1 for item in y) else "sequence"


def per_sequence_labels(y, n_sequences, target):
    """``y`` as one label, or (``target="step"``) one array of labels, per sequence."""
    from sklearn.utils.validation import column_or_1d

    if y is None:
        raise ValueError("y is None: fitting needs the labels")
    y = as_array(y)
    if target == "step":
        labels = list(y) if not isinstance(y, np.ndarray) or y.ndim > 1 or y.dtype == object else None
        if labels is None or any(np.ndim(item) != 1 for item in labels):
            raise ValueError("with target='step', y holds one array of labels per sequence, one label per step; "
                             "for one label per sequence use target='sequence'")
        labels = [np.asarray(item) for item in labels]
    else:
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = column_or_1d(labels, warn=True)  # (scikit-learn's warning for a column of labels)
        if labels.ndim != 1:
            raise ValueError(f"y is a {labels.ndim}-D array; with target='sequence' it holds one label per sequence "
                             "(for a label per step, use target='step')")
    if len(labels) != n_sequences:
        raise ValueError(f"X holds {n_sequences} sequences but y holds {len(labels)} labels (or label arrays): "
                         "give one for each sequence")
    return labels


def labelled(X, y, target, channels_first=False, classes=None):
    """``X, y`` as a labelled ``SequenceSet``, and the classes as written (default: the sorted labels)."""
    from sklearn.utils.multiclass import check_classification_targets

    data = sequence_set(X, channels_first=channels_first)
    labels = per_sequence_labels(y, len(data), target)
    every = np.concatenate(labels) if target == "step" else np.asarray(labels)
    missing = np.flatnonzero(pd.isna(np.asarray(every, dtype=object)))
    if len(missing):
        where = f"sequence {missing[0]}"
        if target == "step":
            ends = np.cumsum([len(item) for item in labels])
            sequence = int(np.searchsorted(ends, missing[0], side="right"))
            where = f"sequence {sequence}, step {missing[0] - (ends[sequence - 1] if sequence else 0) + 1}"
        raise ValueError(f"y holds a missing label (None or NaN) for {where}: every sequence needs a label")
    check_classification_targets(every)
    if classes is None:
        classes = np.unique(every)
        if len(classes) < 2:
            raise ValueError(f"y holds a single class ({classes[0].tolist()!r}): with one class there is nothing to "
                             "classify")
    data.y = label_codes(labels, classes, data.lengths, target)
    data.classes = [str(name) for name in classes]
    return data, classes


def label_codes(labels, classes, lengths, target):
    """Each label's position in ``classes``: ``(sequences,)``, or ``(sequences, longest)`` per step."""
    if target != "step":
        return codes_in(labels, classes)
    y = np.zeros((len(labels), max(lengths)), np.int64)
    for index, (steps_labels, length) in enumerate(zip(labels, lengths)):
        if len(steps_labels) != length:
            raise DataError(f"sequence {index} has {length} steps but {len(steps_labels)} labels")
        y[index, :length] = codes_in(steps_labels, classes)
    return y


def take(X, positions):
    """The sequences of ``X`` at ``positions``, in ``X``'s own form (for a reader's classifier)."""
    if isinstance(X, pd.DataFrame):
        ids = pd.unique(X.index.get_level_values(0))[positions]
        return X.loc[X.index.get_level_values(0).isin(ids)]
    return X[positions] if isinstance(X, np.ndarray) else [X[position] for position in positions]


def take_labels(y, positions):
    """The labels of ``y`` at ``positions``, in ``y``'s own form."""
    if isinstance(y, pd.Series):
        return y.iloc[positions]
    return y[positions] if isinstance(y, np.ndarray) else [y[position] for position in positions]


def read_csv(path, *, id_column="id", order_column="step", label_column="label", features=None, target="step",
             frame=False):
    """The labelled sequences of a long CSV, ``classify_sequences.py``'s format (docs/own-data.md).

    Parameters
    ----------
    path : str or path-like
        The CSV: one row per timestep, columns for the id, the order, the features and the label.
    id_column, order_column, label_column : str, default="id", "step", "label"
        The columns of each role (an order column missing under its default name: file order).
    features : list of str, default=None
        The feature columns, in this order (default: every other column).
    target : {"step", "sequence"}, default="step"
        A label per timestep, or one per sequence (refused where a sequence's label changes).
    frame : bool, default=False
        X as a long DataFrame indexed by ``(id, step)``, a column per feature, as aeon and sktime take it.

    Returns
    -------
    X : list of ndarray of shape (steps, features), or DataFrame
        The sequences, which scikit-learn's tools split by sequence.
    y : ndarray, or list of ndarray
        A label per sequence, or (``target="step"``) an array of labels per sequence, as written.

    Raises ``DataError`` (a ``ValueError``) saying in one line what the file lacks.

    Examples
    --------
    >>> from bilstm_companion import read_csv
    >>> X, y = read_csv("data.csv", target="sequence")  # doctest: +SKIP
    """
    data = read_sequences(path, id_column=id_column, order_column=order_column, label_column=label_column,
                          features=features, target=target)
    classes, mask = np.asarray(data.classes, dtype=object), data.mask
    y = classes[data.y] if data.y.ndim == 1 else [classes[row[:length]] for row, length in zip(data.y, data.lengths)]
    if frame:
        index = pd.MultiIndex.from_arrays([data.ids[np.nonzero(mask)[0]], data.steps[mask]], names=["id", "step"])
        return pd.DataFrame(data.X[mask][:, :-1].astype(np.float64), index=index, columns=data.features), y
    return [data.X[index, row, :-1].astype(np.float64) for index, row in enumerate(mask)], y
