"""Activations and the softmax family; each saves its own output, as PyTorch does.

Their backward is itself a node (``TanhBackwardBackward0`` ...), as PyTorch's formulas are: with
``create_graph=True`` the gradient then shows the same grad_fn and can be differentiated again.
"""
import math

import numpy as np

from ..node import Node
from ..tensor import Tensor
from .arithmetic import add_scalar, mul_scalar


def _zeros(shape, dtype):
    from .arithmetic import _zeros as zeros
    return zeros(shape, dtype)


class ReluBackward0(Node):
    """out = max(a, 0)        ∂a = g where out > 0"""
    save_result = True

    def forward(self, a):
        return np.maximum(a._data, 0).astype(a._data.dtype, copy=False)

    def backward(self, g):
        return ThresholdBackwardBackward0.apply(g, self.result, threshold=0)

    def jvp(self, da):
        """d(out) = da where out > 0, else 0"""
        return ThresholdBackwardBackward0.apply(da, self.output, threshold=0)


class ThresholdBackwardBackward0(Node):
    """out = 0 where a ≤ threshold, else g        ∂g = gg likewise,   ∂a = 0"""

    def forward(self, g, a, threshold):
        self.threshold, self.shape = threshold, a.shape
        self.save(self=a)
        x = a._data
        # zero where a ≤ threshold (not "keep where a > threshold"): a NaN passes its gradient
        return np.where(x <= threshold, np.zeros((), g._data.dtype), g._data)

    def backward(self, gg):
        a = self.saved("self")
        return (ThresholdBackwardBackward0.apply(gg, a, threshold=self.threshold) if self.needs_input_grad(0) else None,
                _zeros(self.shape, gg.dtype) if self.needs_input_grad(1) else None)

    def jvp(self, dg, da):
        """d(out) = dg where a > threshold, else 0   (a step: da does not count)"""
        return ThresholdBackwardBackward0.apply(dg, self.inputs[1], threshold=self.threshold)


class SigmoidBackward0(Node):
    """out = 1 / (1 + e⁻ᵃ)        ∂a = g·out·(1 - out)"""
    save_result = True

    def forward(self, a):
        x = a._data
        with np.errstate(over="ignore"):
            # two branches so that neither exp can overflow
            e = np.exp(-np.abs(x))
            return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(self, g):
        return SigmoidBackwardBackward0.apply(g, self.result)

    def jvp(self, da):
        """d(out) = da·out·(1 - out)"""
        return SigmoidBackwardBackward0.apply(da, self.output)


class SigmoidBackwardBackward0(Node):
    """out = g·y·(1 - y)  (sigmoid's backward, y its output)
    ∂g = gg·y·(1 - y),   ∂y = gg·g·(1 - 2y)"""

    def forward(self, g, y):
        self.save(grad_output=g, output=y)
        r = y._data
        return g._data * (1 - r) * r

    def backward(self, gg):
        g, y = self.saved("grad_output"), self.saved("output")
        return (SigmoidBackwardBackward0.apply(gg, y) if self.needs_input_grad(0) else None,
                gg * g * (-2 * y + 1) if self.needs_input_grad(1) else None)

    def jvp(self, dg, dy):
        """out = g·(1 - y)·y        d(out) = dg·(1 - y)·y + g·(1 - 2y)·dy"""
        g, y = self.inputs
        return SigmoidBackwardBackward0.apply(dg, y) + g * dy * add_scalar(mul_scalar(y, -2), 1)


class TanhBackward0(Node):
    """out = tanh a        ∂a = g·(1 - out²)"""
    save_result = True

    def forward(self, a):
        return np.tanh(a._data)

    def backward(self, g):
        return TanhBackwardBackward0.apply(g, self.result)

    def jvp(self, da):
        """d(out) = da·(1 - out²)"""
        return TanhBackwardBackward0.apply(da, self.output)


