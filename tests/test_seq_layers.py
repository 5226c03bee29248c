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
# both libraries warn once per process that a projected LSTM is not fused (checked in its own test)
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")


@pytest.fixture(autouse=True)
def _fresh_rng():
    """Inputs drawn inside a test do not depend on which tests ran before it."""
    global _rng
    _rng = np.random.default_rng(15)


def X(*shape, dtype=np.float32, grad=True):
    return P(_rng.standard_normal(shape).astype(dtype), grad=grad)


def IDX(high, *shape):
    return P(_rng.integers(0, high, size=shape).astype(np.int64), grad=False)


def F(L):
    return L.nn.functional


def check_module(make, call, *args, seed=0, rtol=1e-5, atol=1e-6, dtype=None, exact=False):
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
    # reprs are compared only for exact results (a lookup): sums of float32 products round differently
    # in another order (BLAS, PyTorch's fused oneDNN LSTM), and the 5th printed digit of a value near 0
    # can then differ; the graph and the values (to rtol/atol) are always compared
    assert_same(outs[A], outs[torch], rtol, atol, leaves[A], leaves[torch], check_repr=exact)
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
                 P(np.array([[1, 2, 4, 5], [4, 3, 2, 9]])), exact="max_norm" not in kwargs)


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


# ---------------------------------------------------------------- recurrent cells
CELLS = [
    ("rnn", lambda L: L.nn.RNNCell(4, 3)),
    ("rnn_relu_nobias", lambda L: L.nn.RNNCell(4, 3, bias=False, nonlinearity="relu")),
    ("gru", lambda L: L.nn.GRUCell(4, 3)),
    ("gru_nobias", lambda L: L.nn.GRUCell(4, 3, bias=False)),
    ("lstm", lambda L: L.nn.LSTMCell(4, 3)),
    ("lstm_nobias", lambda L: L.nn.LSTMCell(4, 3, bias=False)),
]


@pytest.mark.parametrize("name,make", CELLS)
@pytest.mark.parametrize("shape", [(2, 4), (4,)])
def test_cell_default_state(name, make, shape):
    check_module(make, lambda L, m, x: m(x), X(*shape))


@pytest.mark.parametrize("name,make", CELLS)
def test_cell_given_state(name, make):
    state = (X(2, 3), X(2, 3)) if name.startswith("lstm") else X(2, 3)
    check_module(make, lambda L, m, x, s: m(x, s), X(2, 4), state)


@pytest.mark.parametrize("name,make", CELLS[::2])
def test_cell_unbatched_state_float64(name, make):
    state = (X(3, dtype=np.float64), X(3, dtype=np.float64)) if name == "lstm" else X(3, dtype=np.float64)
    check_module(make, lambda L, m, x, s: m(x, s), X(4, dtype=np.float64), state, dtype="double")


def test_cell_reprs():
    for make in [lambda L: L.nn.RNNCell(4, 3), lambda L: L.nn.RNNCell(4, 3, bias=False, nonlinearity="relu"),
                 lambda L: L.nn.GRUCell(5, 2, bias=False), lambda L: L.nn.LSTMCell(1, 7)]:
        assert repr(make(A)) == repr(make(torch))


def _cell(kind):
    return {"rnn": lambda L: L.nn.RNNCell(4, 3), "gru": lambda L: L.nn.GRUCell(4, 3),
            "lstm": lambda L: L.nn.LSTMCell(4, 3), "bad": lambda L: L.nn.RNNCell(4, 3, nonlinearity="foo")}[kind]


@pytest.mark.parametrize("kind,args", [
    ("rnn", (X(2, 5),)), ("gru", (X(2, 5),)), ("lstm", (X(2, 5),)),
    ("rnn", (X(2, 4), X(3, 3))), ("rnn", (X(2, 4), X(2, 2))), ("gru", (X(4), X(1, 3))),
    ("rnn", (X(1, 2, 4),)), ("gru", (X(2, 4), X(1, 2, 3))), ("rnn", (X(5),)),
    ("lstm", (X(2, 4), (X(2, 3),))), ("lstm", (X(2, 4), (X(2, 3), X(2, 2)))), ("lstm", (X(2, 4), (X(2, 3), X(1, 2, 3)))),
    ("lstm", (X(3, 2, 4),)), ("bad", (X(2, 4),)),
])
def test_cell_errors(kind, args):
    raises_same(lambda L, *a: _cell(kind)(L)(*a), *args)


