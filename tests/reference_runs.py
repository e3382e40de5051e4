"""The files of a few runs of ``classify_sequences.py``, kept in ``tests/reference/`` as the
script wrote them before it trained through ``SequenceClassifier``, on each backend; the
test compares every later run with them (``tests/test_estimator.py``).

Run as a script to write them anew, on the backend ``KERAS_BACKEND`` names:
    KERAS_BACKEND=jax python tests/reference_runs.py
They are written as the test session compiles (``processes.TEST_XLA_FLAGS``): XLA's own
optimisations move the last bits of a float32.
"""

import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference"
FILES = ("folds", "predictions", "history")
# Each case: a small example CSV (per sequence or per step), and the options of the run.
CASES = {
    "steps_folds": (False, ["--model", "lstm,bilstm", "--folds", "3"]),
    "sequences_test_file_repeats": (True, ["--target", "sequence", "--model", "bilstm_sum,lstm", "--folds", "2",
                                           "--repeats", "2", "--test", "{test}", "--max-steps", "6",
                                           "--scaling", "training"]),
}  # (--scaling training: the scaling every run had when these files were written)
QUICK = ["--epochs", "3", "--units", "3", "--quiet", "--no-dtw", "--batch-size", "32", "--ensemble", "1",
         "--noise", "0"]  # (32, one network, no jitter: as when written)


def machine():
    """What the reference files' last bits depend on: the processor and the libraries."""
    import keras
    import numpy

    return f"{platform.machine()} {processor()} keras {keras.__version__} numpy {numpy.__version__}"


def processor():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def write_data(folder, per_sequence):
    """The case's DATA and test CSVs in ``folder``: ``(data, test)`` paths."""
    import numpy as np

    from bilstm_companion.own_data.example import example_frame

    paths = []
    for name, seed, n_sequences in (("data.csv", 2, 40), ("test.csv", 3, 12)):
        frame = example_frame(n_sequences=n_sequences, lengths=(3, 8), seed=seed)
        if per_sequence:
            frame["label"] = np.where(frame.groupby("id")["x"].transform("mean") > 0.5, "high", "low")
        frame.to_csv(folder / name, index=False)
        paths.append(folder / name)
    return paths


def run_case(case, folder):
    """Run ``case`` with its files in ``folder``; return the folder the run wrote to."""
    import classify_sequences

    per_sequence, options = CASES[case]
    data, test = write_data(folder, per_sequence)
    out = folder / "out"
    options = [option.format(test=test) for option in options]
    status = classify_sequences.main([str(data), *options, *QUICK, "--output-dir", str(out)])
    if status != 0:
        raise RuntimeError(f"the reference run {case} ended with status {status}")
    return out


def main():
    import os
    import tempfile

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    from processes import TEST_XLA_FLAGS

    os.environ["XLA_FLAGS"] = TEST_XLA_FLAGS  # as tests/conftest.py compiles
    from bilstm_companion import backend, startup

    startup.start_backend("cpu", compile_cache=False)
    target = REFERENCE / backend.name()
    for case in CASES:
        with tempfile.TemporaryDirectory() as folder:
            out = run_case(case, Path(folder))
            (target / case).mkdir(parents=True, exist_ok=True)
            for name in FILES:
                (target / case / f"{name}.csv").write_bytes((out / f"classify_sequences_{name}.csv").read_bytes())
    (target / "machine.txt").write_text(machine() + "\n")
    print(f"Wrote {target}")


if __name__ == "__main__":
    main()
