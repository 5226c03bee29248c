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


# ---- reflect and replicate: every output element copies one input element ----
def source_index(n, lo, hi, mode):
    """For each of the lo + n + hi positions along a padded dim, the input position it copies:
    reflect mirrors about the edge element (…, 2, 1 | 0, 1, 2, …), replicate repeats it (0, 0 | 0, 1, …)."""
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        return (n - 1) - np.abs((n - 1) - np.abs(i))
    return np.clip(i, 0, n - 1)


class _CopyPad(Node):
    """out[…, i, j] = a[…, src_h(i), src_w(j)]   ∂a = each g added back to the element it copied"""
    mode = "reflect"

    def forward(self, a, pad):
        self.pad = tuple(pad)
        self.save(self=a)
        self.index = _index(a._data.shape, pad, self.mode)
        return np.ascontiguousarray(a._data[self.index])

    def backward(self, g):
        return self.backward_node.apply(g, self.saved("self"), pad=self.pad)

    def jvp(self, da):
        """linear: d(out) = the same copy of da"""
        return type(self).apply(da, pad=self.pad)


class _CopyPadBackward(Node):
    """out = zeros like a, each g added at the element it was copied from   ∂g = the padding of gg
    (this map is the copy's adjoint, the copy is its adjoint),   ∂a = 0"""

    def forward(self, g, a, pad):
        self.pad = tuple(pad)
        out = np.zeros(a._data.shape, g._data.dtype)
        np.add.at(out, _index(a._data.shape, pad, self.forward_node.mode), g._data)
        return out

    def backward(self, gg):
        return (self.forward_node.apply(gg, pad=self.pad) if self.needs_input_grad(0) else None), None

    def jvp(self, dg, da):
        """linear in g: d(out) = the same scatter of dg"""
        return type(self).apply(dg, self.inputs[1], pad=self.pad)


def _index(shape, pad, mode):
    """The index that copies a padded array out of one of ``shape`` (pad as F.pad lists it)."""
    pairs = _per_dim(pad, len(shape))[len(shape) - len(pad) // 2:]
    dims = [source_index(n, lo, hi, mode) for n, (lo, hi) in zip(shape[len(shape) - len(pairs):], pairs)]
    return (Ellipsis,) + tuple(np.ix_(*dims)) if len(dims) > 1 else (Ellipsis, dims[0])


class ReflectionPad1DBackward0(_CopyPad):
    """out = a mirrored about its first and last element along the last dim"""


class ReflectionPad2DBackward0(_CopyPad):
    """out = a mirrored about its edge elements along the last two dims"""


class ReplicationPad1DBackward0(_CopyPad):
    """out = a with its first and last element repeated along the last dim"""
    mode = "replicate"


class ReplicationPad2DBackward0(_CopyPad):
    """out = a with its edge elements repeated along the last two dims"""
    mode = "replicate"


class ReflectionPad1DBackwardBackward0(_CopyPadBackward):
    forward_node = ReflectionPad1DBackward0


class ReflectionPad2DBackwardBackward0(_CopyPadBackward):
    forward_node = ReflectionPad2DBackward0


class ReplicationPad1DBackwardBackward0(_CopyPadBackward):
    forward_node = ReplicationPad1DBackward0


class ReplicationPad2DBackwardBackward0(_CopyPadBackward):
    forward_node = ReplicationPad2DBackward0


for _fwd, _bwd in ((ReflectionPad1DBackward0, ReflectionPad1DBackwardBackward0),
                   (ReflectionPad2DBackward0, ReflectionPad2DBackwardBackward0),
                   (ReplicationPad1DBackward0, ReplicationPad1DBackwardBackward0),
                   (ReplicationPad2DBackward0, ReplicationPad2DBackwardBackward0)):
    _fwd.backward_node = _bwd

COPY_PADS = {("reflect", 1): ReflectionPad1DBackward0, ("reflect", 2): ReflectionPad2DBackward0,
             ("replicate", 1): ReplicationPad1DBackward0, ("replicate", 2): ReplicationPad2DBackward0}
