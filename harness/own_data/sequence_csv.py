"""Your own labelled sequences, from a CSV in long form, as padded arrays for Keras.

Long form is one row per timestep: a sequence id, an optional order column, one or more
numeric features and a label. ``read_sequences`` checks every row, refuses what it cannot
use with one line naming the column and the CSV line at fault (``DataError``), and returns
a ``SequenceSet``: features padded with zeros to the longest sequence, shaped
``(sequences, timesteps, features + 1)``. The extra last feature is 1 on every real step
and 0 on padding, so a Keras ``Masking(mask_value=0)`` layer masks exactly the padding: a
real step is never all zeros, whatever its values.
"""

import csv
from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.memory import available_memory, size_text
from harness.own_data import TARGETS

SPLIT = (0.7, 0.15, 0.15)  # the shares of the sequences for training, validation and test


class DataError(ValueError):
    """Data that cannot be used as it is; the message is one line saying why."""


@dataclass
class SequenceSet:
    """Sequences read from a long CSV, padded, with their labels."""

    ids: np.ndarray  # (sequences,) each sequence's id, as the CSV writes it
    X: np.ndarray  # (sequences, timesteps, features + 1) float32; the last feature: 1 = real step
    steps: np.ndarray  # (sequences, timesteps) each real step's order value; padding: NaN
    y: np.ndarray | None  # class indices, (sequences, timesteps) or (sequences,); None: unlabelled
    classes: list  # class names in index order, as the CSV writes them
    features: list  # feature column names, in the order of X's features

    def __len__(self):
        return len(self.ids)

    @property
    def mask(self):
        """True on real steps, False on padding: ``(sequences, timesteps)``."""
        return self.X[:, :, -1] > 0

    def subset(self, index):
        """The sequences at the positions ``index``."""
        return SequenceSet(self.ids[index], self.X[index], self.steps[index],
                           None if self.y is None else self.y[index], self.classes, self.features)


# Reading ------------------------------------------------------------------------------------

# What pandas reads as a missing value by default: in the id and label columns, these marks
# count as missing (an id or label of "NA" is refused, not taken as a class of its own).
MISSING = ("", "NA", "N/A", "n/a", "#N/A", "#NA", "<NA>", "NaN", "nan", "-NaN", "-nan", "NULL",
           "null", "None")


def line_number(path, position):
    """The line of ``path`` holding data row ``position`` (the header is line 1); pandas
    skips blank lines, so they are counted here, only when a message needs a line."""
    with open(path, encoding="utf-8", errors="replace") as file:
        next(file, None)
        rows = -1
        for number, text in enumerate(file, start=2):
            rows += bool(text.strip())
            if rows == position:
                return number
    return int(position) + 2


