"""Differential tests of the op layer against PyTorch 2.13.

Every case runs the same function on autograd_lab and on torch with the same inputs and compares
values, dtype, repr (with the grad_fn name), the grad_fn graph (names, next_functions layout and
None positions), every input's gradient after ``backward(random upstream gradient)`` and, for the
smooth ops, second derivatives through ``create_graph=True``.
"""
import os
import warnings

import numpy as np
import pytest

if os.environ.get("CI") == "true":
    import torch  # in CI a missing torch is a failure, never a skip
else:
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for the differential tests")

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS, P, assert_same, assert_values, check, graph, to_np  # noqa: E402

_rng = np.random.default_rng(1234)


def X(*shape, lo=-2.0, hi=2.0, dtype=np.float32, grad=True):
    """Random float input (uniform in [lo, hi))."""
    return P(_rng.uniform(lo, hi, size=shape).astype(dtype), grad=grad)


def POS(*shape, dtype=np.float32, grad=True):
    return X(*shape, lo=0.5, hi=2.5, dtype=dtype, grad=grad)


def I(*shape, lo=-5, hi=5, dtype=np.int64):
    return P(_rng.integers(lo, hi, size=shape).astype(dtype), grad=False)


def B(*shape):
    return P(_rng.random(size=shape) > 0.5, grad=False)


CASES = []


def _graph_of(t):
    # for ops whose backward raises (no derivative in PyTorch either): the layout, values and dtype
    return (t.grad_fn.name(), [None if n is None else n.name() for n, _ in t.grad_fn.next_functions],
            t.detach(), str(t.dtype))


def _rsub(L):
    # torch.rsub; autograd_lab/__init__.py does not export it yet (core), so take it from ops.api
    if L is torch:
        return torch.rsub
    from autograd_lab.ops import api
    return getattr(L, "rsub", api.rsub)


def case(name, fn, *args, second=False, **kw):
    CASES.append(pytest.param(fn, args, second, kw, id=name))


# ---------------------------------------------------------------- arithmetic
case("add", lambda L, a, b: a + b, X(2, 3), X(2, 3), second=True)
case("add_broadcast", lambda L, a, b: a + b, X(2, 1, 3), X(4, 1), second=True)
case("add_fn_alpha", lambda L, a, b: L.add(a, b, alpha=2.5), X(2, 3), X(3), second=True)
case("add_scalar", lambda L, a: a + 2, X(2, 3))
case("radd_scalar", lambda L, a: 2.5 + a, X(2, 3))
case("add_0d", lambda L, a, b: a + b, X(), X(3))
case("add_0d_0d", lambda L, a, b: a + b, X(), X())
case("add_f64_f32", lambda L, a, b: a + b, X(3, dtype=np.float64), X(3))
case("add_0d_f64_to_f32", lambda L, a, b: a + b, X(dtype=np.float64), X(3))
case("add_int_float", lambda L, a, b: a + b, I(3), X(3))
case("add_int_0dfloat", lambda L, a, b: a + b, I(3), X(dtype=np.float64))
case("add_int_scalar_float", lambda L, a: a + 1.5, I(3))
case("add_int_scalar_int", lambda L, a: a + 2, I(3, dtype=np.int32))
case("add_int32_0d_int64", lambda L, a, b: a + b, I(3, dtype=np.int32), I(dtype=np.int64))
case("add_bool_bool", lambda L, a, b: a + b, B(3), B(3))
case("add_bool_int_scalar", lambda L, a: a + 1, B(3))
case("add_bool_float_scalar", lambda L, a: a + 1.5, B(3))
case("add_f64_scalar", lambda L, a: a + 1.5, X(3, dtype=np.float64))
case("add_size0", lambda L, a, b: a + b, X(0, 3), X(3))
case("sub", lambda L, a, b: a - b, X(2, 3), X(3), second=True)
case("sub_alpha", lambda L, a, b: L.sub(a, b, alpha=3), X(2, 3), X(2, 3))
case("sub_scalar", lambda L, a: a - 2, X(2, 3))
case("rsub_scalar", lambda L, a: 2 - a, X(2, 3))
case("rsub_float_scalar_int", lambda L, a: 2.5 - a, I(3))
case("rsub_int", lambda L, a: 2 - a, I(3))
case("rsub_fn", lambda L, a, b: _rsub(L)(a, b), X(2, 3), X(3))
case("rsub_fn_alpha", lambda L, a, b: _rsub(L)(a, b, alpha=2), X(2, 3), X(3))
case("rsub_fn_scalar_alpha", lambda L, a: _rsub(L)(a, 2, alpha=3), X(2, 3))
case("mul", lambda L, a, b: a * b, X(2, 3), X(2, 3), second=True)
case("mul_broadcast", lambda L, a, b: a * b, X(3, 1), X(1, 4), second=True)
case("mul_self", lambda L, a: a * a, X(2, 3), second=True)
case("mul_scalar", lambda L, a: a * 3, X(2, 3), second=True)
case("rmul_scalar", lambda L, a: 3.5 * a, X(2, 3))
case("mul_int_int", lambda L, a, b: a * b, I(3), I(3))
case("mul_bool_bool", lambda L, a, b: a * b, B(3), B(3))
case("mul_nograd_other", lambda L, a, b: a * b, X(2, 3), X(2, 3, grad=False))
case("mul_0d", lambda L, a, b: a * b, X(), X(2, 2), second=True)
case("div", lambda L, a, b: a / b, X(2, 3), POS(2, 3), second=True)
case("div_broadcast", lambda L, a, b: a / b, X(2, 3), POS(3), second=True)
case("div_scalar", lambda L, a: a / 4, X(2, 3))
case("rdiv_scalar", lambda L, a: 2 / a, POS(2, 3), second=True)
case("rdiv_int_tensor", lambda L, a: 2 / a, P(np.array([1, 2, 4])))
case("div_int_int", lambda L, a, b: a / b, P(np.array([1, 2, 3])), P(np.array([2, 2, 2])))
case("div_int_scalar", lambda L, a: a / 2, P(np.array([1, 2, 3])))
case("div_int32_int", lambda L, a, b: a / b, P(np.array([1, 2, 3], np.int32)), P(np.array([2, 2, 2], np.int32)))
case("div_floor", lambda L, a, b: L.div(a, b, rounding_mode="floor"), X(5), POS(5))
case("div_trunc", lambda L, a, b: L.div(a, b, rounding_mode="trunc"), X(5), POS(5))
case("div_floor_int", lambda L, a, b: L.div(a, b, rounding_mode="floor"), P(np.array([-7, 7, 5])),
     P(np.array([2, 2, -3])))
