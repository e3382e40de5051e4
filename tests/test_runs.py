"""The scripts' runs, called in this process as ``main(argv)``: files, output, refusals, stops.

The same ``main`` a command runs, minus a process of its own and the backend's start-up
each time, so these tests are quick. ``test_scripts.py`` runs each script as a real process.
"""

import csv
import importlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from bilstm_companion import files, plots
from bilstm_companion.article import training
from bilstm_companion.article.training import example_sequence, trains_runs_together
from bilstm_companion.stopping import STOP
from lstm_classify import predict_classes

TINY = ["--epochs", "6", "--eval-sequences", "20", "--timesteps", "6", "--units", "4"]


def main_of(script, monkeypatch):
    """The script's ``main``, with ``sys.argv[0]`` naming it as a command would."""
    monkeypatch.setattr(sys, "argv", [script])
    return importlib.import_module(Path(script).stem).main


def run_main(script, monkeypatch, *args):
    return main_of(script, monkeypatch)([*map(str, args)])


def names(folder):
    return sorted(path.name for path in Path(folder).iterdir())


def leftovers(folder):
    return sorted(path.name for path in Path(folder).rglob(".*tmp*"))


# What runs write and print -------------------------------------------------------------

def test_same_seed_gives_byte_identical_csv(tmp_path, monkeypatch):
    common = [*TINY, "--modes", "sum", "--repeats", "2", "--quiet"]
    for folder, seed in (("first", 5), ("second", 5), ("other", 6)):
        assert run_main("compare_merge_modes.py", monkeypatch, *common, "--seed", seed,
                        "--output-dir", tmp_path / folder) == 0
    for name in ("compare_merge_modes.csv", "compare_merge_modes_summary.csv"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()
    assert (tmp_path / "other" / "compare_merge_modes.csv").read_bytes() != (
        tmp_path / "first" / "compare_merge_modes.csv").read_bytes()


def test_the_article_backwards_option_changes_lstm_back_alone(tmp_path, monkeypatch):
    losses = {}
    for folder, extra in (("aligned", []), ("article", ["--article-backwards"])):
        assert run_main("compare_directions.py", monkeypatch, *TINY, "--repeats", "2", *extra,
                        "--output-dir", tmp_path / folder, "--quiet") == 0
        with open(tmp_path / folder / "compare_directions.csv", newline="") as file:
            for row in csv.DictReader(file):
                losses.setdefault((folder, row["model"]), []).append(float(row["loss"]))
    # The same seeds: the same forward and bidirectional runs, another backward model.
    assert losses["aligned", "lstm_forw"] == losses["article", "lstm_forw"]
    assert losses["aligned", "bilstm_con"] == losses["article", "bilstm_con"]
    assert losses["aligned", "lstm_back"] != losses["article", "lstm_back"]


def test_the_articles_fit_loop_runs_a_classifier_end_to_end(tmp_path, monkeypatch):
    fit, calls = keras.Model.fit, []

    def counted_fit(model, *args, **options):
        calls.append(options.get("epochs"))
        return fit(model, *args, **options)

    monkeypatch.setattr(keras.Model, "fit", counted_fit)
    assert run_main("bilstm_classify.py", monkeypatch, *TINY, "--loop", "fit", "--merge-mode", "sum",
                    "--output-dir", tmp_path, "--quiet") == 0
    assert calls == [1] * 6  # the article's loop: one fit of one epoch per sequence
    with open(tmp_path / "bilstm_classify.csv", newline="") as file:
        table = list(csv.DictReader(file))
    assert [row["epoch"] for row in table] == ["1", "2", "3", "4", "5", "6"]
    assert all(0 < float(row["loss"]) < 5 for row in table)
    assert names(tmp_path) == ["bilstm_classify.csv", "bilstm_classify.png", "bilstm_classify_heldout.csv",
                               "bilstm_classify_sequences.png"]


def test_saved_model_loads_back_and_predicts_what_was_printed(tmp_path, monkeypatch, capsys):
    model_path = tmp_path / "models" / "bilstm.keras"
    assert run_main("bilstm_classify.py", monkeypatch, *TINY, "--output-dir", tmp_path,
                    "--save-model", model_path, "--quiet") == 0
    printed = [line.split() for line in capsys.readouterr().out.splitlines() if line[:4].strip().isdigit()]
    model = keras.saving.load_model(model_path)
    X, _ = example_sequence(1, 6)
    assert predict_classes(model, X).ravel().tolist() == [int(fields[4]) for fields in printed]
    assert len(printed) == 6


def test_verbose_2_prints_one_line_per_epoch_and_quiet_prints_no_progress(tmp_path, monkeypatch, capsys):
    assert run_main("lstm_classify.py", monkeypatch, *TINY, "--output-dir", tmp_path, "--verbose", "2") == 0
    epochs = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch ")]
    assert [line.split()[1] for line in epochs] == [f"{e}/6" for e in range(1, 7)]
    assert "loss:" in epochs[0] and "accuracy:" in epochs[0]
    assert run_main("lstm_classify.py", monkeypatch, *TINY, "--output-dir", tmp_path, "--quiet") == 0
    out, err = capsys.readouterr()
    assert "epoch" not in err.lower() and "Epoch" not in out
    assert "expected" in out


def test_progress_names_the_model_and_repeat(tmp_path, monkeypatch, capsys):
    assert run_main("compare_directions.py", monkeypatch, *TINY, "--repeats", "2",
                    "--output-dir", tmp_path) == 0
    together = trains_runs_together()  # on JAX the two repeats train together
    expected = f"bilstm_con, {'repeats 1-2/2' if together else 'repeat 2/2'}: epoch 6/6"
    assert expected in capsys.readouterr().err


def test_a_long_legal_model_name_is_saved_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    model_path = tmp_path / ("m" * 249 + ".keras")  # 255 bytes, the most a name may have
    assert run_main("lstm_classify.py", monkeypatch, *TINY, "--output-dir", tmp_path,
                    "--save-model", model_path, "--quiet") == 0
    assert model_path.stat().st_size > 0
    assert leftovers(tmp_path) == []


def test_a_run_removes_what_runs_killed_while_writing_left_and_nothing_else(tmp_path, monkeypatch):
    ended = subprocess.Popen([sys.executable, "-c", ""])
    ended.wait()
    gone, running = ended.pid, os.getppid()
    # Left by runs killed while writing, of any script, whose process is gone:
    stale = [f".lstm_classify.{gone}.tmp.csv", f".compare_directions.{gone}.tmp.png", f".m.{gone}.tmp.keras"]
    kept = [f".lstm_classify.{running}.tmp.csv",  # a run that is still writing
            f"lstm_classify.{gone}.tmp.csv", f".lstm_classify.{gone}.csv", f".notes.{gone}.tmp2.csv",
            ".notes.tmp.csv", "notes.txt"]  # names of other patterns
    for name in stale + kept:
        (tmp_path / name).write_text("kill -9")
    (tmp_path / f".folder.{gone}.tmp.csv").mkdir()  # the pattern, but no file
    (tmp_path / f".link.{gone}.tmp.csv").symlink_to("notes.txt")
    assert run_main("lstm_classify.py", monkeypatch, *TINY, "--output-dir", tmp_path, "--quiet") == 0
    assert names(tmp_path) == sorted([*kept, f".folder.{gone}.tmp.csv", f".link.{gone}.tmp.csv",
                                      "lstm_classify.csv", "lstm_classify.png", "lstm_classify_heldout.csv",
                                      "lstm_classify_sequences.png"])
    assert all((tmp_path / name).read_text() == "kill -9" for name in kept)


def test_a_smoothing_window_longer_than_the_run_is_the_mean_of_the_whole_run(tmp_path, monkeypatch):
    lines, save_figure = {}, plots.save_figure

    def keep_lines(fig, path, show=False):
        lines.update({line.get_label(): line.get_ydata() for line in fig.axes[0].get_lines()})
        return save_figure(fig, path, show)

    monkeypatch.setattr(plots, "save_figure", keep_lines)
    assert run_main("lstm_classify.py", monkeypatch, *TINY, "--smooth", "100000000000000000000",
                    "--output-dir", tmp_path, "--quiet") == 0
    with open(tmp_path / "lstm_classify.csv", newline="") as file:
        losses = np.array([float(row["loss"]) for row in csv.DictReader(file)])
    # The window is cut to the run's 6 epochs, and says so: each point averages every epoch so far.
    np.testing.assert_allclose(lines["6-epoch rolling mean"], np.cumsum(losses) / np.arange(1, 7))
    assert names(tmp_path) == ["lstm_classify.csv", "lstm_classify.png", "lstm_classify_heldout.csv",
                               "lstm_classify_sequences.png"]


def pictured_lines(monkeypatch):
    """The probability lines of every picture of new sequences a run saves: by row (a model,
    named in the first column), an array of one line per sequence (a column)."""
    pictures, save_figure = [], plots.save_figure

    def keep(fig, path, show=False):
        if Path(path).name.endswith("_sequences.png"):
            columns = fig.axes[0].get_gridspec().ncols
            rows = {}
            for index, ax in enumerate(fig.axes[columns:], start=columns):
                name = fig.axes[index - index % columns].get_ylabel()
                line = next(line for line in ax.get_lines() if line.get_label() == "probability of 1")
                rows.setdefault(name, []).append(np.asarray(line.get_ydata()))
            pictures.append({name: np.stack(lines) for name, lines in rows.items()})
        return save_figure(fig, path, show)

    monkeypatch.setattr(plots, "save_figure", keep)
    return pictures


def test_the_classifiers_picture_shows_its_models_predictions_on_new_sequences_the_printed_first(
        tmp_path, monkeypatch, capsys):
    pictures = pictured_lines(monkeypatch)
    model_path = tmp_path / "model.keras"
    assert run_main("lstm_classify.py", monkeypatch, *TINY, "--output-dir", tmp_path, "--save-model", model_path,
                    "--quiet") == 0
    (picture,) = pictures
    X, _ = training.example_sequences(1, 6)
    expected = keras.saving.load_model(model_path).predict(X, verbose=0)[..., 0]
    np.testing.assert_allclose(picture["probability"], expected, rtol=1e-5, atol=1e-6)
    printed = [int(line.split()[4]) for line in capsys.readouterr().out.splitlines() if line[:4].strip().isdigit()]
    assert printed == (expected[0] > 0.5).astype(int).tolist()  # the first is the printed sequence


def test_the_comparisons_picture_shows_the_first_repeats_models_side_by_side(tmp_path, monkeypatch):
    pictures = pictured_lines(monkeypatch)
    for repeats in ("1", "3"):
        assert run_main("compare_directions.py", monkeypatch, *TINY, "--repeats", repeats,
                        "--output-dir", tmp_path / repeats, "--quiet") == 0
    one, three = pictures
    assert list(three) == ["lstm_forw", "lstm_back", "bilstm_con"]
    for name in three:  # the first repeat's model is the same however many repeats follow
        np.testing.assert_allclose(three[name], one[name], rtol=1e-5, atol=1e-6)
        assert three[name].shape == (training.PICTURED, 6)
    assert not np.allclose(three["lstm_forw"], three["lstm_back"])
    # compare_merge_modes draws no picture of this kind.
    assert run_main("compare_merge_modes.py", monkeypatch, *TINY, "--modes", "sum", "--output-dir",
                    tmp_path / "merge", "--quiet") == 0
    assert len(pictures) == 2 and not list((tmp_path / "merge").glob("*_sequences.png"))


# Refusals: one line on stderr, status 2, nothing created --------------------------------------

def refused(script, monkeypatch, capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        run_main(script, monkeypatch, *args)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1, err
    return err.strip()


@pytest.mark.parametrize("script, args, option", [
    ("lstm_classify.py", ["--timesteps", "0"], "--timesteps"),
    ("lstm_classify.py", ["--timesteps", "-3"], "--timesteps"),
    ("bilstm_classify.py", ["--timesteps", "abc"], "--timesteps"),
    ("bilstm_classify.py", ["--timesteps", "1.5"], "--timesteps"),
    ("lstm_classify.py", ["--units", "0"], "--units"),
    ("compare_directions.py", ["--epochs", "0"], "--epochs"),
    ("compare_directions.py", ["--epochs", "-5"], "--epochs"),
    ("compare_directions.py", ["--repeats", "0"], "--repeats"),
    ("compare_directions.py", ["--eval-sequences", "0"], "--eval-sequences"),
    ("compare_directions.py", ["--smooth", "0"], "--smooth"),
    ("compare_directions.py", ["--seed", "-1"], "--seed"),
    ("lstm_classify.py", ["--seed", "4294967296"], "--seed"),
    ("bilstm_classify.py", ["--merge-mode", "max"], "--merge-mode"),
    ("compare_merge_modes.py", ["--modes", "foo"], "--modes"),
    ("compare_merge_modes.py", ["--modes", "sum,bar"], "--modes"),
    ("compare_directions.py", ["--threshold", "x"], "--threshold"),
    ("lstm_classify.py", ["--save-model", "model.h5"], "--save-model"),
    ("lstm_classify.py", ["--verbose", "3"], "--verbose"),
    # Sizes whose data could not fit in memory, refused with the size they would need.
    ("lstm_classify.py", ["--eval-sequences", "1000000000000"], "--eval-sequences"),
    ("compare_directions.py", ["--timesteps", "10000000"], "--timesteps"),
    ("bilstm_classify.py", ["--units", "10000000"], "--units"),
    ("compare_merge_modes.py", ["--epochs", "1000000000000"], "--epochs"),
])
def test_bad_input_is_refused_in_one_line_with_status_2(tmp_path, monkeypatch, capsys, script, args,
                                                        option):
    monkeypatch.chdir(tmp_path)  # where a relative path, such as --save-model model.h5, would go
    message = refused(script, monkeypatch, capsys, *args, "--output-dir", tmp_path / "out")
    assert message.startswith(f"{script}: error: argument {option}")
    assert list(tmp_path.iterdir()) == []  # nothing created, anywhere


def test_sizes_too_large_for_memory_say_how_much_they_need(tmp_path, monkeypatch, capsys):
    message = refused("lstm_classify.py", monkeypatch, capsys, "--eval-sequences", "1000000000000",
                      "--output-dir", tmp_path / "out")
    assert re.search(r"argument --eval-sequences: 1000000000000 held-out sequences of 10 steps need "
                     r"about [\d.]+ TB of memory, more than the [\d.]+ [GMT]B free here$", message)


def output_problems(tmp_path):
    """Output paths that cannot be written, made in ``tmp_path``: (args, option, words)."""
    (tmp_path / "file.txt").write_text("not a folder")
    (tmp_path / "folder.keras").mkdir()
    (tmp_path / "taken" / "lstm_classify.csv").mkdir(parents=True)
    (tmp_path / "loop").symlink_to("loop")  # ln -s loop loop
    (tmp_path / "nowhere").symlink_to(tmp_path / "removed")
    return {
        "below a file": (["--output-dir", tmp_path / "file.txt" / "results"], "--output-dir",
                         (f"cannot create '{tmp_path / 'file.txt' / 'results'}': "
                          f"'{tmp_path / 'file.txt'}' is a file")),
        "model is a folder": (["--save-model", tmp_path / "folder.keras"], "--save-model",
                              "a folder of that name is in the way"),
        "model is the output folder": (["--output-dir", tmp_path / "same.keras",
                                        "--save-model", tmp_path / "same.keras"], "--save-model",
                                       "is also where other output files go"),
        "csv is a folder": (["--output-dir", tmp_path / "taken"], "--output-dir",
                            "a folder of that name is in the way"),
        "name too long": (["--output-dir", tmp_path / ("d" * 300)], "--output-dir",
                          "is longer than the 255 bytes a file name may have"),
        "model name too long": (["--save-model", tmp_path / ("m" * 300 + ".keras")], "--save-model",
                                "is longer than the 255 bytes a file name may have"),
        "a link loop": (["--output-dir", tmp_path / "loop"], "--output-dir",
                        f"the link '{tmp_path / 'loop'}' cannot be followed: "),
        "below a link loop": (["--output-dir", tmp_path / "loop" / "results"], "--output-dir",
                              f"the link '{tmp_path / 'loop'}' cannot be followed: "),
        "a link to nowhere": (["--output-dir", tmp_path / "nowhere"], "--output-dir",
                              f"the link '{tmp_path / 'nowhere'}' cannot be followed: "),
        "model in a link loop": (["--save-model", tmp_path / "loop" / "m.keras"], "--save-model",
                                 f"the link '{tmp_path / 'loop'}' cannot be followed: "),
        "path too long": (["--output-dir", tmp_path.joinpath(*["d" * 200] * 21)], "--output-dir",
                          "bytes a path may have"),
        "a folder that cannot be written to": (["--output-dir", Path("/sys/bilstm-companion")], "--output-dir",
                                               ("cannot create '/sys/bilstm-companion' in '/sys': "
                                                "Permission denied")),
        "a folder that cannot be written to, as it is": (["--output-dir", Path("/sys")], "--output-dir",
                                                         "cannot write to '/sys': Permission denied"),
    }


@pytest.mark.parametrize("case", ["below a file", "model is a folder", "model is the output folder",
                                  "csv is a folder", "name too long", "model name too long",
                                  "a link loop", "below a link loop", "a link to nowhere",
                                  "model in a link loop", "path too long",
                                  *[pytest.param(case, marks=pytest.mark.skipif(not Path("/sys").is_dir(),
                                                                                reason="writes to Linux's /sys"))
                                    for case in ("a folder that cannot be written to",
                                                 "a folder that cannot be written to, as it is")]])
def test_an_output_that_cannot_be_written_is_refused_before_training(tmp_path, monkeypatch, capsys, case):
    args, option, words = output_problems(tmp_path)[case]
    before = sorted(tmp_path.rglob("*"))
    if "--output-dir" not in args:
        args = [*args, "--output-dir", tmp_path / "results"]
    message = refused("lstm_classify.py", monkeypatch, capsys, *TINY, *args)
    assert message.startswith(f"lstm_classify.py: error: argument {option}: ")
    assert words in message
    assert sorted(tmp_path.rglob("*")) == before  # nothing created


@pytest.mark.parametrize("script, args, option", [
    ("lstm_classify.py", ["--output-dir", ""], "--output-dir"),  # what --output-dir "$OUT" gives, unset
    ("compare_directions.py", ["--output-dir="], "--output-dir"),
    ("bilstm_classify.py", ["--save-model", ""], "--save-model"),
])
def test_an_empty_path_is_refused_before_training(tmp_path, monkeypatch, capsys, script, args, option):
    monkeypatch.chdir(tmp_path)  # where an empty path would have put the files
    message = refused(script, monkeypatch, capsys, *TINY, *args)
    assert message == (f"{script}: error: argument {option}: expected a path, got an empty one "
                       "(is a shell variable unset?)")
    assert names(tmp_path) == []


# Stops at the moments a process cannot be timed to hit -------------------------------------------

def test_a_stop_before_the_first_epoch_finishes_writes_nothing(tmp_path, monkeypatch, capfd):
    STOP.request(130)  # as if Ctrl-C came just as training began
    assert run_main("compare_directions.py", monkeypatch, *TINY, "--output-dir", tmp_path / "out") == 130
    assert not (tmp_path / "out").exists()
    assert "Stopped before the first epoch finished; nothing was written." in capfd.readouterr().err


@pytest.mark.parametrize("script, extra, words, trained", [
    # One run at a time (on JAX too), and each model's runs together where the backend can.
    ("lstm_classify.py", ["--no-batch-repeats"], "Stopped before run 2/2; saved the finished epochs", {"0"}),
    ("compare_directions.py", [], "Stopped before lstm_back, repeat", {"lstm_forw"}),
])
def test_a_stop_between_two_runs_saves_the_finished_runs_and_says_where(tmp_path, monkeypatch, capfd,
                                                                        script, extra, words, trained):
    measure = training.accuracy

    def stop_once_measured(*args):  # as if Ctrl-C came while the first run was being evaluated
        STOP.request(130)
        return measure(*args)

    monkeypatch.setattr(training, "accuracy", stop_once_measured)
    status = run_main(script, monkeypatch, *TINY, "--repeats", "2", *extra, "--output-dir", tmp_path, "--quiet")
    assert status == 130
    err = capfd.readouterr().err
    assert words in err and "Traceback" not in err
    with open(tmp_path / f"{Path(script).stem}.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert {row["model" if "model" in row else "repeat"] for row in rows} == trained
    assert {row["epoch"] for row in rows} == {str(epoch) for epoch in range(1, 7)}


@pytest.mark.parametrize("script, stale", [("lstm_classify.py", "lstm_classify_heldout.csv"),
                                           ("compare_directions.py", "compare_directions_summary.csv")])
def test_a_stop_in_the_first_run_leaves_no_earlier_runs_results_beside_the_new_curves(
        tmp_path, monkeypatch, script, stale):
    (tmp_path / stale).write_text("an earlier run's\n")
    (tmp_path / f"{Path(script).stem}_sequences.png").write_bytes(b"an earlier run's picture")
    train_block = training.Trainer.train_block

    def stop_after_one_block(self, *args, **kwargs):
        STOP.request(130)
        return train_block(self, *args, **kwargs)

    monkeypatch.setattr(training.Trainer, "train_block", stop_after_one_block)
    assert run_main(script, monkeypatch, *TINY, "--epochs", "120", "--output-dir", tmp_path, "--quiet") == 130
    stem = Path(script).stem
    assert names(tmp_path) == [f"{stem}.csv", f"{stem}.png"]
    with open(tmp_path / f"{stem}.csv", newline="") as file:
        assert max(int(row["epoch"]) for row in csv.DictReader(file)) == 50  # one block of epochs


def test_a_comparison_stopped_mid_run_plots_the_paired_runs_its_summary_compares(tmp_path, monkeypatch):
    measure, measured = training.accuracy, []

    def stop_once_three_runs_are_measured(*args):  # bilstm_sum twice, bilstm_con once
        measured.append(args)
        if len(measured) == 3:
            STOP.request(130)
        return measure(*args)

    kept, save_figure = [], plots.save_figure

    def keep_plot(fig, path, show=False):
        ax = fig.axes[0]
        kept.append((ax.get_title(), {line.get_label(): line.get_ydata() for line in ax.get_lines()}))
        return save_figure(fig, path, show)

    monkeypatch.setattr(training, "accuracy", stop_once_three_runs_are_measured)
    monkeypatch.setattr(plots, "save_figure", keep_plot)
    assert run_main("compare_merge_modes.py", monkeypatch, *TINY, "--modes", "sum,concat", "--repeats", "3",
                    "--no-batch-repeats", "--smooth", "1", "--output-dir", tmp_path, "--quiet") == 130
    with open(tmp_path / "compare_merge_modes.csv", newline="") as file:
        losses = {}
        for row in csv.DictReader(file):
            losses.setdefault((row["model"], row["repeat"]), []).append(float(row["loss"]))
    # The CSV keeps every finished run; the summary, the runs both models finished.
    assert set(losses) == {("bilstm_sum", "0"), ("bilstm_sum", "1"), ("bilstm_con", "0")}
    with open(tmp_path / "compare_merge_modes_summary.csv", newline="") as file:
        assert [(row["model"], row["repeats"]) for row in csv.DictReader(file)] == [
            ("bilstm_sum", "1"), ("bilstm_con", "1")]
    # The plot compares the same pair as the summary, repeat 0 of each, and says so.
    [(title, lines)] = kept
    assert "\none run" in title and "mean of" not in title and "partial" in title
    np.testing.assert_allclose(lines["bilstm_sum"], losses["bilstm_sum", "0"])
    np.testing.assert_allclose(lines["bilstm_con"], losses["bilstm_con", "0"])


def test_a_signal_while_saving_lets_the_saving_finish_then_stops(tmp_path, monkeypatch, capfd):
    save_csv, calls = files.save_csv, []

    def interrupted_save(frame, path):
        if not calls:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C as the first file is being written
        calls.append(path)
        return save_csv(frame, path)

    monkeypatch.setattr(files, "save_csv", interrupted_save)
    STOP.install()
    try:
        status = run_main("compare_merge_modes.py", monkeypatch, *TINY, "--modes", "sum",
                          "--output-dir", tmp_path, "--quiet")
    finally:
        STOP.uninstall()
    assert status == 130
    assert names(tmp_path) == ["compare_merge_modes.csv", "compare_merge_modes.png",
                               "compare_merge_modes_summary.csv"]
    summary = (tmp_path / "compare_merge_modes_summary.csv").read_text()
    assert summary.startswith("model,repeats,") and "bilstm_sum" in summary
    err = capfd.readouterr().err
    assert "finishing saving first" in err and "Stopped after saving" in err
    assert np.isfinite(float(summary.splitlines()[1].split(",")[2]))
