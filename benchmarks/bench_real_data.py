"""Do ``classify_sequences.py``'s defaults hold on real sequences that no one here made?

Five sets of the UCR time-series classification archive, each with its official TRAIN and
TEST file, come from sktime's wheel on PyPI (``harness/own_data/ucr.py`` downloads it once with pip,
and writes the long CSVs the script reads). For each set this runs the script as a reader
would, at its defaults, training on TRAIN and scoring the official TEST file:

    python classify_sequences.py NAME_TRAIN.csv --target sequence --test NAME_TEST.csv

then prints one row per set: the model's accuracy on TEST (with ``-- --folds K``, the
mean of the K folds' models and its 95% interval), each baseline's, the archive's
published 1-NN DTW accuracy (with the full warping window, the archive's "DTW (w=100)"),
beside its 1-NN Euclidean one (which ``nearest_neighbour`` should come close to), and the
time the run took. Options after ``--`` go to every run of the script.

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
import subprocess
import tempfile
import time
from datetime import date

import pandas as pd

from harness.own_data import ucr
from harness.stats import mean_ci

BASELINES = ("no_memory", "majority", "nearest_neighbour")


def set_list(text):
    """argparse type: comma-separated names of the sets in ``ucr.PUBLISHED``."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in ucr.PUBLISHED]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown set {unknown[0] if unknown else text!r}; choose from "
                                         f"{', '.join(ucr.PUBLISHED)}")
    return names


def run_set(name, paths, output_dir, extra):
    """Run the script on one set; return its folds table and the wall time in seconds."""
    command = [sys.executable, str(ROOT / "classify_sequences.py"), str(paths[name, "TRAIN"]),
               "--target", "sequence", "--test", str(paths[name, "TEST"]), "--quiet",
               "--output-dir", str(output_dir / name), *extra]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{name}: classify_sequences.py failed ({done.returncode}): {done.stderr.strip()}")
    return pd.read_csv(output_dir / name / "classify_sequences_folds.csv"), seconds


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
    header = f"{'set':<18}{'model':>13}" + "".join(f"{name:>19}" for name in BASELINES) + \
        f"{'1-NN ED (pub.)':>16}{'1-NN DTW (pub.)':>17}{'time':>8}"
    print(header)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.sets:
            table, seconds = run_set(name, paths, Path(folder), extra)
            accuracy = table.groupby("model", sort=False)["accuracy"].mean()
            model = accuracy.index[0]
            published, euclidean = ucr.PUBLISHED[name]["dtw_full"], ucr.PUBLISHED[name]["ed"]
            by_fold = table.loc[table["model"] == model, "accuracy"]
            spread = f" ± {(mean_ci(by_fold)[2] - mean_ci(by_fold)[1]) / 2:.3f}" if len(by_fold) > 1 else ""
            print(f"{name:<18}{f'{accuracy[model]:.3f}{spread}':>13}"
                  + "".join(f"{accuracy.get(baseline, float('nan')):>19.3f}" for baseline in BASELINES)
                  + f"{euclidean:>16.3f}{published:>17.3f}{seconds:>7.0f}s", flush=True)
            rows.append(accuracy[model] >= published)
    print(f"at or above the published 1-NN DTW accuracy: {sum(rows)} of {len(rows)} sets")
    print(f"published figures: {ucr.SOURCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
