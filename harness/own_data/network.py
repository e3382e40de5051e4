"""The article's models for a reader's sequences, and the network baseline without memory.

``build_classifier`` builds one, uncompiled; ``MODELS`` are the names ``classify_sequences.py
--model`` takes, each with the network it builds, and ``NETWORKS`` what
``SequenceClassifier(model=...)`` takes.
"""

from harness.own_data.parameters import DEFAULTS, MERGE_MODES

# The article's models, as --model names them: a bidirectional LSTM's name says its merge mode.
MODELS = {"lstm": ("lstm", None), "bilstm": ("bilstm", "concat"),
          **{f"bilstm_{mode}": ("bilstm", mode) for mode in MERGE_MODES}}


def build_classifier(features, classes, target="step", model=DEFAULTS["model"], units=DEFAULTS["units"],
                     merge_mode=DEFAULTS["merge_mode"], mean=None, variance=None, pooling=DEFAULTS["pooling"],
                     max_steps=None, scaling="training"):
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
    a sequence, and the last state has forgotten it (see docs/real-data.md).
    ``max_steps`` is only recorded, for ``--predict`` (see ``sequences.shorten``).

    ``scaling="sequence"`` first scales each sequence by its own mean and spread, and gives
    the model that level and size as features beside it (``layers.EachSequenceScaled``);
    ``mean`` and ``variance`` are then those of its three features per feature
    (``layers.statistics_by_sequence``).
    """
    import keras  # (here, not at the top: importing this module starts no backend)
    import numpy as np
    from keras import layers

    from harness.own_data.layers import DataSchema, EachSequenceScaled, MaxOverSteps, Standardize

    n_features = len(features) * (3 if scaling == "sequence" else 1)
    mean = [0.0] * n_features if mean is None else list(mean)
    variance = [1.0] * n_features if variance is None else list(variance)
    inputs = keras.Input(shape=(None, len(features) + 1))
    x = DataSchema(features, classes, target, max_steps)(inputs)
    x = layers.Masking(mask_value=0.0)(x)
    x = EachSequenceScaled()(x) if scaling == "sequence" else x
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


def average_of(members):
    """One model of the trained ``members`` (one architecture): the mean of their outputs, the
    probabilities of an ensemble. Compiled as they are, so that it predicts as they do."""
    import keras

    inputs = keras.Input(shape=members[0].input_shape[1:])
    for index, member in enumerate(members, start=1):
        member.name = f"{member.name}_{index}"  # (a model's layers have names of their own)
    average = keras.Model(inputs, keras.layers.Average()([member(inputs) for member in members]),
                          name=f"average_of_{len(members)}")
    average.compile_from_config(members[0].get_compile_config())
    return average
