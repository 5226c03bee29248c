"""``x.new_ones(2, 3)`` and friends: factories that take their dtype (and device) from an existing
tensor unless told otherwise. Methods only; ``torch.new_ones`` does not exist."""
import warnings

import numpy as np

from . import _device, _dtype
from .factories import _finish, _size_arg, _sizes, tensor
from .ops.registry import public
from .tensor import Tensor


def _filled_like(self, fill, shape, dtype, requires_grad, fn):
    d = _dtype.to_dtype(dtype, fn) or self.dtype
    return _finish(np.full(shape, fill, dtype=d.np), d, requires_grad)


@public(function=False)
def new_ones(self, *sizes, size=None, dtype=None, device=None, requires_grad=False):
    _device.check(device)
    return _filled_like(self, 1, _size_arg(sizes, size, "new_ones"), dtype, requires_grad, "new_ones")


@public(function=False)
def new_zeros(self, *sizes, size=None, dtype=None, device=None, requires_grad=False):
    _device.check(device)
    return _filled_like(self, 0, _size_arg(sizes, size, "new_zeros"), dtype, requires_grad, "new_zeros")


@public(function=False)
def new_empty(self, *sizes, size=None, dtype=None, device=None, requires_grad=False):
    _device.check(device)  # PyTorch leaves the memory uninitialised; zeros are one valid content
    return _filled_like(self, 0, _size_arg(sizes, size, "new_empty"), dtype, requires_grad, "new_empty")


@public(function=False)
def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    _device.check(device)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    return _filled_like(self, fill_value, _sizes((size,), "new_full"), dtype, requires_grad, "new_full")


@public(function=False)
def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "tensor.new_tensor(sourceTensor).", UserWarning, stacklevel=2)
        data = data.detach()._data.copy()  # torch.tensor(a tensor) would warn a second time
    return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)
