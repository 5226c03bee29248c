"""Forward-mode AD (autograd.forward_ad, each op's jvp, Function.jvp) against PyTorch 2.13, finite
differences and reverse mode."""
import re

import numpy as np
import pytest

from oracle import error_of as _error, import_torch

torch = import_torch()

import autograd_lab as al  # noqa: E402
from autograd_lab.autograd import forward_ad as afw  # noqa: E402

tfw = torch.autograd.forward_ad
RNG = np.random.default_rng(15)


def fw(lib):
    return afw if lib is al else tfw


def arr(*shape, positive=False, low=-2.0, high=2.0):
    a = RNG.uniform(low, high, shape)
    if positive:
        a = np.abs(a) + 0.5
    return a


def F(lib):
    return lib.nn.functional


# name, function of (lib, *inputs), input arrays (float64). Each input gets a tangent.
OPS = [
    ("add", lambda L, a, b: a + b, [arr(2, 3), arr(3)]),
    ("add_alpha", lambda L, a, b: L.add(a, b, alpha=2), [arr(3), arr(3)]),
    ("sub", lambda L, a, b: a - b, [arr(2, 3), arr(2, 3)]),
    ("rsub_number", lambda L, a: 2 - a, [arr(4)]),
    ("mul", lambda L, a, b: a * b, [arr(2, 3), arr(2, 1)]),
    ("mul_number", lambda L, a: a * 3, [arr(4)]),
    ("div", lambda L, a, b: a / b, [arr(3), arr(3, positive=True)]),
    ("div_number", lambda L, a: a / 4, [arr(3)]),
    ("neg", lambda L, a: -a, [arr(3)]),
    ("reciprocal", lambda L, a: a.reciprocal(), [arr(3, positive=True)]),
    ("pow_number", lambda L, a: a ** 3, [arr(3)]),
    ("pow_zero", lambda L, a: a ** 0, [arr(3)]),
    ("pow_tensor", lambda L, a, b: a ** b, [arr(3, positive=True), arr(3)]),
    ("rpow", lambda L, b: 2 ** b, [arr(3)]),
    ("exp", lambda L, a: a.exp(), [arr(2, 2)]),
    ("log", lambda L, a: a.log(), [arr(3, positive=True)]),
    ("sqrt", lambda L, a: a.sqrt(), [arr(3, positive=True)]),
    ("rsqrt", lambda L, a: a.rsqrt(), [arr(3, positive=True)]),
    ("abs", lambda L, a: a.abs(), [arr(4)]),
    ("sin", lambda L, a: a.sin(), [arr(4)]),
    ("cos", lambda L, a: a.cos(), [arr(4)]),
    ("tanh", lambda L, a: a.tanh(), [arr(4)]),
    ("sigmoid", lambda L, a: a.sigmoid(), [arr(4)]),
    ("relu", lambda L, a: a.relu(), [arr(5)]),
    ("leaky_relu", lambda L, a: F(L).leaky_relu(a, 0.1), [arr(5)]),
    ("gelu", lambda L, a: F(L).gelu(a), [arr(5)]),
    ("silu", lambda L, a: F(L).silu(a), [arr(5)]),
    ("softplus", lambda L, a: F(L).softplus(a), [arr(5)]),
    ("log1p", lambda L, a: a.log1p(), [arr(3, positive=True)]),
    ("expm1", lambda L, a: a.expm1(), [arr(3)]),
    ("softmax", lambda L, a: a.softmax(-1), [arr(2, 4)]),
    ("softmax0", lambda L, a: L.softmax(a, 0), [arr(3, 2)]),
    ("log_softmax", lambda L, a: a.log_softmax(1), [arr(2, 4)]),
    ("clamp", lambda L, a: a.clamp(-0.5, 0.5), [arr(6)]),
    ("maximum", lambda L, a, b: L.maximum(a, b), [arr(4), arr(4)]),
    ("where", lambda L, a, b: L.where(a > 0, a, b), [arr(5), arr(5)]),
    ("clone", lambda L, a: a.clone(), [arr(2, 2)]),
    ("to_float32", lambda L, a: a.float(), [arr(3)]),
    ("sum", lambda L, a: a.sum(), [arr(2, 3)]),
    ("sum_dim", lambda L, a: a.sum(1, keepdim=True), [arr(2, 3)]),
    ("mean", lambda L, a: a.mean(), [arr(2, 3)]),
    ("mean_dim", lambda L, a: a.mean(0), [arr(2, 3)]),
    ("max_all", lambda L, a: a.max(), [arr(5)]),
    ("cumsum", lambda L, a: a.cumsum(0), [arr(4)]),
    ("mm", lambda L, a, b: a.mm(b), [arr(2, 3), arr(3, 4)]),
    ("matmul_mv", lambda L, a, b: a @ b, [arr(2, 3), arr(3)]),
    ("dot", lambda L, a, b: a.dot(b), [arr(3), arr(3)]),
    ("bmm", lambda L, a, b: a.bmm(b), [arr(2, 2, 3), arr(2, 3, 2)]),
    ("linear", lambda L, x, w, b: F(L).linear(x, w, b), [arr(4, 3), arr(2, 3), arr(2)]),
    ("reshape", lambda L, a: a.reshape(3, 2), [arr(2, 3)]),
    ("view", lambda L, a: a.view(-1), [arr(2, 3)]),
    ("t", lambda L, a: a.t(), [arr(2, 3)]),
    ("transpose", lambda L, a: a.transpose(0, 2), [arr(2, 3, 4)]),
    ("permute", lambda L, a: a.permute(2, 0, 1), [arr(2, 3, 4)]),
    ("movedim", lambda L, a: a.movedim(0, 2), [arr(2, 3, 4)]),
    ("squeeze", lambda L, a: a.squeeze(1), [arr(2, 1, 3)]),
    ("unsqueeze", lambda L, a: a.unsqueeze(0), [arr(3)]),
    ("expand", lambda L, a: a.expand(2, 3), [arr(1, 3)]),
    ("select", lambda L, a: a[1], [arr(3, 2)]),
    ("slice", lambda L, a: a[:, 1:], [arr(3, 3)]),
    ("index", lambda L, a: a[[0, 2, 2]], [arr(3, 2)]),
    ("cat", lambda L, a, b: L.cat([a, b], 0), [arr(2, 2), arr(1, 2)]),
    ("stack", lambda L, a, b: L.stack([a, b], 1), [arr(3), arr(3)]),
    ("flip", lambda L, a: a.flip(0), [arr(4)]),
    ("remainder", lambda L, a, b: a % b, [arr(4), arr(4, positive=True)]),
    ("mse_via_ops", lambda L, a, b: ((a - b) ** 2).mean(), [arr(5), arr(5)]),
    ("max_dim", lambda L, a: a.max(1).values, [arr(3, 4)]),
    ("min_dim_keepdim", lambda L, a: a.min(0, keepdim=True)[0], [arr(3, 4)]),
    ("amax", lambda L, a: a.amax(1), [arr(3, 4)]),
    ("norm", lambda L, a: a.norm(), [arr(3, 4)]),
    ("norm_3", lambda L, a: a.norm(p=3, dim=1), [arr(3, 4)]),
    ("norm_1", lambda L, a: a.norm(p=1, dim=0), [arr(3, 4)]),
    ("var", lambda L, a: a.var(), [arr(3, 4)]),
    ("var_dim", lambda L, a: a.var(1, keepdim=True), [arr(3, 4)]),
    ("std_dim", lambda L, a: a.std(0), [arr(3, 4)]),
    ("logsumexp", lambda L, a: a.logsumexp(1), [arr(3, 4)]),
    ("prod", lambda L, a: a.prod(), [arr(5)]),
    ("elu", lambda L, a: F(L).elu(a), [arr(5)]),
    ("split", lambda L, a: a.split([1, 3], 1)[1], [arr(2, 4)]),
    ("chunk", lambda L, a: a.chunk(2, 0)[0], [arr(4, 2)]),
    ("unbind", lambda L, a: a.unbind(1)[2], [arr(2, 4)]),
    ("narrow", lambda L, a: a.narrow(1, 1, 2), [arr(2, 4)]),
    ("masked_fill", lambda L, a: a.masked_fill(a > 0, 1.0), [arr(6)]),
    ("masked_fill_tensor", lambda L, a, v: a.masked_fill(a > 0, v), [arr(6), arr()]),
    ("repeat", lambda L, a: a.repeat(2, 1, 3), [arr(2, 2)]),
    ("clamp_tensors", lambda L, a, lo, hi: a.clamp(lo, hi),
     [arr(6), arr(6, low=-2, high=-0.5), arr(6, low=0.5, high=2)]),
    ("floor_divide_via_div", lambda L, a: L.div(a, 0.7, rounding_mode="floor"), [arr(5)]),
    ("trace", lambda L, a: L.trace(a), [arr(3, 3)]),
    ("pad", lambda L, a: F(L).pad(a, (1, 2)), [arr(2, 3)]),
    ("mse_loss", lambda L, a, b: F(L).mse_loss(a, b), [arr(5), arr(5)]),
    ("mse_loss_sum", lambda L, a, b: F(L).mse_loss(a, b, reduction="sum"), [arr(2, 3), arr(2, 3)]),
    ("bce", lambda L, a, b: F(L).binary_cross_entropy(a, b), [arr(4, low=0.1, high=0.9), arr(4, low=0, high=1)]),
    ("bce_logits", lambda L, a, b: F(L).binary_cross_entropy_with_logits(a, b), [arr(4), arr(4, low=0, high=1)]),
    ("bce_logits_none", lambda L, a, b: F(L).binary_cross_entropy_with_logits(a, b, reduction="none"),
     [arr(4), arr(4, low=0, high=1)]),
    ("mlp", lambda L, x, w: (x @ w).tanh().sum(1).exp(), [arr(3, 4), arr(4, 2)]),
]
IDS = [o[0] for o in OPS]

