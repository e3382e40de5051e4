"""How much faster is the compiled loop than the article's model.fit loop?

Times, in one process, three ways of running the article's protocol (one fresh sequence
and one Adam update per epoch) on the LSTM and the bidirectional LSTM of the article
(10 timesteps, 20 units):

- fit: ``model.fit(X, y, epochs=1, batch_size=1)`` per sequence, the article's loop;
- train_on_batch: ``model.train_on_batch(X, y)`` per sequence, the usual manual loop;
- compiled: ``harness.training.Trainer``'s XLA-compiled loop, many epochs per call.

A second table shows how the compiled loop's cost grows with the sequence length and how
its one-off compilation is spread over more epochs. A third times whole script runs.
The last line is ``compiled vs fit: N.Nx`` for the bidirectional LSTM.

Usage:
    python benchmarks/bench_training.py
    python benchmarks/bench_training.py --fit-epochs 200 --skip-scripts
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import cli  # noqa: I001  (first: it starts Keras' backend quietly)

import subprocess
import time

import numpy as np

from bilstm_classify import build_bilstm
from lstm_classify import build_lstm
from harness.training import Trainer
from sequence import get_sequences

ROOT = Path(__file__).resolve().parents[1]
WARM_UP = 5  # epochs run before timing, so tracing is not counted as per-epoch cost


def data(n_epochs, n_timesteps, seed=0):
    return get_sequences(n_epochs, n_timesteps, np.random.default_rng(seed))


def time_trainer(build, loop, n_epochs, n_timesteps=10):
    """Seconds per epoch of a Trainer's loop, after a warm-up block (not timed)."""
    trainer = Trainer(build, loop=loop)
    trainer.start_run(0)
    X, y = data(WARM_UP, n_timesteps, seed=1)
    trainer.train_block(X, y)  # for the compiled loop, this compiles
    X, y = data(n_epochs, n_timesteps)
    start = time.perf_counter()
    for first in range(0, n_epochs, trainer.block_size):
        block = slice(first, first + trainer.block_size)
        trainer.train_block(X[block], y[block])
    return (time.perf_counter() - start) / n_epochs


def time_train_on_batch(build, n_epochs, n_timesteps=10):
    """Seconds per epoch of a ``train_on_batch`` loop, after a warm-up (not timed)."""
    model = Trainer(build, loop="fit").start_run(0)
    X, y = data(n_epochs + WARM_UP, n_timesteps)
    for i in range(WARM_UP):
        model.train_on_batch(X[i : i + 1], y[i : i + 1])
    start = time.perf_counter()
    for i in range(WARM_UP, WARM_UP + n_epochs):
        model.train_on_batch(X[i : i + 1], y[i : i + 1])
    return (time.perf_counter() - start) / n_epochs


def compiled_run(build, n_epochs, n_timesteps):
    """Seconds for a first run (compilation included) and per epoch of a second run."""
    trainer = Trainer(build)
    start = time.perf_counter()
    trainer.run(n_epochs, n_timesteps, np.random.default_rng(0), weights_seed=0)
    first = time.perf_counter() - start
    start = time.perf_counter()
    trainer.run(n_epochs, n_timesteps, np.random.default_rng(1), weights_seed=1)
    return first, (time.perf_counter() - start) / n_epochs


def time_script(*args):
    start = time.perf_counter()
    subprocess.run([sys.executable, *args, "--quiet", "--output-dir", str(ROOT / "results" / "bench")],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv=None):
    parser = cli.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--fit-epochs", type=cli.positive_int, default=100, metavar="N",
                        help="epochs timed for the fit and train_on_batch loops (default: 100)")
    parser.add_argument("--compiled-epochs", type=cli.positive_int, default=2000, metavar="N",
                        help="epochs timed for the compiled loop (default: 2000)")
    parser.add_argument("--skip-scripts", action="store_true",
                        help="skip timing whole script runs (default: off)")
    args = parser.parse_args(argv)
    cli.seed_everything(0)

    models = {"LSTM": lambda: build_lstm(10, 20), "BiLSTM": lambda: build_bilstm(10, 20, "concat")}
    print("The article's protocol, 10 timesteps, 20 units: milliseconds per epoch, and speed-up over fit")
    print(f"{'model':8s} {'fit':>9s} {'train_on_batch':>15s} {'compiled':>9s} "
          f"{'train_on_batch vs fit':>22s} {'compiled vs fit':>16s}")
    speedups = {}
    for name, build in models.items():
        fit = time_trainer(build, "fit", args.fit_epochs)
        on_batch = time_train_on_batch(build, args.fit_epochs)
        compiled = time_trainer(build, "compiled", args.compiled_epochs)
        speedups[name] = fit / compiled
        print(f"{name:8s} {fit * 1e3:9.2f} {on_batch * 1e3:15.2f} {compiled * 1e3:9.3f} "
              f"{fit / on_batch:21.1f}x {fit / compiled:15.1f}x")

    print("\nCompiled loop, BiLSTM: a first run (compilation included), then a second run of the same")
    print("size (fresh weights, no compilation); both include setting up the run")
    print(f"{'timesteps':>9s} {'epochs':>7s} {'1st run s':>10s} {'1st run ms/epoch':>17s} "
          f"{'2nd run ms/epoch':>17s}")
    build_for = lambda n: (lambda: build_bilstm(n, 20, "concat"))
    for n_timesteps, n_epochs in ((10, 50), (10, 250), (10, 1000), (10, 5000), (100, 250), (1000, 100)):
        first, per_epoch = compiled_run(build_for(n_timesteps), n_epochs, n_timesteps)
        print(f"{n_timesteps:9d} {n_epochs:7d} {first:10.2f} {first / n_epochs * 1e3:17.2f} "
              f"{per_epoch * 1e3:17.3f}")

    if not args.skip_scripts:
        print("\nWhole process, `python bilstm_classify.py --epochs 400` (seconds, TensorFlow start-up included)")
        fit = time_script("bilstm_classify.py", "--epochs", "400", "--loop", "fit")
        compiled = time_script("bilstm_classify.py", "--epochs", "400")
        print(f"--loop fit: {fit:.1f}  --loop compiled: {compiled:.1f}  ratio: {fit / compiled:.1f}x")
        timed = {
            "compare_merge_modes.py --repeats 10": ("compare_merge_modes.py", "--repeats", "10"),
        }
        for label, command in timed.items():
            print(f"{label}: {time_script(*command):.1f} s")

    print(f"\ncompiled vs fit: {speedups['BiLSTM']:.1f}x")
    return 0


if __name__ == "__main__":
    with cli.friendly_exit():
        sys.exit(main())