case("floordiv_op", lambda L, a, b: a // b, P(np.array([-7, 7, 5])), P(np.array([2, 2, -3])))
case("div_by_zero", lambda L, a, b: a / b, P(np.array([1.0, -1.0, 0.0], np.float32)),
     P(np.array([0.0, 0.0, 0.0], np.float32)))
case("true_divide", lambda L, a, b: L.true_divide(a, b), X(3), POS(3))
case("neg", lambda L, a: -a, X(2, 3), second=True)
case("neg_fn", lambda L, a: L.neg(a), X(2, 3))
case("neg_int", lambda L, a: -a, I(3))
case("pow_scalar2", lambda L, a: a ** 2, X(2, 3), second=True)
case("pow_scalar3", lambda L, a: a.pow(3), X(2, 3), second=True)
case("pow_scalar_half", lambda L, a: a ** 0.5, POS(2, 3), second=True)
case("pow_scalar_neg", lambda L, a: a ** -1.5, POS(2, 3), second=True)
case("pow_scalar0", lambda L, a: a ** 0, X(2, 3), second=True)
case("pow_scalar1", lambda L, a: a ** 1, X(2, 3), second=True)
case("pow_zero_base", lambda L, a: a ** 2, P(np.array([0.0, 1.0, -2.0], np.float32)), second=True)
case("pow_int_scalar", lambda L, a: a ** 2, I(3))
case("pow_int_float_scalar", lambda L, a: a ** 0.5, P(np.array([1, 4, 9])))
case("pow_tensor", lambda L, a, b: a ** b, POS(2, 3), X(2, 3), second=True)
case("pow_tensor_broadcast", lambda L, a, b: L.pow(a, b), POS(2, 3), X(3), second=True)
case("pow_tensor_0d_exp", lambda L, a, b: a ** b, POS(2, 3), X(), second=True)
case("pow_tensor_zero_base", lambda L, a, b: a ** b,
     P(np.array([0.0, 0.0, 2.0], np.float32)), P(np.array([2.0, 0.0, 3.0], np.float32)))
case("pow_tensor_int_float", lambda L, a, b: a ** b, I(3, lo=1, hi=4), X(3))
case("rpow", lambda L, a: 2 ** a, X(2, 3), second=True)
case("rpow_float", lambda L, a: 2.5 ** a, X(2, 3), second=True)
case("rpow_int_tensor", lambda L, a: 2 ** a, I(3, lo=0, hi=4))
case("rpow_float_int_tensor", lambda L, a: 2.5 ** a, I(3, lo=0, hi=4))
case("pow_fn_scalar_base", lambda L, a: L.pow(3.0, a), X(3), second=True)
case("square", lambda L, a: L.square(a), X(3), second=True)
case("exp", lambda L, a: a.exp(), X(2, 3), second=True)
case("exp_fn", lambda L, a: L.exp(a), X(2, 3))
case("exp_int", lambda L, a: L.exp(a), I(3))
case("exp_f64", lambda L, a: L.exp(a), X(3, dtype=np.float64), second=True)
case("log", lambda L, a: a.log(), POS(2, 3), second=True)
case("log_int", lambda L, a: a.log(), P(np.array([1, 2, 3])))
case("log_neg_zero", lambda L, a: a.log(), P(np.array([-1.0, 0.0, 1.0], np.float32)))
case("sqrt", lambda L, a: a.sqrt(), POS(2, 3), second=True)
case("sqrt_int", lambda L, a: L.sqrt(a), P(np.array([1, 4, 9])))
case("rsqrt", lambda L, a: a.rsqrt(), POS(2, 3), second=True)
case("abs", lambda L, a: a.abs(), X(2, 3), second=True)
case("abs_op", lambda L, a: abs(a), X(2, 3))
case("abs_int", lambda L, a: L.abs(a), I(4))
case("abs_at_zero", lambda L, a: a.abs(), P(np.array([0.0, 1.0, -1.0], np.float32)))
case("sin", lambda L, a: a.sin(), X(2, 3), second=True)
case("cos", lambda L, a: a.cos(), X(2, 3), second=True)
case("tanh", lambda L, a: a.tanh(), X(2, 3), second=True)
case("sigmoid", lambda L, a: a.sigmoid(), X(2, 3), second=True)
case("sigmoid_fn", lambda L, a: L.sigmoid(a), X(2, 3, lo=-30, hi=30), second=True)
case("reciprocal", lambda L, a: a.reciprocal(), POS(3), second=True)
case("sign", lambda L, a: a.sign(), X(4))
case("relu", lambda L, a: a.relu(), X(2, 3), second=True)
case("relu_fn", lambda L, a: L.relu(a), X(2, 3))
case("relu_at_zero", lambda L, a: a.relu(), P(np.array([0.0, 1.0, -1.0], np.float32)))
case("relu_int", lambda L, a: L.relu(a), I(4))
case("clamp_both", lambda L, a: a.clamp(-0.5, 0.5), X(2, 3), second=True)
case("clamp_min", lambda L, a: a.clamp(min=0.1), X(2, 3))
case("clamp_max", lambda L, a: L.clamp(a, max=0.1), X(2, 3))
case("clamp_boundary", lambda L, a: a.clamp(0.0, 1.0), P(np.array([0.0, 1.0, 0.5, 2.0, -1.0], np.float32)))
case("clamp_min_fn", lambda L, a: L.clamp_min(a, 0.2), X(2, 3))
case("clamp_max_method", lambda L, a: a.clamp_max(0.2), X(2, 3))
case("clamp_int", lambda L, a: a.clamp(-1, 2), I(5))
case("clamp_int_float", lambda L, a: a.clamp(-1.5, 2), I(5))
case("clamp_min_gt_max", lambda L, a: a.clamp(1.0, 0.0), X(4))
case("clamp_tensor", lambda L, a, lo, hi: a.clamp(lo, hi), X(2, 3), X(3, lo=-2, hi=0), X(2, 3, lo=0, hi=2))
case("clip", lambda L, a: L.clip(a, -1, 1), X(3))
case("maximum", lambda L, a, b: L.maximum(a, b), X(2, 3), X(3))
case("minimum", lambda L, a, b: L.minimum(a, b), X(2, 3), X(3))
case("sum_sq_chain", lambda L, a, b: ((a * b).exp() + a.sin()).sum(), X(2, 3), X(3), second=True)

# ---------------------------------------------------------------- matmul family
case("matmul_1d_1d", lambda L, a, b: a @ b, X(4), X(4), second=True)
case("matmul_2d_1d", lambda L, a, b: a @ b, X(3, 4), X(4), second=True)
case("matmul_1d_2d", lambda L, a, b: a @ b, X(3), X(3, 4), second=True)
case("matmul_2d_2d", lambda L, a, b: a @ b, X(2, 3), X(3, 4), second=True)
case("matmul_3d_2d", lambda L, a, b: a @ b, X(2, 3, 4), X(4, 5), second=True)
case("matmul_3d_1d", lambda L, a, b: a @ b, X(2, 3, 4), X(4), second=True)
case("matmul_1d_3d", lambda L, a, b: a @ b, X(3), X(2, 3, 4), second=True)
case("matmul_2d_3d", lambda L, a, b: a @ b, X(3, 4), X(2, 4, 5), second=True)
case("matmul_3d_3d", lambda L, a, b: a @ b, X(2, 3, 4), X(2, 4, 5), second=True)
case("matmul_bcast_batch", lambda L, a, b: L.matmul(a, b), X(2, 1, 3, 4), X(5, 4, 2), second=True)
case("matmul_4d_2d", lambda L, a, b: a @ b, X(2, 2, 3, 4), X(4, 2))
case("matmul_4d_1d", lambda L, a, b: a @ b, X(2, 2, 3, 4), X(4))
case("matmul_1d_4d", lambda L, a, b: a @ b, X(3), X(2, 2, 3, 4))
case("matmul_nograd_left", lambda L, a, b: a @ b, X(2, 3, grad=False), X(3, 4))
case("matmul_nograd_right", lambda L, a, b: a @ b, X(2, 3), X(3, 4, grad=False))
case("matmul_int", lambda L, a, b: a @ b, I(2, 3), I(3, 2))
case("matmul_f64", lambda L, a, b: a @ b, X(2, 3, dtype=np.float64), X(3, 2, dtype=np.float64), second=True)
case("mm", lambda L, a, b: a.mm(b), X(2, 3), X(3, 4), second=True)
case("mm_fn", lambda L, a, b: L.mm(a, b), X(2, 3), X(3, 4))
case("mv", lambda L, a, b: a.mv(b), X(2, 3), X(3), second=True)
case("dot", lambda L, a, b: a.dot(b), X(3), X(3), second=True)
case("bmm", lambda L, a, b: a.bmm(b), X(2, 3, 4), X(2, 4, 5), second=True)
case("matmul_empty_k", lambda L, a, b: a @ b, X(2, 0), X(0, 3))
case("outer", lambda L, a, b: L.outer(a, b), X(3), X(4))

# ---------------------------------------------------------------- reductions
case("sum", lambda L, a: a.sum(), X(2, 3), second=True)
case("sum_dim", lambda L, a: a.sum(1), X(2, 3, 4), second=True)
case("sum_dim_keepdim", lambda L, a: a.sum(1, keepdim=True), X(2, 3, 4))
case("sum_neg_dim", lambda L, a: a.sum(-1), X(2, 3, 4))
case("sum_tuple", lambda L, a: a.sum((0, 2)), X(2, 3, 4))
case("sum_tuple_neg_keepdim", lambda L, a: a.sum((-1, 0), keepdim=True), X(2, 3, 4))
case("sum_list", lambda L, a: L.sum(a, [0, 1]), X(2, 3, 4))
case("sum_0d", lambda L, a: a.sum(), X())
case("sum_0d_dim", lambda L, a: a.sum(0), X())
case("sum_0d_dim_neg", lambda L, a: a.sum(-1, keepdim=True), X())
case("sum_size0", lambda L, a: a.sum(), X(0, 3))
case("sum_size0_dim", lambda L, a: a.sum(0), X(0, 3))
case("sum_int", lambda L, a: a.sum(), I(2, 3))
case("sum_int32", lambda L, a: a.sum(0), I(2, 3, dtype=np.int32))
case("sum_bool", lambda L, a: a.sum(), B(2, 3))
case("sum_dtype", lambda L, a: a.sum(dtype=L.float64), X(2, 3))
case("sum_empty_tuple", lambda L, a: a.sum(()), X(2, 3))
case("mean", lambda L, a: a.mean(), X(2, 3), second=True)
case("mean_dim", lambda L, a: a.mean(0), X(2, 3), second=True)
case("mean_dim_keepdim_neg", lambda L, a: a.mean(-1, keepdim=True), X(2, 3))
case("mean_tuple", lambda L, a: a.mean((0, 2)), X(2, 3, 4))
case("mean_0d", lambda L, a: a.mean(), X())
case("mean_0d_dim", lambda L, a: a.mean(0), X())
case("mean_dtype", lambda L, a: a.mean(dtype=L.float64), X(2, 3))
case("mean_int_dtype", lambda L, a: a.mean(dtype=L.float32), I(2, 3))
case("mean_size0", lambda L, a: a.mean(), X(0, 3))
case("mean_size0_dim", lambda L, a: a.mean(1), X(0, 3))
case("mean_empty_tuple", lambda L, a: a.mean(()), X(2, 3))
case("max_all", lambda L, a: a.max(), X(2, 3))
case("max_all_ties", lambda L, a: a.max(), P(np.array([1.0, 3.0, 3.0, 2.0, 3.0], np.float32)))
case("min_all", lambda L, a: L.min(a), X(2, 3))
case("max_dim", lambda L, a: a.max(1), X(2, 3, 4))
case("max_dim_keepdim", lambda L, a: a.max(1, keepdim=True), X(2, 3, 4))
case("max_dim_neg", lambda L, a: L.max(a, dim=-1), X(2, 3))
case("max_dim_ties", lambda L, a: a.max(1), P(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]], np.float32)))
case("min_dim_ties", lambda L, a: a.min(1), P(np.array([[1.0, 3.0, 1.0], [2.0, 2.0, 1.0]], np.float32)))
case("min_dim", lambda L, a: a.min(0), X(2, 3, 4))
case("max_dim_0d", lambda L, a: a.max(0), X())
case("max_int", lambda L, a: a.max(), I(2, 3))
case("max_dim_int", lambda L, a: a.max(0), I(2, 3))
case("max_values_indices", lambda L, a: (a.max(1).values, a.max(1).indices), X(2, 3))
case("max_binary", lambda L, a, b: L.max(a, b), X(2, 3), X(3))
case("max_nan", lambda L, a: a.max(0), P(np.array([[1.0, np.nan], [2.0, 0.0]], np.float32)))
case("min_nan", lambda L, a: a.min(0), P(np.array([[1.0, np.nan], [2.0, 0.0]], np.float32)))
case("max_all_nan", lambda L, a: a.max(), P(np.array([1.0, np.nan], np.float32)))
case("amax", lambda L, a: a.amax(), X(2, 3))
case("amax_dim", lambda L, a: a.amax(1), X(2, 3))
case("amax_tuple_keepdim", lambda L, a: L.amax(a, (0, -1), keepdim=True), X(2, 3, 4))
case("amax_ties", lambda L, a: a.amax(1), P(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], np.float32)))
case("amin", lambda L, a: a.amin(0), X(2, 3))
case("norm", lambda L, a: a.norm(), X(2, 3), second=True)
case("norm_fn", lambda L, a: L.norm(a), X(2, 3))
case("norm_p1", lambda L, a: a.norm(p=1), X(2, 3))
case("norm_p3", lambda L, a: a.norm(p=3), X(2, 3), second=True)
case("norm_inf", lambda L, a: a.norm(p=float("inf")), X(2, 3))
case("norm_inf_ties", lambda L, a: a.norm(p=float("inf")), P(np.array([1.0, -3.0, 3.0], np.float32)))
case("norm_dim", lambda L, a: a.norm(dim=1), X(2, 3), second=True)
case("norm_dim_keepdim", lambda L, a: a.norm(dim=0, keepdim=True), X(2, 3))
case("norm_p1_dim", lambda L, a: a.norm(p=1, dim=1), X(2, 3))
case("norm_inf_dim", lambda L, a: a.norm(p=float("inf"), dim=1), X(2, 3))
case("norm_p2_int_arg", lambda L, a: a.norm(2), X(2, 3))
case("norm_zero", lambda L, a: a.norm(), P(np.zeros(3, np.float32)))
case("norm_0d", lambda L, a: a.norm(), X())
case("norm_f64", lambda L, a: a.norm(), X(4, dtype=np.float64))
case("var", lambda L, a: a.var(), X(2, 3), second=True)
case("var_dim", lambda L, a: a.var(1), X(2, 3), second=True)
case("var_unbiased_false", lambda L, a: a.var(1, unbiased=False), X(2, 3))
case("var_correction", lambda L, a: a.var(0, correction=0, keepdim=True), X(2, 3))
case("var_bool_arg", lambda L, a: a.var(False), X(2, 3))
case("var_tuple", lambda L, a: a.var((0, 1)), X(2, 3, 2))
case("std", lambda L, a: a.std(), X(2, 3), second=True)
case("std_dim", lambda L, a: a.std(-1, keepdim=True), X(2, 3), second=True)
case("std_fn", lambda L, a: L.std(a, 0, unbiased=False), X(2, 3))
case("var_single", lambda L, a: a.var(), X(1))
case("logsumexp", lambda L, a: a.logsumexp(1), X(2, 3), second=True)
case("logsumexp_tuple", lambda L, a: L.logsumexp(a, (0, 1), keepdim=True), X(2, 3), second=True)
case("logsumexp_large", lambda L, a: a.logsumexp(0), P(np.array([1000.0, 1000.0, -5.0], np.float32)))
case("logsumexp_neginf", lambda L, a: a.logsumexp(0), P(np.array([-np.inf, -np.inf], np.float32)))
case("prod", lambda L, a: a.prod(), X(2, 3), second=True)

