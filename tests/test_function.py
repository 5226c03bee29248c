"""Custom autograd Functions (autograd_lab.autograd.Function) against PyTorch 2.13's behaviour."""
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


def np_of(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.detach()._data)


def define(lib):
    """The same family of Functions, written once per library."""
    Fn = lib.autograd.Function
    ns = {}

    class Scale(Fn):
        @staticmethod
        def forward(ctx, x, k, y):
            ctx.save_for_backward(x, y)
            ctx.k = k
            ctx.seen_needs = ctx.needs_input_grad
            ctx.seen_grad_mode = lib.is_grad_enabled()
            return x * y * k

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y * ctx.k, None, g * x * ctx.k

    class Exp(Fn):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    class Square(Fn):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    class TooFew(Fn):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return (g,)

    class ExtraNones(Fn):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None, None

    class GradForNumber(Fn):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    class WrongShape(Fn):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:2]

    class Identity(Fn):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    class AddOne(Fn):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class SplitSign(Fn):
        @staticmethod
        def forward(ctx, x):
            mask = x > 0
            ctx.mark_non_differentiable(mask)
            return x * 2, x * 3, mask

        @staticmethod
        def backward(ctx, g1, g2, gmask):
            ctx.seen = (g1.tolist(), g2.tolist())
            return g1 * 2 + g2 * 3

    class Mul(Fn):
        @staticmethod
        def forward(x, w):
            return x * w

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            return g * w, g * x

    once_differentiable = (al.autograd.function.once_differentiable if lib is al
                           else torch.autograd.function.once_differentiable)

    class Once(Fn):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    for cls in (Scale, Exp, Square, TooFew, ExtraNones, GradForNumber, WrongShape, Identity, AddOne, SplitSign, Mul,
                Once):
        ns[cls.__name__] = cls
    return ns


FNS = {al: define(al), torch: define(torch)}


def both(fn):
    return fn(al, FNS[al]), fn(torch, FNS[torch])


