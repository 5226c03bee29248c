"""The functions users call (``torch.add``, ``x.sum(dim=1)``): argument handling in PyTorch's
words, then one op class each. Each is declared ``@public`` (registry.py):
whether it is ``torch.name``, ``x.name()`` and ``x.name_()``."""
import numbers

import numpy as np

from .. import _dtype
from .._printing import shape_str
from ..tensor import Tensor
from . import activations as A, arithmetic as M, linalg as L, reductions as R, shapes as S
from ._util import (arr, as_tensor, binary, check_broadcast, iter_layout, normalize_dims, relayout,
                    result_type)
from .inplace import apply_inplace
from .registry import public

where = public(M.where, method=False, out=True)  # x.where(cond, y) differs: bound in _methods
matmul = public(L.matmul, out=True)


def _rowmajor(out):
    # reductions, softmax, cat, stack, masked_fill and advanced indexing allocate row-major
    # results in PyTorch, whatever the input's layout (NumPy would follow the input)
    return relayout(out, contiguous=True)


def _t(x):
    if not isinstance(x, Tensor):
        raise TypeError(f"expected Tensor as element 0 in argument 0, but got {type(x).__name__}")
    return x


# ---- arithmetic ----
def _check_alpha(a, b, alpha):
    if type(alpha) is int:
        return  # an integer alpha suits every result type (binary() checks the shapes)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        check_broadcast(a, b)  # PyTorch reports a shape mismatch before a bad alpha
    dt = result_type(a, b)
    if isinstance(alpha, (bool, np.bool_)):
        if dt is not _dtype.bool_:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif isinstance(alpha, float) and not dt.is_floating_point:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")


@public(inplace=True, out=True)
def add(a, b, *, alpha=1):
    _check_alpha(a, b, alpha)
    return binary(M.AddBackward0, a, b, alpha=alpha)


def _check_bool_sub(a, b):
    def is_bool(x):
        return isinstance(x, (bool, np.bool_)) or (isinstance(x, Tensor) and x.dtype is _dtype.bool_)
    if is_bool(a) and is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if is_bool(a) or is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


@public(inplace=True, aliases=("subtract",), out=True)
def sub(a, b, *, alpha=1):
    _check_bool_sub(a, b)
    _check_alpha(a, b, alpha)
    return binary(M.SubBackward0, a, b, alpha=alpha)


@public(method=False)
def rsub(a, b, *, alpha=1):
    """``b - alpha·a``: RsubBackward0 when b is a tensor, RsubBackward1 when it is a Python number."""
    _check_bool_sub(a, b)
    _check_alpha(a, b, alpha)
    if isinstance(b, Tensor):
        return binary(M.RsubBackward0, a, b, alpha=alpha)
    dt = result_type(a, b)
    return M.RsubBackward1.apply(a.to(dt) if a.dtype is not dt else a, c=b, alpha=alpha)


@public(inplace=True, aliases=("multiply",), out=True)
def mul(a, b):
    return binary(M.MulBackward0, a, b)


@public(inplace=True, aliases=("divide", "true_divide"), out=True)
def div(a, b, *, rounding_mode=None):
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                             f"'{rounding_mode}'")
        return binary(M.DivBackward2, a, b, rounding_mode=rounding_mode)
    return binary(M.DivBackward0, a, b, float_result=True)



def _with_scalar(cls, a, b, **attrs):
    """A node whose Python-number operand is an attribute, not an input (a single edge)."""
    dt = result_type(a, b)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        a, b = as_tensor(a, dt), as_tensor(b, dt)
        check_broadcast(a, b)
        return cls.apply(a, b, dtype=dt, **attrs)
    t, c = (a, b) if isinstance(a, Tensor) else (b, a)
    if cls is M.RemainderBackward0:
        return cls.apply(t, other=c, dtype=dt)
    return cls.apply(t, dtype=dt, scalar=c, scalar_first=not isinstance(a, Tensor), **attrs)


@public
def floor_divide(a, b):
    """``a // b``: PyTorch has no derivative for it (its node raises when backward reaches it)."""
    return _with_scalar(M.NoDerivative, a, b, op="floor_divide")


@public
def remainder(a, b):
    """``a % b`` with the divisor's sign (Python's modulo)."""
    if not isinstance(a, Tensor):  # number % tensor: no derivative in PyTorch either
        return _with_scalar(M.NoDerivative, a, b, op="remainder")
    if not isinstance(b, Tensor):
        return _with_scalar(M.RemainderBackward0, a, b)
    return binary(M.RemainderBackward1, a, b)



def rdiv(a, b):
    """``b / a`` for a Python number b: PyTorch computes it as reciprocal(a) * b."""
    if not a.dtype.is_floating_point:
        a = a.to(_dtype.get_default_dtype())
    return mul(M.ReciprocalBackward0.apply(a), b)


@public(inplace=True, inplace_function=True, aliases=("negative",), out=True)
def neg(a):
    if a.dtype is _dtype.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return M.NegBackward0.apply(a)



