"""Errors against PyTorch 2.13: the same exception type and the same message, word for word."""
import os
import warnings

import numpy as np
import pytest

if os.environ.get("CI") == "true":
    import torch  # in CI a missing torch is a failure, never a skip
else:
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for the differential tests")

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS, P, raises_same  # noqa: E402

_rng = np.random.default_rng(99)


def X(*shape, grad=True, dtype=np.float32):
    return P(_rng.standard_normal(shape).astype(dtype), grad=grad)


def N(*shape, dtype=np.float32):
    return X(*shape, grad=False, dtype=dtype)


def I(*shape):
    return P(_rng.integers(0, 5, size=shape), grad=False)


ERRORS = []


def err(name, fn, *args):
    ERRORS.append(pytest.param(fn, args, id=name))


# ---------------------------------------------------------------- shapes of products
err("mm_inner", lambda L, a, b: a.mm(b), X(2, 3), X(4, 5))
err("mm_not_matrix", lambda L, a, b: L.mm(a, b), X(3), X(3, 2))
err("mm_not_matrix2", lambda L, a, b: L.mm(a, b), X(2, 3), X(3))
err("mm_dtype", lambda L, a, b: a.mm(b), X(2, 3), X(3, 2, dtype=np.float64))
err("matmul_2d_2d", lambda L, a, b: a @ b, X(2, 3), X(4, 5))
err("matmul_2d_1d", lambda L, a, b: a @ b, X(2, 3), X(4))
err("matmul_1d_2d", lambda L, a, b: a @ b, X(3), X(4, 5))
err("matmul_1d_1d", lambda L, a, b: a @ b, X(3), X(4))
err("matmul_3d_2d", lambda L, a, b: a @ b, X(2, 3, 4), X(5, 6))
err("matmul_3d_3d", lambda L, a, b: a @ b, X(2, 3, 4), X(2, 5, 6))
err("matmul_batch", lambda L, a, b: a @ b, X(2, 3, 4), X(3, 4, 5))
err("matmul_0d", lambda L, a, b: L.matmul(a, b), X(), X(3))
err("mv_size", lambda L, a, b: a.mv(b), X(2, 3), X(4))
err("mv_dims", lambda L, a, b: L.mv(a, b), X(2, 3), X(3, 1))
err("dot_size", lambda L, a, b: a.dot(b), X(3), X(4))
err("dot_dims", lambda L, a, b: L.dot(a, b), X(3, 1), X(3))
err("dot_dtype", lambda L, a, b: a.dot(b), X(3), X(3, dtype=np.float64))
err("bmm_dims", lambda L, a, b: a.bmm(b), X(2, 3), X(2, 3, 4))
err("bmm_batch", lambda L, a, b: a.bmm(b), X(2, 3, 4), X(3, 4, 5))
err("bmm_inner", lambda L, a, b: a.bmm(b), X(2, 3, 4), X(2, 5, 5))

# ---------------------------------------------------------------- broadcasting
err("add_broadcast", lambda L, a, b: a + b, X(2, 3), X(4))
err("mul_broadcast", lambda L, a, b: a * b, X(2, 3), X(3, 2))
err("sub_broadcast_3d", lambda L, a, b: a - b, X(2, 3, 4), X(5, 4))
err("div_broadcast", lambda L, a, b: L.div(a, b), X(3), X(2))
err("where_broadcast", lambda L, c, a, b: L.where(c, a, b), P(np.array([True, False])), X(3), X(3))
err("eq_broadcast", lambda L, a, b: a == b, X(2), X(3))
err("expand_bad", lambda L, a: a.expand(3, 4), X(2, 1))
err("expand_fewer", lambda L, a: a.expand(3), X(2, 3))
err("cat_shape", lambda L, a, b: L.cat([a, b]), X(2, 3), X(2, 4))
err("cat_dims", lambda L, a, b: L.cat([a, b]), X(2, 3), X(3))
err("cat_empty_list", lambda L: L.cat([]))
err("stack_shape", lambda L, a, b: L.stack([a, b]), X(2, 3), X(3, 2))
err("inplace_broadcast_out", lambda L, a, b: a.add_(b), N(3), N(2, 3))
err("sub_bool", lambda L, a, b: a - b, P(np.array([True]), grad=False), P(np.array([False]), grad=False))
err("neg_bool", lambda L, a: -a, P(np.array([True]), grad=False))

