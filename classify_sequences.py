"""Classify your own sequences: the article's LSTMs on a CSV of labelled sequences.

The article trains on one made-up problem of fixed length. This script takes the next step:
your own sequences, from a CSV with one row per timestep, with any number of numeric
features, sequences of different lengths (padded, and masked so that padding changes
nothing), and either a label per step (as in the article) or one label per sequence. It
trains as one trains on real data, not with the article's one-sequence-per-epoch protocol:
sequences split into training, validation and test parts, mini-batches, early stopping.
Then it asks the article's questions of your data: does the bidirectional LSTM beat the
LSTM, which merge mode is best? Every model listed trains on the same folds from the
same weights, beside baselines that have no LSTM, and the report gives each accuracy with
a 95% interval and each paired difference with a verdict. It saves the first model, which
``--predict`` uses on new data.

Usage:
    python classify_sequences.py --write-example data.csv
    python classify_sequences.py data.csv
    python classify_sequences.py data.csv --model lstm,bilstm --folds 5
    python classify_sequences.py --write-example new.csv --seed 2
    python classify_sequences.py new.csv --predict results/classify_sequences.keras
    python classify_sequences.py train.csv --target sequence --test test.csv
"""

from harness import cli  # noqa: I001  (first: it starts Keras' backend quietly)

import argparse
import sys

import keras
import numpy as np
from keras import layers

from bilstm_classify import MERGE_MODES
from harness import own_sequences
from harness.sequence_csv import TARGETS, DataError, feature_statistics

NAME = "classify_sequences"
# The article's models, as --model names them: a bidirectional LSTM's name says its merge mode.
MODELS = {"lstm": ("lstm", None), "bilstm": ("bilstm", "concat"),
          **{f"bilstm_{mode}": ("bilstm", mode) for mode in MERGE_MODES}}
EPOCHS = 300  # at most: early stopping ends training once the validation loss stops improving
PATIENCE = 50
BATCH_SIZE = 32
POOLINGS = ("max", "last")
MAX_STEPS = 128
LEARNING_RATE = 0.01


# The model ------------------------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="bilstm_companion")
class DataSchema(layers.Layer):
    """Passes its input on unchanged, and keeps, in the saved model, what the data was: the
    feature columns in order, one label per ``step`` or per ``sequence``, the class names,
    and the length longer sequences were shortened to (``max_steps``; None: none were)."""

    def __init__(self, features, classes, target, max_steps=None, **kwargs):
        super().__init__(**kwargs)
        self.features, self.classes, self.target = list(features), list(classes), target
        self.max_steps = max_steps
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {**super().get_config(), "features": self.features, "classes": self.classes,
                "target": self.target, "max_steps": self.max_steps}


@keras.saving.register_keras_serializable(package="bilstm_companion")
class MaxOverSteps(layers.Layer):
    """Each feature's largest value over the real steps of a sequence; padding never counts.
    (``keras.layers.GlobalMaxPooling1D`` takes no mask.)"""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            lowest = keras.ops.full_like(inputs, float(np.finfo(np.float32).min))
            inputs = keras.ops.where(keras.ops.expand_dims(mask, -1), inputs, lowest)
        return keras.ops.max(inputs, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None


@keras.saving.register_keras_serializable(package="bilstm_companion")
class Standardize(layers.Layer):
    """``(x - mean) / sqrt(variance)``, feature by feature, as ``keras.layers.Normalization``
    computes it, with the mean and variance kept as (non-trainable) weights rather than
    constants: the saved model keeps them, and folds trained together on JAX can each have
    their own training set's statistics in one compiled program."""

    def __init__(self, n_features, **kwargs):
        super().__init__(**kwargs)
        self.n_features = n_features
        self.supports_masking = True
        self.mean = self.add_weight(shape=(n_features,), initializer="zeros", trainable=False, name="mean")
        self.variance = self.add_weight(shape=(n_features,), initializer="ones", trainable=False,
                                        name="variance")

    def call(self, inputs):
        return (inputs - self.mean) / keras.ops.maximum(keras.ops.sqrt(self.variance), keras.backend.epsilon())

    def get_config(self):
        return {**super().get_config(), "n_features": self.n_features}


def build_classifier(features, classes, target="step", model="bilstm", units=20, merge_mode="concat",
                     mean=None, variance=None, pooling="max", max_steps=None):
    """The article's LSTM, or bidirectional LSTM, for sequences of any length; or, as a
    baseline, ``model="no_memory"``: the same network without its LSTM.

    The input has one more feature than ``features``: 1 on every real step, 0 on padding,
    so ``Masking`` hides exactly the padding from the LSTM and the loss. ``Standardize``
    scales the features with the training split's ``mean`` and ``variance``, which the
    saved model keeps. With ``target="step"`` every timestep gets a prediction, as in the
    article; with ``"sequence"`` the LSTM reads the whole sequence and predicts once. Two
    classes get one sigmoid unit, more a softmax. Without memory, the Dense layer sees each
    step's features alone (``step``), or their mean over the real steps (``sequence``).

    For a label per sequence, ``pooling="max"`` gives the Dense layer the largest value of
    each LSTM output over the real steps, where ``"last"`` gives it the LSTM's last state,
    as the article's model would: on real data the best evidence is often in the middle of
    a sequence, and the last state has forgotten it (see the README's "Real data").
    ``max_steps`` is only recorded, for ``--predict`` (see ``sequence_csv.shorten``).
    """
    n_features = len(features)
    mean = [0.0] * n_features if mean is None else list(mean)
    variance = [1.0] * n_features if variance is None else list(variance)
    inputs = keras.Input(shape=(None, n_features + 1))
    x = DataSchema(features, classes, target, max_steps)(inputs)
    x = layers.Masking(mask_value=0.0)(x)
    scale = Standardize(n_features + 1)
    x = scale(x)
    scale.mean.assign(np.array([*mean, 0.0], np.float32))
    scale.variance.assign(np.array([*variance, 1.0], np.float32))
    if model == "no_memory":
        x = x if target == "step" else layers.GlobalAveragePooling1D()(x)  # masked: real steps only
    else:
        pooled = target == "sequence" and pooling == "max"
        lstm = layers.LSTM(units, return_sequences=target == "step" or pooled)
        x = layers.Bidirectional(lstm, merge_mode=merge_mode)(x) if model == "bilstm" else lstm(x)
        x = MaxOverSteps()(x) if pooled else x
    if len(classes) == 2:
        outputs = layers.Dense(1, activation="sigmoid")(x)
    else:
        outputs = layers.Dense(len(classes), activation="softmax")(x)
    return keras.Model(inputs, outputs, name=f"{model}_{target}")


def compile_classifier(model, n_classes, learning_rate=0.001):
    """Binary or categorical cross-entropy, as the classes ask, and Adam at ``learning_rate``."""
    loss = "binary_crossentropy" if n_classes == 2 else "sparse_categorical_crossentropy"
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(learning_rate), metrics=["accuracy"])
    return model


