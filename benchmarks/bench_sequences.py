"""How fast is ``classify_sequences.py`` on your sequences, on each Keras backend, and at what
peak memory?

Writes a long CSV of the article's problem (``--sequences`` sequences of 5 to ``--max-steps``
steps, as ``--write-example`` does but larger), then measures, side by side on every Keras
backend installed here, each in a process of its own (this script again, with ``--worker``):

1. Sequences per second of reading and padding the CSV; of one epoch of training the
   bidirectional LSTM (and validating it) with every batch padded to the file's longest
   sequence (``fit`` on the padded arrays, as before buckets) and in batches of similar
   lengths, in the widths a run at the script's defaults chooses (both
   ``bilstm_companion/own_data/batches.py``), from the same weights; and of predicting every
   sequence both ways. The first epoch and the first prediction compile (with an empty
   compilation cache, as on a first run), the second epoch compiles the widths the first left
   out; later ones run at the pace of the rest of a training: the fastest of ``--repeats``,
   as other work on a shared machine only ever slows one down.
   Then where a later epoch's time goes: the milliseconds per batch in two more runs of
   ``fit`` on the padded arrays, one with every sequence cut to its first 4 steps and one
   padded to the longest sequence; their difference, over the steps between, is what a step
   of the compiled LSTM costs, and the rest is what a batch costs whatever its width
   (``fit``, the feed, launching the program).
2. Peak memory above what the process held before the data, in times the padded arrays,
   in a process of its own for each way, which reads, trains one epoch and predicts, as
   ``classify_sequences.py`` does.
3. The training phase of ``classify_sequences.py DATA --folds 5`` against ``--folds 1``,
   ``--folds-epochs`` epochs each, from the line describing the data to the report: JAX
   trains the folds together, the other backends one after another. Then ``--ensemble 5``
   against ``--ensemble 1``, one split: the cost of five networks against one, the same way, at
   ``--folds-epochs`` epochs and at three times as many, whose difference is a later epoch's cost.
4. With ``--devices N`` (JAX): the same training phase on N devices against one, for one
   split (each batch shared out among the devices) and for N folds trained together (the
   folds shared out). With ``--device cpu`` the N devices are virtual
   (``JAX_NUM_CPU_DEVICES=N``) and share this machine's cores: the figures show what the
   sharding costs, not a speed-up; ``--device gpu`` measures N GPUs.

The last line reads ``buckets vs longest: N.Nx (first epoch N.Nx, first prediction N.Nx);
folds 5 vs 1 on jax: N.Nx; tensorflow vs jax, next epoch: N.NNx; an ensemble of 5 vs 1 network:
...``: the lower, over the
backends, of the sequences per second of a later epoch in buckets over those padded to the
longest (and of the first epoch, and the first prediction); the training phase of five
folds over that of one, on JAX (``n/a`` where JAX is not installed, or
``classify_sequences.py`` has no ``--folds``); and TensorFlow's sequences per second of an
epoch after the first in buckets over JAX's; and each backend's training phase of five networks
over one's. Each backend trains as the script does: on
TensorFlow, one kept model per architecture compiled with XLA and fed through ``tf.data``.

Usage:
    python benchmarks/bench_sequences.py                      # 100,000 sequences, up to 100 steps
    python benchmarks/bench_sequences.py --sequences 10000
    python benchmarks/bench_sequences.py --backends jax --no-folds
    python benchmarks/bench_sequences.py --sequences 10000 --backends jax --no-folds --devices 4
"""

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bilstm_companion.options import positive_int  # no Keras in this process: the workers train

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("tensorflow", "jax", "torch")
SHORT = 4  # steps of the shortest batches timed (every sequence has at least 5: all real)
MODES = ("longest", "buckets")  # every batch padded to the file's longest sequence, or in buckets
MEMBERS = (1, 5)  # ensemble sizes whose training phase is timed
FOLDS = (1, 5)