@public(inplace=True, out=True)
def pow(a, exponent):
    if isinstance(a, Tensor) and isinstance(exponent, Tensor):
        return binary(M.PowBackward1, a, exponent)
    dt = result_type(a, exponent)  # bool ** 2 is int64, int ** 0.5 the default float
    if isinstance(a, Tensor):
        if not dt.is_floating_point and not isinstance(exponent, bool) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return M.PowBackward0.apply(a if a.dtype is dt else a.to(dt), exponent=exponent)
    # number ** tensor
    return M.PowBackward2.apply(exponent if exponent.dtype is dt else exponent.to(dt), base=a)


@public(inplace=True, inplace_function=True, out=True)
def square(a):
    return pow(a, 2)


def _float_unary(cls):
    def fn(a):
        a = _t(a)
        if not a.dtype.is_floating_point:
            a = a.to(_dtype.get_default_dtype())
        return cls.apply(a)
    fn.__name__ = cls.__name__.replace("Backward0", "").lower()
    fn.__doc__ = cls.__doc__
    return fn


exp = public(_float_unary(M.ExpBackward0), inplace=True, inplace_function=True, out=True)
log = public(_float_unary(M.LogBackward0), inplace=True, inplace_function=True, out=True)
sqrt = public(_float_unary(M.SqrtBackward0), inplace=True, inplace_function=True, out=True)
rsqrt = public(_float_unary(M.RsqrtBackward0), inplace=True, inplace_function=True, out=True)
sin = public(_float_unary(M.SinBackward0), inplace=True, inplace_function=True, out=True)
cos = public(_float_unary(M.CosBackward0), inplace=True, inplace_function=True, out=True)
tanh = public(_float_unary(A.TanhBackward0), inplace=True, inplace_function=True, out=True)
sigmoid = public(_float_unary(A.SigmoidBackward0), inplace=True, inplace_function=True, out=True)
reciprocal = public(_float_unary(M.ReciprocalBackward0), inplace=True, inplace_function=True, out=True)


def _not_implemented(kernel, a):
    raise NotImplementedError(f'"{kernel}" not implemented for \'{a.dtype.scalar_name}\'')


@public(inplace=True, inplace_function=True, out=True)
def abs(a):
    if _t(a).dtype is _dtype.bool_:
        _not_implemented("abs_cpu", a)
    return M.AbsBackward0.apply(a)


@public(inplace=True)
def sign(a):
    return M.SignBackward0.apply(_t(a))


@public(inplace=True)
def sgn(a):
    """sign for real tensors (PyTorch records SgnBackward0)."""
    return M.SgnBackward0.apply(_t(a))


@public(inplace=True, inplace_function=True)
def relu(a):
    if _t(a).dtype is _dtype.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    return A.ReluBackward0.apply(a)


def _bound_type(a, *bounds):
    """The result dtype of clamp: the tensor's, unless a bound brings a higher category."""
    return result_type(a, *(b for b in bounds if b is not None))