def header(path):
    """The column names of ``path``'s first line, or ``DataError`` for a header this script
    cannot take as it stands: a column with no name, a name given twice (pandas would rename
    the second ``x.1`` without a word), or one column whose name shows another separator."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            names = next(csv.reader(file), [])
    except (UnicodeDecodeError, OSError, csv.Error):
        return None  # read_csv says what is wrong with the file
    names = [name.strip() for name in names]
    if len(names) == 1:
        separator = next((mark for mark in (";", "\t", "|") if mark in names[0]), None)
        if separator:
            shown = "a tab" if separator == "\t" else f"'{separator}'"
            raise DataError(f"'{path}' has its columns separated by {shown}, not by commas; save it as CSV "
                            "with commas (in a spreadsheet: CSV, comma-separated)")
    for number, name in enumerate(names, start=1):
        if not name:
            raise DataError(f"column {number} of '{path}' has no name in the header; every column needs one")
    seen = {}
    for number, name in enumerate(names, start=1):
        if name in seen:
            raise DataError(f"the header of '{path}' names '{name}' twice (columns {seen[name]} and {number}); "
                            "give each column a name of its own")
        seen[name] = number
    return names


def read_csv(path, text_columns=()):
    """The CSV at ``path``, or ``DataError``.

    ``text_columns`` (the id and the label) are read as text exactly as written (``007``
    stays ``007``, and is not ``7``), kept as categories, which hold a million rows in a few
    megabytes, with ``MISSING``'s marks read as missing; numeric columns become numbers, and a
    column with any cell that is not a number stays text, for ``numbers`` to say which.
    """
    header(path)
    try:
        frame = pd.read_csv(path, dtype={column: str for column in text_columns}, encoding="utf-8-sig",
                            keep_default_na=False, na_values={column: MISSING for column in text_columns},
                            skipinitialspace=True)
    except FileNotFoundError:
        raise DataError(f"no such file: '{path}'") from None
    except IsADirectoryError:
        raise DataError(f"'{path}' is a folder, not a CSV file") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"'{path}' is empty") from None
    except UnicodeDecodeError as error:
        raise DataError(f"'{path}' is not UTF-8 text (byte {error.object[error.start]:#x} at byte "
                        f"{error.start}); save it as UTF-8 (in a spreadsheet: CSV UTF-8)") from None
    except pd.errors.ParserError as error:
        reason = str(error).strip().splitlines()[0]
        raise DataError(f"'{path}' is not a CSV file pandas can read ({reason})") from None
    except OSError as error:
        raise DataError(f"cannot read '{path}': {error.strerror or error}") from None
    if frame.empty:
        raise DataError(f"'{path}' has a header but no rows")
    for column in text_columns:
        if column in frame.columns:
            frame[column] = frame[column].astype("category")
    return frame


def check_columns(frame, path, *, id_column, order_column, label_column, features, model_features=False):
    """The feature columns to use, once every column named by an option is there, and no
    column has two roles. ``model_features``: the features are a saved model's, not
    ``--features``'s."""
    columns = list(frame.columns)
    have = ", ".join(columns)
    named = [("--id", id_column), ("--order", order_column), ("--label", label_column)]
    named = [(option, column) for option, column in named if column is not None]
    for option, column in named + [("--features", feature) for feature in features or ()]:
        if column in columns:
            continue
        if option == "--features" and model_features:
            raise DataError(f"'{path}' has no column '{column}', a feature the model was trained on; "
                            f"its columns are {have} (--features names the columns to use for the "
                            f"model's features {', '.join(features)}, in that order)")
        raise DataError(f"{option}: '{path}' has no column '{column}'; its columns are {have}")
    role = {}
    for option, column in named + [("--features", feature) for feature in features or ()]:
        if column in role:
            already = "named twice" if role[column] == option else f"already the column of {role[column]}"
            raise DataError(f"{option}: '{column}' is {already}; each column has one role only")
        role[column] = option
    if features is None:
        features = [column for column in columns if column not in {id_column, order_column, label_column}]
        if not features:
            raise DataError(f"'{path}' has no feature column besides {id_column}, {order_column} "
                            f"and {label_column}; its columns are {have}")
    return list(features)


# The largest size a feature value may have: the model scales each feature by the variance of
# the training sequences, kept in float32, where values beyond about 1.8e19 could make it
# overflow (3.4e38, the largest float32, is 1.8e19 squared).
LARGEST_FEATURE = 1e19


def numbers(frame, column, what, path, largest=None):
    """Column ``column`` as float64, or ``DataError`` naming the first line that is not a
    finite number, or (``largest``) is beyond plus or minus ``largest``."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        text = str(frame[column].iloc[bad[0]]).strip()
        if not text:
            got = "empty"
        elif np.isinf(values[bad[0]]):
            got = f"{text!r}, not a finite number"
        else:
            got = f"{text!r}, not a number"
        raise DataError(f"{what} '{column}' on line {line_number(path, bad[0])} is {got}")
    if largest is not None:
        too_large = np.flatnonzero(np.abs(values) > largest)
        if len(too_large):
            text = str(frame[column].iloc[too_large[0]]).strip()
            raise DataError(f"{what} '{column}' on line {line_number(path, too_large[0])} is {text}, beyond the "
                            f"±{largest:g} the model can scale in float32; divide the column by a power of ten")
    return values


def first_blank(categories):
    """Where ``categories`` (a categorical column) first holds an empty or missing cell, or None."""
    blank = [name for name in categories.cat.categories if not str(name).strip()]
    hits = np.flatnonzero(categories.isna().to_numpy() | categories.isin(blank).to_numpy())
    return int(hits[0]) if len(hits) else None


def class_names(labels):
    """The distinct labels, sorted as numbers when they all are numbers, else as text."""
    distinct = [str(label) for label in labels]
    as_numbers = pd.to_numeric(pd.Series(distinct), errors="coerce")
    if as_numbers.notna().all():
        return [distinct[i] for i in np.argsort(as_numbers.to_numpy(), kind="stable")]
    return sorted(distinct)


def in_order_of_appearance(categories):
    """Each row's group number, counting groups in the order they first appear, and the groups."""
    codes = categories.cat.codes.to_numpy()
    present, first_row = np.unique(codes, return_index=True)
    by_appearance = present[np.argsort(first_row)]
    rank = np.empty(len(categories.cat.categories), np.int64)
    rank[by_appearance] = np.arange(len(by_appearance))
    return rank[codes], np.asarray(categories.cat.categories.astype(str))[by_appearance]