# ---------------------------------------------------------------- views and reshapes
err("view_bad_size", lambda L, a: a.view(4, 2), X(2, 3))
err("view_bad_infer", lambda L, a: a.view(-1, 4), X(2, 3))
err("view_two_infer", lambda L, a: a.view(-1, -1), X(2, 3))
err("reshape_bad_size", lambda L, a: a.reshape(5), X(2, 3))
err("view_noncontiguous", lambda L, a: a.t().view(6), X(2, 3))
err("view_clone_keeps_layout", lambda L, a: a.t().clone().view(6), X(2, 3))
err("view_noncontiguous_expand", lambda L, a: a.expand(2, 3).view(6), X(1, 3))
err("permute_len", lambda L, a: a.permute(0, 1), X(2, 3, 4))
err("permute_repeat", lambda L, a: a.permute(0, 0, 1), X(2, 3, 4))
err("t_3d", lambda L, a: a.t(), X(2, 3, 4))
err("mT_1d", lambda L, a: a.mT, X(3))
err("split_sizes_sum", lambda L, a: a.split([1, 1]), X(3))
err("masked_fill_value_dims", lambda L, a, m, v: a.masked_fill(m, v), X(2), P(np.array([True, False])), N(2))
err("masked_fill_float_mask", lambda L, a, m: a.masked_fill(m, 0.0), X(2), N(2))

# ---------------------------------------------------------------- indexing
err("index_oob", lambda L, a: a[3], X(3))
err("index_oob_neg", lambda L, a: a[-4], X(3))
err("index_oob_dim1", lambda L, a: a[0, 5], X(2, 3))
err("index_too_many", lambda L, a: a[0, 0, 0], X(2, 3))
err("index_0d", lambda L, a: a[0], X())
err("index_list_oob", lambda L, a: a[[0, 5]], X(3))
err("index_tensor_oob", lambda L, a, i: a[i], X(3), P(np.array([1, 3])))
err("index_mask_shape", lambda L, a, m: a[m], X(2, 3), P(np.array([True, False, True])))
err("index_float_tensor", lambda L, a, i: a[i], X(3), N(2))
err("index_oob_after_none", lambda L, a: a[None, 0, 7], X(2, 3))
err("index_oob_after_ellipsis", lambda L, a: a[..., 9], X(2, 3))
err("index_oob_after_list", lambda L, a: a[[0, 1], 7], X(2, 3))
err("index_step_zero", lambda L, a: a[::0], X(3))
err("index_neg_step", lambda L, a: a[::-1], X(3))
err("index_str", lambda L, a: a["x"], X(3))
err("select_oob", lambda L, a: a.select(0, 5), X(3))
err("setitem_oob", lambda L, a: a.__setitem__(5, 1.0), N(3))
err("index_broadcast", lambda L, a, i, j: a[i, j], X(3, 3), I(2), I(3))
err("index_broadcast_three", lambda L, a, i, j, k: a[i, j, k], X(3, 3, 3), I(1, 2), I(3), I(3, 1))