# losses with an integer target: only the input is dual
TARGET = np.array([2, 0, 1])
CLASS_OPS = [
    ("nll_loss", lambda L, a: F(L).nll_loss(a, L.tensor(TARGET))),
    ("nll_loss_sum", lambda L, a: F(L).nll_loss(a, L.tensor(TARGET), reduction="sum")),
    ("cross_entropy", lambda L, a: F(L).cross_entropy(a, L.tensor(TARGET))),
    ("cross_entropy_none", lambda L, a: F(L).cross_entropy(a, L.tensor(TARGET), reduction="none")),
]


def run_dual(lib, fn, arrays, tangents, dtype="float64"):
    """fn on dual inputs; returns (primal, tangent) as NumPy (tangent None when there is none)."""
    with fw(lib).dual_level():
        duals = [fw(lib).make_dual(lib.tensor(a.copy(), dtype=getattr(lib, dtype)),
                                   lib.tensor(t.copy(), dtype=getattr(lib, dtype))) for a, t in zip(arrays, tangents)]
        out = fn(lib, *duals)
        p, t = fw(lib).unpack_dual(out)
        rep = repr(out)
        return np.array(p.detach().numpy()), None if t is None else np.array(t.detach().numpy()), rep


@pytest.mark.parametrize("name,fn,arrays", OPS, ids=IDS)
def test_primal_and_tangent_match_torch(name, fn, arrays):
    tangents = [RNG.standard_normal(a.shape) for a in arrays]
    p_al, t_al, rep_al = run_dual(al, fn, arrays, tangents)
    p_t, t_t, rep_t = run_dual(torch, fn, arrays, tangents)
    np.testing.assert_allclose(p_al, p_t, rtol=1e-12, atol=1e-12)
    assert (t_al is None) == (t_t is None)
    np.testing.assert_allclose(t_al, t_t, rtol=1e-10, atol=1e-12)
    # a 0-d tangent prints all 17 digits of a float64: its last one depends on the summation order
    assert _round_long(rep_al) == _round_long(rep_t)