@public(inplace=True, inplace_function=True, aliases=("clip",), out=True)
def clamp(a, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if (min is not None and not isinstance(min, Tensor)) or (max is not None and not isinstance(max, Tensor)):
            got = ", ".join("Tensor" if isinstance(x, Tensor) else type(x).__name__ for x in (min, max))
            raise TypeError(f"clamp() received an invalid combination of arguments - got (Tensor, {got})")
        dt = _bound_type(a, min, max)
        return relayout(M.ClampBackward0.apply(a, min, max, dtype=dt), a, min, max)
    dt = _bound_type(a, min, max)
    return M.ClampBackward1.apply(a if a.dtype is dt else a.to(dt), min=min, max=max)



@public(inplace=True, inplace_function=True)
def clamp_min(a, min):
    if isinstance(min, Tensor):
        return M.ClampBackward0.apply(a, min, None, dtype=_bound_type(a, min))
    dt = _bound_type(a, min)
    return M.ClampMinBackward0.apply(a if a.dtype is dt else a.to(dt), min=min)


@public(inplace=True, inplace_function=True)
def clamp_max(a, max):
    if isinstance(max, Tensor):
        return M.ClampBackward0.apply(a, None, max, dtype=_bound_type(a, max))
    dt = _bound_type(a, max)
    return M.ClampMaxBackward0.apply(a if a.dtype is dt else a.to(dt), max=max)


@public(out=True)
def maximum(a, b):
    return binary(M.MaximumBackward0, _t(a), _t(b))


@public(out=True)
def minimum(a, b):
    return binary(M.MinimumBackward0, _t(a), _t(b))


# ---- reductions ----
def _reduce_dims(a, dim):
    """The dims a reduction with ``dim`` covers: an empty list means all of them, as in PyTorch."""
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return tuple(range(a.dim()))
    return normalize_dims(dim, a.dim())


@public(out=True)
def sum(a, dim=None, keepdim=False, *, dtype=None):
    dtype = _dtype.to_dtype(dtype, "sum")
    if dim is None:
        return R.SumBackward0.apply(a, dtype=dtype)
    return _rowmajor(R.SumBackward1.apply(a, dims=_reduce_dims(a, dim), keepdim=keepdim, dtype=dtype))


def _need_float(a, fn):
    if not (a.dtype.is_floating_point or a.dtype.is_complex):
        raise RuntimeError(f"{fn}(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {a.dtype.scalar_name}")


@public(out=True)
def mean(a, dim=None, keepdim=False, *, dtype=None):
    dtype = _dtype.to_dtype(dtype, "mean")
    if dtype is None:
        _need_float(a, "mean")
    elif not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(f"mean(): could not infer output dtype. Optional dtype must be either a floating point "
                           f"or complex dtype. Got: {dtype.scalar_name}")
    # the cast happens inside the node (no ToCopyBackward0 in the graph), as in PyTorch
    if dim is None:
        return R.MeanBackward0.apply(a, dtype=dtype)
    return _rowmajor(R.MeanBackward1.apply(a, dims=_reduce_dims(a, dim), keepdim=keepdim, dtype=dtype))


class _ValuesIndices(tuple):
    """What ``max(dim=...)`` returns: a (values, indices) pair with names, like torch.return_types."""

    __slots__ = ()
    _name = "?"

    def __new__(cls, values, indices, name):
        return tuple.__new__(_RETURN_TYPES[name], (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])

    def __repr__(self):
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"

    def __reduce__(self):
        return (_ValuesIndices, (self[0], self[1], self._name))


# one class per function, named as PyTorch names them (type(x.max(0)).__name__ == "max")
_RETURN_TYPES = {n: type(n, (_ValuesIndices,), {"__slots__": (), "_name": n, "__module__": "autograd_lab.return_types"})
                 for n in ("max", "min")}


def _select_reduce(cls_all, cls_dim, name, a, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return (maximum if name == "max" else minimum)(a, dim)
    if dim is None and keepdim:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (keepdim=bool, )")
    if dim is None:
        return cls_all.apply(a)
    d = a._wrap_dim(dim)  # a 0-d tensor takes dims -1 and 0
    values = _rowmajor(cls_dim.apply(a, dim=d, keepdim=keepdim))
    node = values.grad_fn
    if node is not None:
        idx = node.indices_out
    else:
        x = a._data
        pick = np.argmax if name == "max" else np.argmin
        idx = pick(x, axis=d, keepdims=keepdim) if x.ndim else np.zeros((), np.int64)
    return _ValuesIndices(values, Tensor._make(np.asarray(idx, np.int64)), name)


@public
def max(a, dim=None, keepdim=False):
    return _select_reduce(R.MaxBackward1, R.MaxBackward0, "max", a, dim, keepdim)


@public
def min(a, dim=None, keepdim=False):
    return _select_reduce(R.MinBackward1, R.MinBackward0, "min", a, dim, keepdim)


def _check_nonempty(a, dim, name):
    """max-like reductions have no identity: an empty reduced dim is an error (named as given)."""
    if a.numel():
        return
    raw = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    if not raw:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")
    for d in raw:
        if a.dim() and a.shape[a._wrap_dim(d)] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


@public
def amax(a, dim=(), keepdim=False):
    dims = _reduce_dims(a, dim)
    _check_nonempty(a, dim, "amax")
    return _rowmajor(R.AmaxBackward0.apply(a, dims=dims, keepdim=keepdim))


@public
def amin(a, dim=(), keepdim=False):
    dims = _reduce_dims(a, dim)
    _check_nonempty(a, dim, "amin")
    return _rowmajor(R.AminBackward0.apply(a, dims=dims, keepdim=keepdim))


def _arg_checks(a, dim, name):
    if a.dtype is _dtype.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None and not a.numel():
        raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
    if dim is not None and a.dim() and a.shape[a._wrap_dim(dim)] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {a._wrap_dim(dim)} to have non-zero size.")


def _arg_reduce(pick, name, a, dim, keepdim):
    _arg_checks(a, dim, name)
    if dim is None:
        return Tensor._make(np.asarray(pick(a._data), np.int64))
    return Tensor._make(np.asarray(pick(a._data, axis=a._wrap_dim(dim), keepdims=keepdim), np.int64))


@public
def argmax(a, dim=None, keepdim=False):
    return _arg_reduce(np.argmax, "argmax", a, dim, keepdim)


@public
def argmin(a, dim=None, keepdim=False):
    return _arg_reduce(np.argmin, "argmin", a, dim, keepdim)


@public
def norm(a, p="fro", dim=None, keepdim=False, dtype=None):
    if isinstance(p, str) and not (p == "fro" and (dim is None or isinstance(dim, numbers.Integral) or len(dim) <= 2)):
        # torch.norm sends these to linalg.matrix_norm, which only takes a pair of dims
        if not a.dtype.is_floating_point:
            raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                               f"{a.dtype.scalar_name}")
        dims = list(range(a.dim())) if dim is None else list(dim)
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        if len(dims) != 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
        raise NotImplementedError("autograd_lab: the nuclear norm is not implemented")
    if not a.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{a.dtype.scalar_name}")
    ord = 2 if p in ("fro", None) else p
    dims = _reduce_dims(a, dim) if dim is not None else None
    if float(ord) == float("inf") and not a.numel():
        if dim is None or (isinstance(dim, (tuple, list)) and not dim):
            raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor because the "
                               "operation does not have an identity")
        for d in ((dim,) if isinstance(dim, numbers.Integral) else dim):
            if a.shape[a._wrap_dim(d)] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the inf norm on the dimension "
                                   f"{a._wrap_dim(d)}because this dimension is empty and the operation does not "
                                   "have an identity")
    return _rowmajor(R.LinalgVectorNormBackward0.apply(a, ord=float(ord), dims=dims, keepdim=keepdim))


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased in (None, True) else 0


