"""Test the article's claims with repeated, paired runs, and write README.md's Findings.

Runs each experiment as its command would (the commands are printed in the table), reads
the CSV files the scripts write, and turns each claim into a paired difference with a 95%
confidence interval and a plain verdict. The numbers in the README come from here; none
are typed in by hand. The experiments run in this one process, calling each script's
``main`` with the command's arguments: the backend starts once instead of five times.

Usage:
    python docs/findings.py                        # 20 repeats; rewrites README.md's Findings
    python docs/findings.py --repeats 5 --no-write # a quick look, printed only
    KERAS_BACKEND=jax python docs/findings.py --no-write
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse
import contextlib
import importlib
import io
import logging
import tempfile

import pandas as pd

from bilstm_companion import cli, startup
from bilstm_companion.article.defaults import COMPARISON_SMOOTH as SMOOTH
from bilstm_companion.article.defaults import LAST, THRESHOLD
from bilstm_companion.files import atomic_write
from bilstm_companion.stats import epochs_to_threshold, format_interval, mean_ci, verdict
from bilstm_companion.stopping import STOP

START, END = "<!-- findings:start -->", "<!-- findings:end -->"


# Many models predict in this one process; TensorFlow would warn that it traced a predict
# function for each of them.
logging.getLogger("tensorflow").setLevel(logging.ERROR)


def run(command, output_dir):
    """Run one script as ``python COMMAND`` would; return the command as a reader types it."""
    script = importlib.import_module(Path(command[0]).stem)
    STOP.reset()  # each script starts afresh, as in a process of its own
    with contextlib.redirect_stdout(io.StringIO()):
        status = script.main([*command[1:], "--quiet", "--output-dir", str(output_dir)])
    if status != 0:  # a stop (130, 143) or a refusal: the Findings cannot be made
        print(f"findings.py: 'python {' '.join(command)}' ended with status {status}", file=sys.stderr)
        raise SystemExit(status)
    return "python " + " ".join(command)


def per_run(curves, model, measure):
    """One number per repeat for ``model``: 'mean', 'last' or 'epochs' (to the threshold, as
    every report here counts it: ``stats.epochs_to_threshold``)."""
    table = curves[curves["model"] == model].pivot(index="repeat", columns="epoch", values="loss")
    losses = table.to_numpy()
    if measure == "mean":
        return losses.mean(axis=1)
    if measure == "last":
        return losses[:, -LAST:].mean(axis=1)
    return epochs_to_threshold(losses, THRESHOLD, SMOOTH)[0]


def never_reached(curves, *models):
    """How the rows on epochs to the threshold say that some runs never got there."""
    counts = {model: int((per_run(curves, model, "epochs") > curves["epoch"].max()).sum()) for model in models}
    runs = curves["repeat"].nunique()
    missed = [f"{model} in {count} of {runs} runs" for model, count in counts.items() if count]
    return f" (where it never got there, counted as one epoch past the end: {', '.join(missed)})" if missed else ""


def lower(a, b, command, claim, what, digits=3):
    """A row for the claim 'a is lower than b', from paired runs."""
    mean, low, high = mean_ci(a - b)
    words = verdict(low, high, above="does not hold: the opposite", below="holds")
    return [claim, what, format_interval(mean, low, high, digits, sign=True), words, command]


def similar(a, b, command, claim, what, name, margin, quantity="loss"):
    """A row for the claim 'a and b are alike': it holds only where the paired difference's
    95% interval lies within ``margin`` either way (a difference that large ruled out), which
    the row names; an interval around 0 but wider is no evidence either way."""
    mean, low, high = mean_ci(a - b)
    words = verdict(low, high, margin=margin, alike=f"holds: alike, within ±{margin:g}",
                    above=f"does not hold: {name}'s {quantity} is higher",
                    below=f"does not hold: {name}'s {quantity} is lower",
                    unclear=f"not shown: no difference shown, but none within ±{margin:g} either")
    return [claim, f"{what} (alike: within ±{margin:g})", format_interval(mean, low, high, sign=True), words,
            command]


def held_out(folder, script):
    """Per-run held-out accuracy per timestep of ``lstm`` or ``bilstm``."""
    return pd.read_csv(folder / script / f"{script}_classify_heldout.csv")["timestep_accuracy"].to_numpy()


def accuracy_row(folder, script, command, claim):
    held_out = pd.read_csv(folder / f"{script}_heldout.csv")
    mean, low, high = mean_ci(held_out["timestep_accuracy"])
    whole = format_interval(*mean_ci(held_out["sequence_accuracy"]), digits=2)
    words = verdict(low - 0.9, high - 0.9, above="holds", below="does not hold: lower")
    return [claim, "held-out accuracy per timestep after 1000 epochs (and of whole sequences)",
            f"{format_interval(mean, low, high)} ({whole})", words, command]


def findings(repeats, seed, folder):
    """Run the experiments into ``folder`` and return the table rows."""
    common = ["--repeats", str(repeats), "--seed", str(seed)]
    commands = {
        "lstm": run(["lstm_classify.py", *common], folder / "lstm"),
        "bilstm": run(["bilstm_classify.py", *common], folder / "bilstm"),
        "directions": run(["compare_directions.py", *common], folder / "directions"),
        "article": run(["compare_directions.py", *common, "--article-backwards"], folder / "article"),
        "merge": run(["compare_merge_modes.py", *common], folder / "merge"),
    }
    directions = pd.read_csv(folder / "directions" / "compare_directions.csv")
    article = pd.read_csv(folder / "article" / "compare_directions.csv")
    merge = pd.read_csv(folder / "merge" / "compare_merge_modes.csv")
    d = lambda model, measure: per_run(directions, model, measure)
    m = lambda model, measure: per_run(merge, model, measure)
    rows = [
        accuracy_row(folder / "lstm", "lstm_classify", commands["lstm"],
                     "The LSTM classifier ends up around 90% to 100% accurate"),
        accuracy_row(folder / "bilstm", "bilstm_classify", commands["bilstm"],
                     "The bidirectional classifier does as well"),
        similar(held_out(folder, "bilstm"), held_out(folder, "lstm"),
                [commands["bilstm"], commands["lstm"]],
                "Judged by their skill at the end of training, the two classifiers look alike",
                "held-out accuracy per timestep, bidirectional − LSTM, same seeds",
                "the bidirectional LSTM", margin=0.01, quantity="accuracy"),
        lower(d("bilstm_con", "epochs"), d("lstm_forw", "epochs"), commands["directions"],
              "The bidirectional LSTM's loss goes down sooner than the forward LSTM's",
              f"epochs until the {SMOOTH}-epoch mean loss < {THRESHOLD}, bilstm_con − lstm_forw"
              f"{never_reached(directions, 'bilstm_con', 'lstm_forw')}",
              digits=0),
        lower(d("bilstm_con", "last"), d("lstm_forw", "last"), commands["directions"],
              "... and stays lower", f"mean loss of the last {LAST} epochs, bilstm_con − lstm_forw"),
        lower(d("bilstm_con", "mean"), d("lstm_back", "mean"), commands["directions"],
              "A bidirectional LSTM adds more than reading the input backwards",
              "mean loss over all epochs, bilstm_con − lstm_back"),
        similar(d("lstm_back", "mean"), d("lstm_forw", "mean"), commands["directions"],
                "Forward and backward LSTMs learn alike (backward aligned, this project's default)",
                "mean loss over all epochs, lstm_back − lstm_forw", "lstm_back", margin=0.01),
        similar(per_run(article, "lstm_back", "mean"), per_run(article, "lstm_forw", "mean"),
                commands["article"],
                "Forward and backward LSTMs learn alike (the article's unaligned backward LSTM)",
                "mean loss over all epochs, lstm_back − lstm_forw", "lstm_back", margin=0.01),
        lower(d("lstm_back", "mean"), per_run(article, "lstm_back", "mean"),
              [commands["directions"], commands["article"]],
              "(this project's question) Aligning the backward LSTM's outputs lowers its loss",
              "mean loss over all epochs, aligned − article's lstm_back, same seeds"),
    ]
    for better in ("sum", "con"):
        for worse in ("mul", "ave"):
            label = {"sum": "sum", "con": "concat", "mul": "mul", "ave": "ave"}
            rows.append(lower(
                m(f"bilstm_{better}", "mean"), m(f"bilstm_{worse}", "mean"), commands["merge"],
                f"Merge mode {label[better]} gives lower loss than {label[worse]}",
                f"mean loss over all epochs, bilstm_{better} − bilstm_{worse}"))
    return rows


def markdown(rows, repeats):
    lines = [
        (f"Each row is a paired comparison over {repeats} runs: in run r every model starts from "
         "the same seed and sees the same sequences, so the difference is measured run by run. "
         f"Each model is trained {repeats} times, and the intervals count how one training differs from "
         "the next, so a verdict speaks of the models, not of one training of each. The value is the mean difference ± the half-width of its 95% confidence interval. A claim "
         "that two models are alike holds only where that interval lies within the margin the row "
         "names: an interval that merely includes 0 shows no difference, not a likeness. "
         "Regenerate with `python docs/findings.py`."),
        "",
        "| The article says | Measured as | This project | Verdict | Command |",
        "|---|---|---|---|---|",
    ]
    for claim, what, value, words, commands in rows:
        commands = [commands] if isinstance(commands, str) else commands
        shown = " and ".join(f"`{command}`" for command in commands)
        lines.append(f"| {claim} | {what} | {value} | {words} | {shown} |")
    return "\n".join(lines)


def write_readme(text):
    readme = ROOT / "README.md"
    content = readme.read_text()
    before, _, rest = content.partition(START)
    _, _, after = rest.partition(END)
    new = f"{before}{START}\n{text}\n{END}{after}"
    atomic_write(readme, lambda tmp: tmp.write_text(new))


def main():
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="paired runs (default: 20)")
    parser.add_argument("--seed", type=int, default=1, help="seed of every run (default: 1)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave README.md alone")
    args = parser.parse_args()
    startup.start_backend("cpu")  # once, for every experiment in this process
    with tempfile.TemporaryDirectory() as folder:
        text = markdown(findings(args.repeats, args.seed, Path(folder)), args.repeats)
    print(text)
    if not args.no_write:
        write_readme(text)
        print("\nWrote the Findings section of README.md")
    return 0


if __name__ == "__main__":
    cli.run(main)