# ---------------------------------------------------------------- dims out of range
err("sum_dim", lambda L, a: a.sum(2), X(2, 3))
err("sum_dim_neg", lambda L, a: a.sum(-3), X(2, 3))
err("sum_dim_tuple", lambda L, a: a.sum((0, 5)), X(2, 3))
err("sum_dim_repeat", lambda L, a: a.sum((0, 0)), X(2, 3))
err("mean_dim", lambda L, a: a.mean(3), X(2, 3))
err("sum_0d_dim", lambda L, a: a.sum(1), X())
err("max_dim", lambda L, a: a.max(2), X(2, 3))
err("softmax_dim", lambda L, a: a.softmax(2), X(2, 3))
err("log_softmax_dim", lambda L, a: L.log_softmax(a, -3), X(2, 3))
err("transpose_dim", lambda L, a: a.transpose(0, 2), X(2, 3))
err("unsqueeze_dim", lambda L, a: a.unsqueeze(3), X(2, 3))
err("squeeze_dim", lambda L, a: a.squeeze(2), X(2, 3))
err("cat_dim", lambda L, a: L.cat([a, a], 2), X(2, 3))
err("stack_dim", lambda L, a: L.stack([a, a], 3), X(2, 3))
err("size_dim", lambda L, a: a.size(2), X(2, 3))
err("flatten_dim", lambda L, a: a.flatten(0, 2), X(2, 3))
err("var_dim", lambda L, a: a.var(2), X(2, 3))
err("norm_dim", lambda L, a: a.norm(dim=2), X(2, 3))
err("logsumexp_dim", lambda L, a: a.logsumexp(2), X(2, 3))
err("amax_dim", lambda L, a: a.amax(2), X(2, 3))
err("all_dim", lambda L, a: a.all(2), P(np.ones((2, 3), bool)))
err("split_dim", lambda L, a: a.split(1, 2), X(2, 3))

# ---------------------------------------------------------------- reductions and dtypes
err("mean_int", lambda L, a: a.mean(), I(3))
err("mean_int_dim", lambda L, a: L.mean(a, 0), I(3))
err("mean_bool", lambda L, a: a.mean(), P(np.ones(3, bool), grad=False))
err("max_empty", lambda L, a: a.max(), X(0))
err("max_empty_dim", lambda L, a: a.max(0), X(0, 3))
err("pow_int_neg", lambda L, a: a ** -1, I(3))
err("clamp_none", lambda L, a: a.clamp(), X(3))
err("tensor_dtype_str", lambda L: L.tensor([1.0], dtype="float32"))
err("zeros_dtype_str", lambda L: L.zeros(2, dtype="float"))
err("ones_dtype_obj", lambda L: L.ones(2, dtype=object))
err("ones_negative", lambda L: L.ones(-1))
err("ones_negative_2d", lambda L: L.ones(2, -3))
err("zeros_negative", lambda L: L.zeros(-1))
err("zeros_float_size", lambda L: L.zeros(2.5))
err("zeros_float_in_list", lambda L: L.zeros([2.5]))
err("zeros_float_second", lambda L: L.zeros(2, 2.5))
err("full_int_size", lambda L: L.full(2, 1.0))
err("full_dtype_str", lambda L: L.full((2,), 1.0, dtype="x"))
err("eye_negative", lambda L: L.eye(-1))
err("zeros_like_dtype_str", lambda L, a: L.zeros_like(a, dtype="x"), X(2))
err("tensor_ragged_deep", lambda L: L.tensor([[[1], [2]], [[1, 2], [3]]]))
err("tensor_not_sequence", lambda L: L.tensor([[1, 2], 3]))
err("tensor_object", lambda L: L.tensor(object()))
err("arange_zero_step", lambda L: L.arange(0, 1, 0))
err("arange_sign", lambda L: L.arange(0, 1, -1))
err("tensor_ragged", lambda L: L.tensor([[1, 2], [3]]))
err("tensor_str", lambda L: L.tensor("abc"))
err("linspace_negative", lambda L: L.linspace(0, 1, -1))
err("div_mode", lambda L, a: L.div(a, 2, rounding_mode="round"), X(3))

