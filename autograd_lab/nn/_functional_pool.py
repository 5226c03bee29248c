"""``F.max_pool1d/2d``, ``F.avg_pool1d/2d``, ``F.adaptive_avg_pool2d``: PyTorch's argument checks
in its words, then the pooling nodes of ``ops/pooling.py``. The 1-d forms run the 2-d node on the
input unsqueezed at -2 and squeeze the result, which is the graph PyTorch records."""
import numbers

from .._printing import shape_str
from ..ops import pooling as _P
from ..tensor import Tensor
from ._utils import int_tuple, ntuple


def _pair(value, fn, what):
    how = {"stride": "must either be omitted, a single int,",
           "dilation": "must be either a single int,"}.get(what, "must either be a single int,")
    return int_tuple(value, 2, error=lambda _: RuntimeError(f"{fn}: {what} {how} or a tuple of two ints"))


def _omitted(stride):
    """PyTorch takes None and an empty list alike as 'stride = kernel_size'."""
    return stride is None or (not isinstance(stride, numbers.Integral) and not len(stride))


def _check_2d(input, kernel, stride, padding, dilation):
    """PyTorch's pool2d shape checks, in its order; returns nothing, raises its errors."""
    for k, s, p, d in zip(kernel, stride, padding, dilation):
        if s == 0:
            raise RuntimeError("stride should not be zero")
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} "
                               f"and dilation={d}")
    if min(kernel) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kernel[0]} kW: {kernel[1]}")
    if min(stride) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {stride[0]} dW: {stride[1]}")
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dilation[0]} "
                           f"dilationW: {dilation[1]}")


def _check_output(input, out):
    if min(out) < 1:
        c, h, w = input.shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out[0]}x{out[1]}). "
                           "Output size is too small")


def _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _pair(kernel_size, "max_pool2d", "kernel_size")
    stride = kernel if _omitted(stride) else _pair(stride, "max_pool2d", "stride")
    padding = _pair(padding, "max_pool2d", "padding")
    dilation = _pair(dilation, "max_pool2d", "dilation")
    if input.dim() >= 2:
        _check_2d(input, kernel, stride, padding, dilation)
    if input.dim() not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    out, _ = _P.pool_geometry(input.shape[-2:], kernel, stride, padding, dilation, ceil_mode)
    _check_output(input, out)
    geom = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    out = _P.MaxPool2DWithIndicesBackward0.apply(input, **geom)
    # the indices need no gradient, so they are not an output of the node: it keeps them aside
    indices = out.grad_fn.indices_out if out.grad_fn is not None else _P.max_pool2d_arrays(input._data, **geom)[1]
    return out, Tensor._make(indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The largest value of each kH×kW window (and, with return_indices, where it was: h·W + w)."""
    out, indices = _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, indices) if return_indices else out


def _single(value, fn, what):
    if fn == "avg_pool1d":
        message = f"avg_pool1d() argument '{what}' should contain one int (got {{}})"
    else:
        kinds = ("None, an int, list of ints, or tuple of ints" if what == "stride"
                 else "an int, list of ints or tuple of ints")
        message = f"{fn}() {what} must be {kinds} of size 1 but got size {{}}"
    return int_tuple(value, 1, error=lambda k: RuntimeError(message.format(k)))[0]


def _dims_1d(input, fn):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {fn})")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The largest value of each window of k along the last dim (run as max_pool2d over (…, 1, L))."""
    k = _single(kernel_size, "max_pool1d", "kernel_size")
    s = k if _omitted(stride) else _single(stride, "max_pool1d", "stride")
    p, d = _single(padding, "max_pool1d", "padding"), _single(dilation, "max_pool1d", "dilation")
    if return_indices:
        _dims_1d(input, "max_pool1d")
    else:
        if input.dim() not in (2, 3):
            raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                               f"input, but got:{shape_str(input.shape)}")
        for what, v in (("kernel_size", k), ("stride", s), ("dilation", d)):
            if v <= 0:
                raise RuntimeError(f"max_pool1d() {what} must be greater than zero, but got {v}")
        if p < 0:
            raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
        if p > k // 2:
            raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
                               f"kernel_size={k}")
        (_, length), _ = _P.pool_geometry((1, input.shape[-1]), (1, k), (1, s), (0, p), (1, d), ceil_mode)
        if length < 1:
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {length}")
    out, indices = _max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), ceil_mode)
    return (out.squeeze(-2), indices.squeeze(-2)) if return_indices else out.squeeze(-2)


def _avg_pool2d(input, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.dim() >= 2:
        _check_2d(input, kernel, stride, padding, (1, 1))
    if input.dim() not in (3, 4):
        if input.dim() < 3:
            input.shape[input._wrap_dim(-3)]  # PyTorch reads dim -3 first: the same IndexError
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:"
                           f"{shape_str(input.shape)}")
    out, _ = _P.pool_geometry(input.shape[-2:], kernel, stride, padding, (1, 1), ceil_mode)
    _check_output(input, out)
    return _P.AvgPool2DBackward0.apply(input, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                                       count_include_pad=count_include_pad, divisor_override=divisor_override)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each kH×kW window (count_include_pad: zeros of the padding count in the mean)."""
    kernel = _pair(kernel_size, "avg_pool2d", "kernel_size")
    stride = kernel if _omitted(stride) else _pair(stride, "avg_pool2d", "stride")
    padding = _pair(padding, "avg_pool2d", "padding")
    return _avg_pool2d(input, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window of k along the last dim (run as avg_pool2d over (…, 1, L))."""
    k = _single(kernel_size, "avg_pool1d", "kernel_size")
    s = k if _omitted(stride) else _single(stride, "avg_pool1d", "stride")
    p = _single(padding, "avg_pool1d", "padding")
    _dims_1d(input, "avg_pool1d")
    out = _avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad, None)
    return out.squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    """Averages over regions chosen so that the output is ``output_size`` (rows ⌊i·H/oH⌋ to
    ⌈(i+1)·H/oH⌉, columns alike); (1, 1) is a mean over the last two dims, as PyTorch records it."""
    output_size = ntuple(output_size, 2)
    if len(output_size) != 2:
        raise ValueError("Input dimension should be at least 4")  # (PyTorch's words for a wrong output_size)
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {shape_str(input.shape)}")
    for d in range(1, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError("adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, "
                               f"but input has sizes {shape_str(input.shape)} with dimension {d} being empty")
    size = tuple(input.shape[-2 + i] if v is None else int(v) for i, v in enumerate(output_size))
    if size == (1, 1):
        return input.mean((-1, -2), keepdim=True)
    return _P.AdaptiveAvgPool2DBackward0.apply(input, output_size=size)