class TanhBackwardBackward0(Node):
    """out = g·(1 - y²)  (tanh's backward, y its output)        ∂g = gg·(1 - y²),   ∂y = -2·gg·g·y"""

    def forward(self, g, y):
        self.save(grad_output=g, output=y)
        r = y._data
        return g._data * (1 - r * r)

    def backward(self, gg):
        g, y = self.saved("grad_output"), self.saved("output")
        return (TanhBackwardBackward0.apply(gg, y) if self.needs_input_grad(0) else None,
                gg * (-2 * y * g) if self.needs_input_grad(1) else None)

    def jvp(self, dg, dy):
        """out = g·(1 - y²)        d(out) = dg·(1 - y²) - 2·g·y·dy"""
        g, y = self.inputs
        return TanhBackwardBackward0.apply(dg, y) + mul_scalar(g * y * dy, -2)


def _log_softmax(x, dim):
    if not x.size:
        return x.copy()
    m = np.max(x, axis=dim, keepdims=True)
    shifted = x - m
    with np.errstate(divide="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


class SoftmaxBackward0(Node):
    """out = eᵃ / Σ eᵃ  (along dim)        ∂a = out·(g - Σ g·out)"""
    save_result = True

    def forward(self, a, dim):
        self.dim = dim
        return np.exp(_log_softmax(a._data, dim)).astype(a._data.dtype, copy=False)

    def backward(self, g):
        return SoftmaxBackwardDataBackward0.apply(g, self.result, dim=self.dim)

    def jvp(self, da):
        """d(out) = out·(da - Σ out·da)   (the Jacobian diag(out) - out·outᵀ is symmetric)"""
        return SoftmaxBackwardDataBackward0.apply(da, self.output, dim=self.dim)


class SoftmaxBackwardDataBackward0(Node):
    """out = y·(g - Σ g·y)  (softmax's backward, y its output, sums along dim)
    ∂g = y·(gg - Σ gg·y),   ∂y = gg·(g - Σ g·y) - g·Σ gg·y"""

    def forward(self, g, y, dim):
        self.dim = dim
        self.save(grad_output=g, output=y)
        go, r = g._data, y._data
        return r * (go - np.sum(go * r, axis=dim, keepdims=True))

    def backward(self, gg):
        g, y = self.saved("grad_output"), self.saved("output")
        d = self.dim
        return (SoftmaxBackwardDataBackward0.apply(gg, y, dim=d) if self.needs_input_grad(0) else None,
                gg * (g - (g * y).sum(d, keepdim=True)) - g * (gg * y).sum(d, keepdim=True)
                if self.needs_input_grad(1) else None)

    def jvp(self, dg, dy):
        """out = y·(g - Σ g·y)        d(out) = dy·(g - Σ g·y) + y·(dg - Σ (dg·y + g·dy))"""
        g, y = self.inputs
        d = self.dim
        return dy * (g - (g * y).sum(d, keepdim=True)) + y * (dg - (dg * y + g * dy).sum(d, keepdim=True))


class LogSoftmaxBackward0(Node):
    """out = a - log Σ eᵃ  (along dim)        ∂a = g - softmax(a)·Σ g"""
    save_result = True

    def forward(self, a, dim):
        self.dim = dim
        return _log_softmax(a._data, dim).astype(a._data.dtype, copy=False)

    def backward(self, g):
        return LogSoftmaxBackwardDataBackward0.apply(g, self.result, dim=self.dim)

    def jvp(self, da):
        """d(out) = da - Σ softmax·da"""
        return da - (self.output.exp() * da).sum(self.dim, keepdim=True)


class LogSoftmaxBackwardDataBackward0(Node):
    """out = g - e^y·Σ g  (log_softmax's backward, y its output, sums along dim)
    ∂g = gg - Σ gg·e^y,   ∂y = -gg·e^y·Σ g"""

    def forward(self, g, y, dim):
        self.dim = dim
        self.save(grad_output=g, output=y)
        go = g._data
        return go - np.exp(y._data) * np.sum(go, axis=dim, keepdims=True)

    def backward(self, gg):
        g, y = self.saved("grad_output"), self.saved("output")
        d, e = self.dim, y.exp()
        return (gg - (gg * e).sum(d, keepdim=True) if self.needs_input_grad(0) else None,
                -gg * e * g.sum(d, keepdim=True) if self.needs_input_grad(1) else None)

    def jvp(self, dg, dy):
        """out = g - e^y·Σ g        d(out) = dg - e^y·dy·Σ g - e^y·Σ dg"""
        g, y = self.inputs
        e = y.exp()
        return dg - e * dy * g.sum(self.dim, keepdim=True) - e * dg.sum(self.dim, keepdim=True)


# ---- log1p / expm1, and the activations built on them ----
# (elementwise like exp and log, but kept here beside softplus and elu, which are made of them)
class Log1PBackward0(Node):
    """out = ln(1 + a)        ∂a = g / (a + 1)"""

    def forward(self, a):
        self.save(self=a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(a._data)

    def backward(self, g):
        return g / add_scalar(self.saved("self"), 1)

    def jvp(self, da):
        """d(out) = da / (1 + a)"""
        return da / add_scalar(self.inputs[0], 1)


class Expm1Backward0(Node):
    """out = eᵃ - 1        ∂a = g·(out + 1)"""
    save_result = True

    def forward(self, a):
        with np.errstate(over="ignore"):
            return np.expm1(a._data)

    def backward(self, g):
        return g * add_scalar(self.result, 1)

    def jvp(self, da):
        """d(out) = da·(out + 1)"""
        return da * add_scalar(self.output, 1)


class LeakyReluBackward0(Node):
    """out = a where a > 0, else s·a  (s the negative slope)        ∂a = g where a > 0, else s·g"""

    def forward(self, a, negative_slope):
        self.negative_slope = negative_slope
        self.save(self=a)
        x = a._data
        return np.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)

    def backward(self, g):
        return LeakyReluBackwardBackward0.apply(g, self.saved("self"), negative_slope=self.negative_slope)

    def jvp(self, da):
        """d(out) = da where a > 0, else slope·da"""
        return LeakyReluBackwardBackward0.apply(da, self.inputs[0], negative_slope=self.negative_slope)


class LeakyReluBackward1(Node):
    """leaky_relu_ (in place): out = a where a > 0, else s·a        ∂a = g where out > 0, else s·g

    Only the output survives an in-place op, and its sign is the input's only for s ≥ 0: PyTorch
    refuses the backward of a negative slope (the forward is allowed)."""
    save_result = True

    def forward(self, a, negative_slope):
        self.negative_slope = negative_slope
        x = a._data
        return np.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)

    def backward(self, g):
        return LeakyReluBackwardBackward0.apply(g, self.result, negative_slope=self.negative_slope,
                                                self_is_result=True)

    def jvp(self, da):
        """d(out) = da where out > 0, else slope·da"""
        return LeakyReluBackwardBackward0.apply(da, self.output, negative_slope=self.negative_slope,
                                                self_is_result=True)


