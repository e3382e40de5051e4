"""Batches of similar lengths: the widths, which sequences share a batch, seeding, and that
padding a batch only to its width changes no loss and no prediction."""

import itertools
from pathlib import Path

import keras
import numpy as np
import pytest

from bilstm_companion import backend
from bilstm_companion.own_data import recipe, trainer
from bilstm_companion.own_data.batches import Batches, DealEachEpoch, padded_lengths, plan_batches
from bilstm_companion.own_data.batches import predict_outputs as predict_in_batches
from bilstm_companion.own_data.recipe import compile_classifier
from bilstm_companion.own_data.sequences import SequenceSet
from classify_sequences import build_classifier

# Float32 rounding: a sum over a batch padded to 16 steps and over the same batch padded to
# 8 adds the same numbers (padding adds zeros) but the backend may group the additions
# differently for the two shapes, which moves the last bit or two of a float32 (about 1e-7
# relative). Over a few epochs of Adam updates these differences stay below 1e-5.
RTOL, ATOL = 1e-5, 1e-6


def sequences(lengths, target="step", seed=0):
    """A ``SequenceSet`` of random sequences of ``lengths``, two features, two classes."""
    rng = np.random.default_rng(seed)
    X = np.zeros((len(lengths), max(lengths), 3), np.float32)
    for index, length in enumerate(lengths):
        X[index, :length, :2] = rng.normal(size=(length, 2))
        X[index, :length, 2] = 1.0
    if target == "step":
        y = ((X[..., 0] > 0) & (X[..., 2] > 0)).astype(np.int64)
    else:
        y = (X[..., 0].sum(axis=1) > 0).astype(np.int64)
    steps = np.where(X[..., 2] > 0, np.arange(1, X.shape[1] + 1), np.nan)
    return SequenceSet(np.arange(len(lengths)).astype(str), X, steps, y, ["0", "1"], ["a", "b"])


def classifier(target, seed=3):
    keras.utils.set_random_seed(seed)
    return compile_classifier(build_classifier(["a", "b"], ["0", "1"], target, "bilstm", units=3,
                                               mean=[0.1, -0.1], variance=[1.2, 0.9]), 2)


# The widths and the plan -------------------------------------------------------------------------

def test_the_widths_are_few_fixed_and_end_at_the_longest_sequence():
    assert padded_lengths(100) == (8, 16, 24, 32, 40, 48, 56, 64, 80, 100)
    assert padded_lengths(8) == (8,) and padded_lengths(3) == (3,)
    long = padded_lengths(10_000)
    assert long[-1] == 10_000 and len(long) <= 30
    assert all(width % 8 == 0 for width in long[:-1])
    assert all(later / earlier <= 1.25 + 8 / earlier for earlier, later in itertools.pairwise(long[7:]))


def test_every_sequence_is_in_one_batch_padded_at_most_one_width_beyond_its_own():
    lengths = np.random.default_rng(1).integers(5, 101, 1000)
    widths = padded_lengths(100)
    batches, batch_widths = plan_batches(lengths, 32, widths, np.random.default_rng(2))
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    for batch, width in zip(batches, batch_widths):
        own = np.searchsorted(widths, lengths[batch])
        assert lengths[batch].max() <= width
        assert widths.index(width) - own.min() <= 1
    # The batches are full but for one or two; a third of the steps is padding, not half.
    assert sum(len(batch) < 32 for batch in batches) <= 2
    padded = sum(len(batch) * width for batch, width in zip(batches, batch_widths))
    assert padded / lengths.sum() < 1.15 < 100 * len(lengths) / lengths.sum()
    # Keras on TensorFlow learns which dimensions vary from the first two batches.
    assert batch_widths[0] != batch_widths[1]


