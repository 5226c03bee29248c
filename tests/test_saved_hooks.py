"""``torch.autograd.graph``: a module with Node, saved_tensors_hooks, save_on_cpu and
disable_saved_tensors_hooks; pack/unpack called as PyTorch 2.13 calls them (which tensors, in which
order, how often). The autograd mechanics notes' and the saved-tensors-hooks tutorial's examples run
in the corpus (tests/corpus/notes_autograd_mechanics.py, int_saved_tensors_hooks.py)."""
import types

import pytest
from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS, assert_values, prints_same  # noqa: E402


def test_graph_is_a_module_with_node():
    assert isinstance(A.autograd.graph, types.ModuleType)
    from autograd_lab.autograd.graph import Node, saved_tensors_hooks  # noqa: F401
    for L in LIBS:
        x = L.ones(2, requires_grad=True)
        y = (x * 2).sum()
        assert isinstance(y.grad_fn, L.autograd.graph.Node)
        assert issubclass(type(y.grad_fn), L.autograd.graph.Node)
        acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
        assert isinstance(acc, L.autograd.graph.Node)
        assert not isinstance(x, L.autograd.graph.Node)


def _log_hooks(log):
    def pack(t):
        log.append(("pack", t.tolist(), t.grad_fn.name() if t.grad_fn is not None else "leaf", t.requires_grad))
        return ("box", t)

    def unpack(p):
        log.append(("unpack", p[1].tolist()))
        return p[1]
    return pack, unpack


CASES = {
    "mul": lambda L, x, w, c, M, b: x * w, "mul_c": lambda L, x, w, c, M, b: x * c,
    "c_mul": lambda L, x, w, c, M, b: c * x, "mul_number": lambda L, x, w, c, M, b: x * 3,
    "div": lambda L, x, w, c, M, b: x / w, "div_c": lambda L, x, w, c, M, b: x / c,
    "div_number": lambda L, x, w, c, M, b: x / 3, "rdiv": lambda L, x, w, c, M, b: 3 / x,
    "pow": lambda L, x, w, c, M, b: x ** 2, "powt": lambda L, x, w, c, M, b: x ** w,
    "rpow": lambda L, x, w, c, M, b: 2 ** x, "log": lambda L, x, w, c, M, b: x.log(),
    "sin_cos": lambda L, x, w, c, M, b: x.sin().cos(), "tanh": lambda L, x, w, c, M, b: x.tanh(),
    "sigmoid": lambda L, x, w, c, M, b: x.sigmoid(), "relu": lambda L, x, w, c, M, b: x.relu(),
    "sqrt": lambda L, x, w, c, M, b: x.sqrt(), "mv": lambda L, x, w, c, M, b: M @ x,
    "mm": lambda L, x, w, c, M, b: M @ M.t(),
    "linear": lambda L, x, w, c, M, b: L.nn.functional.linear(x.view(1, 2), M, b),
    "mean": lambda L, x, w, c, M, b: (x * 2).mean(), "prod": lambda L, x, w, c, M, b: x.prod(),
    "max": lambda L, x, w, c, M, b: x.max(), "log_softmax": lambda L, x, w, c, M, b: x.log_softmax(0),
    "mse": lambda L, x, w, c, M, b: L.nn.functional.mse_loss(x, w), "abs": lambda L, x, w, c, M, b: x.abs(),
    "sub_add_neg": lambda L, x, w, c, M, b: -(x - w) + w, "index": lambda L, x, w, c, M, b: M[1],
    "clamp": lambda L, x, w, c, M, b: x.clamp(0, 1.5), "where": lambda L, x, w, c, M, b: L.where(c > 5, x, w),
    "norm": lambda L, x, w, c, M, b: x.norm(), "var": lambda L, x, w, c, M, b: x.var(),
    "gelu": lambda L, x, w, c, M, b: L.nn.functional.gelu(x), "square": lambda L, x, w, c, M, b: x.square(),
    "chain": lambda L, x, w, c, M, b: ((x * w).exp() * 3).sum(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_pack_and_unpack_calls_match_torch(name):
    logs = {}
    for L in LIBS:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0, 4.0], requires_grad=True)
        c = L.tensor([5.0, 6.0])
        M = L.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        b = L.tensor([0.5, 0.25, 0.125], requires_grad=True)
        log = []
        with L.autograd.graph.saved_tensors_hooks(*_log_hooks(log)):
            y = CASES[name](L, x, w, c, M, b)
        log.append("backward")
        y.sum().backward()
        logs[L] = (log, *(None if t.grad is None else [round(v, 5) for v in t.grad.tolist()] for t in (x, w)))
    # float32 last bits of exp may differ: compare the calls and the values to rounding
    mine, ref = logs[A], logs[torch]
    assert [e[0] if isinstance(e, tuple) else e for e in mine[0]] == [e[0] if isinstance(e, tuple) else e
                                                                    for e in ref[0]]
    for m, r in zip(mine[0], ref[0]):
        if isinstance(m, tuple):
            assert m[2:] == r[2:]
            assert repr(m[1]) == repr(r[1]) or abs(sum(_flat(m[1])) - sum(_flat(r[1]))) < 1e-5
    assert mine[1:] == ref[1:]


