"""Every network parameter named once (default, accepted values, words) in ``TABLE``, which drives
``SequenceClassifier``'s ``__init__`` and checks, ``classify_sequences.py``'s options and docs/options.md
(tests/test_docs.py holds the page to it). A new parameter takes a row here and the code that uses it.

No heavy imports (Keras, NumPy): ``--help`` stays instant.
"""

import inspect
import numbers
from dataclasses import dataclass

from bilstm_companion import devices
from bilstm_companion.article.defaults import MERGE_MODES
from bilstm_companion.options import non_negative_float, non_negative_int, positive_float, positive_int
from bilstm_companion.own_data import TARGETS

NETWORKS = ("lstm", "bilstm", "no_memory")  # no_memory: the network without its LSTM, a baseline
POOLINGS = ("max", "last")
SCALINGS = ("training", "sequence")
UPDATES_PER_EPOCH = 8  # at least, where batches of fewer sequences can give them


@dataclass(frozen=True)
class Parameter:
    """A row: ``rule`` a key of ``RULES``; ``help`` its ``--help`` line, ``meaning`` its docs/options.md text
    (each before the default; ``default_text`` where it needs words); ``option``: a command-line flag too."""

    name: str
    default: object
    rule: str
    help: str = ""
    meaning: str = ""
    choices: tuple = ()
    default_text: str | None = None
    option: bool = True
    metavar: str = "N"

    @property
    def flag(self):
        return "--" + self.name.replace("_", "-")

    @property
    def stated_default(self):
        return self.default_text or str(self.default)


def whole(value, least):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= least


# What each rule accepts from Python, what it says otherwise, and the type its option reads.
RULES = {
    "whole": (lambda value, choices: whole(value, 1), "a whole number of at least 1", positive_int),
    "whole or zero": (lambda value, choices: whole(value, 0), "a whole number, 0 to keep every step",
                      non_negative_int),
    "positive": (lambda value, choices: isinstance(value, numbers.Real) and not isinstance(value, bool)
                 and 0 < value < float("inf"), "a positive number", positive_float),
    "non-negative": (lambda value, choices: isinstance(value, numbers.Real) and not isinstance(value, bool)
                     and 0 <= value < float("inf"), "a number, 0 or more", non_negative_float),
    "share": (lambda value, choices: isinstance(value, numbers.Real) and 0 < value < 1, "between 0 and 1", None),
    "choice": (lambda value, choices: value in choices, None, None),
    "devices": (lambda value, choices: value == devices.ALL or whole(value, 1),
                "a whole number of at least 1, or 'all'", devices.device_count),
    "any": (lambda value, choices: True, None, None),
}

TABLE = (
    Parameter("model", "bilstm", "choice", choices=NETWORKS, option=False,
              meaning="the article's LSTM, bidirectional LSTM, or the network without its LSTM (a baseline)"),
    Parameter("units", 20, "whole", "memory units in each LSTM", "memory units in each LSTM"),
    Parameter("merge_mode", "concat", "choice", choices=MERGE_MODES, option=False,
              meaning="how a bidirectional LSTM merges its two directions"),
    Parameter("pooling", "max", "choice",
              "with a label per sequence, what the Dense layer sees: each LSTM output's largest value over the real "
              "steps, or the LSTM's last state as in the article",
              "a label per sequence: each LSTM output's largest value over the real steps, or the last state",
              choices=POOLINGS),
    Parameter("scaling", None, "choice",
              "how the features are scaled: by the training sequences' mean and spread, or each sequence by its own, "
              "with its level and size kept as features beside it",
              "each feature scaled by the training sequences' mean and spread, or each sequence by its own with its "
              "level and size kept as features", choices=SCALINGS,
              default_text="sequence with a label per sequence, training with a label per step"),
    Parameter("target", None, "choice", choices=TARGETS, option=False,
              meaning="a label per timestep, as in the article (y one array per sequence), or one per sequence",
              default_text="taken from y: one label per sequence, or one array of labels per sequence"),
    Parameter("max_steps", 128, "whole or zero",
              "with a label per sequence, resample any sequence longer than N steps to N; the saved model does the "
              "same to new data; 0 keeps every step",
              "a label per sequence: resample longer sequences to N steps (0: keep every step)"),
    Parameter("epochs", 300, "whole", "epochs at most; early stopping may end sooner", "epochs at most"),
    Parameter("patience", 50, "whole", "stop after this many epochs without a lower validation loss",
              "stop after N epochs without a lower validation loss"),
    Parameter("batch_size", None, "whole", "sequences per update", "sequences per update",
              default_text=f"32, or fewer on a small training set, so that an epoch makes at least "
                           f"{UPDATES_PER_EPOCH} updates"),
    Parameter("learning_rate", 0.01, "positive",
              "Adam's learning rate to start from; it halves whenever the validation loss has not improved for a "
              "third of --patience",
              "Adam's starting rate; it halves when the validation loss has not improved for a third of "
              "`--patience`", metavar="R"),
    Parameter("ensemble", None, "whole",
              "train K networks from K seeds (other first weights, other batches) and predict the mean of their "
              "probabilities; on JAX they train together in one compiled program",
              "K networks from K seeds, their probabilities averaged", metavar="K",
              default_text="5 with a label per sequence, 1 with a label per step"),
    Parameter("noise", 0.0, "non-negative",
              "jitter: Gaussian noise of this spread added to the scaled inputs in training (each feature and the "
              "marker of real steps), an augmentation of the training sequences (0: none)",
              "jitter: Gaussian noise of this spread on the scaled inputs, in training", metavar="S"),
    Parameter("validation_share", 0.15, "share", option=False,
              meaning="the share of the training sequences held back to stop early on, drawn from random_state"),
    Parameter("channels_first", False, "any", option=False,
              meaning="a 3-D X is (sequences, features, steps), as aeon has it"),
    Parameter("devices", 1, "devices",
              "train and predict over N devices (or all), each batch, or with --batch-folds the folds, shared out "
              "among them: the numbers of one device, to float32 rounding. JAX only; with "
              "KERAS_DISTRIBUTION_JOB_ADDRESSES, _NUM_PROCESSES and _PROCESS_ID set, several processes train as "
              "one, over all their devices (docs/performance.md, \"Several devices\")",
              "train and predict over N devices: each batch shared out among them, or with `--batch-folds` the "
              "folds; one device's numbers to float32 rounding (JAX only; [several devices and "
              "hosts](performance.md#several-devices-and-hosts))", metavar="N|all"),
    Parameter("random_state", 1, "any", option=False,
              meaning="draws the held-back share, the weights and the batches: the same seed, the same model "
                      "(None: a fresh one)"),
    Parameter("verbose", 0, "any", option=False, meaning="0: silent; 1: a progress bar; 2: one line per epoch"),
)
DEFAULTS = {parameter.name: parameter.default for parameter in TABLE}
BATCH_SIZE = 32  # at most: a small training set gets smaller batches (batch_size_for)


