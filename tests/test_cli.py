"""The shared command-line pieces: refusals, progress, Ctrl-C and atomic writes."""

import argparse
import contextlib
import importlib
import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from processes import environment

from bilstm_companion import backend, cli, files, options, plots, startup, stopping
from bilstm_companion.article import command
from bilstm_companion.progress import Progress
from bilstm_companion.stopping import SIGNALS, STOP, friendly_exit


def refusal(capsys, call, *args):
    """Run ``call(*args)``, which must exit 2; return the one line it printed on stderr."""
    with pytest.raises(SystemExit) as exit_info:
        call(*args)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1, err
    return err.strip()


@pytest.mark.parametrize("backend", ["numpy", "jax.numpy", "tf"])
def test_a_backend_this_project_cannot_train_with_is_refused(capsys, monkeypatch, backend):
    monkeypatch.setattr(sys, "argv", ["lstm_classify.py"])
    monkeypatch.setenv("KERAS_BACKEND", backend)
    message = refusal(capsys, startup.start_backend, "cpu")
    assert message.startswith(f"lstm_classify.py: error: KERAS_BACKEND={backend} is not a backend")
    assert "tensorflow, jax, torch" in message


def test_a_backend_that_is_not_installed_is_refused_with_its_install_command(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["compare_directions.py"])
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    message = refusal(capsys, startup.start_backend, "cpu")
    assert message == ("compare_directions.py: error: KERAS_BACKEND=jax but jax is not installed: "
                       "pip install -r requirements-jax.txt, or set KERAS_BACKEND to another of "
                       "tensorflow, jax, torch")


def test_a_backend_that_fails_to_import_is_refused_in_one_line(capsys, monkeypatch):
    def broken(name):
        raise ImportError("libcudnn.so.9: cannot open shared object file\nmore detail")

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(importlib, "import_module", broken)
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    message = refusal(capsys, startup.start_backend, "cpu")
    assert "importing torch failed (libcudnn.so.9: cannot open shared object file)" in message
    assert "pip install -r requirements-torch.txt" in message


def test_gpu_is_refused_where_the_backend_sees_none(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["lstm_classify.py"])
    monkeypatch.setattr(backend, "visible_gpus", lambda: 0)
    parser = command.classifier_parser("t\n")
    parser.prog = "lstm_classify.py"
    cli.start(parser, parser.parse_args([]))  # the CPU: no GPU asked for
    message = refusal(capsys, cli.start, parser, parser.parse_args(["--device", "gpu"]))
    assert message.startswith("lstm_classify.py: error: argument --device: no GPU is visible to Keras'")


# What a fresh process shows CUDA and JAX at the moment the backend's package is imported, when
# it starts the backend for a device: the variables they read there, and only there.
DEVICES_SEEN = """
import importlib.abc, json, os, sys
VARIABLES = ("CUDA_VISIBLE_DEVICES", "JAX_PLATFORMS", "KERAS_TORCH_DEVICE")
seen = {}

class WatchTheBackendsImport(importlib.abc.MetaPathFinder):
    # Notes the variables as the backend's package begins to run (finding it is not importing it).
    def find_spec(self, name, path, target=None):
        if name not in ("tensorflow", "jax", "torch"):
            return None
        spec = next(filter(None, (finder.find_spec(name, path, target) for finder in sys.meta_path
                                  if finder is not self and hasattr(finder, "find_spec"))), None)
        if spec is not None:
            run = spec.loader.exec_module

            def exec_module(module):
                # What the package would read, noted; the backend itself need not load for that.
                seen.update({variable: os.environ.get(variable) for variable in VARIABLES})
                os.write(saved_stdout, json.dumps(seen).encode())
                os._exit(0)

            spec.loader.exec_module = exec_module
        return spec

saved_stdout = os.dup(1)  # (TensorFlow's quiet import points the other descriptors elsewhere)
sys.meta_path.insert(0, WatchTheBackendsImport())
from bilstm_companion import startup
startup.start_backend(sys.argv[1])
"""


