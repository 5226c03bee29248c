"""gradcheck / gradgradcheck: every core op and loss passes; a wrong backward fails as in PyTorch and
the failing node is named."""
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
from autograd_lab.autograd import gradcheck, gradgradcheck  # noqa: E402
from autograd_lab.autograd.gradcheck import GradcheckError  # noqa: E402
from autograd_lab.nn import functional as F  # noqa: E402
from op_table import BINARY, UNARY  # noqa: E402

RNG = np.random.default_rng(7)


def d(*shape, low=None, high=None):
    """A float64 leaf that requires grad (values away from kinks when low/high are given)."""
    a = RNG.uniform(low, high, shape) if low is not None else RNG.standard_normal(shape)
    return al.tensor(a, dtype=al.float64, requires_grad=True)


def away_from_zero(*shape):
    a = RNG.uniform(0.2, 1.5, shape) * RNG.choice([-1.0, 1.0], shape)
    return al.tensor(a, dtype=al.float64, requires_grad=True)


def idx(*values):
    return al.tensor(list(values))


CORE = {
    "pow_scalar": (lambda x: x ** 3, lambda: (d(5),)),
    "pow_fractional": (lambda x: x ** 2.5, lambda: (d(5, low=0.5, high=2.0),)),
    "rpow": (lambda x: 2.0 ** x, lambda: (d(4),)),
    "sum": (lambda x: x.sum(), lambda: (d(2, 3),)),
    "sum_dims": (lambda x: x.sum(dim=(0, 2), keepdim=True), lambda: (d(2, 3, 2),)),
    "mean": (lambda x: x.mean(), lambda: (d(2, 3),)),
    "mean_dim": (lambda x: x.mean(1), lambda: (d(2, 3),)),
    "max": (lambda x: x.max(), lambda: (d(6),)),
    "max_dim": (lambda x: x.max(dim=1).values, lambda: (d(3, 4),)),
    "norm": (lambda x: x.norm(), lambda: (d(2, 3),)),
    "norm_dim_p1": (lambda x: x.norm(p=1, dim=1), lambda: (away_from_zero(2, 3),)),
    "matmul": (lambda x, y: x @ y, lambda: (d(2, 3, 4), d(4, 2))),
    "mm": (lambda x, y: x.mm(y), lambda: (d(2, 3), d(3, 2))),
    "mv": (lambda x, y: x.mv(y), lambda: (d(2, 3), d(3))),
    "reshape": (lambda x: x.reshape(3, 2) * 1, lambda: (d(2, 3),)),
    "transpose": (lambda x: x.transpose(0, 2), lambda: (d(2, 1, 3),)),
    "permute": (lambda x: x.permute(2, 0, 1), lambda: (d(2, 1, 3),)),
    "expand": (lambda x: x.expand(2, 3, 4), lambda: (d(3, 1),)),
    "getitem": (lambda x: x[1:, ::2], lambda: (d(3, 4),)),
    "getitem_advanced": (lambda x: x[idx(0, 2, 0)], lambda: (d(3, 2),)),
    "cat": (lambda x, y: al.cat([x, y], 1), lambda: (d(2, 2), d(2, 3))),
    "stack": (lambda x, y: al.stack([x, y], 0), lambda: (d(2, 3), d(2, 3))),
    "where": (lambda x, y: al.where(x > 0, x, y), lambda: (away_from_zero(2, 3), d(2, 3))),
}

