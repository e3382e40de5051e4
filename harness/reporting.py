"""Writing results: CSV files, plots and printed tables, never half-written.

Every file goes to a temporary name in the output folder first and is renamed into
place only once complete, so an interrupted or failed run leaves either the old file or
the new one, never a torn one. A run killed outright (``kill -9``) cannot remove its
temporary file; the next run that writes into that folder does. Plots use Matplotlib's Agg
backend unless a window is asked for.
"""

import math
import os
import re
import sys
from pathlib import Path

import matplotlib
import numpy as np

from harness.stats import mean_ci, rolling_mean, verdict


def temporary_name(path):
    """A hidden name beside ``path`` to write to first: ``.NAME.PID.tmp.SUFFIX``, kept within
    the 255 bytes a file name may have by shortening NAME."""
    tail = f".{os.getpid()}.tmp{path.suffix}"
    room = 255 - 1 - len(tail.encode())
    stem = path.stem.encode()[:room].decode(errors="ignore")
    return path.with_name(f".{stem}{tail}")


TEMPORARY_NAME = re.compile(r"\..+\.(?P<pid>[0-9]+)\.tmp(\.[^.]*)?")  # what temporary_name gives


def process_gone(pid):
    """Whether no process ``pid`` runs here; False wherever that cannot be told for sure."""
    if os.name != "posix" or pid == os.getpid():
        return False  # (on Windows, signal 0 would be Ctrl-C, not a question)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):  # another user's process, or no process number at all
        pass
    return False


def remove_stale_temporaries(folder):
    """Remove the temporary files that runs killed while writing left in ``folder``: files
    named as ``temporary_name`` names them, whose process is gone. Nothing else is touched."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = TEMPORARY_NAME.fullmatch(entry.name)
        try:
            if match and entry.is_file(follow_symlinks=False) and process_gone(int(match["pid"])):
                os.unlink(entry.path)
        except OSError:  # gone already, or not ours to remove: it stays as it was
            pass


def atomic_write(path, write):
    """Call ``write(temporary_path)``, then rename the temporary file to ``path``.

    The folder is created if missing, and cleared of the temporary files of runs killed
    while writing. Whatever stops the writing (an error, a second Ctrl-C), the temporary
    file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    temporary = temporary_name(path)
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def save_csv(frame, path):
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


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
    return f"{title}\n(partial: stopped early, before every run was finished)" if partial else title


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


def plot_learning(history, confusion, path, *, title, partial=False, tested="test split"):
    """Training on real data: loss and accuracy per epoch for the training and validation
    splits, and the test split's confusion matrix, side by side.

    ``history`` has columns ``epoch, loss, accuracy, val_loss, val_accuracy``; ``confusion``
    is a DataFrame of counts, labels down and predictions across.
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), gridspec_kw={"width_ratios": [1, 1, 0.8]})
    for ax, column in zip(axes, ("loss", "accuracy")):
        ax.plot(history["epoch"], history[column], color="tab:blue", label="training")
        ax.plot(history["epoch"], history[f"val_{column}"], color="tab:orange", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(column)
        ax.grid(alpha=0.3)
        ax.legend()
    best = int(history["val_loss"].idxmin())
    axes[0].axvline(history["epoch"].iloc[best], color="grey", linestyle=":", linewidth=1)
    axes[0].set_title("the model keeps the dotted epoch's weights", fontsize=9)
    counts = confusion.to_numpy()
    axes[2].imshow(counts, cmap="Blues")
    for (row, column), count in np.ndenumerate(counts):
        axes[2].text(column, row, f"{count}", ha="center", va="center",
                     color="white" if count > counts.max() / 2 else "black")
    names = [str(name) for name in confusion.columns]
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
    order to plot, with ``accuracy, low, high`` (``cross_validation.summarise``).
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


def format_interval(mean, low, high, digits=3, sign=False):
    """``0.331 ± 0.030`` (mean and 95% half-width), or just the mean with no interval."""
    if math.isnan(mean):
        return "-"
    text = f"{mean:+.{digits}f}" if sign else f"{mean:.{digits}f}"
    if math.isnan(low):
        return text
    return f"{text} ± {(high - low) / 2:.{digits}f}"


def summary_table(summary, *, last, smooth, threshold):
    """The comparison summary as aligned text, one row per model."""
    first = summary["model"].iloc[0]
    headers = [
        "model", "mean loss", f"last {last} loss", f"epochs to loss<{threshold:g}",
        "timestep acc", "sequence acc", f"mean loss vs {first}",
    ]
    rows = []
    for index, row in summary.iterrows():
        cells = [row["model"]]
        for name in ("mean_loss", "last_loss", "epochs_to_threshold",
                     "timestep_accuracy", "sequence_accuracy"):
            digits = 0 if name == "epochs_to_threshold" else 3
            cells.append(format_interval(row[name], row[f"{name}_low"], row[f"{name}_high"], digits))
        cells[3] += f" ({row['reached']}/{row['repeats']})"
        if index == 0:
            cells.append("(reference)")
        else:
            low, high = row["diff_mean_loss_low"], row["diff_mean_loss_high"]
            diff = format_interval(row["diff_mean_loss"], low, high, sign=True)
            cells.append(f"{diff} {verdict(low, high)}")
        rows.append(cells)
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [headers, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
