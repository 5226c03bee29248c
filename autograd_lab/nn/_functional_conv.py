"""``F.conv1d`` / ``F.conv2d``: PyTorch's argument checks, in its order and words, then one
ConvolutionBackward0 node (an unbatched input is unsqueezed before and squeezed after, as PyTorch does).
"""
import numbers
import warnings

from ..ops import conv as _C

_SCALAR = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
           "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _expand(value, n):
    """An int or a sequence as a tuple of ``n`` ints; a sequence of another length is refused."""
    if isinstance(value, numbers.Integral):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    return value


def _check_lengths(k, **params):
    for name, value in params.items():
        if len(value) != k:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {k} values to match the "
                               f"convolution dimensions, but got {name}=[{', '.join(map(str, value))}]")


def _shape(t):
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _conv(input, weight, bias, stride, padding, dilation, groups, nd):
    name = f"conv{nd}d"
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of "
                           f"size: {_shape(input)}")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    if weight.dim() < 3:
        raise RuntimeError("weight should have at least three dimensions")
    k = weight.dim() - 2
    stride, dilation = _expand(stride, nd), _expand(dilation, nd)
    if isinstance(padding, str):
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        pads = None
    else:
        pads = _expand(padding, nd)
    _check_lengths(k, stride=stride, **({} if pads is None else {"padding": pads}), dilation=dilation)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if pads is not None and any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")

    batched = input.dim() == nd + 2
    x = input if batched else input.unsqueeze(0)
    if x.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {x.dtype._legacy[:-6]} but found {weight.dtype._legacy[:-6]}")
    if bias is not None and bias.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({_SCALAR.get(x.dtype.name, x.dtype.name)}) and bias type "
                           f"({_SCALAR.get(bias.dtype.name, bias.dtype.name)}) should be the same")
    c_out, c_per_group = weight.shape[0], weight.shape[1]
    if c_out % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
                           f"weight of size [{_shape(weight)}] instead")
    if x.shape[1] != c_per_group * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {_shape(weight)}, expected input{_shape(x)} to have "
                           f"{c_per_group * groups} channels, but got {x.shape[1]} channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != c_out):
        raise RuntimeError(f"Given weight of size {_shape(weight)}, expected bias to be 1-dimensional with {c_out} "
                           f"elements, but got bias of size {_shape(bias)} instead")

    kernel = tuple(weight.shape[2:])
    if pads is None:
        pads = _string_padding(padding, kernel, dilation)
    else:
        pads = tuple((p, p) for p in pads)
    padded = [s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads)]
    spans = [d * (kk - 1) + 1 for kk, d in zip(kernel, dilation)]
    if any(p < s for p, s in zip(padded, spans)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, spans))}). Kernel size can't be greater than actual input size")
    out = _C.convolution(x, weight, bias, stride, pads, dilation, groups)
    return out if batched else out.squeeze(0)


def _string_padding(padding, kernel, dilation):
    """'valid': none; 'same': d·(k - 1) in all, the odd one out after (PyTorch pads that on the right)."""
    if padding == "valid":
        return tuple((0, 0) for _ in kernel)
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    if any(t % 2 for t in total):
        # PyTorch records an extra ConstantPadNdBackward0 for this case; here it is part of the convolution
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy "
                      "of the input be created", UserWarning, stacklevel=4)
    return tuple((t // 2, t - t // 2) for t in total)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution over (N, C, L) (or unbatched (C, L)) with weight (C_out, C/groups, k)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution over (N, C, H, W) (or unbatched (C, H, W)) with weight (C_out, C/groups, kH, kW)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)