def same_error(fn):
    errs = []
    for lib in (al, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                fn(lib, FNS[lib])
        errs.append(info.value)
    assert type(errs[0]).__name__ == type(errs[1]).__name__, errs
    assert str(errs[0]) == str(errs[1])


def names(node):
    return [None if n is None else n.name() for n, _ in node.next_functions]


def test_node_name_ctx_and_next_functions():
    def run(lib, F):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = lib.tensor([4.0, 5.0, 6.0])
        out = F["Scale"].apply(x, 2.0, y)
        node = out.grad_fn
        return (repr(out), node.name(), type(node).__name__, names(node), node.k, node.seen_needs,
                node.seen_grad_mode, F["Scale"]._backward_cls.__name__)
    a, t = both(run)
    assert a == t
    assert a[1] == "ScaleBackward"


def test_gradients_and_saved_tensors_match_torch():
    def run(lib, F):
        x = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
        y = lib.tensor([4.0, 5.0, 6.0], requires_grad=True)
        z = F["Exp"].apply(F["Scale"].apply(x, 0.5, y))
        z.sum().backward()
        return np_of(x.grad), np_of(y.grad), np_of(z)
    for a, t in zip(*both(run)):
        np.testing.assert_allclose(a, t, rtol=1e-6)


def test_saved_output_is_rebuilt_with_its_grad_fn():
    x = al.tensor([0.0, 1.0], requires_grad=True)
    out = FNS[al]["Exp"].apply(x)
    (saved,) = out.grad_fn.saved_tensors
    assert saved.grad_fn is out.grad_fn and saved.tolist() == out.tolist()


def test_freed_saved_tensors_error():
    def run(lib, F):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        out = F["Square"].apply(x)
        out.sum().backward()
        out.grad_fn.saved_tensors
    same_error(run)

    def twice(lib, F):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        out = F["Square"].apply(x).sum()
        out.backward()
        out.backward()
    same_error(twice)


def test_retain_graph_keeps_saved_tensors():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    out = FNS[al]["Square"].apply(x).sum()
    out.backward(retain_graph=True)
    out.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_modified_saved_tensor_error_matches_torch():
    def run(lib, F):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 1
        out = F["Square"].apply(h)
        h.add_(1)
        out.sum().backward()
    same_error(run)


@pytest.mark.parametrize("name,args", [("TooFew", (2.0,)), ("GradForNumber", (2.0,)), ("WrongShape", ())])
def test_backward_errors_match_torch(name, args):
    def run(lib, F):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        F[name].apply(x, *args).sum().backward()
    same_error(run)


def test_failed_custom_backward_changes_no_grad():
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        (FNS[al]["TooFew"].apply(x, 2.0).sum() + x.sum()).backward()
    assert x.grad is None


def test_extra_none_gradients_are_allowed():
    def run(lib, F):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        F["ExtraNones"].apply(x, 5).sum().backward()
        return x.grad.tolist()
    a, t = both(run)
    assert a == t == [2.0, 2.0]


def test_returning_an_input_gives_a_view_with_the_custom_node():
    def run(lib, F):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        out = F["Identity"].apply(x)
        info = (out is x, out._base is x, out.grad_fn.name(), out._version)
        out.sum().backward()
        return info + (x.grad.tolist(),)
    a, t = both(run)
    assert a == t


def test_mark_dirty():
    def run(lib, F):
        a = lib.ones(2, requires_grad=True)
        b = a * 1
        c = F["AddOne"].apply(b)
        info = (c is b, b.grad_fn.name(), b._version, names(b.grad_fn), b.tolist())
        c.sum().backward()
        return info + (a.grad.tolist(),)
    a, t = both(run)
    assert a == t

    def leaf(lib, F):
        F["AddOne"].apply(lib.ones(2, requires_grad=True))
    same_error(leaf)


def test_mark_non_differentiable_and_several_outputs():
    def run(lib, F):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        a, b, mask = F["SplitSign"].apply(x)
        info = (a.grad_fn is b.grad_fn, b.output_nr, mask.requires_grad, mask.grad_fn is None, mask.dtype)
        a.sum().backward()
        return info + (a.grad_fn.seen, x.grad.tolist())
    a, t = both(run)
    assert str(a) == str(t)


def test_setup_context_style():
    def run(lib, F):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor(3.0, requires_grad=True)
        out = F["Mul"].apply(x, w)
        out.sum().backward()
        return repr(out), x.grad.tolist(), w.grad.item()
    a, t = both(run)
    assert a == t


def test_double_backward_through_a_custom_backward():
    def run(lib, F):
        x = lib.tensor([3.0, 1.0], requires_grad=True)
        (g,) = lib.autograd.grad(F["Square"].apply(x).sum(), x, create_graph=True)
        info = (repr(g),)
        g.sum().backward()
        return info + (x.grad.tolist(),)
    a, t = both(run)
    assert a == t


def test_once_differentiable():
    def run(lib, F):
        x = lib.tensor([3.0, 1.0], requires_grad=True)
        (g,) = lib.autograd.grad(F["Once"].apply(x).sum(), x, create_graph=True)
        return repr(g), g.grad_fn is None
    a, t = both(run)
    assert a == t

    def again(lib, F):
        x = lib.tensor([3.0, 1.0], requires_grad=True)
        (g,) = lib.autograd.grad(F["Once"].apply(x).sum(), x, create_graph=True)
        g.sum().backward()
    same_error(again)


def test_no_graph_without_grad():
    def run(lib, F):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.no_grad():
            out = F["Square"].apply(x)
        y = F["Square"].apply(lib.tensor([1.0]))
        return out.requires_grad, out.grad_fn is None, y.requires_grad
    a, t = both(run)
    assert a == t == (False, True, False)


def test_old_style_function_errors_like_torch():
    def run(lib, F):
        class Old(lib.autograd.Function):
            def forward(self, x):
                return x

        Old()(lib.ones(1))
    same_error(run)
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        FNS[al]["Square"]()


def test_custom_node_in_the_engine_steps():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    out = FNS[al]["Square"].apply(x).sum()
    steps = list(al.autograd.backward_steps(out))
    assert [s.node.name() for s in steps] == ["SumBackward0", "SquareBackward", "torch::autograd::AccumulateGrad"]
    assert steps[1].freed == ["saved_tensors[0]"]


def test_save_for_backward_rejects_non_tensors_like_torch():
    def run(lib, F):
        class Saves(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, 3)
                return x

            @staticmethod
            def backward(ctx, g):
                return g
        Saves.apply(lib.ones(2, requires_grad=True))
    same_error(run)


def test_saved_none_and_intermediates():
    class Keeps(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            twice = x * 2
            ctx.save_for_backward(None, twice)
            return twice.exp()

        @staticmethod
        def backward(ctx, g):
            none, twice = ctx.saved_tensors
            assert none is None
            return g * twice.exp() * 2

    x = al.tensor([0.5, -1.0], requires_grad=True)
    Keeps.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * np.array([0.5, -1.0])), rtol=1e-6)