@dataclass
class Layout:
    """Where each row of the CSV goes: rows sorted by sequence (in order of first appearance),
    then by step; each one's sequence and position in it."""

    rows: np.ndarray  # the CSV's rows (0-based data rows), in sequence and step order
    sequence: np.ndarray  # the sequence of each of those rows
    position: np.ndarray  # its position in its sequence, from 0
    order: np.ndarray  # its order value
    starts: np.ndarray  # where each sequence begins among the sorted rows
    ids: np.ndarray  # each sequence's id

    @property
    def shape(self):
        """(sequences, steps of the longest)."""
        return len(self.ids), int(self.position.max()) + 1


def lay_out(frame, path, id_column, order):
    """Sort the rows into sequences by ``id_column`` and ``order``; ``DataError`` for a step
    given twice within a sequence."""
    sequence_of_row, unique_ids = in_order_of_appearance(frame[id_column])
    rows = np.lexsort((order, sequence_of_row))
    sequence, order = sequence_of_row[rows], order[rows]
    repeated = np.flatnonzero((np.diff(sequence) == 0) & (np.diff(order) == 0))
    if len(repeated):
        first, second = rows[repeated[0]], rows[repeated[0] + 1]
        raise DataError(f"sequence {unique_ids[sequence[repeated[0]]]!r} has step "
                        f"{order[repeated[0]]:g} twice (lines {line_number(path, min(first, second))} and "
                        f"{line_number(path, max(first, second))})")
    lengths = np.bincount(sequence, minlength=len(unique_ids))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    position = np.arange(len(rows)) - starts[sequence]
    return Layout(rows, sequence, position, order, starts, unique_ids)


def check_memory(layout, n_features, path):
    """Refuse (``DataError``) sequences whose padded arrays would not fit in the memory free."""
    n_sequences, n_steps = layout.shape
    needed = n_sequences * n_steps * ((n_features + 1) * 4 + 8 + 8)  # X, the steps, labels per step
    free = available_memory()
    if free is not None and needed > free:
        raise DataError(f"'{path}' padded to its longest sequence ({n_steps} steps) would take "
                        f"{size_text(needed)}, more than the {size_text(free)} free here; shorten or leave "
                        "out the longest sequences")


def padded(layout, values):
    """The feature ``values`` (one row per CSV row) padded with zeros into ``(sequences,
    steps, features + 1)``, the last feature 1 on every real step; and each step's order
    value, NaN on padding."""
    n_sequences, n_steps = layout.shape
    X = np.zeros((n_sequences, n_steps, values.shape[1] + 1), np.float32)
    X[layout.sequence, layout.position, :-1] = values[layout.rows]
    X[layout.sequence, layout.position, -1] = 1.0
    steps = np.full((n_sequences, n_steps), np.nan)
    steps[layout.sequence, layout.position] = layout.order
    return X, steps


def class_indices(frame, path, label_column, classes, classes_known_to):
    """Each row's class index and the class names: ``classes`` when given, else the labels
    found; ``DataError`` for a missing label, a single class, or a label not in ``classes``."""
    labels = frame[label_column]
    blank = first_blank(labels)
    if blank is not None:
        raise DataError(f"the label '{label_column}' on line {line_number(path, blank)} is empty or missing")
    used = labels.cat.remove_unused_categories().cat.categories
    if classes is None:
        classes = class_names(used)
        if len(classes) < 2:
            raise DataError(f"every label in '{label_column}' is {classes[0]!r}: with a single "
                            "class there is nothing to classify")
    index_of = {name: index for index, name in enumerate(classes)}
    unknown = [str(name) for name in used if str(name) not in index_of]
    if unknown:
        raise DataError(f"the label {unknown[0]!r} is not one of {classes_known_to} ({', '.join(classes)})")
    class_of_category = np.array([index_of.get(str(name), -1) for name in labels.cat.categories])
    return class_of_category[labels.cat.codes.to_numpy()], list(classes)