def peak_memory():
    """The most memory this process has held so far, in bytes (Linux counts in KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


# Measurements, made inside one backend's process ------------------------------------------

def timed(work, *args, **kwargs):
    """What ``work`` returns, and the seconds it took."""
    start = time.perf_counter()
    result = work(*args, **kwargs)
    return result, time.perf_counter() - start


def fit_longest(model, training, validation, *, epochs, batch_size, patience, callbacks=()):
    """``fit`` with the script's callbacks, on the arrays padded to the longest sequence and shuffled by
    ``fit``: the way before buckets. Returns ``(history as a DataFrame, False)``, the shape of ``trainer.fit_one``'s
    result (every epoch kept: nothing here stops a run early but the callbacks)."""
    import pandas as pd

    from bilstm_companion.own_data import recipe

    history = model.fit(training.X, recipe.targets(training), epochs=epochs, batch_size=batch_size, shuffle=True,
                        validation_data=(validation.X, recipe.targets(validation)), verbose=0,
                        callbacks=[*recipe.callbacks(patience), *callbacks])
    return pd.DataFrame(history.history), False


def predict(model, data, mode):
    """The class index and its probability for each of ``data``, ``mode``'s way (``MODES``)."""
    from bilstm_companion.own_data import trainer

    outputs = (trainer.predict_in_batches(model, data) if mode == "buckets"
               else model.predict(data.X, batch_size=256, verbose=0))
    return trainer.classes_of(outputs)


def set_up(path, modes):
    """Read the CSV; one model for each of ``modes``, all from the same weights. Returns the
    data, the training and validation sets, the models, and the memory and seconds so far."""
    from bilstm_companion import backend
    from bilstm_companion.own_data import trainer
    from bilstm_companion.own_data.csv_files import read_sequences
    from bilstm_companion.own_data.folds import split_positions
    from bilstm_companion.own_data.recipe import compile_classifier
    from bilstm_companion.own_data.sequences import feature_statistics
    from classify_sequences import build_classifier

    backend.seed_everything(1)
    start_memory = peak_memory()
    data, read_seconds = timed(read_sequences, path)
    memory = {"start": start_memory, "read": peak_memory(),
              "padded": data.X.nbytes + data.steps.nbytes + data.y.nbytes}
    training, validation, _ = (data.subset(part) for part in split_positions(len(data), seed=1))
    mean, variance = feature_statistics(training)
    models = {}
    for mode in modes:
        backend.seed_everything(1)
        models[mode] = trainer.compiled_for_fit(compile_classifier(build_classifier(
            data.features, data.classes, "step", "bilstm", mean=mean, variance=variance), len(data.classes)))
    return data, training, validation, models, memory, read_seconds


def measure_speed(path, batch_size, repeats):
    """The seconds of each step, both ways, on the backend this process runs on, as a dict."""
    from bilstm_companion import backend, startup

    startup.start_backend("cpu")
    import keras

    from bilstm_companion.own_data import batches, parameters, trainer
    from bilstm_companion.own_data.batches import padded_lengths

    class EpochClock(keras.callbacks.Callback):
        """The seconds of each epoch, validation included; stops training after ``epochs``."""

        def __init__(self, epochs):
            super().__init__()
            self.epochs, self.seconds = epochs, []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)
            self.model.stop_training = len(self.seconds) >= self.epochs

    data, training, validation, models, _, read_seconds = set_up(path, MODES)
    seconds = {mode: {} for mode in MODES}

    def keep(mode, step, taken):
        seconds[mode][step] = min(taken, seconds[mode].get(step, taken))

    # The first epochs of a run at the script's defaults (and so in the widths such a run
    # chooses), stopped after 2 + repeats epochs; each way in turn.
    for mode in MODES:
        clock = EpochClock(2 + repeats)
        fit = partial(trainer.fit_one, seed=1) if mode == "buckets" else fit_longest
        fit(models[mode], training, validation, epochs=parameters.DEFAULTS["epochs"], batch_size=batch_size,
            patience=parameters.DEFAULTS["patience"], callbacks=[clock])
        keep(mode, "train, first epoch", clock.seconds[0])
        keep(mode, "train, second epoch", clock.seconds[1])
        for taken in clock.seconds[2:]:
            keep(mode, "train, next epoch", taken)
    per_batch = seconds_per_batch(models["longest"], training, validation, batch_size, repeats, EpochClock)
    for call in ("predict, first", *["predict, next"] * repeats):
        for mode in MODES:
            keep(mode, call, timed(predict, models[mode], data, mode)[1])
    lengths, longest = training.mask.sum(axis=1), int(data.X.shape[1])
    chosen, first = batches.for_training(lengths, longest, batch_size, parameters.DEFAULTS["epochs"], parameters.DEFAULTS["patience"],
                                        backend.name())
    return {
        "backend": backend.name(),
        "sequences": len(data),
        "trained": len(training) + len(validation),
        "longest": longest,
        "widths": {"ladder": list(padded_lengths(longest)), "run": list(chosen), "first": list(first),
                   "predict": list(batches.for_prediction(data.mask.sum(axis=1), longest, 256, backend.name()))},
        "rows": int(data.mask.sum()),
        "read": read_seconds,
        "seconds": seconds,
        "per_batch": per_batch,
    }