def test_the_batches_are_seeded_and_dealt_anew_each_epoch():
    data = sequences(np.random.default_rng(4).integers(3, 41, 200).tolist())

    def dealt(batches):
        return [batches[index][0].shape for index in range(len(batches))], [b.tolist() for b in batches.batches]

    first, again = Batches(data, 16, seed=5), Batches(data, 16, seed=5)
    assert dealt(first) == dealt(again)
    epoch_0 = dealt(first)
    first.start_epoch(1)
    assert dealt(first) != epoch_0
    first.start_epoch(0)
    assert dealt(first) == epoch_0
    assert dealt(Batches(data, 16, seed=6)) != epoch_0
    # Validation keeps one order, narrowest batches first (but for the second, see plan).
    held = Batches(data, 16)
    widths = held.batch_widths.tolist()
    held.start_epoch(1)
    assert held.batch_widths.tolist() == widths and widths[2:] == sorted(widths[2:])


def test_fit_serves_each_epoch_the_batches_dealt_for_it():
    data = sequences(np.random.default_rng(7).integers(3, 25, 60).tolist())
    served = []

    class Recorded(Batches):
        def __getitem__(self, index):
            served.append((self.epoch, tuple(self.batches[index])))
            return super().__getitem__(index)

    batches = Recorded(data, 8, targets=recipe.targets(data), seed=1)
    classifier("step").fit(batches, epochs=3, shuffle=False, verbose=0, callbacks=[DealEachEpoch(batches)])
    # Keras may read a batch or two before training, to learn their shapes; then epoch e
    # serves every batch that start_epoch(e) deals, once each, in their order.
    for epoch in range(3):
        expected = Batches(data, 8, seed=1)
        expected.start_epoch(epoch)
        assert [rows for dealt, rows in served if dealt == epoch][-len(expected):] == \
            [tuple(rows) for rows in expected.batches]
    assert len({tuple(rows) for _, rows in served}) > len(expected)  # not the same batches every epoch


def test_a_single_huge_sequence_gets_a_batch_of_its_own_and_trains(tmp_path):
    lengths = [3, 5, 8, 4, 6, 7] * 6 + [1500]
    data = sequences(lengths)
    batches = Batches(data, 8, targets=recipe.targets(data), seed=1)
    widest = int(np.argmax(batches.batch_widths))
    assert batches.batch_widths[widest] == 1500 and batches.batches[widest].tolist() == [36]
    assert sorted(batches.batch_widths)[-2] == 8  # the short ones are not dragged out to 1500
    model = classifier("step")
    history, stopped = trainer.fit_one(model, data, data.subset(np.arange(8)), epochs=1, batch_size=8,
                                           patience=1, seed=1)
    assert len(history) == 1 and not stopped and np.isfinite(history["loss"]).all()


# Padding only as far as a batch needs changes no loss and no prediction ---------------------------

