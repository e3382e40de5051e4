"""classify_sequences.py tried as a careless or hostile user would: odd files, values too large
for float32, ids as written, a loss gone NaN, files it reads, and stops at every moment.

In this process where a test can reach the moment it needs (tests/test_backends.py runs those
again on every other installed backend); as a real process where only a process shows it
(signals in start-up, training and saving; a closed pipe), on every installed backend.
"""

import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from own_data import refusal, run_main, small_example
from processes import environment

from bilstm_companion import files, plots
from bilstm_companion.own_data import csv_files, recipe, sequences, trainer
from bilstm_companion.stopping import STOP

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--epochs", "2", "--units", "3", "--quiet", "--batch-size", "32", "--ensemble", "1"]  # (the batch size: as many updates as before it was chosen by size; one network)


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def example_text(n_sequences=12, ids=None, labels=("0", "1"), step_column=True):
    """A small CSV in long form: ``n_sequences`` sequences of 3 steps, ids as given."""
    ids = ids or [str(number) for number in range(1, n_sequences + 1)]
    rng = np.random.default_rng(0)
    lines = ["id,step,x,label" if step_column else "id,x,label"]
    for index, sequence in enumerate(ids):
        for step in range(1, 4):
            step_text = f"{step}," if step_column else ""
            lines.append(f"{sequence},{step_text}{rng.random():.3f},{labels[(index + step) % 2]}")
    return "\n".join(lines) + "\n"


# The file as written ---------------------------------------------------------------------------

FILES = {
    "a name twice": ("id,step,x,x,label\n1,1,0.5,0.4,a\n", "the header of '{path}' names 'x' twice (columns 3 and 4)"),
    "the label twice": ("id,step,x,label,label\n1,1,0.5,a,b\n", "names 'label' twice (columns 4 and 5)"),
    "a column with no name": ("id,step,,label\n1,1,0.5,a\n", "column 3 of '{path}' has no name in the header"),
    "semicolons": ("id;step;x;label\n1;1;0,5;a\n", "has its columns separated by ';', not by commas"),
    "tabs": ("id\tstep\tx\tlabel\n1\t1\t0.5\ta\n", "has its columns separated by a tab, not by commas"),
    "beyond float32": ("id,step,x,label\n1,1,0.5,a\n1,2,1e39,b\n", "feature 'x' on line 3 is 1e+39, beyond the ±1e+19"),
    "beyond float64": ("id,step,x,label\n1,1,1e308,a\n", "feature 'x' on line 2 is 1e+308, beyond the ±1e+19"),
    "negative, large": ("id,step,x,label\n1,1,-2e19,a\n", "feature 'x' on line 2 is -2e+19, beyond the ±1e+19"),
    "inf": ("id,step,x,label\n1,1,inf,a\n", "feature 'x' on line 2 is 'inf', not a finite number"),
    "-inf": ("id,step,x,label\n1,1,0.5,a\n1,2,-inf,b\n", "feature 'x' on line 3 is '-inf', not a finite number"),
}


@pytest.mark.parametrize("case", list(FILES))
def test_a_file_it_cannot_take_as_written_is_refused_naming_what_and_where(tmp_path, monkeypatch, capsys, case):
    text, words = FILES[case]
    path = write(tmp_path, text)
    err = refusal(monkeypatch, capsys, path, *QUICK, "--output-dir", tmp_path / "out")
    assert words.format(path=path) in err
    assert not (tmp_path / "out").exists()


def test_text_that_is_not_utf8_is_refused_with_the_fix_and_a_byte_order_mark_is_read(tmp_path, monkeypatch, capsys):
    latin = write(tmp_path, "id,step,x,label\n1,1,0.5,café\n", name="latin.csv", encoding="latin-1")
    err = refusal(monkeypatch, capsys, latin, *QUICK, "--output-dir", tmp_path / "out")
    assert "is not UTF-8 text (byte 0xe9 at byte " in err and "; save it as UTF-8" in err
    marked = write(tmp_path, "\ufeff" + example_text(), name="marked.csv")  # as spreadsheets save CSV UTF-8
    data = csv_files.read_sequences(marked)
    assert data.features == ["x"] and len(data) == 12


