"""Choose classify_sequences.py's defaults on TRAIN alone, across the whole panel of public sets.

Each candidate recipe (a set of SequenceClassifier parameters) is cross-validated on every panel
set's TRAIN file (stratified folds: 3, or as many as the rarest class allows), never reading
TEST; every candidate sees the same folds from the same seed, so the comparison is paired.
Prints (and appends to --out) one row per candidate and set: the accuracy over TRAIN's
held-out folds and the seconds it took; then a table of candidates by sets with each
candidate's mean rank (1 is best).

Usage:
    python benchmarks/choose_defaults.py --candidates defaults,units_64 --out results/defaults.csv
    python benchmarks/choose_defaults.py --table docs/choose_defaults.csv   # the table on docs/real-data.md
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd
import ucr

from bilstm_companion import options

# Each candidate: what it changes from the recipe of 2026-12-05, one network (``BASE``). Those
# marked STUDY took code that was tried on a branch and not kept (docs/real-data.md says what each
# was); this script runs the others.
BASE = {"ensemble": 1}
CANDIDATES = {
    "defaults": {},
    "scaling_training": {"scaling": "training"},
    "batch_32": {"batch_size": 32},
    "units_64": {"units": 64},
    "lr_0.003": {"learning_rate": 0.003},
    "lr_0.03": {"learning_rate": 0.03},
    "patience_100_epochs_600": {"patience": 100, "epochs": 600},
    "patience_25": {"patience": 25},
    "jitter_0.05": {"noise": 0.05},
    "pooling_last": {"pooling": "last"},
    "max_steps_64": {"max_steps": 64},
    "max_steps_256": {"max_steps": 256},
    "lstm": {"model": "lstm"},
    "ensemble_3": {"ensemble": 3},
    "ensemble_5": {"ensemble": 5},
    "jitter_0.05_ensemble_5": {"noise": 0.05, "ensemble": 5},
    "units_64_jitter_0.05": {"units": 64, "noise": 0.05},
}
STUDY = ("scaling_shape", "layers_2", "warp_0.1", "pooling_attention", "ensemble_5_splits")


def run(candidates, sets, data_dir, out, seed, wanted_folds):
    from bilstm_companion import SequenceClassifier, compare_classifiers, read_csv

    paths = ucr.fetch_sets(sets, data_dir)
    for name in candidates:
        for dataset in sets:
            X, y = read_csv(paths[dataset, "TRAIN"], target="sequence")
            folds = max(2, ucr.stratified_folds(y, wanted_folds))  # (PigCVP: 2)
            start = time.perf_counter()
            summary = compare_classifiers({name: SequenceClassifier(target="sequence", random_state=seed,
                                                                    **{**BASE, **CANDIDATES[name]})},
                                          X, y, folds=folds, random_state=seed)
            row = pd.DataFrame([{"candidate": name, "set": dataset, "folds": folds, "seed": seed,
                                 "accuracy": round(float(summary["accuracy"].iloc[0]), 6),
                                 "seconds": round(time.perf_counter() - start, 1)}])
            print(row.to_string(header=False, index=False), flush=True)
            row.to_csv(out, mode="a", header=not Path(out).exists(), index=False)


def table(path):
    """Candidates by sets, with each candidate's mean rank over the sets (1: the best)."""
    results = pd.read_csv(path).drop_duplicates(["candidate", "set", "seed"], keep="last")
    wide = results.pivot_table(index="candidate", columns="set", values="accuracy")
    complete = wide.dropna()
    ranks = complete.rank(ascending=False, method="average")
    complete = complete.assign(mean_rank=ranks.mean(axis=1), mean=complete.mean(axis=1)).sort_values("mean_rank")
    return complete.round(3)


def main(argv=None):
    parser = options.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--candidates", default=",".join(CANDIDATES), help="comma-separated (default: all)")
    parser.add_argument("--sets", default=",".join(ucr.PANEL), help="comma-separated (default: the panel)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data" / "ucr")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "choose_defaults.csv")
    parser.add_argument("--seed", type=options.seed, default=1, help="the folds' and the trainings' seed (default: 1)")
    parser.add_argument("--folds", type=options.positive_int, default=3,
                        help="inner folds of each TRAIN, or as many as its rarest class allows, at least 2 (default: 3)")
    parser.add_argument("--table", type=Path, help="only print the table of a CSV this wrote")
    args = parser.parse_args(argv)
    if args.table:
        print(table(args.table).to_string())
        return 0
    unknown = [name for name in args.candidates.split(",") if name not in CANDIDATES]
    if unknown and unknown[0] in STUDY:
        parser.error(f"{unknown[0]} took code that was not kept (docs/real-data.md); choose from {', '.join(CANDIDATES)}")
    if unknown:
        parser.error(f"unknown candidate {unknown[0]}; choose from {', '.join(CANDIDATES)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    run(args.candidates.split(","), args.sets.split(","), args.data_dir, args.out, args.seed, args.folds)
    print(table(args.out).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