def _need_float_var(a):
    if not a.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")


def _var_grad_count(dim):
    # dim=() reduces everything forward, but PyTorch 2.13's var_backward counts the elements over the
    # dims as written (none: N = 1); matched here so that gradients agree
    return 1 if isinstance(dim, (tuple, list)) and not dim else None


def _var_or_std(cls, a, dim, unbiased, keepdim, correction):
    _need_float_var(a)
    if isinstance(dim, bool):  # var(x, False): the old positional ``unbiased``
        unbiased, dim = dim, None
    return _rowmajor(cls.apply(a, dims=_reduce_dims(a, dim), correction=_correction(unbiased, correction),
                               keepdim=keepdim, grad_count=_var_grad_count(dim), whole=dim is None))


@public
def var(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var_or_std(R.VarBackward0, a, dim, unbiased, keepdim, correction)


@public
def std(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var_or_std(R.StdBackward0, a, dim, unbiased, keepdim, correction)


@public
def logsumexp(a, dim, keepdim=False):
    if not a.dtype.is_floating_point:
        a = a.to(_dtype.get_default_dtype())
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        if a.dim() and not keepdim and a.numel():
            # PyTorch 2.13 reduces everything with keepdim for the max, then cannot write it back
            raise RuntimeError(f"output with shape [] doesn't match the broadcast shape {shape_str((1,) * a.dim())}")
        dims = tuple(range(a.dim()))
    else:
        dims = normalize_dims(dim, a.dim())
    return _rowmajor(R.LogsumexpBackward0.apply(a, dims=dims, keepdim=keepdim))


@public(out=True)
def prod(a, dim=None, keepdim=False):
    if dim is not None:
        raise NotImplementedError("prod(dim=...) is not implemented in autograd_lab; use prod() or a loop")
    return R.ProdBackward0.apply(a)


def _softmax_dtype(a, d, name):
    if not a.dtype.is_floating_point and a.numel():
        last = "lastdim_" if a.dim() == 0 or d == a.dim() - 1 else ""
        _not_implemented(f"{name}_{last}kernel_impl", a)


@public
def softmax(a, dim, dtype=None):
    if dtype is not None:
        a = a.to(dtype)
    d = a._wrap_dim(dim)
    _softmax_dtype(a, d, "softmax")
    return _rowmajor(A.SoftmaxBackward0.apply(a, dim=d))


@public
def log_softmax(a, dim, dtype=None):
    if dtype is not None:
        a = a.to(dtype)
    d = a._wrap_dim(dim)
    _softmax_dtype(a, d, "log_softmax")
    return _rowmajor(A.LogSoftmaxBackward0.apply(a, dim=d))


# ---- comparisons and logic (no gradient) ----
def _compare(np_fn, name):
    def fn(a, b):
        dt = result_type(a, b)
        a, b = as_tensor(a, dt), as_tensor(b, dt)
        check_broadcast(a, b)
        # both sides in the promoted type first: uint8 >= -1 compares with 255, as in PyTorch
        return Tensor._make(iter_layout(np.asarray(np_fn(arr(a, dt), arr(b, dt))), a, b))
    fn.__name__ = fn.__qualname__ = name
    return fn


eq = public(_compare(np.equal, "eq"))
ne = public(_compare(np.not_equal, "ne"), aliases=("not_equal",))
lt = public(_compare(np.less, "lt"), aliases=("less",))
le = public(_compare(np.less_equal, "le"), aliases=("less_equal",))
gt = public(_compare(np.greater, "gt"), aliases=("greater",))
ge = public(_compare(np.greater_equal, "ge"), aliases=("greater_equal",))


@public
def logical_not(a):
    return Tensor._make(np.logical_not(a._data))


@public
def logical_and(a, b):
    return Tensor._make(np.logical_and(a._data, as_tensor(b, _dtype.bool_)._data))


@public
def logical_or(a, b):
    return Tensor._make(np.logical_or(a._data, as_tensor(b, _dtype.bool_)._data))


def _logical_reduce(np_fn, a, dim, keepdim):
    axis = None if dim is None else (normalize_dims(dim, a.dim()) or None if a.dim() else None)
    out = np.asarray(np_fn(a._data, axis=axis, keepdims=keepdim if dim is not None else False))
    # uint8 in, uint8 out: PyTorch keeps this legacy behaviour
    return Tensor._make(out.astype(np.uint8) if a.dtype is _dtype.uint8 else out)


@public
def all(a, dim=None, keepdim=False):
    return _logical_reduce(np.all, a, dim, keepdim)


@public
def any(a, dim=None, keepdim=False):
    return _logical_reduce(np.any, a, dim, keepdim)


@public
def equal(a, b):
    return a.shape == b.shape and bool(np.array_equal(a._data, b._data))


@public
def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.allclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@public
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return Tensor._make(np.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@public
def isnan(a):
    return Tensor._make(np.isnan(a._data))


@public
def isinf(a):
    return Tensor._make(np.isinf(a._data))


@public
def isfinite(a):
    return Tensor._make(np.isfinite(a._data))


# ---- shapes ----
def _sizes(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


@public(function=False)
def view(a, *shape):
    shape = _sizes(shape)
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        raise NotImplementedError("view(dtype) is not supported")
    return S.ViewBackward0.apply(a, shape=S.infer_shape(shape, a.numel()))


@public
def reshape(a, *shape):
    shape = S.infer_shape(_sizes(shape), a.numel())
    if a._data.flags.c_contiguous:
        return S.ViewBackward0.apply(a, shape=shape)
    probe = a._data.view()
    try:
        probe.shape = shape
    except AttributeError:
        # not expressible as a view: PyTorch copies to row-major first, then views the copy
        return S.UnsafeViewBackward0.apply(M.CloneBackward0.apply(a, contiguous=True), shape=shape)
    # a strided view of a non-contiguous tensor: PyTorch's _reshape_alias
    return S.ReshapeAliasBackward0.apply(a, shape=shape)


@public
def flatten(a, start_dim=0, end_dim=-1):
    if a.dim() == 0:
        return reshape(a, 1)
    s, e = a._wrap_dim(start_dim), a._wrap_dim(end_dim)
    if s == e:
        return a
    shape = tuple(a.shape[:s]) + (-1,) + tuple(a.shape[e + 1:])
    return reshape(a, shape)


@public
def t(a):
    if a.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.dim()}D")
    return S.TBackward0.apply(a)


@public(aliases=("swapaxes", "swapdims"))
def transpose(a, dim0, dim1):
    return S.TransposeBackward0.apply(a, dim0=a._wrap_dim(dim0), dim1=a._wrap_dim(dim1))



@public
def permute(a, *dims):
    dims = tuple(a._wrap_dim(d) for d in _sizes(dims))
    if len(set(dims)) != len(dims) and len(dims) == a.dim():
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    if len(dims) != a.dim():
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {a.dim()} is not equal to "
                           f"len(dims) = {len(dims)}")
    return S.PermuteBackward0.apply(a, dims=dims)


@public(aliases=("moveaxis",))
def movedim(a, source, destination):
    """Move dims ``source`` to positions ``destination``, the others keeping their order (a permute)."""
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    src = [a._wrap_dim(d) for d in src]
    dst = [a._wrap_dim(d) for d in dst]
    rest = iter(d for d in range(a.dim()) if d not in src)
    where_from = dict(zip(dst, src))
    return permute(a, *[where_from[i] if i in where_from else next(rest) for i in range(a.dim())])


@public
def squeeze(a, dim=None):
    if dim is None:
        return S.SqueezeBackward0.apply(a)
    if isinstance(dim, (tuple, list)):
        wrapped = [a._wrap_dim(x) for x in dim]
        dims = tuple(d for d in wrapped if a.dim() and a.shape[d] == 1)
        return S.SqueezeBackward2.apply(a, dims=dims)
    d = a._wrap_dim(dim)  # a 0-d tensor takes dims -1 and 0 (and stays as it is)
    return S.SqueezeBackward1.apply(a, dims=d if a.dim() and a.shape[d] == 1 else ())


@public
def unsqueeze(a, dim):
    return S.UnsqueezeBackward0.apply(a, dim=a._wrap_dim(dim, a.dim() + 1))


@public(function=False)
def expand(a, *sizes):
    sizes = _sizes(sizes)
    if len(sizes) < a.dim():
        raise RuntimeError(f"expand(torch.{a.dtype._legacy}{{{shape_str(a.shape)}}}, "
                           f"size={shape_str(sizes)}): the number of sizes provided ({len(sizes)}) must be "
                           f"greater or equal to the number of dimensions in the tensor ({a.dim()})")
    lead = len(sizes) - a.dim()
    shape = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, non-existing "
                                   f"dimension {i}")
            shape.append(s)
            continue
        cur = a.shape[i - lead]
        if s == -1:
            s = cur
        if cur != 1 and s != cur:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: {shape_str(sizes)}.  "
                               f"Tensor sizes: {shape_str(a.shape)}")
        shape.append(s)
    return S.ExpandBackward0.apply(a, shape=tuple(shape))


