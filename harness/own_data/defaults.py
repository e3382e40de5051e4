"""How a network learns a reader's sequences, by default: ``classify_sequences.py``'s options and
``SequenceClassifier``'s parameters, named once (no imports: ``--help`` stays instant)."""

EPOCHS = 300  # at most: early stopping ends training once the validation loss stops improving
PATIENCE = 50
BATCH_SIZE = 32  # at most: a small training set gets smaller batches (batch_size_for, below)
UPDATES_PER_EPOCH = 8  # at least, where batches of fewer sequences can give them
MAX_STEPS = 128  # with a label per sequence, longer sequences are resampled to this many steps
LEARNING_RATE = 0.01
UNITS = 20
SEED = 1
POOLINGS = ("max", "last")
SCALINGS = ("training", "sequence")  # default: "sequence" with a label per sequence, else "training"


def batch_size_for(n_training, batch_size=None):
    """``batch_size``, or where it is None, the default for ``n_training`` training sequences:
    ``BATCH_SIZE``, or fewer, so that an epoch makes at least ``UPDATES_PER_EPOCH`` updates.
    On a small set, batches of 32 make one or two updates an epoch, and early stopping's
    patience runs out before the model has learned (docs/real-data.md)."""
    if batch_size is not None:
        return batch_size
    return max(1, min(BATCH_SIZE, n_training // UPDATES_PER_EPOCH))