def targets_of(layout, codes, target, path):
    """The class indices ``codes`` (one per CSV row) as targets: ``(sequences, steps)`` for a
    label per step, ``(sequences,)`` per sequence; ``DataError`` where a sequence's label
    changes under a label per sequence."""
    codes = codes[layout.rows]
    if target == "step":
        y = np.zeros(layout.shape, np.int64)
        y[layout.sequence, layout.position] = codes
        return y
    first = codes[layout.starts]
    changed = np.flatnonzero(codes != first[layout.sequence])
    if len(changed):
        raise DataError(f"the label of sequence {layout.ids[layout.sequence[changed[0]]]!r} changes on "
                        f"line {line_number(path, layout.rows[changed[0]])}: with one label per "
                        "sequence, it must stay the same within a sequence")
    return first


def read_sequences(path, *, id_column="id", order_column="step", label_column="label",
                   features=None, target="step", classes=None, model_features=False,
                   classes_known_to="the model's classes"):
    """Read, check and pad the sequences of the long CSV at ``path``.

    ``order_column`` may be missing from the CSV when it is the default ``step``: rows are
    then in order within each id. ``classes``, when given (those a saved model knows), fixes
    the class names, and the label column becomes optional: without one, ``y`` is None.
    ``model_features`` says that ``features`` are a saved model's, and ``classes_known_to``
    whose ``classes`` they are, for the messages.
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {target!r}")
    frame = read_csv(path, text_columns=(id_column, label_column))
    if order_column == "step" and "step" not in frame.columns:
        order_column = None
    labelled = classes is None or label_column in frame.columns
    features = check_columns(frame, path, id_column=id_column, order_column=order_column,
                             label_column=label_column if labelled else None, features=features,
                             model_features=model_features)
    blank = first_blank(frame[id_column])
    if blank is not None:
        raise DataError(f"the id '{id_column}' on line {line_number(path, blank)} is empty or "
                        "missing: every row needs the id of its sequence")
    values = np.column_stack([numbers(frame, feature, "feature", path, LARGEST_FEATURE) for feature in features])
    order = (numbers(frame, order_column, "order", path) if order_column
             else np.arange(len(frame), dtype=float))

    layout = lay_out(frame, path, id_column, order)
    check_memory(layout, len(features), path)
    X, steps = padded(layout, values)
    if order_column is None:  # no order column: the steps count from 1 within each sequence
        steps[layout.sequence, layout.position] = layout.position + 1
    y = None
    if labelled:
        codes, classes = class_indices(frame, path, label_column, classes, classes_known_to)
        y = targets_of(layout, codes, target, path)
    return SequenceSet(layout.ids, X, steps, y, list(classes), features)


# Splitting and scaling ---------------------------------------------------------------------

def split_positions(n, seed):
    """The positions of ``n`` sequences in the training, validation and test sets, in the
    shares of ``SPLIT``, seeded."""
    n_validation, n_test = (max(1, round(share * n)) for share in SPLIT[1:])
    if n - n_validation - n_test < 1:
        raise DataError(f"{n} sequence{'s' if n != 1 else ''} cannot be split into training, "
                        "validation and test sets: at least 3 are needed")
    shuffled = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.split(shuffled, [n - n_validation - n_test, n - n_test])]


def shorten(data, max_steps):
    """``data`` with each sequence longer than ``max_steps`` resampled to ``max_steps`` steps
    (each feature, and the order values, linearly interpolated); shorter ones as they are.

    For a label per sequence only: a label per step has no value between two steps. Long
    real sequences (hundreds of steps) cost time in proportion to their length, and an
    LSTM holds little of a sequence that long anyway; 128 points still show its shape.
    """
    if data.y is not None and data.y.ndim == 2:
        raise ValueError("only sequences with one label each can be shortened")
    lengths = data.mask.sum(axis=1)
    longer = np.flatnonzero(lengths > max_steps) if max_steps else []
    if not len(longer):
        return data
    X, steps = data.X[:, :max_steps].copy(), data.steps[:, :max_steps].copy()
    where = np.linspace(0.0, 1.0, max_steps)
    for index in longer:
        length = lengths[index]
        original = np.linspace(0.0, 1.0, length)
        for feature in range(X.shape[-1] - 1):
            X[index, :, feature] = np.interp(where, original, data.X[index, :length, feature])
        X[index, :, -1] = 1.0
        steps[index] = np.interp(where, original, data.steps[index, :length])
    return SequenceSet(data.ids, X, steps, data.y, data.classes, data.features)


def feature_statistics(data):
    """Mean and variance of each feature over the real steps of ``data`` (the training set).

    A feature that never varies gets variance 1, so that scaling only centres it.
    """
    real = data.X[data.mask][:, :-1].astype(np.float64)
    variance = real.var(axis=0)
    return real.mean(axis=0), np.where(variance > 0, variance, 1.0)
