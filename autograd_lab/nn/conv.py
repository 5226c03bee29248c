"""Convolutional layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d (zero padding, any stride,
dilation and groups)."""

from .. import factories
from . import functional as F
from ._utils import ntuple
from .layers import Linear
from .module import Module
from .parameter import Parameter


class _ConvNd(Module):
    """Weight (out_channels, in_channels/groups, *kernel_size), bias (out_channels,).

    Initialised as PyTorch does: W ~ kaiming_uniform_(a=√5), i.e. U(-1/√fan_in, 1/√fan_in) with
    fan_in = in_channels/groups · kernel elements, then b ~ U(-1/√fan_in, 1/√fan_in)."""

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None, *, _transposed=False, _output_padding=0):
        super().__init__()
        n = self._nd
        kernel_size, stride, dilation = ntuple(kernel_size, n), ntuple(stride, n), ntuple(dilation, n)
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            valid = {"same", "valid"}  # (a set, printed as PyTorch prints it in this process)
            if padding not in valid:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {valid}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = ntuple(padding, n)
        modes = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in modes:
            raise ValueError(f"padding_mode must be one of {modes}, but got padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.transposed, self.output_padding = _transposed, ntuple(_output_padding, n)
        self.groups, self.padding_mode = groups, padding_mode
        shape = (in_channels, out_channels // groups) if _transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(factories.empty(shape + kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(factories.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    reset_parameters = Linear.reset_parameters  # the same draws, in the same order, as PyTorch's

    def forward(self, input):
        conv = F.conv1d if self._nd == 1 else F.conv2d
        if self.padding_mode != "zeros":  # pad first (F.pad's modes), then convolve without padding
            padded = F.pad(input, self._reversed_padding_repeated_twice(), mode=self.padding_mode)
            return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def _reversed_padding_repeated_twice(self):
        """The padding as F.pad takes it: last dim first, (before, after) for each dim."""
        if self.padding == "valid":
            return [0, 0] * self._nd
        if self.padding == "same":
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            return [p for t in reversed(totals) for p in (t // 2, t - t // 2)]
        return [p for p in reversed(self.padding) for _ in range(2)]

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-d convolution over (N, C_in, L) → (N, C_out, L_out)."""
    _nd = 1


class Conv2d(_ConvNd):
    """2-d convolution over (N, C_in, H, W) → (N, C_out, H_out, W_out)."""
    _nd = 2


class _ConvTransposeNd(_ConvNd):
    """The adjoint of a convolution as a layer: weight (in_channels, out_channels/groups, *kernel_size);
    ``forward(input, output_size=None)`` may ask for one of the output sizes the stride leaves open."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                         device, dtype, _transposed=True, _output_padding=output_padding)

    def _output_padding(self, input, output_size):
        """The output_padding that gives ``output_size`` (PyTorch's rule and error texts)."""
        if output_size is None:
            return self.output_padding
        n = self._nd
        lead = 2 if input.dim() == n + 2 else 1
        output_size = list(output_size)
        if len(output_size) == lead + n:
            output_size = output_size[lead:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} or {lead + n} "
                             f"elements (got {len(output_size)})")
        low = [(input.shape[lead + d] - 1) * self.stride[d] - 2 * self.padding[d]
               + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(n)]
        high = [lo + s - 1 for lo, s in zip(low, self.stride)]
        if any(not lo <= size <= hi for size, lo, hi in zip(output_size, low, high)):
            raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {low} to {high} "
                             f"(for an input of {input.shape[lead:]})")
        return tuple(size - lo for size, lo in zip(output_size, low))

    def forward(self, input, output_size=None):
        conv = F.conv_transpose1d if self._nd == 1 else F.conv_transpose2d
        return conv(input, self.weight, self.bias, self.stride, self.padding, self._output_padding(input, output_size),
                    self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution over (N, C_in, L) → (N, C_out, L_out)."""
    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution over (N, C_in, H, W) → (N, C_out, H_out, W_out)."""
    _nd = 2
