"""Behaviours issue 15 found wrong, against PyTorch 2.13: boxed_grads_call and vjp on custom
Functions, gradgradcheck's random grad_outputs (drawn from the PyTorch generator as PyTorch draws
them) and non-leaf inputs, requires_grad on non-leaves, mse_loss's dtype, autograd.grad's error order."""
import pytest
from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS, assert_values, raises_same  # noqa: E402


def _boxed(L, log):
    class F(L.autograd.Function):
        boxed_grads_call = True

        @staticmethod
        def forward(ctx, x, y):
            return x * y, x + y

        @staticmethod
        def backward(ctx, grads):
            log.append((type(grads).__name__, [g.tolist() for g in grads]))
            ga, gb = grads
            grads.clear()  # what the list is for: dropping grads early
            return ga * 2 + gb, ga + gb
    return F


def test_boxed_grads_call_passes_one_list():
    seen = {}
    for L in LIBS:
        log = []
        F = _boxed(L, log)
        x, y = L.ones(2, requires_grad=True), L.ones(2, requires_grad=True)
        a, b = F.apply(x, y)
        (a.sum() + 2 * b.sum()).backward()
        a, _ = F.apply(x, y)
        a.sum().backward()  # the unused output's grad arrives as zeros, inside the list
        seen[L] = (log, x.grad.tolist(), y.grad.tolist(), a.grad_fn.name(), F.boxed_grads_call)
    assert seen[A] == seen[torch]
    assert A.autograd.Function.boxed_grads_call is False


def _vjp_only(L, also_backward):
    class V(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def vjp(ctx, g):
            return g * 3
    if also_backward:
        class B(V):
            @staticmethod
            def backward(ctx, g):
                return g
        return B
    return V


def test_vjp_is_backward_by_another_name():
    for L in LIBS:
        x = L.ones(2, requires_grad=True)
        _vjp_only(L, False).apply(x).sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]
    raises_same(lambda L: _vjp_only(L, True).apply(L.ones(2, requires_grad=True)).sum().backward())


# ---- gradgradcheck ----
def _f(a, b):
    return (a ** 3 * b, a.sum() * b)


def test_gradgradcheck_draws_grad_outputs_as_torch():
    """The same random numbers are drawn in the same order, so what follows is the same too."""
    drawn = {}
    for L in LIBS:
        L.manual_seed(0)
        a = L.tensor([1.0, 2.0, 3.0], dtype=L.float64, requires_grad=True)
        b = L.tensor([0.5, -1.0, 2.0], dtype=L.float64, requires_grad=True)
        assert L.autograd.gradgradcheck(_f, (a, b))
        drawn[L] = (L.rand(5), L.randn(3))
    for mine, ref in zip(drawn[A], drawn[torch]):
        assert_values(mine, ref, rtol=0, atol=0)


def test_gradgradcheck_grad_outputs_values(monkeypatch):
    """The grad_outputs themselves: capture what reaches autograd.grad in each library."""
    captured = {}
    for L in LIBS:
        seen = []
        real = L.autograd.grad

        def spy(outputs, inputs, grad_outputs=None, **kw):
            if grad_outputs is not None and not seen:
                seen.append([g.detach().clone() for g in grad_outputs])
            return real(outputs, inputs, grad_outputs, **kw)
        monkeypatch.setattr(L.autograd, "grad", spy)
        L.manual_seed(5)
        a = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, dtype=L.float64)
        L.autograd.gradgradcheck(lambda x: (x * x, x.sum()), (a,), gen_non_contig_grad_outputs=True)
        monkeypatch.undo()
        captured[L] = seen[0]
    assert len(captured[A]) == len(captured[torch]) == 2
    for mine, ref in zip(captured[A], captured[torch]):
        assert_values(mine, ref, rtol=0, atol=0)


def test_gradgradcheck_on_a_non_leaf_input():
    for L in LIBS:
        x = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
        y = x * 2
        assert L.autograd.gradgradcheck(lambda a: a ** 3, (y,))
        assert L.autograd.gradcheck(lambda a: a ** 3, (y,))


