"""Constant padding (``F.pad`` with mode='constant'): one node, its own adjoint up to a sign.

``pad`` lists (before, after) amounts starting from the LAST dim, as PyTorch's F.pad takes them;
a negative amount crops instead of padding.
"""
import numpy as np

from ..node import Node


def _per_dim(pad, ndim):
    """(before, after) for every dim of an ``ndim``-d array, leading dims unpadded."""
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)][::-1]
    return [(0, 0)] * (ndim - len(pairs)) + pairs


class ConstantPadNdBackward0(Node):
    """out = a with ``value`` added around it (or cropped, for negative amounts)
    ∂a = g with the same amounts taken away again: constant_pad_nd(g, -pad)"""

    def forward(self, a, pad, value):
        self.pad = tuple(pad)
        x = a._data
        pairs = _per_dim(pad, x.ndim)
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pairs, x.shape))
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
        return np.pad(x[crop], grow, constant_values=np.asarray(value).astype(x.dtype))

    def backward(self, g):
        return ConstantPadNdBackward0.apply(g, pad=tuple(-p for p in self.pad), value=0)

    def jvp(self, da):
        """d(out) = da padded the same way, with zeros"""
        return ConstantPadNdBackward0.apply(da, pad=self.pad, value=0)

    def jvp(self, da):
        """linear: d(out) = da padded with zeros (cropped likewise)"""
        return ConstantPadNdBackward0.apply(da, pad=self.pad, value=0)