LOSSES = {
    "mse_loss": (lambda x, t: F.mse_loss(x, t), lambda: (d(2, 3), d(2, 3))),
    "mse_loss_none": (lambda x, t: F.mse_loss(x, t, reduction="none"), lambda: (d(2, 3), d(2, 3))),
    "l1_loss": (lambda x, t: F.l1_loss(x, t, reduction="sum"), lambda: (away_from_zero(2, 3), d(2, 3) * 0)),
    "bce": (lambda p, t: F.binary_cross_entropy(p, t),
            lambda: (d(2, 3, low=0.1, high=0.9), d(2, 3, low=0.0, high=1.0))),
    "bce_weighted_none": (lambda p, t: F.binary_cross_entropy(p, t, weight=al.tensor([1.0, 0.5, 2.0], dtype=al.float64),
                                                              reduction="none"),
                          lambda: (d(2, 3, low=0.1, high=0.9), d(2, 3, low=0.0, high=1.0))),
    "bce_with_logits": (lambda x, t: F.binary_cross_entropy_with_logits(x, t),
                        lambda: (d(2, 3), d(2, 3, low=0, high=1))),
    "bce_with_logits_weights": (
        lambda x, t: F.binary_cross_entropy_with_logits(
            x, t, weight=al.tensor([1.0, 0.5, 2.0], dtype=al.float64),
            pos_weight=al.tensor([3.0, 0.2, 1.0], dtype=al.float64), reduction="sum"),
        lambda: (d(2, 3), d(2, 3, low=0, high=1))),
    "nll_loss": (lambda x: F.nll_loss(x, idx(0, 3, 1)), lambda: (d(3, 4),)),
    "nll_loss_weighted_ignore": (lambda x: F.nll_loss(x, idx(0, -100, 1), weight=al.tensor([1.0, 2.0, 0.5, 1.0],
                                                                                           dtype=al.float64)),
                                 lambda: (d(3, 4),)),
    "nll_loss_none": (lambda x: F.nll_loss(x, idx(2, 1), reduction="none"), lambda: (d(2, 3),)),
    "nll_loss_2d": (lambda x: F.nll_loss(x, al.tensor([[[0, 1], [2, 0]]])), lambda: (d(1, 3, 2, 2),)),
    "cross_entropy": (lambda x: F.cross_entropy(x, idx(0, 3, 1)), lambda: (d(3, 4),)),
    "cross_entropy_smoothing": (lambda x: F.cross_entropy(x, idx(0, 3, 1), label_smoothing=0.2), lambda: (d(3, 4),)),
    "cross_entropy_probs": (lambda x, p: F.cross_entropy(x, p), lambda: (d(2, 3), d(2, 3, low=0, high=1))),
}


def _table_input(op):
    return al.tensor(op.sample(RNG, (2, 3)), dtype=al.float64, requires_grad=True)


@pytest.mark.parametrize("op", UNARY, ids=str)
def test_gradcheck_table_op(op):
    assert gradcheck(lambda x: op.call(al, x), (_table_input(op),))


@pytest.mark.parametrize("op", [op for op in UNARY if not op.kinks], ids=str)
def test_gradgradcheck_table_op(op):
    assert gradgradcheck(lambda x: op.call(al, x), (_table_input(op),))


def _binary_inputs(op):
    """(3, 4) against (4,): broadcasting on the way; maximum / minimum get same-shaped operands kept
    at least 0.2 apart (their derivative jumps where a == b)."""
    a = op.sample(RNG, (3, 4), 0)
    b = op.sample(RNG, (3, 4) if op.kink else (4,), 1)
    if op.kink:
        b = np.where(np.abs(a - b) < 0.2, a + 0.5, b)
    return tuple(al.tensor(x, dtype=al.float64, requires_grad=True) for x in (a, b))


@pytest.mark.parametrize("op", [op for op in BINARY if op.differentiable], ids=str)
def test_gradcheck_binary_table_op(op):
    assert gradcheck(lambda x, y: op.call(al, x, y), _binary_inputs(op))


@pytest.mark.parametrize("op", [op for op in BINARY if op.differentiable and not op.kink], ids=str)
def test_gradgradcheck_binary_table_op(op):
    assert gradgradcheck(lambda x, y: op.call(al, x, y), _binary_inputs(op))


@pytest.mark.parametrize("name", list(CORE))
def test_gradcheck_core_op(name):
    fn, make = CORE[name]
    assert gradcheck(fn, make())


@pytest.mark.parametrize("name", list(LOSSES))
def test_gradcheck_loss(name):
    fn, make = LOSSES[name]
    assert gradcheck(fn, make())


@pytest.mark.parametrize("name", ["norm", "mm"])
def test_gradgradcheck_core_op(name):
    fn, make = CORE[name]
    assert gradgradcheck(fn, make())


@pytest.mark.parametrize("name", ["mse_loss", "bce", "bce_with_logits_weights", "cross_entropy", "nll_loss",
                                  "cross_entropy_probs"])
def test_gradgradcheck_loss(name):
    fn, make = LOSSES[name]
    assert gradgradcheck(fn, make())


def test_gradcheck_linear_and_module():
    lin = al.nn.Linear(3, 2).double()
    x = d(4, 3)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, lin.weight, lin.bias))
    assert gradcheck(lambda x: lin(x).tanh(), (x,))


# ---- failures ----
def _wrong_exp(lib):
    class WrongExp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # should be g * exp(x)
    return WrongExp


WRONG = {al: _wrong_exp(al), torch: _wrong_exp(torch)}


