"""Recurrent layers: the RNN, GRU and LSTM cells (one time step) and the RNN, GRU and LSTM modules
(whole sequences, stacked layers, both directions).

Everything is composed of linear, add, sigmoid, tanh and mul, recorded as PyTorch's CPU path records
it, so the graph shows the same nodes. The one exception is PyTorch's own: a float32 ``nn.LSTM``
runs one fused oneDNN kernel per layer and direction, ``MkldnnRnnLayerBackward0`` (ops/recurrent.py).
"""
import math
import numbers
import warnings

from .. import _dtype, factories
from ..ops import api as _api
from ..ops.recurrent import MkldnnRnnLayerBackward0, TransposeBackward1, unsafe_chunk
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


# ---- one time step: h' = cell(x, h) ----
def _check_cell(input, hx, w_ih, w_hh, label=0):
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {w_ih.shape[1]}")
    if input.shape[0] != hx.shape[0]:
        raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{label} batch size {hx.shape[0]}")
    if hx.shape[1] != w_hh.shape[1]:
        raise RuntimeError(f"hidden{label} has inconsistent hidden_size: got {hx.shape[1]}, expected {w_hh.shape[1]}")


def rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh", projected=False):
    """h' = act(h·W_hhᵀ + b_hh + x·W_ihᵀ + b_ih). ``projected``: input already is x·W_ihᵀ + b_ih."""
    act = _api.tanh if nonlinearity == "tanh" else _api.relu
    hh = F.linear(hx, w_hh, b_hh)
    return act(hh + (input if projected else F.linear(input, w_ih, b_ih)))


def gru_cell(input, hx, w_ih, w_hh, b_ih, b_hh, projected=False):
    """r = σ(h_r + x_r),  z = σ(h_z + x_z),  n = tanh(x_n + r·h_n),  h' = (h - n)·z + n
    where x_r, x_z, x_n are the three chunks of x·W_ihᵀ + b_ih and h_r, h_z, h_n of h·W_hhᵀ + b_hh."""
    x_r, x_z, x_n = unsafe_chunk(input if projected else F.linear(input, w_ih, b_ih), 3, 1)
    h_r, h_z, h_n = unsafe_chunk(F.linear(hx, w_hh, b_hh), 3, 1)
    r = _api.sigmoid(h_r + x_r)
    z = _api.sigmoid(h_z + x_z)
    n = _api.tanh(x_n + h_n * r)
    return (hx - n) * z + n


def lstm_cell(input, hx, cx, w_ih, w_hh, b_ih, b_hh, projected=False, w_hr=None):
    """i, f, g, o = chunks of h·W_hhᵀ + b_hh + x·W_ihᵀ + b_ih through σ, σ, tanh, σ;
    c' = f·c + i·g,  h' = o·tanh(c')  (then h'·W_hrᵀ with a projection). Returns (h', c')."""
    gates = F.linear(hx, w_hh, b_hh) + (input if projected else F.linear(input, w_ih, b_ih))
    i, f, g, o = unsafe_chunk(gates, 4, 1)
    i, f, g, o = _api.sigmoid(i), _api.sigmoid(f), _api.tanh(g), _api.sigmoid(o)
    cy = f * cx + i * g
    hy = o * _api.tanh(cy)
    return (hy if w_hr is None else _api.matmul(hy, w_hr.t())), cy


class RNNCellBase(Module):
    """Weights W_ih (chunks·hidden, input), W_hh (chunks·hidden, hidden) and two biases, all drawn
    from U(-1/√hidden, 1/√hidden) in that order, as PyTorch does."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(factories.empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(factories.empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(factories.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(factories.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batched(self, input, hx):
        """PyTorch's cells take one sample (1-d) or a batch (2-d); a missing state is zeros. The state
        is one tensor, or a pair (h, c) for the LSTM cell."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        pair = isinstance(self, LSTMCell)
        for idx, value in enumerate(() if hx is None else hx if pair else (hx,)):
            if value.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected {f'hx[{idx}]' if pair else 'hidden'} to be 1D or 2D, got "
                                 f"{value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = factories.zeros(input.size(0), self.hidden_size, dtype=input.dtype)
            hx = (zeros, zeros) if pair else zeros
        elif not is_batched:
            hx = tuple(h.unsqueeze(0) for h in hx) if pair else hx.unsqueeze(0)
        return input, hx, is_batched