class LeakyReluBackwardBackward0(Node):
    """out = g where a > 0, else s·g  (leaky_relu's backward)        ∂g = gg likewise,   ∂a = 0"""

    def forward(self, g, a, negative_slope, self_is_result=False):
        if self_is_result and negative_slope < 0:
            raise RuntimeError(
                "In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. "
                "This is caused by calling in-place forward function with a negative slope, please call out-of-place "
                "version instead. File an issue at https://github.com/pytorch/pytorch if you do require supporting "
                "in-place leakRelu backward calculation with negative slope")
        self.negative_slope, self.shape = negative_slope, a.shape
        self.save(self=a)
        go = g._data
        return np.where(a._data > 0, go, go * negative_slope).astype(go.dtype, copy=False)

    def backward(self, gg):
        a = self.saved("self")
        return (LeakyReluBackwardBackward0.apply(gg, a, negative_slope=self.negative_slope)
                if self.needs_input_grad(0) else None,
                _zeros(self.shape, gg.dtype) if self.needs_input_grad(1) else None)

    def jvp(self, dg, da):
        """d(out) = dg where a > 0, else slope·dg   (a step in a: da does not count)"""
        return LeakyReluBackwardBackward0.apply(dg, self.inputs[1], negative_slope=self.negative_slope)


