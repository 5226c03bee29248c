"""torch.func (grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, vmap, functional_call) against
PyTorch 2.13: values, structure and error texts."""
import functools

import numpy as np
import pytest

from oracle import error_of as _error, import_torch

torch = import_torch()

import autograd_lab as al  # noqa: E402

RNG = np.random.default_rng(150)


def tensors(lib, *arrays):
    return [lib.tensor(a.copy()) for a in arrays]


def as_np(x):
    """Nested results as nested tuples of NumPy arrays (dicts kept as dicts)."""
    if isinstance(x, (al.Tensor, torch.Tensor)):
        return np.array(x.detach().numpy())
    if isinstance(x, dict):
        return {k: as_np(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return tuple(as_np(v) for v in x)
    return x


def assert_same(a, b, rtol=1e-10):
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k], rtol)
    elif isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y, rtol)
    else:
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)


def predict(lib, w, b, x):
    return lib.nn.functional.linear(x, w, b).tanh()


W, B, X = RNG.standard_normal((3, 4)), RNG.standard_normal(3), RNG.standard_normal(4)
XB = RNG.standard_normal((5, 4))

CASES = [
    ("grad", lambda L, fn: fn.grad(lambda x: (x.sin() * x).sum())(*tensors(L, X))),
    ("grad_argnums", lambda L, fn: fn.grad(lambda w, b, x: predict(L, w, b, x).sum(), argnums=(0, 1))(
        *tensors(L, W, B, X))),
    ("grad_dict", lambda L, fn: fn.grad(lambda d: (d["a"] * d["b"]).sum())(dict(zip("ab", tensors(L, X, X * 2))))),
    ("grad_unused_is_zero", lambda L, fn: fn.grad(lambda x, y: y.sum())(*tensors(L, X, X))),
    ("grad_has_aux", lambda L, fn: fn.grad(lambda x: (x.sum(), x * 2), has_aux=True)(*tensors(L, X))),
    ("grad_and_value", lambda L, fn: fn.grad_and_value(lambda x: (x ** 2).sum())(*tensors(L, X))),
    ("grad_of_grad", lambda L, fn: fn.grad(lambda x: fn.grad(lambda y: (y ** 3).sum())(x).sum())(*tensors(L, X))),
    ("vjp", lambda L, fn: fn.vjp(lambda x: x.sin(), *tensors(L, X))[1](*tensors(L, X))),
    ("vjp_two", lambda L, fn: fn.vjp(lambda x, y: (x * y, x + y), *tensors(L, X, X))[1](tuple(tensors(L, X, X)))),
    ("jvp", lambda L, fn: fn.jvp(lambda x: x.sin(), tuple(tensors(L, X)), tuple(tensors(L, X)))),
    ("jvp_tuple_out", lambda L, fn: fn.jvp(lambda x: (x.exp(), x.sum()), tuple(tensors(L, X)), tuple(tensors(L, X)))),
    ("jvp_const_out", lambda L, fn: fn.jvp(lambda x: L.ones(2, dtype=L.float64), tuple(tensors(L, X)),
                                           tuple(tensors(L, X)))),
    ("jvp_partial", lambda L, fn: fn.jvp(functools.partial(lambda x, y: x ** 2 + y ** 2, y=tensors(L, X)[0]),
                                         tuple(tensors(L, X)), tuple(tensors(L, X)))),
    ("jacrev", lambda L, fn: fn.jacrev(functools.partial(predict, L), argnums=2)(*tensors(L, W, B, X))),
    ("jacrev_params", lambda L, fn: fn.jacrev(functools.partial(predict, L), argnums=(0, 1))(*tensors(L, W, B, X))),
    ("jacrev_scalar_out", lambda L, fn: fn.jacrev(lambda x: x.sum())(*tensors(L, X))),
    ("jacrev_tuple_out", lambda L, fn: fn.jacrev(lambda x: (x.sin(), x.sum()))(*tensors(L, X))),
    ("jacfwd", lambda L, fn: fn.jacfwd(functools.partial(predict, L), argnums=2)(*tensors(L, W, B, X))),
    ("jacfwd_params", lambda L, fn: fn.jacfwd(functools.partial(predict, L), argnums=(0, 1))(*tensors(L, W, B, X))),
    ("jacfwd_matrix_in", lambda L, fn: fn.jacfwd(lambda m: m @ m)(L.tensor(W[:, :3].copy()))),
    ("hessian", lambda L, fn: fn.hessian(functools.partial(predict, L), argnums=2)(*tensors(L, W, B, X))),
    ("hessian_fwdfwd", lambda L, fn: fn.jacfwd(fn.jacfwd(functools.partial(predict, L), argnums=2), argnums=2)(
        *tensors(L, W, B, X))),
    ("hessian_revrev", lambda L, fn: fn.jacrev(fn.jacrev(functools.partial(predict, L), argnums=2), argnums=2)(
        *tensors(L, W, B, X))),
    ("hessian_revfwd", lambda L, fn: fn.jacrev(fn.jacfwd(functools.partial(predict, L), argnums=2), argnums=2)(
        *tensors(L, W, B, X))),
    ("jvp_of_jvp", lambda L, fn: fn.jvp(lambda x: fn.jvp(lambda y: (y.exp() * y).sum(), (x,), (x.cos(),))[1],
                                        tuple(tensors(L, X)), tuple(tensors(L, X * 3)))),
    ("third_derivative", lambda L, fn: fn.jacfwd(fn.jacrev(fn.grad(lambda x: (x.sin() * x ** 2).sum())))(
        *tensors(L, X[:2]))),
    ("hvp_fwd_over_rev", lambda L, fn: fn.jvp(fn.grad(lambda x: x.sin().sum()), tuple(tensors(L, X)),
                                              tuple(tensors(L, X * 2)))),
    ("hvp_rev_over_rev", lambda L, fn: fn.vjp(fn.grad(lambda x: x.sin().sum()), *tensors(L, X))[1](
        *tensors(L, X * 2))),
    ("vmap", lambda L, fn: fn.vmap(lambda x: x.sum())(*tensors(L, XB))),
    ("vmap_in_dims", lambda L, fn: fn.vmap(lambda x, y: x * y, in_dims=(0, None))(*tensors(L, XB, X))),
    ("vmap_in_dim1", lambda L, fn: fn.vmap(lambda x: x.exp().sum(), in_dims=1)(*tensors(L, XB))),
    ("vmap_out_dims1", lambda L, fn: fn.vmap(lambda x: x * 2, out_dims=1)(*tensors(L, XB))),
    ("vmap_tuple_out", lambda L, fn: fn.vmap(lambda x: (x, x.sum()))(*tensors(L, XB))),
    ("vmap_number_arg", lambda L, fn: fn.vmap(lambda x, k: x * k, in_dims=(0, None))(*tensors(L, XB), 2)),
    ("vmap_empty_batch", lambda L, fn: fn.vmap(lambda x: x.sum(0) * 2, out_dims=1)(L.ones(0, 3, 2, dtype=L.float64))),
    ("vmap_dict", lambda L, fn: fn.vmap(lambda d: d["a"] * 2)({"a": tensors(L, XB)[0]})),
    ("vmap_vjp_jacobian", lambda L, fn: fn.vmap(fn.vjp(functools.partial(predict, L, *tensors(L, W, B)),
                                                       *tensors(L, X))[1])(L.eye(3, dtype=L.float64))),
    ("batch_jacobian", lambda L, fn: fn.vmap(fn.jacrev(functools.partial(predict, L), argnums=2),
                                             in_dims=(None, None, 0))(*tensors(L, W, B, XB))),
    ("batch_hessian", lambda L, fn: fn.vmap(fn.hessian(functools.partial(predict, L), argnums=2),
                                            in_dims=(None, None, 0))(*tensors(L, W, B, XB))),
]


