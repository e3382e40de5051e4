"""Public sequences to check ``classify_sequences.py`` on: UCR archive sets as long CSVs.

The UCR Time Series Classification Archive gives each set an official TRAIN and TEST split
and a reference that every classifier is measured against: one nearest neighbour (1-NN)
with Euclidean distance or with dynamic time warping (DTW). sktime's wheel on PyPI ships a
few of these sets in its ``.ts`` format, so they come with an ordinary ``pip download``:

- ``read_ts`` parses a ``.ts`` file: one case per line, dimensions separated by ``:``,
  values by ``,``, the class label last; lengths may vary from case to case.
- ``to_long_frame`` writes cases the way ``classify_sequences.py`` reads them: one row
  per timestep, ``id,step,x,label`` (``x1,x2,...`` for several dimensions).
- ``fetch_sets`` downloads sktime once into a cache folder, takes out the sets asked for
  and writes ``<Name>_TRAIN.csv`` and ``<Name>_TEST.csv``.
- ``PUBLISHED`` holds the archive's 1-NN accuracies on the TEST split of each set here.

No Keras here: this module only reads and writes files.
"""

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from harness import files

SKTIME = "sktime"  # the package whose wheel carries the data (checked with sktime 1.2.0)
WHEEL_DATA = "sktime/datasets/data"  # where the sets sit inside the wheel
SPLITS = ("TRAIN", "TEST")

# The archive's 1-NN accuracies on the official TEST split: 1 minus the error rates of
# DataSummary.csv on the archive's page (https://www.cs.ucr.edu/~eamonn/time_series_data_2018/),
# columns "ED (w=0)", "DTW (learned_w)" and "DTW (w=100)". "dtw_learned" uses the warping
# window (in % of the length, "window") that leave-one-out on TRAIN chose; "dtw_full" lets
# the warping path go anywhere. Read from copies of the file in public repositories, which
# agree; the archive's page itself was not reachable from here.
SOURCE = ("H. A. Dau, E. Keogh, K. Kamgar et al., The UCR Time Series Classification Archive (2018), "
          "DataSummary.csv, columns ED (w=0), DTW (learned_w), DTW (w=100); described in H. A. Dau, "
          "A. Bagnall, K. Kamgar et al., The UCR Time Series Archive, IEEE/CAA Journal of Automatica "
          "Sinica 6(6), 2019")
PUBLISHED = {  # name: accuracies (1 - published error rate) and the learned window
    "GunPoint": {"ed": 0.9133, "dtw_learned": 0.9133, "window": 0, "dtw_full": 0.9067, "source": SOURCE},
    "ArrowHead": {"ed": 0.8000, "dtw_learned": 0.8000, "window": 0, "dtw_full": 0.7029, "source": SOURCE},
    "ItalyPowerDemand": {"ed": 0.9553, "dtw_learned": 0.9553, "window": 0, "dtw_full": 0.9504,
                         "source": SOURCE},
    "OSULeaf": {"ed": 0.5207, "dtw_learned": 0.6116, "window": 7, "dtw_full": 0.5909, "source": SOURCE},
    # PLAID's row was revised once: an earlier DataSummary.csv gave 0.5363, 0.8361 (10) and 0.8380.
    "PLAID": {"ed": 0.5233, "dtw_learned": 0.8343, "window": 12, "dtw_full": 0.8361, "source": SOURCE},
}


# Reading the .ts format --------------------------------------------------------------------

def header_value(line):
    """The value of a header line such as ``@classLabel true 1 2``: ``"true 1 2"``."""
    _, _, value = line.partition(" ")
    return value.strip()


def parse_values(text, where):
    """One dimension of one case, ``"0.1,0.2,..."``, as float64; ``?`` (missing) is refused,
    since the long CSV has no place for a missing value."""
    fields = [field.strip() for field in text.split(",")]
    if "?" in fields:
        raise ValueError(f"{where}: a missing value '?'; fill or drop it before converting")
    try:
        return np.array([float(field) for field in fields], dtype=np.float64)
    except ValueError:
        bad = next(field for field in fields if not _is_number(field))
        raise ValueError(f"{where}: {bad!r} is not a number") from None


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_ts(path):
    """The cases of the ``.ts`` file at ``path``: a list of float64 arrays shaped
    ``(timesteps, dimensions)``, and a list of their class labels (text), or None when the
    file says ``@classLabel false``.

    ``#`` lines are comments; ``@`` lines are the header, up to ``@data``. Every case must
    have the same number of dimensions, and within a case every dimension the same length;
    lengths may differ between cases. Time stamps and missing values are refused.
    """
    path = Path(path)
    labelled, classes, in_data = None, None, False
    series, labels = [], []
    with open(path, encoding="utf-8") as file:
        for number, raw in enumerate(file, start=1):
            line = raw.strip()
            where = f"{path.name}, line {number}"
            if not line or line.startswith("#"):
                continue
            if not in_data:
                key = line.split(maxsplit=1)[0].lower()
                if key == "@timestamps" and header_value(line).lower() == "true":
                    raise ValueError(f"{where}: time stamps are not supported")
                if key == "@classlabel":
                    flag, *names = header_value(line).split()
                    labelled = flag.lower() == "true"
                    classes = names or None
                in_data = key == "@data"
                continue
            if labelled is None:
                raise ValueError(f"{path.name}: no '@classLabel' line in the header")
            case, label = read_case(line, labelled, where)
            if series and case.shape[1] != series[0].shape[1]:
                raise ValueError(f"{where}: {case.shape[1]} dimensions, where the first case "
                                 f"has {series[0].shape[1]}")
            if classes is not None and label not in classes:
                raise ValueError(f"{where}: the label {label!r} is not one of the header's "
                                 f"classes ({', '.join(classes)})")
            series.append(case)
            labels.append(label)
    if not series:
        raise ValueError(f"{path.name}: no cases after '@data'")
    return series, labels if labelled else None


