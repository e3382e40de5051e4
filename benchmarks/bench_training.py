"""How fast is each training loop, on each Keras backend installed here, and where does a
script's time go?

Times the article's protocol (one fresh sequence and one Adam update per epoch) on the
LSTM and the bidirectional LSTM of the article (10 timesteps, 20 units):

1. Milliseconds per epoch of three loops: ``fit`` (``model.fit`` per sequence, the article's
   loop), ``train_on_batch`` per sequence (the usual manual loop), and ``compiled``
   (``bilstm_companion.article.training.Trainer``'s loop, many epochs per call).
2. Milliseconds per run-epoch when R runs of 250 epochs train: together in one compiled
   program where the backend can (JAX), else one at a time. Set-up of every run included.
3. How the compiled loop's one-off compilation is spread over more epochs.
4. Where the time of ``python bilstm_classify.py`` goes: start-up, building the model,
   compiling, training, evaluating, saving. On JAX twice: with an empty compilation cache
   and with the cache a first run left.
5. Whole script runs, start-up included.

A Keras process runs one backend, so each backend is measured in processes of its own
(this script again, with ``--worker``); the tables put them side by side. The last line is
``compiled vs fit: N.Nx`` for the bidirectional LSTM on TensorFlow.

Usage:
    python benchmarks/bench_training.py
    python benchmarks/bench_training.py --backends jax --fit-epochs 50 --skip-scripts
    python benchmarks/bench_training.py --device gpu   # on a machine with a GPU
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("tensorflow", "jax", "torch")
WARM_UP = 5  # epochs run before timing, so tracing is not counted as per-epoch cost
# (timesteps, epochs) of the runs that show compilation spread over more epochs.
AMORTISATION = ((10, 50), (10, 250), (10, 1000), (10, 5000), (100, 250), (1000, 100))
REPEATS = (1, 5, 20, 100)
SLOW_REPEATS = 5  # PyTorch trains one sequence at a time, eagerly: more would take minutes


# Measurements, made inside one backend's process ------------------------------------------

def import_everything(device="cpu"):
    """Import what ``bilstm_classify.py`` imports, and start the backend for ``device`` as its
    ``main`` does; return the seconds since this process began."""
    sys.path.insert(0, str(ROOT))
    from bilstm_companion import startup

    startup.start_backend(device)
    import keras  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import pandas  # noqa: F401

    import bilstm_classify  # noqa: F401
    return time.perf_counter() - STARTED


def measure_phases(device):
    """Seconds of each step of ``python bilstm_classify.py`` at its defaults, in order."""
    phases = {"start-up (imports)": import_everything(device)}
    from bilstm_classify import STEPS, build_bilstm
    from bilstm_companion import backend, files, plots
    from bilstm_companion.article.defaults import CLASSIFIER_EPOCHS
    from bilstm_companion.article.training import Trainer, accuracy, held_out_set, repeat_seeds

    def timed(name, work):
        start = time.perf_counter()
        result = work()
        phases[name] = time.perf_counter() - start
        return result

    backend.seed_everything(1)
    weights_seed, rng = repeat_seeds(1, 0)
    trainer = Trainer(lambda: build_bilstm(10, 20), STEPS)
    timed("build the model", lambda: trainer.start_run(weights_seed))
    blocks = []
    start = time.perf_counter()
    history = trainer.run(CLASSIFIER_EPOCHS, 10, rng, weights_seed,
                          on_block=lambda *_: blocks.append(time.perf_counter()))
    phases["compile (and train the first block)"] = blocks[0] - start
    phases[f"train epochs 51 to {CLASSIFIER_EPOCHS}"] = blocks[-1] - blocks[0]
    X, y = held_out_set(1, 1000, 10)
    timed("evaluate on 1000 held-out sequences", lambda: accuracy(trainer.predict(X)[0], y))
    import pandas as pd

    curves = pd.DataFrame({"repeat": 0, "epoch": range(1, history.epochs + 1),
                           "loss": history.loss, "accuracy": history.accuracy})
    with tempfile.TemporaryDirectory() as folder:
        timed("save the CSV and the plot", lambda: (
            files.save_csv(curves, Path(folder) / "curves.csv"),
            plots.plot_training(curves, Path(folder) / "curves.png", title="t", smooth=50)))
    return phases


def one_run_data(n_epochs, n_timesteps, seed=0):
    """Sequences for one run, shaped as a Trainer's block takes them: ``(1, n, timesteps, 1)``."""
    import numpy as np

    from sequence import get_sequences

    X, y = get_sequences(n_epochs, n_timesteps, np.random.default_rng(seed))
    return X[None], y[None]


