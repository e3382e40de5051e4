"""How a network learns a reader's sequences, by default: ``classify_sequences.py``'s options and
``SequenceClassifier``'s parameters, named once (no imports: ``--help`` stays instant)."""

EPOCHS = 300  # at most: early stopping ends training once the validation loss stops improving
PATIENCE = 50
BATCH_SIZE = 32
MAX_STEPS = 128  # with a label per sequence, longer sequences are resampled to this many steps
LEARNING_RATE = 0.01
UNITS = 20
SEED = 1
POOLINGS = ("max", "last")