@public(function=False)
def expand_as(a, other):
    return expand(a, other.shape)


@public
def broadcast_to(a, shape):
    return expand(a, shape)


@public
def select(a, dim, index):
    d = a._wrap_dim(dim)
    n = a.shape[d]
    if index < -n or index >= n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{shape_str(a.shape)} at dimension {d}")
    return S.SelectBackward0.apply(a, dim=d, index=index % n)


@public
def narrow(a, dim, start, length):
    d = a._wrap_dim(dim)
    return S.SliceBackward0.apply(a, dim=d, sl=slice(start, start + length))


@public(method=False, aliases=("concat", "concatenate"), out=True)
def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.dim() == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    # legacy rule: 1-d empty tensors are skipped entirely (even their dim is never checked)
    kept = [t for t in tensors if not (t.dim() == 1 and t.shape[0] == 0)]
    if not kept:
        return S.CatBackward0.apply(*tensors, dim=0)
    ref = kept[0]
    d = ref._wrap_dim(dim)
    for i, t in enumerate(tensors):
        if t.dim() == 1 and t.shape[0] == 0:
            continue
        if t.dim() != ref.dim():
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.dim()} and {t.dim()}")
        for k in range(ref.dim()):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list.")
    return _rowmajor(S.CatBackward0.apply(*tensors, dim=d))



