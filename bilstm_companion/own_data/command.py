"""``classify_sequences.py``'s command line: its options, their checks, then the hand-over to ``run.py``.

Nothing here imports NumPy, pandas or Keras at import time, so that ``--help`` and a mistake in
the options are answered at once; data that cannot be used is refused before the backend starts.
"""

import argparse
import os

from bilstm_companion import cli, devices
from bilstm_companion.options import non_empty_path, positive_int
from bilstm_companion.own_data import TARGETS, DataError, TrainingFailed, parameters
from bilstm_companion.stopping import STOP

OUTPUTS = ("_predictions.csv", ".png", ".keras", "_history.csv", "_folds.csv", "_folds.png")


def column_list(text):
    """argparse type: comma-separated column names."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated column names, got {text!r}")
    return names


def model_list(models):
    """argparse type: comma-separated names of ``models``, each model once (under either name)."""
    def parse(text):
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in models]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"unknown model {unknown[0] if unknown else text!r}; choose "
                                             f"from {', '.join(models)}, comma-separated")
        for index, name in enumerate(names):
            earlier = next((other for other in names[:index] if models[other] == models[name]), None)
            if earlier is not None:
                same = "named twice" if earlier == name else f"the same as {earlier}"
                raise argparse.ArgumentTypeError(f"{name} is {same}; list each model once")
        return names

    return parse


def make_parser(doc, models):
    """``classify_sequences.py``'s options; ``--model`` takes the names of ``models``."""
    parser = cli.new_parser(doc)
    add = parser.add_argument
    add("data", nargs="?", type=non_empty_path, metavar="DATA.csv",
        help="the labelled sequences: one row per timestep, columns for the id, the order, the features and the label")
    add("--write-example", type=non_empty_path, metavar="PATH",
        help="write an example CSV to start from (the article's problem, lengths 5 to 30; --seed draws "
             "another) and stop")
    add("--predict", type=non_empty_path, metavar="MODEL.keras",
        help="predict DATA.csv with a model this script saved, instead of training one; the model brings "
             "its features, target and classes, and the training options are unused")

    add = parser.add_argument_group("your data").add_argument
    add("--id", default="id", metavar="COLUMN", help="the sequence id column (default: id)")
    add("--order", default="step", metavar="COLUMN",
        help="the column that orders each sequence's rows; when the default is missing, rows are taken in "
             "file order (default: step)")
    add("--label", default="label", metavar="COLUMN", help="the label column (default: label)")
    add("--features", type=column_list, metavar="LIST",
        help="feature columns, comma-separated (default: every other column)")
    add("--target", choices=TARGETS,
        help="a label per timestep, as in the article, or one per sequence (default: step; with --predict, "
             "the model's)")

    add = parser.add_argument_group(
        "the article's questions on your data",
        "Each model listed trains on the same folds from the same weights, so their accuracies\n"
        "are paired; baselines (the majority class, the network without its LSTM, and for a\n"
        "label per sequence the nearest neighbour) are scored beside them.").add_argument
    add("--model", type=model_list(models), metavar="LIST",
        help=f"the models to train, comma-separated, from {', '.join(models)} (bilstm is bilstm_concat); "
             "each is compared with the first, and the first one's model of the first fold is the one saved "
             "(default: bilstm)")
    add("--folds", type=positive_int, metavar="K",
        help="cross-validate: each of K folds is the test part once; 1 is a single split (70%% train, "
             "15%% validate, 15%% test) (default: 1)")
    add("--repeats", type=positive_int, default=1, metavar="R",
        help="with --folds K, deal the folds R times, each time anew from the seed, and use all K x R "
             "trainings: narrower intervals on a small file, at R times the training time (default: 1)")
    add("--dtw", action=argparse.BooleanOptionalAction, default=None,
        help="with a label per sequence, also score the nearest neighbour under dynamic time warping, "
             "the field's reference (--no-dtw: never). Its cost grows with the product of the lengths "
             "(about 5 ns per pair of steps here) (default: where it takes no longer than the networks' "
             "training)")
    add("--test", type=non_empty_path, metavar="FILE.csv",
        help="labelled sequences to score after training, such as a benchmark's official test file; "
             "DATA.csv then only trains and validates (default: none)")

    group = parser.add_argument_group("training")
    parameters.add_options(group)  # the network's size and training, from parameters.TABLE
    add = group.add_argument
    add("--join-timeout", type=devices.join_timeout, default=devices.JOIN_TIMEOUT, metavar="S",
        help=f"with several processes, how long each waits for the others to join, in seconds, at most "
             f"{devices.JOIN_TIMEOUT_MAX} (default: {devices.JOIN_TIMEOUT})")
    add("--batch-folds", action=argparse.BooleanOptionalAction, default=None,
        help="train a model's folds (and ensemble members) together in one compiled program, each with its own "
             "data, weights, Adam state and early stopping: the same numbers, in less time. Only JAX can; on "
             "TensorFlow and PyTorch they train one at a time (default: on where the backend can)")
    cli.add_run_options(parser.add_argument_group("running"))
    return parser