def _round_long(text):
    return re.sub(r"-?\d+\.\d{9,}", lambda m: f"{float(m.group(0)):.12g}", text)


@pytest.mark.parametrize("name,fn,arrays", OPS, ids=IDS)
def test_jvp_is_a_central_difference(name, fn, arrays):
    """J·v == (f(x + eps·v) - f(x - eps·v)) / 2eps, every input moving along its tangent (float64)."""
    tangents = [RNG.standard_normal(a.shape) for a in arrays]
    _, t, _ = run_dual(al, fn, arrays, tangents)
    eps = 1e-2 if name == "to_float32" else 1e-6  # a float32 result cannot resolve a 1e-6 step (the op is linear)

    def f(sign):
        xs = [al.tensor(a + sign * eps * v) for a, v in zip(arrays, tangents)]
        return fn(al, *xs).detach().numpy().astype(np.float64)
    tol = 1e-4 if name == "to_float32" else 1e-6
    np.testing.assert_allclose(t, (f(1) - f(-1)) / (2 * eps), rtol=tol * 10, atol=tol)


@pytest.mark.parametrize("name,fn,arrays", OPS, ids=IDS)
def test_jvp_equals_jacobian_times_v_from_reverse_mode(name, fn, arrays):
    tangents = [RNG.standard_normal(a.shape) for a in arrays]
    _, t, _ = run_dual(al, fn, arrays, tangents)
    xs = tuple(al.tensor(a) for a in arrays)
    jac = al.autograd.functional.jacobian(lambda *x: fn(al, *x), xs)
    out_shape = t.shape
    jv = sum(j.numpy().reshape(int(np.prod(out_shape)), -1) @ v.reshape(-1) for j, v in zip(jac, tangents))
    tol = 1e-6 if t.dtype == np.float32 else 1e-10
    np.testing.assert_allclose(t.reshape(-1), jv, rtol=tol, atol=tol * 1e-2)


