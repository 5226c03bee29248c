"""Differential tests of the sequence-model layers against PyTorch 2.13: F.one_hot, F.embedding /
nn.Embedding, the RNN/GRU/LSTM cells and modules, F.scaled_dot_product_attention and
nn.MultiheadAttention (values, initial weights after manual_seed, reprs, grad_fn graphs, gradients,
error texts), plus finite-difference gradchecks in float64 of every new backward node.
"""
import numpy as np
import pytest
from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS, P, assert_same, assert_values, build, check, flat_tensors, raises_same, upstream  # noqa: E402
from autograd_lab.autograd import gradcheck, gradgradcheck  # noqa: E402

_rng = np.random.default_rng(15)


def X(*shape, dtype=np.float32, grad=True):
    return P(_rng.standard_normal(shape).astype(dtype), grad=grad)


def IDX(high, *shape):
    return P(_rng.integers(0, high, size=shape).astype(np.int64), grad=False)


def F(L):
    return L.nn.functional


def check_module(make, call, *args, seed=0, rtol=1e-5, atol=1e-6, dtype=None):
    """Build ``make(lib)`` in both libraries after ``manual_seed(seed)`` (same initial weights, same
    repr), run ``call(lib, module, *inputs)`` and compare outputs, graphs (parameters counted as
    leaves), and the gradients of parameters and inputs for one random upstream gradient."""
    mods, leaves, outs, initial = {}, {}, {}, {}
    for lib in LIBS:
        lib.manual_seed(seed)
        m = make(lib)
        if dtype == "double":
            m = m.double()
        mods[lib] = m
        leaves[lib] = [(P(np.zeros(0)), p) for _, p in m.named_parameters()]
        initial[lib] = [p.detach().clone() for _, p in m.named_parameters()]
        outs[lib] = call(lib, m, *build(lib, list(args), leaves[lib]))
    assert repr(mods[A]) == repr(mods[torch])
    names = {lib: [n for n, _ in mods[lib].named_parameters()] for lib in LIBS}
    assert names[A] == names[torch]
    for pm, pr in zip(initial[A], initial[torch]):
        assert_values(pm, pr, rtol=0, atol=0, what="initial parameter")
    assert_same(outs[A], outs[torch], rtol, atol, leaves[A], leaves[torch])
    diff = {lib: [t for t in flat_tensors(outs[lib]) if t.requires_grad] for lib in LIBS}
    if not diff[torch]:
        return outs
    gs = upstream(diff[torch])
    for lib in LIBS:
        sum((o * lib.tensor(g)).sum() for o, g in zip(diff[lib], gs)).backward()
    for i, ((p, m), (_, r)) in enumerate(zip(leaves[A], leaves[torch])):
        if r.grad is None:
            assert m.grad is None, f"grad of leaf {i}: expected None"
        else:
            assert m.grad is not None, f"grad of leaf {i} is None"
            assert_values(m.grad, r.grad, rtol, atol, f"grad of leaf {i}")
    return outs


# ---------------------------------------------------------------- one_hot
@pytest.mark.parametrize("args", [
    (P(np.array([0, 2, 1])),),
    (P(np.array([[0, 3], [1, 1]])), 5),
    (P(np.array(2)),),
    (P(np.zeros((0,), np.int64)), 3),
])
def test_one_hot(args):
    check(lambda L, *a: F(L).one_hot(*a), *args)


@pytest.mark.parametrize("args", [
    (P(np.array([-1, 2])),),
    (P(np.array([0, 5])), 3),
    (P(np.array([0, 1])), -2),
    (P(np.array([0, 1])), 0),
    (P(np.array([0.0, 1.0]), grad=False),),
    (P(np.array([0, 1], np.int32)),),
    (P(np.zeros((0,), np.int64)),),
    (P(np.zeros((0,), np.int64)), 0),
])
def test_one_hot_errors(args):
    raises_same(lambda L, *a: F(L).one_hot(*a), *args)