def schema_of(model):
    """What the saved ``model`` knows of its data: its ``DataSchema`` layer."""
    return next(layer for layer in model.layers if isinstance(layer, DataSchema))


# The command line -----------------------------------------------------------------------------

def column_list(text):
    """argparse type: comma-separated column names."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated column names, got {text!r}")
    return names


def model_list(text):
    """argparse type: comma-separated model names from ``MODELS``, each once."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in MODELS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown model {unknown[0] if unknown else text!r}; choose from "
                                         f"{', '.join(MODELS)}, comma-separated")
    seen = {}
    for name in names:
        if MODELS[name] in seen:
            same = "named twice" if seen[MODELS[name]] == name else f"the same as {seen[MODELS[name]]}"
            raise argparse.ArgumentTypeError(f"{name} is {same}; list each model once")
        seen[MODELS[name]] = name
    return names


def make_parser():
    parser = cli.new_parser(__doc__)
    add = parser.add_argument
    add("data", nargs="?", type=cli.non_empty_path, metavar="DATA.csv",
        help="the labelled sequences: one row per timestep, columns for the id, the order, "
             "the features and the label")
    add("--write-example", type=cli.non_empty_path, metavar="PATH",
        help="write an example CSV to start from (the article's problem, lengths 5 to 30; "
             "--seed draws another) and stop")
    add("--predict", type=cli.non_empty_path, metavar="MODEL.keras",
        help="predict DATA.csv with a model this script saved, instead of training one; the "
             "model brings its features, target and classes, and the training options are unused")

    data = parser.add_argument_group("your data")
    add = data.add_argument
    add("--id", default="id", metavar="COLUMN", help="the sequence id column (default: id)")
    add("--order", default="step", metavar="COLUMN",
        help="the column that orders each sequence's rows; when the default is missing, rows "
             "are taken in file order (default: step)")
    add("--label", default="label", metavar="COLUMN", help="the label column (default: label)")
    add("--features", type=column_list, metavar="LIST",
        help="feature columns, comma-separated (default: every other column)")
    add("--target", choices=TARGETS,
        help="a label per timestep, as in the article, or one per sequence (default: step; "
             "with --predict, the model's)")

    evidence = parser.add_argument_group(
        "the article's questions on your data",
        "Each model listed trains on the same folds from the same weights, so their accuracies\n"
        "are paired; baselines (the majority class, the network without its LSTM, and for a\n"
        "label per sequence the nearest neighbour) are scored beside them.")
    add = evidence.add_argument
    add("--model", type=model_list, metavar="LIST",
        help=f"the models to train, comma-separated, from {', '.join(MODELS)} (bilstm is "
             "bilstm_concat); each is compared with the first, and the first one's model of the "
             "first fold is the one saved (default: bilstm)")
    add("--folds", type=cli.positive_int, metavar="K",
        help="cross-validate: each of K folds is the test part once; 1 is a single split "
             "(70%% train, 15%% validate, 15%% test) (default: 1)")
    add("--test", type=cli.non_empty_path, metavar="FILE.csv",
        help="labelled sequences to score after training, such as a benchmark's official test "
             "file; DATA.csv then only trains and validates (default: none)")

    training = parser.add_argument_group("training")
    add = training.add_argument
    add("--units", type=cli.positive_int, default=20, metavar="N",
        help="memory units in each LSTM (default: 20)")
    add("--pooling", choices=POOLINGS, default="max",
        help="with a label per sequence, what the Dense layer sees: each LSTM output's largest "
             "value over the real steps, or the LSTM's last state as in the article (default: max)")
    add("--max-steps", type=cli.non_negative_int, default=MAX_STEPS, metavar="N",
        help="with a label per sequence, resample any sequence longer than N steps to N; the "
             f"saved model does the same to new data; 0 keeps every step (default: {MAX_STEPS})")
    add("--epochs", type=cli.positive_int, default=EPOCHS, metavar="N",
        help=f"epochs at most; early stopping may end sooner (default: {EPOCHS})")
    add("--patience", type=cli.positive_int, default=PATIENCE, metavar="N",
        help=f"stop after this many epochs without a lower validation loss (default: {PATIENCE})")
    add("--batch-size", type=cli.positive_int, default=BATCH_SIZE, metavar="N",
        help=f"sequences per update (default: {BATCH_SIZE})")
    add("--learning-rate", type=cli.positive_float, default=LEARNING_RATE, metavar="R",
        help="Adam's learning rate to start from; it halves whenever the validation loss has not "
             f"improved for a third of --patience (default: {LEARNING_RATE})")
    add("--batch-folds", action=argparse.BooleanOptionalAction, default=None,
        help="train a model's folds together in one compiled program, each with its own data, "
             "weights, Adam state and early stopping: the same numbers, in less time. Only JAX "
             "can; on TensorFlow and PyTorch folds train one at a time (default: on where the "
             "backend can)")
    cli.add_run_options(parser.add_argument_group("running"))
    return parser