# ---------------------------------------------------------------- softmax
case("softmax", lambda L, a: a.softmax(1), X(2, 3), second=True)
case("softmax_dim0", lambda L, a: L.softmax(a, 0), X(2, 3), second=True)
case("softmax_neg", lambda L, a: L.softmax(a, dim=-1), X(2, 3, 4))
case("softmax_0d", lambda L, a: a.softmax(0), X())
case("softmax_dtype", lambda L, a: a.softmax(0, dtype=L.float64), X(3))
case("log_softmax", lambda L, a: a.log_softmax(1), X(2, 3), second=True)
case("log_softmax_fn", lambda L, a: L.log_softmax(a, -1), X(2, 3, 4), second=True)
case("softmax_large", lambda L, a: a.softmax(0), P(np.array([1000.0, 0.0, -1000.0], np.float32)))

# ---------------------------------------------------------------- shapes
case("reshape", lambda L, a: a.reshape(3, 2), X(2, 3), second=True)
case("reshape_tuple", lambda L, a: a.reshape((-1,)), X(2, 3))
case("reshape_fn", lambda L, a: L.reshape(a, (3, -1)), X(2, 3))
case("reshape_noncontig", lambda L, a: a.t().reshape(6), X(2, 3))
case("reshape_0d", lambda L, a: a.reshape(1, 1), X())
case("reshape_to_0d", lambda L, a: a.reshape(()), X(1))
case("reshape_size0", lambda L, a: a.reshape(3, 0), X(0, 3))
case("view", lambda L, a: a.view(6), X(2, 3))
case("view_minus1", lambda L, a: a.view(-1, 2), X(2, 3))
case("view_as", lambda L, a, b: a.view_as(b), X(2, 3), X(6))
case("reshape_as", lambda L, a, b: a.reshape_as(b), X(2, 3), X(3, 2))
case("flatten", lambda L, a: a.flatten(), X(2, 3, 4))
case("flatten_dims", lambda L, a: a.flatten(1), X(2, 3, 4))
case("flatten_mid", lambda L, a: L.flatten(a, 0, 1), X(2, 3, 4))
case("flatten_same_dim", lambda L, a: a.flatten(1, 1), X(2, 3, 4))
case("flatten_0d", lambda L, a: a.flatten(), X())
case("flatten_1d", lambda L, a: a.flatten(), X(3))
case("transpose", lambda L, a: a.transpose(0, 1), X(2, 3), second=True)
case("transpose_neg", lambda L, a: L.transpose(a, -1, 0), X(2, 3, 4))
case("t", lambda L, a: a.t(), X(2, 3))
case("t_1d", lambda L, a: a.t(), X(3))
case("t_0d", lambda L, a: L.t(a), X())
case("T_2d", lambda L, a: a.T, X(2, 3))
case("mT", lambda L, a: a.mT, X(2, 3, 4))
case("permute", lambda L, a: a.permute(2, 0, 1), X(2, 3, 4), second=True)
case("permute_tuple_neg", lambda L, a: a.permute((-1, 0, 1)), X(2, 3, 4))
case("permute_fn", lambda L, a: L.permute(a, (1, 0)), X(2, 3))
case("squeeze", lambda L, a: a.squeeze(), X(1, 3, 1))
case("squeeze_dim", lambda L, a: a.squeeze(0), X(1, 3, 1))
case("squeeze_dim_not1", lambda L, a: a.squeeze(1), X(1, 3, 1))
case("squeeze_neg", lambda L, a: a.squeeze(-1), X(1, 3, 1))
case("squeeze_tuple", lambda L, a: a.squeeze((0, 2)), X(1, 3, 1))
case("squeeze_0d", lambda L, a: a.squeeze(), X())
case("squeeze_0d_dim", lambda L, a: a.squeeze(0), X())
case("unsqueeze", lambda L, a: a.unsqueeze(1), X(2, 3), second=True)
case("unsqueeze_neg", lambda L, a: L.unsqueeze(a, -1), X(2, 3))
case("unsqueeze_0d", lambda L, a: a.unsqueeze(0), X())
case("expand", lambda L, a: a.expand(2, 3), X(1, 3), second=True)
case("expand_new_dims", lambda L, a: a.expand(4, 2, 3), X(2, 1))
case("expand_minus1", lambda L, a: a.expand(-1, 4), X(3, 1))
case("expand_tuple", lambda L, a: a.expand((2, 3)), X(3))
case("expand_as", lambda L, a, b: a.expand_as(b), X(3), X(2, 3))
case("expand_0d", lambda L, a: a.expand(2, 2), X())
case("broadcast_to", lambda L, a: L.broadcast_to(a, (2, 3)), X(3))

