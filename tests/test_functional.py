"""autograd_lab.autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) against PyTorch 2.13."""
import os
import warnings

import numpy as np
import pytest

if os.environ.get("CI") == "true":
    import torch  # in CI a missing torch is a failure, never a skip
else:
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for these tests (pip install torch==2.13.0)")
torch.set_num_threads(1)  # tiny tensors: extra threads only contend (and slow PyTorch down 50x under load)

import autograd_lab as al  # noqa: E402
from autograd_lab.autograd import functional as AFn  # noqa: E402

TFn = torch.autograd.functional
RNG = np.random.default_rng(3)


def fns(lib):
    return AFn if lib is al else TFn


def np_of(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.detach()._data)


def structure(x):
    """Nested tuples of ('T', shape, dtype, has grad_fn) - what the caller gets back."""
    if isinstance(x, (al.Tensor, torch.Tensor)):
        return ("T", tuple(x.shape), str(x.dtype), x.grad_fn is not None, x.requires_grad)
    assert isinstance(x, tuple), type(x)
    return tuple(structure(e) for e in x)


def flat(x):
    if isinstance(x, (al.Tensor, torch.Tensor)):
        return [np_of(x)]
    return [a for e in x for a in flat(e)]


def assert_same(a, t, rtol=1e-5, atol=1e-6):
    assert structure(a) == structure(t)
    for x, y in zip(flat(a), flat(t)):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)


def arrays(*shapes):
    return [RNG.standard_normal(s) for s in shapes]


def tensors(lib, arrs, grad=False):
    return tuple(lib.tensor(a.copy(), requires_grad=grad) for a in arrs)


# functions written once, run in either library
def f_exp_reducer(x):
    return x.exp().sum(dim=1)


def f_adder(x, y):
    return 2 * x + 3 * y


def f_two_outputs(x, y):
    return (x * y).sum(0), x.tanh()


def f_scalar(x):
    return (x.pow(3) * x.sin()).sum()


def f_scalar2(x, y):
    return (2 * x.pow(2)).sum() * y.sum() + (3 * y.pow(3)).sum()


def f_linear(x):
    return x * 3


CASES_JAC = [
    (f_exp_reducer, (3, 4)),
    (f_adder, (2,), (2,)),
    (f_two_outputs, (2, 3), (2, 3)),
    (f_scalar, (3,)),
]


def _args(shapes, as_tuple):
    arrs = arrays(*shapes)
    return lambda lib, grad=False: tensors(lib, arrs, grad) if as_tuple else tensors(lib, arrs, grad)[0]


@pytest.mark.parametrize("case", CASES_JAC, ids=lambda c: c[0].__name__)
@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian(case, create_graph):
    fn, *shapes = case
    make = _args(shapes, as_tuple=len(shapes) > 1)
    a = AFn.jacobian(fn, make(al), create_graph=create_graph)
    t = TFn.jacobian(fn, make(torch), create_graph=create_graph)
    assert_same(a, t)


def test_jacobian_single_input_given_as_tuple():
    arr = arrays((3,))
    a = AFn.jacobian(lambda x: x.exp(), tensors(al, arr))
    t = TFn.jacobian(lambda x: x.exp(), tensors(torch, arr))
    assert_same(a, t)


@pytest.mark.parametrize("fn,shapes", [(f_scalar, [(3,)]), (f_scalar2, [(2,), (3,)])])
@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian(fn, shapes, create_graph):
    make = _args(shapes, as_tuple=len(shapes) > 1)
    assert_same(AFn.hessian(fn, make(al), create_graph=create_graph),
                TFn.hessian(fn, make(torch), create_graph=create_graph))


@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp(create_graph):
    x, v = arrays((4, 4), (4,))
    assert_same(AFn.vjp(f_exp_reducer, al.tensor(x), al.tensor(v), create_graph=create_graph),
                TFn.vjp(f_exp_reducer, torch.tensor(x), torch.tensor(v), create_graph=create_graph))
    x, y, v = arrays((2,), (2,), (2,))
    assert_same(AFn.vjp(f_adder, (al.tensor(x), al.tensor(y)), al.tensor(v), create_graph=create_graph),
                TFn.vjp(f_adder, (torch.tensor(x), torch.tensor(y)), torch.tensor(v), create_graph=create_graph))
    assert_same(AFn.vjp(f_scalar, al.tensor(x)), TFn.vjp(f_scalar, torch.tensor(x)))


@pytest.mark.parametrize("create_graph", [False, True])
def test_jvp(create_graph):
    x, v = arrays((4, 4), (4, 4))
    assert_same(AFn.jvp(f_exp_reducer, al.tensor(x), al.tensor(v), create_graph=create_graph),
                TFn.jvp(f_exp_reducer, torch.tensor(x), torch.tensor(v), create_graph=create_graph))
    x, y, vx, vy = arrays((2, 3), (2, 3), (2, 3), (2, 3))
    assert_same(AFn.jvp(f_two_outputs, (al.tensor(x), al.tensor(y)), (al.tensor(vx), al.tensor(vy)),
                        create_graph=create_graph),
                TFn.jvp(f_two_outputs, (torch.tensor(x), torch.tensor(y)), (torch.tensor(vx), torch.tensor(vy)),
                        create_graph=create_graph))


