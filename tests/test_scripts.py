"""Every script run as a reader runs it: a subprocess, tiny settings, a temporary folder."""

import csv
import importlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import startup

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--epochs", "6", "--eval-sequences", "20", "--timesteps", "6", "--units", "4"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def environment(**extra):
    """The environment of a reader who has not set TF_CPP_MIN_LOG_LEVEL, as this session
    started, before Keras' backend changed it."""
    variables = {**startup.USER_ENVIRONMENT, "PYTHONUNBUFFERED": "1", **extra}
    variables.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return variables


def run(script, *args, env=None):
    return subprocess.run([sys.executable, script, *map(str, args)], cwd=ROOT,
                          env=environment(**(env or {})), capture_output=True, text=True,
                          timeout=300, check=False)


def header(path):
    with open(path, newline="") as file:
        return next(csv.reader(file))


def rows(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


@pytest.mark.parametrize("script, extra", [
    ("lstm_classify.py", []),
    ("bilstm_classify.py", ["--merge-mode", "sum", "--loop", "fit"]),
])
def test_classifier_writes_plot_and_curves_and_prints_the_example(tmp_path, script, extra):
    result = run(script, *TINY, "--repeats", "2", "--output-dir", tmp_path, *extra)
    assert result.returncode == 0, result.stderr
    name = Path(script).stem
    assert (tmp_path / f"{name}.png").read_bytes().startswith(PNG_MAGIC)
    assert header(tmp_path / f"{name}.csv") == ["repeat", "epoch", "loss", "accuracy"]
    table = rows(tmp_path / f"{name}.csv")
    assert len(table) == 2 * 6
    assert [r["epoch"] for r in table[:6]] == ["1", "2", "3", "4", "5", "6"]
    assert "step      x  total  expected  predicted" in result.stdout
    assert sum(line.lstrip()[:1].isdigit() for line in result.stdout.splitlines()) >= 6
    assert "timesteps labelled correctly" in result.stdout
    assert "Traceback" not in result.stderr
    held_out = rows(tmp_path / f"{name}_heldout.csv")
    assert [r["repeat"] for r in held_out] == ["0", "1"]
    assert all(0 <= float(r["timestep_accuracy"]) <= 1 for r in held_out)
    assert all(0 <= float(r["sequence_accuracy"]) <= float(r["timestep_accuracy"]) for r in held_out)
    # No leftovers from the atomic writes.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{name}.csv", f"{name}.png", f"{name}_heldout.csv"]


@pytest.mark.parametrize("script, extra, models", [
    ("compare_directions.py", [], ["lstm_forw", "lstm_back", "bilstm_con"]),
    ("compare_directions.py", ["--article-backwards"], ["lstm_forw", "lstm_back", "bilstm_con"]),
    ("compare_merge_modes.py", ["--modes", "mul,concat"], ["bilstm_mul", "bilstm_con"]),
])
def test_comparison_writes_plot_curves_and_summary(tmp_path, script, extra, models):
    result = run(script, *TINY, "--repeats", "2", "--output-dir", tmp_path, *extra)
    assert result.returncode == 0, result.stderr
    name = Path(script).stem
    assert (tmp_path / f"{name}.png").read_bytes().startswith(PNG_MAGIC)
    assert header(tmp_path / f"{name}.csv") == ["model", "repeat", "epoch", "loss"]
    table = rows(tmp_path / f"{name}.csv")
    assert len(table) == len(models) * 2 * 6
    assert list(dict.fromkeys(r["model"] for r in table)) == models
    summary = rows(tmp_path / f"{name}_summary.csv")
    assert [r["model"] for r in summary] == models
    assert {"mean_loss", "mean_loss_low", "last_loss", "timestep_accuracy", "sequence_accuracy",
            "epochs_to_threshold", "reached", "diff_mean_loss_high"} <= set(summary[0])
    for model in models:
        assert model in result.stdout


def test_same_seed_gives_byte_identical_csv(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        result = run("compare_merge_modes.py", *TINY, "--modes", "sum", "--repeats", "2",
                     "--output-dir", folder, "--seed", "5", "--quiet")
        assert result.returncode == 0, result.stderr
    for name in ("compare_merge_modes.csv", "compare_merge_modes_summary.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    other = run("compare_merge_modes.py", *TINY, "--modes", "sum", "--repeats", "2",
                "--output-dir", tmp_path / "other", "--seed", "6", "--quiet")
    assert other.returncode == 0, other.stderr
    assert (tmp_path / "other" / "compare_merge_modes.csv").read_bytes() != (
        first / "compare_merge_modes.csv").read_bytes()


def test_saved_model_loads_back_and_predicts_the_same(tmp_path):
    model_path = tmp_path / "models" / "bilstm.keras"
    result = run("bilstm_classify.py", *TINY, "--output-dir", tmp_path, "--save-model", model_path,
                 "--quiet")
    assert result.returncode == 0, result.stderr
    printed = [line.split() for line in result.stdout.splitlines() if line[:4].strip().isdigit()]
    printed_predictions = [int(fields[4]) for fields in printed]
    check = (
        "import sys, keras\n"
        "from harness import cli\n"
        "from harness.training import example_sequence, predict_classes\n"
        "model = keras.saving.load_model(sys.argv[1])\n"
        "X, _ = example_sequence(1, 6)\n"
        "print(' '.join(map(str, predict_classes(model, X).ravel())))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", check, str(model_path)], cwd=ROOT,
                            env=environment(), capture_output=True, text=True, timeout=120,
                            check=False)
    assert loaded.returncode == 0, loaded.stderr
    assert list(map(int, loaded.stdout.split())) == printed_predictions
    assert len(printed_predictions) == 6


def test_verbose_2_prints_one_line_per_epoch_and_quiet_prints_no_progress(tmp_path):
    verbose = run("lstm_classify.py", *TINY, "--output-dir", tmp_path, "--verbose", "2")
    epochs = [line for line in verbose.stdout.splitlines() if line.startswith("Epoch ")]
    assert [line.split()[1] for line in epochs] == [f"{e}/6" for e in range(1, 7)]
    assert "loss:" in epochs[0] and "accuracy:" in epochs[0]
    quiet = run("lstm_classify.py", *TINY, "--output-dir", tmp_path, "--quiet")
    assert "epoch" not in quiet.stderr.lower() and "Epoch" not in quiet.stdout
    assert "expected" in quiet.stdout


def test_progress_names_the_model_and_repeat(tmp_path):
    from harness.training import batches_repeats

    result = run("compare_directions.py", *TINY, "--repeats", "2", "--output-dir", tmp_path)
    together = batches_repeats()  # on JAX the two repeats train together
    assert f"bilstm_con, {'repeats 1-2/2' if together else 'repeat 2/2'}: epoch 6/6" in result.stderr


@pytest.mark.parametrize("script, args, option", [
    ("lstm_classify.py", ["--timesteps", "0"], "--timesteps"),
    ("lstm_classify.py", ["--timesteps", "-3"], "--timesteps"),
    ("bilstm_classify.py", ["--timesteps", "abc"], "--timesteps"),
    ("bilstm_classify.py", ["--timesteps", "1.5"], "--timesteps"),
    ("lstm_classify.py", ["--units", "0"], "--units"),
    ("compare_directions.py", ["--epochs", "0"], "--epochs"),
    ("compare_directions.py", ["--epochs", "-5"], "--epochs"),
    ("compare_directions.py", ["--repeats", "0"], "--repeats"),
    ("lstm_classify.py", ["--seed", "abc"], "--seed"),
    ("bilstm_classify.py", ["--merge-mode", "max"], "--merge-mode"),
    ("compare_merge_modes.py", ["--modes", "foo"], "--modes"),
    ("compare_merge_modes.py", ["--modes", ""], "--modes"),
    ("compare_merge_modes.py", ["--modes", "sum,bar"], "--modes"),
    ("compare_directions.py", ["--threshold", "x"], "--threshold"),
    ("lstm_classify.py", ["--save-model", "model.h5"], "--save-model"),
])
def test_bad_input_is_refused_in_one_line_with_status_2(tmp_path, capsys, monkeypatch, script,
                                                        args, option):
    # In-process for speed: the same main() a subprocess runs, minus TensorFlow's start-up.
    monkeypatch.setattr(sys, "argv", [script])
    module = importlib.import_module(Path(script).stem)
    output = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        module.main([*args, "--output-dir", str(output)])
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{script}: error: argument {option}")
    assert not output.exists()
    assert out == ""


@pytest.mark.parametrize("script, args", [
    ("lstm_classify.py", ["--timesteps", "abc"]),
    ("compare_merge_modes.py", ["--modes", "foo"]),
])
def test_bad_input_in_a_real_process_prints_no_traceback(tmp_path, script, args):
    result = run(script, *args, "--output-dir", tmp_path / "out")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"{script}: error: argument ")
    assert not (tmp_path / "out").exists()