def test_ids_stay_as_written_in_every_output_and_without_a_step_column_steps_count_from_one(tmp_path, monkeypatch):
    ids = [f"{number:03d}" for number in range(1, 11)] + ["7", "0007"]
    path = write(tmp_path, example_text(ids=ids, step_column=False))
    data = csv_files.read_sequences(path)
    assert list(data.ids) == ids  # '007' stays '007', and '7', '007' and '0007' are three sequences
    out = tmp_path / "out"
    assert run_main(monkeypatch, path, *QUICK, "--folds", "3", "--output-dir", out) == 0
    predicted = pd.read_csv(out / "classify_sequences_predictions.csv", dtype={"id": str})
    assert set(predicted["id"]) == set(data.ids)  # each fold's test part: every sequence once
    for _, steps in predicted.groupby("id")["step"]:  # rows in file order, steps counted within each
        assert steps.tolist() == [1, 2, 3]
    assert run_main(monkeypatch, path, "--predict", out / "classify_sequences.keras", "--output-dir", out,
                    "--quiet") == 0
    new = pd.read_csv(out / "classify_sequences_predictions_data.csv", dtype={"id": str})
    assert list(dict.fromkeys(new["id"])) == list(data.ids)


def test_sequences_whose_padding_would_not_fit_in_memory_are_refused(tmp_path, monkeypatch, capsys):
    path = small_example(tmp_path)
    monkeypatch.setattr(sequences, "available_memory", lambda: 1000)
    err = refusal(monkeypatch, capsys, path, *QUICK, "--output-dir", tmp_path / "out")
    assert "padded to its longest sequence (" in err and "more than the 1.0 KB free here" in err


# What the run reads, it never writes over -----------------------------------------------------------

