"""Bind the op functions to Tensor as methods and operators (registration only)."""
import functools
import warnings

from ..tensor import Tensor
from . import api as F
from .inplace import ZeroBackward0, apply_inplace, copy, fill, setitem


def _swap(fn):
    return lambda self, other: fn(other, self)


def _inplace(fn):
    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        return apply_inplace(self, fn, *args, **kwargs)
    return method


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
    m = {}
    same = ["add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "rsqrt", "abs", "sin", "cos", "tanh",
            "sigmoid", "relu", "sgn", "clamp", "clip", "clamp_min", "clamp_max", "sign", "reciprocal", "square",
            "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "norm", "var", "std", "logsumexp",
            "prod", "softmax", "log_softmax", "eq", "ne", "lt", "le", "gt", "ge", "all", "any", "equal",
            "allclose", "isclose", "isnan", "isinf", "isfinite", "logical_not", "logical_and", "logical_or",
            "view", "reshape", "flatten", "t", "transpose", "permute", "squeeze", "unsqueeze", "expand",
            "expand_as", "select", "narrow", "split", "chunk", "unbind", "masked_fill", "flip", "repeat",
            "clone", "mm", "mv", "dot", "bmm", "matmul", "outer", "maximum", "minimum", "true_divide",
            "multiply", "subtract", "divide", "negative", "greater", "less", "swapaxes", "broadcast_to"]
    for name in same:
        m[name] = getattr(F, name)
    m["view_as"] = lambda self, other: F.view(self, other.shape)
    m["reshape_as"] = lambda self, other: F.reshape(self, other.shape)
    m["T"] = property(_T)
    m["mT"] = property(_mT)
    m["where"] = lambda self, condition, other: F.where(condition, self, other)
    m["contiguous"] = lambda self, memory_format=None: F.contiguous(self)
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
    m["__invert__"] = F.logical_not
    m["__and__"] = F.logical_and
    m["__or__"] = F.logical_or
    m["__floordiv__"] = F.floor_divide
    m["__rfloordiv__"] = _swap(F.floor_divide)
    m["__mod__"] = m["remainder"] = F.remainder
    m["__rmod__"] = _swap(F.remainder)
    m["floor_divide"] = F.floor_divide
    # in-place
    for name in ["add", "sub", "mul", "div", "pow", "clamp", "clamp_min", "clamp_max", "neg", "exp", "log",
                 "sqrt", "abs", "relu", "sigmoid", "tanh", "sin", "cos", "reciprocal", "masked_fill"]:
        m[name + "_"] = _inplace(getattr(F, name))
    m["clip_"] = m["clamp_"]
    m["__iadd__"], m["__isub__"], m["__imul__"], m["__itruediv__"] = m["add_"], m["sub_"], m["mul_"], m["div_"]
    m["zero_"] = _inplace(lambda self: ZeroBackward0.apply(self, value=0))
    m["fill_"] = _inplace(fill)
    m["copy_"] = _inplace(copy)
    for name in ["log1p", "expm1", "cumsum"]:
        m[name] = getattr(F, name)
        m[name + "_"] = _inplace(getattr(F, name))
    return m


def register():
    for name, fn in _methods().items():
        setattr(Tensor, name, fn)
