"""``nn.Parameter``: a leaf tensor that a Module registers as one of its weights."""
import numpy as np

from .._printing import tensor_repr
from .. import _dtype
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor subclass: a leaf that requires grad (unless told otherwise) and that assigning to a
    Module attribute registers. It shares memory and the version counter with ``data``, as in
    PyTorch; operations on it give plain Tensors."""

    __module__ = "torch.nn.parameter"  # type(p) prints as PyTorch's (see Tensor.__module__)

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = Tensor._make(np.empty(0, _dtype.get_default_dtype().np))
        if requires_grad and not (data.dtype.is_floating_point or data.dtype.is_complex):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        p = cls._make(data._data, requires_grad=bool(requires_grad), dtype=data.dtype)
        p._version_box = data._version_box
        return p

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happened in __new__ (Tensor.__init__ refuses direct construction)

    def __repr__(self):
        return tensor_repr(self._data, dtype_name=self._dtype.name,
                           default_float=_dtype.get_default_dtype().name,
                           requires_grad=self._requires_grad, prefix="Parameter containing:\ntensor(")

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self._data, self._requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter._make(data, requires_grad=requires_grad)
