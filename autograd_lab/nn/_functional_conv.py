"""``F.conv1d`` / ``F.conv2d``: PyTorch's argument checks, in its order and words, then one
ConvolutionBackward0 node (an unbatched input is unsqueezed before and squeezed after, as PyTorch does).
"""
import warnings

import numpy as np

from .._printing import shape_str
from ..ops import conv as _C
from ..ops import padding as _pad
from ..tensor import Tensor
from ._utils import int_tuple



def _check_lengths(k, **params):
    for name, value in params.items():
        if len(value) != k:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {k} values to match the "
                               f"convolution dimensions, but got {name}={shape_str(value)}")


def _conv(input, weight, bias, stride, padding, dilation, groups, nd, transposed=False, output_padding=0):
    name = f"conv_transpose{nd}d" if transposed else f"conv{nd}d"
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of "
                           f"size: {shape_str(input.shape)}")
    if isinstance(padding, str) and transposed:
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    if weight.dim() < 3:
        raise RuntimeError("weight should have at least three dimensions")
    k = weight.dim() - 2
    stride, dilation = int_tuple(stride, nd), int_tuple(dilation, nd)
    if isinstance(padding, str):
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        pads = None
    else:
        pads = int_tuple(padding, nd)
    _check_lengths(k, stride=stride, **({} if pads is None else {"padding": pads}), dilation=dilation)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if pads is not None and any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    output_padding = int_tuple(output_padding, nd)
    if transposed and any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        lead = () if nd == 2 else ((0,), (1,), (1,))  # PyTorch runs 1-d as 2-d with a height of 1
        values = (output_padding, stride, dilation) if nd == 2 else tuple(h + v for h, v in
                                                                          zip(lead, (output_padding, stride, dilation)))
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(
            f"{what}_{dim}: {v}" for what, vs in zip(("output_padding", "stride", "dilation"), values)
            for dim, v in zip(("height", "width"), vs)))

    batched = input.dim() == nd + 2
    x = input if batched else input.unsqueeze(0)
    if bias is not None and bias.dtype is not x.dtype:  # (PyTorch checks the bias first)
        raise RuntimeError(f"Input type ({x.dtype.c_name}) and bias type ({bias.dtype.c_name}) should be the same")
    if x.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {x.dtype._legacy[:-6]} but found {weight.dtype._legacy[:-6]}")
    c_out, c_per_group = weight.shape[0], weight.shape[1]
    given = "Given transposed=1, weight" if transposed else "Given weight"
    c_in = c_out if transposed else c_per_group * groups
    if transposed:
        c_out = c_per_group * groups
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
                           f"weight of size [{shape_str(weight.shape)}] instead")
    if x.shape[1] != c_in:
        raise RuntimeError(f"{'Given transposed=1' if transposed else f'Given groups={groups}'}, weight of size "
                           f"{shape_str(weight.shape)}, expected input{shape_str(x.shape)} to have {c_in} channels, but "
                           f"got {x.shape[1]} channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != c_out):
        raise RuntimeError(f"{given} of size {shape_str(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{c_out} elements, but got bias of size {shape_str(bias.shape)} instead")
    if transposed:
        geom = (stride, tuple((p, p) for p in pads), dilation, groups)
        sizes = _C.transposed_size(tuple(x.shape), tuple(weight.shape), geom, output_padding)[2:]
        if any(n < 1 for n in sizes):
            raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, x.shape[2:]))}). Calculated output "
                               f"size per channel: ({' x '.join(map(str, sizes))}). Output size is too small")
        out = _C.convolution(x, weight, bias, *geom, transposed=True, output_padding=output_padding)
        return out if batched else out.squeeze(0)

    kernel = tuple(weight.shape[2:])
    if pads is None:
        x, pads = _string_padding(x, padding, kernel, dilation)
    else:
        pads = tuple((p, p) for p in pads)
    padded = [s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads)]
    spans = [d * (kk - 1) + 1 for kk, d in zip(kernel, dilation)]
    if any(p < s for p, s in zip(padded, spans)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, spans))}). Kernel size can't be greater than actual input size")
    out = _C.convolution(x, weight, bias, stride, pads, dilation, groups)
    return out if batched else out.squeeze(0)


