"""How much longer does a reader's first run of ``classify_sequences.py`` take than the next?

A first run compiles its programs; a second finds them in the compilation cache the first
left (``~/.cache/bilstm-companion``). This script writes the README's example
(``--write-example``), then on each Keras backend installed here that compiles (TensorFlow,
JAX) times whole processes of ``classify_sequences.py data.csv``, as the README runs it: a
first run with an empty cache, then a second with the cache the first left, ``--runs`` times
in turn, each pair with a new empty cache. It prints the median seconds of each and their
ratio.

On JAX it also lists every program the first run compiled, with the seconds XLA took for it
(from JAX's own compile log), grouped by what the program is: a model's training,
validation or prediction step for full batches, the same for the last, shorter batch of a
set (another shape, so another program), and the small programs that build the weights and
the optimizer. Then what a first run would take if it compiled only what every run at one
width compiles (all but the shorter batches' steps), estimated as the second run's median
plus those programs' seconds in the log: a floor that no choice of batch widths goes below,
since the example already compiles a single width on JAX (docs/performance.md, "Which
widths"), and the shorter batches go only by changing the batches, so the losses. Both
backends' caches go to a new folder for each pair, whatever ``JAX_COMPILATION_CACHE_DIR`` or
``TF_XLA_FLAGS`` name.

The last line reads ``first vs second run: tensorflow N.NNx, jax N.NNx``.

Usage:
    python benchmarks/bench_first_run.py
    python benchmarks/bench_first_run.py --backends jax --runs 5
"""

import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bilstm_companion.options import positive_int  # no Keras in this process: the runs train

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("tensorflow", "jax")  # PyTorch compiles nothing: its first run is its second
COMPILING = re.compile(r"Compiling jit\(([^)]*)\) with global shapes and types \((.*)\)\. Argument mapping")
COMPILED = re.compile(r"Finished XLA compilation of jit\(([^)]*)\) in ([0-9.e-]+) sec")
STEPS = {"train_step": "training", "test_step": "validation", "predict_step": "prediction"}
SMALL = "building the weights and the optimizer, and other small programs"


def run(backend, csv, cache, log_compiles=False):
    """Seconds of one whole ``classify_sequences.py`` process on ``backend`` with its
    compilation caches below ``cache``, and its standard error."""
    # Both backends' caches below ``cache``, whatever the reader's own settings name.
    tensorflow_flags = " ".join(flag for flag in os.environ.get("TF_XLA_FLAGS", "").split()
                                if "persistent_cache_directory" not in flag)
    variables = {"KERAS_BACKEND": backend, "XDG_CACHE_HOME": str(cache), "TF_XLA_FLAGS": tensorflow_flags,
                 "JAX_COMPILATION_CACHE_DIR": str(cache / "bilstm-companion" / "jax")}
    if log_compiles:
        variables["JAX_LOG_COMPILES"] = "1"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "classify_sequences.py", str(csv), "--output-dir", str(cache / "out")],
                          cwd=ROOT, env={**os.environ, **variables}, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"classify_sequences.py on {backend} failed: {done.stderr.strip()[-2000:]}")
    return seconds, done.stderr


def first_and_second(backend, csv, folder, runs):
    """The seconds of ``runs`` first runs and of the second run after each."""
    firsts, seconds = [], []
    for _ in range(runs):
        cache = Path(tempfile.mkdtemp(dir=folder))
        firsts.append(run(backend, csv, cache)[0])
        seconds.append(run(backend, csv, cache)[0])
    return firsts, seconds


def compiled_programs(log):
    """``(name, shapes, seconds)`` of each program a JAX process compiled, from its compile
    log: each 'Compiling' line is followed by the 'Finished XLA compilation' of its program.
    Exits where the log names no program, or a program without its seconds: the log is not
    the one this script reads."""
    programs, pending, started = [], None, 0
    for line in log.splitlines():
        if match := COMPILING.search(line):
            pending, started = match.groups(), started + 1
        elif (match := COMPILED.search(line)) and pending:
            programs.append((pending[0], pending[1], float(match.group(2))))
            pending = None
    if not programs or len(programs) != started:
        sys.exit(f"JAX's compile log named {started} programs and gave the seconds of {len(programs)}: "
                 "not the log this script reads (JAX_LOG_COMPILES=1)")
    return programs