def time_trainer(build, loop, n_epochs, n_timesteps=10):
    """Seconds per epoch of a Trainer's loop, after a warm-up block (not timed)."""
    import numpy as np

    from bilstm_classify import STEPS
    from bilstm_companion.article.training import Trainer

    trainer = Trainer(build, STEPS, loop=loop)
    model = trainer.start_run(0)
    if loop == "fit":  # the script's own loop, a fresh sequence and a fit per epoch
        STEPS.train(model, n_timesteps, WARM_UP, np.random.default_rng(1))
        start = time.perf_counter()
        STEPS.train(model, n_timesteps, n_epochs, np.random.default_rng(0))
        return (time.perf_counter() - start) / n_epochs
    trainer.train_block(*one_run_data(WARM_UP, n_timesteps, seed=1))  # the compiled loop compiles here
    X, y = one_run_data(n_epochs, n_timesteps)
    start = time.perf_counter()
    for first in range(0, n_epochs, trainer.block_size):
        block = slice(first, first + trainer.block_size)
        trainer.train_block(X[:, block], y[:, block])
    return (time.perf_counter() - start) / n_epochs


def time_train_on_batch(build, n_epochs, n_timesteps=10):
    """Seconds per epoch of a ``train_on_batch`` loop, after a warm-up (not timed)."""
    from bilstm_classify import STEPS
    from bilstm_companion.article.training import Trainer

    model = Trainer(build, STEPS, loop="fit").start_run(0)
    (X,), (y,) = one_run_data(n_epochs + WARM_UP, n_timesteps)
    for i in range(WARM_UP):
        model.train_on_batch(X[i : i + 1], y[i : i + 1])
    start = time.perf_counter()
    for i in range(WARM_UP, WARM_UP + n_epochs):
        model.train_on_batch(X[i : i + 1], y[i : i + 1])
    return (time.perf_counter() - start) / n_epochs


def time_repeats(build, repeats, together, n_epochs=250):
    """Seconds per run-epoch of ``repeats`` runs, compilation not included: with the set-up
    of every run (building a model for its fresh weights), and without it."""
    from bilstm_classify import STEPS
    from bilstm_companion.article.training import Trainer, iter_stacked_blocks, repeat_seeds

    trainer = Trainer(build, STEPS)
    group = repeats if together else 1
    warm_up = [repeat_seeds(99, r) for r in range(group)]
    trainer.run_together(WARM_UP, 10, [rng for _, rng in warm_up], [s for s, _ in warm_up])
    seeds, rngs = zip(*(repeat_seeds(0, r) for r in range(repeats)))
    set_up = training = 0.0
    for first in range(0, repeats, group):  # what run_together does, each part timed
        start = time.perf_counter()
        trainer.start_runs(seeds[first : first + group])
        set_up += time.perf_counter() - start
        blocks = list(iter_stacked_blocks(n_epochs, 10, rngs[first : first + group], trainer.block_size))
        start = time.perf_counter()
        for X, y in blocks:
            trainer.train_block(X, y)  # returns NumPy arrays: the work is done when it returns
        training += time.perf_counter() - start
    return (set_up + training) / (n_epochs * repeats), training / (n_epochs * repeats)


def compiled_runs(build, n_epochs, n_timesteps):
    """Seconds of a first run (compilation included), and per epoch of a second one."""
    import numpy as np

    from bilstm_classify import STEPS
    from bilstm_companion.article.training import Trainer, forget_compiled

    forget_compiled()  # a first run as in a new process: the earlier figures compiled it too
    trainer = Trainer(build, STEPS)
    start = time.perf_counter()
    trainer.run(n_epochs, n_timesteps, np.random.default_rng(0), weights_seed=0)
    first = time.perf_counter() - start
    start = time.perf_counter()
    trainer.run(n_epochs, n_timesteps, np.random.default_rng(1), weights_seed=1)
    return first, (time.perf_counter() - start) / n_epochs


