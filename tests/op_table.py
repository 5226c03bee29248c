"""The op table: one row per elementwise op (unary, then binary), read by every kind of test, so that
an op added here is compared with PyTorch (test_ops_property), fuzzed (test_fuzz), checked by finite
differences (test_ops_property) and by gradcheck (test_gradcheck) at once.

A row says how to call the op and on which inputs it is defined: ``lo``/``hi`` bound the values the
tests draw, ``kinks`` are points where the derivative jumps (finite differences stay away from them),
``tame`` caps the magnitude of what the fuzzer feeds an op that overflows (exp).
"""
import operator
from dataclasses import dataclass

import numpy as np

_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow,
              "==": operator.eq, "<": operator.lt, ">=": operator.ge}


@dataclass(frozen=True)
class Unary:
    name: str               # torch.<name>(x) and x.<name>()
    lo: float = -3.0
    hi: float = 3.0
    args: tuple = ()        # arguments after the tensor (clamp's bounds, softmax's dim)
    kinks: tuple = ()
    tame: float = None
    elementwise: bool = True  # the fuzzer draws the elementwise ones (softmax has its own generator)

    def __str__(self):
        return self.name

    def call(self, lib, x):
        """The method form, ``x.<name>(*args)``; ``lib`` is autograd_lab or torch."""
        return getattr(x, self.name)(*self.args)

    def function(self, lib, x):
        """The function form, ``lib.<name>(x, *args)``."""
        return getattr(lib, self.name)(x, *self.args)

    def source(self, x, method):
        """The call as Python source on the operand named ``x`` (the fuzzer's programs)."""
        args = "".join(", " + repr(a) for a in self.args)
        return f"{x}.{self.name}({args[2:]})" if method else f"torch.{self.name}({x}{args})"

    def sample(self, rng, shape):
        """float64 values in the domain, at least 0.1 away from every kink."""
        x = rng.uniform(self.lo, self.hi, shape)
        for k in self.kinks:
            near = np.abs(x - k) < 0.1
            x = np.where(near, k + np.where(x >= k, 0.2, -0.2), x)
        return x

    def away_from_kinks(self, x):
        return all(np.all(np.abs(np.asarray(x) - k) > 1e-3) for k in self.kinks)


UNARY = [
    Unary("neg"),
    Unary("exp", tame=5),
    Unary("expm1", tame=5),
    Unary("log", 0.1, 3),
    Unary("log1p", -0.9, 3),
    Unary("sqrt", 0.1, 3),
    Unary("rsqrt", 0.1, 3),
    Unary("reciprocal", 0.1, 3),
    Unary("square"),
    Unary("abs", kinks=(0.0,)),
    Unary("sin"),
    Unary("cos"),
    Unary("tanh"),
    Unary("sigmoid"),
    Unary("relu", kinks=(0.0,)),
    Unary("clamp", args=(-1.0, 0.5), kinks=(-1.0, 0.5)),
    Unary("clamp_min", args=(0.25,), kinks=(0.25,)),
    Unary("clamp_max", args=(1,), kinks=(1.0,)),
    Unary("softmax", args=(-1,), elementwise=False),
    Unary("log_softmax", args=(0,), elementwise=False),
    Unary("clone", elementwise=False),
]
UNARY_BY_NAME = {op.name: op for op in UNARY}


@dataclass(frozen=True)
class Binary:
    name: str               # torch.<name>(a, b) and a.<name>(b)
    symbol: str = None      # the operator, when there is one (a + b)
    lo: tuple = (-3.0, -3.0)  # per operand
    hi: tuple = (3.0, 3.0)
    nonzero: tuple = (False, False)  # operands that must stay away from zero (a divisor)
    kink: bool = False      # the derivative jumps where a == b (maximum, minimum)
    differentiable: bool = True

    def __str__(self):
        return self.name

    def call(self, lib, a, b):
        """The operator form where there is one, else the function."""
        return _OPERATORS[self.symbol](a, b) if self.symbol else getattr(lib, self.name)(a, b)

    def method(self, lib, a, b):
        return getattr(a, self.name)(b)

    def sample(self, rng, shape, i):
        """float64 values for operand ``i``: in its domain, |x| ≥ 0.2 where it must not be zero."""
        x = rng.uniform(self.lo[i], self.hi[i], shape)
        if self.nonzero[i]:
            x = np.where(np.abs(x) < 0.2, np.copysign(0.2, x) + x, x)
        return x


BINARY = [
    Binary("add", "+"),
    Binary("sub", "-"),
    Binary("mul", "*"),
    Binary("div", "/", nonzero=(False, True)),
    Binary("pow", "**", lo=(0.2, -2.0), hi=(2.0, 2.0)),
    Binary("maximum", kink=True),
    Binary("minimum", kink=True),
    Binary("eq", "==", differentiable=False),
    Binary("lt", "<", differentiable=False),
    Binary("ge", ">=", differentiable=False),
]
BINARY_BY_NAME = {op.name: op for op in BINARY}