@pytest.mark.parametrize("name,fn", CLASS_OPS, ids=[c[0] for c in CLASS_OPS])
def test_classification_losses(name, fn):
    a, v = arr(3, 4), RNG.standard_normal((3, 4))
    p_al, t_al, _ = run_dual(al, fn, [a], [v])
    p_t, t_t, _ = run_dual(torch, fn, [a], [v])
    np.testing.assert_allclose(p_al, p_t, rtol=1e-12)
    np.testing.assert_allclose(t_al, t_t, rtol=1e-10, atol=1e-12)
    f = lambda x: fn(al, al.tensor(x)).numpy()  # noqa: E731
    np.testing.assert_allclose(t_al, (f(a + 1e-6 * v) - f(a - 1e-6 * v)) / 2e-6, rtol=1e-5, atol=1e-6)


def test_second_order_through_losses_matches_torch():
    """Forward over reverse through the backward formulas of the losses, the activations and max along a dim."""
    a, t, v = arr(3, 4), np.array([1, 0, 3]), RNG.standard_normal((3, 4))
    res = []
    for lib in (al, torch):
        def loss(x):
            return (F(lib).cross_entropy(x, lib.tensor(t)) + F(lib).mse_loss(x.tanh(), x * 0.5)
                    + (x.max(1).values ** 2).sum()  # max's backward scatters: its jvp gathers
                    + (F(lib).gelu(x) + F(lib).gelu(x, approximate="tanh") + F(lib).elu(x)
                       + F(lib).softplus(x, beta=2) + F(lib).leaky_relu(x) + x.sigmoid()).pow(2).sum())
        _, hv = lib.func.jvp(lib.func.grad(loss), (lib.tensor(a),), (lib.tensor(v),))
        res.append(hv.numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-10, atol=1e-12)


