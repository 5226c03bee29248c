"""Gaps in the PyTorch surface that tutorials meet, against torch 2.13: SVD (torch.svd,
torch.linalg.svd/svdvals), Tensor.trace(), gather / scatter_add.

Singular vectors are unique only up to the sign of each pair (uᵢ, vᵢ), and PyTorch's LAPACK and
NumPy's may pick different signs: outputs are compared after aligning the signs to torch's, and
gradients through sign-invariant functions (S, uᵢuᵢᵀ-style products, squares of U and Vh).
"""
import numpy as np
import pytest
from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS, P, check, raises_same, to_np  # noqa: E402
from autograd_lab.autograd import gradcheck, gradgradcheck  # noqa: E402

SHAPES = [(4, 3), (3, 4), (3, 3), (2, 3, 4), (2, 5, 2), (1, 1)]


def _data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _align(mine_u, mine_vh, ref_u, k):
    """Flip the sign of each singular pair so that mine's U columns point as torch's do."""
    sign = np.sign(np.sum(mine_u[..., :k] * ref_u[..., :k], axis=-2, keepdims=True))
    sign[sign == 0] = 1
    u = mine_u.copy()
    u[..., :k] *= sign
    vh = mine_vh.copy()
    vh[..., :k, :] *= np.swapaxes(sign, -1, -2)
    return u, vh


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linalg_svd_values(shape, full, dtype):
    a = _data(shape, dtype)
    out = {lib: lib.linalg.svd(lib.tensor(a, requires_grad=True), full_matrices=full) for lib in LIBS}
    mine, ref = out[A], out[torch]
    assert type(mine).__name__ == type(ref).__name__ == "linalg_svd"
    k = min(shape[-2:])
    for name in ("U", "S", "Vh"):
        m, r = getattr(mine, name), getattr(ref, name)
        assert tuple(m.shape) == tuple(r.shape), name
        assert str(m.dtype) == str(r.dtype), name
        assert m.is_contiguous() == r.is_contiguous(), name
        assert m.grad_fn.name() == r.grad_fn.name() == "LinalgSvdBackward0"
    assert mine.U.grad_fn is mine.S.grad_fn is mine.Vh.grad_fn
    assert [nr for _, nr in [(None, mine.U.output_nr), (None, mine.S.output_nr), (None, mine.Vh.output_nr)]] == [
        ref.U.output_nr, ref.S.output_nr, ref.Vh.output_nr]
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_np(mine.S), to_np(ref.S), **tol)
    u, vh = _align(to_np(mine.U), to_np(mine.Vh), to_np(ref.U), k)
    np.testing.assert_allclose(u[..., :k], to_np(ref.U)[..., :k], **tol)
    np.testing.assert_allclose(vh[..., :k, :], to_np(ref.Vh)[..., :k, :], **tol)
    # the whole basis is orthonormal and rebuilds A
    uu = to_np(mine.U)
    np.testing.assert_allclose(np.swapaxes(uu, -1, -2) @ uu, np.broadcast_to(np.eye(uu.shape[-1]), uu.shape[:-2] + (uu.shape[-1],) * 2), **tol)
    rebuilt = (to_np(mine.U)[..., :k] * to_np(mine.S)[..., None, :]) @ to_np(mine.Vh)[..., :k, :]
    np.testing.assert_allclose(rebuilt, a, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-5 if dtype == np.float32 else 1e-12)


def _invariant(lib, t, full, seed):
    """A loss of U, S, Vh that does not change when a singular pair flips sign."""
    U, S, Vh = lib.linalg.svd(t, full_matrices=full)
    k = S.shape[-1]
    rng = np.random.default_rng(seed)
    g = [lib.tensor(rng.standard_normal(tuple(x.shape)).astype(to_np(S).dtype)) for x in (U[..., :k], S, Vh[..., :k, :])]
    return (U[..., :k] ** 2 * g[0]).sum() + (S * g[1]).sum() + (Vh[..., :k, :] ** 2 * g[2]).sum() + (
        (U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :] * g[0].sum()).sum()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("full", [True, False])
