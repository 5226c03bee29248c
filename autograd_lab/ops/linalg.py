"""Matrix products. ``matmul`` picks dot, mv, mm or bmm by the inputs' dims, as PyTorch does."""
import numpy as np

from ..node import Node
from ..tensor import Tensor
from ._util import broadcast_shape


def _same_dtype(a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype.c_name} != {b.dtype.c_name}")


class MmBackward0(Node):
    """out = A·B        ∂A = g·Bᵀ,   ∂B = Aᵀ·g"""

    pack_order = ("mat2", "self")

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
        b, a = self.saved("mat2"), self.saved("self")  # once each, in PyTorch's order (saved-tensor hooks see it)
        return (_mat1_grad(g, a, b) if self.needs_input_grad(0) else None,
                _mat2_grad(g, a, b) if self.needs_input_grad(1) else None)

    def jvp(self, dA, dB):
        """d(out) = dA·B + A·dB"""
        a, b = self.inputs
        return dA.mm(b) + a.mm(dB)


class AddmmBackward0(Node):
    """out = bias + A·B        ∂bias = g (summed to its shape),   ∂A = g·Bᵀ,   ∂B = Aᵀ·g"""

    def forward(self, bias, a, b):
        if a.shape[1] != b.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                               f"{b.shape[0]}x{b.shape[1]})")
        for what, t in (("self", bias), ("mat1", a)):
            if t.dtype is not b.dtype:
                raise RuntimeError(f"{what} and mat2 must have the same dtype, but got "
                                   f"{t.dtype.scalar_name} and {b.dtype.scalar_name}")
        self.save(mat1=a, mat2=b)
        out = a._data @ b._data
        out += bias._data
        return out

    def backward(self, g):
        a, b = self.saved("mat1"), self.saved("mat2")  # once each, in PyTorch's order (saved-tensor hooks see it)
        return (g if self.needs_input_grad(0) else None,
                _mat1_grad(g, a, b) if self.needs_input_grad(1) else None,
                _mat2_grad(g, a, b) if self.needs_input_grad(2) else None)

    def jvp(self, dbias, dA, dB):
        """d(out) = dbias + dA·B + A·dB"""
        _, a, b = self.inputs
        return dbias + dA.mm(b) + a.mm(dB)


def _column_major(d):
    """PyTorch's test in mm_mat1_backward / mm_mat2_backward: a matrix stored column by column."""
    if d.ndim != 2:
        return False
    s0, s1 = (st // d.itemsize for st in d.strides)
    return s0 == 1 and s1 == d.shape[0]


def _mat1_grad(g, mat1, mat2):
    """g·Bᵀ, computed as (B·gᵀ)ᵀ when A is stored column by column (a transposed view): the gradient
    then has A's layout, as PyTorch's, so a view or reshape of it behaves the same."""
    if _column_major(mat1._data):
        return mat2.mm(g.t()).t()
    return g.mm(mat2.t())


def _mat2_grad(g, mat1, mat2):
    """Aᵀ·g, computed as (gᵀ·A)ᵀ when B is a transposed view (``weight.t()`` in a linear layer):
    then the weight's gradient comes out row-major, as PyTorch's does, and optimizers stay fast."""
    d = mat2._data
    if d.ndim == 2 and d.flags.f_contiguous and not d.flags.c_contiguous:
        return g.t().mm(mat1).t()
    return mat1.t().mm(g)


class MvBackward0(Node):
    """out = A·v        ∂A = g ⊗ v,   ∂v = Aᵀ·g"""

    def forward(self, a, v):
        if a.shape[1] != v.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
                               f"vec ({v.shape[0]})")
        if a.dtype is not v.dtype:
            # mv is addmv into a result of the vector's type
            va, vv = a.dtype.scalar_name, v.dtype.scalar_name
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got {vv}, {va}, and {vv}")
        self.save(self=a, vec=v)
        return a._data @ v._data

    def backward(self, g):
        a, v = self.saved("self"), self.saved("vec")  # once each, in PyTorch's order (saved-tensor hooks see it)
        return (g.unsqueeze(1) * v if self.needs_input_grad(0) else None,
                a.t().mv(g) if self.needs_input_grad(1) else None)

    def jvp(self, dA, dv):
        """d(out) = dA·v + A·dv"""
        a, v = self.inputs
        return dA.mv(v) + a.mv(dv)


class DotBackward0(Node):
    """out = a·b (vectors)        ∂a = g·b,   ∂b = g·a"""

    def forward(self, a, b):
        if a._data.ndim != 1 or b._data.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D tensors")
        if a.dtype is not b.dtype:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                               f"{a.dtype.scalar_name} and {b.dtype.scalar_name}")
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
                               f"have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
                               "respectively")
        self.save(self=a, tensor=b)
        return np.asarray(a._data @ b._data)

    def backward(self, g):
        return (g * self.saved("tensor") if self.needs_input_grad(0) else None,
                g * self.saved("self") if self.needs_input_grad(1) else None)

    def jvp(self, da, db):
        """d(out) = da·b + a·db"""
        a, b = self.inputs
        return da.dot(b) + a.dot(db)