def _flat(v):
    if isinstance(v, list):
        return [y for x in v for y in _flat(x)]
    return [v]


def test_hook_semantics():
    out = {}
    for L in LIBS:
        log = []
        res = []
        a = L.ones(3, requires_grad=True)
        # nested: the innermost pair applies
        with L.autograd.graph.saved_tensors_hooks(lambda t: (log.append("outer"), t)[1], lambda t: t):
            with L.autograd.graph.saved_tensors_hooks(lambda t: (log.append("inner"), t)[1], lambda t: t):
                a.sin()
            a.cos()
        # reading _saved_self unpacks; each read unpacks again
        pack, unpack = _log_hooks(log)
        with L.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = a.sin()
        res.append(repr(y.grad_fn._saved_self))
        res.append(repr(y.grad_fn._saved_self))
        # with hooks the version is not checked: the packed copy is used
        x = L.ones(3, requires_grad=True)
        with L.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
            u = x * 1
            v = u.sin()
        u.mul_(2)
        v.sum().backward()
        res.append([round(g, 6) for g in x.grad.tolist()])
        # the packed object may be anything; unpack must give a tensor
        with L.autograd.graph.saved_tensors_hooks(lambda t: 1, lambda p: p):
            y = a.sin()
        try:
            y.sum().backward()
        except TypeError as e:
            res.append(str(e))
        # what unpack returns is what backward uses
        a.grad = None
        with L.autograd.graph.saved_tensors_hooks(lambda t: t * 0 + 5, lambda p: p):
            y = a * a
        y.sum().backward()
        res.append(a.grad.tolist())
        # freed after backward: unpack is not called, the usual error
        log.append("free")
        with L.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = (a * a).sum()
        y.backward()
        try:
            y.backward()
        except RuntimeError as e:
            res.append(str(e)[:60])
        # a function without grad saves nothing
        with L.autograd.graph.saved_tensors_hooks(pack, unpack):
            L.ones(2) * L.ones(2)
            with L.no_grad():
                a * a
        out[L] = (log, res)
    assert out[A] == out[torch]


def test_double_backward_through_hooks():
    res = {}
    for L in LIBS:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = (x ** 3).sum()
            z = (x.exp() * x).sum()
        g, = L.autograd.grad(y, x, create_graph=True)
        g.sum().backward()
        h, = L.autograd.grad(z, x, create_graph=True)
        h.sum().backward()
        res[L] = (g, x.grad)
    for m, r in zip(res[A], res[torch]):
        assert_values(m, r)
        assert repr(m.grad_fn is None) == repr(r.grad_fn is None)


