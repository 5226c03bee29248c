"""Creating tensors: from data, filled, ranges, and random (PyTorch's generator, see random.py)."""
import numbers
import warnings

import numpy as np

from . import _device, _dtype
from ._printing import shape_str
from .tensor import Tensor


def _sizes(size, fn="empty"):
    """The ``*size`` of a factory as a tuple of ints, with PyTorch's argument errors."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
        for i, s in enumerate(size):
            if not isinstance(s, (numbers.Integral, np.integer)):
                raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, but found element of "
                                f"type {type(s).__name__} at pos {i}")
    elif len(size) == 1 and not isinstance(size[0], (numbers.Integral, np.integer)) or (
            len(size) == 1 and isinstance(size[0], bool)):
        raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not {type(size[0]).__name__}")
    else:
        for i, s in enumerate(size):
            if not isinstance(s, (numbers.Integral, np.integer)):
                raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                                f"\"type must be tuple of ints,but got {type(s).__name__}\"")
    for s in size:
        if s < 0:
            if fn == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {shape_str(size)}")
    return tuple(int(s) for s in size)


def _finish(array, dtype, requires_grad, out=None):
    if out is not None:
        from .ops.out import write_out
        return write_out(out, Tensor._make(array, dtype=dtype), warn_resize=False)
    t = Tensor._make(array, dtype=dtype)
    if requires_grad:
        if not (dtype.is_floating_point or dtype.is_complex):
            # the factories' wording, not requires_grad_()'s
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad_(True)
    return t


def _infer_dtype(data):
    """The dtype PyTorch infers for nested data: Python bools, ints and floats give bool, int64 and
    the default float; NumPy scalars and arrays and tensors keep their own dtype; the elements'
    dtypes are then promoted together (int32 with a Python int is int64, int64 with float32 float32)."""
    from .ops._util import promote_types
    result = None
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            d = x.dtype
        elif isinstance(x, (np.ndarray, np.generic)):
            d = _dtype.from_numpy_dtype(x.dtype)
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        elif isinstance(x, bool):
            d = _dtype.bool_
        elif isinstance(x, numbers.Integral):
            d = _dtype.int64
        elif isinstance(x, numbers.Real):
            d = _dtype.get_default_dtype()
        elif isinstance(x, complex):
            raise TypeError("complex tensors are not supported by autograd_lab")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
        result = d if result is None else promote_types(result, d)
    return result or _dtype.get_default_dtype()


def _unwrap(data):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_unwrap(x) for x in data]
    return data


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new leaf tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors)."""
    _device.check(device, factory=False)
    dtype = _dtype.to_dtype(dtype, "tensor")
    if isinstance(data, np.generic):
        data = np.asarray(data)
    if isinstance(data, np.ndarray):
        d = dtype or _dtype.from_numpy_dtype(data.dtype)
        return _finish(np.array(data, dtype=d.np), d, requires_grad)
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        d = dtype or data.dtype
        return _finish(np.array(data._data, dtype=d.np), d, requires_grad)
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    _check_nesting(data)
    d = dtype or _infer_dtype(data)
    arr = np.array(_unwrap(data), dtype=d.np)
    return _finish(arr, d, requires_grad)


def _check_nesting(data):
    """Nested sequences must be rectangular: PyTorch's errors for ragged ones."""
    sizes, seq = [], data
    while isinstance(seq, (list, tuple)):
        sizes.append(len(seq))
        if not seq:
            break
        seq = seq[0]
    if isinstance(seq, (np.ndarray, Tensor)):
        sizes += list(seq.shape)

    def walk(x, dim):
        if dim == len(sizes):
            if isinstance(x, (list, tuple)):
                raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
            return
        if isinstance(x, (np.ndarray, Tensor)):
            if list(x.shape) != sizes[dim:]:
                raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got "
                                 f"{x.shape[0] if x.ndim else 0})")
            return
        if not isinstance(x, (list, tuple)):
            raise TypeError("not a sequence")
        if len(x) != sizes[dim]:
            raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(x)})")
        for item in x:
            walk(item, dim + 1)

    if isinstance(data, (list, tuple)):
        walk(data, 0)