def test_output_dir_below_a_regular_file_is_refused(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    result = run("compare_merge_modes.py", "--output-dir", blocker / "results")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"compare_merge_modes.py: error: argument --output-dir: cannot create "
        f"'{blocker / 'results'}': '{blocker}' is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_an_unusable_keras_backend_is_refused_at_once_with_the_fix(tmp_path):
    result = run("lstm_classify.py", "--output-dir", tmp_path / "out", env={"KERAS_BACKEND": "jax.numpy"})
    assert result.returncode == 2
    assert result.stderr.startswith("lstm_classify.py: error: KERAS_BACKEND=jax.numpy is not a backend")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_ctrl_c_saves_the_finished_epochs_and_exits_130(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "lstm_classify.py", "--epochs", "1000000", "--verbose", "2",
         "--units", "4", "--output-dir", str(tmp_path)],
        cwd=ROOT, env=environment(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until training has started
        if process.stdout.readline().startswith("Epoch "):
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "saved the finished epochs" in stderr
    table = rows(tmp_path / "lstm_classify.csv")
    assert 0 < len(table) < 1000000
    assert [int(r["epoch"]) for r in table] == list(range(1, len(table) + 1))
    assert (tmp_path / "lstm_classify.png").read_bytes().startswith(PNG_MAGIC)