def test_linalg_svd_grad(shape, full):
    a = _data(shape, np.float64, seed=1)
    grads = {}
    for lib in LIBS:
        t = lib.tensor(a, requires_grad=True)
        _invariant(lib, t, full, seed=2).backward()
        grads[lib] = to_np(t.grad)
    np.testing.assert_allclose(grads[A], grads[torch], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("which", [("U",), ("S",), ("Vh",), ("U", "S"), ("S", "Vh"), ("U", "Vh"), ("U", "S", "Vh")])
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 3, 2)])
def test_linalg_svd_gradcheck(which, shape):
    """Each output alone and in pairs (the missing grads are the formula's dropped terms)."""
    a = A.tensor(_data(shape, np.float64, seed=3), requires_grad=True)

    def f(x):
        out = A.linalg.svd(x, full_matrices=False)
        return tuple(getattr(out, n) for n in which)
    assert gradcheck(f, (a,))


def test_full_matrices_gradcheck():
    """full_matrices=True: only the first k columns of U / rows of Vh carry a gradient."""
    for shape in [(4, 2), (2, 4)]:
        a = A.tensor(_data(shape, np.float64, seed=4), requires_grad=True)
        assert gradcheck(lambda x: tuple(t[..., :2] if i == 0 else t[..., :2, :] if i == 2 else t
                                         for i, t in enumerate(A.linalg.svd(x))), (a,))


@pytest.mark.parametrize("some", [True, False])
@pytest.mark.parametrize("compute_uv", [True, False])
def test_torch_svd(some, compute_uv):
    a = _data((4, 3), np.float32, seed=5)
    out = {lib: lib.svd(lib.tensor(a, requires_grad=True), some=some, compute_uv=compute_uv) for lib in LIBS}
    mine, ref = out[A], out[torch]
    assert type(mine).__name__ == "svd" and mine._fields == ("U", "S", "V")
    for m, r in zip(mine, ref):
        assert tuple(m.shape) == tuple(r.shape)
        assert (m.grad_fn and m.grad_fn.name()) == (r.grad_fn and r.grad_fn.name())
        assert m.is_contiguous() == r.is_contiguous()
    np.testing.assert_allclose(to_np(mine.S), to_np(ref.S), rtol=1e-5)
    if not compute_uv:
        assert repr(mine) == repr(ref)  # zeros for U and V
    # the method form
    assert A.tensor(a).svd().S.shape == (3,)


def test_svd_repr_when_signs_agree():
    """A matrix whose singular vectors both libraries sign alike prints the same."""
    a = np.array([[3.0, 0.0], [0.0, 2.0]], dtype=np.float32)
    reps = [repr(lib.svd(lib.tensor(a, requires_grad=True))) for lib in LIBS]
    assert reps[0] == reps[1]


def test_svdvals():
    a = _data((3, 5), np.float64, seed=6)
    out = {}
    for lib in LIBS:
        t = lib.tensor(a, requires_grad=True)
        s = lib.linalg.svdvals(t)
        s.sum().backward()
        out[lib] = (to_np(s), to_np(t.grad), s.grad_fn.name())
    np.testing.assert_allclose(out[A][0], out[torch][0], rtol=1e-12)
    np.testing.assert_allclose(out[A][1], out[torch][1], rtol=1e-10, atol=1e-12)
    assert out[A][2] == out[torch][2]


@pytest.mark.parametrize("fn", [lambda lib, x: lib.linalg.svd(x), lambda lib, x: lib.svd(x),
                                lambda lib, x: lib.linalg.svdvals(x)])
@pytest.mark.parametrize("x", [P(np.ones(3, np.float32)), P(np.ones((2, 2), np.int64)), P(np.float32(1.0))])
def test_svd_errors(fn, x):
    raises_same(fn, x)


def test_trace_method():
    a = _data((3, 4), np.float32, seed=7)
    out = {}
    for lib in LIBS:
        t = lib.tensor(a, requires_grad=True)
        y = t.trace()
        y.backward()
        out[lib] = (repr(y), to_np(t.grad))
    assert out[A][0] == out[torch][0]
    np.testing.assert_array_equal(out[A][1], out[torch][1])
    raises_same(lambda lib, x: x.trace(), P(np.ones(3, np.float32)))


def _rand(shape, seed=0, dtype=np.float32):
    return _data(shape, dtype, seed)


def _index(shape, high, seed=0):
    return np.random.default_rng(seed).integers(0, high, shape).astype(np.int64)


GATHER = [  # (input shape, dim, index shape): index smaller than input off dim, repeats, negative dim
    ((3, 4), 1, (3, 2)), ((3, 4), 0, (2, 4)), ((3, 4), 1, (2, 2)), ((3, 4), -1, (3, 6)),
    ((2, 3, 4), 2, (2, 3, 1)), ((2, 3, 4), 1, (1, 5, 2)), ((5,), 0, (7,))]


