"""The engine: order of execution, hooks, step records, freeing, rollback, higher order, depth."""
import gc
import os
import sys
import weakref

import numpy as np
import pytest

import autograd_lab as lab
from autograd_lab.autograd import backward_steps
from oracle import import_torch

torch = import_torch()


def _graphs(m):
    """The same graphs built with either library ``m``; each returns (loss, leaves)."""
    def two_branches():
        a = m.tensor([1., 2.], requires_grad=True)
        b = m.tensor([3., 4.], requires_grad=True)
        return (b * 3).sum() + (a * 2).sum(), [a, b]

    def diamond():
        x = m.tensor([0.5, -1., 2.], requires_grad=True)
        y = x.exp()
        return ((y * x) + y.sin()).mean(), [x]

    def shared_leaf():
        w = m.tensor([[1., 2.], [3., 4.]], requires_grad=True)
        v = m.tensor([1., -1.], requires_grad=True)
        h = (w @ v).tanh()
        return (h * h).sum() + (w * w).sum() + v.sum(), [w, v]

    def mlp():
        x = m.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
        w1 = m.tensor(np.linspace(-0.5, 0.5, 15, dtype=np.float32).reshape(3, 5), requires_grad=True)
        w2 = m.tensor(np.linspace(0.3, -0.3, 5, dtype=np.float32).reshape(5, 1), requires_grad=True)
        b = m.tensor([0.1], requires_grad=True)
        out = (x @ w1).relu() @ w2 + b
        return out.sigmoid().log().neg().mean(), [w1, w2, b]

    return [two_branches, diamond, shared_leaf, mlp]