def _prints(lib):
    out = []
    x = lib.tensor([1., 2., 3.])
    with fw(lib).dual_level() as level:
        out.append(level)
        d = fw(lib).make_dual(x, lib.tensor([1., 0., 0.]))
        out += [repr(d), d._base is x, d.requires_grad, d.is_leaf]
        out.append(repr(d.exp() * 2))
        out.append(repr(d.sum()))
        out.append(repr(d.mean()))
        out.append(repr(fw(lib).unpack_dual(d.sin())))
        out.append(repr(fw(lib).unpack_dual(x)))
        p = lib.ones(3, requires_grad=True)
        d2 = fw(lib).make_dual(p, lib.tensor([1., 0., 0.]))
        out += [repr(d2), repr(d2 * p), repr((d2 * d2).sum())]
        m = fw(lib).make_dual(lib.arange(6.).reshape(2, 3), lib.ones(2, 3))
        out.append(repr(m.t()))
        w = d.clone()
        w.mul_(2)
        z = lib.zeros(3)
        z.add_(d)
        out += [repr(w), repr(z), repr(d.detach()), repr(d > 1), repr(d.argmax())]
        y = d * 2
    out.append(repr(y))
    out.append(repr(fw(lib).unpack_dual(y)))
    out.append(type(fw(lib).unpack_dual(y)).__name__)
    return out


def test_printing_matches_torch():
    assert _prints(al) == _prints(torch)


def _errors(lib):
    f = fw(lib)
    x = lib.tensor([1., 2., 3.])
    out = [_error(lambda: f.make_dual(x, lib.ones(3)))]
    with f.dual_level():
        def nested():
            with f.dual_level():
                pass
        out.append(_error(nested))
        out.append(_error(lambda: f.make_dual(x, lib.ones(2))))
        out.append(_error(lambda: f.make_dual(lib.tensor([1, 2]), lib.tensor([1., 2.]))))
        out.append(_error(lambda: f.make_dual(x, lib.tensor([1, 2, 3]))))
        d = f.make_dual(x, lib.ones(3))
        out.append(_error(lambda: lib.floor_divide(d, 2)))
        out.append(_error(lambda: d % d))
    out.append(_error(lambda: f.exit_dual_level()))
    return out


def test_errors_match_torch():
    assert _errors(al) == _errors(torch)


def _inplace(lib):
    f, out = fw(lib), []
    t = lib.ones(3)
    with f.dual_level():
        x = f.make_dual(lib.arange(3.), t)
        y = x + 1
        y.mul_(2)
        out += [repr(t), repr(x), repr(y)]
        x.mul_(2)
        out += [repr(t), f.unpack_dual(x).tangent is t]
        b = f.make_dual(lib.arange(4.).reshape(2, 2), lib.ones(2, 2))
        b[0].mul_(3)
        b.t()[1].add_(1)
        out.append(repr(b))
        c = lib.zeros(2, 2)
        c[1].add_(f.make_dual(lib.ones(2), lib.ones(2) * 5))
        out.append(repr(c))
        r = f.make_dual(lib.tensor([-1., 2.]), lib.tensor([3., 4.]))
        r.relu_()
        out.append(repr(r))
        z = lib.zeros(3)
        z[0] = r[1]
        w = lib.zeros(2)
        w.copy_(r)
        k = lib.zeros(2)
        k.fill_(r[0])
        m = lib.zeros(3)
        m[lib.tensor([0, 2])] = r
        out += [repr(z), repr(w), repr(k), repr(m)]
        p = lib.ones(2, requires_grad=True)
        q = p * 1
        q.mul_(f.make_dual(lib.tensor([2., 3.]), lib.tensor([1., 1.])))
        out.append(repr(q))
    return out


def test_inplace_ops_update_tangents_in_place_as_torch():
    assert _inplace(al) == _inplace(torch)