@pytest.mark.parametrize("device", ["cpu", "gpu"])
def test_the_cpu_hides_every_gpu_before_the_backend_starts_and_gpu_leaves_them(device):
    seen = subprocess.run([sys.executable, "-c", DEVICES_SEEN, device], capture_output=True, text=True,
                          env=environment(CUDA_VISIBLE_DEVICES="0", JAX_PLATFORMS="", KERAS_TORCH_DEVICE=""),
                          check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    seen = json.loads(seen)
    variables = (seen["CUDA_VISIBLE_DEVICES"], seen["JAX_PLATFORMS"], seen["KERAS_TORCH_DEVICE"])
    assert variables == (("", "cpu", "cpu") if device == "cpu" else ("0", "", ""))  # else: as the user set them


@pytest.mark.parametrize("text, ok", [("3", True), ("0", False), ("-1", False), ("1.5", False),
                                      ("abc", False), ("", False)])
def test_positive_int(text, ok):
    if ok:
        assert options.positive_int(text) == int(text)
    else:
        with pytest.raises(argparse.ArgumentTypeError, match="whole number above zero"):
            options.positive_int(text)


@pytest.mark.parametrize("text", ["0", "-0.1", "nan", "inf", "x"])
def test_positive_float_refuses(text):
    with pytest.raises(argparse.ArgumentTypeError, match="number above zero"):
        options.positive_float(text)


def test_progress_in_a_log_writes_only_at_a_modest_rate():
    stream = io.StringIO()
    progress = Progress(1000, verbose=1, label="lstm_forw, repeat 1/2", stream=stream)
    for done in range(50, 1001, 50):
        progress(done, np.full(50, 0.5), np.full(50, 0.9))
    lines = stream.getvalue().splitlines()
    assert lines == [lines[-1]]  # a fast run: just the final line
    assert lines[0].startswith("lstm_forw, repeat 1/2: epoch 1000/1000 [")
    assert "loss: 0.5000 - accuracy: 0.9000" in lines[0]


def test_progress_verbose_2_prints_every_epoch_and_0_prints_nothing(capsys):
    stream = io.StringIO()
    Progress(4, verbose=2, stream=stream)(4, np.array([0.4, 0.3, 0.2, 0.1]), np.ones(4))
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/4 - loss: 0.4000 - accuracy: 1.0000"
    assert len(out) == 4 and out[3].startswith("Epoch 4/4")
    Progress(4, verbose=0, stream=stream)(4, np.ones(4), np.ones(4))
    assert capsys.readouterr().out == "" and stream.getvalue() == ""


@pytest.fixture
def stop():
    """The process's stop handler, installed for one test."""
    STOP.install()
    yield STOP
    STOP.uninstall()


def test_in_training_the_first_signal_asks_for_a_stop_and_the_second_quits(stop, capfd):
    stop.enter("training")
    assert not stop()
    os.kill(os.getpid(), signal.SIGINT)
    assert stop() and stop.status == 130
    assert "finishing the current block" in capfd.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        os.kill(os.getpid(), signal.SIGTERM)
    assert exit_info.value.code == 130  # the first signal's status
    assert "quitting at once" in capfd.readouterr().err


def test_sigterm_means_the_same_as_ctrl_c_with_its_own_status(stop):
    stop.enter("training")
    os.kill(os.getpid(), signal.SIGTERM)
    assert stop() and stop.status == 143


def test_while_saving_a_signal_waits_for_the_saving_to_finish(stop, capfd):
    stop.enter("saving")
    os.kill(os.getpid(), signal.SIGINT)  # no exception: saving goes on
    assert stop.status == 130
    assert "finishing saving first" in capfd.readouterr().err


@pytest.mark.parametrize("phase, words", [("starting", "before training began; nothing was written"),
                                          ("reporting", "the results were saved before")])
def test_before_training_and_after_saving_a_signal_ends_the_program_at_once(stop, capfd, phase, words):
    stop.enter(phase)
    with pytest.raises(SystemExit) as exit_info:
        os.kill(os.getpid(), signal.SIGINT)
    assert exit_info.value.code == 130
    err = capfd.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


def test_uninstall_gives_the_handlers_back():
    # Whatever they were: Python's own, or "ignore" when a shell started the tests in the background.
    before = {number: signal.getsignal(number) for number in SIGNALS}
    STOP.install()
    try:
        assert all(signal.getsignal(number) == STOP._handle for number in SIGNALS)
    finally:
        STOP.uninstall()
    assert {number: signal.getsignal(number) for number in SIGNALS} == before


# Code whose every bytecode instruction is a moment to send the signal at: what runs as the
# scripts end. A call into any other code (the signal module, printing, a finalizer, a
# garbage-collection callback) is one such moment.
STEPPED = {stopping.__file__, contextlib.__file__, __file__}


def ctrl_c_as_the_program_ends(point):
    """End as the scripts end, the last line printed, then ``sys.exit(main())`` in
    ``friendly_exit``, with Ctrl-C sent at the ``point``-th step (``STEPPED``) while this
    process's handler still answers it; once Ctrl-C has the system's own action back,
    another stop signal that has not.

    Returns the exit status, and the signal sent: none past the point where every stop signal
    has the system's own action back, as it would end the test process.
    """
    STOP.enter("reporting")
    steps, sent, quits = 0, None, []
    STOP.quit_now = quits.append  # (as os._exit would, where an exit cannot be raised)

    def trace(frame, event, arg):
        nonlocal steps, sent
        steps += 1
        if steps > point:  # the signal's moment has passed: the rest runs untraced
            sys.settrace(None)
            return None
        answered = [number for number in SIGNALS if signal.getsignal(number) == STOP._handle]
        if steps == point and answered:
            sent = answered[0]
            os.kill(os.getpid(), sent)
        if frame.f_code.co_filename not in STEPPED:
            return None  # a call into other code is one step
        frame.f_trace_opcodes = True
        return trace

    ending = friendly_exit()

    def script_end():
        with ending:
            print("Saved results/lstm_classify.csv")
            sys.exit(0)

    with pytest.raises(SystemExit) as exit_info:
        sys.settrace(trace)
        try:
            script_end()
        finally:
            sys.settrace(None)
            del STOP.quit_now
            # A signal as ``with`` began leaves ``friendly_exit`` unfinished until Python
            # collects it, as the program ends: here, at once.
            ending.gen.close()
    return quits[0] if quits else exit_info.value.code, sent


def test_ctrl_c_at_any_step_of_the_programs_end_is_status_130_and_one_line(stop, capfd):
    before = {number: stop._previous[number] for number in SIGNALS}
    point, sent = 0, signal.SIGINT
    while sent:
        point += 1
        stop.uninstall()
        stop.install()
        status, sent = ctrl_c_as_the_program_ends(point)
        err = capfd.readouterr().err
        # From here on the system's own action answers: it ends the program (a shell shows 130),
        # where Python would otherwise print a handler's exception as a traceback, status 0.
        assert {number: signal.getsignal(number) for number in SIGNALS} == {
            number: signal.SIG_IGN if handler == signal.SIG_IGN else signal.SIG_DFL
            for number, handler in before.items()}
        if sent:
            assert status == 128 + sent, point
            assert err.startswith("Interrupted (") and err.count("\n") == 1, (point, err)
    assert status == 0 and err == ""
    assert point > 100  # the end was walked through step by step


class SignalledWhenCollected:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)  # the handler runs in here, where nothing can be raised


