"""Matrix products. ``matmul`` picks dot, mv, mm or bmm by the inputs' dims, as PyTorch does."""
import numpy as np

from ..node import Node


def _same_dtype(a, b):
    if a.dtype is not b.dtype:
        names = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int"}
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{names.get(a.dtype.name, a.dtype.name)} != {names.get(b.dtype.name, b.dtype.name)}")


class MmBackward0(Node):
    """out = A·B        ∂A = g·Bᵀ,   ∂B = Aᵀ·g"""

    def forward(self, a, b):
        if a._data.ndim != 2:
            raise RuntimeError("self must be a matrix")
        if b._data.ndim != 2:
            raise RuntimeError("mat2 must be a matrix")
        if a.shape[1] != b.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                               f"{b.shape[0]}x{b.shape[1]})")
        _same_dtype(a, b)
        self.save(self=a, mat2=b)
        return a._data @ b._data

    def backward(self, g):
        return (g.mm(self.saved("mat2").t()) if self.needs_input_grad(0) else None,
                self.saved("self").t().mm(g) if self.needs_input_grad(1) else None)


class AddmmBackward0(Node):
    """out = bias + A·B        ∂bias = g (summed to its shape),   ∂A = g·Bᵀ,   ∂B = Aᵀ·g"""

    def forward(self, bias, a, b):
        if a.shape[1] != b.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                               f"{b.shape[0]}x{b.shape[1]})")
        _same_dtype(a, b)
        self.save(mat1=a, mat2=b)
        out = a._data @ b._data
        out += bias._data
        return out

    def backward(self, g):
        return (g if self.needs_input_grad(0) else None,
                g.mm(self.saved("mat2").t()) if self.needs_input_grad(1) else None,
                self.saved("mat1").t().mm(g) if self.needs_input_grad(2) else None)


class MvBackward0(Node):
    """out = A·v        ∂A = g ⊗ v,   ∂v = Aᵀ·g"""

    def forward(self, a, v):
        if a.shape[1] != v.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
                               f"vec ({v.shape[0]})")
        _same_dtype(a, v)
        self.save(self=a, vec=v)
        return a._data @ v._data

    def backward(self, g):
        return (g.unsqueeze(1) * self.saved("vec") if self.needs_input_grad(0) else None,
                self.saved("self").t().mv(g) if self.needs_input_grad(1) else None)


class DotBackward0(Node):
    """out = a·b (vectors)        ∂a = g·b,   ∂b = g·a"""

    def forward(self, a, b):
        if a._data.ndim != 1 or b._data.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D tensors")
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
                               f"have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
        _same_dtype(a, b)
        self.save(self=a, tensor=b)
        return np.asarray(a._data @ b._data)

    def backward(self, g):
        return (g * self.saved("tensor") if self.needs_input_grad(0) else None,
                g * self.saved("self") if self.needs_input_grad(1) else None)


class BmmBackward0(Node):
    """out[i] = A[i]·B[i]        ∂A = g·Bᵀ,   ∂B = Aᵀ·g   (per batch)"""

    def forward(self, a, b):
        if a._data.ndim != 3 or b._data.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
        _same_dtype(a, b)
        self.save(self=a, mat2=b)
        return np.matmul(a._data, b._data)

    def backward(self, g):
        return (g.bmm(self.saved("mat2").transpose(1, 2)) if self.needs_input_grad(0) else None,
                self.saved("self").transpose(1, 2).bmm(g) if self.needs_input_grad(1) else None)


def matmul(a, b):
    """``a @ b`` with PyTorch's rules for 1-d, 2-d and batched operands."""
    from .shapes import SqueezeBackward4, UnsafeViewBackward0
    da, db = a.dim(), b.dim()
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return a.dot(b)
    if da == 2 and db == 1:
        return a.mv(b)
    if da == 1 and db == 2:
        return SqueezeBackward4.apply(a.unsqueeze(0).mm(b), dims=0)
    if da == 2 and db == 2:
        return a.mm(b)
    if db <= 2 and da >= 3:
        # fold the batch into rows: one mm, then view back
        rows = a.reshape(-1, a.shape[-1])
        out = rows.mm(b) if db == 2 else rows.mv(b)
        shape = tuple(a.shape[:-1]) + ((b.shape[-1],) if db == 2 else ())
        return UnsafeViewBackward0.apply(out, shape=shape)
    if da == 1:
        n, m = b.shape[-2], b.shape[-1]
        out = b.reshape(-1, n, m).transpose(1, 2).reshape(-1, n).mv(a)
        return UnsafeViewBackward0.apply(out, shape=tuple(b.shape[:-2]) + (m,))
    # general batched: broadcast batch dims, bmm, view back
    batch = np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    if db == 1:
        b2 = b.unsqueeze(-1)
        ae = a.expand(*batch, a.shape[-2], a.shape[-1]).reshape(-1, a.shape[-2], a.shape[-1])
        be = b2.expand(*batch, b2.shape[-2], 1).reshape(-1, b2.shape[-2], 1) if batch else b2.unsqueeze(0)
        out = ae.bmm(be)
        return UnsafeViewBackward0.apply(out, shape=tuple(batch) + (a.shape[-2],))
    ae = a.expand(*batch, a.shape[-2], a.shape[-1]).reshape(-1, a.shape[-2], a.shape[-1])
    be = b.expand(*batch, b.shape[-2], b.shape[-1]).reshape(-1, b.shape[-2], b.shape[-1])
    out = ae.bmm(be)
    return UnsafeViewBackward0.apply(out, shape=tuple(batch) + (a.shape[-2], b.shape[-1]))

