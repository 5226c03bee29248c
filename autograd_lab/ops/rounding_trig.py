"""ceil, floor (gradient zero almost everywhere, as PyTorch defines it) and asin."""
import numpy as np

from ..factories import zeros_like
from ..node import Node
from .api import _float_unary, _t
from .registry import public


class CeilBackward0(Node):
    """out = ⌈a⌉        ∂a = 0 (a step function: PyTorch takes the derivative as zero everywhere)"""

    def forward(self, a):
        return np.ceil(a._data)

    def backward(self, g):
        return zeros_like(g)

    def jvp(self, da):
        """d(out) = 0"""
        return zeros_like(da)


class FloorBackward0(Node):
    """out = ⌊a⌋        ∂a = 0 (a step function: PyTorch takes the derivative as zero everywhere)"""

    def forward(self, a):
        return np.floor(a._data)

    def backward(self, g):
        return zeros_like(g)

    def jvp(self, da):
        """d(out) = 0"""
        return zeros_like(da)


class AsinBackward0(Node):
    """out = asin a        ∂a = g / √(1 - a²)"""

    def forward(self, a):
        self.save(self=a)
        with np.errstate(invalid="ignore"):  # outside [-1, 1] PyTorch gives nan silently
            return np.arcsin(a._data)

    def backward(self, g):
        a = self.saved("self")
        return g * (1 - a * a).rsqrt()

    def jvp(self, da):
        """d(out) = da / √(1 - a²)"""
        a = self.inputs[0]
        return da * (1 - a * a).rsqrt()


def _rounding(cls):
    def fn(input):
        input = _t(input)
        if not input.dtype.is_floating_point:  # integers are already whole: PyTorch returns a copy
            return input.clone()
        return cls.apply(input)
    fn.__name__ = cls.__name__.replace("Backward0", "").lower()
    fn.__doc__ = cls.__doc__
    return fn


ceil = public(_rounding(CeilBackward0), inplace=True, inplace_function=True, out=True)
floor = public(_rounding(FloorBackward0), inplace=True, inplace_function=True, out=True)
asin = public(_float_unary(AsinBackward0), inplace=True, inplace_function=True, out=True, aliases=("arcsin",))
