"""``torch.autograd.Variable``: the pre-0.4 wrapper, kept by PyTorch so old tutorials still run.

Since PyTorch 0.4 a Variable *is* a Tensor: ``Variable(t)`` returns a new tensor sharing ``t``'s data,
cut from its history, with ``requires_grad`` as asked, and ``isinstance(t, Variable)`` holds for every
tensor.
"""
import warnings

from ..tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if requires_grad and not data.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        return data.detach().requires_grad_(requires_grad)
