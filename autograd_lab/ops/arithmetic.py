"""Elementwise arithmetic. Broadcast gradients are summed back to each input's shape by the engine."""
import numpy as np

from .. import _dtype
from ..node import Node
from ..tensor import Tensor
from ._util import arr, as_tensor, broadcast_shape, iter_layout, relayout, result_type, scalar_array


class AddBackward0(Node):
    """out = a + alpha·b        ∂a = g,   ∂b = alpha·g"""

    def forward(self, a, b, dtype, alpha=1):
        self.alpha = alpha
        y = arr(b, dtype)
        return arr(a, dtype) + (y if alpha == 1 else alpha * y)

    def backward(self, g):
        return g, (g if self.alpha == 1 else g * self.alpha)

    def jvp(self, da, db):
        """d(out) = da + alpha·db"""
        return da + (db if self.alpha == 1 else db * self.alpha)


class SubBackward0(Node):
    """out = a - alpha·b        ∂a = g,   ∂b = -alpha·g"""

    def forward(self, a, b, dtype, alpha=1):
        self.alpha = alpha
        y = arr(b, dtype)
        return arr(a, dtype) - (y if alpha == 1 else alpha * y)

    def backward(self, g):
        return g, (-g if self.alpha == 1 else g * -self.alpha)

    def jvp(self, da, db):
        """d(out) = da - alpha·db"""
        return da - (db if self.alpha == 1 else db * self.alpha)


class RsubBackward0(Node):
    """out = b - alpha·a  (torch.rsub with a tensor b)        ∂a = -alpha·g,   ∂b = g"""

    def forward(self, a, b, dtype, alpha=1):
        self.alpha = alpha
        x = arr(a, dtype)
        return arr(b, dtype) - (x if alpha == 1 else alpha * x)

    def backward(self, g):
        return (-g if self.alpha == 1 else g * -self.alpha), g

    def jvp(self, da, db):
        """d(out) = db - alpha·da"""
        return db - (da if self.alpha == 1 else da * self.alpha)


class RsubBackward1(Node):
    """out = c - alpha·a  (c a Python number, as in ``2 - x``)        ∂a = -alpha·g"""

    def forward(self, a, c, alpha=1):
        self.c, self.alpha = c, alpha
        x = a._data
        return (scalar_array(c, x.dtype) - (x if alpha == 1 else scalar_array(alpha, x.dtype) * x)).astype(
            x.dtype, copy=False)

    def backward(self, g):
        return -g if self.alpha == 1 else g * -self.alpha

    def jvp(self, da):
        """d(out) = -alpha·da"""
        return -da if self.alpha == 1 else da * -self.alpha


class MulBackward0(Node):
    """out = a·b        ∂a = g·b,   ∂b = g·a"""

    pack_order = ("other", "self")

    def forward(self, a, b, dtype):
        # each factor is needed only for the other one's gradient: save no more (PyTorch doesn't)
        self.save(self=a if self.needs_input_grad(1) else None, other=b if self.needs_input_grad(0) else None)
        return arr(a, dtype) * arr(b, dtype)

    def backward(self, g):
        return (g * self.saved("other") if self.needs_input_grad(0) else None,
                g * self.saved("self") if self.needs_input_grad(1) else None)

    def jvp(self, da, db):
        """d(out) = da·b + a·db   (the product rule)"""
        a, b = self.inputs
        return da * b + a * db


# PyTorch's backward formulas multiply, divide, add and subtract plain numbers with the Scalar
# overloads of mul, div, add and sub: MulBackward1, DivBackward1, AddBackward1, SubBackward1 (a
# Python `x * 2` is MulBackward0: Python numbers become 0-d tensors). Formulas here use these, so
# a graph built with create_graph=True names its nodes as PyTorch's does.
def _with_number(ufunc, a, c):
    """``ufunc(a, c)`` for a tensor and a number, in PyTorch's result dtype (an integer tensor and a
    float number give the default float) and the tensor's layout."""
    x, dt = a._data, a._dtype
    if not dt.is_floating_point and isinstance(c, float):
        dt = _dtype.get_default_dtype()
        x = x.astype(dt.np)
    with np.errstate(divide="ignore", invalid="ignore"):
        return iter_layout(np.asarray(ufunc(x, scalar_array(c, dt.np))), x)


