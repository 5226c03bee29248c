"""In-place random fills: ``x.uniform_()``, ``normal_``, ``random_``, ``exponential_``, ``bernoulli_``.

Each draws from the generator (the global one, or ``generator=``) exactly as PyTorch's kernel for
the tensor's dtype does (see random.py), writes into the tensor and bumps its version. Nothing is
recorded for autograd: as in PyTorch, a leaf that requires grad can only be filled under ``no_grad``.
"""
from .. import grad_mode
from ..tensor import Tensor
from .registry import public


def _random_module():
    """autograd_lab.random, loaded at the first draw, as factories.py loads it: it imports
    numpy.random, 9 of the 15 ms that ``import autograd_lab`` would otherwise gain."""
    from .. import random
    return random


def _fill(t, values):
    if grad_mode.is_grad_enabled() and t.requires_grad and t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    t._data[...] = values
    t._bump_version()
    return t


@public(function=False)
def uniform_(self, from_=0.0, to=1.0, *, generator=None):
    return _fill(self, _random_module().uniform(tuple(self.shape), dtype=self.dtype.np, low=from_, high=to, generator=generator))


@public(function=False)
def normal_(self, mean=0.0, std=1.0, *, generator=None):
    return _fill(self, _random_module().normal(tuple(self.shape), dtype=self.dtype.np, mean=mean, std=std, generator=generator))


@public(function=False)
def random_(self, from_=None, to=None, *, generator=None):
    """``random_()``: any value the dtype holds exactly; ``random_(to)``: [0, to); ``random_(from, to)``."""
    if from_ is None:
        return _fill(self, _random_module().random_full(tuple(self.shape), self.dtype.np, generator=generator))
    low, high = (0, from_) if to is None else (from_, to)
    return _fill(self, _random_module().randint(low, high, tuple(self.shape), dtype=self.dtype.np, generator=generator))


@public(function=False)
def exponential_(self, lambd=1.0, *, generator=None):
    return _fill(self, _random_module().exponential(tuple(self.shape), dtype=self.dtype.np, lambd=lambd, generator=generator))


@public(function=False)
def bernoulli_(self, p=0.5, *, generator=None):
    probs = p._data if isinstance(p, Tensor) else p
    return _fill(self, _random_module().bernoulli(probs, tuple(self.shape), dtype=self.dtype.np, generator=generator))