@pytest.mark.parametrize("name", ["hvp", "vhp"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_hvp_vhp(name, create_graph):
    x, v = arrays((3,), (3,))
    assert_same(getattr(AFn, name)(f_scalar, al.tensor(x), al.tensor(v), create_graph=create_graph),
                getattr(TFn, name)(f_scalar, torch.tensor(x), torch.tensor(v), create_graph=create_graph))
    x, y, vx, vy = arrays((2,), (3,), (2,), (3,))
    assert_same(getattr(AFn, name)(f_scalar2, (al.tensor(x), al.tensor(y)), (al.tensor(vx), al.tensor(vy)),
                                   create_graph=create_graph),
                getattr(TFn, name)(f_scalar2, (torch.tensor(x), torch.tensor(y)), (torch.tensor(vx), torch.tensor(vy)),
                                   create_graph=create_graph))


def test_hvp_equals_hessian_times_v():
    x, v = arrays((3,), (3,))
    H = AFn.hessian(f_scalar, al.tensor(x))
    _, hv = AFn.hvp(f_scalar, al.tensor(x), al.tensor(v))
    np.testing.assert_allclose(np_of(H) @ v, np_of(hv), rtol=1e-10)


def test_create_graph_keeps_the_link_to_the_inputs():
    for lib in (al, torch):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        _, g = fns(lib).vjp(lambda x: (x ** 3).sum(), x, create_graph=True)
        g.sum().backward()
        assert x.grad.tolist() == [6.0, 12.0]


def test_independent_inputs_give_zeros_or_strict_errors():
    def indep(x, y):
        return x * 2

    for lib in (al, torch):
        x, y = lib.ones(2, dtype=lib.float64), lib.ones(2, dtype=lib.float64)
        jac = fns(lib).jacobian(indep, (x, y))
        assert np_of(jac[1]).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    _same_error(lambda lib: fns(lib).jacobian(indep, (lib.ones(2), lib.ones(2)), strict=True))
    _same_error(lambda lib: fns(lib).vjp(indep, (lib.ones(2), lib.ones(2)), lib.ones(2), strict=True))
    _same_error(lambda lib: fns(lib).hessian(f_linear_sum, lib.ones(2), strict=True))
    _same_error(lambda lib: fns(lib).vjp(lambda x: lib.ones(2), lib.ones(2), lib.ones(2), strict=True))


def f_linear_sum(x):
    return (x * 3).sum()


def _same_error(fn):
    errs = []
    for lib in (al, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                fn(lib)
        errs.append(info.value)
    assert type(errs[0]).__name__ == type(errs[1]).__name__, errs
    assert str(errs[0]) == str(errs[1])


@pytest.mark.parametrize("case", [
    lambda lib: fns(lib).vjp(f_exp_reducer, lib.ones(2, 2)),
    lambda lib: fns(lib).vjp(f_exp_reducer, lib.ones(2, 2), lib.ones(3)),
    lambda lib: fns(lib).vjp(f_adder, (lib.ones(2), lib.ones(2)), (lib.ones(2), lib.ones(2))),
    lambda lib: fns(lib).jvp(f_adder, (lib.ones(2), lib.ones(2)), (lib.ones(2),)),
    lambda lib: fns(lib).jvp(f_adder, (lib.ones(2), lib.ones(2)), (lib.ones(2), lib.ones(3))),
    lambda lib: fns(lib).jvp(f_exp_reducer, lib.ones(2, 2)),
    lambda lib: fns(lib).jacobian(f_exp_reducer, [lib.ones(2, 2)]),
    lambda lib: fns(lib).jacobian(f_exp_reducer, (lib.ones(2, 2), 3)),
    lambda lib: fns(lib).jacobian(lambda x: 3, lib.ones(2)),
    lambda lib: fns(lib).hessian(f_exp_reducer, lib.ones(2, 2)),
    lambda lib: fns(lib).hessian(f_two_outputs, (lib.ones(2), lib.ones(2))),
    lambda lib: fns(lib).hvp(f_exp_reducer, lib.ones(2, 2), lib.ones(2, 2)),
    lambda lib: fns(lib).vhp(f_scalar, lib.ones(2)),
    lambda lib: fns(lib).jacobian(f_scalar, lib.ones(2), strategy="sideways"),
], ids=lambda f: "")
def test_errors_match_torch(case):
    _same_error(case)


def test_inputs_are_not_modified_and_results_detached():
    for lib in (al, torch):
        x = lib.ones(2, requires_grad=True)
        out, g = fns(lib).vjp(lambda x: (x * x).sum(), x)
        assert out.grad_fn is None and g.grad_fn is None and not g.requires_grad
        assert x.grad is None