# ---------------------------------------------------------------- indexing
case("getitem_int", lambda L, a: a[1], X(3, 4), second=True)
case("getitem_neg_int", lambda L, a: a[-1], X(3, 4))
case("getitem_int_int", lambda L, a: a[1, 2], X(3, 4))
case("getitem_slice", lambda L, a: a[1:], X(3, 4), second=True)
case("getitem_full_slice", lambda L, a: a[:], X(3, 4))
case("getitem_full_slices", lambda L, a: a[:, :], X(3, 4))
case("getitem_slice_step", lambda L, a: a[::2], X(5, 2))
case("getitem_slice_neg", lambda L, a: a[-2:], X(5, 2))
case("getitem_slice_oob", lambda L, a: a[2:10], X(5, 2))
case("getitem_slice_empty", lambda L, a: a[3:1], X(5, 2))
case("getitem_slice2", lambda L, a: a[:, 1:3], X(3, 4))
case("getitem_slice_int", lambda L, a: a[1:, 0], X(3, 4))
case("getitem_none", lambda L, a: a[None], X(3, 4))
case("getitem_none_mid", lambda L, a: a[:, None], X(3, 4))
case("getitem_none_int", lambda L, a: a[None, 0], X(3, 4))
case("getitem_ellipsis", lambda L, a: a[...], X(3, 4))
case("getitem_ellipsis_0d", lambda L, a: a[...], X())
case("getitem_ellipsis_int", lambda L, a: a[..., 1], X(2, 3, 4))
case("getitem_ellipsis_none", lambda L, a: a[..., None], X(3, 4))
case("getitem_int_ellipsis", lambda L, a: a[0, ...], X(2, 3, 4))
case("getitem_none_0d", lambda L, a: a[None], X())
case("getitem_list", lambda L, a: a[[0, 2]], X(3, 4), second=True)
case("getitem_list_repeat", lambda L, a: a[[0, 0, 1]], X(3, 4))
case("getitem_list_neg", lambda L, a: a[[-1, 0]], X(3, 4))
case("getitem_two_lists", lambda L, a: a[[0, 1], [1, 3]], X(3, 4))
case("getitem_slice_list", lambda L, a: a[1:, [0, 2]], X(3, 4))
case("getitem_bool_mask", lambda L, a, m: a[m], X(3, 4), B(3, 4))
case("getitem_bool_rows", lambda L, a, m: a[m], X(3, 4), P(np.array([True, False, True])))
case("getitem_gt_mask", lambda L, a: a[a > 0], X(3, 4))
case("getitem_long_tensor", lambda L, a, i: a[i], X(3, 4), P(np.array([2, 0, 2])))
case("getitem_long_tensor_2d", lambda L, a, i: a[i], X(3, 4), P(np.array([[2, 0], [1, 1]])))
case("getitem_0d_long_tensor", lambda L, a, i: a[i], X(3, 4), P(np.array(1)))
case("getitem_tensor_pair", lambda L, a, i, j: a[i, j], X(3, 4), P(np.array([0, 2])), P(np.array([3, 1])))
case("getitem_1d_int", lambda L, a: a[0], X(3))

# ---------------------------------------------------------------- joining / splitting
case("cat", lambda L, a, b: L.cat([a, b]), X(2, 3), X(1, 3), second=True)
case("cat_dim1", lambda L, a, b: L.cat((a, b), dim=1), X(2, 3), X(2, 1))
case("cat_neg", lambda L, a, b: L.cat([a, b], -1), X(2, 3), X(2, 2))
case("cat_nograd", lambda L, a, b: L.cat([a, b]), X(2, 3), X(1, 3, grad=False))
case("cat_promote", lambda L, a, b: L.cat([a, b]), X(2, 3), I(1, 3))
case("cat_promote_f64", lambda L, a, b: L.cat([a, b]), X(2, 3), X(1, 3, dtype=np.float64))
case("cat_empty_1d", lambda L, a, b: L.cat([a, b]), X(2, 3), P(np.zeros(0, np.float32)))
case("cat_three", lambda L, a, b, c: L.cat([a, b, c], 0), X(1), X(2), X(3))
case("stack", lambda L, a, b: L.stack([a, b]), X(2, 3), X(2, 3), second=True)
case("stack_dim1", lambda L, a, b: L.stack((a, b), 1), X(2, 3), X(2, 3))
case("stack_neg", lambda L, a, b: L.stack([a, b], -1), X(2, 3), X(2, 3))
case("stack_0d", lambda L, a, b: L.stack([a, b]), X(), X())
case("stack_nograd", lambda L, a, b: L.stack([a, b]), X(2), X(2, grad=False))
case("split", lambda L, a: a.split(2), X(5, 3))
case("split_sizes", lambda L, a: a.split([1, 2], dim=1), X(2, 3))
case("split_fn", lambda L, a: L.split(a, 2, -1), X(2, 5))
case("split_used_partially", lambda L, a: a.split(2)[1], X(5, 3))
case("chunk", lambda L, a: a.chunk(2), X(5, 3))
case("chunk_uneven", lambda L, a: L.chunk(a, 4, 1), X(2, 6))
case("chunk_more_than_size", lambda L, a: a.chunk(3), X(2, 3))
case("unbind", lambda L, a: a.unbind(), X(3, 2))
case("unbind_dim", lambda L, a: L.unbind(a, 1), X(3, 2))
case("unbind_partial", lambda L, a: a.unbind()[2], X(3, 2))