# ---------------------------------------------------------------- requires_grad and conversions
err("int_requires_grad", lambda L: L.tensor([1, 2], requires_grad=True))
err("int_requires_grad_method", lambda L: L.tensor([1, 2]).requires_grad_())
err("bool_requires_grad", lambda L: L.tensor([True], requires_grad=True))
err("ones_int_requires_grad", lambda L: L.ones(2, dtype=L.int64, requires_grad=True))
err("arange_requires_grad", lambda L: L.arange(3, requires_grad=True))
err("nonleaf_requires_grad_false", lambda L, a: setattr(a * 2, "requires_grad", False), X(2))
err("numpy_requires_grad", lambda L, a: a.numpy(), X(3))
err("numpy_nonleaf", lambda L, a: (a * 2).numpy(), X(3))
err("item_many", lambda L, a: a.item(), X(3))
err("item_empty", lambda L, a: a.item(), X(0))
err("len_0d", lambda L, a: len(a), X())
err("iter_0d", lambda L, a: iter(a), X())
err("bool_many", lambda L, a: bool(a), X(2))
err("index_float", lambda L, a, b: b[a], N(), X(3))
err("retain_grad_nograd", lambda L, a: a.retain_grad(), N(2))
err("hook_nograd", lambda L, a: a.register_hook(lambda g: g), N(2))
err("grad_assign_shape", lambda L, a: setattr(a, "grad", L.zeros(3)), X(2))

# ---------------------------------------------------------------- in-place rules
err("inplace_leaf", lambda L, a: a.add_(1), X(3))
err("inplace_leaf_mul", lambda L, a: a.mul_(2), X(3))
err("inplace_leaf_zero", lambda L, a: a.zero_(), X(3))
err("inplace_leaf_iadd", lambda L, a: a.__iadd__(1), X(3))
err("setitem_leaf", lambda L, a: a.__setitem__(0, 1.0), X(3))
err("setitem_leaf_all", lambda L, a: a.__setitem__(slice(None), 1.0), X(3))
err("setitem_leaf_mask", lambda L, a: a.__setitem__(a > 0, 1.0), X(3))
err("inplace_view_of_leaf", lambda L, a: a[0].mul_(2), X(3))
err("inplace_view_of_leaf_view", lambda L, a: a.view(3).add_(1), X(3))
err("inplace_view_of_leaf_t", lambda L, a: a.t().add_(1), X(2, 3))
err("inplace_split_output", lambda L, a: (a * 1).split(1)[0].mul_(2), X(3))
err("inplace_unbind_output", lambda L, a: (a * 1).unbind()[1].mul_(2), X(3))
err("inplace_int_float", lambda L, a: a.add_(1.5), I(3))
err("inplace_int_div", lambda L, a: a.div_(2), I(3))
err("inplace_expanded", lambda L, a: a.expand(3, 3).add_(1), N(1, 3))
err("setitem_shape", lambda L, a, v: a.__setitem__(0, v), N(2, 3), N(2))
err("setitem_adv_shape", lambda L, a, v: a.__setitem__([0, 1], v), N(3), N(3))


# ---------------------------------------------------------------- shapes in messages
err("empty_negative", lambda L: L.empty(2, -1))
err("logsumexp_no_dims", lambda L, a: L.logsumexp(a, ()), X(2, 3))
err("nll_loss_target_size", lambda L, a, t: L.nn.functional.nll_loss(a, t), X(2, 3, 4), I(2, 5))
err("cross_entropy_weight", lambda L, a, t, w: L.nn.functional.cross_entropy(a, t, weight=w), X(2, 3), I(2), N(4))


def test_out_resize_warning_as_torch():
    said = []
    for L in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            L.add(L.ones(3), 1, out=L.zeros(2))
        said.append(str(caught[0].message).split(" (Triggered")[0])
    assert said[0] == said[1]


