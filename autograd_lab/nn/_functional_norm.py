"""``F.batch_norm`` and ``F.layer_norm``: PyTorch's checks in its words, then one normalization node."""
import numbers

import numpy as np

from .. import _dtype
from .._printing import shape_str
from ..ops import normalization as _N

def _check_float(input, kernel):
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{input.dtype.scalar_name}\'')


def _check_same_dtype(input, *params):
    """PyTorch's CPU rule: parameters (and running statistics) of the input's dtype, or float32 ones
    for a float16 input."""
    dtypes = {t.dtype for t in params if t is not None}
    if not dtypes or dtypes == {input.dtype} or (input.dtype is _dtype.float16 and dtypes == {_dtype.float32}):
        return
    if input.dtype in (_dtype.float32, _dtype.float16):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05):
    """(x - μ)/√(σ² + eps)·w + b per channel (dim 1): μ, σ² of the batch when training (and the running
    statistics updated in place), the running statistics otherwise."""
    if training:
        size = input.shape
        per_channel = size[0] * int(np.prod(size[2:])) if len(size) >= 1 else 1
        if per_channel == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    _check_float(input, "batch_norm")
    channels = input.shape[1] if input.dim() > 1 else 0
    if not training:
        for name, t in (("running_mean", running_mean), ("running_var", running_var)):
            if t is None:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    _check_same_dtype(input, weight, bias, running_mean, running_var)
    norm = _N.batch_norm_layout(tuple(input.shape))
    return _N.NativeBatchNormBackward0.apply(input, weight, bias, running_mean=running_mean, running_var=running_var,
                                             training=training, momentum=momentum, eps=eps, norm=norm)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """(x - μ)/√(σ² + eps)·w + b with μ, σ² over the last dims (``normalized_shape``) of each sample."""
    if isinstance(normalized_shape, numbers.Integral):  # (nn.LayerNorm accepts an int; F.layer_norm does not)
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    shape = tuple(int(s) for s in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{shape_str(t.shape)} and normalized_shape = {shape_str(shape)}")
    if input.dim() < len(shape) or tuple(input.shape[input.dim() - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={shape_str(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size{shape_str(input.shape)}")
    _check_float(input, "LayerNormKernelImpl")
    _check_same_dtype(input, weight, bias)
    norm = _N.layer_norm_layout(tuple(input.shape), len(shape))
    return _N.NativeLayerNormBackward0.apply(input, weight, bias, eps=eps, norm=norm)