def rows_of(shapes):
    """The sequences in a step's batch: the first axis of its last float32 array of three axes
    (the batch's inputs or labels, which come after the weights)."""
    rows = re.findall(r"float32\[(\d+),\d+,\d+\]", shapes)
    return int(rows[-1]) if rows else 0


def kinds(programs):
    """What each compiled program is for: a step (training, validation, prediction) of a set's
    full batches, one of the last, shorter batch of a set (fewer sequences than the largest
    batch of the same step: another shape, so another program), or one of the small
    programs that build the weights and the optimizer."""
    largest = {}
    for name, shapes, _ in programs:
        if name in STEPS:
            largest[name] = max(largest.get(name, 0), rows_of(shapes))
    return [SMALL if name not in STEPS else
            f"{STEPS[name]} steps, " + ("a set's last and shorter batch" if rows_of(shapes) < largest[name]
                                        else "full batches")
            for name, shapes, _ in programs]


def print_programs(programs):
    """The seconds JAX compiled for, by kind of program."""
    by_kind = defaultdict(list)
    for kind, (*_, seconds) in zip(kinds(programs), programs):
        by_kind[kind].append(seconds)
    print(f"\nJAX, a first run: {len(programs)} programs compiled, {sum(s for *_, s in programs):.1f} s of XLA compilation")
    print(f"{'':66} programs  seconds")
    for kind, times in sorted(by_kind.items(), key=lambda item: -sum(item[1])):
        print(f"{kind:66} {len(times):8d}  {sum(times):7.1f}")
    return by_kind


def main(argv=None):
    parser = argparse.ArgumentParser(description="A first run of classify_sequences.py (empty compilation cache) "
                                                 "against a second, whole processes, on each compiling backend.")
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help=f"comma-separated, of {', '.join(BACKENDS)} (default: those installed)")
    parser.add_argument("--runs", type=positive_int, default=3, help="pairs of runs on each backend (default: 3)")
    args = parser.parse_args(argv)
    asked = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = [name for name in asked if name not in BACKENDS]
    if unknown or not asked:
        parser.error(f"--backends takes {', '.join(BACKENDS)}, not {args.backends!r}")
    backends = [name for name in asked if importlib.util.find_spec(name) is not None]
    if missing := [name for name in asked if name not in backends]:
        print(f"Not installed, not measured: {', '.join(missing)}")
    if not backends:
        sys.exit(f"None of {', '.join(asked)} is installed: nothing to measure (pip install -r requirements.txt, "
                 "or requirements-jax.txt)")
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "data.csv"
        written = subprocess.run([sys.executable, "classify_sequences.py", "--write-example", str(csv)], cwd=ROOT,
                                 capture_output=True, text=True, check=False)
        if written.returncode != 0:
            sys.exit(f"writing the example failed: {written.stderr.strip()[-2000:]}")
        print(f"The README's example, python classify_sequences.py data.csv: whole processes, {args.runs} pair{'s' * (args.runs > 1)} of runs "
              "in turn: a first run with an empty compilation cache, then a second with the cache it left\n")
        print(f"{'seconds, median':16} {'first run':>10} {'second run':>11} {'first / second':>15}")
        ratios, second_runs = {}, {}
        for backend in backends:
            firsts, seconds = first_and_second(backend, csv, folder, args.runs)
            first, second_runs[backend] = statistics.median(firsts), statistics.median(seconds)
            ratios[backend] = first / second_runs[backend]
            print(f"{backend:16} {first:10.1f} {second_runs[backend]:11.1f} {ratios[backend]:14.2f}x   "
                  f"(first {', '.join(f'{s:.1f}' for s in firsts)}; second {', '.join(f'{s:.1f}' for s in seconds)})")
        if "jax" in backends:
            _, log = run("jax", csv, Path(tempfile.mkdtemp(dir=folder)), log_compiles=True)
            by_kind = print_programs(compiled_programs(log))
            needed = sum(sum(times) for kind, times in by_kind.items() if "shorter batch" not in kind)
            second = second_runs["jax"]
            print(f"Every run at one width compiles all but the shorter batches' steps: {needed:.1f} s. A first run "
                  f"that compiled only those would take about {second + needed:.1f} s against {second:.1f} s, "
                  f"{(second + needed) / second:.2f}x (the second run's median plus their seconds in this log)")
    print("\nfirst vs second run: " + ", ".join(f"{backend} {ratio:.2f}x" for backend, ratio in ratios.items()))


if __name__ == "__main__":
    main()