# ---------------------------------------------------------------- embedding
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 1}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_embedding_functional(kwargs):
    idx = P(np.array([[0, 1, 1], [4, 1, 2]]))
    check(lambda L, w, i: F(L).embedding(i, w, **kwargs), X(5, 3), idx, second=True)


def test_embedding_int32_and_0d_indices():
    check(lambda L, w, i: F(L).embedding(i, w), X(5, 3), P(np.array([3, 0, 3], np.int32)))
    check(lambda L, w, i: F(L).embedding(i, w), X(5, 3, dtype=np.float64), P(np.array(2)))


def test_embedding_max_norm_renormalises_the_rows_looked_up():
    w = P(_rng.standard_normal((6, 3)).astype(np.float32) * 3)

    def fn(L, w, i):
        with L.no_grad():
            w2 = w.clone()
        out = F(L).embedding(i, w2, max_norm=1.5)
        return out, w2

    check(fn, w, IDX(6, 4))


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"max_norm": 1.0},
                                    {"scale_grad_by_freq": True, "norm_type": 1.0}])
def test_embedding_module(kwargs):
    check_module(lambda L: L.nn.Embedding(10, 3, **kwargs), lambda L, m, i: m(i),
                 P(np.array([[1, 2, 4, 5], [4, 3, 2, 9]])))


def test_embedding_reprs():
    for kwargs in [{}, {"padding_idx": 0}, {"max_norm": 1.0, "norm_type": 3.0},
                   {"padding_idx": 0, "max_norm": 1.0, "scale_grad_by_freq": True, "sparse": True}]:
        assert repr(A.nn.Embedding(10, 3, **kwargs)) == repr(torch.nn.Embedding(10, 3, **kwargs))


def test_embedding_from_pretrained():
    w = _rng.standard_normal((4, 3)).astype(np.float32)
    for kwargs in [{}, {"freeze": False}, {"padding_idx": 1}]:
        mods = {lib: lib.nn.Embedding.from_pretrained(lib.tensor(w), **kwargs) for lib in LIBS}
        assert repr(mods[A]) == repr(mods[torch])
        assert mods[A].weight.requires_grad == mods[torch].weight.requires_grad
        assert_same(mods[A](A.tensor([3, 1])), mods[torch](torch.tensor([3, 1])))
    base = A.tensor(w)
    assert np.shares_memory(A.nn.Embedding.from_pretrained(base).weight._data, base._data)


@pytest.mark.parametrize("fn,args", [
    (lambda L, w, i: F(L).embedding(i, w), (X(5, 3), P(np.array([5])))),
    (lambda L, w, i: F(L).embedding(i, w), (X(5, 3), P(np.array([-1])))),
    (lambda L, w, i: F(L).embedding(i, w), (X(5, 3), P(np.array([1.0]), grad=False))),
    (lambda L, w, i: F(L).embedding(i, w), (X(5), P(np.array([1])))),
    (lambda L, w, i: F(L).embedding(i, w, padding_idx=5), (X(5, 3), P(np.array([1])))),
    (lambda L, w, i: F(L).embedding(i, w, padding_idx=-6), (X(5, 3), P(np.array([1])))),
    (lambda L, w, i: L.nn.Embedding(4, 3, padding_idx=4), (X(1), P(np.array([1])))),
    (lambda L, w, i: L.nn.Embedding(4, 3)(i), (X(1), P(np.array([[0, 4]])))),
    (lambda L, w, i: L.nn.Embedding.from_pretrained(w), (X(3), P(np.array([1])))),
])
def test_embedding_errors(fn, args):
    raises_same(fn, *args)


def test_embedding_gradcheck():
    w = A.randn(5, 3, dtype=A.float64, requires_grad=True)
    idx = A.tensor([[0, 1, 1], [4, 1, 2]])
    assert gradcheck(lambda w: F(A).embedding(idx, w), (w,))
    # padding_idx and scale_grad_by_freq change the gradient on purpose (it is no derivative any
    # more), but the backward node's own backward (in g) is still exact with padding_idx
    for kwargs in [{}, {"padding_idx": 1}]:
        assert gradgradcheck(lambda w: F(A).embedding(idx, w, **kwargs) ** 2, (w,))
