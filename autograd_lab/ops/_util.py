"""What every op family shares: turning operands into tensors and PyTorch's type promotion."""
import numbers

import numpy as np

from .. import _dtype
from ..tensor import Tensor


def result_type(*operands):
    """PyTorch's promotion: tensors with dims outrank 0-d tensors, which outrank Python scalars;
    a lower tier only matters when it brings a higher category (bool < int < float)."""
    tiers = [None, None, None]
    for x in operands:
        if isinstance(x, Tensor):
            tier, d = (0 if x._data.ndim else 1), x._dtype
        elif isinstance(x, (bool, np.bool_)):
            tier, d = 2, _dtype.bool_
        elif isinstance(x, numbers.Integral):
            tier, d = 2, _dtype.int64
        elif isinstance(x, numbers.Real):
            tier, d = 2, _dtype.get_default_dtype()
        else:
            raise TypeError(f"unsupported operand type: {type(x).__name__}")
        tiers[tier] = d if tiers[tier] is None else _dtype.promote(tiers[tier], d)
    result = None
    for tier, d in enumerate(tiers):
        if d is None:
            continue
        if result is None:
            result = d
        elif _dtype.category(d) > _dtype.category(result):
            if tier == 2 and d.is_floating_point:
                result = _dtype.get_default_dtype()
            else:
                result = d
    return result


def as_tensor(x, dtype):
    """A Python number becomes a 0-d tensor of ``dtype`` (it carries no gradient)."""
    if isinstance(x, Tensor):
        return x
    return Tensor._make(np.asarray(x, dtype=dtype.np), dtype=dtype)


def arr(t, dtype):
    """The NumPy data of ``t``, cast to ``dtype`` only when it differs."""
    a = t._data
    return a if a.dtype == dtype.np else a.astype(dtype.np)


def check_broadcast(a, b):
    sa, sb = a._data.shape, b._data.shape
    if sa == sb:
        return
    for i in range(1, min(len(sa), len(sb)) + 1):
        x, y = sa[-i], sb[-i]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                               f"at non-singleton dimension {max(len(sa), len(sb)) - i}")


def binary(cls, a, b, float_result=False, **attrs):
    """Apply a two-input op with PyTorch's promotion; Python scalars become 0-d tensors."""
    # fast paths first: most calls are same-dtype tensors, or a float tensor and a Python number
    ta, tb = type(a), type(b)
    if isinstance(a, Tensor) and (isinstance(b, Tensor) and a._dtype is b._dtype
                                  or tb is float and a._dtype.is_floating_point):
        dt = a._dtype
    elif isinstance(b, Tensor) and ta is float and b._dtype.is_floating_point:
        dt = b._dtype
    elif not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError("at least one operand must be a Tensor")
    else:
        dt = result_type(a, b)
    if float_result and not dt.is_floating_point:
        dt = _dtype.get_default_dtype()
    a, b = as_tensor(a, dt), as_tensor(b, dt)
    check_broadcast(a, b)
    return cls.apply(a, b, dtype=dt, **attrs)


def normalize_dims(dim, ndim):
    """``dim`` (int, tuple, list or None) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    out = []
    n = max(ndim, 1)
    for d in dims:
        if d < -n or d >= n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        out.append(d % n)
    return tuple(sorted(out)) if ndim else ()