def seconds_per_batch(model, training, validation, batch_size, repeats, clock_class):
    """Seconds per batch of a later epoch (training and its validation), in two runs of ``fit``
    on the padded arrays: every sequence cut to its first ``SHORT`` steps, and all padded to
    the longest: the difference, over the steps between, is what each step of the compiled
    LSTM costs; the rest is what a batch costs whatever its width (``fit``'s own work, the
    feed, launching the program)."""
    from bilstm_companion.own_data import recipe

    per_batch = {}
    for steps in (SHORT, training.X.shape[1]):
        clock = clock_class(1 + repeats)
        model.fit(training.X[:, :steps], recipe.targets(training)[:, :steps], batch_size=batch_size,
                  validation_data=(validation.X[:, :steps], recipe.targets(validation)[:, :steps]),
                  epochs=1 + repeats, shuffle=True, verbose=0, callbacks=[clock])
        batches = -(-len(training) // batch_size) + -(-len(validation) // batch_size)
        per_batch[steps] = min(clock.seconds[1:]) / batches
    return per_batch


def measure_memory(path, batch_size, mode):
    """Peak memory of reading, training one epoch and predicting ``mode``'s way, as a dict."""
    from bilstm_companion import startup

    startup.start_backend("cpu")
    from bilstm_companion.own_data import trainer

    data, training, validation, models, memory, _ = set_up(path, [mode])
    fit = partial(trainer.fit_one, seed=1) if mode == "buckets" else fit_longest
    fit(models[mode], training, validation, epochs=1, batch_size=batch_size, patience=1)
    predict(models[mode], data, mode)
    return {**memory, "peak": peak_memory()}


# Runs, in the parent process -------------------------------------------------------------------

def environment_for(backend, cache):
    """The environment of a process on ``backend``, with empty compilation caches (JAX's, and
    TensorFlow's XLA cache below ``XDG_CACHE_HOME``)."""
    return {**os.environ, "KERAS_BACKEND": backend, "JAX_COMPILATION_CACHE_DIR": str(cache),
            "XDG_CACHE_HOME": str(cache), "PYTHONUNBUFFERED": "1"}


def worker(backend, path, args, folder, *extra):
    """Run this script with ``--worker`` on ``backend``; return what it measured."""
    cache = Path(tempfile.mkdtemp(dir=folder))
    done = subprocess.run([sys.executable, __file__, "--worker", str(path), "--batch-size",
                           str(args.batch_size), "--repeats", str(args.repeats), *extra], env=environment_for(backend, cache), cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"measuring {backend} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def has_folds():
    """Whether ``classify_sequences.py`` takes ``--folds``."""
    done = subprocess.run([sys.executable, "classify_sequences.py", "--help"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    return done.returncode == 0 and "--folds" in done.stdout


def training_phase(backend, path, folds, epochs, folder, extra=(), variables=None):
    """Seconds of the training phase of ``classify_sequences.py`` with ``--folds folds`` (and
    the options ``extra``, the environment ``variables``): from the line that describes the
    data, printed once it is read, to the next line, the first of the report (training,
    scoring on the held-out parts and saving in between)."""
    cache = Path(tempfile.mkdtemp(dir=folder))
    command = [sys.executable, "classify_sequences.py", str(path), "--folds", str(folds), "--epochs",
               str(epochs), "--seed", "1", "--quiet", "--output-dir", str(cache / "out"), *extra]
    with open(cache / "stderr.txt", "w+") as errors:
        process = subprocess.Popen(command, cwd=ROOT, env={**environment_for(backend, cache), **(variables or {})},
                                   text=True, stdout=subprocess.PIPE, stderr=errors)
        times = [time.perf_counter() for _ in process.stdout]
        if process.wait() != 0 or len(times) < 2:
            errors.seek(0)
            sys.exit(f"classify_sequences.py --folds {folds} {' '.join(extra)} on {backend} failed: "
                     f"{errors.read().strip()[-2000:]}")
    return times[1] - times[0]


def device_phases(path, args, folder):
    """The training phase on JAX over ``args.devices`` devices and over one: for one split, and
    for that many folds trained together; in seconds, by ``(folds, devices)``."""
    variables = {"JAX_NUM_CPU_DEVICES": str(args.devices)} if args.device == "cpu" else {}
    return {(folds, count): training_phase("jax", path, folds, args.folds_epochs, folder,
                                           ("--devices", str(count), "--device", args.device), variables)
            for folds in (1, args.devices) for count in (1, args.devices)}


def print_devices(phases, args):
    kind = "virtual CPU devices sharing this machine's cores" if args.device == "cpu" else "GPUs"
    print(f"\nclassify_sequences.py --epochs {args.folds_epochs} on jax, the training phase in seconds, "
          f"on {args.devices} {kind} and on one:")
    print(f"{'':28s}{'--devices 1':>12s}{f'--devices {args.devices}':>12s}{'ratio':>8s}")
    for folds, what in ((1, "one split (batches shared)"), (args.devices, f"--folds {args.devices} (folds shared)")):
        one, several = phases[folds, 1], phases[folds, args.devices]
        print(f"{what:28s}{one:12.1f}{several:12.1f}{several / one:7.2f}x")


# The tables ------------------------------------------------------------------------------------------

def print_speeds(results):
    header, columns = f"{'sequences per second':30s}", f"{'':30s}"
    for result in results:
        header += f"{result['backend']:>27s}"
        columns += f"{'longest':>10s}{'buckets':>10s}{'ratio':>7s}"
    print(header)
    print(columns)
    line = f"{'read and pad the CSV':30s}"
    for result in results:
        line += f"{result['sequences'] / result['read']:10.0f}{'':17s}"
    print(line)
    for step in results[0]["seconds"]["longest"]:
        line = f"{step:30s}"
        for result in results:
            count = result["sequences"] if step.startswith("predict") else result["trained"]
            longest, buckets = (count / result["seconds"][mode][step] for mode in MODES)
            line += f"{longest:10.0f}{buckets:10.0f}{buckets / longest:6.1f}x"
        print(line)


def print_per_batch(results):
    """Where a later epoch's time goes on each backend: a batch's cost that grows with its
    width (the compiled LSTM, per step) and the cost that does not."""
    print("\nmilliseconds per batch of a later epoch (training and its validation), padded arrays:")
    print(f"{'':36s}" + "".join(f"{result['backend']:>12s}" for result in results))
    rows = {}
    for result in results:
        (short, short_time), (longest, long_time) = sorted((int(k), v) for k, v in result["per_batch"].items())
        step = (long_time - short_time) / (longest - short)
        rows.setdefault(f"{short} steps", []).append(short_time)
        rows.setdefault(f"{longest} steps", []).append(long_time)
        rows.setdefault("each step (the compiled LSTM)", []).append(step)
        rows.setdefault("the rest, whatever the width", []).append(short_time - short * step)
    for label, values in rows.items():
        print(f"{label:36s}" + "".join(f"{1000 * value:12.3f}" for value in values))


def print_memory(memory):
    padded = next(iter(memory.values()))["longest"]["padded"]
    print(f"\nPeak memory above start-up, in times the padded arrays ({padded / 1e6:.0f} MB); a process "
          "for each way reads, trains one epoch and predicts:")
    print(f"{'':12s}{'reading':>10s}{'longest':>10s}{'buckets':>10s}   peak MB, longest and buckets "
          "(before the data)")
    for backend, ways in memory.items():
        above = {mode: (ways[mode]["peak"] - ways[mode]["start"]) / padded for mode in MODES}
        reading = (ways["buckets"]["read"] - ways["buckets"]["start"]) / padded
        print(f"{backend:12s}{reading:10.1f}{above['longest']:10.1f}{above['buckets']:10.1f}   "
              f"{ways['longest']['peak'] / 1e6:.0f} and {ways['buckets']['peak'] / 1e6:.0f} "
              f"({ways['buckets']['start'] / 1e6:.0f})")


def print_folds(phases, epochs):
    print(f"\nclassify_sequences.py --epochs {epochs}, the training phase in seconds:")
    print(f"{'':12s}" + "".join(f"{backend:>12s}" for backend in phases))
    for folds in FOLDS:
        print(f"{'--folds ' + str(folds):12s}" + "".join(f"{times[folds]:12.1f}" for times in phases.values()))
    print(f"{'5 vs 1':12s}" + "".join(f"{times[5] / times[1]:11.1f}x" for times in phases.values()))


def print_members(phases, epochs):
    """The training phase of five networks and of one, at ``epochs`` and at three times as many:
    the difference, over the epochs between, is what a later epoch costs, and what is left of
    the first run is what its first epochs cost over that (compiling, building, the first widths)."""
    print(f"\nclassify_sequences.py, the training phase in seconds, an ensemble against one network; a later "
          f"epoch from --epochs {3 * epochs} less --epochs {epochs}, the rest of --epochs {epochs} beyond its "
          "epochs at that pace:")
    print(f"{'':24s}" + "".join(f"{backend:>12s}" for backend in phases))
    rows = {}
    for members in MEMBERS:
        for times in phases.values():
            later = (times[members, 3 * epochs] - times[members, epochs]) / (2 * epochs)
            rows.setdefault(f"--ensemble {members}, --epochs {epochs}", []).append(times[members, epochs])
            rows.setdefault(f"--ensemble {members}, a later epoch", []).append(later)
            rows.setdefault(f"--ensemble {members}, the rest", []).append(times[members, epochs] - epochs * later)
    for label, values in rows.items():
        print(f"{label:24s}" + "".join(f"{value:12.2f}" for value in values))
    for label, key in ((f"5 vs 1, --epochs {epochs}", None), ("5 vs 1, a later epoch", "a later epoch"),
                       ("5 vs 1, the rest", "the rest")):
        if key is None:
            ratios = [times[5, epochs] / times[1, epochs] for times in phases.values()]
        else:
            ratios = [five / one for five, one in zip(rows[f"--ensemble 5, {key}"], rows[f"--ensemble 1, {key}"])]
        print(f"{label:24s}" + "".join(f"{ratio:11.1f}x" for ratio in ratios))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--sequences", type=positive_int, default=100_000, metavar="N",
                        help="sequences in the CSV (default: 100000)")
    parser.add_argument("--max-steps", type=positive_int, default=100, metavar="N",
                        help="the longest sequence, in steps; the shortest has 5 (default: 100)")
    parser.add_argument("--batch-size", type=positive_int, default=32, metavar="N",
                        help="sequences per update, the script's default (default: 32)")
    parser.add_argument("--repeats", type=positive_int, default=2, metavar="N",
                        help="epochs and predictions after the first, of which the fastest counts "
                             "(default: 2)")
    parser.add_argument("--backends", default=",".join(BACKENDS), metavar="LIST",
                        help=f"backends to measure, those installed of them (default: {','.join(BACKENDS)})")
    parser.add_argument("--folds-epochs", type=positive_int, default=2, metavar="N",
                        help="epochs of each classify_sequences.py run with --folds (default: 2)")
    parser.add_argument("--no-folds", action="store_true",
                        help="skip the runs with --folds (default: off)")
    parser.add_argument("--no-ensemble", action="store_true",
                        help="skip the runs with --ensemble 5 against 1 (default: off)")
    parser.add_argument("--devices", type=positive_int, default=1, metavar="N",
                        help="also time training on N devices against one, on JAX (default: 1, not timed)")
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                        help="with --devices: N virtual CPU devices, or N GPUs (default: cpu)")
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write:  # in a process of its own, so that its memory is counted nowhere
        from bilstm_companion.own_data.example import example_frame

        example_frame(args.sequences, lengths=(5, max(5, args.max_steps)), seed=1).to_csv(
            args.write, index=False)
        return 0
    if args.worker:
        result = (measure_memory(args.worker, args.batch_size, args.memory) if args.memory
                  else measure_speed(args.worker, args.batch_size, args.repeats))
        print(json.dumps(result))
        return 0

    backends = [backend for backend in args.backends.split(",") if importlib.util.find_spec(backend)]
    missing = sorted(set(args.backends.split(",")) - set(backends))
    if missing:
        print(f"Not installed, not measured: {', '.join(missing)}\n")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        subprocess.run([sys.executable, __file__, "--sequences", str(args.sequences), "--max-steps",
                        str(args.max_steps), "--write", str(path)], check=True)
        size = path.stat().st_size
        results = [worker(backend, path, args, folder) for backend in backends]
        memory = {backend: {mode: worker(backend, path, args, folder, "--memory", mode) for mode in MODES}
                  for backend in backends}
        first = results[0]
        print(f"{first['sequences']} sequences of 5 to {first['longest']} steps ({first['rows']} rows), a CSV "
              f"of {size / 1e6:.0f} MB; batches of {args.batch_size}, padded to the longest sequence or in "
              f"buckets, the widths each backend chose from {', '.join(map(str, first['widths']['ladder']))}:")
        for result in results:
            chosen = result["widths"]
            print(f"  {result['backend']}: a run {', '.join(map(str, chosen['run']))}; its first epoch "
                  f"{', '.join(map(str, chosen['first']))}; a prediction {', '.join(map(str, chosen['predict']))}")
        print()
        print_speeds(results)
        print_per_batch(results)
        print_memory(memory)
        folds = not args.no_folds and has_folds()
        phases = {}
        if folds:
            phases = {backend: {k: training_phase(backend, path, k, args.folds_epochs, folder) for k in FOLDS}
                      for backend in backends}
            print_folds(phases, args.folds_epochs)
        elif not args.no_folds:
            print("\nclassify_sequences.py has no --folds: no runs with folds")
        members = {}
        if not args.no_ensemble:
            members = {backend: {(k, epochs): training_phase(backend, path, 1, epochs, folder, ("--ensemble", str(k)))
                                 for k in MEMBERS for epochs in (args.folds_epochs, 3 * args.folds_epochs)}
                       for backend in backends}
            print_members(members, args.folds_epochs)
        if args.devices > 1 and "jax" in backends:
            print_devices(device_phases(path, args, folder), args)
        elif args.devices > 1:
            print("\n--devices: only JAX trains on several devices, and it is not measured here")

    def lowest(step):  # buckets' speed over the longest padding's, the lower over the backends
        return min(result["seconds"]["longest"][step] / result["seconds"]["buckets"][step] for result in results)

    ratio, first_epoch, first_prediction = (lowest(step) for step in ("train, next epoch", "train, first epoch",
                                                                      "predict, first"))
    jax_folds = f"{phases['jax'][5] / phases['jax'][1]:.1f}x" if "jax" in phases else "n/a"
    by_backend = {result["backend"]: result["seconds"]["buckets"]["train, next epoch"] for result in results}
    versus = (f"{by_backend['jax'] / by_backend['tensorflow']:.2f}x" if {"jax", "tensorflow"} <= set(by_backend)
              else "n/a")
    ensemble = "; ".join(f"{backend} {times[5, args.folds_epochs] / times[1, args.folds_epochs]:.1f}x"
                         for backend, times in members.items()) or "n/a"
    print(f"\nbuckets vs longest: {ratio:.1f}x (first epoch {first_epoch:.1f}x, first prediction "
          f"{first_prediction:.1f}x); folds 5 vs 1 on jax: {jax_folds}; tensorflow vs jax, next epoch: {versus}; "
          f"an ensemble of 5 vs 1 network: {ensemble}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
