"""Elementwise arithmetic. Broadcast gradients are summed back to each input's shape by the engine."""
import numpy as np

from ..node import Node
from ._util import arr


class AddBackward0(Node):
    """out = a + alpha·b        ∂a = g,   ∂b = alpha·g"""

    def forward(self, a, b, dtype, alpha=1):
        self.alpha = alpha
        y = arr(b, dtype)
        return arr(a, dtype) + (y if alpha == 1 else alpha * y)

    def backward(self, g):
        return g, (g if self.alpha == 1 else g * self.alpha)


class SubBackward0(Node):
    """out = a - alpha·b        ∂a = g,   ∂b = -alpha·g"""

    def forward(self, a, b, dtype, alpha=1):
        self.alpha = alpha
        y = arr(b, dtype)
        return arr(a, dtype) - (y if alpha == 1 else alpha * y)

    def backward(self, g):
        return g, (-g if self.alpha == 1 else g * -self.alpha)


class RsubBackward1(Node):
    """out = c - a  (c a Python number)        ∂a = -g"""

    def forward(self, a, c):
        self.c = c
        return (np.asarray(c, a._data.dtype) - a._data).astype(a._data.dtype, copy=False)

    def backward(self, g):
        return -g


class MulBackward0(Node):
    """out = a·b        ∂a = g·b,   ∂b = g·a"""

    def forward(self, a, b, dtype):
        self.save(self=a, other=b)
        return arr(a, dtype) * arr(b, dtype)

    def backward(self, g):
        return (g * self.saved("other") if self.needs_input_grad(0) else None,
                g * self.saved("self") if self.needs_input_grad(1) else None)


