"""The figures the scripts save: learning curves, comparisons, folds, confusion matrices.

Plots use Matplotlib's Agg backend unless a window is asked for (``--show``), and are saved
whole or not at all (``bilstm_companion/files.py``).
"""

import functools
import sys

import matplotlib
import numpy as np

from bilstm_companion.files import atomic_write
from bilstm_companion.stats import mean_ci, rolling_mean


def pyplot(show=False):
    """Matplotlib's pyplot, headless (Agg) unless a window is wanted."""
    if not show:
        matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def save_figure(fig, path, show=False):
    """Save ``fig`` as a PNG, then close it, or keep it open for ``show_figures``."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    if not show:
        pyplot().close(fig)
    return path


def show_figures(paths):
    """Open the figures kept open in windows (``--show``), after everything is saved."""
    plt = pyplot(show=True)
    if matplotlib.get_backend().lower() == "agg":
        where = ", ".join(map(str, paths))
        print(f"--show: no screen to open a window on; the plots are saved as {where}", file=sys.stderr)
    else:
        plt.show()
    plt.close("all")


@functools.cache
def _characters_drawn():
    """The characters the plots' font has a glyph for."""
    from matplotlib import font_manager, ft2font

    path = font_manager.findfont(font_manager.FontProperties(family=matplotlib.rcParams["font.family"]))
    return frozenset(ft2font.FT2Font(path).get_charmap())


def undrawable(text):
    """The characters of ``text`` that the font cannot draw (Matplotlib would draw a box and
    warn on stderr)."""
    return [character for character in str(text) if not character.isspace()
            and ord(character) not in _characters_drawn()]


def drawable(text):
    """``text`` with each character the font cannot draw as ``?``."""
    missing = set(undrawable(text))
    return "".join("?" if character in missing else character for character in str(text))


def class_labels(names):
    """How the class ``names`` stand in a plot: as they are, or, where the font cannot draw one
    of them, all as their numbers from 1, which the report explains (``numbered_classes``)."""
    names = [str(name) for name in names]
    return [str(number) for number in range(1, len(names) + 1)] if numbered_classes(names) else names


def numbered_classes(names):
    """Whether the plots show the classes ``names`` as numbers (a name the font cannot draw)."""
    return any(undrawable(name) for name in names)


def finished_runs(table):
    """The rows of ``table`` (repeats x epochs) with no missing epoch.

    After Ctrl-C the runs in training may be cut short; they are left out of a mean unless
    no run finished, in which case the longest runs keep the epochs they finished.
    """
    table = np.asarray(table, dtype=np.float64)
    finished = (~np.isnan(table)).sum(axis=1)
    if (finished == table.shape[1]).any():
        return table[finished == table.shape[1]]
    longest = finished.max()
    return table[finished == longest, :longest]


def _band(ax, curves, smooth, color, label=None):
    """Plot the mean of ``curves`` (repeats x epochs), smoothed, with a 95% band."""
    curves = finished_runs(curves)
    epochs = np.arange(1, curves.shape[1] + 1)
    smoothed = rolling_mean(curves, smooth)
    mean, low, high = mean_ci(smoothed)
    ax.plot(epochs, mean, color=color, linewidth=1.8, label=label)
    if len(curves) > 1:
        ax.fill_between(epochs, low, high, color=color, alpha=0.2, linewidth=0)


def _titled(title, partial):
    """A plot's title, marked when a stop left the run unfinished; with ``?`` for each
    character the font cannot draw (a file's name may have any)."""
    return drawable(f"{title}\n(partial: stopped early, before every run was finished)" if partial else title)


def plot_training(curves, path, *, title, smooth, partial=False, show=False):
    """The classifiers' plot: loss and accuracy against epoch, one panel each.

    ``curves`` is a DataFrame with columns ``repeat, epoch, loss, accuracy``. Faint lines
    show the raw per-epoch values (mean over repeats); bold lines their rolling mean,
    with a 95% band over repeats when there is more than one.
    """
    plt = pyplot(show)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, column, color in zip(axes, ("loss", "accuracy"), ("tab:blue", "tab:green")):
        table = finished_runs(curves.pivot(index="repeat", columns="epoch", values=column))
        repeats, n_epochs = table.shape
        ax.plot(np.arange(1, n_epochs + 1), table.mean(axis=0), color=color, alpha=0.25, linewidth=0.8,
                label="per epoch" if repeats == 1 else f"per epoch, mean of {repeats}")
        _band(ax, table, smooth, color, label=f"{smooth}-epoch rolling mean")
        ax.set_xlabel("epoch")
        ax.set_ylabel("log loss" if column == "loss" else "accuracy (share of timesteps)")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right" if column == "loss" else "lower right")
    axes[1].set_ylim(-0.02, 1.02)
    fig.suptitle(_titled(title, partial))
    fig.tight_layout()
    return save_figure(fig, path, show)


