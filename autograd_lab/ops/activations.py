"""Activations and the softmax family; each saves its own output, as PyTorch does."""
import numpy as np

from ..node import Node


class ReluBackward0(Node):
    """out = max(a, 0)        ∂a = g where out > 0"""
    save_result = True

    def forward(self, a):
        return np.maximum(a._data, 0).astype(a._data.dtype, copy=False)

    def backward(self, g):
        # PyTorch's threshold_backward: a node of its own, so that with create_graph the gradient
        # stays connected to the saved output (and requires grad), as PyTorch's does
        return ThresholdBackwardBackward0.apply(g, self.result, threshold=0)


class ThresholdBackwardBackward0(Node):
    """out = g where a > threshold, else 0        ∂g = gg where a > threshold,   ∂a = 0"""

    def forward(self, g, a, threshold):
        self.threshold, self.shape = threshold, a.shape
        self.save(self=a)
        x = a._data
        return np.where(x > threshold, g._data, np.zeros((), g._data.dtype))

    def backward(self, gg):
        from .arithmetic import _zeros
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
        r = self.result
        return g * r * (1 - r)


class TanhBackward0(Node):
    """out = tanh a        ∂a = g·(1 - out²)"""
    save_result = True

    def forward(self, a):
        return np.tanh(a._data)

    def backward(self, g):
        r = self.result
        return g * (1 - r * r)


def _log_softmax(x, dim):
    m = np.max(x, axis=dim, keepdims=True) if x.size else x
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
        r = self.result
        return r * (g - (g * r).sum(self.dim, keepdim=True))


class LogSoftmaxBackward0(Node):
    """out = a - log Σ eᵃ  (along dim)        ∂a = g - softmax(a)·Σ g"""
    save_result = True

    def forward(self, a, dim):
        self.dim = dim
        return _log_softmax(a._data, dim).astype(a._data.dtype, copy=False)

    def backward(self, g):
        return g - self.result.exp() * g.sum(self.dim, keepdim=True)
