"""The article's numbers, named once: every article script's defaults and summary settings."""

CLASSIFIER_EPOCHS = 1000  # The article trains each classifier for 1,000 epochs,
COMPARISON_EPOCHS = 250  # and each model of a comparison for 250.
COMPARISON_REPEATS = 5  # The article shows one run; a comparison repeats each model, paired.
CLASSIFIER_SMOOTH = 50  # Rolling-mean windows for the plots of the noisy per-epoch values.
COMPARISON_SMOOTH = 10
THRESHOLD = 0.3  # "Epochs to threshold" counts epochs until the smoothed loss is below this.
LAST = 50  # A comparison's "late" loss is the mean over this many final epochs.
MERGE_MODES = ("sum", "mul", "ave", "concat")  # how a bidirectional LSTM joins its two halves
