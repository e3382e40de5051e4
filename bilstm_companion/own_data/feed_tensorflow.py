"""On TensorFlow, ``batches.Batches`` fed to ``fit`` through ``tf.data``: one Python call an epoch, not a
batch; epoch e dealt as ``Batches.start_epoch(e)`` deals it (``epoch_table``; tests/test_batches.py). Told
an epoch's steps, ``fit`` keeps one iterator and never runs dry (which would cost an extra optimizer step).
"""

import tensorflow as tf


def epochs_dataset(served, epochs):
    """``served``'s batches for ``epochs`` epochs: dealt anew each epoch with a seed, else one order, cached."""
    X, Y = tf.constant(served.X), tf.constant(served.targets)

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
        if not served.per_step:
            return x, tf.gather(Y, rows)
        return x, tf.gather(Y, rows)[:, :width], tf.fill(tf.stack([count, width]), weight)

    def dealt(epoch):
        return tf.data.Dataset.from_tensors(tf.constant(epoch, tf.int64)).flat_map(table).map(batch)

    if served.seed is not None:
        epochs_of = tf.data.Dataset.range(epochs).flat_map(table).map(batch)
    else:  # the first epoch padded apart (``first_widths``), then one order for every other
        epochs_of = dealt(0).concatenate(dealt(1).cache().repeat())
    # Without autotuning: its thread sleeps between rounds and the end of fit waited for it (up to 18 s).
    options = tf.data.Options()
    options.autotune.enabled = False
    return epochs_of.prefetch(2).with_options(options)
