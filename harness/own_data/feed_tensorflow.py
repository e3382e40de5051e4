"""On TensorFlow, the batches of similar lengths fed to ``fit`` through ``tf.data``: one Python
call an epoch instead of one a batch.

Every epoch of a fit is one dataset: epoch e's batches are dealt from ``(seed, e)`` exactly as
``Batches.start_epoch(e)`` deals them (``Batches.epoch_table``), then gathered from the data in
TensorFlow. ``fit`` is told the steps of an epoch, so it keeps one iterator for the whole
training and knows each epoch's end without running out of data (which would cost an extra
optimizer step). The same batches, so the same numbers: ``tests/test_batches.py`` checks it.
"""

import tensorflow as tf


def epochs_dataset(served, epochs):
    """A ``tf.data.Dataset`` of ``served``'s batches (a ``batches.Batches``) for ``epochs``
    epochs of ``fit``: dealt anew each epoch where it has a seed; else in its one order, kept
    after it is first gathered (its first epoch apart where that is padded further)."""
    X = tf.constant(served.X)
    Y = None if served.targets is None else tf.constant(served.targets)
    per_step = served.per_step

    def table(epoch):
        rows, counts, widths, weights = tf.numpy_function(
            lambda e: served.epoch_table(int(e)), [epoch], [tf.int32, tf.int32, tf.int32, tf.float32],
            stateful=False)
        rows.set_shape([None, served.batch_size])
        for values in (counts, widths, weights):
            values.set_shape([None])
        return tf.data.Dataset.from_tensor_slices((rows, counts, widths, weights))

    def batch(rows, count, width, weight):
        rows = rows[:count]
        x = tf.gather(X, rows)[:, :width]
        if Y is None:
            return (x,)
        if not per_step:
            return x, tf.gather(Y, rows)
        return x, tf.gather(Y, rows)[:, :width], tf.fill(tf.stack([count, width]), weight)

    def dealt(epoch):
        return tf.data.Dataset.from_tensors(tf.constant(epoch, tf.int64)).flat_map(table).map(batch)

    if served.seed is not None:
        epochs_of = tf.data.Dataset.range(epochs).flat_map(table).map(batch)
    elif served.first_widths is None:  # one order, every epoch
        epochs_of = dealt(0).cache().repeat()
    else:  # the first epoch padded apart, then one order for every other
        epochs_of = dealt(0).concatenate(dealt(1).cache().repeat())
    # Without tf.data's autotuning: its model thread sleeps between rounds, for up to many
    # seconds, and the end of fit waits for it to wake (idle stalls of up to 18 s were seen at
    # the end of a training). The pipeline's one buffer of two batches needs no tuning.
    options = tf.data.Options()
    options.autotune.enabled = False
    return epochs_of.prefetch(2).with_options(options)
