"""Labelled sequences from a long CSV (one row per timestep: id, optional order, features, label).

Every cell is checked; what cannot be used is refused in one line naming the column and the CSV
line (``DataError``). The rows then go through ``sequences.from_rows``, like every other source.
"""

import csv

import numpy as np
import pandas as pd

from bilstm_companion.own_data import TARGETS
from bilstm_companion.own_data.sequences import LARGEST_FEATURE, DataError, codes_in, first_beyond, from_rows

# pandas' default missing marks: an id or label of "NA" is refused, not taken as a class.
MISSING = ("", "NA", "N/A", "n/a", "#N/A", "#NA", "<NA>", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "None")


def line_number(path, position):
    """The line of ``path`` holding data row ``position``, counting the blank lines pandas skips."""
    with open(path, encoding="utf-8", errors="replace") as file:
        next(file, None)
        rows = -1
        for number, text in enumerate(file, start=2):
            rows += bool(text.strip())
            if rows == position:
                return number
    return int(position) + 2


def check_header(path):
    """``DataError`` for a header column with no name, a name given twice (pandas would silently rename
    the second ``x.1``), or another separator than commas."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            names = [name.strip() for name in next(csv.reader(file), [])]
    except (UnicodeDecodeError, OSError, csv.Error):
        return  # read_frame says what is wrong with the file
    separator = next((mark for mark in (";", "\t", "|") if len(names) == 1 and mark in names[0]), None)
    if separator:
        shown = "a tab" if separator == "\t" else f"'{separator}'"
        raise DataError(f"'{path}' has its columns separated by {shown}, not by commas; save it as CSV "
                        "with commas (in a spreadsheet: CSV, comma-separated)")
    if "" in names:
        raise DataError(f"column {names.index('') + 1} of '{path}' has no name in the header; every column "
                        "needs one")
    seen = {}
    for number, name in enumerate(names, start=1):
        if name in seen:
            raise DataError(f"the header of '{path}' names '{name}' twice (columns {seen[name]} and {number}); "
                            "give each column a name of its own")
        seen[name] = number


def read_frame(path, text_columns=()):
    """The CSV at ``path``, or ``DataError``. ``text_columns`` (id, label) stay text as written
    (``007`` is not ``7``), as categories, which hold a million rows in a few megabytes."""
    check_header(path)
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
    return frame.astype({column: "category" for column in text_columns if column in frame.columns})


def check_columns(frame, path, roles, features, model_features):
    """The feature columns, once those of ``roles`` (id, order, label; None: none) and ``features`` are
    there, each with one role only (``model_features``: the features are a saved model's)."""
    columns, have = list(frame.columns), ", ".join(frame.columns)
    named = [(option, column) for option, column in zip(("--id", "--order", "--label"), roles)
             if column is not None]
    named += [("--features", feature) for feature in features or ()]
    for option, column in named:
        if column in columns:
            continue
        if option == "--features" and model_features:
            raise DataError(f"'{path}' has no column '{column}', a feature the model was trained on; "
                            f"its columns are {have} (--features names the columns to use for the "
                            f"model's features {', '.join(features)}, in that order)")
        raise DataError(f"{option}: '{path}' has no column '{column}'; its columns are {have}")
    role = {}
    for option, column in named:
        if column in role:
            already = "named twice" if role[column] == option else f"already the column of {role[column]}"
            raise DataError(f"{option}: '{column}' is {already}; each column has one role only")
        role[column] = option
    if features is None:
        features = [column for column in columns if column not in roles]
        if not features:
            raise DataError(f"'{path}' has no feature column besides {roles[0]}, {roles[1]} and {roles[2]}; "
                            f"its columns are {have}")
    return list(features)


def numbers(frame, column, what, path, limited=False):
    """Column ``column`` as float64; ``DataError`` for a cell not finite or (``limited``) too large."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        text = str(frame[column].iloc[bad[0]]).strip()
        got = f"{text!r}, not {'a finite number' if np.isinf(values[bad[0]]) else 'a number'}" if text else "empty"
        raise DataError(f"{what} '{column}' on line {line_number(path, bad[0])} is {got}")
    beyond = first_beyond(values) if limited else None
    if beyond is not None:
        text = str(frame[column].iloc[beyond]).strip()
        raise DataError(f"{what} '{column}' on line {line_number(path, beyond)} is {text}, beyond the "
                        f"±{LARGEST_FEATURE:g} the model can scale in float32; divide the column by a power of ten")
    return values


def refuse_blank(frame, column, what, path, why=""):
    """``DataError`` where the categorical ``column`` first holds an empty or missing cell."""
    blank = [name for name in frame[column].cat.categories if not str(name).strip()]
    hits = np.flatnonzero(frame[column].isna().to_numpy() | frame[column].isin(blank).to_numpy())
    if len(hits):
        line = line_number(path, hits[0])
        raise DataError(f"the {what} '{column}' on line {line} is empty or missing{why}")


def class_indices(frame, path, label_column, classes, classes_known_to):
    """Each row's class index, and the class names (``classes`` when given, else those found)."""
    refuse_blank(frame, label_column, "label", path)
    labels = frame[label_column].cat.remove_unused_categories()
    used = labels.cat.categories
    if classes is None:  # the labels found, sorted as numbers where they all are numbers, else as text
        distinct = [str(label) for label in used]
        as_numbers = pd.to_numeric(pd.Series(distinct), errors="coerce")
        classes = ([distinct[i] for i in np.argsort(as_numbers.to_numpy(), kind="stable")]
                   if as_numbers.notna().all() else sorted(distinct))
        if len(classes) < 2:
            raise DataError(f"every label in '{label_column}' is {classes[0]!r}: with a single "
                            "class there is nothing to classify")
    unknown = [str(name) for name in used if str(name) not in classes]
    if unknown:
        raise DataError(f"the label {unknown[0]!r} is not one of {classes_known_to} ({', '.join(classes)})")
    return codes_in(labels.cat.categories.astype(str), classes)[labels.cat.codes.to_numpy()], list(classes)


def targets_of(data, rows, codes, target, path):
    """``codes`` of ``data``'s real steps' ``rows`` as ``(sequences, steps)`` or ``(sequences,)`` targets."""
    y = np.zeros(data.mask.shape, np.int64)
    y[data.mask] = codes[rows]
    if target == "step":
        return y
    changed = np.argwhere(data.mask & (y != y[:, :1]))
    if len(changed):
        sequence, step = changed[0]
        line = line_number(path, rows[data.lengths[:sequence].sum() + step])
        raise DataError(f"the label of sequence {data.ids[sequence]!r} changes on line {line}: with one "
                        "label per sequence, it must stay the same within a sequence")
    return y[:, 0].copy()


def read_sequences(path, *, id_column="id", order_column="step", label_column="label", features=None,
                   target="step", classes=None, model_features=False, classes_known_to="the model's classes"):
    """Read, check and pad the long CSV at ``path`` (without the default order column ``step``, rows are
    in file order). ``classes`` (a saved model's) fixes the class names; the label column is then optional."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {target!r}")
    frame = read_frame(path, text_columns=(id_column, label_column))
    if order_column == "step" and "step" not in frame.columns:
        order_column = None
    labelled = classes is None or label_column in frame.columns
    roles = (id_column, order_column, label_column if labelled else None)
    features = check_columns(frame, path, roles, features, model_features)
    refuse_blank(frame, id_column, "id", path, ": every row needs the id of its sequence")
    values = np.column_stack([numbers(frame, feature, "feature", path, limited=True) for feature in features])
    order = numbers(frame, order_column, "order", path) if order_column else None  # None: in file order
    sequence_of_row, ids = pd.factorize(frame[id_column], sort=False)
    data, rows = from_rows(sequence_of_row, np.asarray(ids.astype(str)), order, values, features,
                           source=f"'{path}'", line_of=lambda row: line_number(path, row))
    if labelled:
        codes, data.classes = class_indices(frame, path, label_column, classes, classes_known_to)
        data.y = targets_of(data, rows, codes, target, path)
    return data