def read_case(line, labelled, where):
    """One data line: the case as ``(timesteps, dimensions)`` and its label (or None)."""
    parts = line.split(":")
    label = parts.pop().strip() if labelled else None
    if labelled and (not parts or not label):
        raise ValueError(f"{where}: expected values, then ':' and a class label")
    dimensions = [parse_values(part, where) for part in parts]
    lengths = {len(values) for values in dimensions}
    if len(lengths) > 1:
        raise ValueError(f"{where}: the dimensions have different lengths "
                         f"({', '.join(str(len(values)) for values in dimensions)})")
    return np.column_stack(dimensions), label


# Writing the long CSV ------------------------------------------------------------------------

def feature_names(n_dimensions):
    """``x`` for one dimension, ``x1, x2, ...`` for several."""
    return ["x"] if n_dimensions == 1 else [f"x{i}" for i in range(1, n_dimensions + 1)]


def to_long_frame(series, labels=None):
    """``series`` (arrays shaped ``(timesteps, dimensions)``, or 1-D for one dimension) as
    the long table ``classify_sequences.py`` reads: columns ``id`` (1, 2, ...), ``step`` (1,
    2, ...), the features and, when ``labels`` are given, ``label``, the same on every row of
    a sequence."""
    arrays = [np.asarray(values, dtype=np.float64) for values in series]
    arrays = [values[:, None] if values.ndim == 1 else values for values in arrays]
    if not arrays:
        raise ValueError("no sequences to write")
    if len({values.shape[1] for values in arrays}) > 1:
        raise ValueError("every sequence needs the same number of dimensions")
    if labels is not None and len(labels) != len(arrays):
        raise ValueError(f"{len(arrays)} sequences but {len(labels)} labels")
    lengths = np.array([len(values) for values in arrays])
    frame = pd.DataFrame({"id": np.repeat(np.arange(1, len(arrays) + 1), lengths),
                          "step": np.concatenate([np.arange(1, length + 1) for length in lengths])})
    values = np.concatenate(arrays)
    for column, name in enumerate(feature_names(values.shape[1])):
        frame[name] = values[:, column]
    if labels is not None:
        frame["label"] = np.repeat(np.asarray(labels, dtype=object), lengths)
    return frame


# Fetching the sets -------------------------------------------------------------------------

def ts_path(cache, name, split):
    """Where ``fetch_sets`` keeps set ``name``'s ``.ts`` file for ``split``."""
    return Path(cache) / name / f"{name}_{split}.ts"


def download_wheel(cache, requirement=SKTIME):
    """``pip download`` the wheel of ``requirement`` (no dependencies) into ``cache``; its path."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--quiet", "--dest", str(cache), requirement]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"pip could not download {requirement} ({reason})")
    wheels = sorted(cache.glob("sktime-*.whl"), key=lambda wheel: wheel.stat().st_mtime)
    if not wheels:
        raise RuntimeError(f"pip downloaded no sktime wheel into {cache}")
    return wheels[-1]


def extract_sets(wheel, names, cache):
    """Take the ``.ts`` files of the sets ``names`` out of ``wheel`` into ``cache``."""
    with zipfile.ZipFile(wheel) as archive:
        inside = set(archive.namelist())
        for name in names:
            for split in SPLITS:
                member = f"{WHEEL_DATA}/{name}/{name}_{split}.ts"
                if member not in inside:
                    raise LookupError(f"{Path(wheel).name} has no {member}")
                target = ts_path(cache, name, split)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(member))


def fetch_sets(names, folder, cache=None, requirement=SKTIME):
    """Write ``<Name>_TRAIN.csv`` and ``<Name>_TEST.csv`` into ``folder`` for each set in
    ``names``; return their paths, by name and split.

    The ``.ts`` files come from sktime's wheel, downloaded into ``cache`` (default:
    ``folder/ts``) only when some are not there yet; CSVs already written are kept.
    """
    folder = Path(folder)
    cache = folder / "ts" if cache is None else Path(cache)
    missing = [name for name in names if not all(ts_path(cache, name, split).exists() for split in SPLITS)]
    if missing:
        extract_sets(download_wheel(cache, requirement), missing, cache)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in names:
        for split in SPLITS:
            csv = folder / f"{name}_{split}.csv"
            if not csv.exists():
                files.save_csv(to_long_frame(*read_ts(ts_path(cache, name, split))), csv)
            paths[name, split] = csv
    return paths


if __name__ == "__main__":
    destination = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/ucr")
    for (name, split), csv in fetch_sets(list(PUBLISHED), destination).items():
        print(f"{name} {split}: {csv}")