@pytest.mark.parametrize("shape,dim,ishape", GATHER)
@pytest.mark.parametrize("method", [False, True])
def test_gather(shape, dim, ishape, method):
    idx = _index(ishape, shape[dim], seed=len(ishape))
    f = (lambda lib, x, i: x.gather(dim, i)) if method else (lambda lib, x, i: lib.gather(x, dim, i))
    check(f, P(_rand(shape, 1, np.float64)), P(idx), second=True)


def test_gather_0d_and_int32_index():
    check(lambda lib, x, i: lib.gather(x, 0, i), P(np.array(2.5)), P(np.array(0)))
    check(lambda lib, x, i: lib.gather(x, 1, i), P(_rand((3, 4))), P(_index((3, 2), 4).astype(np.int32)))


@pytest.mark.parametrize("shape,dim,ishape", GATHER)
def test_scatter_add(shape, dim, ishape):
    idx = _index(ishape, shape[dim], seed=len(ishape))
    check(lambda lib, x, i, s: lib.scatter_add(x, dim, i, s), P(_rand(shape, 2, np.float64)), P(idx),
          P(_rand(ishape, 3, np.float64)), second=True)
    check(lambda lib, x, i, s: x.scatter_add(dim, i, s), P(_rand(shape, 2)), P(idx), P(_rand(ishape, 3)))


def test_scatter_add_inplace():
    def f(lib, x, i, s):
        y = x * 1
        y.scatter_add_(0, i, s)
        return y
    check(f, P(_rand((3, 4), 4)), P(_index((5, 4), 3)), P(_rand((5, 4), 5)))


@pytest.mark.parametrize("op", ["gather", "scatter_add"])
def test_gather_scatter_gradcheck(op):
    idx = A.tensor(_index((4, 3), 3, seed=6))
    x = A.tensor(_rand((3, 3), 7, np.float64), requires_grad=True)
    s = A.tensor(_rand((4, 3), 8, np.float64), requires_grad=True)
    if op == "gather":
        assert gradcheck(lambda x: A.gather(x, 0, idx), (x,))
        assert gradgradcheck(lambda x: A.gather(x, 0, idx), (x,))
    else:
        assert gradcheck(lambda x, s: A.scatter_add(x, 0, idx, s), (x, s))
        assert gradgradcheck(lambda x, s: A.scatter_add(x, 0, idx, s), (x, s))


GATHER_ERRORS = [
    lambda lib, x, i: lib.gather(x, 1, i.float()),
    lambda lib, x, i: lib.gather(x, 1, i.to(lib.int16)),
    lambda lib, x, i: lib.gather(x, 1, i[0]),
    lambda lib, x, i: lib.gather(x, 2, i),
    lambda lib, x, i: lib.gather(x, 1, i + 4),
    lambda lib, x, i: lib.gather(x, 1, i - 1),
    lambda lib, x, i: lib.gather(x, 1, lib.zeros(4, 1, dtype=lib.long)),
    lambda lib, x, i: lib.scatter_add(x, 1, i, lib.ones(1, 1)),
    lambda lib, x, i: lib.scatter_add(x, 1, i.float(), x),
    lambda lib, x, i: lib.scatter_add(x, 1, i, x.double()),
    lambda lib, x, i: lib.scatter_add(x, 1, i[0], x),
    lambda lib, x, i: lib.scatter_add(x, 1, i + 4, x),
]


@pytest.mark.parametrize("k", range(len(GATHER_ERRORS)))
def test_gather_scatter_errors(k):
    raises_same(GATHER_ERRORS[k], P(_rand((3, 4))), P(_index((2, 2), 3)))


MATMUL_MISMATCH = [  # every dims combination that has a mismatch, with and without requires_grad (it picks the path)
    ((3,), (4,)), ((2, 3), (4,)), ((3,), (4, 5)), ((2, 3), (4, 5)), ((2, 2, 3), (4, 5)), ((2, 3), (2, 4, 5)),
    ((2, 2, 3), (3, 4, 5)), ((2, 2, 3), (2, 4, 5)), ((2, 2, 3), (4,)), ((4,), (2, 3, 5)), ((2,), (3, 3, 2)),
    ((2, 3, 4), (2, 5)), ((3, 4, 2), (2, 3, 4, 1)), ((2, 3), (3, 2, 4, 4)), ((2, 3, 2, 3), (4, 3, 5)),
    ((5, 2, 3), (4, 3, 5)), ((4, 3, 2, 3), (2, 3, 5))]