@public(method=False, out=True)
def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError("stack expects each tensor to be equal size, but got "
                               f"{shape_str(tensors[0].shape)} "
                               f"at entry 0 and {shape_str(t.shape)} at entry {i}")
    d = tensors[0]._wrap_dim(dim, tensors[0].dim() + 1)
    return _rowmajor(S.StackBackward0.apply(*tensors, dim=d))


@public
def split(a, split_size_or_sections, dim=0):
    d = a._wrap_dim(dim)
    n = a.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        s = split_size_or_sections
        if s < 0 or (s == 0 and n != 0):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
                               if s == 0 else f"split expects split_size be non-negative, but got split_size={s}")
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
        return S.SplitBackward0.apply(a, dim=d, sizes=sizes, _num_outputs=len(sizes))
    sizes = [int(x) for x in split_size_or_sections]
    if builtins_sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                           f"dimension {d}), but got split_sizes={shape_str(sizes)}")
    return S.SplitWithSizesBackward0.apply(a, dim=d, sizes=sizes, _num_outputs=len(sizes))


@public
def chunk(a, chunks, dim=0):
    d = a._wrap_dim(dim)
    size = -(-a.shape[d] // chunks)
    return split(a, size, d)


@public
def unbind(a, dim=0):
    d = a._wrap_dim(dim)
    return S.UnbindBackward0.apply(a, dim=d, _num_outputs=a.shape[d])


@public(inplace=True)
def masked_fill(a, mask, value):
    if mask.dtype is not _dtype.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype.c_name}")
    check_broadcast(a, mask)
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.dim()} dimension(s).")
        return _rowmajor(S.MaskedFillBackward1.apply(a, value, mask=mask))
    return _rowmajor(S.MaskedFillBackward0.apply(a, mask=mask, value=value))


@public
def flip(a, dims):
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    return S.FlipBackward0.apply(a, dims=tuple(a._wrap_dim(d) for d in dims))


@public(function=False)
def repeat(a, *sizes):
    return S.RepeatBackward0.apply(a, repeats=_sizes(sizes))


@public
def clone(a, memory_format=None):
    """A copy with the input's layout (``preserve_format``, the default) or row-major
    (``contiguous_format``), recorded as CloneBackward0."""
    if memory_format is None or memory_format is _dtype.preserve_format:
        return M.CloneBackward0.apply(a)
    if memory_format is _dtype.contiguous_format:
        return M.CloneBackward0.apply(a, contiguous=True)
    if isinstance(memory_format, _dtype.memory_format):
        raise TypeError(f"clone(): {memory_format} is not supported by autograd_lab")
    raise TypeError(f"clone(): argument 'memory_format' must be torch.memory_format, not {type(memory_format).__name__}")


@public(function=False)
def contiguous(a, memory_format=None):
    """``a`` itself when already C-contiguous, else a copy that is (CloneBackward0, as in PyTorch)."""
    if a._data.flags.c_contiguous:
        return a
    return M.CloneBackward0.apply(a, contiguous=True)


@public(out=True)
def mm(input, mat2):
    return L.MmBackward0.apply(input, mat2)


@public(out=True)
def mv(a, b):
    if a.dim() != 2 or b.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.dim()}, {b.dim()}")
    return L.MvBackward0.apply(a, b)


@public(out=True)
def dot(a, b):
    return L.DotBackward0.apply(a, b)


@public(out=True)
def bmm(a, b):
    return L.BmmBackward0.apply(a, b)


@public(out=True)
def addmm(bias, a, b):
    return L.AddmmBackward0.apply(bias, a, b)


@public
def outer(a, b):
    return reshape(a, a.numel(), 1) * b


# ---- indexing ----
def _index_array(k):
    """A tensor or list used as an index, as a NumPy integer or boolean array."""
    if isinstance(k, Tensor):
        arr = k._data
    else:
        arr = np.asarray(k)
        if arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype(np.int64)  # an empty list indexes nothing, as a long index
        if arr.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if arr.dtype != np.bool_ and not np.issubdtype(arr.dtype, np.integer):
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if arr.dtype == np.uint8:  # byte tensors index as masks (deprecated in PyTorch, still accepted)
        arr = arr.astype(bool)
    return arr


def _is_int(k):
    return isinstance(k, (numbers.Integral, np.integer)) and not isinstance(k, (bool, np.bool_))