class MulBackward1(Node):
    """out = a·c  (c a number)        ∂a = g·c"""

    def forward(self, a, c):
        self._saved_other = c  # where PyTorch shows the number
        return _with_number(np.multiply, a, c)

    def backward(self, g):
        return mul_scalar(g, self._saved_other)

    def jvp(self, da):
        """d(out) = da·c"""
        return mul_scalar(da, self._saved_other)


class DivBackward1(Node):
    """out = a / c  (c a number)        ∂a = g / c"""

    def forward(self, a, c):
        self._saved_other = c
        return _with_number(np.true_divide, a, float(c))

    def backward(self, g):
        return div_scalar(g, self._saved_other)

    def jvp(self, da):
        """d(out) = da / c"""
        return div_scalar(da, self._saved_other)


class AddBackward1(Node):
    """out = a + c  (c a number)        ∂a = g"""

    def forward(self, a, c):
        return _with_number(np.add, a, c)

    def backward(self, g):
        return g

    def jvp(self, da):
        """d(out) = da"""
        return da


class SubBackward1(Node):
    """out = a - c  (c a number)        ∂a = g"""

    def forward(self, a, c):
        return _with_number(np.subtract, a, c)

    def backward(self, g):
        return g

    def jvp(self, da):
        """d(out) = da"""
        return da


def mul_scalar(t, c):
    return MulBackward1.apply(t, c=c)


def div_scalar(t, c):
    return DivBackward1.apply(t, c=c)


def add_scalar(t, c):
    return AddBackward1.apply(t, c=c)


def sub_scalar(t, c):
    return SubBackward1.apply(t, c=c)


class DivBackward0(Node):
    """out = a / b        ∂a = g / b,   ∂b = -g·(a / b) / b"""

    pack_order = ("other", "self")

    def forward(self, a, b, dtype):
        self.save(self=a if self.needs_input_grad(1) else None, other=b)  # a serves only b's gradient
        with np.errstate(divide="ignore", invalid="ignore"):
            return arr(a, dtype) / arr(b, dtype)

    def backward(self, g):
        b = self.saved("other")
        # (a / b) / b, as PyTorch orders it: b·b would underflow to 0 for tiny b
        return (g / b if self.needs_input_grad(0) else None,
                -g * ((self.saved("self") / b) / b) if self.needs_input_grad(1) else None)

    def jvp(self, da, db):
        """d(out) = (da - out·db) / b   (the quotient rule)"""
        return (da - self.output * db) / self.inputs[1]


class DivBackward2(Node):
    """out = floor(a / b) or trunc(a / b)        ∂a = ∂b = 0 (a step function)"""

    def forward(self, a, b, dtype, rounding_mode):
        self.shapes = (a.shape, b.shape)
        self.save(self=a, other=b)  # unused by the zero gradient, but PyTorch keeps (and frees) them
        x, y = arr(a, dtype), arr(b, dtype)
        if dtype.is_floating_point:
            with np.errstate(divide="ignore", invalid="ignore"):
                # floor: NumPy's floor_divide is PyTorch's (and Python's) fmod-based algorithm, so
                # 1 // 0.1 is 9 as there; trunc is trunc(a / b) in both
                q = np.floor_divide(x, y) if rounding_mode == "floor" else np.trunc(x / y)
                return q.astype(dtype.np, copy=False)
        if (y == 0).any():
            raise RuntimeError("ZeroDivisionError")
        if rounding_mode == "floor":
            return np.floor_divide(x, y)
        q = np.abs(x) // np.abs(y)
        return (np.sign(x) * np.sign(y) * q).astype(dtype.np, copy=False)

    def backward(self, g):
        for name in self._saved:
            self.saved(name)  # a freed graph fails here, as in PyTorch
        return (_zeros(self.shapes[0], g.dtype) if self.needs_input_grad(0) else None,
                _zeros(self.shapes[1], g.dtype) if self.needs_input_grad(1) else None)

    def jvp(self, da, db):
        """d(out) = 0 (a step function)"""
        return _zeros(self.output.shape, self.output.dtype)


def _floor_divide(x, y, dtype):
    if dtype.is_floating_point:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.floor_divide(x, y).astype(dtype.np, copy=False)
    if (y == 0).any():
        raise RuntimeError("ZeroDivisionError")
    return np.floor_divide(x, y)