class EluBackward0(Node):
    """out = a where a > 0, else α·(eᵃ - 1)        ∂a = g where a > 0, else g·α·eᵃ"""

    def forward(self, a, alpha):
        self.alpha = alpha
        self.save(self=a)
        x = a._data
        with np.errstate(over="ignore"):
            # expm1, as PyTorch's kernel: e^a - 1 would lose every digit for tiny a
            return np.where(x <= 0, np.expm1(x) * alpha, x).astype(x.dtype, copy=False)

    def backward(self, g):
        return EluBackwardBackward0.apply(g, self.saved("self"), alpha=self.alpha, is_result=False)

    def jvp(self, da):
        """d(out) = da where a > 0, else da·alpha·eᵃ"""
        return EluBackwardBackward0.apply(da, self.inputs[0], alpha=self.alpha, is_result=False)


class EluBackward1(Node):
    """elu_ (in place): out = a where a > 0, else α·(eᵃ - 1)        ∂a = g where out > 0, else g·(out + α)

    The derivative is read off the output (the input is overwritten): right only for α ≥ 0, so
    PyTorch refuses the backward of a negative α."""
    save_result = True

    def forward(self, a, alpha):
        self.alpha = alpha
        x = a._data
        with np.errstate(over="ignore"):
            return np.where(x <= 0, np.expm1(x) * alpha, x).astype(x.dtype, copy=False)

    def backward(self, g):
        return EluBackwardBackward0.apply(g, self.result, alpha=self.alpha, is_result=True)

    def jvp(self, da):
        """d(out) = da where out > 0, else da·(out + alpha)"""
        return EluBackwardBackward0.apply(da, self.output, alpha=self.alpha, is_result=True)


class EluBackwardBackward0(Node):
    """out = elu's backward: g·α·eˣ where x ≤ 0, else g  (x the input; from the output y: g·(y + α))
    ∂g = gg likewise,   ∂x = gg·g·α·eˣ where x < 0   (∂y = gg·g where y < 0)"""

    def forward(self, g, x, alpha, is_result):
        if is_result and alpha < 0:
            raise RuntimeError(
                "In-place elu backward calculation is triggered with a negative slope which is not supported. "
                "This is caused by calling in-place forward function with a negative slope, please call out-of-place "
                "version instead.")
        self.alpha, self.is_result = alpha, is_result
        self.save(grad_output=g, self_or_result=x)
        go, v = g._data, x._data
        with np.errstate(over="ignore", invalid="ignore"):
            neg = go * (v + alpha) if is_result else go * alpha * np.exp(v)
        return np.where(v <= 0, neg, go).astype(go.dtype, copy=False)

    def backward(self, gg):
        g, x = self.saved("grad_output"), self.saved("self_or_result")
        return (EluBackwardBackward0.apply(gg, x, alpha=self.alpha, is_result=self.is_result)
                if self.needs_input_grad(0) else None,
                self._times_dx(gg * g, x) if self.needs_input_grad(1) else None)

    def _times_dx(self, w, x):
        """w·∂out/∂x divided by g: PyTorch's elu_double_backward (the mask is x < 0, where the first
        derivative is smooth)"""
        if self.is_result:
            return w * (x < 0)
        return EluBackwardBackward0.apply(w, x, alpha=self.alpha, is_result=False) * (x < 0)

    def jvp(self, dg, dx):
        """d(out) = dg·(the backward factor) + dx·g·(its derivative)"""
        g, x = self.inputs
        return EluBackwardBackward0.apply(dg, x, alpha=self.alpha, is_result=self.is_result) + self._times_dx(dx * g, x)


