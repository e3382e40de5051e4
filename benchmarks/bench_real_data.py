"""Do ``classify_sequences.py``'s defaults hold on real sequences that no one here made?

Five sets of the UCR time-series classification archive, each with its official TRAIN and
TEST file, come from sktime's wheel on PyPI (``harness/own_data/ucr.py`` downloads it once with pip,
and writes the long CSVs the script reads). For each set this runs the script as a reader
would, at its defaults, training on TRAIN and scoring the official TEST file:

    python classify_sequences.py NAME_TRAIN.csv --target sequence --test NAME_TEST.csv

then prints one row per set: the model's accuracy on TEST with its 95% interval, as the
script printed it (with ``-- --folds K``, over the K folds' models: their training and
TEST's sequences, both counted), each baseline's, the archive's
published 1-NN Euclidean and 1-NN DTW accuracies (the DTW one with the full warping window,
the archive's "DTW (w=100)"), which ``nearest_neighbour`` and ``nearest_neighbour_dtw``
rebuild, the time the whole run took, and the time of the DTW baseline alone (timed here
once more, on the whole TRAIN against TEST). Every run asks for the DTW baseline (``--dtw``);
``-- --no-dtw`` leaves it out. Options after ``--`` go to every run of the script.

Usage:
    python benchmarks/bench_real_data.py
    python benchmarks/bench_real_data.py --sets GunPoint,ItalyPowerDemand
    python benchmarks/bench_real_data.py -- --model lstm,bilstm --folds 5
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

import pandas as pd

import classify_sequences
from harness.own_data import baselines, command, data_files, ucr

BASELINES = ("no_memory", "majority", "nearest_neighbour", "nearest_neighbour_dtw")
WIDTH = 23  # characters a column


def set_list(text):
    """argparse type: comma-separated names of the sets in ``ucr.PUBLISHED``."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in ucr.PUBLISHED]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown set {unknown[0] if unknown else text!r}; choose from "
                                         f"{', '.join(ucr.PUBLISHED)}")
    return names


def run_set(name, paths, output_dir, extra):
    """Run the script on one set; return its folds table, what it printed, and the wall time
    in seconds."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "classify_sequences.py"),
                           *script_arguments(name, paths, extra), "--quiet", "--output-dir", str(output_dir / name)],
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


def script_arguments(name, paths, extra):
    """The command line of one set's run: TRAIN, scored on TEST, with the DTW baseline."""
    return [str(paths[name, "TRAIN"]), "--target", "sequence", "--test", str(paths[name, "TEST"]), "--dtw", *extra]


def dtw_seconds(name, paths, extra):
    """The time of the DTW baseline alone, on the sequences the script reads (TRAIN against
    TEST, each resampled as ``--max-steps`` says), or None where the run leaves it out."""
    args = command.parse(command.make_parser(classify_sequences.__doc__, classify_sequences.MODELS),
                         script_arguments(name, paths, extra))
    if not args.dtw:
        return None
    training, test, _ = data_files.read_data(args)
    start = time.perf_counter()
    baselines.nearest_neighbour_dtw(training, test)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0],
                                     epilog="Options after -- go to classify_sequences.py.")
    parser.add_argument("--sets", type=set_list, default=list(ucr.PUBLISHED), metavar="LIST",
                        help=f"comma-separated sets (default: {','.join(ucr.PUBLISHED)})")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data" / "ucr", metavar="DIR",
                        help="where the CSVs are written, and kept for the next run (default: data/ucr)")
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)

    paths = ucr.fetch_sets(args.sets, args.data_dir)
    print(f"# {date.today()}, {platform.machine()}, {platform.python_version()}, "
          f"classify_sequences.py {' '.join(extra) or 'at its defaults'}")
    header = f"{'set':<18}{'model':>24}" + "".join(f"{name:>{WIDTH}}" for name in BASELINES) + \
        f"{'1-NN ED (pub.)':>16}{'1-NN DTW (pub.)':>17}{'time':>8}{'DTW alone':>11}"
    print(header)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.sets:
            table, report, seconds = run_set(name, paths, Path(folder), extra)
            accuracy = table.groupby("model", sort=False)["accuracy"].mean()
            model = accuracy.index[0]
            published, euclidean = ucr.PUBLISHED[name]["dtw_full"], ucr.PUBLISHED[name]["ed"]
            dtw = dtw_seconds(name, paths, extra)
            print(f"{name:<18}{printed_accuracy(report, model):>24}"
                  + "".join(f"{accuracy.get(baseline, float('nan')):>{WIDTH}.3f}" for baseline in BASELINES)
                  + f"{euclidean:>16.3f}{published:>17.3f}{seconds:>7.0f}s"
                  + (f"{dtw:>10.1f}s" if dtw is not None else f"{'-':>11}"), flush=True)
            rows.append(accuracy[model] >= published)
    print(f"at or above the published 1-NN DTW accuracy: {sum(rows)} of {len(rows)} sets")
    print(f"published figures: {ucr.SOURCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
