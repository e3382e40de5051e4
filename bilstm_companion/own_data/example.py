"""An example to start from: the article's problem as a CSV of sequences of many lengths."""

import numpy as np
import pandas as pd

from bilstm_companion import files
from sequence import get_sequences, label


def example_frame(n_sequences=600, lengths=(5, 30), seed=1):
    """The article's problem as a long table ``id,step,x,noise,label``, each sequence of its own
    length drawn from ``lengths``; ``noise`` is a distractor that has nothing to do with the label."""
    rng = np.random.default_rng(seed)
    n_steps = rng.integers(lengths[0], lengths[1] + 1, size=n_sequences)
    x, labels = [None] * n_sequences, [None] * n_sequences
    for length in np.unique(n_steps):
        chosen = np.flatnonzero(n_steps == length)
        X = get_sequences(len(chosen), int(length), rng)[0].round(6)  # as the CSV writes it, and labelled so
        for index, values, steps_labels in zip(chosen, X[..., 0], label(X, int(length))[..., 0]):
            x[index], labels[index] = values, steps_labels
    return pd.DataFrame({
        "id": np.repeat(np.arange(1, n_sequences + 1), n_steps),
        "step": np.concatenate([np.arange(1, length + 1) for length in n_steps]),
        "x": np.concatenate(x),
        "noise": rng.normal(size=int(n_steps.sum())).round(6),
        "label": np.concatenate(labels),
    })


def write_example(path, seed):
    """Write the example CSV to start from, drawn under ``seed``; return the exit status."""
    frame = example_frame(seed=seed)
    files.save_csv(frame, path)
    print(f"Wrote {frame['id'].nunique()} sequences of 5 to 30 steps ({len(frame)} rows) to {path}")
    print(f"Next: python classify_sequences.py {path}")
    return 0