class RNNCell(RNNCellBase):
    """h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)  (or relu)"""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, hx, is_batched = self._batched(input, hx)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        _check_cell(input, hx, self.weight_ih, self.weight_hh)
        ret = rnn_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity)
        return ret if is_batched else ret.squeeze(0)


class GRUCell(RNNCellBase):
    """One GRU step (see ``gru_cell``); weights hold the r, z, n chunks in that order."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, is_batched = self._batched(input, hx)
        _check_cell(input, hx, self.weight_ih, self.weight_hh)
        ret = gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (see ``lstm_cell``); weights hold the i, f, g, o chunks in that order.
    Takes and returns the state as a pair (h, c)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, is_batched = self._batched(input, hx)
        if len(hx) != 2:
            raise RuntimeError("lstm_cell expects two hidden states")
        _check_cell(input, hx[0], self.weight_ih, self.weight_hh, 0)
        _check_cell(input, hx[1], self.weight_ih, self.weight_hh, 1)
        h, c = lstm_cell(input, hx[0], hx[1], self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


# ---- whole sequences ----
_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """Stacked recurrent layers over a (seq, batch, feature) input (or batch-first). Parameters are
    named weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (+ "_reverse" for the backward
    direction) and drawn from U(-1/√hidden, 1/√hidden) in that order, as PyTorch does."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          UserWarning, stacklevel=3)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        gate_size = _GATES[mode] * hidden_size
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                real_hidden_size = proj_size if proj_size > 0 else hidden_size
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input_size)), ("weight_hh", (gate_size, real_hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for base, shape in shapes:
                    name = f"{base}_l{layer}{suffix}"
                    setattr(self, name, Parameter(factories.empty(shape, dtype=dtype)))
                    names.append(name)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """PyTorch packs the weights into one buffer for cuDNN; on the CPU this does nothing."""

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- argument checks, in PyTorch's words ----
    def _check_input(self, input):
        if input.dim() != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def _expected_hidden_size(self, input, cell=False):
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        size = self.proj_size if self.proj_size > 0 and not cell else self.hidden_size
        return (self.num_layers * (2 if self.bidirectional else 1), mini_batch, size)

    @staticmethod
    def _check_hidden_size(hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != expected:
            raise RuntimeError(msg.format(expected, list(hx.size())))

    def _layer_weights(self, index):
        """(W_ih, W_hh, b_ih, b_hh, W_hr) of one layer-direction, None for those it has not."""
        w = self.all_weights[index]
        biases = (w[2], w[3]) if self.bias else (None, None)
        return (w[0], w[1]) + biases + ((w[-1],) if self.proj_size > 0 else (None,))

    def _run_composed(self, input, hiddens, step):
        """PyTorch's CPU loop: per layer and direction, the input projection for all steps at once
        (linear, then unbind over time), then ``step`` per time step; directions joined with cat,
        dropout between layers. Returns the output and the final state of each layer-direction."""
        num_directions = 2 if self.bidirectional else 1
        layer_input, finals = input, []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                index = layer * num_directions + direction
                weights = self._layer_weights(index)
                projected = _api.unbind(F.linear(layer_input, weights[0], weights[2]), 0)
                times = range(len(projected))
                steps, state = [None] * len(projected), hiddens[index]
                for t in (reversed(times) if direction else times):
                    state = step(projected[t], state, weights)
                    steps[t] = state[0] if isinstance(state, tuple) else state
                outputs.append(_api.stack(steps, 0))
                finals.append(state)
            layer_input = outputs[0] if num_directions == 1 else _api.cat(outputs, outputs[0].dim() - 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, finals

    def _sequence_args(self, input, hx, name):
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                             + ("tensor instead" if name == "RNN" else "instead"))
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        if hx is None:
            hx = factories.zeros(*self._expected_hidden_size(input), dtype=input.dtype)
        self._check_input(input)
        self._check_hidden_size(hx, self._expected_hidden_size(input))
        return input, hx, is_batched, batch_dim

    def _seq_first(self, input):
        return input.transpose(0, 1) if self.batch_first else input


class RNN(RNNBase):
    """h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh)  (or relu), layer after layer.
    Returns (output of the last layer at every step, final h of every layer and direction)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        input, hx, is_batched, batch_dim = self._sequence_args(input, hx, "RNN")
        act = self.nonlinearity

        def step(x, h, w):
            return rnn_cell(x, h, None, w[1], None, w[3], act, projected=True)

        output, finals = self._run_composed(self._seq_first(input), _api.unbind(hx, 0), step)
        return _finish(self, output, _api.stack(finals, 0), is_batched, batch_dim)


class GRU(RNNBase):
    """A GRU step (see ``gru_cell``) per time step, layer after layer.
    Returns (output of the last layer at every step, final h of every layer and direction)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        input, hx, is_batched, batch_dim = self._sequence_args(input, hx, "GRU")

        def step(x, h, w):
            return gru_cell(x, h, None, w[1], None, w[3], projected=True)

        output, finals = self._run_composed(self._seq_first(input), _api.unbind(hx, 0), step)
        return _finish(self, output, _api.stack(finals, 0), is_batched, batch_dim)


def _finish(module, output, hidden, is_batched, batch_dim):
    if module.batch_first:  # PyTorch transposes its result in place (transpose_)
        output = TransposeBackward1.apply(output, dim0=0, dim1=1)
    if not is_batched:
        return output.squeeze(batch_dim), hidden.squeeze(1)
    return output, hidden


_PROJ_WARNED = []


class LSTM(RNNBase):
    """An LSTM step (see ``lstm_cell``) per time step, layer after layer. Takes and returns the state
    as a pair (h, c), each (layers·directions, batch, hidden).

    In float32 each layer-direction is one MkldnnRnnLayerBackward0 node, as on PyTorch's CPU; in other
    dtypes it is composed of the cell's nodes, as there."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        if input.dim() not in (2, 3):
            raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        if hx is None:
            hx = (factories.zeros(*self._expected_hidden_size(input), dtype=input.dtype),
                  factories.zeros(*self._expected_hidden_size(input, cell=True), dtype=input.dtype))
        elif is_batched:
            if hx[0].dim() != 3 or hx[1].dim() != 3:
                raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        else:
            if hx[0].dim() != 2 or hx[1].dim() != 2:
                raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self._check_input(input)
        self._check_hidden_size(hx[0], self._expected_hidden_size(input), "Expected hidden[0] size {}, got {}")
        self._check_hidden_size(hx[1], self._expected_hidden_size(input, cell=True),
                                "Expected hidden[1] size {}, got {}")
        fused = input.dtype is _dtype.float32 and input.numel()
        if fused and self.proj_size > 0 and not _PROJ_WARNED:
            _PROJ_WARNED.append(True)  # PyTorch warns once per process
            warnings.warn("LSTM with projections is not supported with oneDNN. Using default implementation. "
                          "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/RNN.cpp:1512.)",
                          UserWarning, stacklevel=3)
        if fused and self.proj_size == 0:
            output, hy, cy = self._run_fused(input, hx)
        else:
            def step(x, state, w):
                return lstm_cell(x, state[0], state[1], None, w[1], None, w[3], projected=True, w_hr=w[4])

            hiddens = list(zip(_api.unbind(hx[0], 0), _api.unbind(hx[1], 0)))
            output, finals = self._run_composed(self._seq_first(input), hiddens, step)
            hy, cy = _api.stack([f[0] for f in finals], 0), _api.stack([f[1] for f in finals], 0)
            if self.batch_first:  # (PyTorch's LSTM transposes out of place, unlike its RNN and GRU)
                output = output.transpose(0, 1)
        if not is_batched:
            return output.squeeze(batch_dim), (hy.squeeze(1), cy.squeeze(1))
        return output, (hy, cy)

    def _run_fused(self, input, hx):
        """PyTorch's oneDNN path: a seq-first contiguous input, one fused node per layer-direction."""
        layer_input = self._seq_first(input).contiguous()
        h0, c0 = hx[0].contiguous(), hx[1].contiguous()
        num_directions = 2 if self.bidirectional else 1
        hy, cy = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                index = layer * num_directions + direction
                out, h, c = MkldnnRnnLayerBackward0.apply(layer_input, *self._layer_weights(index)[:4], h0[index],
                                                          c0[index], reverse=direction == 1)
                outputs.append(out)
                hy.append(h)
                cy.append(c)
            layer_input = outputs[0] if num_directions == 1 else _api.cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input.transpose(0, 1) if self.batch_first else layer_input
        return output, _api.stack(hy, 0), _api.stack(cy, 0)