def test_requires_grad_on_non_leaves():
    raises_same(lambda L: setattr(L.ones(2, requires_grad=True) * 2, "requires_grad", True))
    raises_same(lambda L: setattr(L.ones(2, requires_grad=True) * 2, "requires_grad", False))
    raises_same(lambda L: (L.ones(2, requires_grad=True) * 2).requires_grad_(False))
    for L in LIBS:
        y = L.ones(2, requires_grad=True) * 2
        assert y.requires_grad_() is y and y.requires_grad


# ---- mse_loss dtype ----
@pytest.mark.parametrize("dtypes", [("float32", "int64"), ("int64", "float32"), ("float32", "float64"),
                                    ("float16", "float32"), ("float32", "bool"), ("float64", "int32")])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_promotes_as_torch(dtypes, reduction):
    out = {}
    for L in LIBS:
        a = L.tensor([1.0, 2.0, 4.0], dtype=getattr(L, dtypes[0]))
        b = L.tensor([0, 1, 1], dtype=getattr(L, dtypes[1]))
        if a.is_floating_point() and dtypes[0] != "float16":
            a.requires_grad_()
        loss = L.nn.functional.mse_loss(a, b, reduction=reduction)
        out[L] = (loss, repr(loss), repr(L.nn.MSELoss(reduction=reduction)(a, b)))
        if a.requires_grad:
            loss.sum().backward()
            out[L] += (a.grad,)
    assert out[A][1:3] == out[torch][1:3]
    assert_values(out[A][0], out[torch][0])
    if len(out[torch]) > 3:
        assert_values(out[A][3], out[torch][3])


@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("int32", "int64"), ("bool", "bool")])
def test_mse_loss_of_integers_is_not_implemented(dtypes):
    raises_same(lambda L: L.nn.functional.mse_loss(L.ones(3, dtype=getattr(L, dtypes[0])),
                                                   L.zeros(3, dtype=getattr(L, dtypes[1]))))


# ---- autograd.grad reports the output first ----
@pytest.mark.parametrize("call", [
    lambda L: L.autograd.grad(L.ones(2) * 2, [L.ones(2)]),
    lambda L: L.autograd.grad(L.ones(2) * 2, [L.ones(2, requires_grad=True)]),
    lambda L: L.autograd.grad((L.ones(2, requires_grad=True) * 2).sum(), [L.ones(2)]),
    lambda L: L.autograd.grad([L.ones(1, requires_grad=True) * 2, L.ones(1)], [L.ones(1)]),
    lambda L: L.autograd.grad(L.ones(2, requires_grad=True) * 2, [L.ones(2)]),
])
def test_grad_error_order(call):
    raises_same(call)


def test_hook_order_leaf_tensor_hooks_before_prehooks_and_no_prehook_for_a_capture():
    """PyTorch runs a tensor's hooks (a leaf's included) before its node's pre-hooks, and a node that
    autograd.grad only captures gets its tensor hooks but not its pre-hooks (nor runs)."""
    def trace(T):
        order = []
        x = T.tensor([1., 2.], requires_grad=True)
        h = x * 3
        y = (h * h).sum()
        acc = h.grad_fn.next_functions[0][0]
        x.register_hook(lambda g: order.append("x hook") or g * 2)
        acc.register_prehook(lambda gs: order.append(f"acc prehook {gs[0].tolist()}"))
        h.grad_fn.register_prehook(lambda gs: order.append("h prehook"))
        h.register_hook(lambda g: order.append("h hook"))
        y.backward(retain_graph=True)
        order.append(f"x.grad {x.grad.tolist()}")
        (gh,) = T.autograd.grad(y, h, retain_graph=True)
        (gx,) = T.autograd.grad(y, x)
        return order + [gh.tolist(), gx.tolist()]
    assert trace(A) == trace(torch)
