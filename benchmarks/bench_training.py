"""How fast is each training loop, on each Keras backend installed here?

Times the article's protocol (one fresh sequence and one Adam update per epoch) on the
LSTM and the bidirectional LSTM of the article (10 timesteps, 20 units), three ways:

- fit: ``model.fit(X, y, epochs=1, batch_size=1)`` per sequence, the article's loop;
- train_on_batch: ``model.train_on_batch(X, y)`` per sequence, the usual manual loop;
- compiled: ``harness.training.Trainer``'s loop, many epochs per call.

A Keras process runs one backend, so each backend is measured in a process of its own
(this script again, with ``--worker``); the tables put them side by side. A second table
shows how the compiled loop's one-off compilation is spread over more epochs, and a third
times whole script runs. The last line is ``compiled vs fit: N.Nx`` for the bidirectional
LSTM on TensorFlow.

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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("tensorflow", "jax", "torch")
WARM_UP = 5  # epochs run before timing, so tracing is not counted as per-epoch cost
# (timesteps, epochs) of the runs that show compilation spread over more epochs.
AMORTISATION = ((10, 50), (10, 250), (10, 1000), (10, 5000), (100, 250), (1000, 100))


# Measurements, made inside one backend's process ------------------------------------------

def measure(args):
    """Every figure for the backend this process runs on, as a dict."""
    sys.path.insert(0, str(ROOT))
    from harness import cli  # noqa: I001  (first: it starts Keras' backend quietly)

    import keras
    import numpy as np

    from bilstm_classify import build_bilstm
    from harness.training import Trainer
    from lstm_classify import build_lstm
    from sequence import get_sequences

    if args.device == "gpu" and not cli.visible_gpus():
        sys.exit(f"--device gpu: no GPU is visible to {keras.backend.backend()} here")
    cli.seed_everything(0)

    def data(n_epochs, n_timesteps, seed=0):
        X, y = get_sequences(n_epochs, n_timesteps, np.random.default_rng(seed))
        return X[None], y[None]  # one run

    def time_trainer(build, loop, n_epochs, n_timesteps=10):
        """Seconds per epoch of a Trainer's loop, after a warm-up block (not timed)."""
        trainer = Trainer(build, loop=loop)
        trainer.start_run(0)
        trainer.train_block(*data(WARM_UP, n_timesteps, seed=1))  # the compiled loop compiles here
        X, y = data(n_epochs, n_timesteps)
        start = time.perf_counter()
        for first in range(0, n_epochs, trainer.block_size):
            block = slice(first, first + trainer.block_size)
            trainer.train_block(X[:, block], y[:, block])
        return (time.perf_counter() - start) / n_epochs

    def time_train_on_batch(build, n_epochs, n_timesteps=10):
        """Seconds per epoch of a ``train_on_batch`` loop, after a warm-up (not timed)."""
        model = Trainer(build, loop="fit").start_run(0)
        (X,), (y,) = data(n_epochs + WARM_UP, n_timesteps)
        for i in range(WARM_UP):
            model.train_on_batch(X[i : i + 1], y[i : i + 1])
        start = time.perf_counter()
        for i in range(WARM_UP, WARM_UP + n_epochs):
            model.train_on_batch(X[i : i + 1], y[i : i + 1])
        return (time.perf_counter() - start) / n_epochs

    def compiled_runs(build, n_epochs, n_timesteps):
        """Seconds of a first run (compilation included), and per epoch of a second one."""
        trainer = Trainer(build)
        start = time.perf_counter()
        trainer.run(n_epochs, n_timesteps, np.random.default_rng(0), weights_seed=0)
        first = time.perf_counter() - start
        start = time.perf_counter()
        trainer.run(n_epochs, n_timesteps, np.random.default_rng(1), weights_seed=1)
        return first, (time.perf_counter() - start) / n_epochs

    backend = keras.backend.backend()
    models = {"LSTM": lambda: build_lstm(10, 20), "BiLSTM": lambda: build_bilstm(10, 20, "concat")}
    result = {"backend": backend, "per_epoch": {}, "amortisation": []}
    for name, build in models.items():
        result["per_epoch"][name] = {
            "fit": time_trainer(build, "fit", args.fit_epochs),
            "train_on_batch": time_train_on_batch(build, args.fit_epochs),
            "compiled": time_trainer(build, "compiled", args.compiled_epochs),
        }
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

    from harness.training import compile_model

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

