"""The legacy tensor types, ``torch.LongTensor([1, 2])`` and friends, that pre-0.4 tutorials call.

Each is a type-check and a constructor for one dtype, not a subclass: ``isinstance(t,
torch.LongTensor)`` asks whether ``t`` holds int64, and ``torch.LongTensor(data)`` (or ``(2, 3)`` for
a shape) builds a plain Tensor of that dtype, as PyTorch does.
"""
import numbers

import numpy as np

from . import _device, _dtype
from .tensor import Tensor

# the C++ scalar names PyTorch's dtype-mismatch message uses
_CPP = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
        "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _options(d):
    return (f"TensorOptions(dtype={_CPP[d.name]}, device=cpu, layout=Strided, requires_grad=false (default), "
            "pinned_memory=false (default), memory_format=(nullopt))")


_SIGNATURES = (" * (*, torch.device device = None)\n"
               "      didn't match because some of the keywords were incorrect: {bad}\n"
               " * (torch.Storage storage)\n * (Tensor other)\n"
               " * (tuple of ints size, *, torch.device device = None)\n"
               " * (object data, *, torch.device device = None)\n")


def _kind(v):
    if isinstance(v, Tensor):
        return "Tensor"
    if isinstance(v, _dtype.dtype):
        return "torch.dtype"
    return type(v).__name__


class _LegacyType(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"

    def __call__(cls, *args, **kwargs):
        d = cls.dtype
        device = kwargs.pop("device", None)
        if kwargs:
            got = ", ".join([_kind(a) for a in args] + [f"{k}={_kind(v)}" for k, v in kwargs.items()])
            raise TypeError(f"new() received an invalid combination of arguments - got ({got}), but expected one "
                            "of:\n" + _SIGNATURES.format(bad=", ".join(kwargs)))
        if device is not None:
            _device.check(device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype is not d:
                raise TypeError(f"expected {_options(d)} (got {_options(args[0].dtype)})")
            return args[0].detach()
        if len(args) == 1 and isinstance(args[0], str):
            raise TypeError("new(): invalid data type 'str'")
        if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
            return Tensor._make(np.array(args[0]).astype(d.np), dtype=d)
        if not all(isinstance(a, numbers.Integral) for a in args):
            raise TypeError("new(): argument 'size' must be tuple of ints")
        return Tensor._make(np.zeros(args if args else (0,), dtype=d.np), dtype=d)


def _legacy(name, d):
    return _LegacyType(name, (), {"dtype": d, "__module__": "torch"})


FloatTensor = _legacy("FloatTensor", _dtype.float32)
DoubleTensor = _legacy("DoubleTensor", _dtype.float64)
HalfTensor = _legacy("HalfTensor", _dtype.float16)
LongTensor = _legacy("LongTensor", _dtype.int64)
IntTensor = _legacy("IntTensor", _dtype.int32)
ShortTensor = _legacy("ShortTensor", _dtype.int16)
CharTensor = _legacy("CharTensor", _dtype.int8)
ByteTensor = _legacy("ByteTensor", _dtype.uint8)
BoolTensor = _legacy("BoolTensor", _dtype.bool_)
