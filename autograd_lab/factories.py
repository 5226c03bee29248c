"""Creating tensors: from data, filled, ranges, and random (PyTorch's generator, see random.py)."""
import numbers

import numpy as np

from . import _dtype
from .tensor import Tensor


def _sizes(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (numbers.Integral, np.integer)) or isinstance(s, bool):
            raise TypeError(f"empty(): argument 'size' (position 1) must be tuple of ints, but found element of "
                            f"type {type(s).__name__} at pos 0")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: [{', '.join(map(str, size))}]")
    return tuple(int(s) for s in size)


def _finish(array, dtype, requires_grad):
    t = Tensor._make(array, dtype=dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data):
    """The dtype PyTorch picks for nested Python data: bool < int64 < default float."""
    kind = 0
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            kind = max(kind, 3 if x.dtype.is_floating_point else (2 if x.dtype is not _dtype.bool_ else 1))
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (bool, np.bool_)):
            kind = max(kind, 1)
        elif isinstance(x, (numbers.Integral, np.integer)):
            kind = max(kind, 2)
        elif isinstance(x, numbers.Real):
            kind = max(kind, 3)
        elif isinstance(x, complex):
            raise TypeError("complex tensors are not supported by autograd_lab")
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    return {0: _dtype.get_default_dtype(), 1: _dtype.bool_, 2: _dtype.int64, 3: _dtype.get_default_dtype()}[kind]


def _unwrap(data):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_unwrap(x) for x in data]
    return data


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new leaf tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors)."""
    dtype = _dtype.to_dtype(dtype, "tensor")
    if isinstance(data, np.ndarray):
        d = dtype or _dtype.from_numpy_dtype(data.dtype)
        return _finish(np.array(data, dtype=d.np), d, requires_grad)
    if isinstance(data, Tensor):
        d = dtype or data.dtype
        return _finish(np.array(data._data, dtype=d.np), d, requires_grad)
    d = dtype or _infer_dtype(data)
    try:
        arr = np.array(_unwrap(data), dtype=d.np)
    except ValueError as e:
        raise ValueError(f"expected sequence of equal-length lists ({e})") from None
    return _finish(arr, d, requires_grad)


def as_tensor(data, dtype=None, device=None):
    dtype = _dtype.to_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or dtype is data.dtype):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or dtype.np == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(array):
    """Shares memory with the array, as in PyTorch."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._make(array, dtype=_dtype.from_numpy_dtype(array.dtype))


def _filled(fill, size, dtype, requires_grad, fn):
    d = _dtype.to_dtype(dtype, fn) or _dtype.get_default_dtype()
    return _finish(np.full(_sizes(size), fill, dtype=d.np), d, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _filled(0, size, dtype, requires_grad, "zeros")


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _filled(1, size, dtype, requires_grad, "ones")


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _filled(0, size, dtype, requires_grad, "empty")


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = (_dtype.bool_ if isinstance(fill_value, bool) else
                 _dtype.int64 if isinstance(fill_value, numbers.Integral) else _dtype.get_default_dtype())
    return _filled(fill_value, (size,) if isinstance(size, (tuple, list)) else (size,), dtype, requires_grad, "full")


def _like(t, dtype):
    return _dtype.to_dtype(dtype) or t.dtype


def zeros_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    d = _like(t, dtype)
    return _finish(np.zeros(t.shape, d.np), d, requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    d = _like(t, dtype)
    return _finish(np.ones(t.shape, d.np), d, requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    d = _like(t, dtype)
    return _finish(np.full(t.shape, fill_value, d.np), d, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    d = _dtype.to_dtype(dtype, "eye") or _dtype.get_default_dtype()
    return _finish(np.eye(n, n if m is None else m, dtype=d.np), d, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = _dtype.int64 if all(isinstance(v, numbers.Integral) for v in vals) else _dtype.get_default_dtype()
    d = _dtype.to_dtype(dtype, "arange")
    s, e, st = vals
    n = max(int(np.ceil((e - s) / st)), 0)
    arr = (s + st * np.arange(n, dtype=np.float64)) if d.is_floating_point else np.arange(s, e, st)
    return _finish(arr.astype(d.np), d, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    d = _dtype.to_dtype(dtype, "linspace") or _dtype.get_default_dtype()
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    # PyTorch fills the first half from start and the second half from end (symmetric rounding)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    arr = np.where(i < half, start + step * i, end - step * (steps - 1 - i)) if steps > 1 else np.full(steps, start, np.float64)
    if d.is_floating_point:
        arr = arr.astype(d.np)
    else:
        arr = arr.astype(np.int64).astype(d.np)
    return _finish(arr, d, requires_grad)


# ---- random: the numbers come from random.py, which reproduces PyTorch's CPU generator ----
def _rand_dtype(dtype, fn):
    d = _dtype.to_dtype(dtype, fn) or _dtype.get_default_dtype()
    if not d.is_floating_point:
        names = {"int64": "Long", "int32": "Int", "bool": "Bool"}
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{names.get(d.name, d.name)}'")
    return d


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    from . import random as _random
    d = _rand_dtype(dtype, "rand")
    return _finish(_random.uniform(_sizes(size), dtype=d.np, generator=generator), d, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    from . import random as _random
    d = _dtype.to_dtype(dtype, "randn") or _dtype.get_default_dtype()
    return _finish(_random.normal(_sizes(size), dtype=d.np, generator=generator), d, requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    from . import random as _random
    if size is None:
        low, high, size = 0, low, high
    if high is not None and size is None:
        raise TypeError("randint() missing required argument 'size'")
    d = _dtype.to_dtype(dtype, "randint") or _dtype.int64
    return _finish(_random.randint(low, high, _sizes((size,)), dtype=d.np, generator=generator), d, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    from . import random as _random
    d = _dtype.to_dtype(dtype, "randperm") or _dtype.int64
    return _finish(_random.randperm(n, dtype=d.np, generator=generator), d, requires_grad)


def rand_like(t, dtype=None, requires_grad=False, generator=None):
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, generator=generator)


def randn_like(t, dtype=None, requires_grad=False, generator=None):
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, generator=generator)


def randint_like(t, low, high=None, dtype=None, requires_grad=False):
    return randint(low, high, t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None):
    from . import random as _random
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        ref = mean if isinstance(mean, Tensor) else std
        arr = _random.normal(np.broadcast_shapes(np.shape(m), np.shape(s)), dtype=ref.dtype.np, mean=m, std=s,
                             generator=generator)
        return Tensor._make(arr, dtype=ref.dtype)
    d = _dtype.get_default_dtype()
    return Tensor._make(_random.normal(_sizes((size,)), dtype=d.np, mean=mean, std=std, generator=generator), dtype=d)


def bernoulli(input, p=None, *, generator=None):
    from . import random as _random
    probs = input._data if p is None else p
    return Tensor._make(_random.bernoulli(probs, input.shape, dtype=input.dtype.np, generator=generator),
                        dtype=input.dtype)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    from . import random as _random
    return Tensor._make(np.asarray(_random.multinomial(input._data, num_samples, replacement=replacement,
                                                       generator=generator), np.int64))
