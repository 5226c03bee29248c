"""``out=``: write an op's result into a tensor the caller gave, as PyTorch does.

The result is computed as usual, then copied into ``out`` (which is resized when its shape is
wrong, with PyTorch's deprecation warning unless it was empty) and returned. Such a write is not
recorded by autograd, so PyTorch refuses it while grad mode is on and any argument (``out``
included) requires grad.
"""
import functools

import numpy as np

from .. import _dtype, _warnings, grad_mode
from .._printing import shape_str
from ..tensor import Tensor

RESIZE_WARNING = (
    "An output with one or more elements was resized since it had shape {old}, which does not match the "
    "required output shape {new}. This behavior is deprecated, and in a future PyTorch release outputs will "
    "not be resized unless they have zero elements. You can explicitly reuse an out tensor t by resizing it, "
    "inplace, to zero elements with t.resize_(0). (Triggered internally at "
    "/__w/pytorch/pytorch/aten/src/ATen/native/Resize.cpp:30.)")


def _kind(d):
    return 0 if d is _dtype.bool_ else 2 if d.is_floating_point else 1


def write_out(out, result, warn_resize=True):
    """Copy ``result`` into ``out`` (PyTorch's cast and resize rules) and return ``out``."""
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if _kind(result.dtype) > _kind(out.dtype):
        raise RuntimeError(f"result type {result.dtype._legacy.replace('Tensor', '')} can't be cast to the "
                           f"desired output type {out.dtype._legacy.replace('Tensor', '')}")
    if out.shape != result.shape:
        if warn_resize and out.numel() != 0:
            _warnings.warn(RESIZE_WARNING.format(old=shape_str(out.shape), new=shape_str(result.shape)))
        out._data = np.empty(result.shape, out.dtype.np)
    out._data[...] = result._data
    out._bump_version()
    return out


def _requires_grad(x):
    if isinstance(x, Tensor):
        return x.requires_grad
    if isinstance(x, (list, tuple)):
        return any(_requires_grad(i) for i in x)
    return False


def with_out(fn, name=None):
    """``fn`` with an ``out=`` keyword: compute without recording, then ``write_out``."""
    name = name or fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if grad_mode.is_grad_enabled() and (_requires_grad(out) or _requires_grad(args)
                                            or _requires_grad(tuple(kwargs.values()))):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        with grad_mode.no_grad():
            result = fn(*args, **kwargs)
        return write_out(out, result)
    return wrapper