class NoDerivative(Node):
    """An op PyTorch has no derivative for (floor_divide, number % tensor): backward raises.
    Its type is named ``NotImplemented`` as PyTorch's (set below: a class statement of that name
    would hide Python's own ``NotImplemented`` in this module)."""
    op = "?"

    def name(self):
        return "torch::autograd::NotImplemented"

    def aten_name(self):
        return f"aten::{self.op}"

    def forward(self, *tensors, dtype, op, scalar=None, scalar_first=False):
        # a Python number is no input of the node (one edge only), as in PyTorch
        self.op = op
        vals = [arr(t, dtype) for t in tensors]
        if scalar is not None:
            c = scalar_array(scalar, dtype.np)
            vals = [c] + vals if scalar_first else vals + [c]
        if op == "floor_divide":
            return _floor_divide(*vals, dtype)
        return _remainder(*vals, dtype)

    def backward(self, *grads):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


NoDerivative.__name__ = NoDerivative.__qualname__ = "NotImplemented"


def _remainder(x, y, dtype):
    """Python's modulo (the sign of the divisor), which is PyTorch's remainder."""
    if not dtype.is_floating_point and (y == 0).any():
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mod(x, y)


class RemainderBackward0(Node):
    """out = a mod c  (c a number)        ∂a = g"""

    def forward(self, a, other, dtype):
        return _remainder(arr(a, dtype), scalar_array(other, dtype.np), dtype)

    def backward(self, g):
        return g

    def jvp(self, da):
        """d(out) = da"""
        return da


class RemainderBackward1(Node):
    """out = a mod b = a - b·floor(a / b)        ∂a = g,   ∂b = -g·floor(a / b)"""

    def forward(self, a, b, dtype):
        self.save(self=a, other=b)
        return _remainder(arr(a, dtype), arr(b, dtype), dtype)

    def backward(self, g):
        gb = None
        if self.needs_input_grad(1):
            a, b = self.saved("self"), self.saved("other")
            gb = -g * a.div(b, rounding_mode="floor")
        return g, gb

    def jvp(self, da, db):
        """d(out) = da - db·floor(a / b)"""
        a, b = self.inputs
        return da - db * a.div(b, rounding_mode="floor")


class NegBackward0(Node):
    """out = -a        ∂a = -g"""

    def forward(self, a):
        return -a._data

    def backward(self, g):
        return -g

    def jvp(self, da):
        """d(out) = -da"""
        return -da


class ReciprocalBackward0(Node):
    """out = 1 / a        ∂a = -g·out²"""
    save_result = True

    def forward(self, a):
        with np.errstate(divide="ignore"):
            return (1 / a._data).astype(a._data.dtype, copy=False)

    def backward(self, g):
        r = self.result
        return -g * (r * r)  # r² first, as PyTorch: a huge r overflows to inf (and 0·inf is nan)

    def jvp(self, da):
        """d(out) = -da·out²"""
        r = self.output
        return -da * (r * r)


def _power(x, y):
    """np.power, with PyTorch's integer powers: a negative exponent gives 1 for base 1, ±1 for
    base -1 and 0 otherwise (the truncated reciprocal), where NumPy refuses."""
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype == np.bool_ and y.dtype == np.bool_:
        return x | ~y  # b⁰ = 1, b¹ = b
    if x.dtype.kind in "iu" and y.dtype.kind in "iu" and (y < 0).any():
        pos = np.power(x, np.where(y < 0, 0, y))
        neg = np.where(x == 1, 1, np.where(x == -1, np.where(y % 2 == 0, 1, -1), 0))
        return np.where(y < 0, neg, pos).astype(np.result_type(x, y), copy=False)
    return np.power(x, y)


class PowBackward0(Node):
    """out = aᵖ  (p a number)        ∂a = g·p·aᵖ⁻¹   (0 everywhere when p = 0)"""

    def forward(self, a, exponent):
        self.exponent = exponent
        self.shape = a.shape
        self.save(self=a)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _power(a._data, scalar_array(exponent, a._data.dtype))

    def backward(self, g):
        p = self.exponent
        a = self.saved("self")  # unpacked even for p = 0: a freed graph must fail as in PyTorch
        if p == 0:
            # a constant zero, as PyTorch returns (not g·0, which would stay in the graph)
            return _zeros(self.shape, g.dtype)
        return g * mul_scalar(a ** (p - 1), float(p))  # PyTorch keeps the exponent as a double there

    def jvp(self, da):
        """d(out) = da·p·aᵖ⁻¹   (0 when p = 0)"""
        p = self.exponent
        if p == 0:
            return _zeros(self.shape, da.dtype)
        return da * mul_scalar(self.inputs[0] ** (p - 1), float(p))