def as_tensor(data, dtype=None, device=None):
    _device.check(device)
    dtype = _dtype.to_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)  # a cast keeps the history, as in PyTorch
    if isinstance(data, np.ndarray) and (dtype is None or dtype.np == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(array):
    """Shares memory with the array, as in PyTorch."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._make(array, dtype=_dtype.from_numpy_dtype(array.dtype))


def _filled(fill, shape, dtype, requires_grad, fn, out=None):
    d = _dtype.to_dtype(dtype, fn) or (out.dtype if out is not None else _dtype.get_default_dtype())
    return _finish(np.full(shape, fill, dtype=d.np), d, requires_grad, out)


_RANDOM_OVERLOADS = (
    " * (tuple of ints size, *, torch.Generator generator, Tensor out = None, torch.dtype dtype = None, "
    "torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)\n"
    " * (tuple of ints size, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
    "torch.device device = None, bool pin_memory = False, bool requires_grad = False)\n")


def _size_arg(sizes, size, fn):
    """``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``, with PyTorch's errors."""
    if fn in ("rand", "randn") and (not sizes) == (size is None):
        got = [type(s).__name__ for s in sizes] + ([] if size is None else [f"size={type(size).__name__}"])
        raise TypeError(f"{fn}() received an invalid combination of arguments - got ({', '.join(got)}), but "
                        f"expected one of:\n{_RANDOM_OVERLOADS}")
    if size is None:
        if not sizes:
            raise TypeError(f'{fn}() missing 1 required positional arguments: "size"')
        return _sizes(sizes, fn)
    if sizes:
        raise TypeError(f"{fn}() got multiple values for argument 'size'")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    return _sizes((size,), fn)


def zeros(*sizes, size=None, out=None, dtype=None, device=None, requires_grad=False):
    _device.check(device)
    return _filled(0, _size_arg(sizes, size, "zeros"), dtype, requires_grad, "zeros", out)


def ones(*sizes, size=None, out=None, dtype=None, device=None, requires_grad=False):
    _device.check(device)
    return _filled(1, _size_arg(sizes, size, "ones"), dtype, requires_grad, "ones", out)


def empty(*sizes, size=None, out=None, dtype=None, device=None, requires_grad=False, memory_format=None):
    _device.check(device)
    return _filled(0, _size_arg(sizes, size, "empty"), dtype, requires_grad, "empty", out)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    _device.check(device)
    if dtype is None:
        dtype = (_dtype.bool_ if isinstance(fill_value, bool) else
                 _dtype.int64 if isinstance(fill_value, numbers.Integral) else _dtype.get_default_dtype())
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    return _filled(fill_value, _sizes((size,), "full"), dtype, requires_grad, "full")


def _like(t, dtype, fn):
    return _dtype.to_dtype(dtype, fn) or t.dtype


def zeros_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    _device.check(device or _device.CPU)
    d = _like(t, dtype, "zeros_like")
    return _finish(np.zeros(t.shape, d.np), d, requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    _device.check(device or _device.CPU)
    d = _like(t, dtype, "ones_like")
    return _finish(np.ones(t.shape, d.np), d, requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    _device.check(device or _device.CPU)
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    _device.check(device or _device.CPU)
    d = _like(t, dtype, "full_like")
    return _finish(np.full(t.shape, fill_value, d.np), d, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    _device.check(device)
    d = _dtype.to_dtype(dtype, "eye") or _dtype.get_default_dtype()
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(np.eye(n, n if m is None else m, dtype=d.np), d, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    _device.check(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        dtype = _dtype.int64 if all(isinstance(v, numbers.Integral) for v in vals) else _dtype.get_default_dtype()
    d = _dtype.to_dtype(dtype, "arange")
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if not all(np.isfinite(float(v)) for v in vals):
        raise RuntimeError(f"unsupported range: {vals[0]} -> {vals[1]}")
    if d is _dtype.int64:
        # int64 bounds are truncated before the length is counted (a step of 0.5 becomes 0);
        # the other integer types count the length from the bounds as given, as PyTorch does
        vals = [int(v) for v in vals]
        if vals[2] == 0:
            raise ValueError("step must be nonzero")
    s, e, st = vals
    if (st > 0 and e < s) or (st < 0 and e > s):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(np.ceil((e - s) / st))
    return _finish(_arange_values(s, st, n, d), d, requires_grad)


def _arange_values(s, st, n, d):
    """PyTorch's CPU arange kernel, bit for bit: start + step·i accumulated in double (integers in
    int64), except that whole blocks of 32 bytes are filled as base + j·step from the block's first
    value already rounded to the output type."""
    if not d.is_floating_point:
        return (int(s) + int(st) * np.arange(n, dtype=np.int64)).astype(d.np)
    i = np.arange(n, dtype=np.int64)
    out = _fma(st, i, s, np.float64)
    width = max(32 // d.itemsize, 1)
    nvec = (n // (2 * width)) * 2 * width
    if nvec:
        first = i[:nvec] - i[:nvec] % width
        base = _fma(st, first, s, np.float64).astype(d.np).astype(np.float64)
        out[:nvec] = _fma(i[:nvec] % width, st, base, np.float64)
    return out.astype(d.np)


def _fma(a, b, c, np_type):
    """a·b + c rounded once to ``np_type``: PyTorch's CPU kernels are compiled with fused
    multiply-add, and linspace's last bits depend on it. Extended precision computes the exact
    product where the platform has it (x86); elsewhere float64 does for float32."""
    wide = np.longdouble if np.finfo(np.longdouble).nmant >= 63 else np.float64
    return (np.asarray(a, wide) * np.asarray(b, wide) + np.asarray(c, wide)).astype(np_type)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    _device.check(device)
    d = _dtype.to_dtype(dtype, "linspace") or _dtype.get_default_dtype()
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end)]
    # PyTorch's kernel: step in the output type (double for integers), the first half counted up
    # from start and the second half down from end, each element start + step·i in one rounding
    calc = d.np if d.is_floating_point else np.dtype(np.float64)
    s, e = np.asarray(vals[0]).astype(d.np).astype(calc), np.asarray(vals[1]).astype(d.np).astype(calc)
    step = ((e - s) / calc.type(steps - 1)).astype(calc) if steps > 1 else calc.type(0)
    i = np.arange(steps, dtype=np.int64)
    with np.errstate(invalid="ignore", over="ignore"):
        up = _fma(step, i, s, calc)
        down = _fma(-step, steps - 1 - i, e, calc)
        arr = np.where((i < steps // 2) | (steps == 1), up, down)
        arr = arr.astype(d.np) if d.is_floating_point else np.trunc(arr).astype(d.np)
    return _finish(arr, d, requires_grad)


# ---- random: the numbers come from random.py, which reproduces PyTorch's CPU generator ----
def _rand_dtype(dtype, fn):
    d = _dtype.to_dtype(dtype, fn) or _dtype.get_default_dtype()
    if not d.is_floating_point:
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{d.scalar_name}'")
    return d


def rand(*sizes, size=None, generator=None, out=None, dtype=None, device=None, requires_grad=False):
    from . import random as _random
    _device.check(device)
    d = _rand_dtype(dtype if dtype is not None or out is None else out.dtype, "rand")
    shape = _size_arg(sizes, size, "rand")
    return _finish(_random.uniform(shape, dtype=d.np, generator=generator), d, requires_grad, out)


def randn(*sizes, size=None, generator=None, out=None, dtype=None, device=None, requires_grad=False):
    from . import random as _random
    _device.check(device)
    d = _dtype.to_dtype(dtype, "randn") or (out.dtype if out is not None else _dtype.get_default_dtype())
    shape = _size_arg(sizes, size, "randn")
    return _finish(_random.normal(shape, dtype=d.np, generator=generator), d, requires_grad, out)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, device=None,
            requires_grad=False):
    """``randint(high, size)`` or ``randint(low, high, size)``, size also by keyword."""
    _device.check(device)
    from . import random as _random
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    d = _dtype.to_dtype(dtype, "randint") or _dtype.int64
    arr = _random.randint(low, high, _sizes((size,)), dtype=d.np, generator=generator)
    return _finish(arr, d, requires_grad, out)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    _device.check(device)
    from . import random as _random
    d = _dtype.to_dtype(dtype, "randperm") or _dtype.int64
    return _finish(_random.randperm(n, dtype=d.np, generator=generator), d, requires_grad)


def rand_like(t, dtype=None, device=None, requires_grad=False, generator=None, memory_format=None):
    return rand(t.shape, dtype=dtype or t.dtype, device=device or _device.CPU, requires_grad=requires_grad,
                generator=generator)


def randn_like(t, dtype=None, device=None, requires_grad=False, generator=None, memory_format=None):
    return randn(t.shape, dtype=dtype or t.dtype, device=device or _device.CPU, requires_grad=requires_grad,
                 generator=generator)


def randint_like(t, low, high=None, dtype=None, device=None, requires_grad=False, generator=None,
                 memory_format=None):
    return randint(low, high, t.shape, dtype=dtype or t.dtype, device=device or _device.CPU,
                   requires_grad=requires_grad, generator=generator)


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