def load(path):
    """A model this script saved, and its ``DataSchema``; ``DataError`` if it is no such model."""
    try:
        model = keras.saving.load_model(path)
        return model, schema_of(model)
    except Exception as error:  # noqa: BLE001  (any file at all gets one line; Ctrl-C passes)
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "no DataSchema layer"
        raise DataError(f"argument --predict: cannot load '{path}' as a model this script saved "
                        f"({reason})") from None


def check_arguments(parser, args):
    """The combinations of options that make no sense, refused; then the defaults."""
    if args.write_example is not None and (args.data is not None or args.predict is not None):
        parser.error("argument --write-example: writes the example and stops; give DATA.csv "
                     "in a second command")
    if args.write_example is None and args.data is None:
        parser.error("the following arguments are required: DATA.csv (or --write-example PATH)")
    if args.predict is not None:
        given = [option for option, value in (("--folds", args.folds), ("--test", args.test))
                 if value is not None]
        if args.model is not None and len(args.model) > 1:
            given.append("a list of models")
        if given:
            parser.error(f"argument --predict: predicts with one saved model, so {' and '.join(given)} "
                         "cannot go with it; train without --predict to compare")
    else:
        args.target = args.target or "step"
    args.model = args.model or ["bilstm"]
    args.folds = args.folds or 1
    together = keras.backend.backend() == "jax"
    if args.batch_folds and not together:
        parser.error(f"argument --batch-folds: on Keras' {keras.backend.backend()} backend folds train "
                     "one at a time; only JAX trains them together")
    args.batch_folds = together if args.batch_folds is None else args.batch_folds


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    check_arguments(parser, args)
    cli.validate_run(parser, args, own_sequences.output_files(args, NAME))

    def build(name, training):
        """Model ``name`` (from ``MODELS``, or the ``no_memory`` baseline), compiled, scaling
        with ``training``'s statistics."""
        kind, merge_mode = MODELS.get(name, (name, None))
        model = build_classifier(training.features, training.classes, args.target, kind, args.units,
                                 merge_mode or "concat", *feature_statistics(training), pooling=args.pooling,
                                 max_steps=args.max_steps if args.target == "sequence" and args.max_steps else None)
        return compile_classifier(model, len(training.classes), args.learning_rate)

    try:
        if args.write_example is not None:
            return own_sequences.write_example(args.write_example, args.seed)
        if args.predict is not None:
            return own_sequences.predict_file(args, NAME, *load(args.predict))
        kind, merge_mode = MODELS[args.model[0]]
        model = f"LSTM({args.units})" if kind == "lstm" else f"Bidirectional LSTM({args.units}, {merge_mode})"
        title = f"{model} on {args.data.name}, a label per {args.target}"
        return own_sequences.run(args, NAME, build, title)
    except DataError as error:  # raised before any training, and before any file is written
        parser.error(str(error))


if __name__ == "__main__":
    with cli.friendly_exit():
        sys.exit(main())
