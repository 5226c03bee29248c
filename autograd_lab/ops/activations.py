"""Activations and the softmax family; each saves its own output, as PyTorch does.

Their backward is itself a node (``TanhBackwardBackward0`` ...), as PyTorch's formulas are: with
``create_graph=True`` the gradient then shows the same grad_fn and can be differentiated again.
"""
import numpy as np

from ..node import Node


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


class TanhBackward0(Node):
    """out = tanh a        ∂a = g·(1 - out²)"""
    save_result = True

    def forward(self, a):
        return np.tanh(a._data)

    def backward(self, g):
        return TanhBackwardBackward0.apply(g, self.result)


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


class LogSoftmaxBackward0(Node):
    """out = a - log Σ eᵃ  (along dim)        ∂a = g - softmax(a)·Σ g"""
    save_result = True

    def forward(self, a, dim):
        self.dim = dim
        return _log_softmax(a._data, dim).astype(a._data.dtype, copy=False)

    def backward(self, g):
        return LogSoftmaxBackwardDataBackward0.apply(g, self.result, dim=self.dim)


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
