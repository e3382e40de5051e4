"""LSTMs on cuDNN or on Keras' own arithmetic.

On a GPU, Keras hands an LSTM to cuDNN, whose kernel XLA cannot compile. Where a loop or ``fit``
is compiled with XLA (``bilstm_companion/article/loop_tensorflow.py``; ``fit`` on TensorFlow's CPU), its
LSTMs use Keras' own arithmetic, the same on every device.
"""

import keras


def lstm_layers(layer):
    """Every LSTM layer in ``layer``, also inside ``Bidirectional`` wrappers."""
    if isinstance(layer, keras.layers.LSTM):
        yield layer
    if isinstance(layer, keras.layers.Bidirectional):
        yield from lstm_layers(layer.forward_layer)
        yield from lstm_layers(layer.backward_layer)
    for inner in getattr(layer, "layers", ()):
        yield from lstm_layers(inner)


def without_cudnn(model):
    """Every LSTM of ``model`` on Keras' own arithmetic, the same on every device, which XLA
    can compile (cuDNN's kernel it cannot: "No registered 'CudnnRNNV3' OpKernel for XLA")."""
    for layer in lstm_layers(model):
        layer.use_cudnn = False
    return model