class PowBackward1(Node):
    """out = aᵇ  (both tensors)        ∂a = g·b·aᵇ⁻¹  (0 where b = 0),   ∂b = g·out·ln a  (0 where a = 0, b ≥ 0)

    ln a is taken in the promoted dtype, as PyTorch does: an int or float32 base with a float64
    exponent would otherwise get a float32 logarithm, wrong in the 8th digit of ∂b."""
    pack_order = ("exponent", "self")
    save_result = True

    def forward(self, a, b, dtype):
        self.dtype = dtype
        self.save(self=a, exponent=b)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _power(arr(a, dtype), arr(b, dtype))

    def backward(self, g):
        b, a = self.saved("exponent"), self.saved("self")
        ga = gb = None
        if self.needs_input_grad(0):
            # b = 0 would give 0·a⁻¹ = nan at a = 0; the derivative of a⁰ is 0
            ga = where(b == 0, 0.0, g * (b * a ** sub_scalar(b, 1)))
        if self.needs_input_grad(1):
            a = a if a.dtype is self.dtype else a.to(self.dtype)
            gb = g * where((a == 0) & (b >= 0), 0.0, self.result * a.log())
        return ga, gb

    def jvp(self, da, db):
        """d(out) = da·b·aᵇ⁻¹ + db·out·ln a   (each term 0 where ∂a, ∂b above are)"""
        a, b = self.inputs
        a = a if a.dtype is self.dtype else a.to(self.dtype)
        return (where(b == 0, 0.0, da * (b * a ** sub_scalar(b, 1)))
                + db * where((a == 0) & (b >= 0), 0.0, self.output * a.log()))


class PowBackward2(Node):
    """out = cᵇ  (c a number)        ∂b = g·out·ln c   (0 where c = 0 and b ≥ 0)"""
    save_result = True

    def forward(self, b, base):
        self.base = base
        self.save(exponent=b)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = _power(scalar_array(base, b._data.dtype), b._data)
        # row-major whatever b's layout: PyTorch's pow(Scalar, Tensor) allocates its output fresh
        # (no TensorIterator layout, unlike tensor ** number), so 2 ** x.t() is contiguous
        return np.asarray(out, order="C")  # (ascontiguousarray would make a 0-d result 1-d)

    def backward(self, g):
        b = self.saved("exponent")  # unpacked whether needed or not, as PyTorch does
        if self.base == 0:
            with np.errstate(divide="ignore"):
                log0 = float(np.log(0.0))
            return g * where(b >= 0, 0.0, self.result * log0)
        return g * mul_scalar(self.result, float(np.log(self.base)))

    def jvp(self, db):
        """d(out) = db·out·ln c"""
        if self.base == 0:
            with np.errstate(divide="ignore"):
                log0 = float(np.log(0.0))
            return db * where(self.inputs[0] >= 0, 0.0, self.output * log0)
        return db * mul_scalar(self.output, float(np.log(self.base)))


class ExpBackward0(Node):
    """out = eᵃ        ∂a = g·out"""
    save_result = True

    def forward(self, a):
        with np.errstate(over="ignore"):
            return np.exp(a._data)

    def backward(self, g):
        return g * self.result

    def jvp(self, da):
        """d(out) = da·out"""
        return da * self.output


class LogBackward0(Node):
    """out = ln a        ∂a = g / a"""

    def forward(self, a):
        self.save(self=a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a._data)

    def backward(self, g):
        return g / self.saved("self")

    def jvp(self, da):
        """d(out) = da / a"""
        return da / self.inputs[0]


class SqrtBackward0(Node):
    """out = √a        ∂a = g / (2·out)"""
    save_result = True

    def forward(self, a):
        with np.errstate(invalid="ignore"):
            return np.sqrt(a._data)

    def backward(self, g):
        return g / mul_scalar(self.result, 2)

    def jvp(self, da):
        """d(out) = da / (2·out)"""
        return da / mul_scalar(self.output, 2)


class RsqrtBackward0(Node):
    """out = 1/√a        ∂a = -½·g·out³"""
    save_result = True

    def forward(self, a):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (1 / np.sqrt(a._data)).astype(a._data.dtype, copy=False)

    def backward(self, g):
        return mul_scalar(g, -0.5) * self.result ** 3

    def jvp(self, da):
        """d(out) = -½·da·out³"""
        return mul_scalar(da, -0.5) * self.output ** 3


