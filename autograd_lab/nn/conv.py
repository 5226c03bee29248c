"""Convolutional layers: Conv1d, Conv2d (zero padding, any stride, dilation and groups)."""
import numbers

from .. import factories
from . import functional as F
from .layers import Linear
from .module import Module
from .parameter import Parameter


def _ntuple(value, n):
    if isinstance(value, numbers.Integral):
        return (value,) * n
    return tuple(value)


class _ConvNd(Module):
    """Weight (out_channels, in_channels/groups, *kernel_size), bias (out_channels,).

    Initialised as PyTorch does: W ~ kaiming_uniform_(a=√5), i.e. U(-1/√fan_in, 1/√fan_in) with
    fan_in = in_channels/groups · kernel elements, then b ~ U(-1/√fan_in, 1/√fan_in)."""

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        n = self._nd
        kernel_size, stride, dilation = _ntuple(kernel_size, n), _ntuple(stride, n), _ntuple(dilation, n)
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
            padding = _ntuple(padding, n)
        modes = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in modes:
            raise ValueError(f"padding_mode must be one of {modes}, but got padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.transposed, self.output_padding = False, (0,) * n
        self.groups, self.padding_mode = groups, padding_mode
        self.weight = Parameter(factories.empty((out_channels, in_channels // groups) + kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(factories.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    reset_parameters = Linear.reset_parameters  # the same draws, in the same order, as PyTorch's

    def forward(self, input):
        if self.padding_mode != "zeros":
            raise NotImplementedError(f"autograd_lab: padding_mode='{self.padding_mode}' is not implemented "
                                      "(only 'zeros')")
        conv = F.conv1d if self._nd == 1 else F.conv2d
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
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
