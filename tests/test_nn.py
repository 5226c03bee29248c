"""Differential tests: autograd_lab.nn (functional, losses, modules, init, Parameter) against PyTorch 2.13."""
import copy
import math
import os
import warnings
from collections import OrderedDict

import numpy as np
import pytest

if os.environ.get("CI") == "true":
    import torch  # in CI a missing torch is a failure, never a skip
else:
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for these tests (pip install torch==2.13.0)")
torch.set_num_threads(1)  # tiny tensors: extra threads only contend (and slow PyTorch down 50x under load)

import autograd_lab as al  # noqa: E402
from autograd_lab import nn as anm  # noqa: E402
from autograd_lab.nn import functional as AF  # noqa: E402

tnn = torch.nn
TF = torch.nn.functional
RNG = np.random.default_rng(1234)


# ---- helpers ----
def graph(t):
    """The graph below ``t`` as nested (name, children), None for edges that need no gradient."""
    def walk(node):
        if node is None:
            return None
        return (node.name(), tuple(walk(n) for n, _ in node.next_functions))
    return walk(t.grad_fn)


def np_of(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.detach()._data)


def run_both(fn, *arrays, grad=None, **kwargs):
    """Call ``fn(lib, *tensors)`` in both libraries with the same data; backprop a fixed weighting."""
    grad = tuple(a.dtype.kind == "f" for a in arrays) if grad is None else grad
    out = []
    for lib in (al, torch):
        ts = [lib.tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, grad)]
        y = fn(lib, *ts, **kwargs)
        out.append((ts, y))
    return out


def compare(fn, *arrays, grad=None, rtol=1e-5, atol=1e-6, check_graph=True, **kwargs):
    (ta, ya), (tt, yt) = run_both(fn, *arrays, grad=grad, **kwargs)
    assert str(ya.dtype) == str(yt.dtype)
    assert tuple(ya.shape) == tuple(yt.shape)
    np.testing.assert_allclose(np_of(ya), np_of(yt), rtol=rtol, atol=atol)
    if check_graph:
        assert graph(ya) == graph(yt)
    if yt.requires_grad:
        w = RNG.standard_normal(tuple(yt.shape)).astype(np_of(yt).dtype)
        (ya * al.tensor(w)).sum().backward()
        (yt * torch.tensor(w)).sum().backward()
        for a, t in zip(ta, tt):
            if t.grad is None:
                assert a.grad is None
            else:
                np.testing.assert_allclose(np_of(a.grad), np_of(t.grad), rtol=rtol, atol=atol)
    return ya, yt