@pytest.mark.parametrize("a,b", MATMUL_MISMATCH)
@pytest.mark.parametrize("grad", [False, True])
def test_matmul_shape_errors(a, b, grad):
    msg = raises_same(lambda lib, x, y: x @ y, P(_rand(a), grad=grad), P(_rand(b, 1)))
    assert "ValueError" not in msg


@pytest.mark.parametrize("fn", [lambda lib, x, y: lib.bmm(x, y), lambda lib, x, y: lib.matmul(x, y.double())])
@pytest.mark.parametrize("a,b", [((2, 2, 3), (3, 3, 4)), ((2, 2, 3), (2, 4, 4)), ((2, 3), (2, 3, 4))])
def test_bmm_errors(fn, a, b):
    raises_same(fn, P(_rand(a)), P(_rand(b, 1)))


def _dropout(lib, x):
    lib.manual_seed(0)
    return lib.dropout(x, 0.3, True), lib.dropout(x, p=0.3, train=False)


TOP_LEVEL = {  # torch.<name> as torch exposes it (its own argument order), against torch
    "conv1d": (lambda lib, x, w, b: lib.conv1d(x, w, b, 2, 1), [(2, 3, 9), (4, 3, 3), (4,)]),
    "conv2d": (lambda lib, x, w, b: lib.conv2d(x, w, b, padding="same"), [(2, 3, 6, 6), (4, 3, 3, 3), (4,)]),
    "conv2d_groups": (lambda lib, x, w: lib.conv2d(x, w, None, 1, 0, 1, 2), [(1, 4, 5, 5), (2, 2, 3, 3)]),
    "conv_transpose1d": (lambda lib, x, w: lib.conv_transpose1d(x, w, None, 2), [(2, 3, 5), (3, 2, 3)]),
    "conv_transpose2d": (lambda lib, x, w: lib.conv_transpose2d(x, w, stride=2, output_padding=1),
                         [(1, 3, 4, 4), (3, 2, 3, 3)]),
    "max_pool1d": (lambda lib, x: lib.max_pool1d(x, 2), [(2, 3, 8)]),
    "max_pool2d": (lambda lib, x: lib.max_pool2d(x, 3, 2, 1, 1, True), [(2, 3, 7, 7)]),
    "max_pool2d_kw": (lambda lib, x: lib.max_pool2d(x, kernel_size=(2, 2), stride=[1, 2]), [(1, 2, 5, 6)]),
    "avg_pool1d": (lambda lib, x: lib.avg_pool1d(x, 3, 2, 1, False, False), [(2, 3, 9)]),
    "batch_norm": (lambda lib, x, w, b: lib.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
                   [(4, 3, 5), (3,), (3,)]),
    "layer_norm": (lambda lib, x, w, b: lib.layer_norm(x, [5], w, b, 1e-5, False), [(2, 3, 5), (5,), (5,)]),
    "layer_norm_plain": (lambda lib, x: lib.layer_norm(x, (3, 5)), [(2, 3, 5)]),
    "dropout": (_dropout, [(4, 6)]),
}


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_top_level_nn_functions(name):
    fn, shapes = TOP_LEVEL[name]
    check(fn, *[P(_rand(s, k, np.float64)) for k, s in enumerate(shapes)], rtol=1e-7, atol=1e-9)


