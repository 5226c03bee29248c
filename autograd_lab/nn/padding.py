"""Padding layers: ConstantPad1d/2d, ZeroPad1d/2d, ReflectionPad1d/2d, ReplicationPad1d/2d (F.pad as modules)."""

from . import functional as F
from ._utils import ntuple
from .module import Module


class _Pad(Module):
    """``padding``: an int for every side, or (left, right[, top, bottom]) as F.pad takes it."""
    _nd, mode = 1, "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = ntuple(padding, 2 * self._nd)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_Pad):
    mode = "reflect"


class ReflectionPad2d(_Pad):
    _nd, mode = 2, "reflect"


class ReplicationPad1d(_Pad):
    mode = "replicate"


class ReplicationPad2d(_Pad):
    _nd, mode = 2, "replicate"


class ConstantPad1d(_Pad):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    _nd = 2


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    _nd = 2
