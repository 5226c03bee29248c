"""Attention: softmax(q·kᵀ·scale + mask)·v, and the two pieces multi-head attention needs besides.

PyTorch's CPU ``scaled_dot_product_attention`` runs one fused kernel on 4-d inputs
(``ScaledDotProductFlashAttentionForCpuBackward0``); other inputs go through its composed "math"
path, whose softmax is ``_safe_softmax`` (a row masked out entirely gives zeros, not NaN).
``nn.MultiheadAttention`` with ``need_weights=True`` adds the mask with ``baddbmm``.
"""
import numpy as np

from .. import grad_mode
from ..node import Node, SavedTensor
from .activations import SoftmaxBackward0, SoftmaxBackwardDataBackward0
from .arithmetic import NoDerivative
from .recurrent import no_forward_ad


def _safe_softmax(x, dim):
    """softmax along dim, with rows that are -inf everywhere giving 0 (not 0/0)."""
    m = np.max(x, axis=dim, keepdims=True)
    dead = np.isneginf(m)
    e = np.exp(x - np.where(dead, 0, m))
    s = np.sum(e, axis=dim, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dead, 0, e / s).astype(x.dtype, copy=False)


def _in_layout_of(like, values):
    """``values`` copied into memory laid out as ``like``'s (its dims in the same stride order), as
    PyTorch's fused kernel lays out its output like the query."""
    order = sorted(range(like.ndim), key=lambda d: -like.strides[d])
    out = np.empty([values.shape[d] for d in order], values.dtype).transpose(np.argsort(order))
    out[...] = values
    return out


class SafeSoftmaxBackward0(SoftmaxBackward0):
    """out = eᵃ / Σ eᵃ along dim (0 on rows that are all -inf)        ∂a = out·(g - Σ g·out)"""

    def forward(self, a, dim):
        self.dim = dim
        return _safe_softmax(a._data, dim)


class BaddbmmBackward0(Node):
    """out = beta·input + alpha·(b1·b2)  (per batch)        ∂input = beta·g,   ∂b1 = alpha·g·b2ᵀ,   ∂b2 = alpha·b1ᵀ·g"""

    def forward(self, input, batch1, batch2, beta=1, alpha=1):
        self.beta, self.alpha = beta, alpha
        self.save(batch1=batch1 if self.needs_input_grad(2) else None,
                  batch2=batch2 if self.needs_input_grad(1) else None)
        prod = np.matmul(batch1._data, batch2._data)
        return (beta * input._data + (prod if alpha == 1 else alpha * prod)).astype(prod.dtype, copy=False)

    def backward(self, g):
        from . import api as F
        scaled = g if self.alpha == 1 else g * self.alpha
        return (g if self.beta == 1 else g * self.beta,
                F.bmm(scaled, self.saved("batch2").transpose(1, 2)) if self.needs_input_grad(1) else None,
                F.bmm(self.saved("batch1").transpose(1, 2), scaled) if self.needs_input_grad(2) else None)


class ScaledDotProductFlashAttentionForCpuBackward0(Node):
    """out = P·v  with  P = softmax(q·kᵀ·scale + mask)  (per batch and head; mask: additive float,
    -inf where a bool mask is False, or causal)

    The weights P are not kept; backward computes them again from q and k, as a flash kernel does:
        ∂v = Pᵀ·g,   dP = g·vᵀ,   dS = P·(dP - Σ_rows dP·P),   ∂q = dS·k·scale,   ∂k = dSᵀ·q·scale"""

    def forward(self, query, key, value, attn_mask=None, scale=None):
        self.attn_mask, self.scale = attn_mask, scale  # attn_mask: an additive float tensor or None
        self.save(query=query, key=key, value=value)
        p = self._weights(query._data, key._data)
        return _in_layout_of(query._data, np.matmul(p, value._data))

    def jvp(self, *tangents):
        raise no_forward_ad("_scaled_dot_product_flash_attention_for_cpu")

    def _weights(self, q, k):
        s = np.matmul(q, np.swapaxes(k, -1, -2)) * np.asarray(self.scale, q.dtype)
        if self.attn_mask is not None:
            s = s + self.attn_mask._data
        return _safe_softmax(s, -1)

    @classmethod
    def apply(cls, *inputs, **attrs):
        out = super().apply(*inputs, **attrs)
        if out.grad_fn is not None:  # PyTorch's kernel keeps its output: changing it in place breaks backward
            out.grad_fn._hold("output", SavedTensor("output", out, out.grad_fn, is_output=True))
        return out

    def backward(self, g):
        self.saved("output")  # (raises if it was modified in place since)
        q, k, v = self.saved("query"), self.saved("key"), self.saved("value")
        if not grad_mode.is_grad_enabled():
            return self._grads(q, k, v, g)
        # create_graph=True: PyTorch's kernel has no derivative of its own backward; the gradients
        # come out of a NotImplemented node that raises if differentiated
        with grad_mode.no_grad():
            grads = self._grads(q, k, v, g)
        outs = _FlashBackwardHasNoDerivative.apply(q, k, v, g, grads=grads, _num_outputs=3)
        return tuple(o if self.needs_input_grad(i) else None for i, o in enumerate(outs))

    def _grads(self, q, k, v, g):
        from . import api as F
        s = F.matmul(q, k.transpose(-2, -1)) * self.scale
        if self.attn_mask is not None:
            s = s + self.attn_mask
        p = SafeSoftmaxBackward0.apply(s, dim=s.dim() - 1)
        dp = F.matmul(g, v.transpose(-2, -1))
        ds = SoftmaxBackwardDataBackward0.apply(dp, p, dim=s.dim() - 1)
        return F.matmul(ds, k) * self.scale, F.matmul(ds.transpose(-2, -1), q) * self.scale, F.matmul(p.transpose(-2, -1), g)


class _FlashBackwardHasNoDerivative(NoDerivative):
    """(∂q, ∂k, ∂v) of the fused attention kernel, handed through as they are; differentiating
    them again raises, as in PyTorch."""
    op = "_scaled_dot_product_flash_attention_for_cpu_backward"

    def forward(self, q, k, v, g, grads):
        return tuple(t._data for t in grads)


_FlashBackwardHasNoDerivative.__name__ = _FlashBackwardHasNoDerivative.__qualname__ = "NotImplemented"