def measure(args):
    """Every per-epoch figure for the backend this process runs on, as a dict."""
    import_everything(args.device)
    from bilstm_classify import build_bilstm
    from bilstm_companion import backend as backend_module
    from bilstm_companion.article.training import trains_runs_together
    from lstm_classify import build_lstm

    if args.device == "gpu" and not backend_module.visible_gpus():
        sys.exit(f"--device gpu: no GPU is visible to {backend_module.name()} here")
    backend_module.seed_everything(0)
    backend = backend_module.name()
    models = {"LSTM": lambda: build_lstm(10, 20), "BiLSTM": lambda: build_bilstm(10, 20, "concat")}
    result = {"backend": backend, "per_epoch": {}, "repeats": {}, "amortisation": []}
    for name, build in models.items():
        result["per_epoch"][name] = {
            "fit": time_trainer(build, "fit", args.fit_epochs),
            "train_on_batch": time_train_on_batch(build, args.fit_epochs),
            "compiled": time_trainer(build, "compiled", args.compiled_epochs),
        }
    bilstm = models["BiLSTM"]
    ways = {"together": True, "one at a time": False} if trains_runs_together() else {"one at a time": False}
    for way, together in ways.items():
        counts = REPEATS if backend != "torch" else [r for r in REPEATS if r <= SLOW_REPEATS]
        result["repeats"][way] = {r: time_repeats(bilstm, r, together) for r in counts}
    if backend == "torch" and args.torch_compile:
        result["torch_compile"] = time_torch_compile(build_bilstm(10, 20, "concat"), args.fit_epochs)
    if backend != "torch":  # nothing is compiled on PyTorch, and its loop is too slow for this
        for n_timesteps, n_epochs in AMORTISATION:
            first, per_epoch = compiled_runs(lambda n=n_timesteps: build_bilstm(n, 20), n_epochs,
                                             n_timesteps)
            result["amortisation"].append((n_timesteps, n_epochs, first, per_epoch))
    return result


def time_torch_compile(model, n_epochs):
    """Seconds of the first 10 epochs (compiling, and compiling again as guards change), and
    per epoch after them, of the PyTorch loop's update under torch.compile."""
    import keras
    import numpy as np
    import torch

    from bilstm_companion.article.loop_common import compile_model

    compile_model(model).optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.BinaryCrossentropy()
    weights = model.trainable_weights

    def forward_backward(x, y):
        loss = loss_fn(y, model(x, training=True))
        loss.backward()
        return loss

    compiled = torch.compile(forward_backward)
    X = np.random.default_rng(0).random((n_epochs + 10, 1, 10, 1)).astype(np.float32)
    y = (np.cumsum(X, axis=2) >= 2.5).astype(np.float32)
    times = []
    for x_i, y_i in zip(torch.as_tensor(X), torch.as_tensor(y)):
        start = time.perf_counter()
        model.zero_grad()
        compiled(x_i, y_i)
        with torch.no_grad():
            model.optimizer.apply([w.value.grad for w in weights], weights)
        times.append(time.perf_counter() - start)
    return sum(times[:10]), sum(times[10:]) / n_epochs


# The tables, in the parent process ----------------------------------------------------------