def _string_padding(x, padding, kernel, dilation):
    """'valid': none; 'same': d·(k - 1) in all, half on each side. When that is odd PyTorch first pads
    the input by one more on the right (a ConstantPadNdBackward0 in the graph), and so do we."""
    if padding == "valid":
        return x, tuple((0, 0) for _ in kernel)
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    extra = [t % 2 for t in total]
    if any(extra):
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy "
                      "of the input be created", UserWarning, stacklevel=4)
        x = pad(x, [p for e in reversed(extra) for p in (0, e)])
    return x, tuple((t // 2, t // 2) for t in total)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv1d as a layer ("deconvolution"): weight (C_in, C_out/groups, k); each input
    position adds a weighted copy of the kernel into the output, stride apart."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, True, output_padding)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv2d as a layer ("deconvolution"): weight (C_in, C_out/groups, kH, kW); the output
    is (L - 1)·stride - 2·padding + dilation·(k - 1) + output_padding + 1 per spatial dim."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, True, output_padding)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution over (N, C, L) (or unbatched (C, L)) with weight (C_out, C/groups, k)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution over (N, C, H, W) (or unbatched (C, H, W)) with weight (C_out, C/groups, kH, kW)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative amounts, crop) the last len(pad)/2 dims: pad = (last_before, last_after,
    second_last_before, ...). Only mode='constant' is implemented."""
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        return _copy_pad(input, pad, mode)
    sizes = [n + pad[2 * i] + pad[2 * i + 1] for i, n in enumerate(reversed(input.shape[input.dim() - len(pad) // 2:]))]
    if any(n < 0 for n in sizes):
        raise RuntimeError("narrow(): length must be non-negative.")
    return _pad.ConstantPadNdBackward0.apply(input, pad=tuple(int(p) for p in pad), value=0 if value is None else value)


def _copy_pad(input, pad, mode):
    """F.pad's reflect and replicate modes: the last dim (2 or 3-d input) or the last two (3 or 4-d)."""
    k = len(pad) // 2
    if not (k == 1 and input.dim() in (2, 3) or k == 2 and input.dim() in (3, 4) or k == 3 and input.dim() in (4, 5)):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode == "circular" or k == 3:
        raise NotImplementedError(f"autograd_lab: F.pad(mode='{mode}') over {k} dims is not implemented "
                                  "(reflect and replicate over 1 or 2 dims are)")
    if mode == "reflect":
        for i in range(k):  # the last dim first, as pad lists it
            dim = input.dim() - 1 - i
            lo, hi = pad[2 * i], pad[2 * i + 1]
            if lo >= input.shape[dim] or hi >= input.shape[dim]:
                raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({lo}, {hi}) at dimension {dim} of input "
                                   f"{shape_str(input.shape)}")
    return _pad.COPY_PADS[mode, k].apply(input, pad=tuple(int(p) for p in pad))


def _im2col_sizes(**sizes):
    """unfold's and fold's sizes, two ints each (a sequence of one is refused), checked in the order given."""
    return {name: int_tuple(value, 2, expand_one=False, error=lambda k, name=name: RuntimeError(
        f"It is expected {name} equals to 2, but got size {k}")) for name, value in sizes.items()}


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """(N, C, H, W) → (N, C·kH·kW, L): every sliding window as a column (im2col)."""
    sizes = _im2col_sizes(kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)
    geom = dict(kernel=sizes["kernel_size"], dilation=sizes["dilation"], padding=sizes["padding"],
                stride=sizes["stride"])
    if input.dim() not in (3, 4):
        if input.dim() < 3:
            input.shape[input._wrap_dim(2)]  # PyTorch reads dim 2 first: the same IndexError
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {shape_str(input.shape)}")
    blocks = _C.blocks_shape(input.shape[-2:], **geom)
    if min(blocks) < 1:
        g = geom
        raise RuntimeError(f"Given input with spatial size {tuple(input.shape[-2:])}, kernel_size={g['kernel']}, "
                           f"dilation={g['dilation']}, padding={g['padding']}, calculated shape of the array of sliding "
                           f"blocks as {blocks}, but its components must be at least one.")
    return _C.Im2ColBackward0.apply(input, **geom)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """(N, C·kH·kW, L) → (N, C, *output_size): each column added back over its window (col2im, unfold's
    adjoint; where windows overlap their values add up)."""
    sizes = _im2col_sizes(output_size=output_size, kernel_size=kernel_size, dilation=dilation, padding=padding,
                          stride=stride)
    size = sizes["output_size"]
    geom = dict(kernel=sizes["kernel_size"], dilation=sizes["dilation"], padding=sizes["padding"],
                stride=sizes["stride"])
    if input.dim() not in (2, 3):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {shape_str(input.shape)}")
    k = geom["kernel"]
    if input.shape[-2] % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={input.shape[-2]} and kernel_size={k}.")
    blocks = _C.blocks_shape(size, **geom)
    if blocks[0] * blocks[1] != input.shape[-1]:
        g = geom
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={g['dilation']}, padding="
                           f"{g['padding']}, stride={g['stride']}, expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, "
                           f"but got input.size(2)={input.shape[-1]}.")
    return _C.Col2ImBackward0.apply(input, output_size=size, **geom)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (each (H, W) map) with probability p while training, scale the rest by 1/(1 - p).

    The mask is drawn as PyTorch draws it: bernoulli(1 - p) shaped (N, C, 1, 1), divided by 1 - p;
    the result is input * mask (MulBackward0)."""
    from .. import random
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.dim() not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.dim()}-D input to dropout2d, which is deprecated and will result "
                      "in an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", UserWarning, stacklevel=2)
    if input.dim() == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", UserWarning, stacklevel=2)
    if p == 0 or not training or input.numel() == 0:
        return input
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    if p == 1:
        mask = Tensor._make(np.zeros(shape, input.dtype.np))
    else:
        keep = random.bernoulli(1 - p, shape, dtype=input.dtype.np)
        mask = Tensor._make((keep / np.asarray(1 - p, input.dtype.np)).astype(input.dtype.np, copy=False))
    return input.mul_(mask) if inplace else input * mask