def same_error(fn):
    """``fn(lib)`` raises the same exception type and message in both libraries."""
    errs = []
    for lib in (al, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                fn(lib)
        errs.append(info.value)
    mine, ref = errs
    assert type(mine).__name__ == type(ref).__name__, (mine, ref)
    assert str(mine) == str(ref)


def F(lib):
    return AF if lib is al else TF


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def rand(*shape, dtype=np.float32):
    return RNG.random(shape).astype(dtype)


# ---- activations ----
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activations(name):
    x = randn(3, 4)
    x[0, 0] = 0.0  # relu's gradient at 0 is 0 in both
    compare(lambda lib, a: getattr(F(lib), name)(a), x)


def test_relu_inplace():
    def fn(lib, a):
        b = a * 1
        return F(lib).relu(b, inplace=True)
    compare(fn, randn(5))


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family(name, dim):
    compare(lambda lib, a: getattr(F(lib), name)(a, dim=dim), randn(3, 4))


@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 4)])
def test_softmax_implicit_dim_warns_like_torch(shape):
    x = randn(*shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        a = AF.softmax(al.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = TF.softmax(torch.tensor(x))
    np.testing.assert_allclose(np_of(a), np_of(t), rtol=1e-6)


# ---- linear ----
@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3), (2, 1, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_graph_and_grads(shape, bias):
    args = (randn(*shape), randn(4, 3)) + ((randn(4),) if bias else ())
    compare(lambda lib, x, w, *b: F(lib).linear(x, w, *b), *args)


def test_linear_2d_is_one_addmm_over_t():
    x = al.tensor(randn(2, 3))
    w, b = al.tensor(randn(4, 3), requires_grad=True), al.tensor(randn(4), requires_grad=True)
    y = AF.linear(x, w, b)
    assert y.grad_fn.name() == "AddmmBackward0"
    names = [n.name() if n is not None else None for n, _ in y.grad_fn.next_functions]
    assert names == ["torch::autograd::AccumulateGrad", None, "TBackward0"]


def test_linear_non_contiguous_input():
    compare(lambda lib, x, w, b: F(lib).linear(x.transpose(0, 1), w, b), randn(3, 2, 2, 3), randn(4, 3), randn(4))


def test_linear_errors():
    same_error(lambda lib: F(lib).linear(lib.ones(2, 3), lib.ones(4, 2), lib.ones(4)))
    same_error(lambda lib: F(lib).linear(lib.tensor(1.0), lib.ones(4, 2)))


# ---- dropout ----
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
@pytest.mark.parametrize("shape", [(5,), (4, 7), (3, 40)])
def test_dropout_matches_torch_bit_for_bit(p, shape):
    x = randn(*shape)
    al.manual_seed(7)
    torch.manual_seed(7)
    compare(lambda lib, a: F(lib).dropout(a, p), x, rtol=0, atol=0)


def test_dropout_identity_cases_and_errors():
    x = al.ones(3, requires_grad=True)
    assert AF.dropout(x, 0.0) is x
    assert AF.dropout(x, 0.5, training=False) is x
    y = AF.dropout(x, 1.0)
    assert y.grad_fn.name() == "MulBackward0" and y.tolist() == [0.0, 0.0, 0.0]
    same_error(lambda lib: F(lib).dropout(lib.ones(3), 1.5))
    same_error(lambda lib: lib.nn.Dropout(-0.1))


def test_dropout_module_train_eval():
    x = randn(4, 6)
    for lib in (al, torch):
        lib.manual_seed(3)
    a, t = anm.Dropout(0.3), tnn.Dropout(0.3)
    np.testing.assert_array_equal(np_of(a(al.tensor(x))), np_of(t(torch.tensor(x))))
    a.eval()
    t.eval()
    np.testing.assert_array_equal(np_of(a(al.tensor(x))), x)


# ---- losses ----
REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(reduction):
    compare(lambda lib, a, b: F(lib).mse_loss(a, b, reduction=reduction), randn(3, 4), randn(3, 4))


def test_mse_loss_broadcast_warns_and_expands():
    with pytest.warns(UserWarning, match="Using a target size"):
        a = AF.mse_loss(al.tensor(randn(3, 4), requires_grad=True), al.tensor(randn(4)))
    assert a.grad_fn.name() == "MseLossBackward0"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda lib, a, b: F(lib).mse_loss(a, b), randn(3, 4), randn(4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_loss_is_composed_like_torch(reduction):
    compare(lambda lib, a, b: F(lib).l1_loss(a, b, reduction=reduction), randn(3, 4), randn(3, 4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted):
    p = rand(3, 4) * 0.98 + 0.01
    t = rand(3, 4)
    w = rand(4) if weighted else None

    def fn(lib, a, b):
        return F(lib).binary_cross_entropy(a.sigmoid(), b, weight=None if w is None else lib.tensor(w),
                                           reduction=reduction)
    compare(fn, np.log(p / (1 - p)), t)


def test_binary_cross_entropy_clamps_log_at_minus_100():
    compare(lambda lib, a, b: F(lib).binary_cross_entropy(a, b, reduction="none"),
            np.array([0.0, 1.0, 0.5], np.float32), np.array([1.0, 0.0, 0.5], np.float32), grad=(False, True))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", ["none", "weight", "pos_weight", "both"])
def test_bce_with_logits(reduction, weights):
    w = rand(4) if weights in ("weight", "both") else None
    pw = rand(4) * 3 if weights in ("pos_weight", "both") else None

    def fn(lib, a, b):
        return F(lib).binary_cross_entropy_with_logits(
            a, b, weight=None if w is None else lib.tensor(w), pos_weight=None if pw is None else lib.tensor(pw),
            reduction=reduction)
    compare(fn, randn(3, 4) * 3, rand(3, 4))


def test_bce_with_logits_is_stable_for_large_logits():
    x = np.array([-200.0, -30.0, 0.0, 30.0, 200.0], np.float32)
    compare(lambda lib, a, b: F(lib).binary_cross_entropy_with_logits(a, b, reduction="none"), x,
            np.array([1.0, 0.0, 0.5, 1.0, 0.0], np.float32))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(reduction, weighted):
    target = np.array([0, 4, -100, 2, 1])
    w = rand(5) if weighted else None
    compare(lambda lib, a, t: F(lib).nll_loss(a, t, weight=None if w is None else lib.tensor(w), reduction=reduction),
            randn(5, 5), target, grad=(True, False))


@pytest.mark.parametrize("shape,tshape", [((4,), ()), ((2, 3, 4), (2, 4)), ((2, 3, 2, 2), (2, 2, 2)),
                                           ((2, 3, 1, 2, 2), (2, 1, 2, 2))])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_shapes(shape, tshape, reduction):
    c = shape[0] if len(shape) == 1 else shape[1]
    target = RNG.integers(0, c, size=tshape)
    compare(lambda lib, a, t: F(lib).nll_loss(a, t, reduction=reduction), randn(*shape), target, grad=(True, False))


def test_nll_loss_all_ignored_mean_is_nan():
    a = AF.nll_loss(al.tensor(randn(3, 4), requires_grad=True), al.tensor([-100, -100, -100]))
    assert math.isnan(a.item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_class_indices(reduction, smoothing, weighted):
    w = rand(5) if weighted else None
    compare(lambda lib, a, t: F(lib).cross_entropy(a, t, weight=None if w is None else lib.tensor(w),
                                                   reduction=reduction, label_smoothing=smoothing),
            randn(4, 5), np.array([0, 4, 2, 2]), grad=(True, False))


def test_cross_entropy_ignore_index_with_smoothing():
    compare(lambda lib, a, t: F(lib).cross_entropy(a, t, ignore_index=1, label_smoothing=0.1),
            randn(4, 3), np.array([0, 1, 2, 1]), grad=(True, False))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probabilities(reduction, weighted):
    w = rand(5) if weighted else None
    probs = rand(4, 5)
    probs /= probs.sum(1, keepdims=True)
    compare(lambda lib, a, t: F(lib).cross_entropy(a, t, weight=None if w is None else lib.tensor(w),
                                                   reduction=reduction),
            randn(4, 5), probs, grad=(True, True))


def test_cross_entropy_unbatched_and_images():
    compare(lambda lib, a, t: F(lib).cross_entropy(a, t), randn(5), np.array(3), grad=(True, False))
    compare(lambda lib, a, t: F(lib).cross_entropy(a, t), randn(2, 3, 2, 2), RNG.integers(0, 3, (2, 2, 2)),
            grad=(True, False))
    compare(lambda lib, a, t: F(lib).cross_entropy(a, t, reduction="none"), randn(2, 3, 4), RNG.integers(0, 3, (2, 4)),
            grad=(True, False))


def test_loss_double_backward_matches_torch():
    def fn(lib, x, t):
        loss = F(lib).binary_cross_entropy_with_logits(x, t, pos_weight=lib.tensor([2.0, 0.5, 1.0]))
        (g,) = lib.autograd.grad(loss, x, create_graph=True)
        return (g * g).sum()
    compare(fn, randn(2, 3), rand(2, 3), check_graph=False)

    def fn2(lib, x, t):
        loss = F(lib).mse_loss(x.tanh(), t) + F(lib).cross_entropy(x, lib.tensor([0, 2]))
        (g,) = lib.autograd.grad(loss, x, create_graph=True)
        return (g ** 2).sum()
    compare(fn2, randn(2, 3), rand(2, 3), check_graph=False)


@pytest.mark.parametrize("case", [
    lambda lib: F(lib).mse_loss(lib.ones(2), lib.ones(2), reduction="avg"),
    lambda lib: F(lib).binary_cross_entropy(lib.ones(3, 1) * 0.5, lib.ones(3)),
    lambda lib: F(lib).binary_cross_entropy(lib.tensor([1.5, 0.5]), lib.ones(2)),
    lambda lib: F(lib).binary_cross_entropy(lib.ones(2) * 0.5, lib.ones(2), weight=lib.ones(2, requires_grad=True)),
    lambda lib: F(lib).binary_cross_entropy_with_logits(lib.ones(3, 1), lib.ones(3)),
    lambda lib: F(lib).binary_cross_entropy_with_logits(lib.ones(2), lib.ones(2),
                                                        pos_weight=lib.ones(2, requires_grad=True)),
    lambda lib: F(lib).nll_loss(lib.ones(3, 4), lib.tensor([0, 5, 1])),
    lambda lib: F(lib).nll_loss(lib.ones(3, 4), lib.tensor([0, -5, 1])),
    lambda lib: F(lib).nll_loss(lib.ones(3, 4), lib.tensor([0, 1])),
    lambda lib: F(lib).nll_loss(lib.ones(3, 4), lib.tensor([0.0, 1.0, 1.0])),
    lambda lib: F(lib).nll_loss(lib.ones(3, 4), lib.tensor([0, 1, 1]), weight=lib.ones(3)),
    lambda lib: F(lib).nll_loss(lib.tensor(1.0), lib.tensor(1)),
    lambda lib: F(lib).nll_loss(lib.ones(2, 3, 4), lib.tensor([[0, 1, 2], [1, 1, 1]])),
    lambda lib: F(lib).cross_entropy(lib.ones(3, 4), lib.tensor([0, 1])),
    lambda lib: F(lib).cross_entropy(lib.ones(3, 4), lib.tensor([0, 1, 1]), label_smoothing=1.5),
    lambda lib: F(lib).cross_entropy(lib.ones(3, 4), lib.ones(3, 4, dtype=lib.int64)),
], ids=lambda f: "")
def test_loss_errors_match_torch(case):
    same_error(case)


@pytest.mark.parametrize("name,kwargs", [
    ("MSELoss", {}), ("L1Loss", {"reduction": "sum"}), ("BCEWithLogitsLoss", {}), ("CrossEntropyLoss", {}),
    ("NLLLoss", {"reduction": "none"}), ("BCELoss", {})])
def test_loss_modules(name, kwargs):
    x = randn(4, 3)
    if name in ("CrossEntropyLoss", "NLLLoss"):
        target, grad = np.array([0, 2, 1, 1]), (True, False)
    else:
        target, grad = rand(4, 3), (True, False)

    def fn(lib, a, t):
        if name == "BCELoss":
            a = a.sigmoid()
        if name == "NLLLoss":
            a = a.log_softmax(1)
        return getattr(lib.nn, name)(**kwargs)(a, t)
    compare(fn, x, target, grad=grad)
    assert repr(getattr(anm, name)(**kwargs)) == repr(getattr(tnn, name)(**kwargs))


def test_loss_modules_keep_weights_as_buffers():
    w = rand(3)
    a = anm.CrossEntropyLoss(weight=al.tensor(w), label_smoothing=0.1)
    t = tnn.CrossEntropyLoss(weight=torch.tensor(w), label_smoothing=0.1)
    assert list(a.state_dict()) == list(t.state_dict()) == ["weight"]
    assert list(anm.BCEWithLogitsLoss().state_dict()) == []


def test_legacy_reduction_arguments():
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        m = anm.MSELoss(size_average=False)
    assert m.reduction == "sum"


# ---- Parameter ----
@pytest.mark.parametrize("data", [[1.0, 2.0], [[1.5, -2.0, 3.0], [0.0, 1.0, 2.0]], 3.0, []])
def test_parameter_repr(data):
    a, t = anm.Parameter(al.tensor(data)), tnn.Parameter(torch.tensor(data))
    assert repr(a) == repr(t)
    assert str(a) == str(t)


def test_parameter_variants_repr():
    assert repr(anm.Parameter(al.ones(2, 3, dtype=al.float64))) == \
        repr(tnn.Parameter(torch.ones(2, 3, dtype=torch.float64)))
    assert repr(anm.Parameter(al.tensor([1, 2]), requires_grad=False)) == \
        repr(tnn.Parameter(torch.tensor([1, 2]), requires_grad=False))
    assert repr(anm.Parameter()) == repr(tnn.Parameter())
    assert repr(anm.Parameter(al.tensor(np.arange(40.0, dtype=np.float32).reshape(4, 10)))) == \
        repr(tnn.Parameter(torch.arange(40.0).reshape(4, 10)))


def test_parameter_is_a_leaf_that_shares_memory():
    t = al.ones(2)
    p = anm.Parameter(t)
    assert isinstance(p, al.Tensor) and type(p).__name__ == "Parameter"
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    t.add_(1)
    assert p.tolist() == [2.0, 2.0] and p._version == t._version == 1
    y = p * 2
    assert type(y) is al.Tensor and y.grad_fn.name() == "MulBackward0"
    assert type(p.detach()) is al.Tensor and type(p.data) is al.Tensor
    assert type(copy.deepcopy(p)).__name__ == "Parameter"
    same_error(lambda lib: lib.nn.Parameter(lib.tensor([1, 2])))


# ---- modules ----
class _Net:
    """The same small network defined once per library."""

    @staticmethod
    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.body = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Dropout(0.1),
                                              lib.nn.Linear(4, 2, bias=False))
                self.head = lib.nn.Linear(2, 1)
                self.scale = lib.nn.Parameter(lib.ones(1))
                self.register_buffer("running", lib.zeros(2))
                self.register_buffer("scratch", lib.zeros(1), persistent=False)

            def forward(self, x):
                return self.head(self.body(x)) * self.scale

        return Net()


def _pair():
    for lib in (al, torch):
        lib.manual_seed(0)
    return _Net.build(al), _Net.build(torch)


def test_module_repr_matches_torch():
    a, t = _pair()
    assert repr(a) == repr(t)
    mods = [
        lambda lib: lib.nn.Linear(3, 2),
        lambda lib: lib.nn.Linear(3, 2, bias=False),
        lambda lib: lib.nn.ReLU(),
        lambda lib: lib.nn.ReLU(inplace=True),
        lambda lib: lib.nn.Tanh(),
        lambda lib: lib.nn.Sigmoid(),
        lambda lib: lib.nn.Softmax(dim=1),
        lambda lib: lib.nn.Softmax(),
        lambda lib: lib.nn.LogSoftmax(dim=-1),
        lambda lib: lib.nn.Dropout(),
        lambda lib: lib.nn.Dropout(0.25, inplace=True),
        lambda lib: lib.nn.Flatten(),
        lambda lib: lib.nn.Identity(54, unused="x"),
        lambda lib: lib.nn.Sequential(),
        lambda lib: lib.nn.Sequential(OrderedDict([("fc", lib.nn.Linear(2, 2)), ("act", lib.nn.Tanh())])),
        lambda lib: lib.nn.Sequential(lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.Tanh()), lib.nn.Linear(1, 1)),
        lambda lib: lib.nn.ModuleList([lib.nn.Linear(2, 2), lib.nn.Linear(2, 2), lib.nn.Linear(2, 2), lib.nn.ReLU()]),
        lambda lib: lib.nn.ModuleList(),
    ]
    for make in mods:
        assert repr(make(al)) == repr(make(torch))


def test_parameters_and_names_match_torch():
    a, t = _pair()
    assert [n for n, _ in a.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [tuple(p.shape) for p in a.parameters()] == [tuple(p.shape) for p in t.parameters()]
    for pa, pt in zip(a.parameters(), t.parameters()):
        np.testing.assert_array_equal(np_of(pa), np_of(pt))
        assert type(pa).__name__ == "Parameter"
    assert [n for n, _ in a.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in a.named_children()] == [n for n, _ in t.named_children()]
    assert [n for n, _ in a.named_modules()] == [n for n, _ in t.named_modules()]
    assert [type(m).__name__ for m in a.modules()] == [type(m).__name__ for m in t.modules()]
    assert [n for n, _ in a.body.named_parameters(prefix="body")] == \
        [n for n, _ in t.body.named_parameters(prefix="body")]
    assert [n for n, _ in a.named_parameters(recurse=False)] == ["scale"]


def test_shared_parameters_are_listed_once():
    for lib in (al, torch):
        lin = lib.nn.Linear(2, 2)
        seq = lib.nn.Sequential(lin, lin)
        assert len(list(seq.parameters())) == 2
        assert [n for n, _ in seq.named_modules()] == ["", "0"]


def test_forward_and_backward_through_a_module():
    a, t = _pair()
    a.eval()
    t.eval()
    x = randn(5, 3)
    ya, yt = a(al.tensor(x)), t(torch.tensor(x))
    assert graph(ya) == graph(yt)
    np.testing.assert_allclose(np_of(ya), np_of(yt), rtol=1e-6)
    ya.sum().backward()
    yt.sum().backward()
    for (n, pa), (_, pt) in zip(a.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(np_of(pa.grad), np_of(pt.grad), rtol=1e-5, atol=1e-7, err_msg=n)


def test_train_eval_and_zero_grad():
    a, _ = _pair()
    assert a.training and a.body[2].training
    assert a.eval() is a and not a.training and not a.body[2].training
    a.train()
    assert a.body[2].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        a.train("yes")
    a(al.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in a.parameters())
    a.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in a.parameters())
    a.zero_grad()
    assert all(p.grad is None for p in a.parameters())


def test_state_dict_round_trip():
    a, t = _pair()
    sa, st = a.state_dict(), t.state_dict()
    assert list(sa) == list(st)
    for k in sa:
        assert type(sa[k]) is al.Tensor and not sa[k].requires_grad
        np.testing.assert_array_equal(np_of(sa[k]), np_of(st[k]))
    assert repr(anm.Linear(2, 1).state_dict().__class__) == repr(OrderedDict)
    # load the reference weights into a fresh model
    for lib in (al,):
        lib.manual_seed(1)
    fresh = _Net.build(al)
    result = fresh.load_state_dict({k: al.tensor(np_of(v)) for k, v in st.items()})
    assert repr(result) == "<All keys matched successfully>"
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(np_of(v), np_of(st[k]))
    assert fresh.head.weight._version == 2  # initialised, then copied in place (as in torch)


def test_state_dict_keep_vars_and_shared_memory():
    m = anm.Linear(2, 2)
    sd = m.state_dict(keep_vars=True)
    assert sd["weight"] is m.weight
    plain = m.state_dict()
    with al.no_grad():
        m.weight.mul_(0)
    assert not plain["weight"].any()  # detached, but the same memory


def test_load_state_dict_errors_match_torch():
    def bad(lib, sd):
        m = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Linear(3, 1))
        m.load_state_dict(sd(lib))
    same_error(lambda lib: bad(lib, lambda l: {"0.weight": l.ones(3, 2), "0.bias": l.ones(3),
                                               "1.weight": l.ones(1, 3)}))
    same_error(lambda lib: bad(lib, lambda l: {"0.weight": l.ones(3, 2), "0.bias": l.ones(3), "1.weight": l.ones(1, 3),
                                               "1.bias": l.ones(1), "2.weight": l.ones(1), "extra": l.ones(1)}))
    same_error(lambda lib: bad(lib, lambda l: {"0.weight": l.ones(2, 2), "0.bias": l.ones(3), "1.weight": l.ones(1, 3),
                                               "1.bias": l.ones(1)}))
    same_error(lambda lib: lib.nn.Linear(1, 1).load_state_dict([1, 2]))
    ra = anm.Sequential(anm.Linear(2, 3)).load_state_dict({"0.weight": al.ones(3, 2), "x": al.ones(1)}, strict=False)
    rt = tnn.Sequential(tnn.Linear(2, 3)).load_state_dict({"0.weight": torch.ones(3, 2), "x": torch.ones(1)},
                                                          strict=False)
    assert repr(ra) == repr(rt)


def test_registration_errors_match_torch():
    def setattr_param(lib):
        m = lib.nn.Linear(2, 2)
        m.weight = lib.ones(2, 2)
    same_error(setattr_param)

    def setattr_module(lib):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2))
        m.__setattr__("0", 5)
    same_error(setattr_module)

    def setattr_buffer(lib):
        m = lib.nn.Module()
        m.register_buffer("b", lib.ones(1))
        m.b = 3
    same_error(setattr_buffer)

    same_error(lambda lib: lib.nn.Module().register_buffer("a.b", lib.ones(1)))
    same_error(lambda lib: lib.nn.Module().register_buffer("", lib.ones(1)))
    same_error(lambda lib: lib.nn.Module().register_buffer("x", [1.0]))
    same_error(lambda lib: lib.nn.Module().register_parameter("x", lib.ones(1)))
    same_error(lambda lib: lib.nn.Module().register_parameter("x", lib.nn.Parameter(lib.ones(1)) * 2))
    same_error(lambda lib: lib.nn.Module().add_module("x", 3))
    same_error(lambda lib: lib.nn.Module().missing)
    same_error(lambda lib: lib.nn.Linear(2, 2).nothing)
    same_error(lambda lib: lib.nn.Module()(lib.ones(1)))
    same_error(lambda lib: lib.nn.Sequential(lib.nn.ReLU())[3])

    def before_init(lib):
        class Early(lib.nn.Module):
            def __init__(self):
                self.w = lib.nn.Parameter(lib.ones(1))
        Early()
    same_error(before_init)

    def reuse_name(lib):
        m = lib.nn.Module()
        m.w = 3
        m.register_parameter("w", lib.nn.Parameter(lib.ones(1)))
    same_error(reuse_name)


def test_setattr_moves_between_stores():
    m = anm.Module()
    m.p = anm.Parameter(al.ones(1))
    m.register_buffer("b", al.ones(1))
    m.b = al.zeros(1)
    assert m._buffers["b"].tolist() == [0.0]
    m.p = None
    assert m._parameters["p"] is None and list(m.parameters()) == []
    m.sub = anm.Linear(1, 1)
    assert "sub" in m._modules
    del m.sub
    assert "sub" not in m._modules
    assert "p" in dir(m) and "b" in dir(m)


def test_sequential_container_api():
    seq = anm.Sequential(anm.Linear(2, 3), anm.ReLU(), anm.Linear(3, 1))
    ref = tnn.Sequential(tnn.Linear(2, 3), tnn.ReLU(), tnn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], anm.Linear)
    assert repr(seq[1:]) == repr(ref[1:])
    seq.append(anm.Tanh())
    ref.append(tnn.Tanh())
    assert repr(seq) == repr(ref)
    del seq[1]
    del ref[1]
    assert repr(seq) == repr(ref)
    seq.insert(0, anm.Identity())
    ref.insert(0, tnn.Identity())
    assert repr(seq) == repr(ref)
    assert [type(m).__name__ for m in seq] == [type(m).__name__ for m in ref]


