"""Trains a reader's K networks (folds, ensemble members or both; K = 1 the plain case): one after another
with ``fit`` (``fit_one``, through one model ``kept`` per architecture, so each width compiles once) or, on
JAX, in one program (``trainer_jax.Stacked``); the same numbers to float32 rounding (tests/test_folds_jax.py).
"""

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import keras
import numpy as np
import pandas as pd

from bilstm_companion import backend, devices, keras_internals, model_config
from bilstm_companion.cudnn import without_cudnn
from bilstm_companion.memory import available_memory
from bilstm_companion.own_data import batches, recipe
from bilstm_companion.own_data.layers import DataSchema, schema_of
from bilstm_companion.own_data.parameters import batch_size_for
from bilstm_companion.progress import Progress
from bilstm_companion.stopping import STOP, guarded_write


@dataclass
class Member:
    """One network to train; ``prepare()`` gives ``(compiled model, training, validation)`` only at its turn,
    so the ``SequenceSet``s of many members are never all held at once."""

    prepare: Callable
    seed: int  # deals its batches
    size: int  # its training sequences, known before any set is made (the default batch size)
    nbytes: int  # of the arrays its sets are cut from: how many members fit in memory together
    name: str = ""  # the model's, for the progress and the messages
    fold: int = 1  # its fold's number, of ``folds``
    folds: int = 1
    index: int = 1  # which member of its model's ensemble, of ``of``
    of: int = 1
    order_seed: int | None = None  # deals the order of its batches' widths (default: ``seed``)


def group_label(group):
    """The progress label of members trained together, or of one."""
    first, last = group[0], group[-1]
    folds = f", folds {first.fold}-{last.fold}/{first.folds}" if first.fold != last.fold else \
        f", fold {first.fold}/{first.folds}" if first.folds > 1 else ""
    members = "" if first.of == 1 else f", member {first.index}/{first.of}" if len(group) == 1 else \
        f", members of {first.of}"
    return first.name + folds + members


def train(members, settings, *, together=False, placement=None, should_stop=STOP):
    """Train ``members``; yield each one's ``(model, history, interrupted)`` in order, none after a stop.
    ``together``: in one JAX program, members split among ``placement``'s devices; else in turn, each
    batch split among them."""
    members = list(members)
    batch_size = batch_size_for(min(member.size for member in members), settings.batch_size)
    count = 1 if placement is None else placement.count
    if together:
        devices.check_shared(len(members), count, members[0].of)
    for group in groups_in_memory(members, count) if together else [[member] for member in members]:
        if should_stop():
            return
        models, trainings, validations = zip(*(member.prepare() for member in group))
        if not together and placement is None:
            trained = kept(models[0])
            with recipe.blamed(group[0]):
                results = [fit_one(trained, trainings[0], validations[0], epochs=settings.epochs,
                                   batch_size=batch_size, patience=settings.patience, seed=group[0].seed,
                                   order_seed=group[0].order_seed, verbose=settings.verbose,
                                   should_stop=should_stop, label=group_label(group))]
            copy_state(trained, models[0])  # the weights are the member's own
        else:
            from bilstm_companion.own_data.trainer_jax import Stacked

            sets = [batches_for(training, validation, batch_size, settings.epochs, settings.patience, member.seed,
                                member.order_seed) for member, training, validation in zip(group, trainings, validations)]
            progress = Progress(settings.epochs, settings.verbose, label=group_label(group))
            try:
                results = Stacked(models, placement, "folds" if together else "batch").fit(
                    sets, partial(recipe.callbacks, settings.patience), epochs=settings.epochs, batch_size=batch_size,
                    members=group, progress=progress, should_stop=should_stop)
            finally:
                progress.close()
        yield from ((model, *result) for model, result in zip(models, results))
        if any(interrupted for _, interrupted in results):
            return