class BmmBackward0(Node):
    """out[i] = A[i]·B[i]        ∂A = g·Bᵀ,   ∂B = Aᵀ·g   (per batch)"""

    def forward(self, a, b):
        if a._data.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if b._data.ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
        self.save(self=a, mat2=b)
        if not a._data.size or not b._data.size:
            # PyTorch returns early on empty operands: no dtype check, zeros of batch2's dtype
            if self._needs_input_grad and not b.dtype.is_floating_point:
                raise RuntimeError(f"Autograd not support dtype: {b.dtype.scalar_name}")
            return np.zeros((a.shape[0], a.shape[1], b.shape[2]), b._data.dtype)
        if a.dtype is not b.dtype:
            raise RuntimeError(f"expected scalar type {a.dtype.scalar_name} but found {b.dtype.scalar_name}")
        return np.matmul(a._data, b._data)

    def backward(self, g):
        return (g.bmm(self.saved("mat2").transpose(1, 2)) if self.needs_input_grad(0) else None,
                self.saved("self").transpose(1, 2).bmm(g) if self.needs_input_grad(1) else None)

    def jvp(self, dA, dB):
        """d(out) = dA·B + A·dB (per batch)"""
        a, b = self.inputs
        return dA.bmm(b) + a.bmm(dB)


def _should_fold(t1, t2):
    """PyTorch's test for folding the batch of the larger operand into matrix rows (one mm or mv
    instead of bmm): the smaller operand is at most 2-d and the fold needs no copy -- or the
    smaller operand requires grad, so that its gradient is one mm rather than a summed batch."""
    larger = t1.dim() >= t2.dim()
    big = t1._data if larger else np.swapaxes(t2._data, -1, -2)
    small = t2 if larger else t1
    if not (big.ndim >= 3 and small.dim() <= 2):
        return False
    if small.requires_grad:
        return True
    if t1.dim() == 2:
        return False
    if big.size == 0:
        return True
    shape, strides = big.shape, big.strides
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(big.ndim - 2))


def matmul(input, other):
    """``input @ other`` with PyTorch's rules for 1-d, 2-d and batched operands, built from the same
    primitives PyTorch uses so that the graph has the same nodes (aten's _matmul_impl)."""
    a, b = input, other
    from .shapes import SqueezeBackward4, UnsafeViewBackward0
    from . import api as F
    da, db = a.dim(), b.dim()
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return F.dot(a, b)
    if da == 2 and db == 1:
        return F.mv(a, b)
    if da == 1 and db == 2:
        return SqueezeBackward4.apply(F.mm(F.unsqueeze(a, 0), b), dims=0)
    if da == 2 and db == 2:
        return F.mm(a, b)
    if _should_fold(a, b):
        transpose = db > da
        t1 = F.transpose(b, -2, -1) if transpose else a
        t2 = (F.t(a) if da == 2 else a) if transpose else b
        out_shape = tuple(t1.shape[:-1])
        rows = int(np.prod(out_shape, dtype=np.int64))
        folded = F.reshape(t1, rows, t1.shape[-1])
        if t2.dim() == 2:
            out = UnsafeViewBackward0.apply(F.mm(folded, t2), shape=out_shape + (t2.shape[1],))
            return F.contiguous(F.transpose(out, -2, -1)) if transpose else out
        return UnsafeViewBackward0.apply(F.mv(folded, t2), shape=out_shape)
    # batched: broadcast the batch dims, fold them into one, bmm, view back
    n = a.shape[-2] if da > 1 else 1
    m1 = a.shape[-1]
    batch1 = tuple(a.shape[:max(da - 2, 0)])
    m2 = b.shape[-2] if db > 1 else b.shape[0]
    p = b.shape[-1] if db > 1 else 1
    batch2 = tuple(b.shape[:max(db - 2, 0)])
    if da == 3 and db == 3 and batch1[0] != batch2[0]:
        # a lone batch of 1 that needs a gradient: drop it rather than expand it
        if batch1[0] == 1 and a.requires_grad:
            return matmul(F.squeeze(a, 0), b)
        if batch2[0] == 1 and b.requires_grad:
            return matmul(a, F.squeeze(b, 0))
    batch = broadcast_shape(batch1, batch2)
    count = int(np.prod(batch, dtype=np.int64))
    a3 = F.reshape(F.expand(a, batch + (n, m1)), count, n, m1)
    if db == 1:
        b3 = F.unsqueeze(F.reshape(F.expand(b, batch + (m2,)), count, m2), 2)
    else:
        b3 = F.reshape(F.expand(b, batch + (m2, p)), count, m2, p)
    out_shape = batch + ((n,) if da > 1 else ()) + ((p,) if db > 1 else ())
    out = F.bmm(a3, b3)
    if db == 1:
        out = F.squeeze(out, -1)
    return UnsafeViewBackward0.apply(out, shape=out_shape)


class TraceBackward0(Node):
    """out = Σᵢ A[i, i]        ∂A = g·I"""

    def forward(self, a):
        if a._data.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a._data.ndim}")
        self.shape = a._data.shape
        return np.asarray(np.trace(a._data))

    def backward(self, g):
        return g * Tensor._make(np.eye(*self.shape, dtype=g._data.dtype))

    def jvp(self, dA):
        """d(out) = trace(dA)"""
        return TraceBackward0.apply(dA)