@pytest.mark.parametrize("k", range(4))
def test_step_order_matches_torch(k):
    torch_loss, _ = _graphs(torch)[k]()
    order = []
    seen, stack = set(), [torch_loss.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        n.register_prehook(lambda g, n=n: order.append(n.name()))
        stack.extend(f for f, _ in n.next_functions)
    torch_loss.backward()

    loss, _ = _graphs(lab)[k]()
    ours = [s.node.name() for s in backward_steps(loss)]
    assert ours == order


@pytest.mark.parametrize("k", range(4))
def test_gradients_match_torch(k):
    tl, tleaves = _graphs(torch)[k]()
    tl.backward()
    loss, leaves = _graphs(lab)[k]()
    loss.backward()
    for ours, theirs in zip(leaves, tleaves):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_hooks_fire_in_torch_order():
    def run(m):
        order = []
        a = m.tensor([1., 2.], requires_grad=True)
        b = m.tensor([3., 4.], requires_grad=True)
        a.register_hook(lambda g: order.append("a"))
        b.register_hook(lambda g: order.append("b"))
        ba, aa = b * 3, a * 2
        ba.register_hook(lambda g: order.append("b*3"))
        aa.register_hook(lambda g: order.append("a*2"))
        (ba.sum() + aa.sum()).backward()
        return order
    assert run(lab) == run(torch) == ["a*2", "a", "b*3", "b"]


def test_step_records_describe_each_node():
    x = lab.tensor([1., 2.], requires_grad=True)
    y = x * 3
    loss = y.sum()
    steps = list(backward_steps(loss))
    assert [s.node.name() for s in steps] == ["SumBackward0", "MulBackward0", "torch::autograd::AccumulateGrad"]
    assert [s.index for s in steps] == [0, 1, 2]
    assert steps[0].grad_in[0].item() == 1.0
    assert steps[0].grad_out[0].tolist() == [1.0, 1.0]
    assert steps[1].grad_out[0].tolist() == [3.0, 3.0] and steps[1].grad_out[1] is None
    assert steps[1].freed == ["other"]  # x is not saved: only the factor its gradient needs
    assert steps[2].accumulated[0][0] is x
    assert x.grad.tolist() == [3.0, 3.0]


def test_stepping_is_lazy_and_leaves_grow_step_by_step():
    x = lab.tensor([1., 2.], requires_grad=True)
    loss = (x * x).sum() + x.sum()
    gen = backward_steps(loss)
    next(gen)
    assert x.grad is None  # nothing reached the leaf yet
    for step in gen:
        pass
    assert x.grad.tolist() == [3.0, 5.0]


def test_grad_mode_is_not_changed_between_steps():
    x = lab.tensor([1., 2.], requires_grad=True)
    gen = backward_steps((x * 2).sum())
    next(gen)
    assert lab.is_grad_enabled()
    assert (x * 2).requires_grad


def test_second_backward_raises_torch_error_and_keeps_grads():
    def run(m):
        x = m.ones(2, 2, requires_grad=True)
        out = ((x + 2) * (x + 2) * 3).mean()
        out.backward()
        before = x.grad.clone()
        with pytest.raises(RuntimeError) as e:
            out.backward()
        assert np.array_equal(x.grad.numpy(), before.numpy())
        return str(e.value)
    assert run(lab) == run(torch)


def test_failed_backward_changes_no_grad():
    a = lab.ones(2, requires_grad=True)
    b = lab.ones(2, requires_grad=True)
    (a * 2 + b).sum().backward()
    a_grad, b_grad = a.grad, b.grad
    before = a.grad.tolist(), b.grad.tolist()
    c = a * 3

    def boom(g):
        raise ValueError("boom")
    c.register_hook(boom)
    # b's AccumulateGrad runs before the hook raises: it must be undone
    with pytest.raises(ValueError, match="boom"):
        (c + b * 5).sum().backward()
    assert (a.grad.tolist(), b.grad.tolist()) == before
    assert a.grad is a_grad and b.grad is b_grad


def test_failed_backward_restores_none_grads():
    a = lab.ones(2, requires_grad=True)
    b = lab.ones(2, requires_grad=True)
    c = a * 3
    c.register_hook(lambda g: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        (c + b * 5).sum().backward()
    assert a.grad is None and b.grad is None


def test_engine_error_carries_the_node():
    x = lab.ones(3, requires_grad=True)
    y = x.exp()
    z = (y * 2).sum()
    y.add_(1)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0") as e:
        z.backward()
    assert e.value.autograd_node.name() == "ExpBackward0"  # the node whose saved output went stale


def test_retain_graph_allows_second_backward():
    x = lab.tensor([1., 2.], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_create_graph_second_and_third_derivative():
    def run(m):
        x = m.tensor([0.5, 1.5], requires_grad=True)
        y = (x ** 3 + x.sin()).sum()
        g, = m.autograd.grad(y, x, create_graph=True)
        gg, = m.autograd.grad(g.sum(), x, create_graph=True)
        ggg, = m.autograd.grad(gg.sum(), x)
        return [t.detach().numpy().copy() for t in (g, gg, ggg)], g.grad_fn.name()
    ours, theirs = run(lab), run(torch)
    for a, b in zip(ours[0], theirs[0]):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    assert ours[1] == theirs[1]


def test_backward_create_graph_makes_grad_differentiable():
    x = lab.tensor([2.0], requires_grad=True)
    (x ** 2).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None
    x.grad.sum().backward()
    assert x.grad.tolist() == [6.0]  # 2x + 2 accumulated into the same leaf


def test_autograd_grad_leaves_dot_grad_alone_and_reports_unused():
    def run(m):
        x = m.ones(3, requires_grad=True)
        z = m.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            m.autograd.grad((x * 2).sum(), [x, z])
        gx, gz = m.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
        return str(e.value), gx.tolist(), gz, x.grad
    assert run(lab) == run(torch)


def test_grad_wrt_intermediate():
    def run(m):
        x = m.tensor([1., 2., 3.], requires_grad=True)
        y = x * 2
        z = (y * y).sum()
        return m.autograd.grad(z, y)[0].tolist(), x.grad
    assert run(lab) == run(torch)


def test_backward_inputs_only_accumulates_there():
    def run(m):
        a = m.ones(2, requires_grad=True)
        b = m.ones(2, requires_grad=True)
        (a * b * 3).sum().backward(inputs=[a])
        return a.grad.tolist(), b.grad
    assert run(lab) == run(torch)


def test_node_hooks_and_prehooks():
    def run(m):
        seen = []
        x = m.tensor([1., 2.], requires_grad=True)
        y = x * 3
        y.grad_fn.register_prehook(lambda go: seen.append(("pre", go[0].tolist())))
        y.grad_fn.register_hook(lambda gi, go: seen.append(("post", gi[0].tolist(), go[0].tolist())))
        y.sum().backward()
        return seen, x.grad.tolist()
    assert run(lab) == run(torch)


def test_hook_handle_remove_and_retain_grad():
    def run(m):
        x = m.ones(3, requires_grad=True)
        h = x.register_hook(lambda g: g * 10)
        (x * 2).sum().backward()
        first = x.grad.tolist()
        h.remove()
        y = x * 2
        y.retain_grad()
        (y * y).sum().backward()
        return first, x.grad.tolist(), y.grad.tolist(), y.retains_grad
    assert run(lab) == run(torch)


def test_gradient_dtype_is_cast_to_the_tensor_dtype():
    def run(m):
        x = m.tensor([1., 2., 3.], requires_grad=True)
        y = x * 3
        y.backward(m.tensor([0.1, 1.0, 0.0001], dtype=float))
        return x.grad.dtype is m.float32, x.grad.tolist()
    ours, theirs = run(lab), run(torch)
    assert ours[0] and theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


def test_deep_chain_runs_without_recursion():
    depth = 100_000
    assert depth > sys.getrecursionlimit() * 10
    x = lab.ones(1, requires_grad=True)
    y = x
    for _ in range(depth):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None


def test_observers_see_steps_and_cost_nothing_when_absent():
    from autograd_lab import engine
    events = []
    before = list(engine._listeners)   # GradWatches made by earlier tests may still be listening
    remove = engine.add_listener(lambda ev, payload: events.append(ev))
    try:
        x = lab.ones(2, requires_grad=True)
        (x * 2).sum().backward()
    finally:
        remove()
    assert events == ["step", "step", "accumulate", "step", "done"]
    assert engine._listeners == before


def test_grad_mode_is_thread_local():
    import threading
    seen = []
    with lab.no_grad():
        t = threading.Thread(target=lambda: seen.append(lab.is_grad_enabled()))
        t.start()
        t.join()
        assert not lab.is_grad_enabled()
    assert seen == [True]


def test_backward_create_graph_warns_once_as_pytorch(monkeypatch):
    """backward(create_graph=True) warns once per process about the parameter <-> .grad cycle, with
    PyTorch's text (PyTorch appends where in its C++ it was raised); autograd.grad does not warn."""
    import subprocess
    import warnings

    import_torch()
    probe = ("import torch, warnings\n"
             "with warnings.catch_warnings(record=True) as w:\n"
             "    warnings.simplefilter('always')\n"
             "    for _ in range(2):\n"
             "        x = torch.tensor(2., requires_grad=True)\n"
             "        torch.autograd.grad(x ** 3, x, create_graph=True)\n"
             "        (x ** 3).backward(create_graph=True)\n"
             "print(len(w)); print(w[0].category.__name__); print(str(w[0].message))\n")
    count, category, message = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                              check=True).stdout.splitlines()[:3]
    monkeypatch.setattr(lab.autograd, "_warned_create_graph", [False])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(2):
            x = lab.tensor(2., requires_grad=True)
            lab.autograd.grad(x ** 3, x, create_graph=True)
            (x ** 3).backward(create_graph=True)
    assert (str(len(w)), w[0].category.__name__) == (count, category)
    assert message.startswith(str(w[0].message) + " (Triggered internally at ")


@pytest.mark.parametrize("make", [
    "torch.ones(2, 3)", "torch.ones(2, 3).t()", "torch.ones(2, 3, 4).permute(2, 0, 1)",
    "torch.ones(3).expand(2, 3)", "torch.arange(12.).view(3, 4)[:, 1::2]", "torch.tensor(1.)",
    "torch.ones(2, 3, requires_grad=True).t() @ torch.ones(2, 4)", "torch.ones(0, 3)",
    "torch.ones(2, 3).t().clone()", "torch.ones(2, 3).t().clone(memory_format=torch.contiguous_format)",
    "torch.ones(2, 3).t().clone(memory_format=torch.preserve_format)", "torch.ones(3).expand(2, 3).clone()",
])
def test_stride_as_pytorch(make):
    torch = import_torch()
    ours, theirs = eval(make, {"torch": lab}), eval(make, {"torch": torch})
    assert ours.stride() == theirs.stride()
    if ours.dim():
        assert ours.stride(-1) == theirs.stride(-1)


@pytest.mark.parametrize("expr", ["x.std()", "x.var()", "x2.var(0)", "x2.std(0, keepdim=True)"])
def test_degrees_of_freedom_warning_as_pytorch(expr):
    """var/std over a single element warn with PyTorch's words (NumPy's own RuntimeWarning stays
    inside), at the user's line; the value is NaN in both."""
    import warnings
    torch = import_torch()
    got = {}
    for L in (lab, torch):
        env = {"x": L.tensor([0.5], requires_grad=True), "x2": L.tensor([[1., 2.]])}
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            value = eval(expr, env)
        got[L] = ([(x.category.__name__, str(x.message).split(" (Triggered internally")[0]) for x in w],
                  value.detach().numpy().tolist())
        if L is lab:  # attributed to the caller's code (here the eval'd string), not to autograd_lab
            package = os.path.dirname(lab.__file__)
            assert not any(x.filename.startswith(package) for x in w), [x.filename for x in w]
    assert repr(got[lab]) == repr(got[torch])