def _slicing(a, key):
    """PyTorch's applySlicing: ints select, slices slice, None unsqueezes, in that order along the
    dims; tensor and list indices are only collected (with their dim) for one advanced index later.
    Errors name the index's position in the key, as PyTorch's do. Returns (view, advanced key for
    that view or None)."""
    for k in key:
        if isinstance(k, str):
            raise TypeError("new(): invalid data type 'str'")
    key = [_index_array(k) if isinstance(k, (list, range, Tensor)) else k for k in key]
    # a 0-d integer tensor is an int (a select), not an advanced index
    key = [int(k) if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype != np.bool_ else k for k in key]
    specified = builtins_sum(k.ndim if isinstance(k, np.ndarray) and k.dtype == np.bool_ else 1
                             for k in key if k is not None and k is not Ellipsis and not isinstance(k, bool))
    if specified > a.dim():
        if a.dim() == 0 and builtins_any(_is_int(k) for k in key):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                             "in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {a.dim()}")
    out, dim, adv = a, 0, []
    for pos, k in enumerate(key):
        if k is Ellipsis:
            dim += a.dim() - specified  # every ellipsis does this (PyTorch accepts several)
        elif k is None:
            out = S.UnsqueezeBackward0.apply(out, dim=dim)
            dim += 1
        elif isinstance(k, (bool, np.bool_)):
            # a Python bool is a 1-element mask on a new dim: x[True] adds a dim, x[False] empties it
            out = S.UnsqueezeBackward0.apply(out, dim=dim)
            adv.append((dim, np.array([bool(k)])))
            dim += 1
        elif isinstance(k, slice):
            size = out.shape[dim]
            start, stop, step = k.indices(size)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            # PyTorch skips a slice only when it is written as covering everything: start 0 (or
            # none), stop ≥ the size (or none), step 1 -- ``x[-3:]`` of 3 rows still slices
            raw_start = 0 if k.start is None else k.start
            raw_stop = size if k.stop is None else k.stop
            if not (raw_start == 0 and raw_stop >= size and step == 1):
                out = S.SliceBackward0.apply(out, dim=dim, sl=slice(start, builtins_max(stop, start), step))
            dim += 1
        elif _is_int(k):
            size = out.shape[dim]
            if k < -size or k >= size:
                raise IndexError(f"index {k} is out of bounds for dimension {pos} with size {size}")
            out = S.SelectBackward0.apply(out, dim=dim, index=int(k) % size)
        elif isinstance(k, np.ndarray):
            adv.append((dim, k))  # checked below, against the tensor the slicing produced
            dim += k.ndim if k.dtype == np.bool_ else 1
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             "valid indices (got " + type(k).__name__ + ")")
    if not adv:
        return out, None
    _check_advanced(out, adv)
    np_key, at = [], 0
    for d, k in adv:
        np_key += [slice(None)] * (d - at) + [k]
        at = d + (k.ndim if k.dtype == np.bool_ else 1)
    return out, tuple(np_key)


def _check_advanced(out, adv):
    """PyTorch's checks for the tensor indices, in its order: mask shapes, then that the indices
    broadcast (a mask counts as its nonzero positions), then bounds -- where a dim is named by its
    place among the indexed dims (PyTorch's index kernel sees only those)."""
    dims, shapes = [], []
    for d, k in adv:
        if k.dtype == np.bool_:
            for j, n in enumerate(k.shape):
                if d + j >= out.dim() or n != out.shape[d + j]:
                    raise IndexError(f"The shape of the mask {shape_str(k.shape)} at index {j} does not "
                                     f"match the shape of the indexed tensor {shape_str(out.shape)} at index {d + j}")
            n = int(np.count_nonzero(k))
            dims += [(d + j, None) for j in range(k.ndim)]
            shapes += [(n,)] * k.ndim
        else:
            dims.append((d, k))
            shapes.append(k.shape)
    try:
        index_shape = np.broadcast_shapes(*shapes)
    except ValueError:
        listed = ", ".join(shape_str(s) for s in shapes)
        raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes {listed}"
                         ) from None
    indexed = {d for d, _ in dims}
    kept = [n for i, n in enumerate(out.shape) if i not in indexed]
    if int(np.prod(kept + list(index_shape), dtype=np.int64)) == 0:
        return  # an empty result reads nothing: PyTorch checks no bounds
    if out.numel() == 0:
        raise IndexError("index is out of bounds for dimension with size 0")
    for order, (d, k) in enumerate(dims):
        if k is None:
            continue
        size = out.shape[d]
        bad = k[(k < -size) | (k >= size)]
        if bad.size:
            raise IndexError(f"index {int(bad.reshape(-1)[0])} is out of bounds for dimension {order} "
                             f"with size {size}")


