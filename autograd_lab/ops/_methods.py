"""Bind the operators and the odd methods to Tensor (registration only; the ops themselves are
declared ``@public`` next to their functions, see registry.py)."""
import warnings

from ..tensor import Tensor
from . import api as F, bitwise_unique_cross as B
from .inplace import ZeroBackward0, copy, fill, setitem
from .linalg import TraceBackward0
from .registry import inplace_form


def _swap(fn):
    return lambda self, other: fn(other, self)


def _T(self):
    # PyTorch reverses the dims with a permute (PermuteBackward0), warning outside 2-d
    if self.dim() == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                      UserWarning, stacklevel=2)
    elif self.dim() != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
                      "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
                      "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
                      "tensor.", UserWarning, stacklevel=2)
    return F.permute(self, *reversed(range(self.dim())))


def _mT(self):
    if self.dim() < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self.dim()}-D "
                           "tensor.")
    return F.transpose(self, -2, -1)


def _methods():
    """Operators, properties and the methods whose signature is not the function's."""
    m = {}
    m["view_as"] = lambda self, other: F.view(self, other.shape)
    m["reshape_as"] = lambda self, other: F.reshape(self, other.shape)
    m["T"] = property(_T)
    m["mT"] = property(_mT)
    m["where"] = lambda self, condition, other: F.where(condition, self, other)
    # torch.trace is also the package's site recorder (autograd_lab.trace), so the method is bound here
    m["trace"] = lambda self: TraceBackward0.apply(self)
    m["__getitem__"] = F.getitem
    m["__setitem__"] = setitem
    m["__add__"] = m["__radd__"] = F.add
    m["__sub__"] = F.sub
    m["__rsub__"] = lambda self, other: F.rsub(self, other) if not isinstance(other, Tensor) else F.sub(other, self)
    m["__mul__"] = m["__rmul__"] = F.mul
    m["__truediv__"] = F.div
    m["__rtruediv__"] = lambda self, other: F.rdiv(self, other) if not isinstance(other, Tensor) else F.div(other, self)
    m["__pow__"] = F.pow
    m["__rpow__"] = _swap(F.pow)
    m["__matmul__"] = F.matmul
    m["__rmatmul__"] = _swap(F.matmul)
    m["__neg__"] = F.neg
    m["__pos__"] = lambda self: self
    m["__abs__"] = F.abs
    m["__eq__"], m["__ne__"] = F.eq, F.ne
    m["__lt__"], m["__le__"], m["__gt__"], m["__ge__"] = F.lt, F.le, F.gt, F.ge
    # on bools these are the logical forms; on integers PyTorch's operators are bitwise
    m["__invert__"] = B._invert
    m["__and__"] = m["__rand__"] = B.bitwise_and
    m["__or__"] = m["__ror__"] = B.bitwise_or
    m["__xor__"] = m["__rxor__"] = B.bitwise_xor
    m["__floordiv__"] = F.floor_divide
    m["__rfloordiv__"] = _swap(F.floor_divide)
    m["__mod__"] = F.remainder
    m["__rmod__"] = _swap(F.remainder)
    # in-place forms with no out-of-place function of their own
    m["__iadd__"], m["__isub__"] = inplace_form(F.add, "__iadd__"), inplace_form(F.sub, "__isub__")
    m["__imul__"], m["__itruediv__"] = inplace_form(F.mul, "__imul__"), inplace_form(F.div, "__itruediv__")
    m["__iand__"], m["__ior__"] = inplace_form(B.bitwise_and, "__iand__"), inplace_form(B.bitwise_or, "__ior__")
    m["__ixor__"] = inplace_form(B.bitwise_xor, "__ixor__")
    m["zero_"] = inplace_form(lambda self: ZeroBackward0.apply(self, value=0), "zero_")
    m["fill_"] = inplace_form(fill, "fill_")
    m["copy_"] = inplace_form(copy, "copy_")
    return m


def register():
    for name, fn in _methods().items():
        setattr(Tensor, name, fn)
