"""Your own labelled sequences from a CSV in long form, and the files the command line names.

Long form is one row per timestep: a sequence id, an optional order column, one or more
numeric features and a label. ``read_sequences`` checks every cell, refuses what it cannot
use with one line naming the column and the CSV line at fault (``DataError``), and hands
the rows to ``sequences.from_rows``, the way in of every source of sequences. ``read_data``,
``read_test`` and ``read_for_model`` read the files as the command line's options say, before
the backend starts.
"""

import csv

import numpy as np
import pandas as pd

from harness.own_data import TARGETS
from harness.own_data.sequences import LARGEST_FEATURE, DataError, codes_in, first_beyond, from_rows, shorten

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


def numbers(frame, column, what, path, limited=False):
    """Column ``column`` as float64, or ``DataError`` naming the first line that is not a
    finite number, or (``limited``) is beyond ``LARGEST_FEATURE``."""
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
    beyond = first_beyond(values) if limited else None
    if beyond is not None:
        text = str(frame[column].iloc[beyond]).strip()
        raise DataError(f"{what} '{column}' on line {line_number(path, beyond)} is {text}, beyond the "
                        f"±{LARGEST_FEATURE:g} the model can scale in float32; divide the column by a power of ten")
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
    unknown = [str(name) for name in used if str(name) not in classes]
    if unknown:
        raise DataError(f"the label {unknown[0]!r} is not one of {classes_known_to} ({', '.join(classes)})")
    labels = labels.cat.remove_unused_categories()
    return codes_in(labels.cat.categories.astype(str), classes)[labels.cat.codes.to_numpy()], list(classes)


def targets_of(layout, codes, target, path):
    """The class indices ``codes`` (one per CSV row) as targets: ``(sequences, steps)`` for a
    label per step, ``(sequences,)`` per sequence; ``DataError`` where a sequence's label
    changes under a label per sequence."""
    codes = codes[layout.rows]
    if target == "step":
        y = np.zeros(layout.shape, np.int64)
        y[layout.sequence, layout.position] = codes
        return y
    first = codes[layout.position == 0]
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
    values = np.column_stack([numbers(frame, feature, "feature", path, limited=True) for feature in features])
    order = numbers(frame, order_column, "order", path) if order_column else None  # None: in file order
    sequence_of_row, ids = pd.factorize(frame[id_column], sort=False)
    data, layout = from_rows(sequence_of_row, np.asarray(ids.astype(str)), order, values, features,
                             source=f"'{path}'", rows_named=lambda first, second: f"lines {line_number(path, first)} "
                                                                                  f"and {line_number(path, second)}")
    if labelled:
        codes, data.classes = class_indices(frame, path, label_column, classes, classes_known_to)
        data.y = targets_of(layout, codes, target, path)
    return data


# The files the command line names ---------------------------------------------------------------

def read(args, path=None, **schema):
    """The sequences of the CSV the command line names (or ``path``), read as its options say."""
    return read_sequences(path or args.data, id_column=args.id, order_column=args.order,
                          label_column=args.label, **schema)


def read_test(args, data):
    """The ``--test`` file, read with DATA's features and classes; ``DataError`` if it cannot
    be scored as DATA's sequences are."""
    try:
        test = read(args, args.test, features=data.features, target=args.target, classes=data.classes,
                    classes_known_to=f"the classes of {args.data.name}, so training never saw it;")
    except DataError as error:
        raise DataError(f"argument --test: {error}") from None
    if test.y is None:
        raise DataError(f"argument --test: '{args.test}' has no label column '{args.label}'; scoring "
                        "needs the labels")
    return test


def read_data(args):
    """DATA and the ``--test`` file (or None), each sequence longer than ``--max-steps``
    resampled where the label is per sequence, and the longest sequence's length as read
    (None where none was resampled); ``DataError`` if they cannot be used."""
    data = read(args, features=args.features, target=args.target)
    test_file = read_test(args, data) if args.test is not None else None
    longest = None
    if args.target == "sequence" and args.max_steps:
        longest = int(data.lengths.max())
        data = shorten(data, args.max_steps)
        test_file = test_file and shorten(test_file, args.max_steps)
    return data, test_file, longest if longest and longest > args.max_steps else None


def read_for_model(args, schema):
    """DATA, for ``--predict`` with a model whose ``DataSchema`` is ``schema``: its features
    (or the columns ``--features`` names for them, in its order), target and classes;
    ``DataError`` where the options and the model disagree."""
    if args.target not in (None, schema.target):
        raise DataError(f"argument --target: the model predicts a label per {schema.target}, "
                        f"not per {args.target}")
    features = schema.features
    if args.features is not None:  # the CSV's names for the model's features, in its order
        if len(args.features) != len(features) or (sorted(args.features) == sorted(features)
                                                    and args.features != features):
            raise DataError(f"argument --features: the model takes {len(features)} feature"
                            f"{'s' if len(features) > 1 else ''} in this order: {', '.join(features)}; "
                            f"give one column for each, in that order, not {', '.join(args.features)}")
        features = args.features
    return read(args, features=features, target=schema.target, classes=schema.classes,
                model_features=args.features is None)
