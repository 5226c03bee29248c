"""Gather and scatter along a dimension: ``out[i][j] = a[i][index[i][j]]`` (dim=1) and its reverse.

``index`` may be smaller than the tensor in every dimension but ``dim``; only its box is read or
written. Gather's backward is a scatter-add (an index picked twice gets both gradients)."""
import numpy as np

from .._printing import shape_str
from ..node import Node
from ..tensor import Tensor
from .registry import public


def _positions(index, dim):
    """Full coordinates of every element ``index`` addresses: its own grid, ``dim`` replaced by it."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _box(d, shape):
    """The leading ``shape`` corner of array ``d``."""
    return d[tuple(slice(0, n) for n in shape)]


class ScatterBackward0(Node):
    """out = a, with src[p] written at a[p with its dim-th coordinate replaced by index[p]]

    ∂a = g with zeros written at those places (they were overwritten)        ∂src = g gathered there"""

    def forward(self, a, src, dim, indices):
        self.dim, self.indices = dim, indices
        out = a._data.copy()
        if out.ndim == 0:
            return src._data.astype(out.dtype).reshape(())
        out[_positions(indices, dim)] = _box(src._data, indices.shape)
        return out

    def backward(self, g):
        ga = ScatterBackward1.apply(g, value=0, dim=self.dim, indices=self.indices) if self.needs_input_grad(0) else None
        gsrc = GatherBackward0.apply(g, dim=self.dim, indices=self.indices) if self.needs_input_grad(1) else None
        return ga, gsrc

    def jvp(self, da, dsrc):
        """d(out) = da with dsrc written at the same places"""
        return ScatterBackward0.apply(da, dsrc, dim=self.dim, indices=self.indices)


class ScatterBackward1(Node):
    """out = a, with the number ``value`` written at the scattered places        ∂a = g with zeros there"""

    def forward(self, a, value, dim, indices):
        self.dim, self.indices = dim, indices
        out = a._data.copy()
        if out.ndim == 0:
            return np.asarray(value, out.dtype)
        out[_positions(indices, dim)] = value
        return out

    def backward(self, g):
        return ScatterBackward1.apply(g, value=0, dim=self.dim, indices=self.indices)

    def jvp(self, da):
        """d(out) = da with zeros at the written places"""
        return ScatterBackward1.apply(da, value=0, dim=self.dim, indices=self.indices)


class GatherBackward0(Node):
    """out[p] = a[p with its dim-th coordinate replaced by index[p]]        ∂a = zeros, scatter-added g"""

    def forward(self, a, dim, indices):
        self.shape, self.dim, self.indices = a.shape, dim, indices
        if a._data.ndim == 0:
            return a._data.copy()
        return a._data[_positions(indices, dim)]

    def backward(self, g):
        zeros = Tensor._make(np.zeros(self.shape, g._data.dtype))
        return ScatterAddBackward0.apply(zeros, g, dim=self.dim, indices=self.indices)

    def jvp(self, da):
        """d(out) = da's values at the same indices"""
        return GatherBackward0.apply(da, dim=self.dim, indices=self.indices)


class ScatterAddBackward0(Node):
    """out = a, plus src[p] added at a[p with its dim-th coordinate replaced by index[p]]

    ∂a = g        ∂src = g gathered at the same places (zero outside index's box)"""

    def forward(self, a, src, dim, indices):
        self.dim, self.indices = dim, indices
        out = a._data.copy()
        if out.ndim == 0:
            return out + src._data
        np.add.at(out, _positions(indices, dim), _box(src._data, indices.shape))
        return out

    def backward(self, g):
        gsrc = GatherBackward0.apply(g, dim=self.dim, indices=self.indices) if self.needs_input_grad(1) else None
        return g, gsrc

    def jvp(self, da, dsrc):
        """d(out) = da + dsrc scatter-added at the same places"""
        return ScatterAddBackward0.apply(da, dsrc, dim=self.dim, indices=self.indices)


def _check_index(op, index):
    if index.dtype.np not in (np.int64, np.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")


def _check_bounds(index, dim, size):
    bad = index[(index < 0) | (index >= size)]
    if bad.size:
        raise RuntimeError(f"index {int(bad.flat[0])} is out of bounds for dimension {dim} with size {size}")


@public
def gather(input, dim, index, *, sparse_grad=False):
    """``out[i][j] = input[i][index[i][j]]`` for dim=1 (and likewise for any dim)."""
    _check_index("gather", index)
    d = input._wrap_dim(dim)
    if input.dim() != index.dim() and not (input.dim() <= 1 and index.dim() <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(index.dim()):
        if k != d and index.shape[k] > (input.shape[k] if input.dim() else 1):
            raise RuntimeError(f"Size does not match at dimension {k} expected index {shape_str(index.shape)} "
                               f"to be no larger than self {shape_str(input.shape)} apart from dimension {d}")
    idx = np.asarray(index._data, dtype=np.int64).reshape(index.shape if input.dim() else ())
    _check_bounds(idx, d, input.shape[d] if input.dim() else 1)
    return GatherBackward0.apply(input, dim=d, indices=idx)


def _scatter_args(input, dim, index, src):
    """PyTorch's checks for scatter and scatter_add; the wrapped dim and the index as an array."""
    _check_index("scatter", index)
    if isinstance(src, Tensor) and src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    d = input._wrap_dim(dim)
    if index.dim() != input.dim() and not (input.dim() <= 1 and index.dim() <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    for k in range(index.dim()):
        too_big_for_src = isinstance(src, Tensor) and index.shape[k] > src.shape[k]
        if too_big_for_src or (k != d and index.shape[k] > input.shape[k]):
            raise RuntimeError(f"Expected index {shape_str(index.shape)} to be no larger than self "
                               f"{shape_str(input.shape)} apart from dimension {d}"
                               + (f" and to be no larger size than src {shape_str(src.shape)}"
                                  if isinstance(src, Tensor) else ""))
    idx = np.asarray(index._data, dtype=np.int64).reshape(index.shape if input.dim() else ())
    _check_bounds(idx, d, input.shape[d] if input.dim() else 1)
    return d, idx


@public(inplace=True)
def scatter_add(input, dim, index, src):
    """``out = input`` with ``src[i][j]`` added at ``out[i][index[i][j]]`` for dim=1; repeats add up."""
    d, idx = _scatter_args(input, dim, index, src)
    return ScatterAddBackward0.apply(input, src, dim=d, indices=idx)


@public(inplace=True)
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """``out = input`` with ``src[i][j]`` (or the number ``value``) written at ``out[i][index[i][j]]``
    for dim=1. Where an index repeats, which write wins is unspecified (as in PyTorch)."""
    if reduce is not None:
        raise NotImplementedError("autograd_lab: scatter(reduce=...) is not implemented; use scatter_add")
    src = value if src is None else src
    d, idx = _scatter_args(input, dim, index, src)
    if isinstance(src, Tensor):
        return ScatterBackward0.apply(input, src, dim=d, indices=idx)
    return ScatterBackward1.apply(input, value=src, dim=d, indices=idx)
