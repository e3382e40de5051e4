"""The article's models for a reader's sequences, and the baseline without memory: ``build_classifier``;
``MODELS``, the names ``classify_sequences.py --model`` takes; ``average_of``, an ensemble's model."""

from bilstm_companion.own_data.parameters import DEFAULTS, MERGE_MODES

# The article's models, as --model names them: a bidirectional LSTM's name says its merge mode.
MODELS = {"lstm": ("lstm", None), "bilstm": ("bilstm", "concat"),
          **{f"bilstm_{mode}": ("bilstm", mode) for mode in MERGE_MODES}}


def build_classifier(features, classes, target="step", model=DEFAULTS["model"], units=DEFAULTS["units"],
                     merge_mode=DEFAULTS["merge_mode"], mean=None, variance=None, pooling=DEFAULTS["pooling"],
                     max_steps=None, scaling="training", noise=0.0):
    """The article's LSTM or bidirectional LSTM, uncompiled; or ``model="no_memory"``, without its LSTM.
    ``mean``/``variance``: the training split's, kept by ``Standardize`` (``scaling="sequence"``: of
    ``EachSequenceScaled``'s features). ``pooling="max"`` pools the LSTM over the real steps: its last
    state has often forgotten the best evidence (docs/real-data.md). ``max_steps`` is only recorded."""
    import keras  # (here, not at the top: importing this module starts no backend)
    import numpy as np
    from keras import layers

    from bilstm_companion.own_data.layers import DataSchema, EachSequenceScaled, MaxOverSteps, Standardize

    n_features = len(features) * (3 if scaling == "sequence" else 1)
    mean = [0.0] * n_features if mean is None else list(mean)
    variance = [1.0] * n_features if variance is None else list(variance)
    inputs = keras.Input(shape=(None, len(features) + 1))
    x = DataSchema(features, classes, target, max_steps)(inputs)
    x = layers.Masking(mask_value=0.0)(x)
    x = EachSequenceScaled()(x) if scaling == "sequence" else x
    scale = Standardize(n_features + 1)
    x = scale(x)
    x = layers.GaussianNoise(noise)(x) if noise else x  # jitter, in training only
    scale.mean.assign(np.array([*mean, 0.0], np.float32))
    scale.variance.assign(np.array([*variance, 1.0], np.float32))
    if model == "no_memory":
        x = x if target == "step" else layers.GlobalAveragePooling1D()(x)  # masked: real steps only
    else:
        pooled = target == "sequence" and pooling == "max"
        lstm = layers.LSTM(units, return_sequences=target == "step" or pooled)
        x = layers.Bidirectional(lstm, merge_mode=merge_mode)(x) if model == "bilstm" else lstm(x)
        x = MaxOverSteps()(x) if pooled else x
    two = len(classes) == 2
    outputs = layers.Dense(1 if two else len(classes), activation="sigmoid" if two else "softmax")(x)
    return keras.Model(inputs, outputs, name=f"{model}_{target}")


def average_of(members):
    """One model averaging the trained ``members``' outputs (an ensemble's probabilities), compiled as they are."""
    import keras

    inputs = keras.Input(shape=members[0].input_shape[1:])
    for index, member in enumerate(members, start=1):
        member.name = f"{member.name}_{index}"  # (a model's layers have names of their own)
    average = keras.Model(inputs, keras.layers.Average()([member(inputs) for member in members]),
                          name=f"average_of_{len(members)}")
    average.compile_from_config(members[0].get_compile_config())
    return average