def test_hooks_and_apply():
    m = anm.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre"))
    h2 = m.register_forward_hook(lambda mod, args, out: out * 0)
    assert not m(al.ones(2)).any() and calls == ["pre"]
    h1.remove()
    h2.remove()
    assert m(al.ones(1, 2)).shape == (1, 2) and calls == ["pre"]
    seen = []
    anm.Sequential(anm.Linear(1, 1), anm.Tanh()).apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Tanh", "Sequential"]


def test_module_to_double_and_requires_grad():
    m = anm.Linear(2, 2).double()
    assert m.weight.dtype is al.float64 and type(m.weight).__name__ == "Parameter"
    assert m(al.ones(1, 2, dtype=al.float64)).dtype is al.float64
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_flatten_and_identity_modules():
    compare(lambda lib, x: lib.nn.Flatten()(x), randn(2, 3, 4))
    compare(lambda lib, x: lib.nn.Flatten(0, 1)(x), randn(2, 3, 4))
    x = al.ones(2)
    assert anm.Identity()(x) is x


# ---- init ----
@pytest.mark.parametrize("shape", [(2, 3), (4, 5), (16, 16), (3, 5, 2)])
def test_linear_default_init_is_torch_bit_for_bit(shape):
    out_f, in_f = shape[0], shape[1]
    al.manual_seed(42)
    torch.manual_seed(42)
    a, t = anm.Linear(in_f, out_f), tnn.Linear(in_f, out_f)
    np.testing.assert_array_equal(np_of(a.weight), np_of(t.weight))
    np.testing.assert_array_equal(np_of(a.bias), np_of(t.bias))
    # the generator is left in the same state too
    np.testing.assert_array_equal(al.rand(5).numpy(), torch.rand(5).numpy())


