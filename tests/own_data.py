"""What the tests of ``classify_sequences.py`` share: small example CSVs, running its main(), refusals."""

import sys

import numpy as np
import pytest

import classify_sequences
from bilstm_companion.own_data.example import example_frame
from bilstm_companion.own_data.folds import split_positions


def small_example(tmp_path, n_sequences=40, name="data.csv", per_sequence=False, seed=2, **changes):
    """An example CSV of ``n_sequences`` sequences of 3 to 8 steps. ``per_sequence``: one
    label per sequence (whether its mean is high); ``changes``: columns to set, by value or
    by a function of the frame."""
    frame = example_frame(n_sequences=n_sequences, lengths=(3, 8), seed=seed)
    if per_sequence:
        frame["label"] = np.where(frame.groupby("id")["x"].transform("mean") > 0.5, "high", "low")
    for column, values in changes.items():
        frame[column] = values(frame) if callable(values) else values
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def run_main(monkeypatch, *args):
    """``classify_sequences.main`` with ``args``, as the command line would give them."""
    monkeypatch.setattr(sys, "argv", ["classify_sequences.py"])
    return classify_sequences.main([*map(str, args)])


def refusal(monkeypatch, capsys, *args):
    """The one line of stderr a refused command prints, once exit status 2 and no stdout are checked."""
    with pytest.raises(SystemExit) as exit_info:
        run_main(monkeypatch, *args)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith("classify_sequences.py: error: ")
    return err


def split(data, seed):
    """The training, validation and test sets of ``data``'s single seeded split."""
    return [data.subset(part) for part in split_positions(len(data), seed)]
