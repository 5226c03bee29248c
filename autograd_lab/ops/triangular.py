"""Triangular parts of matrices: ``tril`` and ``triu`` (over the last two dims), as used for causal
attention masks (``torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)``)."""
import numpy as np

from ..node import Node
from .registry import public


class TrilBackward0(Node):
    """out = a with the entries above diagonal k set to 0        ∂a = tril(g, k)"""

    def forward(self, a, diagonal):
        self.diagonal = diagonal
        return np.tril(a._data, diagonal)

    def backward(self, g):
        return TrilBackward0.apply(g, diagonal=self.diagonal)

    def jvp(self, da):
        """d(out) = tril(da, k)"""
        return TrilBackward0.apply(da, diagonal=self.diagonal)


class TriuBackward0(Node):
    """out = a with the entries below diagonal k set to 0        ∂a = triu(g, k)"""

    def forward(self, a, diagonal):
        self.diagonal = diagonal
        return np.triu(a._data, diagonal)

    def backward(self, g):
        return TriuBackward0.apply(g, diagonal=self.diagonal)

    def jvp(self, da):
        """d(out) = triu(da, k)"""
        return TriuBackward0.apply(da, diagonal=self.diagonal)


def _at_least_2d(input, name):
    if input.dim() < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


@public(inplace=True, out=True)
def tril(input, diagonal=0):
    _at_least_2d(input, "tril")
    return TrilBackward0.apply(input, diagonal=diagonal)


@public(inplace=True, out=True)
def triu(input, diagonal=0):
    _at_least_2d(input, "triu")
    return TriuBackward0.apply(input, diagonal=diagonal)