def worker(backend, args, *extra, environment=None):
    """Run this script with ``--worker`` on ``backend``; return what it measured."""
    command = [sys.executable, __file__, "--worker", "--fit-epochs", str(args.fit_epochs),
               "--compiled-epochs", str(args.compiled_epochs), "--device", args.device, *extra]
    if args.torch_compile:
        command.append("--torch-compile")
    environment = {**os.environ, **(environment or {}), "KERAS_BACKEND": backend}
    done = subprocess.run(command, env=environment, cwd=ROOT, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        sys.exit(f"measuring {backend} failed: {done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def time_script(backend, device, *args):
    """Seconds for a whole run of a script, start-up included."""
    environment = {**os.environ, "KERAS_BACKEND": backend}
    start = time.perf_counter()
    subprocess.run([sys.executable, *args, "--device", device, "--quiet",
                    "--output-dir", str(ROOT / "results" / "bench")],
                   cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def print_per_epoch(results):
    print("1. The article's protocol, 10 timesteps, 20 units: milliseconds per epoch, and speed-up over fit")
    print(f"{'backend':10s} {'model':7s} {'fit':>8s} {'train_on_batch':>15s} {'compiled':>9s} "
          f"{'compiled vs fit':>16s}")
    for result in results:
        for model, times in result["per_epoch"].items():
            print(f"{result['backend']:10s} {model:7s} {times['fit'] * 1e3:8.2f} "
                  f"{times['train_on_batch'] * 1e3:15.2f} {times['compiled'] * 1e3:9.3f} "
                  f"{times['fit'] / times['compiled']:15.1f}x")
    for result in results:
        if "torch_compile" in result:
            first, per_epoch = result["torch_compile"]
            print(f"torch.compile of the PyTorch loop's update, BiLSTM: first 10 epochs (compiling) "
                  f"{first:.1f} s, then {per_epoch * 1e3:.2f} ms per epoch")


def print_repeats(results):
    print("\n2. R runs of the BiLSTM, 250 epochs each, compiled loop: milliseconds per run-epoch,")
    print("   training alone, then with the set-up of every run (building a model for its fresh")
    print("   weights); the sequences drawn beforehand, compilation not included")
    print(f"{'backend':10s} {'runs train':14s} {'':13s}" + "".join(f"{f'R={r}':>9s}" for r in REPEATS))
    for result in results:
        for way, times in result["repeats"].items():
            for index, what in ((1, "training"), (0, "+ set-up")):
                cells = "".join(f"{times[str(r)][index] * 1e3:9.3f}" if str(r) in times else f"{'-':>9s}"
                                for r in REPEATS)
                print(f"{result['backend']:10s} {way:14s} {what:13s}{cells}")


def print_amortisation(results):
    print("\n3. Compiled loop, BiLSTM: a first run (compilation included), then a second run of the same")
    print("   size (fresh weights, no compilation); both include setting up the run")
    print(f"{'backend':10s} {'timesteps':>9s} {'epochs':>7s} {'1st run s':>10s} {'1st run ms/epoch':>17s} "
          f"{'2nd run ms/epoch':>17s}")
    for result in results:
        for n_timesteps, n_epochs, first, per_epoch in result["amortisation"]:
            print(f"{result['backend']:10s} {n_timesteps:9d} {n_epochs:7d} {first:10.2f} "
                  f"{first / n_epochs * 1e3:17.2f} {per_epoch * 1e3:17.3f}")


def print_phases(backends, args):
    print("\n4. Where the time of `python bilstm_classify.py` goes (seconds; the script's own steps,")
    print("   timed in a fresh process)")
    columns = {}
    for backend in backends:
        if backend == "jax":
            with tempfile.TemporaryDirectory() as cache:
                environment = {"JAX_COMPILATION_CACHE_DIR": cache}
                columns["jax, cold cache"] = worker(backend, args, "--phases", environment=environment)
                columns["jax, warm cache"] = worker(backend, args, "--phases", environment=environment)
        else:
            columns[backend] = worker(backend, args, "--phases")
    names = list(next(iter(columns.values())))
    print(f"{'':38s}" + "".join(f"{column:>17s}" for column in columns))
    for name in [*names, "total"]:
        cells = "".join(f"{sum(c.values()) if name == 'total' else c[name]:17.2f}" for c in columns.values())
        print(f"{name:38s}{cells}")


def print_scripts(backends, args):
    print("\n5. Whole process, seconds (start-up included; JAX's compilation cache as a first run left it)")
    commands = {
        "bilstm_classify.py --epochs 400": ("bilstm_classify.py", "--epochs", "400"),
        "... --loop fit": ("bilstm_classify.py", "--epochs", "400", "--loop", "fit"),
        "compare_merge_modes.py --repeats 2": ("compare_merge_modes.py", "--repeats", "2"),
        "... --repeats 20": ("compare_merge_modes.py", "--repeats", "20"),
    }
    print(f"{'':36s}" + "".join(f"{backend:>11s}" for backend in backends))
    for label, command in commands.items():
        cells = ""
        for backend in backends:
            if backend == "torch" and "20" in command:  # minutes: PyTorch trains one sequence at a time
                cells += f"{'-':>11s}"
                continue
            if backend == "jax":
                time_script(backend, args.device, *command)  # once to fill the cache, not timed
            cells += f"{time_script(backend, args.device, *command):11.1f}"
        print(f"{label:36s}{cells}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--backends", default=",".join(BACKENDS), metavar="LIST",
                        help="backends to measure, those installed of them (default: "
                             f"{','.join(BACKENDS)})")
    parser.add_argument("--fit-epochs", type=int, default=100, metavar="N",
                        help="epochs timed for the fit and train_on_batch loops (default: 100)")
    parser.add_argument("--compiled-epochs", type=int, default=2000, metavar="N",
                        help="epochs timed for the compiled loop (default: 2000)")
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                        help="where the loops train: the scripts' --device (default: cpu)")
    parser.add_argument("--torch-compile", action="store_true",
                        help="also time torch.compile of the PyTorch loop (a minute or more to "
                             "compile; default: off)")
    parser.add_argument("--skip-scripts", action="store_true",
                        help="skip the tables of whole script runs, 4 and 5 (default: off)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phases", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure_phases(args.device) if args.phases else measure(args)))
        return 0
    backends = [b for b in args.backends.split(",") if importlib.util.find_spec(b) is not None]
    missing = sorted(set(args.backends.split(",")) - set(backends))
    if missing:
        print(f"Not installed, not measured: {', '.join(missing)}\n")
    results = [worker(backend, args) for backend in backends]
    print_per_epoch(results)
    print_repeats(results)
    print_amortisation(results)
    if not args.skip_scripts:
        print_phases(backends, args)
        print_scripts(backends, args)
    for result in results:
        if result["backend"] == "tensorflow":
            times = result["per_epoch"]["BiLSTM"]
            print(f"\ncompiled vs fit: {times['fit'] / times['compiled']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