def run_worker(backend, args):
    command = [sys.executable, __file__, "--worker", "--fit-epochs", str(args.fit_epochs),
               "--compiled-epochs", str(args.compiled_epochs), "--device", args.device]
    if args.torch_compile:
        command.append("--torch-compile")
    environment = {**os.environ, "KERAS_BACKEND": backend}
    worker = subprocess.run(command, env=environment, cwd=ROOT, capture_output=True, text=True,
                            check=False)
    if worker.returncode != 0:
        sys.exit(f"measuring {backend} failed: {worker.stderr.strip()}")
    return json.loads(worker.stdout.strip().splitlines()[-1])


def time_script(backend, device, *args):
    """Seconds for a whole run of a script, start-up included."""
    environment = {**os.environ, "KERAS_BACKEND": backend}
    start = time.perf_counter()
    subprocess.run([sys.executable, *args, "--device", device, "--quiet",
                    "--output-dir", str(ROOT / "results" / "bench")],
                   cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def print_tables(results, args):
    print("The article's protocol, 10 timesteps, 20 units: milliseconds per epoch, and speed-up over fit")
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
            print(f"\ntorch.compile of the PyTorch loop's update, BiLSTM: first 10 epochs (compiling) "
                  f"{first:.1f} s, then {per_epoch * 1e3:.2f} ms per epoch")

    print("\nCompiled loop, BiLSTM: a first run (compilation included), then a second run of the same")
    print("size (fresh weights, no compilation); both include setting up the run")
    print(f"{'backend':10s} {'timesteps':>9s} {'epochs':>7s} {'1st run s':>10s} {'1st run ms/epoch':>17s} "
          f"{'2nd run ms/epoch':>17s}")
    for result in results:
        for n_timesteps, n_epochs, first, per_epoch in result["amortisation"]:
            print(f"{result['backend']:10s} {n_timesteps:9d} {n_epochs:7d} {first:10.2f} "
                  f"{first / n_epochs * 1e3:17.2f} {per_epoch * 1e3:17.3f}")

    if not args.skip_scripts:
        print("\nWhole process, seconds (start-up included)")
        print(f"{'backend':10s} {'bilstm_classify.py --epochs 400':>32s} {'... --loop fit':>15s} "
              f"{'compare_merge_modes.py --repeats 10':>36s}")
        for result in results:
            backend = result["backend"]
            compiled = time_script(backend, args.device, "bilstm_classify.py", "--epochs", "400")
            fit = time_script(backend, args.device, "bilstm_classify.py", "--epochs", "400", "--loop", "fit")
            merge = time_script(backend, args.device, "compare_merge_modes.py", "--repeats", "10")
            print(f"{backend:10s} {compiled:32.1f} {fit:15.1f} {merge:36.1f}")

    for result in results:
        if result["backend"] == "tensorflow":
            times = result["per_epoch"]["BiLSTM"]
            print(f"\ncompiled vs fit: {times['fit'] / times['compiled']:.1f}x")


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
                        help="skip timing whole script runs (default: off)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(args)))
        return 0
    backends = [b for b in args.backends.split(",") if importlib.util.find_spec(b) is not None]
    missing = sorted(set(args.backends.split(",")) - set(backends))
    if missing:
        print(f"Not installed, not measured: {', '.join(missing)}\n")
    print_tables([run_worker(backend, args) for backend in backends], args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