# ---------------------------------------------------------------- where / masked_fill / clone
case("where", lambda L, c, a, b: L.where(c, a, b), B(2, 3), X(2, 3), X(3), second=True)
case("where_scalar_other", lambda L, c, a: L.where(c, a, 0.0), B(2, 3), X(2, 3))
case("where_scalar_self", lambda L, c, a: L.where(c, 1.5, a), B(2, 3), X(2, 3))
case("where_promote", lambda L, c, a, b: L.where(c, a, b), B(3), X(3), X(3, dtype=np.float64))
case("where_int_scalar", lambda L, c, a: L.where(c, a, 0), B(3), X(3))
case("where_method", lambda L, c, a, b: a.where(c, b), B(3), X(3), X(3))
case("masked_fill", lambda L, a, m: a.masked_fill(m, 0.5), X(2, 3), B(2, 3), second=True)
case("masked_fill_bcast", lambda L, a, m: L.masked_fill(a, m, -1.0), X(2, 3), B(3))
case("masked_fill_tensor_value", lambda L, a, m, v: a.masked_fill(m, v), X(2, 3), B(2, 3), X(grad=False))
case("masked_fill_grad_value", lambda L, a, m, v: a.masked_fill(m, v), X(2, 3), B(2, 3), X())
case("masked_fill_int", lambda L, a, m: a.masked_fill(m, 7), I(2, 3), B(2, 3))
case("clone", lambda L, a: a.clone(), X(2, 3), second=True)
case("clone_fn", lambda L, a: L.clone(a), X(2, 3))

# ---------------------------------------------------------------- comparisons and logic
for _name, _op in [("eq", "__eq__"), ("ne", "__ne__"), ("lt", "__lt__"), ("le", "__le__"), ("gt", "__gt__"),
                   ("ge", "__ge__")]:
    case(f"{_name}_op", lambda L, a, b, _op=_op: getattr(a, _op)(b), I(2, 3, lo=0, hi=3), I(3, lo=0, hi=3))
    case(f"{_name}_fn_float", lambda L, a, b, _n=_name: getattr(L, _n)(a, b), X(2, 3), X(2, 3))
    case(f"{_name}_scalar", lambda L, a, _op=_op: getattr(a, _op)(0.5), X(2, 3))
    case(f"{_name}_method", lambda L, a, b, _n=_name: getattr(a, _n)(b), X(3), X(3, dtype=np.float64))
case("eq_int_float_scalar", lambda L, a: a == 1.0, I(5, lo=0, hi=3))
case("all", lambda L, a: a.all(), B(2, 3))
case("all_dim", lambda L, a: L.all(a, 1), B(2, 3))
case("all_dim_keepdim", lambda L, a: a.all(dim=0, keepdim=True), B(2, 3))
case("all_float", lambda L, a: a.all(), X(2, 3))
case("all_int_dim", lambda L, a: a.all(1), I(2, 3))
case("all_uint8", lambda L, a: a.all(), P(np.array([1, 2], np.uint8), grad=False))
case("any", lambda L, a: a.any(), B(2, 3))
case("any_dim", lambda L, a: L.any(a, -1), B(2, 3))
case("any_float", lambda L, a: a.any(), X(2, 3))
case("any_empty", lambda L, a: a.any(), P(np.zeros(0, np.float32)))
case("equal_true", lambda L, a: L.equal(a, a.clone()), X(2, 3))
case("equal_false", lambda L, a, b: L.equal(a, b), X(2, 3), X(2, 3))
case("equal_shape", lambda L, a, b: a.equal(b), X(2, 3), X(3))
case("equal_dtype", lambda L, a, b: L.equal(a, b), P(np.array([1, 2])), P(np.array([1.0, 2.0], np.float32)))
case("allclose_true", lambda L, a: L.allclose(a, a + 1e-7), X(2, 3))
case("allclose_false", lambda L, a, b: a.allclose(b), X(2, 3), X(2, 3))
case("allclose_bcast", lambda L, a, b: L.allclose(a, b), X(2, 3), X(3))
case("allclose_nan", lambda L, a: L.allclose(a, a, equal_nan=True), P(np.array([np.nan, 1.0], np.float32)))
case("logical_not", lambda L, a: ~a, B(3))
case("isnan", lambda L, a: L.isnan(a), P(np.array([np.nan, 1.0], np.float32)))