def _index_layout(src, key, result):
    """The memory layout PyTorch's index kernel gives ``src[key]``: the indexed dims (moved to the
    front when not adjacent) become the indices' shape with stride 0 in ``src``, and the output
    follows the strides of that and of the indices (see _util.iter_layout)."""
    entries = []
    for d, k in enumerate(key):
        if isinstance(k, np.ndarray):
            entries += [(d + j, i) for j, i in enumerate(np.nonzero(k))] if k.dtype == np.bool_ else [(d, k)]
        # (slices are full slices here; a bool mask covers k.ndim dims, shifting the later ones)
    dims, offset = [], 0
    for d, k in enumerate(key):
        if isinstance(k, np.ndarray) and k.dtype == np.bool_:
            dims += list(range(d + offset, d + offset + k.ndim))
            offset += k.ndim - 1
        elif isinstance(k, np.ndarray):
            dims.append(d + offset)
    indices = [i for _, i in entries]
    if dims != list(range(dims[0], dims[0] + len(dims))):
        src = np.moveaxis(src, dims, list(range(len(dims))))
        dims = list(range(len(dims)))
    before, n = dims[0], len(dims)
    rshape = np.broadcast_shapes(*(i.shape for i in indices))
    shape = src.shape[:before] + rshape + src.shape[before + n:]
    if shape != result.shape:
        return result
    strides = src.strides[:before] + (0,) * len(rshape) + src.strides[before + n:]
    src_view = np.lib.stride_tricks.as_strided(src, shape=shape, strides=strides)
    lead, trail = (1,) * before, (1,) * (len(shape) - before - len(rshape))
    idx_views = [np.broadcast_to(i, rshape).reshape(lead + rshape + trail) for i in indices]
    return iter_layout(result, src_view, *idx_views)


def as_index_tuple(key):
    """NumPy's old rule, which PyTorch keeps: a short list holding a list, tensor, slice, None or
    Ellipsis is a tuple of indices (``x[[[0], [1]]]`` is ``x[[0], [1]]``); other lists are one index."""
    if isinstance(key, list) and len(key) < 32 and builtins_any(
            isinstance(k, (list, tuple, Tensor, slice)) or k is None or k is Ellipsis for k in key):
        return tuple(key)
    return key


def getitem(a, key):
    """Basic indexing becomes a chain of select / slice / unsqueeze views, as in PyTorch;
    integer or boolean tensors then become one IndexBackward0 (a copy) on that view."""
    key = as_index_tuple(key)
    if not isinstance(key, tuple):
        # PyTorch's fast paths for a lone index: a slice always slices (even ``x[:]``)
        if key is None:
            return S.UnsqueezeBackward0.apply(a, dim=0)
        if key is Ellipsis:
            return S.AliasBackward0.apply(a)
        if isinstance(key, slice):
            if a.dim() == 0:
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
            start, stop, step = key.indices(a.shape[0])
            if step <= 0:
                raise ValueError("step must be greater than zero")
            return S.SliceBackward0.apply(a, dim=0, sl=slice(start, builtins_max(stop, start), step))
        key = (key,)
    out, adv = _slicing(a, key)
    if adv is not None:
        result = S.IndexBackward0.apply(out, index=adv)
        result._data = _index_layout(out._data, adv, result._data)
        return result
    if out is a:
        return S.AliasBackward0.apply(a)
    return out


import builtins as _builtins  # noqa: E402  (the names above shadow any/all/sum/max on purpose)
builtins_any, builtins_sum, builtins_max = _builtins.any, _builtins.sum, _builtins.max


# ---- log1p, expm1, cumsum and the smooth activations ----
log1p = public(_float_unary(A.Log1PBackward0), inplace=True, inplace_function=True)
expm1 = public(_float_unary(A.Expm1Backward0), inplace=True, inplace_function=True)


@public(inplace=True, out=True)
def cumsum(input, dim, *, dtype=None):
    dtype = _dtype.to_dtype(dtype, "cumsum")
    d = _t(input)._wrap_dim(dim)
    return _rowmajor(R.CumsumBackward0.apply(input, dim=d, dtype=dtype))


def _float_only(a, kernel):
    # PyTorch's activation kernels take floating types only: no promotion of integers
    if not _t(a).dtype.is_floating_point:
        _not_implemented(kernel, a)


def leaky_relu(a, negative_slope=0.01):
    _float_only(a, "leaky_relu_cpu")
    return A.LeakyReluBackward0.apply(a, negative_slope=negative_slope)


def leaky_relu_(a, negative_slope=0.01):
    _float_only(a, "leaky_relu_cpu")
    return apply_inplace(a, lambda t: A.LeakyReluBackward1.apply(t, negative_slope=negative_slope))


def elu(a, alpha=1.0):
    _float_only(a, "elu_cpu")
    return A.EluBackward0.apply(a, alpha=alpha)


def elu_(a, alpha=1.0):
    _float_only(a, "elu_cpu")
    return apply_inplace(a, lambda t: A.EluBackward1.apply(t, alpha=alpha))


def gelu(a, *, approximate="none"):
    if not isinstance(approximate, str):
        raise TypeError(f"gelu(): argument 'approximate' must be str, not {type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _float_only(a, "GeluKernelImpl")
    return A.GeluBackward0.apply(a, approximate=approximate)


def silu(a):
    _float_only(a, "silu_cpu")
    return A.SiluBackward0.apply(a)


def silu_(a):
    _float_only(a, "silu_cpu")
    return apply_inplace(a, silu)


def softplus(a, beta=1.0, threshold=20.0):
    _float_only(a, "softplus_cpu")
    return A.SoftplusBackward0.apply(a, beta=beta, threshold=threshold)