class AbsBackward0(Node):
    """out = |a|        ∂a = g·sign(a)"""

    def forward(self, a):
        self.save(self=a)
        return np.abs(a._data)

    def backward(self, g):
        return g * self.saved("self").sgn()

    def jvp(self, da):
        """d(out) = da·sign(a)"""
        return da * self.inputs[0].sgn()


class SinBackward0(Node):
    """out = sin a        ∂a = g·cos a"""

    def forward(self, a):
        self.save(self=a)
        return np.sin(a._data)

    def backward(self, g):
        return g * self.saved("self").cos()

    def jvp(self, da):
        """d(out) = da·cos a"""
        return da * self.inputs[0].cos()


class CosBackward0(Node):
    """out = cos a        ∂a = -g·sin a"""

    def forward(self, a):
        self.save(self=a)
        return np.cos(a._data)

    def backward(self, g):
        return g * -self.saved("self").sin()

    def jvp(self, da):
        """d(out) = -da·sin a"""
        return da * -self.inputs[0].sin()


class ClampBackward1(Node):
    """out = min(max(a, lo), hi)        ∂a = g where lo ≤ a ≤ hi, else 0"""

    def forward(self, a, min=None, max=None):
        self.save(self=a)
        self.min, self.max = min, max
        x = a._data
        # integer bounds wrap to the tensor's type first, as a C cast does (uint8: -1 is 255)
        lo = None if min is None else (scalar_array(min, x.dtype) if x.dtype.kind in "iu" else min)
        hi = None if max is None else (scalar_array(max, x.dtype) if x.dtype.kind in "iu" else max)
        if lo is not None:
            x = np.maximum(x, lo)
        if hi is not None:
            x = np.minimum(x, hi)
        return np.asarray(x).astype(a._data.dtype, copy=False)

    def backward(self, g):
        a = self.saved("self")
        keep = None
        if self.min is not None:
            keep = a >= self.min
        if self.max is not None:
            keep = (a <= self.max) if keep is None else keep & (a <= self.max)
        return where(keep, g, 0.0)

    def jvp(self, da):
        """d(out) = da where lo ≤ a ≤ hi, else 0"""
        a, keep = self.inputs[0], None
        if self.min is not None:
            keep = a >= self.min
        if self.max is not None:
            keep = (a <= self.max) if keep is None else keep & (a <= self.max)
        return where(keep, da, 0.0)


class ClampMinBackward0(ClampBackward1):
    """out = max(a, lo)        ∂a = g where a ≥ lo, else 0"""


class ClampMaxBackward0(ClampBackward1):
    """out = min(a, hi)        ∂a = g where a ≤ hi, else 0"""


class ClampBackward0(Node):
    """out = min(max(a, lo), hi)  (lo, hi tensors; hi wins where lo > hi)
    ∂a = g where lo ≤ a ≤ hi,   ∂lo = g where a < lo < hi,   ∂hi = g where a > hi or hi < lo"""

    def forward(self, a, lo, hi, dtype):
        self.save(self=a, min=lo, max=hi)
        x = arr(a, dtype)
        if lo is not None:
            x = np.maximum(x, arr(lo, dtype))  # NaN bounds propagate, as in PyTorch
        if hi is not None:
            x = np.minimum(x, arr(hi, dtype))
        return np.asarray(x)

    def backward(self, g):
        a = self.saved("self")
        lo = self.saved("min") if "min" in self._saved else None
        hi = self.saved("max") if "max" in self._saved else None
        if lo is not None and hi is not None:
            ga = where((a >= lo) & (a <= hi), g, 0.0)
            glo = where((a < lo) & (lo < hi), g, 0.0)
            ghi = where((a > hi) | (hi < lo), g, 0.0)
        else:
            ga = where(a >= lo, g, 0.0) if lo is not None else where(a <= hi, g, 0.0)
            glo = where(a < lo, g, 0.0) if lo is not None else None
            ghi = where(a > hi, g, 0.0) if hi is not None else None
        return (ga if self.needs_input_grad(0) else None,
                glo if self.needs_input_grad(1) else None,
                ghi if self.needs_input_grad(2) else None)

    def jvp(self, da, dlo, dhi):
        """d(out) = da where lo ≤ a ≤ hi, dlo where a < lo, dhi where a > hi (or hi < lo)"""
        a, lo, hi = self.inputs
        out = da
        if lo is not None:
            out = where(a < lo, dlo, out)
        if hi is not None:
            out = where((a > hi) | ((hi < lo) if lo is not None else False), dhi, out)
        return out