def test_top_level_batch_norm_running_stats():
    x = _rand((6, 3), 1)
    stats = {}
    for lib in LIBS:
        mean, var = lib.zeros(3), lib.ones(3)
        y = lib.batch_norm(lib.tensor(x), None, None, mean, var, True, 0.2, 1e-3, True)
        z = lib.batch_norm(lib.tensor(x), None, None, mean, var, False, 0.2, 1e-3, True)
        stats[lib] = [to_np(t) for t in (y, z, mean, var)]
    for m, r in zip(stats[A], stats[torch]):
        np.testing.assert_allclose(m, r, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("padding_idx", [-1, 0, 2])
def test_top_level_embedding(padding_idx):
    idx = np.array([[0, 2, 2], [1, 0, 3]])
    check(lambda lib, w, i: lib.embedding(w, i, padding_idx), P(_rand((4, 3), 1, np.float64)), P(idx))
    check(lambda lib, w, i: lib.embedding(w, i, padding_idx, True), P(_rand((4, 3), 1, np.float64)), P(idx))


def test_top_level_nn_functions_are_functions_only():
    for name in ("conv1d", "conv2d", "max_pool2d", "avg_pool1d", "batch_norm", "layer_norm", "embedding", "dropout"):
        assert hasattr(A, name) and not hasattr(A.Tensor, name) and not hasattr(torch.Tensor, name)


def _well_conditioned(shape, seed):
    a = _rand(shape, seed, np.float64)
    return a + 3 * np.eye(shape[-1])


LINALG = {
    "inv": (lambda lib, a: lib.linalg.inv(a), [(3, 3)]),
    "inv_batched": (lambda lib, a: lib.linalg.inv(a), [(2, 4, 4)]),
    "inverse": (lambda lib, a: lib.inverse(a), [(3, 3)]),
    "inverse_method": (lambda lib, a: a.inverse(), [(2, 2)]),
    "det": (lambda lib, a: lib.linalg.det(a), [(3, 3)]),
    "det_batched": (lambda lib, a: lib.det(a), [(2, 3, 3)]),
    "det_method": (lambda lib, a: a.det(), [(4, 4)]),
    "solve_vec": (lambda lib, a, b: lib.linalg.solve(a, b), [(3, 3), (3,)]),
    "solve_mat": (lambda lib, a, b: lib.linalg.solve(a, b), [(3, 3), (3, 2)]),
    "solve_batched_vec": (lambda lib, a, b: lib.linalg.solve(a, b), [(2, 3, 3), (2, 3)]),
    "solve_broadcast": (lambda lib, a, b: lib.linalg.solve(a, b), [(3, 3), (2, 3, 2)]),
}


@pytest.mark.parametrize("name", LINALG)
def test_linalg_inv_det_solve(name):
    fn, shapes = LINALG[name]
    args = [P(_well_conditioned(shapes[0], 1))] + [P(_rand(s, 2 + k, np.float64)) for k, s in enumerate(shapes[1:])]
    check(fn, *args, rtol=1e-9, atol=1e-11, second=True, g1_names=False)


@pytest.mark.parametrize("name", LINALG)
def test_linalg_inv_det_solve_gradcheck(name):
    fn, shapes = LINALG[name]
    args = [A.tensor(_well_conditioned(shapes[0], 1), requires_grad=True)] + [
        A.tensor(_rand(s, 2 + k, np.float64), requires_grad=True) for k, s in enumerate(shapes[1:])]
    assert gradcheck(lambda *xs: fn(A, *xs), tuple(args))
    assert gradgradcheck(lambda *xs: fn(A, *xs), tuple(args))


NORMS = [((3, 4), {}), ((3, 4), {"ord": "fro"}), ((3, 4), {"ord": "nuc"}), ((3, 4), {"ord": 2}), ((3, 4), {"ord": -2}),
         ((3, 4), {"ord": 1}), ((3, 4), {"ord": -1}), ((3, 4), {"ord": float("inf")}), ((3, 4), {"ord": -float("inf")}),
         ((5,), {}), ((5,), {"ord": 1}), ((5,), {"ord": 3}), ((2, 3, 4), {"dim": 1}), ((2, 3, 4), {"dim": (0, 2)}),
         ((2, 3, 4), {"ord": "fro", "dim": (1, 2), "keepdim": True}), ((2, 3, 4), {"ord": 1, "dim": (2, 0)}),
         ((2, 3, 4), {"ord": 2, "dim": (1, 2), "keepdim": True}), ((2, 3, 4), {"ord": "nuc", "dim": (2, 1)})]


@pytest.mark.parametrize("shape,kw", NORMS)
def test_linalg_norm(shape, kw):
    check(lambda lib, x: lib.linalg.norm(x, **kw), P(_rand(shape, 4, np.float64)), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kw", [{}, {"ord": 1}, {"ord": float("inf"), "dim": 0}, {"dim": (0, 1), "keepdim": True}])
def test_vector_and_matrix_norm(kw):
    check(lambda lib, x: lib.linalg.vector_norm(x, **kw), P(_rand((3, 4), 5, np.float64)), rtol=1e-9, atol=1e-11)
    mkw = {k: v for k, v in kw.items() if k == "keepdim"}
    check(lambda lib, x: lib.linalg.matrix_norm(x, **mkw), P(_rand((2, 3, 4), 5, np.float64)), rtol=1e-9, atol=1e-11)


LINALG_ERRORS = [
    lambda lib: lib.linalg.inv(lib.ones(2, 3)), lambda lib: lib.linalg.inv(lib.ones(3)),
    lambda lib: lib.linalg.inv(lib.ones(2, 2, dtype=lib.long)), lambda lib: lib.linalg.det(lib.ones(2, 3)),
    lambda lib: lib.linalg.det(lib.ones(3)), lambda lib: lib.det(lib.ones(2, 2, dtype=lib.long)),
    lambda lib: lib.inverse(lib.ones(2, 3)), lambda lib: lib.linalg.solve(lib.ones(2, 3), lib.ones(2)),
    lambda lib: lib.linalg.solve(lib.eye(2), lib.ones(3)), lambda lib: lib.linalg.solve(lib.eye(2), lib.ones(3, 1)),
    lambda lib: lib.linalg.solve(lib.eye(2), lib.ones(2).double()),
]


@pytest.mark.parametrize("k", range(len(LINALG_ERRORS)))
def test_linalg_errors(k):
    raises_same(lambda lib: LINALG_ERRORS[k](lib))


@pytest.mark.parametrize("make", [lambda lib: lib.linalg.inv(lib.zeros(3, 3)),
                                  lambda lib: lib.linalg.inv(lib.tensor([[1., 2.], [2., 4.]])),
                                  lambda lib: lib.inverse(lib.tensor([[0., 1.], [0., 2.]])),
                                  lambda lib: lib.linalg.solve(lib.zeros(2, 2), lib.ones(2))])
def test_singular_errors(make):
    """PyTorch raises torch.linalg.LinAlgError (a RuntimeError) with LAPACK's pivot index."""
    errs = {}
    for lib in LIBS:
        with pytest.raises(lib.linalg.LinAlgError) as info:
            make(lib)
        errs[lib] = (type(info.value).__name__, str(info.value), isinstance(info.value, RuntimeError))
    assert errs[A] == errs[torch]


def _unique_index(shape, size, dim, seed=0):
    """An index whose entries along ``dim`` never repeat (which write wins is unspecified otherwise)."""
    rng = np.random.default_rng(seed)
    moved = list(shape)
    n = moved.pop(dim)
    rows = [rng.permutation(size)[:n] for _ in range(int(np.prod(moved)))]
    return np.moveaxis(np.array(rows).reshape(*moved, n), -1, dim).astype(np.int64)


SCATTER = [((3, 4), 1, (3, 2)), ((3, 4), 0, (2, 4)), ((3, 4), 1, (2, 3)), ((2, 3, 4), 2, (2, 3, 2)),
           ((2, 3, 4), 0, (1, 2, 2)), ((5,), 0, (3,))]


@pytest.mark.parametrize("shape,dim,ishape", SCATTER)
def test_scatter(shape, dim, ishape):
    idx = _unique_index(ishape, shape[dim], dim, seed=len(ishape))
    x, src = P(_rand(shape, 2, np.float64)), P(_rand(ishape, 3, np.float64))
    check(lambda lib, x, i, s: lib.scatter(x, dim, i, s), x, P(idx), src, second=True)
    check(lambda lib, x, i: x.scatter(dim, i, 2.5), x, P(idx), second=True)
    check(lambda lib, x, i: lib.scatter(x, dim, i, value=-1.0), x, P(idx))


def test_scatter_inplace_one_hot():
    """The one-hot idiom of many tutorials: zeros(...).scatter_(1, labels.unsqueeze(1), 1)."""
    labels = np.array([1, 3, 0])
    check(lambda lib, i: lib.zeros(3, 4).scatter_(1, i.unsqueeze(1), 1.0), P(labels))

    def f(lib, x, i, s):
        y = x * 1
        y.scatter_(0, i, s)
        return y
    check(f, P(_rand((3, 4), 4)), P(_unique_index((2, 4), 3, 0, seed=5)), P(_rand((2, 4), 5)))


def test_max_backward_is_a_scatter_from_zeros():
    """max(dim)'s create_graph gradient is zeros.scatter(dim, indices, grad), as in PyTorch."""
    check(lambda lib, x: x.max(1)[0], P(_rand((3, 4), 6, np.float64)), second=True)


@pytest.mark.parametrize("value", [False, True])
def test_scatter_gradcheck(value):
    idx = A.tensor(_unique_index((2, 3), 4, 1, seed=7))
    x = A.tensor(_rand((3, 4), 7, np.float64), requires_grad=True)
    s = A.tensor(_rand((2, 3), 8, np.float64), requires_grad=True)
    if value:
        assert gradcheck(lambda x: A.scatter(x, 1, idx, 0.5), (x,))
        assert gradgradcheck(lambda x: A.scatter(x, 1, idx, 0.5), (x,))
    else:
        assert gradcheck(lambda x, s: A.scatter(x, 1, idx, s), (x, s))
        assert gradgradcheck(lambda x, s: A.scatter(x, 1, idx, s), (x, s))


SCATTER_ERRORS = [
    lambda lib, x, i, s: x.scatter(1, i.float(), s), lambda lib, x, i, s: x.scatter(1, i, s.double()),
    lambda lib, x, i, s: x.scatter(1, i + 4, s), lambda lib, x, i, s: x.scatter(1, i, lib.ones(1, 1)),
    lambda lib, x, i, s: x.scatter(1, i[0], s), lambda lib, x, i, s: x.scatter(1, i + 4, 1.0),
    lambda lib, x, i, s: x.scatter(1, lib.zeros(4, 1, dtype=lib.long), 1.0),
]


@pytest.mark.parametrize("k", range(len(SCATTER_ERRORS)))
def test_scatter_errors(k):
    raises_same(SCATTER_ERRORS[k], P(_rand((3, 4))), P(_index((2, 2), 3)), P(_rand((2, 2), 1)))


def _symmetric(shape, seed, dtype=np.float64):
    a = _rand(shape, seed, dtype)
    return (a + np.swapaxes(a, -1, -2)).astype(dtype)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("UPLO", ["L", "U"])
def test_eigh_values(shape, dtype, UPLO):
    a = _symmetric(shape, 1, dtype)
    a[..., 0, -1] += 0.5  # not symmetric: only the UPLO triangle may be read
    out = {lib: lib.linalg.eigh(lib.tensor(a, requires_grad=True), UPLO=UPLO) for lib in LIBS}
    mine, ref = out[A], out[torch]
    assert type(mine).__name__ == type(ref).__name__ == "linalg_eigh"
    for m, r in zip(mine, ref):
        assert tuple(m.shape) == tuple(r.shape) and str(m.dtype) == str(r.dtype)
        assert m.is_contiguous() == r.is_contiguous()
        assert m.grad_fn.name() == r.grad_fn.name() == "LinalgEighBackward0"
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_np(mine.eigenvalues), to_np(ref.eigenvalues), **tol)
    v, _ = _align(to_np(mine.eigenvectors), np.zeros(shape, dtype), to_np(ref.eigenvectors), shape[-1])
    np.testing.assert_allclose(v, to_np(ref.eigenvectors), **tol)


def test_eigh_grad():
    """Through a loss that does not change when an eigenvector flips sign."""
    a = _symmetric((4, 4), 2)
    rng = np.random.default_rng(3)
    w1, w2 = rng.standard_normal(4), rng.standard_normal((4, 4))
    grads = {}
    for lib in LIBS:
        t = lib.tensor(a, requires_grad=True)
        L, V = lib.linalg.eigh(t)
        ((L * lib.tensor(w1)).sum() + (V ** 2 * lib.tensor(w2)).sum()).backward()
        grads[lib] = to_np(t.grad)
    np.testing.assert_allclose(grads[A], grads[torch], rtol=1e-8, atol=1e-10)
    check(lambda lib, x: lib.linalg.eigvalsh(x), P(a), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("which", [(0,), (1,), (0, 1)])
def test_eigh_gradcheck(which):
    # gradcheck perturbs every entry; eigh reads one triangle, so feed it a symmetrised input
    a = A.tensor(_rand((3, 3), 4, np.float64), requires_grad=True)
    assert gradcheck(lambda x: tuple(A.linalg.eigh(x + x.mT)[i] for i in which), (a,))


@pytest.mark.parametrize("make", [lambda lib: lib.linalg.eigh(lib.ones(2, 3)), lambda lib: lib.linalg.eigh(lib.ones(3)),
                                  lambda lib: lib.linalg.eigh(lib.ones(2, 2, dtype=lib.long)),
                                  lambda lib: lib.linalg.eigh(lib.eye(2), UPLO="X")])
def test_eigh_errors(make):
    raises_same(lambda lib: make(lib))
