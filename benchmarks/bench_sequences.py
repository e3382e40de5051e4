"""How does ``classify_sequences.py`` scale: sequences per second, and peak memory?

Writes a long CSV of the article's problem (``--sequences`` sequences of 5 to ``--max-steps``
steps, as ``--write-example`` does but larger), then, in this process, times each step of a
training run the way the script makes it: reading and padding the CSV, one epoch of
training with the bidirectional LSTM, and predicting every sequence. It prints sequences
per second for each, and the process's peak memory next to the size of the data it holds.

Usage:
    python benchmarks/bench_sequences.py                      # 100,000 sequences, up to 100 steps
    python benchmarks/bench_sequences.py --sequences 10000
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import cli  # noqa: I001  (first: it starts Keras' backend quietly)

import argparse
import resource
import subprocess
import tempfile
import time

import keras

from classify_sequences import build_classifier, compile_classifier
from harness import own_sequences
from harness.sequence_csv import example_frame, feature_statistics, read_sequences, split


def peak_memory():
    """The most memory this process has held so far, in bytes (Linux counts in KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--sequences", type=cli.positive_int, default=100_000, metavar="N",
                        help="sequences in the CSV (default: 100000)")
    parser.add_argument("--max-steps", type=cli.positive_int, default=100, metavar="N",
                        help="the longest sequence, in steps; the shortest has 5 (default: 100)")
    parser.add_argument("--batch-size", type=cli.positive_int, default=32, metavar="N",
                        help="sequences per update, the script's default (default: 32)")
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write:  # in a process of its own, so that its memory is not counted below
        example_frame(args.sequences, lengths=(5, max(5, args.max_steps)), seed=1).to_csv(
            args.write, index=False)
        return 0
    cli.seed_everything(1)
    start_memory = peak_memory()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        subprocess.run([sys.executable, __file__, "--sequences", str(args.sequences), "--max-steps",
                        str(args.max_steps), "--write", str(path)], check=True)
        size = path.stat().st_size
        print(f"{args.sequences} sequences of 5 to {args.max_steps} steps, a CSV of "
              f"{size / 1e6:.0f} MB; backend {keras.backend.backend()}\n")

        start = time.perf_counter()
        data = read_sequences(path)
        read_seconds = time.perf_counter() - start
        read_memory = peak_memory()
    training, validation, _ = split(data, seed=1)
    mean, variance = feature_statistics(training)
    model = compile_classifier(build_classifier(data.features, data.classes, "step", "bilstm",
                                                mean=mean, variance=variance), 2)

    start = time.perf_counter()
    own_sequences.train(model, training, validation, epochs=1, batch_size=args.batch_size, patience=1)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    own_sequences.predict(model, data)
    predict_seconds = time.perf_counter() - start

    padded = data.X.nbytes + data.steps.nbytes + data.y.nbytes
    rows = int(data.X[:, :, -1].sum())
    print(f"{'step':44s} {'seconds':>8s} {'sequences/s':>12s}")
    print(f"{'read and pad the CSV':44s} {read_seconds:8.1f} {len(data) / read_seconds:12.0f}")
    print(f"{'train one epoch (and validate), batch ' + str(args.batch_size):44s} {train_seconds:8.1f} "
          f"{(len(training) + len(validation)) / train_seconds:12.0f}")
    print(f"{'predict every sequence':44s} {predict_seconds:8.1f} {len(data) / predict_seconds:12.0f}")
    print(f"\n{rows} rows. Peak memory: {peak_memory() / 1e6:.0f} MB ({start_memory / 1e6:.0f} MB "
          f"before the data); the padded arrays: {padded / 1e6:.0f} MB; the CSV: {size / 1e6:.0f} MB")
    print(f"Peak memory above start-up, in times the padded arrays: {(read_memory - start_memory) / padded:.1f} "
          f"after reading, {(peak_memory() - start_memory) / padded:.1f} after training and predicting")
    return 0


if __name__ == "__main__":
    with cli.friendly_exit():
        sys.exit(main())
