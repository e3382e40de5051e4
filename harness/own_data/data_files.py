"""The files the command line names, read as its options say: DATA, the ``--test`` file, and
the new data of ``--predict``. No Keras: the data is read, and refused if it cannot be used,
before the backend starts."""

from harness.own_data.sequence_csv import DataError, read_sequences, shorten

# Reading ---------------------------------------------------------------------------------------

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
        longest = int(data.mask.sum(axis=1).max())
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
