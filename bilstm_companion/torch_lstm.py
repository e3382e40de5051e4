"""Keras' LSTM on PyTorch's CPU through PyTorch's own LSTM kernel.

On PyTorch, Keras runs an LSTM through PyTorch's fused kernel (``torch.nn.LSTM``'s) only on
CUDA. On the CPU it steps through time in Python, a handful of small operations a step, each
with its own entry in the autograd graph; with a mask it takes its generic loop, slower still.
PyTorch's kernel does the same arithmetic in C++, forward and backward, on the CPU as well.
``install`` hands Keras' LSTMs on the CPU to it:

- without a mask (the article's sequences), the whole sequence in one call;
- with a mask that hides the end of each sequence (padding, as ``classify_sequences.py``
  pads), the sequences packed to their real lengths (``pack_padded_sequence``): each state
  stops at its last real step, as Keras' masked loop keeps it there, and the outputs on
  padding are zeros, as Keras' cuDNN path gives them (every later layer masks them).

Anything else (another activation, a mask with holes, a sequence with no real step, a GPU)
goes to Keras' own path, unchanged. The weights are Keras' variables, laid out as PyTorch
wants them (kernels transposed; Keras' one bias as the input bias, the recurrent bias zero),
so gradients reach them as before. ``tests/test_torch_lstm.py`` holds outputs, states, losses
and gradients to Keras' own arithmetic. Import only on PyTorch.
"""

import keras
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from bilstm_companion import keras_internals

_keras_lstm = None  # Keras' own, for what this module does not take


def install():
    """Route Keras' LSTMs on PyTorch through ``lstm`` (once per process)."""
    global _keras_lstm
    if _keras_lstm is None:
        _keras_lstm = keras_internals.replace_backend_lstm(lstm)


def standard(activation, recurrent_activation):
    """Whether an LSTM's activations are PyTorch's fixed ones: tanh, and sigmoid for the gates."""
    return (activation in (keras.activations.tanh, torch.tanh)
            and recurrent_activation in (keras.activations.sigmoid, torch.sigmoid))


def real_lengths(mask, width):
    """Each sequence's number of real steps, where ``mask`` hides only the end of each
    sequence and hides no sequence entirely; else None."""
    mask = mask.to(torch.bool)
    lengths = mask.sum(dim=1)
    if bool((lengths == 0).any()):
        return None
    expected = torch.arange(width, device=mask.device)[None, :] < lengths[:, None]
    return lengths if bool(torch.equal(mask, expected)) else None


def reverse_real_steps(values, lengths):
    """Each sequence's real steps in reverse order, the padding left where it was."""
    width = values.shape[1]
    steps = torch.arange(width, device=values.device)[None, :]
    index = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)
    return torch.gather(values, 1, index[..., None].expand(-1, -1, values.shape[2]))


def lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias, activation,
         recurrent_activation, return_sequences=False, go_backwards=False, unroll=False, batch_first=True):
    """``keras.src.backend.lstm`` on PyTorch: the CPU cases above through ``kernel_lstm``, the
    rest through Keras' own: ``(last output, outputs, [h, c])``, the outputs in reading
    order (reversed in time when ``go_backwards``)."""
    inputs = keras.ops.convert_to_tensor(inputs)
    lengths = None
    taken = (inputs.device.type == "cpu" and not unroll and batch_first and bias is not None
             and standard(activation, recurrent_activation))
    if taken and mask is not None:
        lengths = real_lengths(keras.ops.convert_to_tensor(mask), inputs.shape[1])
        taken = lengths is not None
    if not taken:
        return _keras_lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias,
                           activation, recurrent_activation, return_sequences, go_backwards, unroll, batch_first)
    return kernel_lstm(inputs, initial_state_h, initial_state_c, lengths, kernel, recurrent_kernel, bias,
                       return_sequences, go_backwards)


def kernel_lstm(inputs, initial_state_h, initial_state_c, lengths, kernel, recurrent_kernel, bias,
                return_sequences, go_backwards):
    """The LSTM through PyTorch's kernel, each sequence ``lengths`` steps long (None: all of
    them), as ``lstm`` returns it."""
    kernel, recurrent_kernel, bias = (keras.ops.convert_to_tensor(value) for value in (kernel, recurrent_kernel, bias))
    inputs = inputs.to(kernel.dtype)
    state = tuple(keras.ops.convert_to_tensor(value).to(kernel.dtype)[None]
                  for value in (initial_state_h, initial_state_c))
    weights = [kernel.T, recurrent_kernel.T, bias, torch.zeros_like(bias)]  # PyTorch's layout
    width = inputs.shape[1]
    if lengths is None:
        read = torch.flip(inputs, dims=[1]) if go_backwards else inputs
        outputs, h, c = torch.lstm(read, state, weights, True, 1, 0.0, torch.is_grad_enabled(), False, True)
    else:
        read = reverse_real_steps(inputs, lengths) if go_backwards else inputs
        packed = pack_padded_sequence(read, lengths.cpu(), batch_first=True, enforce_sorted=False)
        state = tuple(value[:, packed.sorted_indices] for value in state)  # (as torch.nn.LSTM does)
        data, h, c = torch.lstm(packed.data, packed.batch_sizes, state, weights, True, 1, 0.0,
                                torch.is_grad_enabled(), False)
        outputs, _ = pad_packed_sequence(packed._replace(data=data), batch_first=True, total_length=width)
        h, c = h[:, packed.unsorted_indices], c[:, packed.unsorted_indices]
        if go_backwards:  # in reading order: the padding first, then the real steps from the last
            steps = torch.arange(width, device=inputs.device)[None, :]
            index = (steps - (width - lengths[:, None])) % width
            outputs = torch.gather(outputs, 1, index[..., None].expand(-1, -1, outputs.shape[2]))
    h, c = h[0], c[0]
    if not return_sequences:
        outputs = h[:, None]
    return h, outputs, [h, c]
