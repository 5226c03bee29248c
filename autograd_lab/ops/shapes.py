"""Shape and indexing ops. Views share memory and the version counter with their base."""
import weakref

import numpy as np

from .._printing import shape_str
from ..node import Node
from ..tensor import Tensor
from ._util import result_type, scalar_array, sum_to
from .arithmetic import _zeros, where


def _register(base, outs):
    # a base knows its live views (weakly, by id: Tensor's == is elementwise, so no WeakSet): an
    # in-place op on any of them rewrites the base's history, and each view must then read its
    # values out of the new history (see inplace.refresh_views)
    views = base.__dict__.get("_live_views")
    if views is None:
        views = base.__dict__["_live_views"] = {}
    for o in outs:
        key = id(o)
        views[key] = weakref.ref(o, lambda _, key=key, views=views: views.pop(key, None))


def views_of(base):
    """The live views of ``base`` (a tensor that is no view itself)."""
    refs = base.__dict__.get("_live_views") or {}
    return [t for t in (r() for r in list(refs.values())) if t is not None]


class _ViewApply:
    """Mixin for view ops: record the outputs as views of their base."""

    @classmethod
    def apply(cls, *inputs, **attrs):
        out = super().apply(*inputs, **attrs)
        outs = out if isinstance(out, tuple) else (out,)
        if outs and outs[0]._base is not None:
            _register(outs[0]._base, outs)
        return out


class _View(_ViewApply, Node):
    is_view = True