def _erf(x):
    # NumPy has no erf; math.erf is correctly rounded in float64, which a float32 result keeps
    return _erf_vec(np.asarray(x, np.float64))


_erf_vec = np.vectorize(math.erf, otypes=[np.float64])

_SQRT1_2 = 0.7071067811865476          # 1/√2
_PDF_BETA = 0.3989422804014327         # 1/√(2π)
_TANH_BETA = 0.7978845608028654        # √(2/π)
_TANH_KAPPA = 0.044715


class GeluBackward0(Node):
    """out = a·Φ(a) = a·½·(1 + erf(a/√2))
    ('tanh': out = ½·a·(1 + tanh(√(2/π)·(a + 0.044715·a³))))
    ∂a = g·(Φ(a) + a·φ(a)),   φ(a) = e^(-a²/2)/√(2π)   ('tanh': the derivative of that formula)"""

    def forward(self, a, approximate):
        self.approximate = approximate
        self.save(self=a)
        x = a._data.astype(np.float64)
        # in float64, rounded once: float32 would lose the digits of 1 + erf for negative a
        with np.errstate(over="ignore", invalid="ignore"):
            if approximate == "tanh":
                out = 0.5 * x * (1 + np.tanh(_TANH_BETA * (x + _TANH_KAPPA * x * x * x)))
            else:
                out = x * 0.5 * (1 + _erf(x * _SQRT1_2))
        return out.astype(a._data.dtype)

    def backward(self, g):
        return GeluBackwardBackward0.apply(g, self.saved("self"), approximate=self.approximate)

    def jvp(self, da):
        """d(out) = da·gelu'(a)   (elementwise: the backward formula with da for g)"""
        return GeluBackwardBackward0.apply(da, self.inputs[0], approximate=self.approximate)


class GeluBackwardBackward0(Node):
    """out = g·(Φ(a) + a·φ(a))  (gelu's backward)
    ∂g = gg·(Φ(a) + a·φ(a)),   ∂a = gg·g·(2φ(a) - a²·φ(a))   ('tanh': the derivative of its formula)"""

    def forward(self, g, a, approximate):
        self.approximate = approximate
        self.save(grad_output=g, self=a)
        x = a._data.astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            if approximate == "tanh":
                t = np.tanh(_TANH_BETA * (x + _TANH_KAPPA * x * x * x))
                d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _TANH_BETA * (1 + 3 * _TANH_KAPPA * x * x)
            else:
                d = 0.5 * (1 + _erf(x * _SQRT1_2)) + x * _PDF_BETA * np.exp(-0.5 * x * x)
            return (g._data * d).astype(g._data.dtype)

    def backward(self, gg):
        g, a = self.saved("grad_output"), self.saved("self")
        return (GeluBackwardBackward0.apply(gg, a, approximate=self.approximate) if self.needs_input_grad(0) else None,
                self._times_second(gg * g, a) if self.needs_input_grad(1) else None)

    def _times_second(self, w, a):
        """w·gelu''(a)"""
        if self.approximate == "tanh":
            # PyTorch's gelu_double_backward, product rule over ½a · (1 + tanh u) with u' = h
            t = (_TANH_BETA * (a + _TANH_KAPPA * a ** 3)).tanh()
            sech2 = 1 - t * t
            h = _TANH_BETA * (1 + 3 * _TANH_KAPPA * a * a)
            f_prime_gh = 0.5 * sech2 * h
            g_prime_fh = 0.5 * a * h * (-2 * sech2 * t * h)
            h_prime_fg = 0.5 * a * sech2 * (6 * _TANH_KAPPA * a * _TANH_BETA)
            return w * (f_prime_gh + f_prime_gh + g_prime_fh + h_prime_fg)
        a2 = a * a
        pdf = _PDF_BETA * (-0.5 * a2).exp()
        return w * (2 * pdf - a2 * pdf)

    def jvp(self, dg, da):
        """d(out) = dg·gelu'(a) + da·g·gelu''(a)"""
        g, a = self.inputs
        return GeluBackwardBackward0.apply(dg, a, approximate=self.approximate) + self._times_second(da * g, a)


