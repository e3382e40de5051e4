"""On PyTorch, LSTMs run through PyTorch's own kernel (``bilstm_companion/torch_lstm.py``): the same
outputs, final states and gradients as Keras' own step-by-step arithmetic, to float32
rounding, with and without padding, in both directions."""

import keras
import numpy as np
import pytest

from bilstm_companion import backend
from bilstm_companion.cudnn import without_cudnn

pytestmark = pytest.mark.skipif(backend.name() != "torch", reason="PyTorch's LSTM kernel is PyTorch's")

LENGTHS = [7, 3, 7, 1, 5]  # padded to 7 steps, in no order of length


def lstm_model(kind, return_sequences, masked):
    """A model around one LSTM (``forward``, ``backward``: go_backwards, or ``bidirectional``)
    whose input's last feature is 1 on real steps, as ``classify_sequences.py``'s is."""
    inputs = keras.Input(shape=(None, 3))
    x = keras.layers.Masking(0.0)(inputs) if masked else inputs
    lstm = keras.layers.LSTM(4, return_sequences=return_sequences, return_state=kind != "bidirectional",
                             go_backwards=kind == "backward")
    if kind == "bidirectional":
        outputs = [keras.layers.Bidirectional(lstm)(x)]
    else:
        outputs = lstm(x)
    return keras.Model(inputs, outputs)


def padded_inputs(rng):
    x = np.zeros((len(LENGTHS), max(LENGTHS), 3), np.float32)
    for row, length in enumerate(LENGTHS):
        x[row, :length, :2] = rng.normal(size=(length, 2))
        x[row, :length, 2] = 1.0
    return x


def outputs_and_gradients(model, x, real):
    """The model's outputs, and the gradients of a weighted sum of them over the real steps
    (every step, unmasked) with respect to every weight."""
    import torch

    model.zero_grad()
    outputs = model(keras.ops.convert_to_tensor(x))
    outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
    weights = torch.linspace(-1.0, 1.0, outputs[0].shape[-1])
    total = 0.0
    for output in outputs:
        kept = output * torch.as_tensor(real[:, :, None]) if output.ndim == 3 else output
        total = total + (kept * weights[: output.shape[-1]]).sum()
    total.backward()
    values = [output.detach().numpy() * (real[:, :, None] if output.ndim == 3 else 1) for output in outputs]
    return values, [variable.value.grad.numpy().copy() for variable in model.trainable_variables]


@pytest.mark.parametrize("masked", [True, False], ids=["padded", "unpadded"])
@pytest.mark.parametrize("return_sequences", [True, False], ids=["sequences", "last"])
@pytest.mark.parametrize("kind", ["forward", "backward", "bidirectional"])
def test_pytorchs_kernel_gives_keras_own_outputs_states_and_gradients(kind, return_sequences, masked):
    rng = np.random.default_rng(3)
    x = padded_inputs(rng)
    real = (x[:, :, 2] > 0).astype(np.float32) if masked else np.ones(x.shape[:2], np.float32)
    keras.utils.set_random_seed(5)
    fast = lstm_model(kind, return_sequences, masked)
    keras.utils.set_random_seed(5)
    own = without_cudnn(lstm_model(kind, return_sequences, masked))
    calls = []
    from bilstm_companion import torch_lstm

    original = torch_lstm.kernel_lstm
    torch_lstm.kernel_lstm = lambda *args: calls.append(1) or original(*args)
    try:
        fast_outputs, fast_gradients = outputs_and_gradients(fast, x, real)
    finally:
        torch_lstm.kernel_lstm = original
    assert calls, "PyTorch's kernel was not used"
    own_outputs, own_gradients = outputs_and_gradients(own, x, real)
    for ours, theirs in zip(fast_outputs, own_outputs, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(fast_gradients, own_gradients, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
    assert max(np.abs(gradient).max() for gradient in own_gradients) > 1e-3  # (gradients to compare)


def test_a_mask_with_a_hole_or_an_empty_sequence_goes_to_keras_own_loop():
    from bilstm_companion import torch_lstm

    model = lstm_model("forward", True, True)
    x = padded_inputs(np.random.default_rng(0))
    x[3, :, :] = 0.0  # a sequence with no real step
    holed = x.copy()
    holed[0, 2, :] = 0.0  # a masked step between real ones
    calls = []
    original = torch_lstm.kernel_lstm
    torch_lstm.kernel_lstm = lambda *args: calls.append(1) or original(*args)
    try:
        for inputs in (x, holed):
            model(keras.ops.convert_to_tensor(inputs))
    finally:
        torch_lstm.kernel_lstm = original
    assert calls == []
