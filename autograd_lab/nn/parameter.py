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


UNINITIALIZED_MESSAGE = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
    "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call `forward` "
    "to initialize the parameters before accessing their attributes.")


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (a lazy module's, before its first forward).
    ``materialize(shape)`` gives it (uninitialised) storage and turns it into a plain Parameter."""

    __module__ = "torch.nn.parameter"
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .. import _device
        _device.check(device)
        p = super().__new__(cls, Tensor._make(np.empty(0, (dtype or _dtype.get_default_dtype()).np)), requires_grad)
        return p

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def materialize(self, shape, device=None, dtype=None):
        dt = dtype or self._dtype
        self._data = np.empty(tuple(shape), dt.np)
        self._dtype = dt
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(UNINITIALIZED_MESSAGE)

    def size(self, dim=None):  # (PyTorch answers this one: the empty placeholder's size)
        from ..tensor import Size
        return Size(self._data.shape) if dim is None else self._data.shape[self._wrap_dim(dim)]

    def detach(self):
        return self  # what a state_dict holds until the module has run once

    def __repr__(self):
        return "<UninitializedParameter>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild_uninitialized, (self._requires_grad, self._dtype))


def _rebuild_uninitialized(requires_grad, dtype):
    return UninitializedParameter(requires_grad, dtype=dtype)


def _refuse(method):
    def refuse(self, *args, **kwargs):
        raise ValueError(
            f"Attempted to use an uninitialized parameter in <method '{method}' of 'torch._C.TensorBase' objects>. "
            "This error happens when you are using a `LazyModule` or explicitly manipulating "
            "`torch.nn.parameter.UninitializedParameter` objects. When using LazyModules Call `forward` with a dummy "
            "batch to initialize the parameters before calling torch functions")
    return refuse


# arithmetic and the common methods on a parameter that has no values yet fail as in PyTorch
for _name, _method in (("__add__", "add"), ("__radd__", "add"), ("__sub__", "sub"), ("__mul__", "mul"),
                       ("__rmul__", "mul"), ("__truediv__", "div"), ("__matmul__", "matmul"), ("__neg__", "neg"),
                       ("sum", "sum"), ("mean", "mean"), ("t", "t"), ("numel", "numel"), ("dim", "dim")):
    setattr(UninitializedParameter, _name, _refuse(_method))