class DivBackward0(Node):
    """out = a / b        ∂a = g / b,   ∂b = -g·a / b²"""

    def forward(self, a, b, dtype):
        self.save(self=a, other=b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return arr(a, dtype) / arr(b, dtype)

    def backward(self, g):
        b = self.saved("other")
        return (g / b if self.needs_input_grad(0) else None,
                -g * self.saved("self") / (b * b) if self.needs_input_grad(1) else None)


class NegBackward0(Node):
    """out = -a        ∂a = -g"""

    def forward(self, a):
        return -a._data

    def backward(self, g):
        return -g


class ReciprocalBackward0(Node):
    """out = 1 / a        ∂a = -g·out²"""
    save_result = True

    def forward(self, a):
        with np.errstate(divide="ignore"):
            return (1 / a._data).astype(a._data.dtype, copy=False)

    def backward(self, g):
        r = self.result
        return -g * r * r


class PowBackward0(Node):
    """out = aᵖ  (p a number)        ∂a = g·p·aᵖ⁻¹"""

    def forward(self, a, exponent):
        self.exponent = exponent
        self.save(self=a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.power(a._data, np.asarray(exponent, a._data.dtype))

    def backward(self, g):
        p = self.exponent
        if p == 0:
            return g * 0
        return g * p * self.saved("self") ** (p - 1)


class PowBackward1(Node):
    """out = aᵇ  (both tensors)        ∂a = g·b·aᵇ⁻¹,   ∂b = g·out·ln a  (0 where a = 0 and b ≥ 0)"""
    save_result = True

    def forward(self, a, b, dtype):
        self.save(self=a, exponent=b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.power(arr(a, dtype), arr(b, dtype))

    def backward(self, g):
        a, b = self.saved("self"), self.saved("exponent")
        ga = g * b * a ** (b - 1) if self.needs_input_grad(0) else None
        gb = None
        if self.needs_input_grad(1):
            gb = where((a == 0) & (b >= 0), 0.0, g * self.result * a.log())
        return ga, gb


class PowBackward2(Node):
    """out = cᵇ  (c a number)        ∂b = g·out·ln c"""
    save_result = True

    def forward(self, b, base):
        self.base = base
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.power(np.asarray(base, b._data.dtype), b._data)

    def backward(self, g):
        if self.base == 0:
            return where(self.result >= 0, 0.0, g * self.result * float(np.log(self.base)))
        return g * self.result * float(np.log(self.base))


class ExpBackward0(Node):
    """out = eᵃ        ∂a = g·out"""
    save_result = True

    def forward(self, a):
        with np.errstate(over="ignore"):
            return np.exp(a._data)

    def backward(self, g):
        return g * self.result


class LogBackward0(Node):
    """out = ln a        ∂a = g / a"""

    def forward(self, a):
        self.save(self=a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a._data)

    def backward(self, g):
        return g / self.saved("self")


class SqrtBackward0(Node):
    """out = √a        ∂a = g / (2·out)"""
    save_result = True

    def forward(self, a):
        with np.errstate(invalid="ignore"):
            return np.sqrt(a._data)

    def backward(self, g):
        return g / (2 * self.result)


class RsqrtBackward0(Node):
    """out = 1/√a        ∂a = -½·g·out³"""
    save_result = True

    def forward(self, a):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (1 / np.sqrt(a._data)).astype(a._data.dtype, copy=False)

    def backward(self, g):
        return -0.5 * g * self.result ** 3


class AbsBackward0(Node):
    """out = |a|        ∂a = g·sign(a)"""

    def forward(self, a):
        self.save(self=a)
        return np.abs(a._data)

    def backward(self, g):
        return g * self.saved("self").sign()


class SinBackward0(Node):
    """out = sin a        ∂a = g·cos a"""

    def forward(self, a):
        self.save(self=a)
        return np.sin(a._data)

    def backward(self, g):
        return g * self.saved("self").cos()


class CosBackward0(Node):
    """out = cos a        ∂a = -g·sin a"""

    def forward(self, a):
        self.save(self=a)
        return np.cos(a._data)

    def backward(self, g):
        return -g * self.saved("self").sin()


class ClampBackward1(Node):
    """out = min(max(a, lo), hi)        ∂a = g where lo ≤ a ≤ hi, else 0"""

    def forward(self, a, min=None, max=None):
        self.save(self=a)
        self.min, self.max = min, max
        return np.clip(a._data, min, max).astype(a._data.dtype, copy=False)

    def backward(self, g):
        a = self.saved("self")
        keep = None
        if self.min is not None:
            keep = a >= self.min
        if self.max is not None:
            keep = (a <= self.max) if keep is None else keep & (a <= self.max)
        return where(keep, g, 0.0)


class ClampMinBackward0(ClampBackward1):
    """out = max(a, lo)        ∂a = g where a ≥ lo, else 0"""


class ClampMaxBackward0(ClampBackward1):
    """out = min(a, hi)        ∂a = g where a ≤ hi, else 0"""


class SignBackward0(Node):
    """out = sign a        ∂a = 0"""

    def forward(self, a):
        return np.sign(a._data)

    def backward(self, g):
        return g * 0


class WhereBackward0(Node):
    """out = cond ? a : b        ∂a = g where cond,   ∂b = g where not cond"""

    def forward(self, a, b, dtype, condition):
        self.condition = condition
        return np.where(condition._data, arr(a, dtype), arr(b, dtype))

    def backward(self, g):
        zero = g * 0
        return (where(self.condition, g, zero) if self.needs_input_grad(0) else None,
                where(self.condition, zero, g) if self.needs_input_grad(1) else None)


class ToCopyBackward0(Node):
    """out = a converted to another dtype        ∂a = g (the engine casts it back)"""

    def forward(self, a, dtype):
        return a._data.astype(dtype.np)

    def backward(self, g):
        return g


class CloneBackward0(Node):
    """out = a copy of a        ∂a = g"""

    def forward(self, a):
        return a._data.copy()

    def backward(self, g):
        return g


def where(condition, a, b):
    """``torch.where(condition, a, b)``: differentiable in a and b."""
    from ._util import as_tensor, result_type
    from ..tensor import Tensor
    dt = result_type(a, b)
    a, b = as_tensor(a, dt), as_tensor(b, dt)
    cond = condition if isinstance(condition, Tensor) else as_tensor(condition, dt)
    return WhereBackward0.apply(a, b, dtype=dt, condition=cond)
