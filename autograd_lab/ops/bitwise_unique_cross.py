"""bitwise and / or / xor / not (integers and bools only), unique (sorted values, no gradient) and cross (the vector
product along a dim of size 3)."""
import warnings

import numpy as np

from .. import _dtype
from ..node import Node
from ..tensor import Tensor
from ._util import as_tensor, result_type
from .registry import public


def _bitwise(name, fn, input, other):
    """Integers and bools only, in the promoted dtype (no gradient: the result is never floating)."""
    dt = result_type(input, other)
    if dt.is_floating_point:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{dt.scalar_name}'")
    other_data = other._data if isinstance(other, Tensor) else as_tensor(other, dt)._data
    return Tensor._make(fn(input._data.astype(dt.np), other_data.astype(dt.np)), dtype=dt)


@public(inplace=True, out=True)
def bitwise_and(input, other):
    return _bitwise("bitwise_and", np.bitwise_and, input, other)


@public(inplace=True, out=True)
def bitwise_or(input, other):
    return _bitwise("bitwise_or", np.bitwise_or, input, other)


@public(inplace=True, out=True)
def bitwise_xor(input, other):
    return _bitwise("bitwise_xor", np.bitwise_xor, input, other)


@public(inplace=True, out=True)
def bitwise_not(input):
    if input.dtype.is_floating_point:
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{input.dtype.scalar_name}'")
    return Tensor._make(np.invert(input._data), dtype=input.dtype)


def _invert(input):
    """``~x``: bitwise not, refused for floating tensors with the operator's own words."""
    if input.dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(input)


@public
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values in ascending order (PyTorch sorts on the CPU whatever ``sorted`` says)."""
    axis = None if dim is None else input._wrap_dim(dim)
    values, inverse, counts = np.unique(input._data, return_inverse=True, return_counts=True, axis=axis)
    if axis is None:
        inverse = inverse.reshape(input.shape)
    out = [Tensor._make(values.astype(input.dtype.np), dtype=input.dtype)]
    if return_inverse:
        out.append(Tensor._make(inverse.reshape(-1).astype(np.int64) if axis is not None else inverse.astype(np.int64),
                                dtype=_dtype.int64))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64), dtype=_dtype.int64))
    return out[0] if len(out) == 1 else tuple(out)


class LinalgCrossBackward0(Node):
    """out = a × b along dim        ∂a = b × g        ∂b = g × a"""

    def forward(self, a, b, dim):
        self.dim = dim
        self.save(self=a, other=b)
        return np.cross(a._data, b._data, axis=dim)

    def backward(self, g):
        a, b = self.saved("self"), self.saved("other")
        return cross(b, g, dim=self.dim), cross(g, a, dim=self.dim)


@public
def cross(input, other, dim=None):
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release. (Triggered internally at "
                      "/__w/pytorch/pytorch/aten/src/ATen/native/Cross.cpp:63.)", UserWarning, stacklevel=2)
        sizes = [i for i, n in enumerate(input.shape) if n == 3]
        if not sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes[0]
    d = input._wrap_dim(dim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
                           f"{other.shape[d]}")
    return LinalgCrossBackward0.apply(input, other, dim=d)