# ---------------------------------------------------------------- recurrent modules
MODULES = [
    ("rnn", lambda L: L.nn.RNN(4, 3)),
    ("rnn_relu_2layers", lambda L: L.nn.RNN(4, 3, 2, "relu")),
    ("rnn_bidir_batch_first_2layers", lambda L: L.nn.RNN(4, 3, num_layers=2, batch_first=True, bidirectional=True)),
    ("gru", lambda L: L.nn.GRU(4, 3)),
    ("gru_nobias_bidir", lambda L: L.nn.GRU(4, 3, bias=False, bidirectional=True)),
    ("gru_batch_first_2layers", lambda L: L.nn.GRU(4, 3, num_layers=2, batch_first=True)),
    ("lstm", lambda L: L.nn.LSTM(4, 3)),
    ("lstm_batch_first", lambda L: L.nn.LSTM(4, 3, batch_first=True)),
    ("lstm_nobias_bidir_2layers", lambda L: L.nn.LSTM(4, 3, num_layers=2, bias=False, bidirectional=True)),
    ("lstm_proj_bidir_2layers", lambda L: L.nn.LSTM(4, 5, num_layers=2, bidirectional=True, proj_size=3)),
]


@pytest.mark.parametrize("name,make", MODULES)
def test_module_default_state(name, make):
    check_module(make, lambda L, m, x: m(x), X(5, 2, 4), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,make", MODULES)
def test_module_given_state(name, make):
    layers = (2 if "2layers" in name else 1) * (2 if "bidir" in name else 1)
    if name.startswith("lstm"):
        state = (X(layers, 2, 3), X(layers, 2, 5 if "proj" in name else 3))
    else:
        state = X(layers, 2, 3)
    check_module(make, lambda L, m, x, s: m(x, s), X(2, 2, 4), state, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,make", MODULES[::3])
def test_module_unbatched(name, make):
    check_module(make, lambda L, m, x: m(x), X(3, 4), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,make", [MODULES[2], MODULES[5], MODULES[8], MODULES[9]])
def test_module_float64_composed(name, make):
    # a float64 LSTM is composed of its cell's nodes on PyTorch's CPU too (no oneDNN kernel)
    check_module(make, lambda L, m, x: m(x), X(3, 2, 4, dtype=np.float64), dtype="double")


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_module_dropout_between_layers_draws_like_torch(kind):
    check_module(lambda L: getattr(L.nn, kind)(4, 3, num_layers=3, dropout=0.4), lambda L, m, x: m(x), X(4, 2, 4),
                 rtol=1e-4, atol=1e-5)


def test_module_reprs_and_parameter_names():
    for make in [lambda L: L.nn.RNN(4, 3), lambda L: L.nn.RNN(4, 3, nonlinearity="relu"),
                 lambda L: L.nn.GRU(4, 3, num_layers=3, dropout=0.5),
                 lambda L: L.nn.LSTM(4, 3, 2, bias=False, batch_first=True, bidirectional=True),
                 lambda L: L.nn.LSTM(4, 3, 2, proj_size=2, bidirectional=True)]:
        with _nowarn():
            m_a, m_t = make(A), make(torch)
        assert repr(m_a) == repr(m_t)
        assert [n for n, _ in m_a.named_parameters()] == [n for n, _ in m_t.named_parameters()]
        assert [[tuple(w.shape) for w in ws] for ws in m_a.all_weights] == \
               [[tuple(w.shape) for w in ws] for ws in m_t.all_weights]


class _nowarn:
    def __enter__(self):
        import warnings
        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_module_dropout_with_one_layer_warns_like_torch():
    msgs = {}
    for lib in LIBS:
        with pytest.warns(UserWarning) as rec:
            lib.nn.GRU(4, 3, dropout=0.2)
        msgs[lib] = [str(w.message) for w in rec]
    assert msgs[A] == msgs[torch]


@pytest.mark.parametrize("fn,args", [
    (lambda L, x: L.nn.RNN(4, 3)(x), (X(5, 2, 5),)),
    (lambda L, x: L.nn.GRU(4, 3)(x), (X(2, 5, 2, 4),)),
    (lambda L, x: L.nn.RNN(4, 3)(x), (X(5),)),
    (lambda L, x: L.nn.LSTM(4, 3)(x), (X(5),)),
    (lambda L, x, h: L.nn.RNN(4, 3)(x, h), (X(5, 2, 4), X(2, 3))),
    (lambda L, x, h: L.nn.GRU(4, 3)(x, h), (X(5, 4), X(1, 2, 3))),
    (lambda L, x, h: L.nn.RNN(4, 3, batch_first=True)(x, h), (X(5, 2, 4), X(1, 2, 3))),
    (lambda L, x, h: L.nn.GRU(4, 3, bidirectional=True)(x, h), (X(5, 2, 4), X(1, 2, 3))),
    (lambda L, x, h, c: L.nn.LSTM(4, 3)(x, (h, c)), (X(5, 2, 4), X(1, 2, 3), X(2, 3))),
    (lambda L, x, h, c: L.nn.LSTM(4, 3)(x, (h, c)), (X(5, 4), X(1, 3), X(1, 1, 3))),
    (lambda L, x, h, c: L.nn.LSTM(4, 3)(x, (h, c)), (X(5, 2, 4), X(1, 2, 3), X(1, 2, 2))),
    (lambda L, x, h, c: L.nn.LSTM(4, 3)(x, (h, c)), (X(5, 2, 4), X(1, 3, 3), X(1, 2, 3))),
    (lambda L, x, h, c: L.nn.LSTM(4, 3, proj_size=2)(x, (h, c)), (X(5, 2, 4), X(1, 2, 3), X(1, 2, 3))),
    (lambda L, x, h, c: L.nn.LSTM(4, 3, proj_size=2)(x, (h, c)), (X(5, 2, 4), X(1, 2, 2), X(1, 2, 2))),
    (lambda L, x: L.nn.LSTM(4, 3, proj_size=3), (X(1),)),
    (lambda L, x: L.nn.LSTM(4, 3, proj_size=-1), (X(1),)),
    (lambda L, x: L.nn.RNN(4, 3, nonlinearity="gelu"), (X(1),)),
    (lambda L, x: L.nn.GRU(4, 3, proj_size=2), (X(1),)),
    (lambda L, x: L.nn.LSTM(4, 3, dropout=1.5), (X(1),)),
    (lambda L, x: L.nn.LSTM(4, 0), (X(1),)),
    (lambda L, x: L.nn.LSTM(4, 3, num_layers=0), (X(1),)),
    (lambda L, x: L.nn.LSTM(4, 3, bias=1), (X(1),)),
])
def test_module_errors(fn, args):
    raises_same(fn, *args)


def test_recurrent_nodes_gradcheck():
    from autograd_lab.ops.recurrent import MkldnnRnnLayerBackward0, unsafe_chunk
    a = A.randn(2, 7, dtype=A.float64, requires_grad=True)
    assert gradcheck(lambda a: unsafe_chunk(a, 3, 1), (a,))
    x = A.randn(4, 2, 3, dtype=A.float64, requires_grad=True)
    w_ih = A.randn(8, 3, dtype=A.float64, requires_grad=True)
    w_hh = A.randn(8, 2, dtype=A.float64, requires_grad=True)
    b_ih, b_hh = (A.randn(8, dtype=A.float64, requires_grad=True) for _ in range(2))
    h0, c0 = (A.randn(2, 2, dtype=A.float64, requires_grad=True) for _ in range(2))
    for reverse in (False, True):
        def layer(*args):
            return MkldnnRnnLayerBackward0.apply(*args, reverse=reverse)
        assert gradcheck(layer, (x, w_ih, w_hh, b_ih, b_hh, h0, c0))
        assert gradcheck(lambda x, w_ih, w_hh, h0, c0: layer(x, w_ih, w_hh, None, None, h0, c0),
                         (x, w_ih, w_hh, h0, c0))
    assert gradgradcheck(lambda x, w_hh, c0: MkldnnRnnLayerBackward0.apply(x, w_ih, w_hh, b_ih, b_hh, h0, c0),
                         (x, w_hh, c0))


def test_fused_lstm_matches_composed_values():
    # the fused float32 node and the composed float64 cells compute the same recurrence
    A.manual_seed(3)
    m = A.nn.LSTM(3, 2, num_layers=2, bidirectional=True)
    x = A.randn(4, 2, 3)
    out32, (h32, c32) = m(x)
    out64, (h64, c64) = m.double()(x.double())
    for a, b in [(out32, out64), (h32, h64), (c32, c64)]:
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- attention
def SDPA(L):
    return F(L).scaled_dot_product_attention


CAUSAL_ROWS = np.tril(np.ones((5, 5), bool))
CAUSAL_ROWS[1:3, :] = True
HOLES = np.ones((5, 5), bool)
HOLES[0, :] = False  # a query that may attend nowhere: zeros, not NaN (PyTorch's safe softmax)
HOLES[2, 1] = False


@pytest.mark.parametrize("name,fn,args", [
    ("4d", lambda L, q, k, v: SDPA(L)(q, k, v), (X(2, 3, 5, 4), X(2, 3, 6, 4), X(2, 3, 6, 2))),
    ("4d_causal", lambda L, q, k, v: SDPA(L)(q, k, v, is_causal=True), (X(2, 3, 5, 4), X(2, 3, 5, 4), X(2, 3, 5, 4))),
    ("4d_causal_rect", lambda L, q, k, v: SDPA(L)(q, k, v, is_causal=True), (X(1, 2, 3, 4), X(1, 2, 5, 4), X(1, 2, 5, 4))),
    ("4d_bool_mask", lambda L, q, k, v, m: SDPA(L)(q, k, v, attn_mask=m),
     (X(2, 3, 5, 4), X(2, 3, 5, 4), X(2, 3, 5, 4), P(CAUSAL_ROWS))),
    ("4d_bool_mask_row_out_and_causal", lambda L, q, k, v, m: SDPA(L)(q, k, v, attn_mask=m, is_causal=True),
     (X(1, 2, 5, 3), X(1, 2, 5, 3), X(1, 2, 5, 3), P(HOLES))),
    ("3d_bool_mask_row_out", lambda L, q, k, v, m: SDPA(L)(q, k, v, attn_mask=m),
     (X(2, 5, 3), X(2, 5, 3), X(2, 5, 3), P(HOLES))),
    ("4d_float_mask", lambda L, q, k, v, m: SDPA(L)(q, k, v, attn_mask=m),
     (X(2, 3, 5, 4), X(2, 3, 5, 4), X(2, 3, 5, 4), X(2, 1, 5, 5, grad=False))),
    ("4d_scale", lambda L, q, k, v: SDPA(L)(q, k, v, scale=0.3), (X(1, 2, 5, 4), X(1, 2, 5, 4), X(1, 2, 5, 4))),
    ("4d_f64", lambda L, q, k, v: SDPA(L)(q, k, v) if L is A else SDPA(L)(q, k, v),
     (X(1, 2, 3, 4, dtype=np.float64), X(1, 2, 3, 4, dtype=np.float64), X(1, 2, 3, 4, dtype=np.float64))),
    ("3d_math", lambda L, q, k, v: SDPA(L)(q, k, v), (X(3, 5, 4), X(3, 6, 4), X(3, 6, 4))),
    ("2d_math_causal", lambda L, q, k, v: SDPA(L)(q, k, v, is_causal=True), (X(5, 4), X(5, 4), X(5, 4))),
    ("3d_math_bool_mask_negative_scale", lambda L, q, k, v, m: SDPA(L)(q, k, v, attn_mask=m, scale=-0.5),
     (X(2, 5, 4), X(2, 5, 4), X(2, 5, 4), P(CAUSAL_ROWS))),
    ("4d_mask_needing_grad", lambda L, q, k, v, m: SDPA(L)(q, k, v, attn_mask=m),
     (X(2, 3, 5, 4), X(2, 3, 5, 4), X(2, 3, 5, 4), X(5, 5))),
])
def test_sdpa(name, fn, args):
    if name == "4d_f64":  # PyTorch's fused kernel casts float64 first (ToCopyBackward0 nodes): values only
        outs = [fn(lib, *build(lib, list(args), [])) for lib in LIBS]
        assert_values(outs[0], outs[1], rtol=1e-12, atol=1e-12)
        return
    check(fn, *args, check_repr=False)  # (float32 sums in another order: the 4th printed digit may differ)


def test_sdpa_dropout_draws_like_torch():
    def fn(L, q, k, v):
        L.manual_seed(5)
        return SDPA(L)(q, k, v, dropout_p=0.4)
    check(fn, X(2, 3, 5, 4), X(2, 3, 5, 4), X(2, 3, 5, 4), check_repr=False)


def test_sdpa_output_laid_out_like_the_query():
    for lib in LIBS:
        q = lib.ones(2, 5, 3, 4).transpose(1, 2)
        out = SDPA(lib)(q, lib.ones(2, 3, 6, 4), lib.ones(2, 3, 6, 4))
        assert out.stride() == (60, 4, 12, 1) and not out.is_contiguous()


@pytest.mark.parametrize("fn,args", [
    (lambda L, q, k, v: SDPA(L)(q, k, v), (X(2, 3, 5, 4), X(2, 3, 5, 3), X(2, 3, 5, 4))),
    (lambda L, q, k, v: SDPA(L)(q, k, v), (X(5, 4), X(5, 2), X(5, 4))),
    (lambda L, q, k, v: SDPA(L)(q, k, v), (X(2, 3, 5, 4), X(2, 3, 5, 4), X(2, 3, 5, 4, dtype=np.float64))),
    (lambda L, q, k, v, m: SDPA(L)(q, k, v, attn_mask=m), (X(2, 5, 4), X(2, 5, 4), X(2, 5, 4), IDX(2, 5, 5))),
    (lambda L, q, k, v, m: SDPA(L)(q, k, v, attn_mask=m, is_causal=True),
     (X(2, 5, 4), X(2, 5, 4), X(2, 5, 4), P(CAUSAL_ROWS))),
])
def test_sdpa_errors(fn, args):
    raises_same(fn, *args)


MHA = [
    ("self", lambda L: L.nn.MultiheadAttention(8, 2), lambda L, m, x, y: m(x, x, x)),
    ("self_no_weights", lambda L: L.nn.MultiheadAttention(8, 2), lambda L, m, x, y: m(x, x, x, need_weights=False)),
    ("per_head_weights", lambda L: L.nn.MultiheadAttention(8, 4, bias=False),
     lambda L, m, x, y: m(x, x, x, average_attn_weights=False)),
    ("cross", lambda L: L.nn.MultiheadAttention(8, 2), lambda L, m, x, y: m(x, y, y)),
    ("cross_no_weights", lambda L: L.nn.MultiheadAttention(8, 2), lambda L, m, x, y: m(x, y, y, need_weights=False)),
    ("q_k_v_distinct", lambda L: L.nn.MultiheadAttention(8, 2), lambda L, m, x, y: m(x, y, y * 2)),
    ("kdim_vdim", lambda L: L.nn.MultiheadAttention(8, 2, kdim=3, vdim=5),
     lambda L, m, x, y: m(x, y[..., :3], y[..., 3:])),
    ("batch_first", lambda L: L.nn.MultiheadAttention(8, 2, batch_first=True),
     lambda L, m, x, y: m(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1))),
    ("unbatched", lambda L: L.nn.MultiheadAttention(8, 2), lambda L, m, x, y: m(x[:, 0], y[:, 0], y[:, 0])),
    ("key_padding_mask", lambda L: L.nn.MultiheadAttention(8, 2),
     lambda L, m, x, y: m(x, y, y, key_padding_mask=L.tensor([[False] * 5 + [True], [False, True] + [False] * 4]))),
    ("key_padding_mask_no_weights", lambda L: L.nn.MultiheadAttention(8, 2),
     lambda L, m, x, y: m(x, y, y, need_weights=False, key_padding_mask=L.tensor([[False] * 5 + [True]] * 2))),
    ("float_attn_mask", lambda L: L.nn.MultiheadAttention(8, 2),
     lambda L, m, x, y: m(x, x, x, attn_mask=L.tensor(np.triu(np.full((4, 4), -1e9, np.float32), 1)))),
    ("bool_attn_mask_no_weights", lambda L: L.nn.MultiheadAttention(8, 2),
     lambda L, m, x, y: m(x, x, x, need_weights=False, attn_mask=L.tensor(np.triu(np.ones((4, 4), bool), 1)))),
    ("causal_no_weights", lambda L: L.nn.MultiheadAttention(8, 2),
     lambda L, m, x, y: m(x, x, x, need_weights=False, is_causal=True,
                          attn_mask=L.tensor(np.triu(np.ones((4, 4), bool), 1)))),
    ("bias_kv", lambda L: L.nn.MultiheadAttention(8, 2, add_bias_kv=True), lambda L, m, x, y: m(x, y, y)),
    ("bias_kv_zero_attn_masks", lambda L: L.nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True),
     lambda L, m, x, y: m(x, x, x, attn_mask=L.tensor(np.triu(np.ones((4, 4), bool), 1)),
                          key_padding_mask=L.tensor([[False] * 3 + [True]] * 2))),
    ("zero_attn_no_weights", lambda L: L.nn.MultiheadAttention(8, 2, add_zero_attn=True),
     lambda L, m, x, y: m(x, y, y, need_weights=False, key_padding_mask=L.tensor([[False] * 5 + [True]] * 2))),
    ("dropout_train", lambda L: L.nn.MultiheadAttention(8, 2, dropout=0.3), lambda L, m, x, y: m(x, x, x)),
    ("dropout_eval", lambda L: L.nn.MultiheadAttention(8, 2, dropout=0.3).eval(), lambda L, m, x, y: m(x, x, x)),
]


@pytest.mark.parametrize("name,make,call", MHA, ids=[c[0] for c in MHA])
def test_multihead_attention(name, make, call):
    check_module(make, call, X(4, 2, 8), X(6, 2, 8), rtol=2e-5, atol=1e-5)


def test_multihead_attention_repr_and_parameters():
    for make in [lambda L: L.nn.MultiheadAttention(8, 2), lambda L: L.nn.MultiheadAttention(8, 2, bias=False),
                 lambda L: L.nn.MultiheadAttention(6, 3, kdim=4, vdim=2, batch_first=True, dropout=0.1),
                 lambda L: L.nn.MultiheadAttention(4, 1, add_bias_kv=True, add_zero_attn=True)]:
        mods = {}
        for lib in LIBS:
            lib.manual_seed(1)
            mods[lib] = make(lib)
        assert repr(mods[A]) == repr(mods[torch])
        for (na, pa), (nt, pt) in zip(mods[A].named_parameters(), mods[torch].named_parameters()):
            assert na == nt
            assert_values(pa, pt, rtol=0, atol=0, what=na)


@pytest.mark.parametrize("fn,args", [
    (lambda L, x, y: L.nn.MultiheadAttention(8, 3), ()),
    (lambda L, x, y: L.nn.MultiheadAttention(0, 3), ()),
    (lambda L, x, y: L.nn.MultiheadAttention(8, 2)(x, y, y[:3]), ()),
    (lambda L, x, y: L.nn.MultiheadAttention(8, 2)(x, y[0], y[0]), ()),
    (lambda L, x, y: L.nn.MultiheadAttention(8, 2)(x[0, 0], y[0, 0], y[0, 0]), ()),
    (lambda L, x, y: L.nn.MultiheadAttention(4, 2)(x, x, x), ()),
    (lambda L, x, y: L.nn.MultiheadAttention(8, 2)(x, x, x, attn_mask=L.zeros(3, 3)), ()),
    (lambda L, x, y: L.nn.MultiheadAttention(8, 2)(x, x, x, attn_mask=L.zeros(2, 4, 4)), ()),
    (lambda L, x, y: L.nn.MultiheadAttention(8, 2)(x, x, x, attn_mask=L.zeros(4, 4, dtype=L.int64)), ()),
    (lambda L, x, y: L.nn.MultiheadAttention(8, 2)(x, y, y, key_padding_mask=L.zeros(2, 5, dtype=L.bool)), ()),
    (lambda L, x, y: L.nn.MultiheadAttention(8, 2)(x, y, y, key_padding_mask=L.zeros(6, dtype=L.bool)), ()),
    (lambda L, x, y: L.nn.MultiheadAttention(8, 2)(x, x, x, is_causal=True), ()),
])
def test_multihead_attention_errors(fn, args):
    raises_same(lambda L: fn(L, L.ones(4, 2, 8), L.ones(6, 2, 8)))


def test_multihead_attention_mismatched_masks_warn_like_torch():
    msgs = {}
    for lib in LIBS:
        m = lib.nn.MultiheadAttention(8, 2)
        x = lib.ones(4, 2, 8)
        with pytest.warns(UserWarning) as rec:
            m(x, x, x, key_padding_mask=lib.zeros(2, 4, dtype=lib.bool), attn_mask=lib.zeros(4, 4))
        msgs[lib] = [str(w.message) for w in rec]
    assert msgs[A] == msgs[torch]


def test_attention_nodes_gradcheck():
    from autograd_lab.ops.attention import (BaddbmmBackward0, SafeSoftmaxBackward0,
                                            ScaledDotProductFlashAttentionForCpuBackward0)
    q, k, v = (A.randn(1, 2, 3, 4, dtype=A.float64, requires_grad=True) for _ in range(3))
    mask = A.tensor(np.where(CAUSAL_ROWS[:3, :3], 0.0, -np.inf))
    for m in (None, mask):
        def attend(q, k, v):
            return ScaledDotProductFlashAttentionForCpuBackward0.apply(q, k, v, attn_mask=m, scale=0.7)
        assert gradcheck(attend, (q, k, v))
    s = A.tensor([[0.5, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]], dtype=A.float64)
    x = A.randn(2, 3, dtype=A.float64, requires_grad=True)
    assert gradcheck(lambda x: SafeSoftmaxBackward0.apply(x + s, dim=1), (x,))
    inp = A.randn(1, 3, 2, dtype=A.float64, requires_grad=True)
    b1, b2 = A.randn(2, 3, 4, dtype=A.float64, requires_grad=True), A.randn(2, 4, 2, dtype=A.float64, requires_grad=True)
    assert gradcheck(lambda i, a, b: BaddbmmBackward0.apply(i.expand(2, 3, 2), a, b), (inp, b1, b2))
    assert gradgradcheck(lambda i, a, b: BaddbmmBackward0.apply(i.expand(2, 3, 2), a, b), (inp, b1, b2))


@pytest.mark.parametrize("need_weights", [True, False])
def test_multi_head_attention_forward_static_kv(need_weights):
    def fn(L, x, w, b, ow, ob, sk, sv):
        return F(L).multi_head_attention_forward(x, x, x, 8, 2, w, b, None, None, False, 0.0, ow, ob,
                                                 need_weights=need_weights, static_k=sk, static_v=sv)
    check(fn, X(4, 2, 8), X(24, 8), X(24), X(8, 8), X(8), X(4, 6, 4), X(4, 6, 4), check_repr=False,
          rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sk,sv", [((3, 6, 4), (4, 6, 4)), ((4, 6, 4), (4, 6, 3))])
def test_multi_head_attention_forward_static_kv_errors(sk, sv):
    def fn(L, x, w, ow, sk, sv):
        return F(L).multi_head_attention_forward(x, x, x, 8, 2, w, None, None, None, False, 0.0, ow, None,
                                                 static_k=sk, static_v=sv)
    raises_same(fn, X(4, 2, 8), X(24, 8), X(8, 8), X(*sk), X(*sv))


def test_lstm_projection_warns_once_like_torch():
    import warnings
    from autograd_lab.nn import rnn
    rnn._PROJ_WARNED.clear()
    seen = {}
    for lib in LIBS:
        m = lib.nn.LSTM(4, 3, proj_size=2)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            m(lib.zeros(2, 1, 4))
            m(lib.zeros(2, 1, 4))
        seen[lib] = [str(w.message) for w in rec if "projections" in str(w.message)]
    assert len(seen[A]) == 1  # (PyTorch's may have fired earlier in this process: it warns once)
    assert seen[torch] in ([], seen[A])


# ---------------------------------------------------------------- tril / triu (causal masks)
@pytest.mark.parametrize("fn,args", [
    (lambda L, a: L.tril(a), (X(3, 4),)),
    (lambda L, a: L.triu(a, 1), (X(4, 4),)),
    (lambda L, a: a.tril(-1), (X(2, 3, 4),)),
    (lambda L, a: a.t().triu(diagonal=-1), (X(3, 4, dtype=np.float64),)),
    (lambda L, a: L.triu(a, diagonal=1), (P(np.ones((4, 4), bool)),)),
    (lambda L, a: (a * 1).tril_(), (X(3, 3),)),
])
def test_tril_triu(fn, args):
    check(fn, *args, second=True)


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_tril_triu_errors(name):
    raises_same(lambda L, a: getattr(L, name)(a), X(3))
    raises_same(lambda L, a: getattr(a, name + "_")(), X(3))


def test_tril_triu_gradcheck():
    a = A.randn(2, 3, 4, dtype=A.float64, requires_grad=True)
    for k in (-1, 0, 2):
        assert gradcheck(lambda a: A.tril(a, k), (a,)) and gradcheck(lambda a: A.triu(a, k), (a,))


@pytest.mark.parametrize("name,make,call", [
    ("gru_cell", lambda L: L.nn.GRUCell(3, 2), lambda m, x: m(x)),
    ("lstm_cell", lambda L: L.nn.LSTMCell(3, 2), lambda m, x: m(x)[1]),
    ("rnn_relu", lambda L: L.nn.RNN(3, 2, nonlinearity="relu"), lambda m, x: m(x)[0]),
    ("lstm_fused", lambda L: L.nn.LSTM(3, 2, bidirectional=True), lambda m, x: m(x)[0]),
    ("mha", lambda L: L.nn.MultiheadAttention(4, 2), lambda m, x: m(x, x, x)[0]),
])
def test_second_derivatives_match_torch(name, make, call):
    """d/dθ <w, d(Σ out²)/dθ> through create_graph=True, against PyTorch (its fused nodes included)."""
    got = {}
    for lib in LIBS:
        lib.manual_seed(0)
        m = make(lib)
        x = lib.tensor(np.linspace(-1, 1, 3 * 2 * (3 if "cell" in name or "rnn" in name or "lstm" in name else 4))
                       .reshape((3, 2, -1) if "cell" not in name else (6, -1)).astype(np.float32), requires_grad=True)
        params = [x] + list(m.parameters())
        g = lib.autograd.grad((call(m, x) ** 2).sum(), params, create_graph=True)
        rng = np.random.default_rng(1)
        total = sum((gi * lib.tensor(rng.standard_normal(tuple(gi.shape)).astype(np.float32))).sum() for gi in g)
        got[lib] = [t.detach() for t in g] + list(lib.autograd.grad(total, params, allow_unused=True))
    for i, (a, t) in enumerate(zip(got[A], got[torch])):
        if t is None:
            assert a is None or not a.numpy().any(), i
        else:
            assert_values(a, t, rtol=1e-4, atol=1e-5, what=f"{name} gradient {i}")


def test_flatten_parameters_is_a_no_op_on_cpu():
    m = A.nn.LSTM(2, 3)
    before = [p.detach().clone() for p in m.parameters()]
    assert m.flatten_parameters() is None
    assert all(np.array_equal(a.numpy(), b.detach().numpy()) for a, b in zip(before, m.parameters()))


def test_fused_attention_has_no_second_derivative_as_in_torch():
    def fn(L, q, k, v):
        out = SDPA(L)(q, k, v)
        g = L.autograd.grad(out.sum(), (q, k, v), create_graph=True)
        assert [t.grad_fn.name() for t in g] == ["torch::autograd::NotImplemented"] * 3
        g[1].sum().backward()
    raises_same(fn, X(1, 2, 3, 4), X(1, 2, 3, 4), X(1, 2, 3, 4))


# ---------------------------------------------------------------- forward mode
FORWARD = [
    ("embedding", None, lambda L, m, x: F(L).embedding(L.tensor([[1, 0], [1, 1]]), x[0])),
    ("gru_cell", lambda L: L.nn.GRUCell(3, 2), lambda L, m, x: m(x[0])),
    ("lstm_cell", lambda L: L.nn.LSTMCell(3, 2), lambda L, m, x: m(x[0])),
    ("rnn_bidir", lambda L: L.nn.RNN(3, 2, bidirectional=True), lambda L, m, x: m(x)),
    ("lstm_float64", lambda L: L.nn.LSTM(3, 2).double(), lambda L, m, x: m(x.double())),
    ("mha", lambda L: L.nn.MultiheadAttention(3, 3), lambda L, m, x: m(x, x, x)),
    ("sdpa_3d", None, lambda L, m, x: SDPA(L)(x, x, x, is_causal=True)),
    ("tril", None, lambda L, m, x: (L.tril(x), x.triu(1))),
]


def _forward_mode(lib, make, call):
    import importlib
    fwAD = importlib.import_module(lib.__name__ + ".autograd.forward_ad")
    lib.manual_seed(0)
    m = make(lib) if make else None
    x = lib.linspace(-1, 1, 12).reshape(2, 2, 3)
    with fwAD.dual_level():
        out = call(lib, m, fwAD.make_dual(x, lib.linspace(0.5, -0.5, 12).reshape(2, 2, 3)))
        return [fwAD.unpack_dual(o).tangent for o in flat_tensors(out)]


@pytest.mark.parametrize("name,make,call", FORWARD, ids=[c[0] for c in FORWARD])
def test_forward_mode_tangents_match_torch(name, make, call):
    got, want = (_forward_mode(lib, make, call) for lib in LIBS)
    assert len(got) == len(want)
    for i, (a, t) in enumerate(zip(got, want)):
        assert (a is None) == (t is None), i
        if t is not None:
            assert_values(a, t, rtol=1e-5, atol=1e-6, what=f"tangent {i}")


@pytest.mark.parametrize("call", [lambda L, m, x: m(x), lambda L, m, x: SDPA(L)(x[None], x[None], x[None])])
def test_forward_mode_through_fused_kernels_fails_as_in_torch(call):
    raises_same(lambda L: _forward_mode(L, lambda L: L.nn.LSTM(3, 2), call))


@pytest.mark.parametrize("kind,kwargs", [("RNN", {}), ("GRU", {}), ("LSTM", {}), ("LSTM", {"proj_size": 1})])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_first_output_then_in_place(kind, kwargs, dtype):
    # PyTorch's RNN and GRU transpose their own result in place (no view: an in-place op on it is
    # recorded plainly), its LSTM out of place (a view: the in-place op rebases it, AsStridedBackward0)
    def fn(L, x):
        L.manual_seed(0)
        m = getattr(L.nn, kind)(3, 2, batch_first=True, **kwargs)
        out = (m.double() if dtype == np.float64 else m)(x)[0]
        return out.mul_(2)
    if kind == "LSTM" and not kwargs and dtype == np.float32:
        # the fused kernel saved its output: backward then refuses, in PyTorch's words
        raises_same(lambda L, x: fn(L, x).sum().backward(), X(2, 4, 3, dtype=dtype))
        return
    check(fn, X(2, 4, 3, dtype=dtype), check_repr=False, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 2, 3, 4), (2, 3, 4)])
def test_sdpa_output_changed_in_place(shape):
    # the fused kernel keeps its output (backward refuses once it changed); the math path does not
    def fn(L, q, k, v):
        out = SDPA(L)(q, k, v)
        out.mul_(2)
        out.sum().backward()
        return q.grad
    if len(shape) == 4:
        raises_same(fn, X(*shape), X(*shape), X(*shape))
    else:
        check(fn, X(*shape), X(*shape), X(*shape), check_repr=False)