@pytest.mark.parametrize("name,kwargs", [
    ("uniform_", {"a": -2.0, "b": 3.0}), ("normal_", {"mean": 1.0, "std": 0.5}), ("constant_", {"val": 0.3}),
    ("ones_", {}), ("zeros_", {}), ("xavier_uniform_", {"gain": 2.0}), ("xavier_normal_", {}),
    ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": 0.2, "mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {}), ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}), ("eye_", {})])
@pytest.mark.parametrize("shape", [(3, 4), (6, 5)])
def test_init_functions_bit_for_bit(name, kwargs, shape):
    a, t = al.empty(*shape), torch.empty(*shape)
    al.manual_seed(5)
    torch.manual_seed(5)
    ra = getattr(anm.init, name)(a, **kwargs)
    getattr(tnn.init, name)(t, **kwargs)
    assert ra is a
    np.testing.assert_array_equal(np_of(a), np_of(t))


def test_init_works_on_parameters_without_recording():
    p = anm.Parameter(al.empty(3, 3))
    anm.init.kaiming_uniform_(p, a=math.sqrt(5))
    assert p.is_leaf and p.grad_fn is None and p._version == 1


def test_init_generator_argument():
    ga, gt = al.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a, t = al.empty(4, 4), torch.empty(4, 4)
    anm.init.uniform_(a, generator=ga)
    tnn.init.uniform_(t, generator=gt)
    np.testing.assert_array_equal(np_of(a), np_of(t))


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                                  ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu",)])
def test_calculate_gain(args):
    assert anm.init.calculate_gain(*args) == tnn.init.calculate_gain(*args)


def test_init_errors_match_torch():
    same_error(lambda lib: lib.nn.init.calculate_gain("swish"))
    same_error(lambda lib: lib.nn.init.calculate_gain("leaky_relu", True))
    same_error(lambda lib: lib.nn.init.xavier_uniform_(lib.empty(3)))
    same_error(lambda lib: lib.nn.init.kaiming_uniform_(lib.empty(3, 2), mode="fan_avg"))
    assert anm.init._calculate_fan_in_and_fan_out(al.empty(4, 3, 2, 2)) == \
        tnn.init._calculate_fan_in_and_fan_out(torch.empty(4, 3, 2, 2))
    for init in (anm.init.kaiming_uniform_, anm.init.kaiming_normal_):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op") as caught:
            init(al.empty(0, 3))
        assert caught[0].filename == __file__  # the warning points at the caller's line


def test_deepcopy_of_a_module_copies_parameters():
    m = anm.Sequential(anm.Linear(2, 2), anm.Tanh())
    c = copy.deepcopy(m)
    assert repr(c) == repr(m)
    assert type(c[0].weight).__name__ == "Parameter" and c[0].weight is not m[0].weight
    with al.no_grad():
        c[0].weight.zero_()
    assert m[0].weight.any()
