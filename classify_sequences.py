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

from bilstm_classify import MERGE_MODES
from harness import cli
from harness.own_data import command

NAME = "classify_sequences"
# The article's models, as --model names them: a bidirectional LSTM's name says its merge mode.
MODELS = {"lstm": ("lstm", None), "bilstm": ("bilstm", "concat"),
          **{f"bilstm_{mode}": ("bilstm", mode) for mode in MERGE_MODES}}


# The model ------------------------------------------------------------------------------------

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
    import keras  # (here, not at the top: see lstm_classify.build_lstm)
    import numpy as np
    from keras import layers

    from harness.own_data.layers import DataSchema, MaxOverSteps, Standardize

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


# The command line -----------------------------------------------------------------------------

def main(argv=None):
    parser = command.make_parser(__doc__, MODELS)
    args = command.parse(parser, argv)

    def build(name, training):
        """Model ``name`` (from ``MODELS``, or the ``no_memory`` baseline), compiled, scaling
        with ``training``'s statistics."""
        from harness.own_data.recipe import compile_classifier
        from harness.own_data.sequence_csv import feature_statistics

        kind, merge_mode = MODELS.get(name, (name, None))
        model = build_classifier(training.features, training.classes, args.target, kind, args.units,
                                 merge_mode or "concat", *feature_statistics(training), pooling=args.pooling,
                                 max_steps=args.max_steps if args.target == "sequence" and args.max_steps else None)
        return compile_classifier(model, len(training.classes), args.learning_rate)

    kind, merge_mode = MODELS[args.model[0]]
    model = f"LSTM({args.units})" if kind == "lstm" else f"Bidirectional LSTM({args.units}, {merge_mode})"
    title = f"{model} on {args.data and args.data.name}, a label per {args.target}"
    return command.run(parser, args, NAME, build, title)


if __name__ == "__main__":
    cli.run(main)