def parse(parser, argv=None):
    """The command line, with nonsensical combinations refused and the dependent defaults settled."""
    args = parser.parse_args(argv)
    if args.write_example is not None and (args.data is not None or args.predict is not None):
        parser.error("argument --write-example: writes the example and stops; give DATA.csv "
                     "in a second command")
    if args.write_example is None and args.data is None:
        parser.error("the following arguments are required: DATA.csv (or --write-example PATH)")
    if args.predict is not None:
        given = [option for option, value in (("--folds", args.folds), ("--test", args.test)) if value is not None]
        if args.model is not None and len(args.model) > 1:
            given.append("a list of models")
        if given:
            parser.error(f"argument --predict: predicts with one saved model, so {' and '.join(given)} "
                         "cannot go with it; train without --predict to compare")
    else:
        args.target = args.target or "step"
    args.model = args.model or ["bilstm"]
    args.folds = args.folds or 1
    return args


def output_files(args, name):
    """Every file the run writes, with the option that places it."""
    if args.write_example is not None:
        return [("--write-example", args.write_example)]
    if args.predict is not None:  # named for the data, so the training run's files stay
        return [("--output-dir", args.output_dir / f"{name}_predictions_{args.data.stem}.csv")]
    return [("--output-dir", args.output_dir / f"{name}{ending}") for ending in OUTPUTS]


def same_file(first, second):
    """Whether two paths name one file (the same path, or links to it)."""
    if first.resolve() == second.resolve():
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them is not there (yet)
        return False


def check_inputs_kept(parser, args, outputs):
    """Refuse a run that would write over a file it reads, or score ``--test`` on DATA itself."""
    inputs = [("DATA.csv", args.data), ("--test", args.test), ("--predict", args.predict)]
    for option, path in outputs:
        for name, read in inputs:
            if read is not None and same_file(path, read):
                parser.error(f"argument {option}: the run would write '{path}' over {name}, which it reads; "
                             "choose another --output-dir")
    if args.test is not None and args.data is not None and same_file(args.test, args.data):
        parser.error("argument --test: it is DATA.csv itself; scoring the sequences a model trained on tells "
                     "nothing of new ones, so give a file of other sequences")


def settle_batch_folds(parser, args):
    """``--batch-folds``: on where the backend can, refused where it cannot."""
    from bilstm_companion import backend

    together = backend.trains_folds_together()
    if args.batch_folds and not together:
        parser.error(f"argument --batch-folds: on Keras' {backend.name()} backend folds train "
                     "one at a time; only JAX trains them together")
    args.batch_folds = together if args.batch_folds is None else args.batch_folds


def settle_devices(parser, args, trainings=None):
    """Refuse ``--devices`` it cannot have, or whose devices cannot share ``trainings`` equally (None:
    nothing trains, as with ``--predict``)."""
    members = parameters.ensemble_for(args.target, args.ensemble)
    try:
        placement = devices.placement(args.devices)
        count = 1 if placement is None else placement.count
        if args.batch_folds and trainings:
            devices.check_shared(trainings * members, count, members)
    except ValueError as error:
        advice = "" if "cannot be shared" not in str(error) else (
            f"; choose --folds (times --repeats{', times --ensemble' if members > 1 else ''}) a multiple of "
            f"{count}, or --no-batch-folds to spread each fold's batches over the {count} devices")
        parser.error(f"argument --devices: {error}{advice}")
    args.devices = count


