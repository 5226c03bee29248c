"""Triangular parts of matrices: ``tril`` and ``triu`` (over the last two dims), as used for causal
attention masks (``torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)``)."""
import numpy as np

from ..node import Node
from .registry import public


class _Triangular(Node):
    """Keep one triangle (``part``: np.tril or np.triu) of the last two dims. The map is linear and
    only zeroes entries, so backward and jvp apply it again to the incoming tensor."""
    part = None

    def forward(self, a, diagonal):
        self.diagonal = diagonal
        return type(self).part(a._data, diagonal)

    def backward(self, g):
        return type(self).apply(g, diagonal=self.diagonal)

    def jvp(self, da):
        return type(self).apply(da, diagonal=self.diagonal)


class TrilBackward0(_Triangular):
    """out = a with the entries above diagonal k set to 0        ∂a = tril(g, k)"""
    part = staticmethod(np.tril)


class TriuBackward0(_Triangular):
    """out = a with the entries below diagonal k set to 0        ∂a = triu(g, k)"""
    part = staticmethod(np.triu)


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