# ---------------------------------------------------------------- found by the graph fuzzer (test_fuzz.py)
err("slice_0d", lambda L, a: a[:], X())
err("slice_0d_range", lambda L, a: a[0:1], X())
err("cat_0d", lambda L, a, b: L.cat([a, b]), X(), X())
err("cat_0d_second", lambda L, a, b: L.cat([a, b]), X(2), X())
err("softmax_0d_dim", lambda L, a: a.softmax(1), X())
err("log_softmax_0d_dim", lambda L, a: a.log_softmax(-2), X())
err("max_0d_dim", lambda L, a: a.max(1), X())
err("squeeze_0d_dim", lambda L, a: a.squeeze(1), X())
err("transpose_0d_dim", lambda L, a: a.transpose(0, 1), X())
err("reshape_empty_infer", lambda L, a: a.reshape(-1, 0), X(0, 3))
err("view_empty_infer", lambda L, a: a.view(-1, 0, 2), X(0))
err("mv_dtype", lambda L, a, b: a.mv(b), X(2, 3), X(3, dtype=np.float64))
err("mv_dtype_other", lambda L, a, b: a.mv(b), X(2, 3, dtype=np.float64), X(3))
err("matmul_2d_1d_dtype", lambda L, a, b: a @ b, X(2, 3), X(3, dtype=np.float64))
err("matmul_3d_1d_dtype", lambda L, a, b: a @ b, X(2, 2, 3), X(3, dtype=np.float64))
err("matmul_3d_3d_dtype", lambda L, a, b: a @ b, X(2, 2, 3, dtype=np.float64), X(2, 3, 4))
err("matmul_1d_3d_dtype", lambda L, a, b: a @ b, N(3), N(2, 3, 4, dtype=np.float64))
err("bmm_dtype", lambda L, a, b: a.bmm(b), X(2, 2, 3), X(2, 3, 2, dtype=np.float64))
err("bmm_dtype_int", lambda L, a, b: a.bmm(b), X(2, 2, 3), I(2, 3, 2))
err("bmm_batch2_dims", lambda L, a, b: a.bmm(b), X(2, 2, 3), X(2, 3))
err("index_broadcast", lambda L, a: a[[0, 1], [0, 1, 0]], X(3, 2))
err("index_mask_broadcast", lambda L, a, m: a[m, [0, 1, 0]], X(3, 2), P(np.array([True, False, True])))
err("index_oob_after_none_list", lambda L, a: a[None, [0, 5]], X(3, 2))
err("index_oob_list_none_list", lambda L, a: a[[0, 1], None, [5]], X(3, 2))
err("index_oob_second_list", lambda L, a: a[:, [0, 1], [0, 9]], X(3, 2, 4))
err("index_oob_trailing_list", lambda L, a: a[:, [5]], X(3, 2))
err("index_mask_then_none", lambda L, a, m: a[m, None], X(3, 2), P(np.array([True, False])))
err("add_int_float_alpha", lambda L, a, b: a.add(b, alpha=1.5), I(2), I(2))
err("add_int_scalar_float_alpha", lambda L, a: L.add(a, 3, alpha=2.5), I(2))
err("sub_int_bool_alpha", lambda L, a, b: a.sub(b, alpha=True), I(2), I(2))
err("addmm_mat1_dtype", lambda L, b, a, c: L.addmm(b, a, c), X(2), I(2, 3), X(3, 2))
err("addmm_self_dtype", lambda L, b, a, c: L.addmm(b, a, c), X(2, dtype=np.float64), X(2, 3), X(3, 2))
err("addmm_mat2_dtype", lambda L, b, a, c: L.addmm(b, a, c), X(2), X(2, 3), X(3, 2, dtype=np.float64))
err("addmm_shapes", lambda L, b, a, c: L.addmm(b, a, c), X(2), X(2, 3), X(4, 2))
err("add_alpha_after_broadcast", lambda L, a, b: L.add(a, b, alpha=0.5), I(2, 3), I(2))
err("empty_bmm_int_requires_grad", lambda L, a, b: a @ b, X(4, 0, 2), I(4, 2, 3))
err("index_into_empty_dim", lambda L, a: a[..., [0]], X(1, 0))
err("index_into_empty_tensor_first_dim_ok", lambda L, a: a[[3], [0]], X(2, 0))
err("select_empty_dim", lambda L, a: a[:, 0], X(1, 0))
err("rsub_scalar_bool", lambda L, a: 1.5 - a, P(np.array([True]), grad=False))


# found as core bugs (tensor.py, autograd/) and fixed there; kept as regression cases
CORE = []


def core(name, reason, fn, *args):
    CORE.append(pytest.param(fn, args, id=name))


core("int_requires_grad_attr", "tensor.py's requires_grad setter says requires_grad_()'s text; PyTorch's setter "
     "says 'only Tensors of floating point and complex dtype can require gradients'",
     lambda L: setattr(L.tensor([1, 2]), "requires_grad", True))