@pytest.mark.parametrize("target", ["step", "sequence"])
def test_batches_padded_to_their_width_train_as_if_padded_to_the_longest(target):
    # Which sequences share a batch changes the gradients, so the comparison keeps the
    # batches and changes only how far they are padded: each to its own width, or all to the
    # longest sequence (what fit on the padded arrays does). The losses, the weights after
    # three epochs and the predictions then agree to float32 rounding (RTOL). So does the
    # accuracy with a label per sequence; with a label per step, Keras' masked accuracy weighs
    # each step by one over its batch's width, so batches of different widths give it another
    # value (the loss and the predictions, from which the reported accuracy comes, agree).
    # Widths 8 and 16 (fewer widths, fewer programs to compile: the point is the same).
    lengths = np.random.default_rng(8).integers(3, 17, 56).tolist()
    training, validation = sequences(lengths[:44], target), sequences(lengths[44:] + [16], target, seed=1)
    results = []
    for pad_to in (None, 16):
        model = classifier(target)
        history = model.fit(Batches(training, 8, targets=recipe.targets(training), seed=2, pad_to=pad_to),
                            validation_data=Batches(validation, 8, targets=recipe.targets(validation),
                                                    pad_to=pad_to), epochs=3, verbose=0)
        results.append((history.history, model.get_weights(),
                        predict_in_batches(model, validation, 8, pad_to=pad_to)))
    (history, weights, predicted), (history_longest, weights_longest, predicted_longest) = results
    assert history.keys() == history_longest.keys()
    for name in history if target == "sequence" else ("loss", "val_loss"):
        np.testing.assert_allclose(history[name], history_longest[name], rtol=RTOL, err_msg=name)
    for weight, weight_longest in zip(weights, weights_longest):
        np.testing.assert_allclose(weight, weight_longest, rtol=RTOL, atol=ATOL)
    real = validation.mask if target == "step" else slice(None)
    np.testing.assert_allclose(predicted[real], predicted_longest[real], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("target", ["step", "sequence"])
def test_predictions_and_the_validation_loss_do_not_depend_on_the_batches(target):
    data = sequences(np.random.default_rng(9).integers(3, 17, 40).tolist(), target)
    model = classifier(target)
    # Per sequence, a prediction is the same in any batch, at any width.
    whole = model.predict(data.X, batch_size=len(data), verbose=0)
    real = data.mask if target == "step" else slice(None)
    for batch_size in (1, 7, 64):
        np.testing.assert_allclose(predict_in_batches(model, data, batch_size)[real], whole[real],
                                   rtol=RTOL, atol=ATOL)
    predicted_class, probability = trainer.classes_of(trainer.predict_in_batches(model, data))
    assert predicted_class.shape == probability.shape == data.y.shape
    # The loss is the mean cross-entropy over every real step (or sequence), however the
    # steps fall into batches: with a label per step, the weights see to it.
    positive = np.clip(whole[..., 0], 1e-7, 1 - 1e-7)[real]
    labels = data.y[real]
    expected = -np.mean(labels * np.log(positive) + (1 - labels) * np.log(1 - positive))
    for batch_size in (4, 64):
        loss = model.evaluate(Batches(data, batch_size, targets=recipe.targets(data)), verbose=0,
                              return_dict=True)["loss"]
        assert loss == pytest.approx(expected, rel=RTOL)


# The same command, the same numbers -------------------------------------------------------------------

@pytest.mark.parametrize("buckets", [True, False])
def test_the_same_seed_trains_to_the_same_numbers_with_and_without_buckets(buckets, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_sequences  # (without buckets: its way of padding every batch to the longest sequence)

    lengths = np.random.default_rng(10).integers(3, 25, 80).tolist()
    training, validation = sequences(lengths[:60]), sequences(lengths[60:], seed=1)
    histories = []
    for _ in range(2):
        backend.seed_everything(4)
        model = compile_classifier(build_classifier(["a", "b"], ["0", "1"], "step", "lstm", units=3), 2)
        fit = trainer.fit_one if buckets else bench_sequences.fit_longest
        history, _ = fit(model, training, validation, epochs=2, batch_size=8, patience=2)
        histories.append(history)
    assert histories[0].equals(histories[1])


# How many widths a run compiles: as many as its epochs repay ----------------------------------------

def run_cost(lengths, widths, batch_size, passes, costs):
    """What ``batches.chosen`` minimises: a compilation per width, and every padded step."""
    padded = np.asarray(widths)[np.searchsorted(widths, lengths)]
    return len(widths) * costs.compile + passes * costs.step * padded.sum() / batch_size


def test_the_chosen_widths_are_the_cheapest_of_every_choice_from_the_ladder():
    from bilstm_companion.own_data.batches import TRAINING, chosen

    lengths = np.random.default_rng(11).integers(1, 49, 700)
    ladder = padded_lengths(48)  # 8, 16, ... 48: 2**5 choices, each with 48
    for costs, passes in itertools.product(TRAINING.values(), (1, 20, 150, 5000)):
        best = chosen(lengths, ladder, 32, passes, costs)
        assert best[-1] == 48 and set(best) <= set(ladder) and list(best) == sorted(set(best))
        every = [(*subset, 48) for size in range(len(ladder)) for subset in itertools.combinations(ladder[:-1], size)]
        cheapest = min(run_cost(lengths, widths, 32, passes, costs) for widths in every)
        assert run_cost(lengths, best, 32, passes, costs) == pytest.approx(cheapest, rel=1e-12)
    # More passes over the data never choose fewer widths; a single width where nothing repays one.
    counts = [len(chosen(lengths, ladder, 32, passes, TRAINING["jax"])) for passes in (1, 20, 150, 5000)]
    assert counts == sorted(counts) and counts[0] == 1 and counts[-1] == len(ladder)


def test_small_files_and_short_runs_get_few_widths_large_long_runs_keep_the_ladder():
    from bilstm_companion.own_data.batches import for_prediction, for_training

    example = np.random.default_rng(12).integers(5, 31, 420)  # the README's example, 420 to train on
    large = np.random.default_rng(13).integers(5, 101, 8000)  # bench_sequences.py's 10,000
    for name in ("tensorflow", "jax"):
        widths, first = for_training(example, 30, 32, 300, 50, name)
        assert len(widths) <= 2 and widths[-1] == 30 and first == (30,)
        widths, first = for_training(large, 100, 32, 300, 50, name)
        assert len(widths) >= 8 and widths[-1] == 100 and set(first) <= set(widths) and len(first) <= 2
        assert len(for_training(large, 100, 32, 1, 50, name)[0]) <= 2  # one epoch repays little
        assert len(for_prediction(large, 100, 256, name)) <= 3
        assert for_training(large, 100, 32, 300, 50, name) == for_training(large, 100, 32, 300, 50, name)
    # PyTorch compiles nothing: every width of the ladder, from the first epoch on.
    assert for_training(example, 30, 32, 300, 50, "torch") == (padded_lengths(30), padded_lengths(30))
    assert for_prediction(large, 100, 256, "torch") == padded_lengths(100)


def test_the_first_epoch_pads_the_same_batches_further_and_trains_to_the_same_numbers():
    lengths = np.random.default_rng(14).integers(3, 17, 56).tolist()
    training, validation = sequences(lengths[:44]), sequences(lengths[44:] + [16], seed=1)
    results = []
    for first_widths in (None, (16,)):
        served = Batches(training, 8, targets=recipe.targets(training), seed=2, first_widths=first_widths)
        checked = Batches(validation, 8, targets=recipe.targets(validation), first_widths=first_widths)
        shapes = []
        for epoch in range(2):  # what each epoch serves: the same rows, its own widths
            for batches in (served, checked):
                batches.start_epoch(epoch)
                shapes.append([(tuple(batches.batches[index]), batches[index][0].shape[1])
                               for index in range(len(batches))])
        results.append(shapes)
        model = classifier("step")
        history = model.fit(served, validation_data=checked, epochs=2, shuffle=False, verbose=0,
                            callbacks=[DealEachEpoch(served, checked)])
        results[-1] = (shapes, history.history, model.get_weights())
    (shapes, history, weights), (shapes_first, history_first, weights_first) = results
    for epoch_shapes, epoch_shapes_first, epoch in zip(shapes, shapes_first, (0, 0, 1, 1)):
        assert [rows for rows, _ in epoch_shapes] == [rows for rows, _ in epoch_shapes_first]
        if epoch == 0:  # padded further; later epochs as without first widths
            assert {width for _, width in epoch_shapes_first} == {16}
    assert {width for _, width in shapes[0]} == {8, 16}  # the training batches, at their own widths
    assert shapes[2:] == shapes_first[2:]
    for name in ("loss", "val_loss"):
        np.testing.assert_allclose(history[name], history_first[name], rtol=RTOL, err_msg=name)
    for weight, weight_first in zip(weights, weights_first):
        np.testing.assert_allclose(weight, weight_first, rtol=RTOL, atol=ATOL)