class SiluBackward0(Node):
    """out = a·σ(a) = a / (1 + e⁻ᵃ)        ∂a = g·σ(a)·(1 + a·(1 - σ(a)))"""

    def forward(self, a):
        self.save(self=a)
        x = a._data
        with np.errstate(over="ignore"):
            return (x / (1 + np.exp(-x))).astype(x.dtype, copy=False)

    def backward(self, g):
        # composed of tensor ops, as PyTorch's formula in grad mode: no SiluBackwardBackward0 exists
        a = self.saved("self")
        s = a.sigmoid()
        one = Tensor._make(np.ones((), s._data.dtype), dtype=s.dtype)  # C++'s `1 - s` is a tensor sub there
        return g * s * add_scalar(a * (one - s), 1)

    def jvp(self, da):
        """d(out) = da·σ(a)·(1 + a·(1 - σ(a)))"""
        a = self.inputs[0]
        s = a.sigmoid()
        return da * s * add_scalar(a * add_scalar(-s, 1), 1)


class SoftplusBackward0(Node):
    """out = ln(1 + e^(β·a)) / β, or a where β·a > threshold        ∂a = g·σ(β·a), or g there"""

    def forward(self, a, beta, threshold):
        self.beta, self.threshold = beta, threshold
        self.save(self=a)
        x = a._data
        xb = x * beta
        with np.errstate(over="ignore"):
            return np.where(xb > threshold, x, np.log1p(np.exp(xb)) / beta).astype(x.dtype, copy=False)

    def backward(self, g):
        return SoftplusBackwardBackward0.apply(g, self.saved("self"), beta=self.beta, threshold=self.threshold)

    def jvp(self, da):
        """d(out) = da·σ(β·a), or da where β·a > threshold"""
        return SoftplusBackwardBackward0.apply(da, self.inputs[0], beta=self.beta, threshold=self.threshold)


class SoftplusBackwardBackward0(Node):
    """out = g·z/(z + 1) with z = e^(β·a), or g where β·a > threshold  (softplus's backward)
    ∂g = gg likewise,   ∂a = gg·g·β·σ(β·a)·(1 - σ(β·a)) where β·a < threshold, else 0"""

    def forward(self, g, a, beta, threshold):
        self.beta, self.threshold = beta, threshold
        self.save(grad_output=g, self=a)
        go, xb = g._data, a._data * beta
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.exp(xb)
            return np.where(xb > threshold, go, go * z / (z + 1)).astype(go.dtype, copy=False)

    def backward(self, gg):
        g, a = self.saved("grad_output"), self.saved("self")
        return (SoftplusBackwardBackward0.apply(gg, a, beta=self.beta, threshold=self.threshold)
                if self.needs_input_grad(0) else None,
                self._times_second(gg * g, a) if self.needs_input_grad(1) else None)

    def _times_second(self, w, a):
        """w·β·σ(β·a)·(1 - σ(β·a)) where β·a < threshold, else 0: the second derivative of softplus"""
        xb = a * self.beta
        return SigmoidBackwardBackward0.apply(w, xb.sigmoid()) * (xb < self.threshold) * self.beta

    def jvp(self, dg, da):
        """d(out) = dg·σ(β·a) + da·g·(softplus's second derivative)"""
        g, a = self.inputs
        return (SoftplusBackwardBackward0.apply(dg, a, beta=self.beta, threshold=self.threshold)
                + self._times_second(da * g, a))