def infer_shape(shape, numel):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
    if -1 in shape:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {shape_str(shape)} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{shape_str(shape)}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{shape_str(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


class ViewBackward0(_View):
    """out = a with a new shape (same memory)        ∂a = g reshaped back"""

    def forward(self, a, shape):
        self.shape = a.shape
        out = a._data.view()
        try:
            out.shape = shape
        except AttributeError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") from None
        return out

    def backward(self, g):
        return g.reshape(self.shape)

    def jvp(self, da):
        """d(out) = da with the new shape"""
        return da.reshape(self.output.shape)


class ReshapeAliasBackward0(ViewBackward0):
    """out = a non-contiguous a seen with a new shape (same memory)        ∂a = g reshaped back"""


class UnsafeViewBackward0(Node):
    """out = a (already a fresh copy) with a new shape        ∂a = g reshaped back"""

    def forward(self, a, shape):
        self.shape = a.shape
        return a._data.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)

    def jvp(self, da):
        """d(out) = da with the new shape"""
        return da.reshape(self.output.shape)


class AliasBackward0(_View):
    """out = a, as a new view of the same memory (``a[...]``)        ∂a = g"""

    def forward(self, a):
        return a._data.view()

    def backward(self, g):
        return g

    def jvp(self, da):
        """d(out) = da"""
        return AliasBackward0.apply(da)


class TBackward0(_View):
    """out = aᵀ (2-d or less)        ∂a = gᵀ"""

    def forward(self, a):
        return a._data.T

    def backward(self, g):
        return g.t()

    def jvp(self, da):
        """d(out) = daᵀ"""
        return da.t()


class TransposeBackward0(_View):
    """out = a with dims d0 and d1 swapped        ∂a = g with them swapped back"""

    def forward(self, a, dim0, dim1):
        self.dim0, self.dim1 = dim0, dim1
        return np.swapaxes(a._data, dim0, dim1) if a._data.ndim else a._data.view()

    def backward(self, g):
        return g.transpose(self.dim0, self.dim1)

    def jvp(self, da):
        """d(out) = da with the same dims swapped"""
        return da.transpose(self.dim0, self.dim1)


class PermuteBackward0(_View):
    """out = a with dims reordered        ∂a = g with the inverse order"""

    def forward(self, a, dims):
        self.inverse = tuple(np.argsort(dims))
        return np.transpose(a._data, dims)

    def backward(self, g):
        return g.permute(*self.inverse)

    def jvp(self, da):
        """d(out) = da with the same dims order"""
        return da.permute(*(int(d) for d in np.argsort(self.inverse)))


class SqueezeBackward0(_View):
    """out = a without its size-1 dims        ∂a = g reshaped back"""

    def forward(self, a, dims=None):
        self.shape = a.shape
        return np.squeeze(a._data, axis=dims)

    def backward(self, g):
        return g.reshape(self.shape)

    def jvp(self, da):
        """d(out) = da squeezed the same way"""
        return da.reshape(self.output.shape)


class SqueezeBackward1(SqueezeBackward0):
    """out = a without dim d (when it has size 1)        ∂a = g reshaped back"""


class SqueezeBackward2(SqueezeBackward0):
    """out = a without the listed size-1 dims        ∂a = g reshaped back"""


class SqueezeBackward4(SqueezeBackward0):
    """(the squeeze inside matmul of a vector)        ∂a = g reshaped back"""


class UnsqueezeBackward0(_View):
    """out = a with a new size-1 dim at d        ∂a = g squeezed at d"""

    def forward(self, a, dim):
        self.dim = dim
        return np.expand_dims(a._data, dim)

    def backward(self, g):
        return g.squeeze(self.dim)

    def jvp(self, da):
        """d(out) = da unsqueezed at the same dim"""
        return da.unsqueeze(self.dim)


class ExpandBackward0(_View):
    """out = a broadcast to a larger shape (no copy)        ∂a = g summed back to a's shape"""

    def forward(self, a, shape):
        self.shape = a.shape
        x = a._data
        # PyTorch's strides (inferExpandGeometry): an expanded dim gets 0, a new dim of size 1 the
        # stride that keeps it contiguous (NumPy would give 0, which changes matmul's path)
        strides = [0] * len(shape)
        for i in range(len(shape) - 1, -1, -1):
            d = x.ndim - len(shape) + i
            size = x.shape[d] if d >= 0 else 1
            stride = x.strides[d] if d >= 0 else (shape[i + 1] * strides[i + 1] if i + 1 < len(shape) else 0)
            strides[i] = 0 if size != shape[i] else stride
        writeable = not any(st == 0 and n > 1 for st, n in zip(strides, shape))
        return np.lib.stride_tricks.as_strided(x, shape=tuple(shape), strides=tuple(strides), writeable=writeable)

    def backward(self, g):
        return sum_to(g, self.shape)

    def jvp(self, da):
        """d(out) = da broadcast the same way"""
        return da.expand(self.output.shape)


class _Embed(Node):
    """Scatter g into zeros of the input's shape at an index: the backward of indexing ops."""

    def forward(self, g, shape, index, accumulate=False):
        self.index, self.accumulate = index, accumulate
        out = np.zeros(shape, dtype=g._data.dtype)
        if not g._data.size:  # nothing to write (and the index may be out of range: PyTorch allows that)
            return out
        if accumulate:
            np.add.at(out, index, g._data)
        else:
            out[index] = g._data
        return out

    def backward(self, gg):
        return gg[_as_key(self.index)]

    def jvp(self, dg, *_):
        """d(out) = zeros with dg written at the same index (linear in g)"""
        return type(self).apply(dg, shape=self.output.shape, index=self.index, accumulate=self.accumulate)


class SelectBackwardBackward0(_Embed):
    """out = zeros with g written at [.., i, ..]        ∂g = gg[.., i, ..]"""


class SliceBackwardBackward0(_Embed):
    """out = zeros with g written into a slice        ∂g = gg[slice]"""


class IndexBackwardBackward0(_Embed):
    """out = zeros with g added at an advanced index        ∂g = gg[index]"""


class IndexPutImplBackward0(_Embed):
    """out = zeros with g added at an advanced index (indexing's backward)        ∂g = gg[index]"""


def _as_key(index):
    return tuple(Tensor._make(np.asarray(i)) if isinstance(i, np.ndarray) else i for i in index) \
        if isinstance(index, tuple) else index


class SelectBackward0(_View):
    """out = a[.., i, ..] along dim        ∂a = zeros with g written back at i"""

    def forward(self, a, dim, index):
        self.shape = a.shape
        self.key = (slice(None),) * dim + (index,)
        # the trailing Ellipsis keeps a 0-d result a view (a bare int index would copy to a scalar)
        return a._data[self.key + (Ellipsis,)]

    def backward(self, g):
        return SelectBackwardBackward0.apply(g, shape=self.shape, index=self.key)

    def jvp(self, da):
        """d(out) = da[.., i, ..]"""
        return SelectBackward0.apply(da, dim=len(self.key) - 1, index=self.key[-1])


class SliceBackward0(_View):
    """out = a[start:stop:step] along dim        ∂a = zeros with g written back into the slice"""

    def forward(self, a, dim, sl):
        self.shape = a.shape
        self.key = (slice(None),) * dim + (sl,)
        return a._data[self.key]

    def backward(self, g):
        return SliceBackwardBackward0.apply(g, shape=self.shape, index=self.key)

    def jvp(self, da):
        """d(out) = da[start:stop:step] along the same dim"""
        return SliceBackward0.apply(da, dim=len(self.key) - 1, sl=self.key[-1])


def save_index(node, index):
    """Keep the arrays of an advanced index as saved tensors (PyTorch saves its indices: a second
    backward through a freed graph fails); slices stay plain attributes."""
    node.index_layout = tuple(None if isinstance(k, np.ndarray) else k for k in index)
    node.save(**{f"indices{i}": Tensor._make(k) for i, k in enumerate(index) if isinstance(k, np.ndarray)})
    if not node._saved:
        node.index = index


def load_index(node):
    if not node._saved or not any(name.startswith("indices") for name in node._saved):
        return node.index
    return tuple(node.saved(f"indices{i}")._data if k is None else k for i, k in enumerate(node.index_layout))


class IndexBackward0(Node):
    """out = a[index] (advanced: integer or boolean arrays; a copy)        ∂a = zeros + g added at index"""

    def forward(self, a, index):
        self.shape = a.shape
        save_index(self, index)
        try:
            return a._data[index]
        except IndexError:
            # only reached for an empty result (api checked the bounds): PyTorch reads nothing.
            # The shape comes from a stand-in whose indexed dims are long enough for index 0.
            dummy, safe, d = list(a.shape), [], 0
            for k in index:
                if isinstance(k, np.ndarray) and k.dtype != np.bool_:
                    dummy[d] = max(dummy[d], 1)
                    safe.append(np.zeros_like(k))
                else:
                    safe.append(k)
                d += k.ndim if isinstance(k, np.ndarray) and k.dtype == np.bool_ else 1
            return np.empty(np.empty(dummy)[tuple(safe)].shape, a._data.dtype)

    def backward(self, g):
        return IndexPutImplBackward0.apply(g, shape=self.shape, index=load_index(self), accumulate=True)

    def jvp(self, da):
        """d(out) = da[index]"""
        return IndexBackward0.apply(da, index=load_index(self))


class CatBackward0(Node):
    """out = the inputs joined along dim        ∂(input k) = g's slice for input k"""

    def forward(self, *tensors, dim):
        self.dim = dim
        self.skip = [t._data.ndim == 1 and t._data.shape[0] == 0 for t in tensors]
        self.sizes = [0 if s else t.shape[dim] for t, s in zip(tensors, self.skip)]
        dt = result_type(*tensors)
        kept = [t._data.astype(dt.np, copy=False) for t, s in zip(tensors, self.skip) if not s]
        if not kept:  # only legacy empty 1-d inputs
            return np.zeros((0,), dt.np)
        return np.concatenate(kept, axis=dim)

    def backward(self, g):
        out, start = [], 0
        for size, skip in zip(self.sizes, self.skip):
            if skip:  # the legacy empty 1-d input still gets its (empty) gradient
                out.append(_zeros((0,), g.dtype))
                continue
            out.append(g.narrow(self.dim, start, size))
            start += size
        return tuple(out)

    def jvp(self, *tangents):
        """d(out) = the tangents joined along the same dim"""
        return CatBackward0.apply(*tangents, dim=self.dim)


class StackBackward0(Node):
    """out = the inputs stacked along a new dim        ∂(input k) = g.select(dim, k)"""

    def forward(self, *tensors, dim):
        self.dim = dim
        dt = result_type(*tensors)
        return np.stack([t._data.astype(dt.np, copy=False) for t in tensors], axis=dim)

    def backward(self, g):
        return tuple(g.select(self.dim, i) for i in range(g.shape[self.dim]))

    def jvp(self, *tangents):
        """d(out) = the tangents stacked along the same dim"""
        return StackBackward0.apply(*tangents, dim=self.dim)


class SplitBackward0(_ViewApply, Node):
    """outs = consecutive pieces of a along dim        ∂a = the pieces' grads joined again"""
    is_view = True

    def forward(self, a, dim, sizes):
        self.dim = dim
        bounds = np.cumsum(sizes)[:-1]
        return tuple(np.split(a._data, bounds, axis=dim))

    def backward(self, *grads):
        from . import api as F
        return F.cat(list(grads), self.dim)

    def jvp(self, da):
        """d(outs) = da cut into the same pieces"""
        outs = self.output if isinstance(self.output, tuple) else (self.output,)
        sizes = [o.shape[self.dim] for o in outs]
        return SplitBackward0.apply(da, dim=self.dim, sizes=sizes, _num_outputs=len(sizes))


class SplitWithSizesBackward0(SplitBackward0):
    """outs = pieces of a with the given sizes along dim        ∂a = the pieces' grads joined again"""


class UnbindBackward0(_ViewApply, Node):
    """outs = a.select(dim, k) for every k        ∂a = the grads stacked again"""
    is_view = True

    def forward(self, a, dim):
        self.dim = dim
        moved = np.moveaxis(a._data, dim, 0)
        return tuple(moved[i, ...] for i in range(moved.shape[0]))

    def backward(self, *grads):
        from . import api as F
        return F.stack(list(grads), self.dim)

    def jvp(self, da):
        """d(outs) = da unbound along the same dim"""
        return UnbindBackward0.apply(da, dim=self.dim, _num_outputs=da.shape[self.dim])


class MaskedFillBackward0(Node):
    """out = a with value where mask        ∂a = g where not mask"""

    def forward(self, a, mask, value):
        self.save(mask=mask)
        self.mask = mask._data  # the values only, for jvp (the saved tensor can be freed)
        return np.where(mask._data, scalar_array(value, a._data.dtype), a._data)

    def backward(self, g):
        return g.masked_fill(self.saved("mask"), 0)

    def jvp(self, da):
        """d(out) = da where not mask, 0 where the value was written"""
        return da.masked_fill(Tensor._make(self.mask), 0)


class MaskedFillBackward1(Node):
    """out = a with the 0-d tensor v where mask        ∂a = g where not mask,   ∂v = Σ g where mask"""

    def forward(self, a, v, mask):
        self.save(mask=mask)
        self.mask = mask._data
        return np.where(mask._data, v._data.astype(a._data.dtype), a._data)

    def backward(self, g):
        mask = self.saved("mask")
        return (g.masked_fill(mask, 0) if self.needs_input_grad(0) else None,
                g.masked_fill(mask.logical_not(), 0).sum() if self.needs_input_grad(1) else None)

    def jvp(self, da, dv):
        """d(out) = da where not mask, dv where mask"""
        return where(Tensor._make(self.mask), dv, da)


class FlipBackward0(Node):
    """out = a reversed along dims        ∂a = g reversed along the same dims"""

    def forward(self, a, dims):
        self.dims = dims
        return np.flip(a._data, dims).copy(order="K")  # keeps the input's layout, as PyTorch's flip

    def backward(self, g):
        return g.flip(self.dims)

    def jvp(self, da):
        """d(out) = da flipped the same way"""
        return FlipBackward0.apply(da, dims=self.dims)


class RepeatBackward0(Node):
    """out = a tiled        ∂a = g's tiles summed"""

    def forward(self, a, repeats):
        self.shape, self.repeats = a.shape, repeats
        return np.tile(a._data, repeats)

    def backward(self, g):
        lead = len(self.repeats) - len(self.shape)
        shape = (1,) * lead + tuple(self.shape)
        split = []
        for r, s in zip(self.repeats, shape):
            split += [r, s]
        return g.reshape(*split).sum(tuple(range(0, 2 * len(shape), 2))).reshape(self.shape)

    def jvp(self, da):
        """d(out) = da tiled the same way"""
        return RepeatBackward0.apply(da, repeats=self.repeats)
