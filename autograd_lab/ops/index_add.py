"""``torch.index_add``: out = input with ``alpha * source`` slices added at ``index`` along ``dim``."""
import numpy as np

from ..node import Node
from ..tensor import Tensor
from .registry import public


class IndexAddBackward0(Node):
    """out = a; out[..., index[i], ...] += alpha * s[..., i, ...] along dim
    ∂a = g        ∂s = alpha * g[..., index, ...] (g's slices picked by index)"""

    def forward(self, a, s, dim, index, alpha):
        self.dim, self.index, self.alpha, self.source_shape = dim, index, alpha, s.shape
        out = a._data.copy()
        moved = np.moveaxis(out.reshape(a.shape or (1,)), dim, 0)  # a view: adding into it adds into out
        np.add.at(moved, index, alpha * np.moveaxis(s._data.reshape(s.shape or (1,)), dim, 0))
        return out

    def backward(self, g):
        picked = g.reshape(g.shape or (1,))[(slice(None),) * self.dim + (Tensor._make(self.index),)]
        if self.alpha != 1:
            picked = picked * self.alpha
        return g, picked.reshape(self.source_shape)


@public(inplace=True)
def index_add(input, dim, index, source, *, alpha=1):
    dim = input._wrap_dim(dim)
    if index.dtype.name not in ("int32", "int64"):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {index.dtype.scalar_name}")
    n = index.numel()
    src_len = source.shape[dim] if source.dim() else 1
    if n != src_len:
        raise RuntimeError(f"index_add_(): Number of indices ({n}) should be equal to source.size(dim): ({src_len}), "
                           f"for dim: {dim}")
    if source.dim() != input.dim() or any(i != dim and a != b for i, (a, b) in enumerate(zip(input.shape,
                                                                                           source.shape))):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}")
    idx = index._data.reshape(-1).astype(np.int64)
    size = input.shape[dim] if input.dim() else 1
    bad = idx[(idx >= size) | (idx < -size)]
    if bad.size:
        raise RuntimeError(f"index {bad[0]} is out of bounds for dimension {dim} with size {size}")
    return IndexAddBackward0.apply(input, source, dim=dim, index=idx % size, alpha=alpha)