def test_tangents_are_dropped_when_the_level_closes():
    x = al.tensor([1., 2.])
    with afw.dual_level():
        d = afw.make_dual(x, al.ones(2))
        y = d * d
        assert afw.unpack_dual(y).tangent is not None
    assert afw.unpack_dual(y).tangent is None and afw.unpack_dual(d).tangent is None
    assert y._fw_grads is None and "tangent" not in repr(y)


def test_make_dual_keeps_a_tangent_of_the_same_layout_and_copies_another():
    for lib in (al, torch):
        p, t = lib.ones(3, 3), lib.arange(9.).reshape(3, 3)
        with fw(lib).dual_level():
            assert fw(lib).unpack_dual(fw(lib).make_dual(p, t)).tangent is t
            alt = fw(lib).unpack_dual(fw(lib).make_dual(p, t.T)).tangent
            assert alt is not t and alt.stride() == p.stride()
            np.testing.assert_array_equal(alt.numpy(), t.T.numpy())


def test_forward_ad_runs_under_no_grad_and_through_backward():
    """Tangents ignore grad mode (as PyTorch); reverse mode through a dual input carries tangents into the
    gradient: d/dε of ∇(Σx³) at x + εv is the Hessian-vector product 6x·v."""
    for lib in (al, torch):
        x = lib.tensor([1., -2., 0.5], dtype=lib.float64)
        v = lib.tensor([0.5, 1., 2.], dtype=lib.float64)
        with fw(lib).dual_level():
            with lib.no_grad():
                t = fw(lib).unpack_dual(fw(lib).make_dual(x, v).exp()).tangent
            np.testing.assert_allclose(t.numpy(), (x.exp() * v).numpy())
            xd = fw(lib).make_dual(x.clone().requires_grad_(), v)
            g, = lib.autograd.grad((xd ** 3).sum(), xd)
            hv = fw(lib).unpack_dual(g).tangent
            np.testing.assert_allclose(hv.detach().numpy(), (6 * x * v).numpy())