core("float_many", "Tensor.__float__ of several elements raises RuntimeError (item's text); PyTorch raises "
     "ValueError 'only one element tensors can be converted to Python scalars'", lambda L, a: float(a), X(2))
core("int_many", "Tensor.__int__, same as __float__", lambda L, a: int(a), X(2))
core("grad_assign_dtype", "the .grad setter's dtype message is PyTorch 2.x-old; 2.13 talks about grad_dtype",
     lambda L, a: setattr(a, "grad", L.zeros(2, dtype=L.float64)), X(2))
core("to_str", "Tensor.to('float64') is silently ignored; PyTorch reads a string as a device: "
     "RuntimeError Invalid device string: 'float64'", lambda L, a: a.to("float64"), X(3))


@pytest.mark.parametrize("fn, args", ERRORS + CORE)
def test_error(fn, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_same(fn, *args)


# ---------------------------------------------------------------- backward errors
def _raises(fn):
    """Run fn(L) in both libraries and compare the error (type and text)."""
    errs = {}
    for L in LIBS:
        try:
            fn(L)
        except Exception as e:  # noqa: BLE001
            errs[L] = e
        else:
            errs[L] = None
    r, m = errs[torch], errs[A]
    assert r is not None, "torch did not raise"
    assert m is not None, f"autograd_lab did not raise; torch: {type(r).__name__}: {r}"
    assert (type(m), str(m)) == (type(r), str(r)), f"\n{type(m).__name__}: {m}\n!=\n{type(r).__name__}: {r}"
    return str(r)


def t(L, arr, grad=True):
    return L.tensor(np.asarray(arr, np.float32), requires_grad=grad)


def test_saved_input_modified():
    def fn(L):
        a, b = t(L, [1.0, 2.0]), t(L, [3.0, 4.0])
        c = a * 1
        d = c * b  # saves c
        c.add_(1)
        d.sum().backward()
    msg = _raises(fn)
    assert "is at version 1; expected version 0 instead. Hint:" in msg


def test_saved_input_modified_twice_in_2d():
    def fn(L):
        a = t(L, [[1.0, 2.0], [3.0, 4.0]])
        c = a + 0
        d = (c ** 2).sum()  # saves c
        c.mul_(2)
        c.add_(1)
        d.backward()
    msg = _raises(fn)
    assert "[torch.FloatTensor [2, 2]], which is output 0 of Add, is at version 2; expected version 0" in msg


def test_saved_leaf_input_modified_under_no_grad():
    def fn(L):
        a = t(L, [1.0, 2.0])
        d = (a * a).sum()
        with L.no_grad():
            a.mul_(2)
        d.backward()
    _raises(fn)


def test_saved_double_modified():
    def fn(L):
        a = L.tensor(np.array([1.0, 2.0]), requires_grad=True)
        c = a * 1
        d = c.sin()
        c.zero_()
        d.sum().backward()
    msg = _raises(fn)
    assert "torch.DoubleTensor [2]" in msg


@pytest.mark.parametrize("op", ["exp", "sigmoid", "tanh", "sqrt", "relu"])
def test_saved_output_modified(op):
    def fn(L):
        a = t(L, [1.0, 2.0])
        y = getattr(a, op)()
        y.add_(1)
        y.sum().backward()
    msg = _raises(fn)
    assert f"which is output 0 of {op.capitalize()}, is at version 1; expected version 0" in msg


def test_saved_output_of_inplace_exp_modified():
    def fn(L):
        a = t(L, [0.1, 0.2])
        y = (a * 0.5).exp_().exp_()
        y.sum().backward()
    _raises(fn)


def test_saved_output_of_inplace_exp_on_view_modified():
    def fn(L):
        a = t(L, [0.1, 0.2, 0.3])
        v = (a * 1)[:2]
        v.exp_()
        v.add_(1)
        v.sum().backward()
    msg = _raises(fn)
    assert "output 0 of Exp, is at version 2; expected version 1" in msg


def test_backward_twice():
    def fn(L):
        a = t(L, [1.0, 2.0])
        y = (a * a).sum()
        y.backward()
        y.backward()
    msg = _raises(fn)
    assert msg.startswith("Trying to backward through the graph a second time")


def test_backward_twice_saved_output():
    def fn(L):
        a = t(L, [1.0, 2.0])
        y = a.exp().sum()
        y.backward()
        y.backward()
    _raises(fn)


def test_access_freed_saved_tensor():
    def fn(L):
        a = t(L, [1.0, 2.0])
        y = a * a
        y.sum().backward()
        return y.grad_fn._saved_self
    _raises(fn)


def test_backward_twice_without_saved_tensors_is_fine():
    for L in LIBS:
        a = t(L, [1.0, 2.0])
        y = (a + 1).sum()
        y.backward()
        y.backward()
        assert a.grad.tolist() == [2.0, 2.0]


def test_nonscalar_backward_without_gradient():
    _raises(lambda L: (t(L, [1.0, 2.0]) * 2).backward())


def test_grad_nonscalar_without_grad_outputs():
    _raises(lambda L: L.autograd.grad(t(L, [1.0, 2.0]) * 2, t(L, [1.0])))


def test_grad_empty_inputs():
    _raises(lambda L: L.autograd.grad((t(L, [1.0, 2.0]) * 2).sum(), []))


@pytest.mark.parametrize("call", [
    lambda L, y: L.autograd.backward(y, grad_tensors=()),
    lambda L, y: y.backward(()),
    lambda L, y: L.autograd.grad(y, y.grad_fn.next_functions[0][0].variable, grad_outputs=[]),
    lambda L, y: L.autograd.backward([y, y * 2], grad_tensors=L.ones(())),
    lambda L, y: L.autograd.grad([y, y * 2], y.grad_fn.next_functions[0][0].variable, grad_outputs=L.ones(())),
], ids=["backward_none", "method_none", "grad_none", "backward_one_for_two", "grad_one_for_two"])
def test_fewer_gradients_than_outputs(call):
    _raises(lambda L: call(L, (t(L, [1.0, 2.0]) * 2).sum()))


def test_extra_gradients_are_dropped_and_any_iterable_is_taken():
    got = []
    for L in LIBS:
        x = t(L, [1.0, 2.0])
        y = (x * 3).sum()
        g, = L.autograd.grad((o for o in [y]), (i for i in [x]), grad_outputs=[L.ones(()), L.ones(())])
        got.append(g.tolist())
    assert got[0] == got[1] == [3.0, 3.0]


def test_backward_gradient_shape_mismatch():
    def fn(L):
        a = t(L, [1.0, 2.0])
        (a * 2).backward(L.ones(3))
    _raises(fn)


def test_backward_gradient_shape_mismatch_2d():
    def fn(L):
        a = t(L, [[1.0, 2.0]])
        (a * 2).backward(L.ones(2, 1))
    _raises(fn)


def test_backward_without_grad():
    _raises(lambda L: t(L, [1.0, 2.0], grad=False).sum().backward())


def test_backward_int_result():
    _raises(lambda L: L.tensor([1, 2]).sum().backward())


def test_backward_under_no_grad():
    def fn(L):
        a = t(L, [1.0, 2.0])
        with L.no_grad():
            y = (a * 2).sum()
        y.backward()
    _raises(fn)


def test_grad_unused_input():
    def fn(L):
        a, b = t(L, [1.0, 2.0]), t(L, [3.0])
        L.autograd.grad((a * 2).sum(), [a, b])
    msg = _raises(fn)
    assert "index 1" in msg


def test_grad_allow_unused():
    res = {}
    for L in LIBS:
        a, b = t(L, [1.0, 2.0]), t(L, [3.0])
        ga, gb = L.autograd.grad((a * 2).sum(), [a, b], allow_unused=True)
        gm = L.autograd.grad((a * 2).sum(), [a, b], allow_unused=True, materialize_grads=True)[1]
        res[L] = (ga.tolist(), gb, gm.tolist())
    assert res[A] == res[torch]


def test_grad_input_not_requiring_grad():
    _raises(lambda L: L.autograd.grad((t(L, [1.0]) * 2).sum(), [t(L, [1.0], grad=False)]))


def test_grad_of_output_not_requiring_grad():
    _raises(lambda L: L.autograd.grad(t(L, [1.0], grad=False).sum(), [t(L, [1.0])]))


def test_backward_inputs_empty():
    _raises(lambda L: (t(L, [1.0]) * 2).sum().backward(inputs=[]))


def test_nonleaf_grad_warning():
    msgs = {}
    for L in LIBS:
        a = t(L, [1.0, 2.0])
        y = a * 2
        y.sum().backward()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            g = y.grad
        assert g is None
        msgs[L] = [(x.category, str(x.message)) for x in w]
    assert msgs[A] == msgs[torch]
    assert len(msgs[torch]) == 1 and msgs[torch][0][0] is UserWarning


def test_nonleaf_retain_grad_has_no_warning():
    for L in LIBS:
        a = t(L, [1.0, 2.0])
        y = a * 2
        y.retain_grad()
        y.sum().backward()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert y.grad.tolist() == [1.0, 1.0]


def test_multiple_roots_on_one_node():
    """``backward`` with two outputs of one split: both gradients arrive at SplitBackward0."""
    res = {}
    for L in LIBS:
        x = t(L, [1.0, 2.0, 3.0, 4.0])
        a, b = x.split(2)
        L.autograd.backward([a, b], [L.ones(2), L.ones(2) * 2])
        res[L] = x.grad.tolist() if x.grad is not None else None
    assert res[A] == res[torch]


def test_same_root_twice():
    res = {}
    for L in LIBS:
        x = t(L, [1.0, 2.0])
        y = x * 3
        L.autograd.backward([y, y], [L.ones(2), L.ones(2)])
        res[L] = x.grad.tolist() if x.grad is not None else None
    assert res[A] == res[torch]


def test_error_types_for_numpy_after_detach_are_fine():
    for L in LIBS:
        a = t(L, [1.0, 2.0])
        assert a.detach().numpy().tolist() == [1.0, 2.0]


@pytest.mark.parametrize("expr", ["a // b", "a // 2.0", "5 % a", "7 // a"])
def test_backward_through_op_without_derivative(expr):
    def fn(L):
        a, b = t(L, [1.5, -2.5]), t(L, [0.5, 2.0])
        out = eval(expr)
        out.sum().backward()
    assert "is not implemented" in _raises(fn)


@pytest.mark.parametrize("name", ["pow0", "max_dim", "index_list", "index_mask", "where", "masked_fill",
                                  "masked_fill_tensor", "div_floor", "setitem_list", "setitem_mask", "exp", "mul"])
def test_backward_twice_per_op(name):
    """Whether a second backward fails depends on whether the op saved tensors, as in PyTorch."""
    ops = {
        "pow0": lambda L, x, y: x ** 0,
        "max_dim": lambda L, x, y: x.max(0)[0],
        "index_list": lambda L, x, y: x[[0, 1]],
        "index_mask": lambda L, x, y: x[x > 1.5],
        "where": lambda L, x, y: L.where(x > 1.5, x, y),
        "masked_fill": lambda L, x, y: x.masked_fill(x > 1.5, 0.0),
        "masked_fill_tensor": lambda L, x, y: x.masked_fill(x > 1.5, y[0]),
        "div_floor": lambda L, x, y: L.div(x, y, rounding_mode="floor"),
        "setitem_list": lambda L, x, y: _set(x * 1, [0, 2], y[:2]),
        "setitem_mask": lambda L, x, y: _set(x * 1, x > 1, 0.0),
        "exp": lambda L, x, y: x.exp(),
        "mul": lambda L, x, y: x * y,
    }
    res = {}
    for L in LIBS:
        x, y = t(L, [0.5, 1.7, 2.3]), t(L, [1.1, 0.9, 1.9])
        out = ops[name](L, x, y).sum()
        out.backward()
        try:
            out.backward()
            res[L] = ("ok", x.grad.tolist())
        except RuntimeError as e:
            res[L] = ("raised", str(e))
    assert res[A] == res[torch]


def _set(a, key, value):
    a[key] = value
    return a
