"""Property tests: hypothesis draws shapes (0-d tensors and size-0 dims included), broadcasting
pairs, dtypes and values; every result is compared with PyTorch (values, dtype, graph, gradients;
when PyTorch raises, the same error). Then finite differences in float64 check the gradients of
autograd_lab on its own, with a small central-difference helper."""
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

if os.environ.get("CI") == "true":
    import torch  # in CI a missing torch is a failure, never a skip
else:
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for the differential tests")

import autograd_lab as A  # noqa: E402
from _torch_diff import P, check  # noqa: E402
from op_table import BINARY, BINARY_BY_NAME, UNARY  # noqa: E402

# PROP_EXAMPLES=2000 for a longer hunt; the default keeps the suite fast
SETTINGS = settings(max_examples=int(os.environ.get("PROP_EXAMPLES", 120)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

FLOATS = (np.float32, np.float64)
DTYPES = (np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_)


def values(dtype, shape, lo=-3.0, hi=3.0):
    """An array strategy with values safe for the op family (bounded, no subnormals)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        lo, hi = float(dtype.type(lo)), float(dtype.type(hi))  # bounds exactly representable in the width
        el = st.floats(lo, hi, width=dtype.itemsize * 8, allow_subnormal=False)
    elif dtype.kind == "b":
        el = st.booleans()
    elif dtype.kind == "u":
        el = st.integers(0, 5)
    else:
        el = st.integers(int(max(lo, -5)), int(min(hi, 5)) or 5)
    return hnp.arrays(dtype, shape, elements=el)


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
pair_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3)


def same_or_raise(fn, *args, **kw):
    """``check`` when PyTorch computes; when PyTorch raises, autograd_lab must raise the same."""
    leaves = []
    from _torch_diff import build
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(torch, *build(torch, list(args), leaves))
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)) as info:
            fn(A, *build(A, list(args), []))
        assert str(info.value) == str(e)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(fn, *args, check_repr=False, **kw)


def operand(draw, shape, dtype, lo=-3.0, hi=3.0):
    arr = draw(values(dtype, shape, lo, hi))
    return P(arr, grad=np.dtype(dtype).kind == "f" and draw(st.booleans()))


def scalar(draw, lo=-3.0, hi=3.0):
    return draw(st.one_of(st.integers(int(lo), int(hi)), st.floats(lo, hi, allow_subnormal=False).filter(
        lambda v: v == 0 or abs(v) > 1e-3), st.booleans()))


WHERE = lambda L, a, b: L.where(a > 0 if a.dtype != L.bool else a, a, b)  # noqa: E731


@SETTINGS
@given(st.data(), st.sampled_from([op for op in BINARY if op.name != "pow"] + ["where"]), pair_shapes,
       st.sampled_from(DTYPES), st.sampled_from(DTYPES), st.booleans())
def test_binary_tensor_tensor(data, op, shapes_, da, db, method):
    sa, sb = shapes_.input_shapes
    a = operand(data.draw, sa, da)
    b = operand(data.draw, sb, db)
    if op == "where":
        same_or_raise(WHERE, a, b, rtol=1e-4, atol=1e-5)
        return
    if op.nonzero[1] and np.dtype(db).kind in "iub":
        assume(np.all(b.array != 0))
    # mixed bool/number operands: PyTorch's own errors (if any) are compared too
    same_or_raise(op.method if method else op.call, a, b, rtol=1e-4, atol=1e-5)


@SETTINGS
@given(st.data(), st.sampled_from(["add", "sub", "mul", "div", "rsub", "rdiv", "radd", "rmul", "eq", "gt"]),
       shapes, st.sampled_from(DTYPES))
def test_binary_tensor_scalar(data, name, shape, dtype):
    a = operand(data.draw, shape, dtype)
    c = scalar(data.draw)
    if name == "rdiv":
        assume(np.all(a.array != 0))
    if name == "div":
        assume(c != 0)
    fns = {"add": lambda L, x: x + c, "sub": lambda L, x: x - c, "mul": lambda L, x: x * c,
           "div": lambda L, x: x / c, "rsub": lambda L, x: c - x, "rdiv": lambda L, x: c / x,
           "radd": lambda L, x: c + x, "rmul": lambda L, x: c * x, "eq": lambda L, x: x == c,
           "gt": lambda L, x: x > c}
    same_or_raise(fns[name], a, rtol=1e-4, atol=1e-5)


@SETTINGS
@given(st.data(), pair_shapes, st.sampled_from(FLOATS))
def test_pow_tensor_tensor(data, shapes_, dtype):
    op = BINARY_BY_NAME["pow"]
    sa, sb = shapes_.input_shapes
    a = operand(data.draw, sa, dtype, op.lo[0], op.hi[0])
    b = operand(data.draw, sb, dtype, op.lo[1], op.hi[1])
    same_or_raise(op.call, a, b, rtol=1e-4, atol=1e-5)


@SETTINGS
@given(st.data(), shapes, st.sampled_from(FLOATS), st.sampled_from([0, 1, 2, 3, -1, 0.5, -0.5, 1.5]))
def test_pow_scalar(data, shape, dtype, p):
    a = operand(data.draw, shape, dtype, 0.2, 2.0)
    same_or_raise(lambda L, x: x ** p, a, rtol=1e-4, atol=1e-5)
    same_or_raise(lambda L, x: 1.5 ** x, a, rtol=1e-4, atol=1e-5)


@SETTINGS
@given(st.data(), st.sampled_from(UNARY), shapes, st.sampled_from(DTYPES), st.booleans())
def test_unary(data, op, shape, dtype, method):
    a = operand(data.draw, shape, dtype, op.lo, op.hi)
    same_or_raise(op.call if method else op.function, a, rtol=1e-4, atol=1e-5)


def dims_for(draw, ndim):
    """A dim argument: None, an int, a tuple (possibly empty), negative or not."""
    n = max(ndim, 1)
    one = st.integers(-n, n - 1)
    kind = draw(st.sampled_from(["int", "tuple", "none"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(one)
    picked = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n)) if ndim else draw(
        st.lists(st.just(0), max_size=1))
    return tuple(d - n if draw(st.booleans()) else d for d in picked)


REDUCTIONS = {
    "sum": lambda L, a, d, k: a.sum() if d is None else a.sum(d, keepdim=k),
    "mean": lambda L, a, d, k: a.mean() if d is None else a.mean(d, keepdim=k),
    "amax": lambda L, a, d, k: a.amax() if d is None else a.amax(d, keepdim=k),
    "amin": lambda L, a, d, k: a.amin() if d is None else L.amin(a, d, keepdim=k),
    "max": lambda L, a, d, k: a.max() if not isinstance(d, int) else a.max(d, keepdim=k),
    "min": lambda L, a, d, k: a.min() if not isinstance(d, int) else a.min(d, keepdim=k),
    "var": lambda L, a, d, k: a.var() if d is None else a.var(d, keepdim=k),
    "std": lambda L, a, d, k: a.std(d, unbiased=False, keepdim=k),
    "logsumexp": lambda L, a, d, k: a.logsumexp(() if d is None else d, keepdim=k),
    "norm": lambda L, a, d, k: a.norm(dim=d, keepdim=k),
    "norm1": lambda L, a, d, k: a.norm(p=1, dim=d, keepdim=k),
    "all": lambda L, a, d, k: a.all() if not isinstance(d, int) else a.all(d, keepdim=k),
    "any": lambda L, a, d, k: a.any() if not isinstance(d, int) else a.any(d, keepdim=k),
}


@SETTINGS
@given(st.data(), st.sampled_from(sorted(REDUCTIONS)), shapes, st.sampled_from(DTYPES), st.booleans())
def test_reduction(data, name, shape, dtype, keepdim):
    a = operand(data.draw, shape, dtype)
    if name in ("var", "std", "norm", "norm1") and a.grad:
        # at a zero spread or a zero norm the gradient is 0/0: both libraries give NaN or inf, in their ways
        assume(a.array.size > 1 and np.ptp(a.array) > 1e-2 and np.all(np.abs(a.array) > 1e-3))
    if name in ("max", "min", "amax", "amin") and a.grad:
        assume(len(np.unique(a.array)) == a.array.size)  # ties: covered deterministically elsewhere
    d = dims_for(data.draw, len(shape))
    same_or_raise(REDUCTIONS[name], a, d, keepdim, rtol=1e-4, atol=1e-5)


@SETTINGS
@given(st.data(), shapes)
def test_shape_ops(data, shape):
    a = operand(data.draw, shape, np.float32)
    n = len(shape)
    d = data.draw(st.integers(-max(n, 1), max(n, 1) - 1))
    perm = data.draw(st.permutations(range(n)))
    same_or_raise(lambda L, x: x.unsqueeze(d if d < n else 0).squeeze(), a)
    same_or_raise(lambda L, x: x.reshape(-1), a)
    same_or_raise(lambda L, x: x.permute(*perm) if n else x.permute(()), a)
    same_or_raise(lambda L, x: x.transpose(0, d) if n else x.t(), a)
    same_or_raise(lambda L, x: x.flatten(), a)
    same_or_raise(lambda L, x: x[..., None] * 2, a)
    same_or_raise(lambda L, x: x.expand(2, *x.shape), a)
    if n:
        same_or_raise(lambda L, x: L.cat([x, x * 2], d), a)
        same_or_raise(lambda L, x: L.stack([x, x], d), a)
        same_or_raise(lambda L, x: x.sum(d, keepdim=True).expand(x.shape), a)


@SETTINGS
@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
def test_indexing(data, shape):
    a = operand(data.draw, shape, np.float32)
    idx = hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True)
    key = data.draw(idx)
    if isinstance(key, tuple) and any(isinstance(k, slice) and k.step is not None and k.step < 0 for k in key):
        return
    if isinstance(key, slice) and key.step is not None and key.step < 0:
        return
    same_or_raise(lambda L, x: x[key], a)
    ints = data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=4))
    same_or_raise(lambda L, x: x[ints], a)
    mask = data.draw(hnp.arrays(np.bool_, shape[:1]))
    same_or_raise(lambda L, x, m: x[m], a, P(mask))


@SETTINGS
@given(st.data(), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.sampled_from([(0, 2), (2, 0), (1, 2), (2, 1), (3, 2), (2, 3), (3, 3), (1, 3), (3, 1), (4, 2), (2, 4),
                        (1, 1), (4, 3)]))
def test_matmul_shapes(data, n, k, m, dims):
    da, db = dims
    if da == 0 or db == 0:
        da, db = max(da, 1), max(db, 1)
    batch = data.draw(st.lists(st.integers(1, 2), min_size=2, max_size=2))
    sa = (tuple(batch[-(da - 2):]) if da > 2 else ()) + ((n, k) if da >= 2 else (k,))
    sb = (tuple(data.draw(st.sampled_from([batch[-(db - 2):], [1] * (db - 2)]))) if db > 2 else ()) + (
        (k, m) if db >= 2 else (k,))
    a = operand(data.draw, sa, np.float32, -2, 2)
    b = operand(data.draw, sb, np.float32, -2, 2)
    same_or_raise(lambda L, x, y: x @ y, a, b, rtol=1e-4, atol=1e-5)


LAYOUT_OPS = {
    "add": lambda L, a, b: a + b, "radd": lambda L, a, b: b + a, "mul_bcast": lambda L, a, b: a * b[..., :1],
    "where": lambda L, a, b: L.where(b > 0, a, b), "gt": lambda L, a, b: a > b, "exp": lambda L, a, b: a.exp(),
    "sum0": lambda L, a, b: a.sum(0), "softmax": lambda L, a, b: a.softmax(-1), "cat": lambda L, a, b: L.cat([a, b], -1),
    "index": lambda L, a, b: a[[0, 0]], "index_last": lambda L, a, b: a[..., [0]], "flip": lambda L, a, b: a.flip(0),
    "clone": lambda L, a, b: a.clone(), "reshape": lambda L, a, b: a.reshape(-1), "matmul": lambda L, a, b: a @ b.mT,
    "max1": lambda L, a, b: a.max(1), "masked": lambda L, a, b: a.masked_fill(b > 0, 1.0),
}


@SETTINGS
@given(st.data(), hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=3), st.sampled_from(sorted(LAYOUT_OPS)))
def test_layouts_follow_pytorch(data, shape, name):
    """Inputs seen through a permutation or a strided slice: outputs must have PyTorch's layout
    (is_contiguous), graph and gradients."""
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    a = operand(data.draw, shape, np.float32)
    b = operand(data.draw, shape, np.float32)
    step = data.draw(st.sampled_from([1, 2]))

    def fn(L, x, y):
        x = x.permute(*perm)[..., ::step]
        y = y.permute(*perm)[..., ::step] if data_b_permuted else y.permute(*perm).contiguous()[..., ::step]
        return LAYOUT_OPS[name](L, x, y)

    data_b_permuted = data.draw(st.booleans())
    same_or_raise(fn, a, b, rtol=1e-4, atol=1e-5)


INPLACE = {
    "add_": lambda v, w: v.add_(w),
    "mul_": lambda v, w: v.mul_(w),
    "sub_": lambda v, w: v.sub_(w, alpha=2),
    "div_": lambda v, w: v.div_(w * w + 1),
    "clamp_": lambda v, w: v.clamp_(-0.5, 0.5),
    "zero_": lambda v, w: v.zero_(),
    "copy_": lambda v, w: v.copy_(w),
    "exp_": lambda v, w: v.exp_(),
}


@SETTINGS
@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), st.sampled_from(sorted(INPLACE)),
       st.booleans())
def test_inplace_on_views(data, shape, name, through_view):
    """An in-place op on a basic-indexing view of a non-leaf (CopySlices and AsStrided views) or
    on the tensor itself; then the base, the view and an older view are all used."""
    key = data.draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=False, allow_ellipsis=True))
    if not isinstance(key, tuple):
        key = (key,)
    if any(isinstance(k, slice) and k.step is not None and k.step < 0 for k in key):
        return
    a = operand(data.draw, shape, np.float32, -2, 2)
    region = np.zeros(shape)[key].shape
    w = operand(data.draw, region if through_view else shape, np.float32, -2, 2)

    def fn(L, x, y):
        base = x * 1
        older = base[..., :1] if base.dim() else base
        target = base[key] if through_view else base
        INPLACE[name](target, y)
        return base * 2, target * 3, older * 1

    same_or_raise(fn, a, w, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- finite differences (autograd_lab alone)
def numeric_grad(f, x, eps=1e-6):
    """Central differences of the scalar function f at the float64 array x."""
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f(x)
        flat[i] = old - eps
        down = f(x)
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return g


def fd_check(fn, *arrays):
    """The gradient of sum(w · fn(inputs)) with respect to every input, analytic vs numeric."""
    rng = np.random.default_rng(0)
    xs = [A.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    w = A.tensor(rng.standard_normal(tuple(out.shape)))
    (out * w).sum().backward()
    for i, (arr, x) in enumerate(zip(arrays, xs)):
        def f(v, i=i):
            args = [A.tensor(v if j == i else a) for j, a in enumerate(arrays)]
            return float((fn(*args) * w).sum().item())
        num = numeric_grad(f, arr.copy())
        np.testing.assert_allclose(x.grad.numpy(), num, rtol=1e-4, atol=1e-6, err_msg=f"input {i}")


def f64(shape, lo=-2.0, hi=2.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, allow_subnormal=False))


small = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(UNARY), small)
def test_finite_differences_table(data, op, shape):
    x = data.draw(f64(shape, op.lo, op.hi))
    assume(op.away_from_kinks(x))
    fd_check(lambda t: op.call(A, t), x)


SMOOTH = {  # compositions beyond the op table
    "pow3": (lambda x: x ** 3, -2, 2), "powhalf": (lambda x: x ** 0.5, 0.5, 3), "rpow": (lambda x: 2.0 ** x, -2, 2),
    "rdiv": (lambda x: 1.5 / x, 0.5, 3), "softmax": (lambda x: x.softmax(-1), -2, 2),
    "log_softmax": (lambda x: x.log_softmax(0), -2, 2), "logsumexp": (lambda x: x.logsumexp(-1), -2, 2),
    "mean": (lambda x: x.mean(0), -2, 2), "var": (lambda x: x.var(), -2, 2),
    "norm": (lambda x: x.norm(), 0.5, 2), "prod": (lambda x: x.prod(), 0.5, 2),
    "chain": (lambda x: (x.sin() * x.exp()).sum(-1) / (1 + x * x).sum(), -2, 2),
}


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(sorted(SMOOTH)), small)
def test_finite_differences_unary(data, name, shape):
    fn, lo, hi = SMOOTH[name]
    x = data.draw(f64(shape, lo, hi))
    if name == "var":
        assume(x.size > 1)
    fd_check(fn, x)


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from([op for op in BINARY if op.differentiable]), pair_shapes)
def test_finite_differences_binary_table(data, op, shapes_):
    sa, sb = shapes_.input_shapes
    assume(0 not in sa + sb)
    a, b = data.draw(f64(sa, op.lo[0], op.hi[0])), data.draw(f64(sb, op.lo[1], op.hi[1]))
    if op.nonzero[1]:
        assume(np.all(np.abs(b) > 0.2))
    if op.kink:
        assume(np.all(np.abs(np.subtract(*np.broadcast_arrays(a, b))) > 1e-3))
    fd_check(lambda x, y: op.call(A, x, y), a, b)


BINARY_SMOOTH = {  # compositions beyond the op table
    "div": lambda a, b: a / (b * b + 1), "pow": lambda a, b: (a * a + 1) ** b,
    "where": lambda a, b: A.where(a > b, a * b, a - b), "atan2ish": lambda a, b: (a * b).tanh() + a.exp() * b,
}


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(sorted(BINARY_SMOOTH)), pair_shapes)
def test_finite_differences_binary(data, name, shapes_):
    sa, sb = shapes_.input_shapes
    assume(0 not in sa + sb)
    a = data.draw(f64(sa))
    b = data.draw(f64(sb))
    if name == "where":
        assume(np.all(np.abs(np.subtract(*np.broadcast_arrays(a, b))) > 1e-3))
    fd_check(BINARY_SMOOTH[name], a, b)


@settings(max_examples=40, deadline=None)
@given(st.data(), st.sampled_from([((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)),
                                   ((2, 2, 3), (3, 2)), ((3,), (2, 3, 2)), ((2, 2, 3), (2, 3, 1)),
                                   ((1, 2, 3), (2, 3, 2))]))
def test_finite_differences_matmul(data, shapes_):
    a = data.draw(f64(shapes_[0]))
    b = data.draw(f64(shapes_[1]))
    fd_check(lambda x, y: x @ y, a, b)


def test_numeric_grad_helper():
    x = np.array([1.0, 2.0, -3.0])
    np.testing.assert_allclose(numeric_grad(lambda v: float((v ** 3).sum()), x), 3 * x ** 2, rtol=1e-6)