# ---- custom Functions ----
def _functions(lib):
    class MulK(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            ctx.seen = (fw(lib).unpack_dual(a).tangent is None, lib.is_grad_enabled())
            ctx.save_for_forward(a, b)
            ctx.k = k
            return a * b * k

        @staticmethod
        def jvp(ctx, da, db, dk):
            ctx.got = (repr(da), repr(db), dk)
            a, b = ctx.saved_tensors
            return (da * b + a * db) * ctx.k

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.result = a.exp()
            return ctx.result

        @staticmethod
        def jvp(ctx, g):
            out = g * ctx.result
            del ctx.result
            return out

    class NoJvp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class TwoOuts(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2, a * 3

        @staticmethod
        def jvp(ctx, g):
            return g

    class BadShape(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def jvp(ctx, g):
            return g[:1]
    return MulK, Exp, NoJvp, TwoOuts, BadShape


def _custom(lib):
    MulK, Exp, NoJvp, TwoOuts, BadShape = _functions(lib)
    out = []
    x, y = lib.tensor([1., 2.]), lib.tensor([3., 4.])
    with fw(lib).dual_level():
        d = fw(lib).make_dual(x, lib.tensor([1., 0.5]))
        r = MulK.apply(d, y, 2)
        out += [repr(r), r.grad_fn is None]
        out.append(repr(Exp.apply(d)))
        out += [_error(lambda: NoJvp.apply(d)), _error(lambda: TwoOuts.apply(d)), _error(lambda: BadShape.apply(d))]
    return out


def test_custom_function_jvp_matches_torch():
    assert _custom(al) == _custom(torch)


def _custom_outputs(lib):
    """What a custom Function's jvp may return per output: one entry per output, tensor or not; None
    for an output that is not differentiable; the tangent is kept as returned (no copy, no cast)."""
    def function(forward, jvp, non_diff=None):
        def setup_context(ctx, inputs, output):
            if non_diff is not None:
                ctx.mark_non_differentiable(output[non_diff])
        return type("Fn", (lib.autograd.Function,), {"forward": staticmethod(forward), "jvp": staticmethod(jvp),
                                                     "setup_context": staticmethod(setup_context)})
    with_number = function(lambda a: (a * 2, 3), lambda ctx, g: (g, g))
    cases = [
        function(lambda a: (a * 2, 3), lambda ctx, g: g),                              # too few
        with_number,                                                                   # number output: ignored
        function(lambda a: (a * 2, a * 3), lambda ctx, g: (g, g), non_diff=1),         # marked
        function(lambda a: (a * 2).long(), lambda ctx, g: g),                          # integer output
        function(lambda a: (a * 2, (a * 3).long()), lambda ctx, g: (g * 2, None)),     # None is fine there
        function(lambda a: a * 2, lambda ctx, g: g.double()),                          # dtype kept
    ]
    out = []
    with fw(lib).dual_level():
        g = lib.tensor([1., 0.5])
        d = fw(lib).make_dual(lib.tensor([1., 2.]), g)
        for fn in cases:
            seen = []

            def run():
                r = fn.apply(d)
                seen.extend(repr(fw(lib).unpack_dual(t).tangent) if isinstance(t, lib.Tensor) else t
                            for t in (r if isinstance(r, tuple) else (r,)))
            out.append((_error(run), seen))
        out.append(fw(lib).unpack_dual(with_number.apply(d)[0]).tangent is g)  # the same object, as returned
    return out


def test_custom_function_jvp_outputs_match_torch():
    assert _custom_outputs(al) == _custom_outputs(torch)


def test_custom_function_forward_sees_values_and_jvp_gets_zeros_and_none():
    got = []
    for lib in (al, torch):
        MulK = _functions(lib)[0]
        ctx_seen = {}

        class Spy(MulK):
            @staticmethod
            def forward(ctx, a, b, k):
                out = MulK.forward(ctx, a, b, k)
                ctx_seen["ctx"] = ctx
                return out
        with fw(lib).dual_level():
            Spy.apply(fw(lib).make_dual(lib.tensor([1., 2.]), lib.tensor([1., 0.])), lib.tensor([3., 4.]), 2)
        got.append((ctx_seen["ctx"].seen, ctx_seen["ctx"].got))
    assert got[0] == got[1]


def test_gradcheck_checks_forward_mode():
    Exp = _functions(al)[1]
    x = al.randn(3, 3, dtype=al.float64, requires_grad=True)
    assert al.autograd.gradcheck(Exp.apply, (x,), check_forward_ad=True, check_backward_ad=False,
                                 check_undefined_grad=False, check_batched_grad=False)

    for lib in (al, torch):
        class WrongJvp(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a.exp()

            @staticmethod
            def jvp(ctx, g):
                return g * 2

        x = lib.randn(3, 3, dtype=lib.float64, requires_grad=True)
        with pytest.raises(RuntimeError, match="Jacobian computed with forward mode mismatch for output 0"):
            lib.autograd.gradcheck(WrongJvp.apply, (x,), check_forward_ad=True, check_backward_ad=False)


def test_dual_parameters_in_a_module_give_the_jvp_in_parameter_space():
    """A Linear layer whose weight and bias are dual tensors: the output's tangent is dW·x + db."""
    res = []
    for lib in (al, torch):
        lib.manual_seed(0)
        model = lib.nn.Linear(3, 2)
        x = lib.randn(4, 3)
        tangents = {n: lib.ones_like(p) for n, p in model.named_parameters()}
        with fw(lib).dual_level():
            for n, p in list(model.named_parameters()):
                delattr(model, n)
                setattr(model, n, fw(lib).make_dual(p, tangents[n]))
            t = fw(lib).unpack_dual(model(x)).tangent
        res.append((t.detach().numpy(), (x @ lib.ones(3, 2) + 1).numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-6)
    np.testing.assert_allclose(res[0][0], res[0][1], rtol=1e-6)