def test_failure_message_matches_torch_and_names_the_node():
    data = RNG.standard_normal((2, 3))
    w = RNG.standard_normal(3)

    def fn_for(lib):
        return lambda x, y: WRONG[lib].apply(x * y).tanh().sum(1)

    xa, ya = al.tensor(data, requires_grad=True), al.tensor(w, requires_grad=True)
    xt, yt = torch.tensor(data, requires_grad=True), torch.tensor(w, requires_grad=True)
    with pytest.raises(GradcheckError) as mine:
        gradcheck(fn_for(al), (xa, ya))
    with pytest.raises(RuntimeError) as ref:
        torch.autograd.gradcheck(fn_for(torch), (xt, yt))
    assert type(ref.value).__name__ == type(mine.value).__name__ == "GradcheckError"
    assert isinstance(mine.value, RuntimeError)
    msg = str(mine.value)
    assert msg.startswith(str(ref.value))
    assert "The gradient of node WrongExpBackward is wrong" in msg
    assert mine.value.node.name() == "WrongExpBackward"
    assert mine.value.node is not None and type(mine.value.node).__name__ == "WrongExpBackward"


def test_failure_names_the_wrong_node_deep_in_a_graph():
    x = d(3)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: (WRONG[al].apply(x.sin() * 2) + x.exp()).log_softmax(0), (x,))
    assert info.value.node.name() == "WrongExpBackward"


def test_raise_exception_false_returns_false():
    assert gradcheck(lambda x: WRONG[al].apply(x), (d(3),), raise_exception=False) is False
    assert torch.autograd.gradcheck(lambda x: WRONG[torch].apply(x), (torch.randn(3, dtype=torch.float64,
                                                                                  requires_grad=True),),
                                    raise_exception=False) is False


def test_backward_not_multiplied_by_grad_output():
    class Ignores(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return al.ones_like(g) * 2  # right Jacobian for ones, but ignores g

    with pytest.raises(GradcheckError, match="backward not multiplied by grad_output") as info:
        gradcheck(lambda x: Ignores.apply(x).sum(), (d(3),))
    assert info.value.node.name() == "IgnoresBackward"


def test_gradgradcheck_fails_on_a_wrong_double_backward():
    class BadSquare(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.detach() * 2  # right first derivative, but cuts the second

    x = d(3)
    assert gradcheck(BadSquare.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch") as info:
        gradgradcheck(lambda x: BadSquare.apply(x.sin()), (x,))
    assert info.value.node.name() == "BadSquareBackward"
    assert "The gradient of node BadSquareBackward is wrong (its double backward" in str(info.value)
    assert gradgradcheck(lambda x: BadSquare.apply(x.sin()), (x,), raise_exception=False) is False


def test_input_checks_match_torch():
    with pytest.raises(ValueError) as mine:
        gradcheck(lambda x: x * 2, (al.ones(2, dtype=al.float64),))
    with pytest.raises(ValueError) as ref:
        torch.autograd.gradcheck(lambda x: x * 2, (torch.ones(2, dtype=torch.float64),))
    assert str(mine.value) == str(ref.value)
    with warnings.catch_warnings(record=True) as wa:
        warnings.simplefilter("always")
        ra = gradcheck(lambda x: x * 2, (al.ones(2, requires_grad=True),), raise_exception=False)
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        rt = torch.autograd.gradcheck(lambda x: x * 2, (torch.ones(2, requires_grad=True),), raise_exception=False)
    assert ra is rt is False  # float32 finite differences are too coarse, in both
    assert [str(w.message) for w in wa if "double precision" in str(w.message)] == \
        [str(w.message) for w in wt if "double precision" in str(w.message)]


def test_outputs_not_requiring_grad():
    assert gradcheck(lambda x: (x > 0).double(), (d(3),))
    assert torch.autograd.gradcheck(lambda x: (x > 0).double(), (torch.randn(3, dtype=torch.float64,
                                                                             requires_grad=True),))


def test_accessible_as_module_attribute_and_function():
    assert al.autograd.gradcheck(lambda x: x.exp(), (d(2),))
    assert al.autograd.gradgradcheck(lambda x: x.exp(), (d(2),))


def test_failure_names_a_wrong_builtin_style_node():
    """Nodes written like the core ops (Node subclass with forward/backward) are checked too."""
    from autograd_lab.node import Node

    class WrongSinBackward0(Node):
        """out = sin a        ∂a = g·cos a   (deliberately written as g·sin a)"""

        def forward(self, a):
            self.save(self=a)
            return np.sin(a._data)

        def backward(self, g):
            return g * self.saved("self").sin()

    apply_before = Node.__dict__["apply"]
    x = d(2, 2)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: WrongSinBackward0.apply(x.exp()).sum(0), (x,))
    assert info.value.node.name() == "WrongSinBackward0"
    assert "The gradient of node WrongSinBackward0 is wrong" in str(info.value)
    assert Node.__dict__["apply"] is apply_before  # the recording hook is gone again