@pytest.mark.parametrize("name,case", CASES, ids=[c[0] for c in CASES])
def test_values_match_torch(name, case):
    a = case(al, al.func)
    t = case(torch, torch.func)
    assert_same(as_np(a), as_np(t))


def test_results_carry_no_graph_at_top_level():
    for lib in (al, torch):
        x = lib.tensor([1., 2.])
        g = lib.func.grad(lambda x: (x ** 2).sum())(x)
        j = lib.func.jacfwd(lambda x: x.exp())(x)
        _, tout = lib.func.jvp(lambda x: x.exp(), (x,), (x,))
        assert [t.requires_grad for t in (g, j, tout)] == [False] * 3


def test_func_transforms_compose_with_outer_autograd():
    """grad of a parameter that requires grad stays differentiable, as in PyTorch."""
    res = []
    for lib in (al, torch):
        w = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)
        g = lib.func.grad(lambda w: (w ** 3).sum())(w)
        (gg,) = lib.autograd.grad(g.sum(), w)
        res.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0])
    np.testing.assert_allclose(res[0][1], res[1][1])


def _errors(lib):
    fn = lib.func
    x = lib.tensor([1., 2., 3.])
    two = lib.ones(2, 3)
    return [
        _error(lambda: fn.grad(lambda x: x * 2)(x)),
        _error(lambda: fn.grad(lambda x: 3.0)(x)),
        _error(lambda: fn.grad(lambda x: x.sum())(3.0)),
        _error(lambda: fn.grad(lambda x: x.sum(), argnums=2)(x)),
        _error(lambda: fn.grad(lambda x: x.sum(), has_aux=True)(x)),
        _error(lambda: fn.jvp(lambda x: x, x, x)),
        _error(lambda: fn.jvp(lambda x: x, (x,), (x, x))),
        _error(lambda: fn.jvp(lambda x: x, (x,), (lib.ones(2),))),
        _error(lambda: fn.jvp(lambda x: x, (1.0,), (1.0,))),
        _error(lambda: fn.jvp(lambda: x, (), ())),
        _error(lambda: fn.jvp(lambda x: 3, (x,), (x,))),
        _error(lambda: fn.vjp(lambda x: x.sin(), x)[1](lib.ones(2))),
        _error(lambda: fn.vjp(lambda x: x, 1.0)),
        _error(lambda: fn.vmap(lambda x, y: x * y)(two, lib.ones(3, 3))),
        _error(lambda: fn.vmap(lambda x: x, in_dims=None)(x)),
        _error(lambda: fn.vmap(lambda x, y: x, in_dims=(0,))(x, x)),
        _error(lambda: fn.vmap(lambda x: x, in_dims=2)(x)),
        _error(lambda: fn.vmap(lambda x: 3)(x)),
        _error(lambda: fn.vmap(lambda x, k: x * k)(x, 2)),
        _error(lambda: fn.functional_call(lib.nn.Linear(3, 2), {"weight": lib.ones(2, 3)}, x, strict=True)),
    ]