def read(args, path=None, **schema):
    """The sequences of the CSV the command line names (or ``path``), read as its options say."""
    from bilstm_companion.own_data.csv_files import read_sequences

    return read_sequences(path or args.data, id_column=args.id, order_column=args.order,
                          label_column=args.label, **schema)


def read_data(args):
    """DATA and the ``--test`` file (or None, read with DATA's features and classes), resampled to
    ``--max-steps`` with a label per sequence, and the longest length as read (None if not resampled)."""
    from bilstm_companion.own_data.sequences import shorten

    data, test_file = read(args, features=args.features, target=args.target), None
    if args.test is not None:
        try:
            test_file = read(args, args.test, features=data.features, target=args.target, classes=data.classes,
                             classes_known_to=f"the classes of {args.data.name}, so training never saw it;")
        except DataError as error:
            raise DataError(f"argument --test: {error}") from None
        if test_file.y is None:
            raise DataError(f"argument --test: '{args.test}' has no label column '{args.label}'; scoring "
                            "needs the labels")
    if args.target == "sequence" and args.max_steps:
        longest = int(data.lengths.max())
        test_file = test_file and shorten(test_file, args.max_steps)
        return shorten(data, args.max_steps), test_file, longest if longest > args.max_steps else None
    return data, test_file, None


def read_for_model(args, schema):
    """DATA for ``--predict``, read with the saved model's ``schema`` (features, target, classes)."""
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


def networks(args, models):
    """A ``SequenceClassifier`` for each ``--model``, then the baseline without memory."""
    from bilstm_companion.own_data.estimators import SequenceClassifier
    from bilstm_companion.own_data.scoring import NETWORK_BASELINE

    options = {**parameters.from_options(args), "target": args.target, "verbose": args.verbose}
    chosen = {name: SequenceClassifier(models[name][0], merge_mode=models[name][1] or "concat", **options)
              for name in args.model}
    return {**chosen, NETWORK_BASELINE: SequenceClassifier(NETWORK_BASELINE, **options)}


def run(parser, args, name, models, title):
    """Write the example, predict with a saved model, or read the data, start the backend and
    train (``run.run``); return the exit status. ``models``: each name's (kind, merge mode)."""
    outputs = output_files(args, name)
    cli.check_outputs(parser, outputs)
    check_inputs_kept(parser, args, outputs)
    if args.write_example is not None:  # no Keras needed
        from bilstm_companion.own_data.example import write_example

        return write_example(args.write_example, args.seed)
    try:
        if args.predict is not None:
            cli.start(parser, args)
            from bilstm_companion.own_data import run as own_run  # (Keras, once the backend has started)
            from bilstm_companion.own_data.estimators import SequenceClassifier
            from bilstm_companion.own_data.layers import schema_of

            settle_devices(parser, args)
            classifier = SequenceClassifier.load(args.predict)
            classifier.devices = args.devices
            data = read_for_model(args, schema_of(classifier.model_))
            return own_run.predict_file(data, outputs[0][1], classifier, args.data)
        data, test_file, resampled_from = read_data(args)
        cli.start(parser, args)
        settle_batch_folds(parser, args)
        from bilstm_companion.own_data import run as own_run
        from bilstm_companion.own_data.folds import plan_folds

        folds = plan_folds(data, args.folds, args.seed, scored_on_file=test_file is not None, repeats=args.repeats)
        settle_devices(parser, args, len(folds))
        paths = dict(zip(OUTPUTS, (path for _, path in outputs)))
        return own_run.run(data, test_file, folds, networks(args, models), paths=paths, title=title,
                           data_name=args.data.name, together=args.batch_folds, dtw=args.dtw, verbose=args.verbose,
                           resampled=(args.max_steps, resampled_from) if resampled_from else None)
    except DataError as error:  # raised before any training, and before any file is written
        parser.error(error.on_the_command_line())
    except TrainingFailed as error:  # a loss became NaN: nothing was written
        STOP.say(f"{parser.prog}: error: {error}")
        return 1
