"""What every op family shares: turning operands into tensors and PyTorch's type promotion."""
import numbers

import numpy as np

from .. import _dtype, grad_mode
from ..tensor import Tensor, WrappedNumber


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
        tiers[tier] = d if tiers[tier] is None else promote_types(tiers[tier], d)
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


def promote_types(a, b):
    """``torch.promote_types``: across categories the higher category wins outright (int64 + float16
    is float16, not NumPy's float64); within one category NumPy's lattice is PyTorch's."""
    if a is b:
        return a
    ca, cb = _dtype.category(a), _dtype.category(b)
    if ca != cb:
        return a if ca > cb else b
    return _dtype.from_numpy_dtype(np.promote_types(a.np, b.np))


def as_tensor(x, dtype):
    """A Python number becomes a 0-d tensor of ``dtype`` (it carries no gradient)."""
    if isinstance(x, Tensor):
        return x
    return WrappedNumber._make(scalar_array(x, dtype.np), dtype=dtype)


def scalar_array(x, np_dtype):
    """A Python number as a 0-d array of ``np_dtype``, wrapping like a C cast as PyTorch does
    (uint8 - 1 is 255; NumPy 2 would refuse to convert the -1)."""
    if type(x) is float and getattr(np_dtype, "kind", "") == "f":
        return np.array(x, np_dtype)  # the common case, one call: a float rounds the same either way
    return np.asarray(np.array(x).astype(np_dtype))


def arr(t, dtype):
    """The NumPy data of ``t``, cast to ``dtype`` only when it differs."""
    a = t._data
    return a if a.dtype == dtype.np else a.astype(dtype.np)


def check_broadcast(a, b):
    broadcast_shape(a._data.shape, b._data.shape)


def broadcast_shape(sa, sb):
    """The broadcast of two shapes, or PyTorch's error naming the first dimension that clashes."""
    if sa == sb or not sb:
        return tuple(sa)
    if not sa:
        return tuple(sb)
    sa, sb = tuple(sa), tuple(sb)
    n = max(len(sa), len(sb))
    out = []
    for i in range(1, n + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                               f"at non-singleton dimension {n - i}")
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


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
    # (written out for the common cases, tensors of one shape or a tensor and a number: once per op)
    a = a if isinstance(a, Tensor) else as_tensor(a, dt)
    b = b if isinstance(b, Tensor) else as_tensor(b, dt)
    if b._data.shape and a._data.shape != b._data.shape:
        broadcast_shape(a._data.shape, b._data.shape)  # PyTorch's error if they do not broadcast
    return relayout(cls.apply(a, b, dtype=dt, **attrs), a, b)


def sum_to(grad, shape):
    """Undo broadcasting: sum ``grad`` down to ``shape`` (the one shared place this happens)."""
    lead = grad.dim() - len(shape)
    if not grad_mode.is_grad_enabled() and not grad._fw_grads:  # no graph, no tangent: stay on the arrays
        data = grad._data
        dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                          if s == 1 and data.shape[lead + i] != 1)
        out = np.sum(data, axis=dims, keepdims=True) if dims else data
        return Tensor._make(np.asarray(out).reshape(shape), dtype=grad._dtype)
    if not shape:
        return grad.sum()  # as PyTorch: a 0-d target is one SumBackward0
    dims = list(range(lead)) + [lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1]
    if dims:
        grad = grad.sum(dim=dims, keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def relayout(out, *operands, contiguous=False):
    """Give ``out`` PyTorch's memory layout: an elementwise op's (see iter_layout), or row-major as
    PyTorch allocates the result of reductions, softmax, cat, stack and advanced indexing."""
    if contiguous:
        data = out._data if out._data.flags.c_contiguous else np.array(out._data, order="C")
    else:
        data = iter_layout(out._data, *operands)
    if data is not out._data:
        out._data = data
        saved = out.grad_fn._saved.get("result") if out.grad_fn is not None else None
        if saved is not None and saved.is_output:
            saved._data = data
    return out


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
        if d % n in out:
            raise RuntimeError(f"dim {d % n} appears multiple times in the list of dims")
        out.append(d % n)
    return tuple(sorted(out)) if ndim else ()


def iter_layout(result, *operands):
    """``result`` (a NumPy array) laid out in memory as PyTorch's TensorIterator lays out the output
    of an elementwise op: row-major when every operand is, else in the order of the operands'
    strides, the first operand deciding (``a.t() + b`` is transposed like ``a.t()``; NumPy would pick
    row-major). The layout decides ``is_contiguous()``, whether ``view`` works, and matmul's path."""
    shape = result.shape
    if result.ndim < 2:
        return result
    arrays = [x._data if isinstance(x, Tensor) else x for x in operands]
    arrays = [a for a in arrays if isinstance(a, np.ndarray) and a.ndim]
    if not arrays or all(a.flags.c_contiguous for a in arrays):
        return result if result.flags.c_contiguous else np.ascontiguousarray(result)
    strides = []
    for a in arrays:
        try:
            strides.append(np.broadcast_to(a, shape).strides)
        except ValueError:
            return result
    # PyTorch's reorder_dimensions: insertion sort of the dims, innermost first
    perm = list(range(result.ndim - 1, -1, -1))

    def should_swap(d0, d1):
        for st in strides:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 < s1:
                return -1
            if s0 > s1:
                return 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    for i in range(1, len(perm)):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            cmp = should_swap(perm[d0], perm[d1])
            if cmp > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif cmp < 0:
                break
    outer_first = perm[::-1]
    out = np.empty([shape[d] for d in outer_first], dtype=result.dtype).transpose(np.argsort(outer_first))
    if out.strides == result.strides:
        return result
    out[...] = result
    return out