def groups_in_memory(members, share_among=1):
    """``members`` in groups that fit in half the free memory, each a multiple of ``share_among``."""
    free = available_memory()
    size = len(members) if free is None else max(1, min(len(members), int(free // 2 // max(3 * members[0].nbytes, 1))))
    size = max(share_among, devices.agreed(size) // share_among * share_among)  # (the first process's)
    return [members[start:start + size] for start in range(0, len(members), size)]


class Watch(keras.callbacks.Callback):
    """Progress as the other scripts show it, and a stop request honoured after the batch."""

    def __init__(self, epochs, verbose, should_stop, label=""):
        super().__init__()
        self.epochs, self.verbose, self.should_stop = epochs, verbose, should_stop
        self.progress = Progress(epochs, 1 if verbose == 1 else 0, label=label)

    def on_train_batch_end(self, batch, logs=None):
        if self.should_stop():
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.progress(epoch + 1, np.array([logs.get("loss", np.nan)]), np.array([logs.get("accuracy", np.nan)]))
        if self.verbose == 2:
            values = " - ".join(f"{name}: {value:.4f}" for name, value in logs.items())
            guarded_write(sys.stdout, f"Epoch {epoch + 1}/{self.epochs} - {values}\n")

    def on_train_end(self, logs=None):
        self.progress.close()


def batches_for(training, validation, batch_size, epochs, patience, seed, order_seed=None):
    """A member's training and validation ``batches.Batches``, in the widths ``batches.for_training`` chooses."""
    longest = max(training.X.shape[1], validation.X.shape[1])
    chosen, first = batches.for_training(training.lengths, longest, batch_size, epochs, patience, backend.name())
    return (batches.Batches(training, batch_size, targets=recipe.targets(training), seed=seed, order_seed=order_seed,
                            widths=chosen, first_widths=first),
            batches.Batches(validation, batch_size, targets=recipe.targets(validation), widths=chosen,
                            first_widths=first))


def fit_one(model, training, validation, *, epochs, batch_size, patience, verbose=0, should_stop=None, seed=None,
            order_seed=None, label="", callbacks=()):
    """Fit ``model`` with ``recipe.callbacks``, then ``callbacks``; return the history (a DataFrame) and
    whether a stop request ended it, the model at its best epoch. ``seed`` None: from NumPy's global generator."""
    every = [*recipe.callbacks(patience), *callbacks, Watch(epochs, verbose, should_stop or (lambda: False), label)]
    seed = int(np.random.randint(2**31 - 1)) if seed is None else seed
    served, checked = batches_for(training, validation, batch_size, epochs, patience, seed, order_seed)
    feed = backend.batch_feed()
    if feed is None:  # a PyDataset, told each epoch's number; fit must not shuffle the batches again
        history = model.fit(served, validation_data=checked, epochs=epochs, shuffle=False, verbose=0,
                            callbacks=[batches.DealEachEpoch(served, checked), *every])
    else:
        history = model.fit(feed.epochs_dataset(served, epochs), validation_data=feed.epochs_dataset(checked, epochs),
                            steps_per_epoch=len(served), validation_steps=len(checked), epochs=epochs,
                            shuffle=False, verbose=0, callbacks=every)
    frame = pd.DataFrame(history.history)
    # A stop request mid-epoch leaves that epoch without a validation loss: it did not finish.
    frame = frame.dropna(subset=["val_loss"]) if "val_loss" in frame else frame.iloc[:0]
    frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    return frame, bool(should_stop and should_stop())


_KEPT = {}  # program_key -> the process's compiled model of it (see ``kept``)


def program_key(model):
    """Text equal for two compiled models that are one program: names made positions, no learning rate."""
    optimizer = {key: value for key, value in model.optimizer.get_config().items()
                 if key not in ("name", "learning_rate")}
    configuration = model_config.configuration(model)
    for layer in configuration.get("layers", ()):
        if layer.get("class_name") == DataSchema.__name__:
            layer["config"] = {key: value for key, value in layer["config"].items()
                               if key not in DataSchema.DESCRIPTION}
    text = json.dumps([configuration, repr(model.loss), optimizer], sort_keys=True, default=repr)
    operations = getattr(model, "operations", model.layers)  # (a functional model's ops too)
    for position, operation in sorted(enumerate(operations), key=lambda item: -len(item[1].name)):
        text = text.replace(f'"{operation.name}"', f'"#{position}"')
    return text


def kept(fresh, xla=None):
    """This process's model for ``fresh``'s architecture (a copy, never the caller's), given ``fresh``'s
    weights, optimizer state and schema, so its functions compile once (``xla``: see ``compiled_for_fit``)."""
    key = program_key(fresh)
    if key not in _KEPT:
        state = np.random.get_state()  # (cloning draws initial weights)
        copy = keras.models.clone_model(fresh)
        np.random.set_state(state)
        copy.compile_from_config(fresh.get_compile_config())
        _KEPT[key] = compiled_for_fit(copy, xla)
    model = _KEPT[key]
    copy_state(fresh, model)
    schema_of(model).describe_as(schema_of(fresh))
    model.stop_training = False
    return model


def compiled_for_fit(model, xla=None):
    """``model`` with ``fit`` compiled with XLA where faster (or as ``xla`` says), its LSTMs then without cuDNN."""
    if backend.fit_with_xla() if xla is None else xla:
        without_cudnn(model)
        keras_internals.force_xla(model)
    return model


def copy_state(source, model):
    """Put ``source``'s weights, random seeds' state (``--noise``) and optimizer state into ``model``."""
    for each in (source, model):
        each.optimizer.build(each.trainable_variables)
    for variable, value in zip([*model.variables, *model.optimizer.variables],
                               [*source.variables, *source.optimizer.variables], strict=True):
        variable.assign(value.numpy())


def predict_in_batches(model, data, batch_size=256, placement=None):
    """``batches.predict_outputs`` in ``batches.for_prediction``'s widths; each batch shared out on ``placement``."""
    chosen = batches.for_prediction(data.lengths, data.X.shape[1], batch_size, backend.name())
    predictor = None if placement is None else placement.predictor(model)
    return batches.predict_outputs(model, data, batch_size, widths=chosen, predictor=predictor)


def classes_of(probabilities):
    """The class index and its probability from the model's outputs, shaped as ``data.y`` would be."""
    if probabilities.shape[-1] == 1:  # one sigmoid unit: the probability of the second class
        positive = probabilities[..., 0]
        predicted = (positive > 0.5).astype(np.int64)
        return predicted, np.where(predicted == 1, positive, 1 - positive)
    return probabilities.argmax(axis=-1), probabilities.max(axis=-1)