def _custom(L):
    class F(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.save_for_backward(x, out)
            return out

        @staticmethod
        def backward(ctx, g):
            x, out = ctx.saved_tensors
            return g * 2
    return F


def test_custom_function_save_for_backward_goes_through_hooks():
    logs = {}
    for L in LIBS:
        log = []
        a = L.ones(3, requires_grad=True)
        with L.autograd.graph.saved_tensors_hooks(*_log_hooks(log)):
            o = _custom(L).apply(a)
        o.sum().backward()
        logs[L] = log
    assert logs[A] == logs[torch]


def test_save_on_cpu_and_disable():
    out = {}
    for L in LIBS:
        a = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = L.tensor([4.0, 5.0, 6.0], requires_grad=True) * 2
        with L.autograd.graph.save_on_cpu(pin_memory=False):
            y = (a * b).exp()
        y.sum().backward()
        res = [a.grad]
        try:
            with L.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
                with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass
        except RuntimeError as e:
            res.append(str(e))
        with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass  # enabled again after the block
        out[L] = res
    assert_values(out[A][0], out[torch][0])
    assert out[A][1:] == out[torch][1:] == ["no hooks here"]


MULTI = '''
a = torch.tensor([1., 2.], requires_grad=True)
b = torch.tensor([3., 4.], requires_grad=True)
c = torch.tensor([5.], requires_grad=True)
log = []
h = torch.autograd.graph.register_multi_grad_hook(
    (a, b, c), lambda grads: log.append(["None" if g is None else g.tolist() for g in grads]))
(a * b).sum().backward()
(a * 2 + b).sum().backward()
(c * 3).sum().backward()
y = (a * b).sum() + c.sum()
try:
    torch.autograd.grad(y, [a], retain_graph=True)
except RuntimeError as e:
    log.append(str(e))
h.remove()
y.backward()
h2 = torch.autograd.graph.register_multi_grad_hook((a, b), lambda g: log.append(g.tolist()), mode="any")
(a * b).sum().backward()
(b * 5).sum().backward()
h2.remove()
x, z = a * 1, b * 1
torch.autograd.graph.register_multi_grad_hook((x, z), lambda gs: log.append([g.tolist() for g in gs]))
(x * z).sum().backward()
try:
    torch.autograd.graph.register_multi_grad_hook((a,), print, mode="some")
except ValueError as e:
    log.append(str(e))
print(log)
'''


def test_register_multi_grad_hook_as_torch():
    prints_same(MULTI)


def test_leaf_hooks_run_in_autograd_grad():
    out = {}
    for L in LIBS:
        seen = []
        b = L.tensor([1.0, 2.0], requires_grad=True)
        b.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
        g, = L.autograd.grad((b * 2).sum(), [b])
        out[L] = (seen, g.tolist(), b.grad)
    assert out[A] == out[torch]


def test_register_multi_grad_hook_keeps_no_finished_pass_alive():
    """A multi-grad hook lives as long as its tensors; the backward passes it saw (and their graphs)
    must not: mode="any" remembers each pass it fired in, mode="all" a pass that reached only some."""
    import gc
    import weakref

    from autograd_lab import engine
    a = A.tensor([1.0], requires_grad=True)
    b = A.tensor([2.0], requires_grad=True)
    tasks = []
    real_init = engine.GraphTask.__init__

    def spy(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        tasks.append(weakref.ref(self))
    engine.GraphTask.__init__ = spy
    try:
        A.autograd.graph.register_multi_grad_hook((a, b), lambda g: None, mode="any")
        A.autograd.graph.register_multi_grad_hook((a, b), lambda gs: None)
        for _ in range(3):
            (a * b).sum().backward()
            (a * 2).sum().backward()   # reaches a only
    finally:
        engine.GraphTask.__init__ = real_init
    gc.collect()
    assert len(tasks) == 6 and all(t() is None for t in tasks)