def test_an_exit_a_signal_asks_for_inside_a_finalizer_still_ends_the_program_at_once(stop, capfd,
                                                                                     monkeypatch):
    quits = []
    monkeypatch.setattr(stop, "quit_now", quits.append)  # (os._exit, which would end the tests)
    stop.enter("reporting")
    SignalledWhenCollected()
    assert quits == [130]
    err = capfd.readouterr().err
    assert err == "Interrupted (Ctrl-C); the results were saved before.\n"  # and no traceback


def test_text_a_console_cannot_encode_degrades_to_plain_ascii():
    cli.register_plain_text()
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="plain_text")
    stream.write("0.331 ± 0.030, a − b, 2×, ≥ 3, é\n")
    stream.flush()
    assert stream.buffer.getvalue() == b"0.331 +/- 0.030, a - b, 2x, >= 3, ?\n"


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "curves.csv"
    path.write_text("old\n")

    def broken(temporary):
        temporary.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        files.atomic_write(path, broken)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.csv"]
    files.save_csv(pd.DataFrame({"a": [1]}), path)
    assert path.read_text() == "a\n1\n"


def test_comparison_plot_of_an_interrupted_run(tmp_path, monkeypatch):
    # Repeat 1 of model b was stopped after 3 of 5 epochs; model c never started it. Each run
    # has a loss of its own, so that any other mixture of runs draws other lines.
    level = {"a": 0.1, "b": 0.2, "c": 0.3}
    frames = [pd.DataFrame({"model": m, "repeat": r, "epoch": range(1, n + 1), "loss": level[m] + 0.01 * r})
              for m, r, n in [("a", 0, 5), ("b", 0, 5), ("c", 0, 5), ("a", 1, 5), ("b", 1, 3)]]
    curves = pd.concat(frames, ignore_index=True)
    saved = {}
    original = plots.save_figure

    def keep_lines(fig, path, show=False):
        saved["lines"] = {line.get_label(): line.get_ydata() for line in fig.axes[0].get_lines()}
        saved["title"] = fig.axes[0].get_title()
        return original(fig, path, show)

    monkeypatch.setattr(plots, "save_figure", keep_lines)
    path = plots.plot_comparison(curves, tmp_path / "plot.png", title="t", smooth=2,
                                     partial=True)
    assert path.read_bytes().startswith(b"\x89PNG")
    # Every model's mean covers all 5 epochs: a's two runs, b's finished run alone (its cut-short
    # run left out, not averaged in where it has epochs), c's one run.
    assert set(saved["lines"]) == {"a", "b", "c"}
    np.testing.assert_allclose(saved["lines"]["a"], np.full(5, 0.105))
    np.testing.assert_allclose(saved["lines"]["b"], np.full(5, 0.2))
    np.testing.assert_allclose(saved["lines"]["c"], np.full(5, 0.3))
    assert "partial" in saved["title"]