def test_a_run_never_writes_over_a_file_it_reads(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    out.mkdir()
    data = small_example(out, name="classify_sequences_predictions.csv")  # where the predictions would go
    err = refusal(monkeypatch, capsys, data, *QUICK, "--output-dir", out)
    assert f"would write '{data}' over DATA.csv, which it reads" in err
    other = small_example(tmp_path)
    err = refusal(monkeypatch, capsys, other, *QUICK, "--test", other, "--output-dir", tmp_path / "elsewhere")
    assert "argument --test: it is DATA.csv itself" in err
    assert sorted(path.name for path in out.iterdir()) == ["classify_sequences_predictions.csv"]


# --predict and files that are not its models ---------------------------------------------------------

def test_predict_says_why_a_file_is_not_a_model_it_can_use(tmp_path, monkeypatch, capsys):
    data = small_example(tmp_path)
    out = tmp_path / "out"
    assert run_main(monkeypatch, data, *QUICK, "--output-dir", out) == 0
    capsys.readouterr()
    saved = (out / "classify_sequences.keras").read_bytes()
    plain = tmp_path / "plain.keras"
    keras.Sequential([keras.Input((None, 3)), keras.layers.LSTM(2)]).save(plain)
    notes = tmp_path / "notes.keras"
    with zipfile.ZipFile(notes, "w") as archive:
        archive.writestr("notes.txt", "hello")
    cases = {
        tmp_path / "nowhere.keras": "does not exist",
        tmp_path: "is a folder, not a model file",
        write(tmp_path, "not a model", name="text.keras"): "is not a Keras model file (a .keras file is a zip archive",
        data: "is not a Keras model file",
        write(tmp_path, "", name="empty.keras"): "is not a Keras model file",
        notes: "is not a whole Keras model file",
        plain: "is a Keras model, but not one classify_sequences.py saved",
    }
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(saved[: len(saved) // 2])
    cases[truncated] = "is cut short or damaged"
    for model, words in cases.items():
        err = refusal(monkeypatch, capsys, data, "--predict", model, "--output-dir", tmp_path / "predicted")
        assert f"argument --predict: '{model}' {words}" in err
    assert not (tmp_path / "predicted").exists()


# Class names as they are --------------------------------------------------------------------------

def test_class_names_the_font_cannot_draw_stand_as_numbers_explained_and_nothing_reaches_stderr(
        tmp_path, monkeypatch, capfd):
    path = small_example(tmp_path, label=lambda frame: np.where(frame["label"] == 1, "高", "低"))
    ticks, save_figure = {}, plots.save_figure

    def keep_ticks(fig, file, show=False):
        if len(fig.axes) == 3:
            ticks["x"] = [label.get_text() for label in fig.axes[2].get_xticklabels()]
        return save_figure(fig, file, show)

    monkeypatch.setattr(plots, "save_figure", keep_ticks)
    assert run_main(monkeypatch, path, *QUICK, "--output-dir", tmp_path / "out") == 0
    out, err = capfd.readouterr()
    assert err == ""  # no glyph warning from Matplotlib
    assert ticks["x"] == ["1", "2"]
    assert "numbers the classes: 1 is '低', 2 is '高'" in out
    table = pd.read_csv(tmp_path / "out" / "classify_sequences_predictions.csv")
    assert set(table["label"]) == {"低", "高"}  # the files keep the names


# A loss that becomes NaN ---------------------------------------------------------------------------

@pytest.mark.parametrize("classes", [2, 3], ids=["sigmoid", "softmax"])
def test_a_loss_that_becomes_nan_ends_the_run_in_one_line_with_status_1_and_nothing_written(
        tmp_path, monkeypatch, capfd, classes):
    # Two classes end in one sigmoid unit and binary cross-entropy (on PyTorch, whose kernel
    # raises an error on a NaN, the project's own); three in a softmax.
    path = small_example(tmp_path, label=lambda frame: (frame["x"] * classes).astype(int).clip(0, classes - 1))
    status = run_main(monkeypatch, path, *QUICK, "--learning-rate", "3e38", "--output-dir", tmp_path / "out")
    assert status == 1
    err = capfd.readouterr().err.strip()
    assert re.match(r"classify_sequences\.py: error: the (training|validation) loss of bilstm became NaN in epoch 1, ", err)
    assert "try a lower --learning-rate (this run's: 3e+38)" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()
    assert not STOP()  # it never read as a stop request


@pytest.mark.parametrize("value, which", [(float("nan"), "loss"), (float("inf"), "val_loss")])
def test_a_loss_gone_bad_in_a_later_fold_names_the_fold_and_the_finished_folds_are_not_written(tmp_path, monkeypatch, capfd,
                                                                                      value, which):
    real_callbacks = recipe.callbacks
    epochs_seen = []

    class LossGoesBad(keras.callbacks.Callback):
        # The sixth epoch to end is fold 3's second, one fold after another or together (JAX).
        def on_epoch_end(self, epoch, logs=None):
            epochs_seen.append(epoch)
            if len(epochs_seen) == 6:
                logs[which] = value

    monkeypatch.setattr(recipe, "callbacks", lambda patience: (LossGoesBad(), *real_callbacks(patience)))
    path = small_example(tmp_path, per_sequence=True)
    status = run_main(monkeypatch, path, *QUICK, "--target", "sequence", "--folds", "3", "--output-dir", tmp_path / "out")
    assert status == 1
    said = "training loss of bilstm became NaN" if which == "loss" else "validation loss of bilstm became infinite"
    assert f"the {said} in epoch 2 of fold 3" in capfd.readouterr().err
    assert not (tmp_path / "out").exists()


# Stops: every file holds only finished work, and agrees with the others ----------------------------------

def test_a_stop_in_a_later_fold_keeps_only_finished_trainings_in_every_file(tmp_path, monkeypatch, capfd):
    real_train, trainings = trainer.fit_one, []

    def stop_in_the_second_fold(*args, **options):
        trainings.append(1)
        if len(trainings) == 2:  # SIGTERM in fold 2, once its first epoch has ended
            batches = []

            def after_one_epoch():
                batches.append(1)
                if len(batches) > 1:  # (an epoch is one batch here)
                    STOP.request(143)
                return STOP()

            options["should_stop"] = after_one_epoch
        return real_train(*args, **options)

    monkeypatch.setattr(trainer, "fit_one", stop_in_the_second_fold)
    path = small_example(tmp_path, n_sequences=30)
    out = tmp_path / "out"
    assert run_main(monkeypatch, path, *QUICK, "--folds", "3", "--no-batch-folds", "--output-dir", out) == 143
    predicted = pd.read_csv(out / "classify_sequences_predictions.csv")
    history = pd.read_csv(out / "classify_sequences_history.csv")
    folds = pd.read_csv(out / "classify_sequences_folds.csv")
    assert set(predicted["fold"]) == {1}  # fold 2 was cut short: no predictions of it
    assert set(folds.loc[folds["model"] == "bilstm", "fold"]) == {1}
    assert history.groupby("fold")["finished"].first().to_dict() == {1: True, 2: False}
    assert "Stopped early" in capfd.readouterr().err


def test_a_stop_in_the_only_training_saves_its_marked_epochs_and_model_but_no_predictions(tmp_path, monkeypatch):
    real_train = trainer.fit_one

    def ctrl_c_at_once(*args, **options):
        STOP.request(130)
        return real_train(*args, **options)

    monkeypatch.setattr(trainer, "fit_one", ctrl_c_at_once)
    out = tmp_path / "out"
    out.mkdir()
    (out / "classify_sequences_predictions.csv").write_text("an earlier run's\n")
    assert run_main(monkeypatch, small_example(tmp_path), *QUICK, "--output-dir", out) == 130
    assert not (out / "classify_sequences_predictions.csv").exists()  # nothing finished to predict with
    assert pd.read_csv(out / "classify_sequences_history.csv")["finished"].tolist() == [False]
    assert (out / "classify_sequences.keras").exists() and (out / "classify_sequences.png").exists()


def test_a_signal_while_saving_lets_the_saving_finish_then_exits_with_its_status(tmp_path, monkeypatch, capfd):
    save_csv, calls = files.save_csv, []

    def interrupted_save(frame, path):
        if not calls:
            os.kill(os.getpid(), signal.SIGTERM)  # as the first file is being written
        calls.append(path)
        return save_csv(frame, path)

    monkeypatch.setattr(files, "save_csv", interrupted_save)
    STOP.install()
    try:
        status = run_main(monkeypatch, small_example(tmp_path), *QUICK, "--output-dir", tmp_path / "out")
        calls.clear()
        STOP.reset()
        predicted = run_main(monkeypatch, small_example(tmp_path, name="new.csv"), "--predict",
                             tmp_path / "out" / "classify_sequences.keras", "--output-dir", tmp_path / "out",
                             "--quiet")
    finally:
        STOP.uninstall()
    assert status == 143 and predicted == 143
    assert len(list((tmp_path / "out").glob("*.csv"))) == 4  # every file of the run, and the predictions
    assert capfd.readouterr().err.count("Stopped after saving") == 2


# As a real process: signals in each phase, and a closed pipe ----------------------------------------

BACKENDS = [name for name in ("tensorflow", "jax", "torch") if importlib.util.find_spec(name) is not None]
# A test that starts a process on each installed backend runs once, from the main session:
# tests/test_backends.py leaves it out of the other backends' sessions.
per_backend_process = pytest.mark.processes_on_every_backend


def start(backend, *args):
    return subprocess.Popen([sys.executable, "classify_sequences.py", *map(str, args)], cwd=ROOT,
                            env=environment(KERAS_BACKEND=backend), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def handles(pid, signal_number):
    """Whether process ``pid`` has a handler of its own for ``signal_number`` (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
    return bool(caught >> (signal_number - 1) & 1)


@per_backend_process
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
@pytest.mark.parametrize("backend", BACKENDS)
def test_signals_while_starting_and_while_training_give_the_signals_status(tmp_path, backend):
    data = small_example(tmp_path, n_sequences=60, per_sequence=True)
    # While starting (reading the data, loading the backend): SIGHUP, one line, nothing written.
    process = start(backend, data, "--output-dir", tmp_path / "early")
    deadline = time.monotonic() + 60
    while not handles(process.pid, signal.SIGTERM) and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGHUP)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 129
    assert err.strip() == "Interrupted (SIGHUP) before training began; nothing was written."
    assert not (tmp_path / "early").exists()
    # While training (on JAX, the folds together): SIGINT.
    out = tmp_path / "trained"
    process = start(backend, data, "--target", "sequence", "--model", "lstm,bilstm", "--folds", "3", "--units", "3",
                    "--epochs", "100000", "--patience", "100000", "--verbose", "2", "--output-dir", out)
    for line in process.stdout:
        if line.startswith("Epoch 3/"):
            break
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "Stopped early" in err
    history = pd.read_csv(out / "classify_sequences_history.csv")
    assert not history["finished"].any()  # every training was cut short
    assert not (out / "classify_sequences_predictions.csv").exists()


SIGTERM_WHILE_SAVING = """
import os, runpy, signal, sys
from bilstm_companion import files
save_csv = files.save_csv
def save_then_signal(frame, path):
    if not getattr(save_then_signal, "sent", False):
        save_then_signal.sent = True
        os.kill(os.getpid(), signal.SIGTERM)
    return save_csv(frame, path)
files.save_csv = save_then_signal
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@per_backend_process
@pytest.mark.parametrize("backend", BACKENDS)
def test_sigterm_while_saving_saves_everything_then_exits_143(tmp_path, backend):
    data = small_example(tmp_path)
    done = subprocess.run([sys.executable, "-c", SIGTERM_WHILE_SAVING, "classify_sequences.py", data, *QUICK,
                           "--output-dir", tmp_path / "out"], cwd=ROOT, env=environment(KERAS_BACKEND=backend),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 143, done.stderr
    assert "finishing saving first" in done.stderr and "Stopped after saving" in done.stderr
    assert len(list((tmp_path / "out").iterdir())) == 6 and "Accuracy" not in done.stdout


@per_backend_process
def test_a_closed_pipe_ends_the_run_quietly_with_status_141(tmp_path):
    data = small_example(tmp_path)
    process = start("tensorflow" if "tensorflow" in BACKENDS else BACKENDS[0], data, "--epochs", "100000",
                    "--patience", "100000", "--units", "3", "--verbose", "2", "--output-dir", tmp_path / "out")
    for line in process.stdout:
        if line.startswith("Epoch 2/"):
            break
    process.stdout.close()
    err = process.stderr.read()
    process.wait(timeout=120)
    assert process.returncode == 141
    assert "Traceback" not in err and "Error" not in err
    assert (tmp_path / "out" / "classify_sequences_history.csv").exists()
