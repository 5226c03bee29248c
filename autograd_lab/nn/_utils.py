"""Size arguments (kernel_size, stride, padding ...) made tuples, as PyTorch makes them.

It imports nothing from ``nn``, so the layers and the functional forms can all use it (conv.py
imports functional.py, which imports the functional modules: a helper kept in any of them closes
a cycle).
"""
import numbers


def ntuple(value, n):
    """PyTorch's ``_ntuple`` (torch.nn.modules.utils): an int repeated ``n`` times, a sequence as a
    tuple of what it holds (``Conv2d(1, 1, 3).kernel_size == (3, 3)``)."""
    if isinstance(value, numbers.Integral):
        return (value,) * n
    return tuple(value)


def int_tuple(value, n, expand_one=True, error=None):
    """A size argument as an ATen op reads it: ``n`` ints from an int, and from a sequence of one
    when ``expand_one`` (the ops that take "a single int or n ints"); another sequence as its ints.
    ``error(length)`` is the op's exception for a sequence whose length is not ``n`` (without it the
    caller checks the length, in its own words)."""
    value = tuple(int(v) for v in ntuple(value, n))
    if expand_one and len(value) == 1:
        value *= n
    if error is not None and len(value) != n:
        raise error(len(value))
    return value