def test_errors_match_torch():
    assert _errors(al) == _errors(torch)


def test_functional_call_swaps_parameters_and_puts_them_back():
    res = []
    for lib in (al, torch):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        w0 = m.weight
        x = lib.tensor([1., 2., 3.])
        out = lib.func.functional_call(m, {"weight": lib.ones(2, 3), "bias": lib.zeros(2)}, (x,))
        half = lib.func.functional_call(m, ({"weight": lib.ones(2, 3)}, {"bias": lib.ones(2)}), x)
        assert m.weight is w0
        res.append((out.detach().numpy(), half.detach().numpy(), out.requires_grad))
    assert_same(as_np(res[0][:2]), as_np(res[1][:2]))
    assert res[0][2] == res[1][2]


def test_functional_call_with_dual_parameters_gives_the_parameter_jvp():
    res = []
    for lib in (al, torch):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        x = lib.randn(4, 3)
        params = dict(m.named_parameters())
        tangents = {k: lib.ones_like(p) for k, p in params.items()}
        fw = lib.autograd.forward_ad
        with fw.dual_level():
            out = lib.func.functional_call(m, {k: fw.make_dual(p, tangents[k]) for k, p in params.items()}, x)
            res.append(fw.unpack_dual(out).tangent.detach().numpy())
        _, t = lib.func.jvp(lambda p: lib.func.functional_call(m, p, x), (params,), (tangents,))
        res.append(t.detach().numpy())
    for r in res[1:]:
        np.testing.assert_allclose(r, res[0], rtol=1e-6)


def test_jacrev_and_jacfwd_agree_with_autograd_functional():
    f = lambda x: (x.exp() * x.sin()).cumsum(0)  # noqa: E731
    x = al.tensor(X)
    j = al.autograd.functional.jacobian(f, x)
    np.testing.assert_allclose(al.func.jacrev(f)(x).numpy(), j.numpy(), rtol=1e-12)
    np.testing.assert_allclose(al.func.jacfwd(f)(x).numpy(), j.numpy(), rtol=1e-12)
    h = al.autograd.functional.hessian(lambda x: f(x).sum(), x)
    np.testing.assert_allclose(al.func.hessian(lambda x: f(x).sum())(x).numpy(), h.numpy(), rtol=1e-10)


def test_vmap_is_available_at_the_top_level():
    assert al.vmap is al.func.vmap


def _forward_mode_jacobians(lib):
    J, H = lib.autograd.functional.jacobian, lib.autograd.functional.hessian
    x = lib.tensor([1.0, -2.0], dtype=lib.float64)
    out = [
        J(lambda a: a.exp() * a[0], x, strategy="forward-mode", vectorize=True),
        J(lambda a, b: a * b, (x, x * 2), strategy="forward-mode", vectorize=True),
        J(lambda a: (a * 2, a.sum()), x, strategy="forward-mode", vectorize=True),
        J(lambda a: (a.sin(),), (x,), strategy="forward-mode", vectorize=True),
        H(lambda a: (a ** 3).sum() + a[0] * a[1], x, outer_jacobian_strategy="forward-mode", vectorize=True),
    ]
    errors = [_error(lambda: J(lambda a: a, x, strategy="forward-mode")),
              _error(lambda: J(lambda a: a, x, strategy="forward-mode", vectorize=True, create_graph=True))]
    return out, errors


def test_autograd_functional_forward_mode_matches_torch():
    ours, theirs = _forward_mode_jacobians(al), _forward_mode_jacobians(torch)
    assert ours[1] == theirs[1]
    for a, t in zip(ours[0], theirs[0]):
        assert type(a).__name__ == type(t).__name__ or isinstance(a, al.Tensor)
        assert_same(as_np(a), as_np(t))
