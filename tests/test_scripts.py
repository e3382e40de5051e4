"""Every script run as a reader runs it: a real process, tiny settings, a temporary folder.

What a process alone shows is tested here: exit statuses, signals, a closed pipe, a console
that cannot print every character, no traceback. What a run computes and writes is tested
faster, in this process, in ``test_runs.py``.
"""

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from processes import environment

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--epochs", "6", "--eval-sequences", "20", "--timesteps", "6", "--units", "4"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(script, *args, env=None, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / script), *map(str, args)], cwd=cwd,
                          env=environment(**(env or {})), capture_output=True, text=True,
                          timeout=300, check=False)


def start(script, *args, **popen):
    return subprocess.Popen([sys.executable, script, *map(str, args)], cwd=ROOT, env=environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def rows(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def leftovers(folder):
    """Temporary files a run left behind (there should be none)."""
    return sorted(path.name for path in Path(folder).rglob(".*tmp*"))


# Each script, once, as a reader runs it ------------------------------------------------------

@pytest.mark.parametrize("script, extra", [
    ("lstm_classify.py", []),
    ("bilstm_classify.py", ["--merge-mode", "sum"]),
])
def test_classifier_writes_plot_and_curves_and_prints_the_example(tmp_path, script, extra):
    result = run(script, *TINY, "--repeats", "2", "--output-dir", tmp_path, "--quiet", *extra)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # not TensorFlow's start-up log either: the backend starts quietly
    name = Path(script).stem
    assert (tmp_path / f"{name}.png").read_bytes().startswith(PNG_MAGIC)
    table = rows(tmp_path / f"{name}.csv")
    assert list(table[0]) == ["repeat", "epoch", "loss", "accuracy"]
    assert len(table) == 2 * 6
    assert [r["epoch"] for r in table[:6]] == ["1", "2", "3", "4", "5", "6"]
    assert "step      x  total  expected  predicted" in result.stdout
    assert sum(line.lstrip()[:1].isdigit() for line in result.stdout.splitlines()) >= 6
    assert "timesteps labelled correctly" in result.stdout
    assert "Traceback" not in result.stderr
    held_out = rows(tmp_path / f"{name}_heldout.csv")
    assert [r["repeat"] for r in held_out] == ["0", "1"]
    assert all(0 <= float(r["sequence_accuracy"]) <= float(r["timestep_accuracy"]) <= 1
               for r in held_out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{name}.csv", f"{name}.png", f"{name}_heldout.csv", f"{name}_sequences.png"]


@pytest.mark.parametrize("script, extra, models, console", [
    ("compare_directions.py", [], ["lstm_forw", "lstm_back", "bilstm_con"], "utf-8"),
    # A console that cannot print every character: ± degrades to +/-, nothing fails.
    ("compare_merge_modes.py", ["--modes", "mul,concat"], ["bilstm_mul", "bilstm_con"], "ascii"),
])
def test_comparison_writes_plot_curves_and_summary(tmp_path, script, extra, models, console):
    result = run(script, *TINY, "--repeats", "2", "--output-dir", tmp_path, "--quiet", *extra,
                 env={"PYTHONIOENCODING": console})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert ("±" if console == "utf-8" else "+/-") in result.stdout
    name = Path(script).stem
    assert (tmp_path / f"{name}.png").read_bytes().startswith(PNG_MAGIC)
    table = rows(tmp_path / f"{name}.csv")
    assert list(table[0]) == ["model", "repeat", "epoch", "loss"]
    assert len(table) == len(models) * 2 * 6
    assert list(dict.fromkeys(r["model"] for r in table)) == models
    summary = rows(tmp_path / f"{name}_summary.csv")
    assert [r["model"] for r in summary] == models
    assert {"mean_loss", "mean_loss_low", "last_loss", "timestep_accuracy", "sequence_accuracy",
            "epochs_to_threshold", "reached", "diff_mean_loss_high"} <= set(summary[0])
    for model in models:
        assert model in result.stdout
    assert leftovers(tmp_path) == []


# Refusals ----------------------------------------------------------------------------------

def test_bad_input_in_a_real_process_is_one_line_and_nothing_written(tmp_path):
    result = run("compare_merge_modes.py", "--modes", "foo", cwd=tmp_path)  # results/ would go here
    assert result.returncode == 2
    assert result.stderr.startswith("compare_merge_modes.py: error: argument --modes: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_an_unusable_keras_backend_is_refused_at_once_with_the_fix(tmp_path):
    result = run("lstm_classify.py", env={"KERAS_BACKEND": "jax.numpy"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("lstm_classify.py: error: KERAS_BACKEND=jax.numpy is not a backend")
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


# Signals, pipes and consoles ---------------------------------------------------------------

def wait_for_epochs(process, timeout=180):
    """Read stdout until training prints its first epoch (--verbose 2)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.stdout.readline().startswith("Epoch "):
            return
    pytest.fail("training did not start")


# Ctrl-C (SIGINT) takes the same path with status 130: test_cli.py checks the handler.
@pytest.mark.parametrize("signal_number, status", [(signal.SIGTERM, 143)])
def test_a_stop_signal_in_training_saves_the_finished_epochs(tmp_path, signal_number, status):
    process = start("lstm_classify.py", "--epochs", "1000000", "--verbose", "2", "--units", "4",
                    "--output-dir", tmp_path)
    wait_for_epochs(process)
    process.send_signal(signal_number)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == status, stderr
    assert "Traceback" not in stderr
    assert "saved the finished epochs" in stderr
    table = rows(tmp_path / "lstm_classify.csv")
    assert 0 < len(table) < 1000000
    assert [int(r["epoch"]) for r in table] == list(range(1, len(table) + 1))
    assert (tmp_path / "lstm_classify.png").read_bytes().startswith(PNG_MAGIC)
    assert leftovers(tmp_path) == []


def handles(pid, signal_number):
    """Whether process ``pid`` has a handler of its own for ``signal_number`` (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
    return bool(caught >> (signal_number - 1) & 1)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_ctrl_c_while_the_backend_loads_is_one_line_and_nothing_written(tmp_path):
    process = start("compare_directions.py", "--output-dir", tmp_path / "out")
    # Python itself never catches SIGTERM: once it is caught, bilstm_companion.cli.run has installed
    # bilstm_companion.stopping's handler, and the backend has only begun to load.
    deadline = time.monotonic() + 60
    while not handles(process.pid, signal.SIGTERM) and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert stderr.strip() == "Interrupted (Ctrl-C) before training began; nothing was written."
    assert not (tmp_path / "out").exists()


# Runs a script with Ctrl-C sent from the last function Python runs at exit (the first one
# registered), after every library's: the files are saved, the last line printed. Ctrl-C
# starts with its usual meaning, as at a terminal: a test run started in the background (CI)
# may hand its processes SIGINT ignored, and then it would rightly change nothing.
CTRL_C_AT_EXIT = ("import atexit, os, runpy, signal, sys; "
                  "signal.signal(signal.SIGINT, signal.default_int_handler); "
                  "atexit.register(os.kill, os.getpid(), signal.SIGINT); "
                  "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")


def test_ctrl_c_as_the_program_ends_is_status_130_and_no_traceback(tmp_path):
    # test_cli.py sends the signal at every step of the script's own end; this is Python's.
    result = subprocess.run([sys.executable, "-c", CTRL_C_AT_EXIT, "lstm_classify.py", *TINY,
                             "--output-dir", tmp_path, "--quiet"], cwd=ROOT, env=environment(),
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode in (130, -signal.SIGINT), result.stderr  # (a shell shows both as 130)
    assert "Traceback" not in result.stderr and "SystemExit" not in result.stderr
    assert result.stdout.rstrip().splitlines()[-1].startswith("Saved ")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lstm_classify.csv", "lstm_classify.png", "lstm_classify_heldout.csv", "lstm_classify_sequences.png"]


def test_a_closed_pipe_ends_the_run_quietly_with_the_files_saved(tmp_path):
    # As `python compare_merge_modes.py --verbose 2 | head -1` does.
    process = start("compare_merge_modes.py", "--epochs", "100000", "--verbose", "2", "--units", "4",
                    "--output-dir", tmp_path)
    wait_for_epochs(process)
    process.stdout.close()
    stderr = process.stderr.read()
    process.wait(timeout=120)
    assert process.returncode == 141
    assert "Traceback" not in stderr and "Error" not in stderr
    table = rows(tmp_path / "compare_merge_modes.csv")
    assert 0 < len(table) < 4 * 5 * 100000
    assert (tmp_path / "compare_merge_modes.png").read_bytes().startswith(PNG_MAGIC)
    assert leftovers(tmp_path) == []