def test_finished_runs_leave_out_a_run_cut_short():
    nan = np.nan
    table = np.array([[1.0, 2.0, 3.0], [4.0, nan, nan]])
    np.testing.assert_array_equal(plots.finished_runs(table), [[1.0, 2.0, 3.0]])
    # Only a cut-short run: keep what it finished.
    np.testing.assert_array_equal(plots.finished_runs(np.array([[4.0, 5.0, nan]])), [[4.0, 5.0]])
    # Runs trained together were all cut at the same epoch: keep them all.
    together = np.array([[1.0, 2.0, nan, nan], [3.0, 4.0, nan, nan], [5.0, nan, nan, nan]])
    np.testing.assert_array_equal(plots.finished_runs(together), [[1.0, 2.0], [3.0, 4.0]])


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_live_bar_redraws_in_place_and_leaves_no_stale_characters():
    stream = Terminal()
    progress = Progress(200, verbose=1, stream=stream)
    progress(100, np.full(100, 0.123456), np.full(100, 0.5))  # "... - 1s left"
    progress(200, np.full(100, 0.1), np.full(100, 0.5))       # "... - 0.0s", shorter
    first, second = stream.getvalue().split("\r")[1:]
    assert first.startswith("epoch 100/200 [============>")
    assert second.endswith("\n") and len(second.rstrip("\n")) >= len(first)
    assert second.startswith("epoch 200/200 [========================]")


def test_batch_repeats_is_on_where_the_backend_can_and_refused_where_asked_but_it_cannot(capsys):
    from bilstm_companion.article.training import trains_runs_together

    parser = command.make_parser("t\n", epochs=1, repeats=1, smooth=1)
    args = parser.parse_args([])
    command.settle_batch_repeats(parser, args)
    assert args.batch_repeats == trains_runs_together("compiled") == (backend.name() == "jax")
    args = parser.parse_args(["--no-batch-repeats"])
    command.settle_batch_repeats(parser, args)
    assert args.batch_repeats is False
    # The fit loop trains one model at a time on every backend.
    args = parser.parse_args(["--batch-repeats", "--loop", "fit"])
    message = refusal(capsys, command.settle_batch_repeats, parser, args)
    assert "argument --batch-repeats: the fit loop" in message and "only the compiled loop on JAX" in message