# ---------------------------------------------------------------- more of the op layer
case("remainder", lambda L, a, b: a % b, X(2, 3), POS(3), second=True)
case("remainder_scalar", lambda L, a: a % 0.7, X(2, 3))
case("remainder_int", lambda L, a, b: a % b, I(5), P(np.array([2, -3, 4, 5, -2])))
case("rremainder", lambda L, a: 5 % a, POS(3, grad=False))
case("floordiv", lambda L, a, b: a // b, X(5, grad=False), POS(5, grad=False))
case("floordiv_scalar", lambda L, a: a // 0.3, X(5, grad=False))
case("floordiv_graph", lambda L, a, b: _graph_of(a // b), X(5), POS(5))
case("rremainder_graph", lambda L, a: _graph_of(5 % a), POS(3))
case("rfloordiv_int", lambda L, a: 7 // a, P(np.array([2, -3, 4])))
case("flip", lambda L, a: a.flip(0), X(2, 3), second=True)
case("flip_dims", lambda L, a: L.flip(a, (0, -1)), X(2, 3))
case("repeat", lambda L, a: a.repeat(2, 1), X(2, 3), second=True)
case("repeat_new_dims", lambda L, a: a.repeat(2, 1, 2), X(3))
case("narrow", lambda L, a: a.narrow(1, 1, 2), X(2, 3))
case("select", lambda L, a: a.select(1, -1), X(2, 3))
case("argmax", lambda L, a: a.argmax(), X(2, 3))
case("argmax_dim", lambda L, a: a.argmax(1, keepdim=True), X(2, 3))
case("argmin_dim", lambda L, a: L.argmin(a, 0), X(2, 3))
case("addmm", lambda L, b, a, c: L.addmm(b, a, c), X(3), X(2, 4), X(4, 3), second=True)
case("square_method", lambda L, a: a.square(), X(3))
case("sign_method", lambda L, a: a.sign(), X(3))
case("isclose", lambda L, a, b: L.isclose(a, b), X(3), X(3))
case("logical_and", lambda L, a, b: L.logical_and(a, b), B(3), B(3))
case("logical_or_op", lambda L, a, b: a | b, B(3), B(3))
case("swapaxes", lambda L, a: a.swapaxes(0, 1), X(2, 3))
case("T_3d", lambda L, a: a.T, X(2, 3, 4))
case("T_1d", lambda L, a: a.T, X(3))
case("contiguous_t", lambda L, a: a.t().contiguous(), X(2, 3))
case("contiguous_noop", lambda L, a: a.contiguous(), X(2, 3))
case("clone_t_reshape", lambda L, a: a.t().clone().reshape(6), X(2, 3))
case("reshape_alias", lambda L, a: a.t().reshape(3, 1, 2), X(2, 3))
case("mul_t_view", lambda L, a: (a.t() * 2).reshape(6), X(2, 3))


# ---------------------------------------------------------------- found by the graph fuzzer (test_fuzz.py)
case("transpose_0d", lambda L, a: a.transpose(0, -1), X())
case("squeeze_0d_neg", lambda L, a: a.squeeze(-1), X())
case("squeeze_0d_tuple", lambda L, a: a.squeeze((0,)), X())
case("log_softmax_0d", lambda L, a: a.log_softmax(-1), X())
case("index_empty_list", lambda L, a: a[[]], X(3, 2))
case("sign_nan", lambda L, a: a.sign(), P(np.array([np.nan, 1.0, -2.0, 0.0], np.float32)))
case("sgn", lambda L, a: a.sgn(), X(3))
case("abs_nan_grad", lambda L, a: a.abs(), P(np.array([np.nan, 1.0, -2.0], np.float32)))
case("cat_legacy_empty_dim1", lambda L, a, e: L.cat([a, e], 1), X(2, 3), P(np.zeros(0, np.float32)))
case("cat_legacy_empty_first_neg", lambda L, e, a: L.cat([e, a], -1), P(np.zeros(0, np.float32)), X(2, 3))
case("cat_all_legacy_empty", lambda L, e, f: L.cat([e, f], 1), P(np.zeros(0, np.float32)), P(np.zeros(0, np.float32)))
case("bmm_empty_dtype", lambda L, a, b: a.bmm(b), X(0, 2, 3), X(0, 3, 2, dtype=np.float64))
case("bmm_empty_inner_dtype", lambda L, a, b: a.bmm(b), X(2, 2, 0), X(2, 0, 2, dtype=np.float64))
case("matmul_empty_batch_dtype", lambda L, a, b: a @ b, X(0, 2, 3), X(0, 3, 2, dtype=np.float64))
case("index_mask_none", lambda L, a, m: a[m, None], X(3, 2), P(np.array([[True, False], [True, True], [False, False]])))


case("relu_nan_grad", lambda L, a: a.relu(), P(np.array([np.nan, 1.0, -1.0], np.float32)))
case("addmm_bias_broadcast", lambda L, b, a, c: L.addmm(b, a, c), X(1, 3), X(2, 4), X(4, 3))
case("as_tensor_cast_keeps_graph", lambda L, a: L.as_tensor(a, dtype=L.float64), X(3))


case("index_oob_into_empty_result", lambda L, a: a[[5]], X(2, 0))
case("index_oob_empty_result_grad", lambda L, a: a[[9], :, [7]], X(2, 0, 3))
case("index_list_of_lists_is_tuple", lambda L, a: a[[[0], [1]]], X(3, 4))
case("setitem_list_of_lists", lambda L, a: _setitem(a * 1, [[0], [1]], 5.0), X(3, 4))
case("expand_new_dim_layout", lambda L, a, b: a.expand(1, 3, -1) @ b, X(3, 3), X(3, 2))


case("floor_div_exact_cases", lambda L, a, b: (L.div(a, b, rounding_mode="floor"), (a // b).detach(), a % b),
     P(np.array([1.0, 0.7, -0.3, 5.0, 1e-8, -2.0]), grad=True), P(np.array([0.1, 0.1, 0.1, 0.5, 3.0, 0.7]), grad=False))


@pytest.mark.parametrize("fn, args, second, kw", CASES)
def test_op(fn, args, second, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation notes (x.T on 1-d ...) are not under test
        check(fn, *args, second=second, **kw)


# ---------------------------------------------------------------- in-place ops and setitem
INPLACE = []


def inplace(name, fn, *args, **kw):
    INPLACE.append(pytest.param(fn, args, kw, id=name))


# fn(L, *inputs) -> result; leaves that require grad go through a non-leaf (x * 1) before the
# in-place op, as PyTorch forbids in-place on leaves that require grad
inplace("add_", lambda L, a, b: (a * 1).add_(b), X(2, 3), X(3))
inplace("add_alpha", lambda L, a, b: (a * 1).add_(b, alpha=2), X(2, 3), X(3))
inplace("add_scalar", lambda L, a: (a * 1).add_(2), X(2, 3))
inplace("iadd", lambda L, a, b: _iadd(a * 1, b), X(2, 3), X(2, 3))
inplace("sub_", lambda L, a, b: (a * 1).sub_(b), X(2, 3), X(2, 3))
inplace("mul_", lambda L, a, b: (a * 1).mul_(b), X(2, 3), X(2, 3))
inplace("mul_scalar", lambda L, a: (a * 1).mul_(3), X(2, 3))
inplace("div_", lambda L, a, b: (a * 1).div_(b), X(2, 3), POS(3))
inplace("div_scalar", lambda L, a: (a * 1).div_(2), X(2, 3))
inplace("zero_", lambda L, a: (a * 1).zero_(), X(2, 3))
inplace("fill_", lambda L, a: (a * 1).fill_(2.5), X(2, 3))
inplace("fill_tensor", lambda L, a, v: (a * 1).fill_(v), X(2, 3), X())
inplace("copy_", lambda L, a, b: (a * 1).copy_(b), X(2, 3), X(2, 3))
inplace("copy_bcast", lambda L, a, b: (a * 1).copy_(b), X(2, 3), X(3))
inplace("copy_nograd_dst", lambda L, a, b: a.copy_(b), X(2, 3, grad=False), X(2, 3))
inplace("copy_f64", lambda L, a, b: (a * 1).copy_(b), X(2, 3), X(2, 3, dtype=np.float64))
inplace("clamp_", lambda L, a: (a * 1).clamp_(-0.5, 0.5), X(2, 3))
inplace("clamp_min_", lambda L, a: (a * 1).clamp_(min=0.0), X(2, 3))
inplace("exp_", lambda L, a: (a * 1).exp_(), X(2, 3))
inplace("sigmoid_", lambda L, a: (a * 1).sigmoid_(), X(2, 3))
inplace("mul_then_use", lambda L, a, b: (a * 1).mul_(b) * b, X(2, 3), X(2, 3))
inplace("exp_then_exp", lambda L, a: (a * 0.5).exp_().exp_(), X(3, lo=-1, hi=1), backward=False)
inplace("inplace_view_nonleaf", lambda L, a, b: _view_mul(a * 2, b), X(6), X(2))
inplace("inplace_view_of_nograd_base", lambda L, a: _view_add(L.zeros(4), a), X(2))
inplace("setitem_view_of_nonleaf", lambda L, a, v: _setitem((a * 2).reshape(2, 3), 0, v), X(6), X(3))
inplace("setitem_view_adv", lambda L, a: _setitem((a * 2).reshape(2, 3), (0, [0, 2]), 7.0), X(6))
inplace("setitem_0d_value", lambda L, a, v: _setitem(a * 1, 0, v), X(2, 3), X())
inplace("setitem_ellipsis_scalar", lambda L, a: _setitem(a * 1, Ellipsis, 3.0), X(2, 3))
inplace("setitem_leading_ones", lambda L, a, v: _setitem(a * 1, slice(0, 1), v), X(2, 3), X(1, 1, 3))
inplace("setitem_adv_value_grad", lambda L, a, v: _setitem(a * 1, [0, 1], v), X(3, 2), X(1, 2))
inplace("inplace_view_exp", lambda L, a: _view_exp(a * 1), X(4))
inplace("fill_tensor_grad", lambda L, a, v: (a * 1).fill_(v), X(2), X())
inplace("zero_after_fill", lambda L, a: (a * 1).fill_(1.0).zero_(), X(2))
inplace("add_nograd", lambda L, a, b: a.add_(b), X(2, 3, grad=False), X(2, 3, grad=False))
inplace("add_into_nograd", lambda L, a, b: a.add_(b), X(2, 3, grad=False), X(2, 3))
inplace("int_add_", lambda L, a: a.add_(2), I(3))
inplace("setitem_int", lambda L, a, v: _setitem(a * 1, 0, v), X(2, 3), X(3))
inplace("setitem_scalar", lambda L, a: _setitem(a * 1, (0, 1), 5.0), X(2, 3))
inplace("setitem_slice", lambda L, a, v: _setitem(a * 1, (slice(None), slice(1, None)), v), X(2, 3), X(2, 2))
inplace("setitem_mask", lambda L, a, m: _setitem(a * 1, m, 0.0), X(2, 3), B(2, 3))
inplace("setitem_bcast", lambda L, a, v: _setitem(a * 1, slice(None), v), X(2, 3), X(3))
inplace("setitem_into_nograd", lambda L, a, v: _setitem(a, 1, v), X(2, 3, grad=False), X(3))
inplace("setitem_nograd", lambda L, a: _setitem(a, 1, 7.0), X(2, 3, grad=False))
inplace("setitem_list", lambda L, a, v: _setitem(a * 1, [0, 2], v), X(3, 2), X(2, 2))
inplace("setitem_tensor_index", lambda L, a, i: _setitem(a * 1, i, 1.0), X(3, 2), P(np.array([2, 0])))
inplace("setitem_then_use", lambda L, a, v: _setitem(a * 1, 0, v) * a, X(2, 3), X(3))


def _view_mul(y, b):
    v = y[1:3]
    v.mul_(b)
    return y, v


def _view_add(z, x):
    w = z[1:3]
    w.add_(x)
    return z, w


def _view_exp(y):
    v = y[1:3]
    v.exp_()
    return y, v


def _iadd(a, b):
    a += b
    return a


def _setitem(a, key, value):
    a[key] = value
    return a


@pytest.mark.parametrize("fn, args, kw", INPLACE)
def test_inplace(fn, args, kw):
    if kw.pop("backward", True):
        check(fn, *args, **kw)
    else:
        for L in LIBS:  # both libraries must refuse the backward (the error text is in test_errors_torch)
            leaves = []
            from _torch_diff import build
            out = fn(L, *build(L, list(args), leaves))
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                out.sum().backward()


@pytest.mark.parametrize("op", ["add_", "mul_", "sub_", "div_"])
def test_inplace_version_and_identity(op):
    res = {}
    for L in LIBS:
        a = L.tensor(np.ones((2, 3), np.float32))
        v0 = a._version
        out = getattr(a, op)(2.0)
        res[L] = (out is a, a._version - v0, to_np(a).tolist())
    assert res[A] == res[torch]


def test_view_shares_version_and_memory():
    res = {}
    for L in LIBS:
        a = L.tensor(np.arange(6, dtype=np.float32))
        v = a.view(2, 3)
        v[0, 0] = 100.0
        s = a[2:]
        s.mul_(2)
        res[L] = (a._version, v._version, s._version, to_np(a).tolist(), v._base is a, s._base is a)
    assert res[A] == res[torch]


def test_inplace_on_view_of_nonleaf_rewrites_base_graph():
    res = {}
    for L in LIBS:
        x = L.tensor(np.arange(1, 7, dtype=np.float32), requires_grad=True)
        y = x * 2
        y[1:3].mul_(x[:2])
        y.sum().backward()
        res[L] = (y.grad_fn.name(), to_np(x.grad).tolist())
    assert res[A] == res[torch]


def test_setitem_on_nonleaf_graph():
    res = {}
    for L in LIBS:
        x = L.tensor(np.arange(1, 7, dtype=np.float32), requires_grad=True)
        v = L.tensor(np.array([10.0, 20.0], np.float32), requires_grad=True)
        y = x * 2
        y[1:3] = v * x[:2]
        (y * y).sum().backward()
        res[L] = (y.grad_fn.name(), to_np(x.grad).tolist(), to_np(v.grad).tolist())
    assert res[A] == res[torch]


# ---------------------------------------------------------------- misc behaviour
def test_max_dim_return_type_repr():
    outs = {}
    for L in LIBS:
        x = L.tensor(np.array([[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]], np.float32), requires_grad=True)
        r = x.max(1)
        outs[L] = (repr(r), type(r).__name__, repr(r.values), repr(r.indices), len(r))
    assert outs[A] == outs[torch]


def test_chained_graph_layout():
    """A longer expression: the whole grad_fn graph and every leaf's gradient."""
    def fn(L, x, w, b):
        h = (x @ w + b).relu()
        return (h.softmax(-1) * h.sigmoid()).mean(0).sum() + w.norm()
    check(fn, X(4, 3), X(3, 5), X(5), second=True)


def test_shared_input_accumulates():
    def fn(L, x):
        return x * x + x.exp() - x[0]
    check(fn, X(3, 2), second=True)


def test_nograd_context_ops():
    res = {}
    for L in LIBS:
        x = L.tensor(np.ones(3, np.float32), requires_grad=True)
        with L.no_grad():
            y = x * 2 + 1
            z = x.sum()
        res[L] = (repr(y), y.requires_grad, y.grad_fn is None, repr(z))
    assert res[A] == res[torch]


def test_view_in_nograd_keeps_requires_grad():
    res = {}
    for L in LIBS:
        x = L.tensor(np.ones(3, np.float32), requires_grad=True)
        with L.no_grad():
            z = x[0]
            w = x.view(3)
        res[L] = (repr(z), z.requires_grad, z.is_leaf, w.requires_grad)
    assert res[A] == res[torch]


def test_detach_and_int_results_have_no_grad_fn():
    res = {}
    for L in LIBS:
        x = L.tensor(np.array([1.0, -2.0, 3.0], np.float32), requires_grad=True)
        res[L] = [repr(t) for t in (x.detach() * 2, x > 0, x.argmax(), x.max(0).indices, x.sign(),
                                    (x > 0).sum())]
    assert res[A] == res[torch]


def test_graph_of_int_leaf_mixed():
    """Integer tensors never enter the graph: next_functions holds None in their place."""
    def fn(L, a, i):
        return a * i
    check(fn, X(3), I(3))


def test_accumulate_grad_node_variable():
    names = {}
    for L in LIBS:
        x = L.tensor(np.ones(2, np.float32), requires_grad=True)
        y = x * 2
        acc = y.grad_fn.next_functions[0][0]
        names[L] = (acc.name(), type(acc).__name__)
        assert acc.variable is x
        assert y.grad_fn.next_functions[1] == (None, 0)
        assert (x * 3).grad_fn.next_functions[0][0] is acc  # one accumulator per leaf
    assert names[A] == names[torch]


def test_repr_of_copyslices_and_copybackwards():
    res = {}
    for L in LIBS:
        x = L.tensor(np.ones(3, np.float32), requires_grad=True)
        y = x * 2
        y[0] = 5.0
        z = x * 2
        z.copy_(x)
        res[L] = (repr(y), repr(z), y.grad_fn.name(), z.grad_fn.name())
    assert res[A] == res[torch]


def test_graph_helper_self_check():
    # the comparison helper really distinguishes graphs (guards against vacuous passes)
    x = torch.ones(2, requires_grad=True)
    assert graph((x * 2).grad_fn, {id(x): 0}) != graph((x + 2).grad_fn, {id(x): 0})
    with pytest.raises(AssertionError):
        assert_same(A.tensor([1.0, 2.0]) * 2, torch.tensor([1.0, 2.0]) * 3)
    with pytest.raises(AssertionError):
        assert_values(A.tensor([1, 2]), torch.tensor([1.0, 2.0]))


# ---------------------------------------------------------------- factories
FACTORIES = []


def factory(name, fn):
    FACTORIES.append(pytest.param(fn, id=name))


factory("tensor_floats", lambda L: L.tensor([1.0, 2.5]))
factory("tensor_ints", lambda L: L.tensor([1, 2]))
factory("tensor_mixed", lambda L: L.tensor([1, 2.5]))
factory("tensor_bools", lambda L: L.tensor([True, False]))
factory("tensor_bool_int", lambda L: L.tensor([True, 2]))
factory("tensor_scalar_float", lambda L: L.tensor(3.5))
factory("tensor_scalar_int", lambda L: L.tensor(3))
factory("tensor_scalar_bool", lambda L: L.tensor(True))
factory("tensor_nested", lambda L: L.tensor([[1.0, 2.0], [3.0, 4.0]]))
factory("tensor_empty", lambda L: L.tensor([]))
factory("tensor_empty_nested", lambda L: L.tensor([[], []]))
factory("tensor_dtype_float", lambda L: L.tensor([1, 2], dtype=float))
factory("tensor_dtype_int", lambda L: L.tensor([1.7, -2.7], dtype=int))
factory("tensor_dtype_bool", lambda L: L.tensor([0, 2], dtype=bool))
factory("tensor_dtype_f64", lambda L: L.tensor([1, 2], dtype=L.float64))
factory("tensor_dtype_int32", lambda L: L.tensor([1, 2], dtype=L.int32))
factory("tensor_dtype_float16", lambda L: L.tensor([1.5, 2], dtype=L.float16))
factory("tensor_np_f64", lambda L: L.tensor(np.array([1.0, 2.0])))
factory("tensor_np_int32", lambda L: L.tensor(np.array([1, 2], np.int32)))
factory("tensor_np_bool", lambda L: L.tensor(np.array([True, False])))
factory("tensor_np_uint8", lambda L: L.tensor(np.array([1, 255], np.uint8)))
factory("tensor_np_scalar", lambda L: L.tensor(np.float64(2.5)))
factory("tensor_np_f64_dtype", lambda L: L.tensor(np.array([1.0, 2.0]), dtype=L.float32))
factory("tensor_requires_grad", lambda L: L.tensor([1.0, 2.0], requires_grad=True))
factory("tensor_of_tensors", lambda L: L.tensor([L.tensor(1.0), L.tensor(2.0)]))
factory("tensor_big_int", lambda L: L.tensor([2 ** 40]))
factory("ones", lambda L: L.ones(2, 3))
factory("ones_tuple", lambda L: L.ones((2, 3)))
factory("ones_list", lambda L: L.ones([2]))
factory("ones_0d", lambda L: L.ones(()))
factory("ones_int", lambda L: L.ones(2, dtype=L.int64))
factory("ones_rg", lambda L: L.ones(2, requires_grad=True))
factory("ones_size0", lambda L: L.ones(0, 3))
factory("zeros", lambda L: L.zeros(2, 3))
factory("zeros_bool", lambda L: L.zeros(2, dtype=L.bool))
factory("zeros_no_args", lambda L: L.zeros(()))
factory("full_float", lambda L: L.full((2, 2), 1.5))
factory("full_int", lambda L: L.full((2,), 7))
factory("full_bool", lambda L: L.full((2,), True))
factory("full_dtype", lambda L: L.full([2], 3, dtype=L.float32))
factory("full_list_size", lambda L: L.full([2, 1], -1.0))
factory("empty_shape", lambda L: L.empty(2, 3).shape)
factory("empty_dtype", lambda L: L.empty(2, dtype=L.int32).dtype)
factory("eye", lambda L: L.eye(3))
factory("eye_rect", lambda L: L.eye(2, 3))
factory("eye_int", lambda L: L.eye(2, dtype=L.int64))
factory("arange_int", lambda L: L.arange(5))
factory("arange_start_stop", lambda L: L.arange(2, 7))
factory("arange_step", lambda L: L.arange(0, 10, 3))
factory("arange_neg_step", lambda L: L.arange(5, 0, -2))
factory("arange_float", lambda L: L.arange(0, 1, 0.25))
factory("arange_float_end", lambda L: L.arange(2.5))
factory("arange_dtype", lambda L: L.arange(4, dtype=L.float32))
factory("arange_float_dtype_int", lambda L: L.arange(0.5, 4, dtype=L.int64))
factory("arange_empty", lambda L: L.arange(0))
factory("arange_float_step_01", lambda L: L.arange(0, 1, 0.1))
factory("linspace", lambda L: L.linspace(0, 1, 5))
factory("linspace_7", lambda L: L.linspace(-1, 2, 7))
factory("linspace_1", lambda L: L.linspace(3, 5, 1))
factory("linspace_0", lambda L: L.linspace(3, 5, 0))
factory("linspace_int", lambda L: L.linspace(0, 10, 4, dtype=L.int64))
factory("linspace_f64", lambda L: L.linspace(0, 1, 11, dtype=L.float64))
factory("linspace_many", lambda L: L.linspace(-3, 7, 101))
factory("ones_like", lambda L: L.ones_like(L.tensor([[1, 2]])))
factory("ones_like_float", lambda L: L.ones_like(L.tensor([1.0, 2.0], requires_grad=True)))
factory("zeros_like_dtype", lambda L: L.zeros_like(L.tensor([1, 2]), dtype=L.float32))
factory("zeros_like_rg", lambda L: L.zeros_like(L.tensor([1.0]), requires_grad=True))
factory("full_like", lambda L: L.full_like(L.tensor([1.0, 2.0]), 7))
factory("full_like_int", lambda L: L.full_like(L.tensor([1, 2]), 2.7))
factory("empty_like", lambda L: L.empty_like(L.tensor([[1, 2]])).shape)
factory("from_numpy", lambda L: L.from_numpy(np.array([1.0, 2.0])))
factory("from_numpy_int32", lambda L: L.from_numpy(np.array([[1, 2]], np.int32)))
factory("as_tensor_list", lambda L: L.as_tensor([1, 2]))
factory("as_tensor_np", lambda L: L.as_tensor(np.array([1.0, 2.0])))
factory("as_tensor_dtype", lambda L: L.as_tensor(np.array([1.0, 2.0]), dtype=L.float32))
factory("as_tensor_scalar", lambda L: L.as_tensor(3.0))
factory("dtype_of_default", lambda L: (L.tensor(1.0).dtype, L.get_default_dtype()))
factory("is_floating_point", lambda L: (L.tensor(1).is_floating_point(), L.tensor(1.0).is_floating_point()))
factory("numel_size", lambda L: (L.ones(2, 3).numel(), L.ones(2, 3).size(), L.ones(2, 3).size(-1)))


@pytest.mark.parametrize("fn", FACTORIES)
def test_factory(fn):
    mine, ref = fn(A), fn(torch)
    if isinstance(ref, torch.Size):
        assert repr(mine) == repr(ref)
        return
    if isinstance(ref, torch.dtype):
        assert repr(mine) == repr(ref)
        return
    if isinstance(ref, tuple) and any(isinstance(r, (torch.dtype, torch.Size)) for r in ref):
        assert repr(mine) == repr(ref)
        return
    assert_same(mine, ref)


def test_from_numpy_shares_memory():
    for L in LIBS:
        arr = np.array([1.0, 2.0, 3.0])
        t = L.from_numpy(arr)
        arr[0] = 10.0
        assert t[0].item() == 10.0
        t.add_(1)
        assert arr[1] == 3.0


def test_as_tensor_shares_memory_without_cast():
    for L in LIBS:
        arr = np.array([1.0, 2.0])
        t = L.as_tensor(arr)
        arr[0] = 5.0
        assert t[0].item() == 5.0
        t32 = L.as_tensor(arr, dtype=L.float32)
        arr[1] = 9.0
        assert t32[1].item() == 2.0


def test_tensor_copies_numpy():
    for L in LIBS:
        arr = np.array([1.0, 2.0])
        t = L.tensor(arr)
        arr[0] = 5.0
        assert t[0].item() == 1.0


def test_numpy_roundtrip_shares_memory():
    for L in LIBS:
        t = L.tensor([1.0, 2.0])
        n = t.numpy()
        n[0] = 7.0
        assert t[0].item() == 7.0


# ---------------------------------------------------------------- views after in-place ops
def _graph_and_grads(fn):
    res = {}
    for L in LIBS:
        x = L.tensor(np.arange(1.0, 7.0, dtype=np.float32), requires_grad=True)
        outs = fn(L, x)
        total = sum((o * o).sum() for o in outs)
        total.backward()
        res[L] = ([graph(o.grad_fn, {id(x): 0}) for o in outs], [o.requires_grad for o in outs],
                  to_np(x.grad).tolist())
    return res


def _old_view_then_base_inplace(L, x):
    y = x * 2
    v = y[0:2]
    y.mul_(3)
    return [v, y]


def _sibling_view_inplace(L, x):
    y = x * 2
    v, w = y[0:2], y[1:3]
    w.mul_(3)
    return [v, w, y]


def _view_of_view_inplace(L, x):
    y = (x * 2).reshape(2, 3)
    v = y[1]
    u = v[1:]
    u.mul_(x[:2])
    return [y, v, u]


def _nograd_base_gains_grad(L, x):
    z = L.zeros(6)
    w = z[1:3]
    z.add_(x)
    return [w, z]


def _noncontiguous_base(L, x):
    y = x.reshape(2, 3).t() * 2  # a transposed (column-major) base
    v = y[1]
    v.mul_(3)
    return [y, v]


def _setitem_then_old_view(L, x):
    y = x * 2
    v = y[:3]
    y[1] = x[5] * 10
    return [v, y]


@pytest.mark.parametrize("fn", [_old_view_then_base_inplace, _sibling_view_inplace, _view_of_view_inplace,
                                _nograd_base_gains_grad, _noncontiguous_base, _setitem_then_old_view])
def test_views_follow_inplace_changes(fn):
    res = _graph_and_grads(fn)
    assert res[A] == res[torch]


def test_tensor_of_tensor_warns():
    msgs = {}
    for L in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            t = L.tensor(L.tensor([1.0, 2.0], requires_grad=True))
            L.tensor([L.tensor(1.0)])  # a list holding tensors does not warn
        msgs[L] = ([(x.category, str(x.message)) for x in w], repr(t))
    assert msgs[A] == msgs[torch]


def test_create_graph_reduction_to_0d_is_a_sum():
    names = {}
    for L in LIBS:
        a = L.tensor(2.0, requires_grad=True)
        b = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        g, = L.autograd.grad((a * b).sum(), [a], create_graph=True)
        names[L] = (g.grad_fn.name(), [n.name() for n, _ in g.grad_fn.next_functions])
    assert names[A] == names[torch]
