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

From Python, ``SequenceClassifier`` is the same training as a scikit-learn classifier, and
``compare_classifiers`` the same paired comparison on any classifiers (docs/python.md).

Usage:
    python classify_sequences.py --write-example data.csv
    python classify_sequences.py data.csv
    python classify_sequences.py data.csv --model lstm,bilstm --folds 5
    python classify_sequences.py --write-example new.csv --seed 2
    python classify_sequences.py new.csv --predict results/classify_sequences.keras
    python classify_sequences.py train.csv --target sequence --test test.csv
"""

from bilstm_companion import cli
from bilstm_companion.own_data import command, parameters
from bilstm_companion.own_data.network import MODELS, build_classifier  # noqa: F401  (the model, as the other scripts have theirs)

NAME = "classify_sequences"


def __getattr__(name):
    """``from classify_sequences import SequenceClassifier``: the package's Python face
    (``bilstm_companion.PUBLIC``), imported when first asked for, so that --help and a mistake in
    the options are answered before NumPy, pandas or Keras load."""
    import bilstm_companion

    return getattr(bilstm_companion, name)


# The command line -----------------------------------------------------------------------------

def main(argv=None):
    parser = command.make_parser(__doc__, MODELS)
    args = command.parse(parser, argv)
    kind, merge_mode = MODELS[args.model[0]]
    model = f"LSTM({args.units})" if kind == "lstm" else f"Bidirectional LSTM({args.units}, {merge_mode})"
    members = parameters.ensemble_for(args.target, args.ensemble)
    title = f"{model} on {args.data and args.data.name}, a label per {args.target}" + (
        f", {members} networks averaged" if members > 1 else "")
    return command.run(parser, args, NAME, MODELS, title)


if __name__ == "__main__":
    cli.run(main)
