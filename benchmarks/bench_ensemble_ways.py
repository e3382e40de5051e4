"""Two ways to train an ensemble's K networks where the members cannot be stacked as on JAX
(TensorFlow, PyTorch), timed on the README's example's shape: one after another, which is what
``classify_sequences.py --ensemble K`` does there, or one Keras model holding the K networks side
by side, each with its own input and output, whose summed loss gives each its own gradients.

The second cannot give the numbers of K trainings: a Keras model has one optimizer, so one
learning rate, where the recipe halves each member's on its own plateaus, and one ``fit``
stops once, where each member stops at its own best epoch. It is timed to see what it would
save. Each way trains the script's bidirectional LSTM for a label per step, batches of 32 padded
to 30 steps, compiled as the script compiles it (XLA on TensorFlow); the first epoch, which
compiles, is left out, and the faster of ``--repeats`` timings of ``--epochs`` epochs counts.

Usage:
    KERAS_BACKEND=tensorflow python benchmarks/bench_ensemble_ways.py
    KERAS_BACKEND=torch python benchmarks/bench_ensemble_ways.py --members 5 --epochs 3
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bilstm_companion import options, startup


def networks(count, seed=1):
    """``count`` compiled networks of the script's recipe for two features and a label per step."""
    from bilstm_companion import backend
    from bilstm_companion.own_data.network import build_classifier
    from bilstm_companion.own_data.recipe import compile_classifier

    built = []
    for index in range(count):
        backend.seed_everything(seed + index)
        built.append(compile_classifier(build_classifier(["x", "noise"], ["0", "1"], "step", "bilstm",
                                                         mean=[0.5, 0.0], variance=[0.08, 1.0]), 2))
    return built


def side_by_side(members):
    """One model holding ``members``, an input and an output each, compiled as each one is."""
    import keras

    inputs = [keras.Input(shape=(None, 3)) for _ in members]
    for index, member in enumerate(members):
        member.name = f"member_{index}"
    model = keras.Model(inputs, [member(given) for member, given in zip(members, inputs)])
    model.compile(loss=[members[0].loss] * len(members), optimizer=keras.optimizers.Adam(0.01))
    return model


def seconds_per_epoch(model, x, y, epochs, repeats):
    """The faster of ``repeats`` timings of ``epochs`` epochs of ``fit``, after one that compiles."""
    from bilstm_companion.own_data.trainer import compiled_for_fit

    compiled_for_fit(model).fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, shuffle=False)
        timings.append((time.perf_counter() - start) / epochs)
    return min(timings)


def main(argv=None):
    parser = options.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--members", type=options.positive_int, default=5, metavar="K",
                        help="networks in the ensemble (default: 5)")
    parser.add_argument("--epochs", type=options.positive_int, default=5, metavar="N",
                        help="epochs timed after the first (default: 5)")
    parser.add_argument("--repeats", type=options.positive_int, default=2, metavar="N",
                        help="timings, of which the fastest counts (default: 2)")
    args = parser.parse_args(argv)
    startup.start_backend("cpu")
    from bilstm_companion import backend

    rng = np.random.default_rng(1)  # the README's example's shape: 420 sequences of 30 steps to train on
    x = np.concatenate([rng.random((420, 30, 2)), np.ones((420, 30, 1))], axis=-1).astype(np.float32)
    y = (np.cumsum(x[..., :1], axis=1) > 7.5).astype(np.float32)
    one = seconds_per_epoch(networks(1)[0], x, y, args.epochs, args.repeats)
    after_another = sum(seconds_per_epoch(network, x, y, args.epochs, args.repeats)
                        for network in networks(args.members))
    together = seconds_per_epoch(side_by_side(networks(args.members)), [x] * args.members, [y] * args.members,
                                 args.epochs, args.repeats)
    print(f"{backend.name()}, {args.members} networks, seconds per epoch after the first (420 sequences of 30 "
          f"steps, batches of 32):")
    print(f"  one network                    {one:8.3f}")
    print(f"  {args.members} one after another            {after_another:8.3f}   {after_another / one:5.1f}x one")
    print(f"  {args.members} side by side in one model    {together:8.3f}   {together / one:5.1f}x one")
    return 0


if __name__ == "__main__":
    sys.exit(main())
