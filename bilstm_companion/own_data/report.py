"""What ``classify_sequences.py`` prints and tables: the data, the comparison in words, the predictions."""

import numpy as np
import pandas as pd

from bilstm_companion.stats import format_interval, verdict


def describe_data(data, folds, test_file):
    """What the run trains on and how it is split, in a sentence."""
    lengths, n_features = data.lengths, len(data.features)
    text = (f"{len(data)} sequences of {lengths.min()} to {lengths.max()} steps, {n_features} "
            f"feature{'s' if n_features > 1 else ''} ({', '.join(data.features)}), classes "
            f"{', '.join(map(repr, data.classes))}; ")
    first = folds[0]
    if len(folds) == 1:
        text += f"{len(first.training)} to train on, {len(first.validation)} to validate"
        tested = len(first.test) if test_file is None else f"the {len(test_file)} of the test file"
        return text + f", {tested} to test"
    sizes = sorted({len(fold.validation if test_file is not None else fold.test) for fold in folds})
    repeats = folds[-1].repeat
    text += f"{len(folds) // repeats} folds of {' or '.join(map(str, sizes))} sequences"
    if repeats > 1:
        text += f", dealt {repeats} times ({len(folds)} trainings of each model)"
    if data.y.ndim == 1:
        text += ", stratified by class"
    if test_file is None:
        return text + "; each fold is the test part once, and a share of the rest validates"
    return text + f"; each fold validates once, and every fold's model is scored on the {len(test_file)} " \
                  "sequences of the test file"


def predictions_table(data, predicted, probability):
    """One row per real step (or per sequence): ``id, step, label, predicted, probability``."""
    classes = np.asarray(data.classes, dtype=object)
    if predicted.ndim == 2:  # per step
        mask = data.mask
        ids, steps = data.ids[np.nonzero(mask)[0]], data.steps[mask]
        steps = pd.array(steps, dtype="Int64") if np.all(steps == np.round(steps)) else steps
        labels = classes[data.y[mask]] if data.y is not None else None
        predicted, probability = predicted[mask], probability[mask]
    else:
        ids, steps = data.ids, pd.array([None] * len(data), dtype="Int64")
        labels = classes[data.y] if data.y is not None else None
    return pd.DataFrame({"id": ids, "step": steps, "label": labels, "predicted": classes[predicted],
                         "probability": np.round(probability.astype(np.float64), 6)})


def confusion_counts(per_step, n_fits, repeats, scored_on_file):
    """What each count of the confusion matrix is, in words."""
    unit = "timestep" if per_step else "sequence"
    if n_fits == 1:
        return f"each test {unit} once"
    if scored_on_file:
        return f"each {unit} of the test file once for each of the {n_fits} fold models"
    if repeats > 1:
        return f"each {unit} once in each of the {repeats} dealings, by the fold model that held it out"
    return f"each {unit} once, by the fold model that held it out"


ONCE = "as trained in this run, "  # a verdict of one training: about these trained models


def trained_once(summary):
    """Whether the comparison in ``summary`` rests on one training of each model."""
    return int(summary["folds"].iloc[0]) == 1


def more_accurate(name, reference, low, high, once=False):
    """A paired difference ``name - reference`` in words; ``once``: each model trained once, so they speak of
    these trained models (another training can move a result by more than the interval)."""
    trained = ONCE if once else ""
    return verdict(low, high, above=f"{trained}{name} is more accurate on this data",
                   below=f"{trained}{reference} is more accurate on this data")


def baseline_sentences(summary, networks, once=False):
    """A sentence for each baseline (every model not among ``networks``, the reference apart) the first
    model does not beat, or one saying it beats them all; none where there is no baseline."""
    reference = summary["model"].iloc[0]
    rows = [row for row in summary.itertuples() if row.model not in networks and row.model != reference]
    if not rows:
        return []
    lines = []
    for row in rows:
        if row.difference_low > 0:
            lines.append(f"The baseline {row.model} is more accurate than {reference} on this data: "
                         f"{reference}, as trained here, does worse than {row.model}.")
        elif not row.difference_high < 0:
            lines.append(f"{reference} is not shown to beat the baseline {row.model} on this data.")
    trained = ONCE.capitalize() if once else ""
    return lines or [f"{trained}{reference} beats every baseline on this data."]


def report(summary, networks, per_step, scored_on, partial=False, again="--folds 5"):
    """The printed comparison: a line per model with its paired difference from the first and the
    verdict, then the baselines. ``again``: the option that trains each model several times."""
    reference = summary["model"].iloc[0]
    once = trained_once(summary)
    unit = "share of timesteps" if per_step else "share of sequences"
    lines = [(f"\nAccuracy on the {scored_on} ({unit}){', partial' if partial else ''}; "
             f"{summary['counts'].iloc[0]}:")]
    rows = [("model", "accuracy", f"minus {reference}, paired")]
    for row in summary.itertuples():
        accuracy = format_interval(row.accuracy, row.low, row.high)
        if row.model == reference:
            rows.append((row.model, accuracy, "(reference)"))
            continue
        difference = format_interval(row.difference, row.difference_low, row.difference_high, sign=True)
        words = more_accurate(row.model, reference, row.difference_low, row.difference_high, once)
        rows.append((row.model, accuracy, f"{difference}: {words}"))
    widths = [max(len(row[column]) for row in rows) for column in range(2)]
    lines += [f"  {name:<{widths[0]}}  {accuracy:<{widths[1]}}  {difference}" for name, accuracy, difference in rows]
    lines += ["", *baseline_sentences(summary, networks, once)]
    if once and not partial:  # (a stopped run says what it finished; it may have asked for folds)
        lines.append(f"These verdicts are about one training of each model; to ask about the models themselves, "
                     f"train each several times: {again}.")
    return "\n".join(lines)