class MaximumBackward0(Node):
    """out = max(a, b) elementwise        ∂a = g where a > b,   ∂b = g where b > a   (ties share g / 2)"""
    _np = staticmethod(np.maximum)

    def forward(self, a, b, dtype):
        self.save(self=a, other=b)
        return np.asarray(self._np(arr(a, dtype), arr(b, dtype)))

    def _wins(self, a, b):
        return a > b

    def backward(self, g):
        a, b = self.saved("self"), self.saved("other")
        tie, half = a == b, g / 2
        return (where(tie, half, where(self._wins(a, b), g, 0.0)) if self.needs_input_grad(0) else None,
                where(tie, half, where(self._wins(b, a), g, 0.0)) if self.needs_input_grad(1) else None)

    def jvp(self, da, db):
        """d(out) = da where a wins, db where b wins, (da + db) / 2 at ties"""
        a, b = self.inputs
        return where(a == b, (da + db) / 2, where(self._wins(a, b), da, db))


class MinimumBackward0(MaximumBackward0):
    """out = min(a, b) elementwise        ∂a = g where a < b,   ∂b = g where b < a   (ties share g / 2)"""
    _np = staticmethod(np.minimum)

    def _wins(self, a, b):
        return a < b


class SignBackward0(Node):
    """out = sign a  (sign of NaN is 0, as in PyTorch)        ∂a = 0"""

    def forward(self, a):
        self.shape = a.shape
        x = a._data
        if x.dtype == np.bool_:
            return x.copy()
        s = np.sign(x)
        return np.where(np.isnan(x), 0, s).astype(x.dtype, copy=False) if x.dtype.kind == "f" else s

    def backward(self, g):
        return _zeros(self.shape, g.dtype)

    def jvp(self, da):
        """d(out) = 0"""
        return _zeros(self.shape, da.dtype)


class SgnBackward0(SignBackward0):
    """out = sgn a (the sign, for real numbers)        ∂a = 0"""


class WhereBackward0(Node):
    """out = cond ? a : b        ∂a = g where cond,   ∂b = g where not cond"""

    def forward(self, a, b, dtype, condition):
        # saved, not kept: like PyTorch, a second backward through a freed where must fail
        self.save(condition=condition)
        self.mask = condition._data  # the values only, for jvp (the saved tensor can be freed)
        return np.where(condition._data, arr(a, dtype), arr(b, dtype))

    def backward(self, g):
        cond = self.saved("condition")
        return (where(cond, g, 0.0) if self.needs_input_grad(0) else None,
                where(cond, 0.0, g) if self.needs_input_grad(1) else None)

    def jvp(self, da, db):
        """d(out) = cond ? da : db"""
        return where(Tensor._make(self.mask), da, db)


def _zeros(shape, dtype):
    """A constant zero gradient (no history), as PyTorch's zeros_like in a backward formula."""
    return Tensor._make(np.zeros(shape, dtype.np), dtype=dtype)


class ToCopyBackward0(Node):
    """out = a converted to another dtype        ∂a = g (the engine casts it back)"""

    def forward(self, a, dtype):
        # PyTorch's preserve_format: the input's dim order, an expanded (stride-0) dim not counting
        return iter_layout(a._data.astype(dtype.np), a._data)

    def backward(self, g):
        return g

    def jvp(self, da):
        """d(out) = da, converted like a"""
        return da.to(self.output.dtype)


class CloneBackward0(Node):
    """out = a copy of a        ∂a = g"""

    def forward(self, a, contiguous=False):
        # clone keeps the input's memory layout (a transposed tensor stays transposed), as PyTorch's
        # preserve_format does (NumPy's "K" would also count an expanded dim); .contiguous() asks for row-major
        if contiguous:
            return np.array(a._data, order="C", copy=True)
        return iter_layout(np.array(a._data, order="K", copy=True), a._data)

    def backward(self, g):
        return g

    def jvp(self, da):
        """d(out) = a copy of da"""
        return da.clone()


def where(condition, a, b):
    """``torch.where(condition, a, b)``: differentiable in a and b."""
    dt = result_type(a, b)
    a, b = as_tensor(a, dt), as_tensor(b, dt)
    cond = condition if isinstance(condition, Tensor) else as_tensor(condition, _dtype.bool_)
    if cond.dtype is not _dtype.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{cond.dtype.scalar_name}")
    broadcast_shape(broadcast_shape(cond.shape, a.shape), b.shape)
    return relayout(WhereBackward0.apply(a, b, dtype=dt, condition=cond), cond, a, b)
