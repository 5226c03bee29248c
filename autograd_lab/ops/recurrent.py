"""The nodes PyTorch's recurrent layers record besides the elementwise ones.

The RNN, GRU and LSTM cells are composed of linear, add, sigmoid, tanh and mul, as on PyTorch's CPU
path; what they need in addition is ``unsafe_chunk`` (the gates are cut out of one matrix product)
and the in-place ``transpose_`` that hands back a batch-first output. A float32 ``nn.LSTM`` is one
fused oneDNN kernel per layer and direction in PyTorch (``MkldnnRnnLayerBackward0``); here that node
runs the same recurrence, and its backward is backpropagation through time written out step by step.
"""
import numpy as np

from .. import grad_mode
from ..node import Node, SavedTensor
from .shapes import TransposeBackward0


class UnsafeSplitBackward0(Node):
    """outs = consecutive pieces of a along dim (copies, which PyTorch's unsafe_split does not track
    as views)        ∂a = the pieces' grads joined again"""

    def forward(self, a, dim, sizes):
        self.dim, self.sizes = dim, sizes
        bounds = np.cumsum(sizes)[:-1]
        return tuple(piece.copy() for piece in np.split(a._data, bounds, axis=dim))

    def backward(self, *grads):
        from . import api as F
        return F.cat(list(grads), self.dim)

    def jvp(self, da):
        """d(out k) = piece k of da"""
        return UnsafeSplitBackward0.apply(da, dim=self.dim, sizes=self.sizes, _num_outputs=len(self.sizes))


def unsafe_chunk(a, chunks, dim=0):
    d = a._wrap_dim(dim)
    n = a.shape[d]
    size = -(-n // chunks)
    sizes = [size] * (n // size) + ([n % size] if n % size else [])
    return UnsafeSplitBackward0.apply(a, dim=d, sizes=sizes, _num_outputs=len(sizes))


def no_forward_ad(op):
    """PyTorch's words for a kernel that has no forward-mode formula yet."""
    return NotImplementedError(
        f"Trying to use forward AD with {op} that does not support it because it has not been implemented yet.\n"
        "Please file an issue to PyTorch at https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml "
        "so that we can prioritize its implementation or submit a PR adding the implementation to derivatives.yaml")


class TransposeBackward1(TransposeBackward0):
    """out = a with dims d0 and d1 swapped, in place (``transpose_``)        ∂a = g swapped back

    The tensor transposed in place is the layer's own result, which nobody else sees: the output is
    that tensor (no view of another), as in PyTorch, so a later in-place op on it is recorded plainly."""
    is_view = False


def _lstm_steps(x, w_ih, w_hh, b_ih, b_hh, h, c, reverse):
    """Run one LSTM layer over x (T, B, I) with tensor ops, from state (h, c).

    gates = x_t·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh, cut into i, f, g, o (sigmoid, sigmoid, tanh, sigmoid);
    c' = f·c + i·g,  h' = o·tanh(c'). Returns the outputs h' in time order and, per step in the order
    run, (h, c, i, f, g, o, c') for backpropagation."""
    from . import api as F
    xw = F.matmul(x, w_ih.t())
    if b_ih is not None:
        xw = xw + b_ih
    order = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    outputs, record = [None] * x.shape[0], []
    for t in order:
        gates = xw[t] + F.mm(h, w_hh.t())
        if b_hh is not None:
            gates = gates + b_hh
        i, f, g, o = unsafe_chunk(gates, 4, 1)
        i, f, g, o = F.sigmoid(i), F.sigmoid(f), F.tanh(g), F.sigmoid(o)
        c_new = f * c + i * g
        h_new = o * F.tanh(c_new)
        record.append((h, c, i, f, g, o, c_new))
        outputs[t], h, c = h_new, h_new, c_new
    return outputs, h, c, record, order


class MkldnnRnnLayerBackward0(Node):
    """(output, h_T, c_T) = one LSTM layer run over the sequence (see ``_lstm_steps``).

    Backward, through time from the last step run to the first, with dh and dc carried back:
        dh += ∂output_t;   dc += dh·o·(1 - tanh²c');   do = dh·tanh c'
        di = dc·g;  df = dc·c;  dg = dc·i;   dc ← dc·f
        dgates = [di·i(1 - i), df·f(1 - f), dg(1 - g²), do·o(1 - o)];   dh ← dgates·W_hh
    then ∂x = dgates·W_ih, ∂W_ih = Σ dgatesᵀ·x, ∂W_hh = Σ dgatesᵀ·h, ∂b_ih = ∂b_hh = Σ dgates,
    ∂h₀ = dh, ∂c₀ = dc."""
    num_outputs = 3

    def jvp(self, *tangents):
        raise no_forward_ad("mkldnn_rnn_layer")

    def forward(self, input, weight0, weight1, weight2, weight3, hx_, cx_, reverse=False):
        self.reverse = reverse
        for name, t in (("input", input), ("weight0", weight0), ("weight1", weight1), ("weight2", weight2),
                        ("weight3", weight3), ("hx_", hx_), ("cx_", cx_)):
            self.save(**{name: t})
        self.has_bias = weight2 is not None
        with grad_mode.no_grad():
            outputs, h, c, _, _ = _lstm_steps(input, weight0, weight1, weight2, weight3, hx_, cx_, reverse)
        return np.stack([o._data for o in outputs]), h._data, c._data

    @classmethod
    def apply(cls, *inputs, **attrs):
        outs = super().apply(*inputs, **attrs)
        node = outs[0].grad_fn
        if node is not None:  # PyTorch's kernel keeps its results: changing one in place breaks backward
            for name, out in zip(("output", "hy_", "cy_"), outs):
                node._hold(name, SavedTensor(name, out, node, is_output=True))
        return outs

    def backward(self, g_out, g_hy, g_cy):
        from . import api as F
        for name in ("output", "hy_", "cy_"):
            self.saved(name)  # (raises if it was modified in place since)
        x, w_ih, w_hh, h0, c0 = (self.saved(n) for n in ("input", "weight0", "weight1", "hx_", "cx_"))
        b_ih, b_hh = (self.saved("weight2"), self.saved("weight3")) if self.has_bias else (None, None)
        _, _, _, record, order = _lstm_steps(x, w_ih, w_hh, b_ih, b_hh, h0, c0, self.reverse)
        dh, dc = g_hy, g_cy
        dgates = [None] * x.shape[0]
        for t, (h, c, i, f, g, o, c_new) in zip(reversed(order), reversed(record)):
            dh = dh + g_out[t]
            tc = F.tanh(c_new)
            dc = dc + dh * o * (1 - tc * tc)
            do = dh * tc
            di, df, dg = dc * g, dc * c, dc * i
            dc = dc * f
            dgates[t] = F.cat([di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g), do * o * (1 - o)], 1)
            dh = F.mm(dgates[t], w_hh)
        dG = F.stack(dgates)                                   # (T, B, 4H)
        flat = dG.reshape(-1, dG.shape[-1])
        hs = F.stack([r[0] for r in (record if not self.reverse else record[::-1])])  # h before each step, time order
        d_bias = flat.sum(0) if self.has_bias else None
        return (F.matmul(dG, w_ih) if self.needs_input_grad(0) else None,
                F.mm(flat.t(), x.reshape(-1, x.shape[-1])) if self.needs_input_grad(1) else None,
                F.mm(flat.t(), hs.reshape(-1, hs.shape[-1])) if self.needs_input_grad(2) else None,
                d_bias, d_bias, dh, dc)