def plot_comparison(curves, path, *, title, smooth, partial=False, show=False):
    """The comparisons' plot: loss against epoch, one coloured line (and band) per model.

    ``curves`` is a DataFrame with columns ``model, repeat, epoch, loss``.
    """
    plt = pyplot(show)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for index, (name, group) in enumerate(curves.groupby("model", sort=False)):
        table = group.pivot(index="repeat", columns="epoch", values="loss").to_numpy()
        _band(ax, table, smooth, f"C{index}", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("log loss")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(_titled(title, partial), fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path, show)


def plot_sequences(X, y, probabilities, path, *, title, first="sequence 1"):
    """What each model sees: for each sequence of ``X, y`` (a column), its inputs and their
    running total crossing the threshold (a quarter of the length), then, for each model of
    ``probabilities`` (a row each, by name), the probability it gives each step beside the
    true label, with its mistakes marked. ``first`` titles the first column.

    ``X`` and ``y`` are shaped ``(sequences, timesteps, 1)``, as are the probabilities.
    """
    plt = pyplot()
    n_sequences, n_timesteps = X.shape[:2]
    names = list(probabilities)
    fig, axes = plt.subplots(1 + len(names), n_sequences, sharex=True, squeeze=False,
                             figsize=(3.1 * n_sequences + 0.8, 1.7 * (1 + len(names)) + 1.1))
    steps = np.arange(1, n_timesteps + 1)
    limit = n_timesteps / 4
    markers = n_timesteps <= 60  # a marker per step, where they can be told apart
    for column in range(n_sequences):
        values, label = X[column, :, 0], y[column, :, 0]
        crossing = np.flatnonzero(label == 1)
        ax = axes[0, column]
        ax.bar(steps, values, color="lightgrey", width=0.8, label="input")
        ax.plot(steps, np.cumsum(values), color="black", marker="." if markers else None, label="running total")
        ax.axhline(limit, color="tab:red", linestyle="--", linewidth=1, label=f"a quarter of the length ({limit:g})")
        ax.set_title(first if column == 0 else f"sequence {column + 1}", fontsize=9)
        for row, name in enumerate(names, start=1):
            ax = axes[row, column]
            probability = probabilities[name][column, :, 0]
            ax.fill_between(steps, 0, label, step="mid", color="tab:green", alpha=0.15, linewidth=0,
                            label="true label 1")
            ax.plot(steps, probability, color=f"C{row - 1}", marker="o" if markers else None, markersize=3,
                    label="probability of 1")
            wrong = (probability > 0.5) != (label == 1)
            ax.plot(steps[wrong], probability[wrong], "x", color="tab:red", markersize=7, markeredgewidth=2,
                    label="wrong")
            ax.axhline(0.5, color="grey", linewidth=0.6, linestyle=":")
            ax.set_ylim(-0.05, 1.05)
            if column == 0:
                ax.set_ylabel(name, fontsize=9)
        for ax in axes[:, column]:
            if len(crossing):  # where the label turns 1: mistakes gather near it
                ax.axvline(crossing[0] + 0.5, color="tab:red", alpha=0.25, linewidth=4)
            ax.grid(alpha=0.2)
    for ax in axes[-1]:
        ax.set_xlabel("step")
    axes[0, 0].set_ylabel("input, total", fontsize=9)
    handles = [handle for ax in (axes[0, 0], axes[1, 0]) for handle in ax.get_legend_handles_labels()[0]]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.suptitle(_titled(title, False), fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return save_figure(fig, path)


def plot_learning(history, confusion, path, *, title, partial=False, tested="test split"):
    """Training on real data: loss and accuracy per epoch for the training and validation
    splits, and the test split's confusion matrix, side by side.

    ``history`` has columns ``epoch, loss, accuracy, val_loss, val_accuracy`` (and ``member``, an
    ensemble's: a line each); ``confusion`` is a DataFrame of counts, labels down and predictions
    across, or None when there is nothing to count. Class names the font cannot draw stand as their
    numbers (``class_labels``).
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), gridspec_kw={"width_ratios": [1, 1, 0.8]})
    members = [history] if "member" not in history else [rows for _, rows in history.groupby("member")]
    shade = 1.0 if len(members) == 1 else 0.5
    for ax, column in zip(axes, ("loss", "accuracy")):
        for index, rows in enumerate(members):
            ax.plot(rows["epoch"], rows[column], color="tab:blue", alpha=shade, label="training" if not index else None)
            ax.plot(rows["epoch"], rows[f"val_{column}"], color="tab:orange", alpha=shade,
                    label="validation" if not index else None)
        ax.set_xlabel("epoch")
        ax.set_ylabel(column)
        ax.grid(alpha=0.3)
        ax.legend()
    for rows in members:
        axes[0].axvline(rows["epoch"].loc[rows["val_loss"].idxmin()], color="grey", linestyle=":", linewidth=1)
    axes[0].set_title("the model keeps the dotted epoch's weights" if len(members) == 1 else
                      f"each of its {len(members)} members keeps its dotted epoch's weights", fontsize=9)
    if confusion is None:
        axes[2].axis("off")
        axes[2].text(0.5, 0.5, "no training finished,\nso no predictions to count", ha="center", va="center")
    else:
        counts = confusion.to_numpy()
        axes[2].imshow(counts, cmap="Blues", vmin=0, vmax=max(counts.max(), 1))  # white is zero
        for (row, column), count in np.ndenumerate(counts):
            axes[2].text(column, row, f"{count}", ha="center", va="center",
                         color="white" if count > counts.max() / 2 else "black")
        names = class_labels(confusion.columns)
        axes[2].set_xticks(range(len(names)), names)
        axes[2].set_yticks(range(len(names)), names)
        axes[2].set_xlabel("predicted")
        axes[2].set_ylabel("label")
        axes[2].set_title(tested, fontsize=9)
    fig.suptitle(_titled(title, partial))
    fig.tight_layout()
    return save_figure(fig, path)


def plot_folds(table, summary, path, *, title, partial=False):
    """Accuracy by fold for each model of a cross-validated comparison, one column a model:
    a grey line joins the folds' points across models (the same sequences and seeds), and a
    bar shows each model's mean with its 95% interval.

    ``table`` has columns ``model, fold, accuracy``; ``summary`` one row per model, in the
    order to plot, with ``accuracy, low, high`` (``scoring.summarise``).
    """
    plt = pyplot()
    models = list(summary["model"])
    fig, ax = plt.subplots(figsize=(1.6 * len(models) + 2.5, 4.5))
    table = table[table["model"].isin(models)]
    by_fold = table.pivot(index="fold", columns="model", values="accuracy").reindex(columns=models)
    positions = np.arange(len(models))
    for _, accuracies in by_fold.iterrows():
        ax.plot(positions, accuracies.to_numpy(), color="grey", alpha=0.5, linewidth=0.8, marker="o",
                markersize=3)
    low = (summary["accuracy"] - summary["low"]).fillna(0).to_numpy()
    high = (summary["high"] - summary["accuracy"]).fillna(0).to_numpy()
    # Beside the folds' points, not on them, so that both stay visible.
    ax.errorbar(positions + 0.12, summary["accuracy"], yerr=[low, high], fmt="D", color="tab:red", capsize=6,
                markersize=6, label="mean and 95% interval", zorder=3)
    ax.set_xticks(positions, models, rotation=20 if len(models) > 4 else 0)
    ax.set_ylabel("accuracy")
    ax.set_ylim(min(0.0, float(np.nanmin(by_fold.to_numpy())) - 0.02), 1.02)
    ax.grid(axis="y", alpha=0.3)
    n_folds = len(by_fold)
    ax.plot([], [], color="grey", marker="o", markersize=3, label="one fold" if n_folds > 1 else "the test split")
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title(_titled(title, partial), fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