def batch_size_for(n_training, batch_size=None):
    """``batch_size``, or for None up to ``BATCH_SIZE`` giving an epoch ``UPDATES_PER_EPOCH`` updates or more:
    with one or two, early stopping's patience runs out before the model learns (docs/real-data.md)."""
    return batch_size or max(1, min(BATCH_SIZE, n_training // UPDATES_PER_EPOCH))


def scaling_for(target, scaling=None):
    """``scaling``, or where it is None, the target's default."""
    return scaling or ("sequence" if target == "sequence" else "training")


def ensemble_for(target, ensemble=None):
    """``ensemble``, or for None the target's: 5 per sequence, where one training on a small set is a lottery;
    1 per step, where trainings hardly differ (docs/real-data.md)."""
    return ensemble or (5 if target == "sequence" else 1)


def stores():
    """An ``__init__`` only storing ``TABLE``'s parameters (scikit-learn's contract), its signature theirs."""
    signature = inspect.Signature([
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        *(inspect.Parameter(parameter.name, inspect.Parameter.POSITIONAL_OR_KEYWORD if parameter.name == "model"
                            else inspect.Parameter.KEYWORD_ONLY, default=parameter.default) for parameter in TABLE)])

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    return __init__


def check(estimator):
    """``ValueError`` naming the first parameter of ``estimator`` whose value cannot be used."""
    for parameter in TABLE:
        value = getattr(estimator, parameter.name)
        accepts, wanted, _ = RULES[parameter.rule]
        if (value is None and parameter.default is None) or accepts(value, parameter.choices):
            continue
        wanted = wanted or f"one of {', '.join(map(str, parameter.choices))}"
        raise ValueError(f"{parameter.name} must be {wanted}, got {value!r}")


def add_options(group):
    """The table's options, each with its ``--help`` line and default."""
    for parameter in TABLE:
        if parameter.option:
            group.add_argument(parameter.flag, dest=parameter.name, default=parameter.default,
                               **({"choices": parameter.choices} if parameter.choices else
                                  {"type": RULES[parameter.rule][2], "metavar": parameter.metavar}),
                               help=f"{parameter.help} (default: {parameter.stated_default})".replace("%", "%%"))


def from_options(args):
    """The estimator's parameters that the command line's options set."""
    return {parameter.name: getattr(args, parameter.name) for parameter in TABLE if parameter.option}


def docs_rows():
    """docs/options.md's row of each option: ``| `--name N` | meaning | default |``."""
    rows = []
    for parameter in TABLE:
        if parameter.option:
            shown = f"{{{','.join(parameter.choices)}}}" if parameter.choices else parameter.metavar.replace("|", "\\|")
            rows.append(f"| `{parameter.flag} {shown}` | {parameter.meaning} | {parameter.stated_default} |")
    return rows


def numpydoc():
    """The Parameters section of ``SequenceClassifier``'s docstring, from the table."""
    lines = ["Parameters", "----------"]
    for parameter in TABLE:
        kind = f"{{{', '.join(repr(choice) for choice in parameter.choices)}}}" if parameter.choices else \
            type(parameter.default).__name__ if parameter.default is not None else "int"
        lines += [f"{parameter.name} : {kind}, default={parameter.default!r}",
                  f"    {parameter.meaning or parameter.help}"
                  + (f" (default: {parameter.default_text})" if parameter.default_text else "") + "."]
    return "\n".join(lines)

