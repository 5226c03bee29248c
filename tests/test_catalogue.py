"""Bad-input catalogue (issue #10): mistakes students make, run on autograd_lab and on PyTorch.

Each case is a small function ``case(L, keep)`` that builds its tensors with library ``L``
(``autograd_lab`` or ``torch``), hands the ones that matter to ``keep`` and returns the mistaken
call as a thunk. The runner snapshots every kept tensor (data, ``.grad``, ``requires_grad``,
``_version``) before the call and again after it, in both libraries, then checks:

- the mistake raises in PyTorch (else it is not a mistake) and raises in autograd_lab: the same
  exception type and the same message (exact; first line only where ``first_line=True`` says PyTorch
  adds build-specific text);
- autograd_lab's tensors are exactly as they were before the failing call -- data, ``.grad`` and
  version: a failed call changes nothing (for backward this is our promise beyond PyTorch);
- PyTorch's tensors likewise, except where the case says ``torch_changes_state=True``: there PyTorch
  really does leave something changed (a backward that fails half-way has already accumulated into
  some leaves) and the test asserts that it does, so the note stays true;
- the warnings the call emits are the same (category and text).

Some mistakes raise nothing (NaN and inf inputs propagate, ``no_grad`` results mixed into a graph,
a forgotten ``zero_grad`` accumulates, ``mse_loss`` broadcasts a (N, 1) input against an (N,) target
with a warning): those cases say ``returns=True`` and compare the result (values, dtype, repr) and
the state afterwards between the libraries instead.

Known core bugs are strict xfails with a one-line reason; the number of cases is printed in pytest's
terminal summary ("catalogue: N cases compared").
"""
import copy
import warnings

import numpy as np
import pytest

from oracle import import_torch

torch = import_torch()
torch.set_num_threads(1)

import autograd_lab as A  # noqa: E402
from _fuzz_graphs import counts  # noqa: E402

CASES = []


def mistake(name, *, returns=False, torch_changes_state=False, first_line=False, xfail=None):
    """Register ``fn(L, keep) -> thunk`` under ``name`` (see the module docstring)."""
    def deco(fn):
        marks = [pytest.mark.xfail(reason="bug: " + xfail, strict=True)] if xfail else []
        opts = {"returns": returns, "torch_changes_state": torch_changes_state, "first_line": first_line}
        CASES.append(pytest.param(fn, opts, id=name, marks=marks))
        return fn
    return deco


def t(L, data, grad=False, dtype=None):
    arr = np.asarray(data, dtype=dtype or (np.float32 if np.asarray(data).dtype.kind == "f" else None))
    return L.tensor(arr, requires_grad=grad)


def with_grad(L, data, grad_value):
    """A leaf requiring grad whose ``.grad`` already holds ``grad_value`` (so changes are visible)."""
    x = t(L, data, grad=True)
    x.grad = t(L, grad_value)
    return x


# ---------------------------------------------------------------- shapes
@mistake("matmul_inner_dims")
def _(L, keep):
    a, b = keep(t(L, np.ones((2, 3)), grad=True), t(L, np.ones((4, 5))))
    return lambda: a @ b


@mistake("matmul_vectors_of_different_length")
def _(L, keep):
    a, b = keep(t(L, [1.0, 2.0, 3.0], grad=True), t(L, [1.0, 2.0]))
    return lambda: L.matmul(a, b)


@mistake("matmul_batch_mismatch")
def _(L, keep):
    a, b = keep(t(L, np.ones((2, 3, 4)), grad=True), t(L, np.ones((3, 4, 5))))
    return lambda: a @ b


@mistake("mm_float32_with_float64")
def _(L, keep):
    a, b = keep(t(L, np.ones((2, 3))), t(L, np.ones((3, 2)), dtype=np.float64))
    return lambda: a.mm(b)


@mistake("matmul_0d")
def _(L, keep):
    a, b = keep(t(L, 2.0, grad=True), t(L, [1.0, 2.0]))
    return lambda: a @ b


@mistake("add_shapes_do_not_broadcast")
def _(L, keep):
    a, b = keep(t(L, np.ones((2, 3)), grad=True), t(L, np.ones((3, 2))))
    return lambda: a + b


@mistake("backward_gradient_wrong_shape")
def _(L, keep):
    x = keep(with_grad(L, [1.0, 2.0], [10.0, 20.0]))
    y = x * 2
    return lambda: y.backward(L.ones(3))


@mistake("backward_gradient_for_scalar_has_shape")
def _(L, keep):
    x = keep(with_grad(L, [1.0, 2.0], [10.0, 20.0]))
    loss = (x * x).sum()
    return lambda: loss.backward(L.ones(2))


@mistake("autograd_grad_outputs_wrong_shape")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    y = x * 3
    return lambda: L.autograd.grad(y, x, grad_outputs=L.ones(3))


@mistake("view_of_non_contiguous")
def _(L, keep):
    x = keep(t(L, np.arange(6.0).reshape(2, 3), grad=True))
    return lambda: x.t().view(6)


@mistake("view_wrong_size")
def _(L, keep):
    x = keep(t(L, np.arange(6.0), grad=True))
    return lambda: x.view(-1, 4)


@mistake("cat_mismatched_shapes")
def _(L, keep):
    a, b = keep(t(L, np.ones((2, 3)), grad=True), t(L, np.ones((2, 4)), grad=True))
    return lambda: L.cat([a, b], dim=0)


@mistake("cat_of_0d_tensors")
def _(L, keep):
    a, b = keep(t(L, 1.0, grad=True), t(L, 2.0, grad=True))
    return lambda: L.cat([a, b])


@mistake("stack_of_different_sizes")
def _(L, keep):
    a, b = keep(t(L, [1.0, 2.0], grad=True), t(L, [1.0, 2.0, 3.0]))
    return lambda: L.stack([a, b])


@mistake("reshape_empty_with_minus_one")
def _(L, keep):
    x = keep(L.zeros(0, 3, requires_grad=True))
    return lambda: x.reshape(-1, 0)


# ---------------------------------------------------------------- indexing and dims
@mistake("index_out_of_range")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0, 3.0], grad=True))
    return lambda: x[3]


@mistake("index_list_out_of_range")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0, 3.0], grad=True))
    return lambda: x[[0, 3]]


@mistake("index_after_slice_out_of_range")
def _(L, keep):
    x = keep(t(L, np.ones((3, 4)), grad=True))
    return lambda: x[:, [0, 9]]


@mistake("slice_of_0d")
def _(L, keep):
    x = keep(t(L, 1.5, grad=True))
    return lambda: x[:]


@mistake("dim_out_of_range")
def _(L, keep):
    x = keep(t(L, np.ones((2, 3)), grad=True))
    return lambda: x.sum(dim=2)


@mistake("softmax_dim_out_of_range_0d")
def _(L, keep):
    x = keep(t(L, 0.5, grad=True))
    return lambda: L.softmax(x, dim=1)


@mistake("transpose_dim_out_of_range")
def _(L, keep):
    x = keep(t(L, np.ones((2, 3)), grad=True))
    return lambda: x.transpose(0, 2)


# ---------------------------------------------------------------- dtypes and conversions
@mistake("int_tensor_requires_grad")
def _(L, keep):
    return lambda: L.tensor([1, 2, 3], requires_grad=True)


@mistake("int_tensor_requires_grad_method")
def _(L, keep):
    x = keep(L.tensor([1, 2, 3]))
    return lambda: x.requires_grad_()


@mistake("unknown_dtype_string")
def _(L, keep):
    return lambda: L.ones(2, dtype="float32")


@mistake("dtype_string_to_tensor")
def _(L, keep):
    return lambda: L.tensor([1.0, 2.0], dtype="float")


@mistake("mean_of_int_tensor")
def _(L, keep):
    x = keep(L.tensor([1, 2, 3]))
    return lambda: x.mean()


@mistake("item_of_many_elements")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    return lambda: x.item()


@mistake("numpy_of_tensor_requiring_grad")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    return lambda: x.numpy()


@mistake("float_of_many_elements")
def _(L, keep):
    # without requires_grad: PyTorch warns about float() of a tensor requiring grad only once per process
    x = keep(t(L, [1.0, 2.0]))
    return lambda: float(x)


@mistake("bool_of_many_elements")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    return lambda: bool(x > 0)


@mistake("tensor_of_none")
def _(L, keep):
    return lambda: L.tensor(None)


@mistake("int_add_with_float_alpha")
def _(L, keep):
    a, b = keep(L.tensor([1, 2]), L.tensor([3, 4]))
    return lambda: L.add(a, b, alpha=0.5)


@mistake("int_floor_divide_by_zero")
def _(L, keep):
    x = keep(L.tensor([1, 2]))
    return lambda: x // 0


# ---------------------------------------------------------------- requires_grad, leaves, hooks
@mistake("set_requires_grad_on_non_leaf")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    y = x * 2
    return lambda: setattr(y, "requires_grad", False)


@mistake("requires_grad_on_non_leaf_method")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    y = keep(x * 2)
    return lambda: y.requires_grad_(False)


@mistake("retain_grad_without_grad")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0]))
    return lambda: x.retain_grad()


@mistake("register_hook_without_grad")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0]))
    return lambda: x.register_hook(lambda g: g * 2)


@mistake("assign_grad_of_wrong_shape")
def _(L, keep):
    x = keep(with_grad(L, [1.0, 2.0], [10.0, 20.0]))
    return lambda: setattr(x, "grad", L.zeros(3))


@mistake("deepcopy_of_non_leaf")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    y = x * 2
    return lambda: copy.deepcopy(y)


@mistake("non_leaf_grad_is_none_with_a_warning", returns=True)
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    y = x * 2
    y.sum().backward()
    return lambda: y.grad


# ---------------------------------------------------------------- in-place
@mistake("inplace_on_leaf")
def _(L, keep):
    x = keep(with_grad(L, [1.0, 2.0], [1.0, 1.0]))
    return lambda: x.add_(1)


@mistake("manual_sgd_update_without_no_grad")
def _(L, keep):
    x = keep(with_grad(L, [1.0, 2.0], [0.5, 0.5]))

    def step():
        x.sub_(0.1 * x.grad)
    return step


@mistake("setitem_on_leaf")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0, 3.0], grad=True))

    def assign():
        x[0] = 5.0
    return assign


@mistake("inplace_on_saved_tensor")
def _(L, keep):
    x = keep(with_grad(L, [1.0, 2.0], [7.0, 7.0]))
    y = keep(x * 1)
    z = y * y  # saves y
    y.add_(1)
    return lambda: z.sum().backward()


@mistake("inplace_on_saved_tensor_other_branch_first", torch_changes_state=True)
def _(L, keep):
    # PyTorch runs the branch created last first: a.grad is accumulated before the failing node runs,
    # and PyTorch leaves it there. autograd_lab puts every .grad back.
    a = keep(t(L, [1.0, 2.0], grad=True))
    b = keep(t(L, [3.0, 4.0], grad=True))
    y = b * 1
    z = y * y
    y.add_(1)
    loss = z.sum() + (a * 2).sum()
    return lambda: loss.backward()


@mistake("hook_raises_half_way", torch_changes_state=True, first_line=True)
def _(L, keep):
    a = keep(with_grad(L, [1.0, 2.0], [1.0, 1.0]))
    b = keep(t(L, [3.0, 4.0], grad=True))

    def bad(g):
        raise RuntimeError("hook failed")
    yb = b * 3
    yb.register_hook(bad)
    loss = yb.sum() + (a * 2).sum()  # a's branch runs first
    return lambda: loss.backward()


@mistake("inplace_through_detach_then_backward")
def _(L, keep):
    # detach() shares data *and* the version counter: the saved tensor is seen as modified
    a = keep(t(L, [1.0, 2.0], grad=True))
    loss = (a * a).sum()
    a.detach().add_(1)
    return lambda: loss.backward()


@mistake("inplace_through_data_is_unchecked", returns=True)
def _(L, keep):
    # .data shares the data but not the version counter: no error, the gradient uses the new values
    a = keep(t(L, [1.0, 2.0], grad=True))
    loss = (a * a).sum()
    a.data.add_(1)

    def run():
        loss.backward()
        return a.grad
    return run


@mistake("hook_changes_shape")
def _(L, keep):
    x = keep(with_grad(L, [1.0, 2.0], [1.0, 1.0]))
    y = x * 2

    def bad_hook(g):
        return L.ones(3)
    y.register_hook(bad_hook)
    return lambda: y.sum().backward()


@mistake("leaf_hook_changes_shape")
def _(L, keep):
    x = keep(with_grad(L, [1.0, 2.0], [1.0, 1.0]))

    def bad_hook(g):
        return g.reshape(1, 2)
    x.register_hook(bad_hook)
    return lambda: (x * 3).sum().backward()


@mistake("hook_returns_a_number")
def _(L, keep):
    x = keep(with_grad(L, [1.0, 2.0], [1.0, 1.0]))
    y = x * 2
    y.register_hook(lambda g: 5)
    return lambda: y.sum().backward()


@mistake("inplace_exp_output_then_backward")
def _(L, keep):
    x = keep(t(L, [0.5, 1.0], grad=True))
    y = keep(x.exp())  # saves its result
    y.mul_(2)
    return lambda: y.sum().backward()


@mistake("inplace_under_no_grad_then_backward")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    loss = (x * x).sum()
    with L.no_grad():
        x.mul_(2)
    return lambda: loss.backward()


@mistake("inplace_under_no_grad_is_fine", returns=True)
def _(L, keep):
    x = keep(with_grad(L, [1.0, 2.0], [0.5, 0.5]))

    def step():
        with L.no_grad():
            x.sub_(0.1 * x.grad)
        return x
    return step


# ---------------------------------------------------------------- backward
@mistake("backward_twice")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    loss = (x * x).sum()
    loss.backward()
    return lambda: loss.backward()


@mistake("backward_twice_through_autograd_grad")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    loss = (x.exp()).sum()
    L.autograd.grad(loss, x)
    return lambda: loss.backward()


@mistake("read_freed_saved_tensor")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    y = x * x
    y.sum().backward()
    return lambda: y.grad_fn._saved_self


@mistake("non_scalar_backward")
def _(L, keep):
    x = keep(with_grad(L, [1.0, 2.0], [3.0, 3.0]))
    return lambda: (x * 2).backward()


@mistake("backward_of_tensor_without_grad")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0]))
    return lambda: (x * 2).sum().backward()


@mistake("backward_of_detached")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    return lambda: (x * 2).detach().sum().backward()


@mistake("backward_of_result_built_under_no_grad")
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    with L.no_grad():
        loss = (x * x).sum()
    return lambda: loss.backward()


@mistake("backward_inside_no_grad_still_works", returns=True)
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    loss = (x * x).sum()

    def run():
        with L.no_grad():
            loss.backward()
        return x.grad
    return run


@mistake("mixing_no_grad_results", returns=True)
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    with L.no_grad():
        scale = x * 10  # a constant as far as autograd is concerned
    y = keep(scale * x)

    def run():
        y.sum().backward()
        return (scale, y, x.grad)
    return run


@mistake("forgot_zero_grad_accumulates", returns=True)
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))

    def run():
        for _ in range(3):
            (x * x).sum().backward()
        return x.grad
    return run


@mistake("autograd_grad_unused_input")
def _(L, keep):
    x, u = keep(t(L, [1.0, 2.0], grad=True), t(L, [5.0], grad=True))
    return lambda: L.autograd.grad((x * 2).sum(), [x, u])


@mistake("autograd_grad_allow_unused", returns=True)
def _(L, keep):
    x, u = keep(t(L, [1.0, 2.0], grad=True), t(L, [5.0], grad=True))
    return lambda: L.autograd.grad((x * 2).sum(), [x, u], allow_unused=True)


@mistake("autograd_grad_input_without_grad")
def _(L, keep):
    x, c = keep(t(L, [1.0, 2.0], grad=True), t(L, [5.0]))
    return lambda: L.autograd.grad((x * c).sum(), [c])


@mistake("backward_inputs_not_requiring_grad")
def _(L, keep):
    x, c = keep(with_grad(L, [1.0, 2.0], [1.0, 1.0]), t(L, [5.0]))
    return lambda: (x * c).sum().backward(inputs=[c])


@mistake("backward_inputs_non_leaf_counts_once", returns=True)
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    y = x * 2

    def run():
        (y * y).sum().backward(inputs=[y])
        return y.grad
    return run


@mistake("failed_autograd_grad_leaves_retained_grad", first_line=True, torch_changes_state=True)
def _(L, keep):
    x, u = keep(t(L, [1.0, 2.0], grad=True), t(L, [5.0], grad=True))
    y = keep(x * 2)
    y.retain_grad()
    return lambda: L.autograd.grad((y * y).sum(), [x, u])


# ---------------------------------------------------------------- NaN and inf: no error, values propagate
@mistake("nan_input_propagates", returns=True)
def _(L, keep):
    x = keep(t(L, [np.nan, 1.0, -2.0], grad=True))

    def run():
        y = (x * 3 + 1).tanh()
        y.sum().backward()
        return (y, x.grad)
    return run


@mistake("inf_input_propagates", returns=True)
def _(L, keep):
    x = keep(t(L, [np.inf, -np.inf, 1.0], grad=True))

    def run():
        y = x.exp() + x.sigmoid()
        y.sum().backward()
        return (y, x.grad)
    return run


@mistake("log_of_zero_and_negative", returns=True)
def _(L, keep):
    x = keep(t(L, [0.0, -1.0, 2.0], grad=True))

    def run():
        y = x.log()
        y.sum().backward()
        return (y, x.grad)
    return run


@mistake("exp_overflow_is_inf", returns=True)
def _(L, keep):
    x = keep(t(L, [100.0, 1000.0], grad=True))

    def run():
        y = x.exp()
        y.sum().backward()
        return (y, x.grad)
    return run


@mistake("divide_by_zero_float", returns=True)
def _(L, keep):
    x = keep(t(L, [1.0, 0.0, -1.0], grad=True))

    def run():
        y = x / 0.0
        y.sum().backward()
        return (y, x.grad)
    return run


@mistake("abs_of_nan_gradient", returns=True)
def _(L, keep):
    x = keep(t(L, [np.nan, -1.0], grad=True))

    def run():
        x.abs().sum().backward()
        return x.grad
    return run


@mistake("relu_of_nan_gradient", returns=True)
def _(L, keep):
    x = keep(t(L, [np.nan, -1.0, 2.0], grad=True))

    def run():
        x.relu().backward(L.tensor([5.0, 5.0, 5.0]))
        return x.grad
    return run


# ---------------------------------------------------------------- nn and optim
def linear(L, n_in=3, n_out=2):
    lin = L.nn.Linear(n_in, n_out)
    with L.no_grad():
        lin.weight.copy_(L.tensor(np.linspace(-1, 1, n_in * n_out, dtype=np.float32).reshape(n_out, n_in)))
        lin.bias.copy_(L.tensor(np.linspace(0, 1, n_out, dtype=np.float32)))
    return lin


@mistake("linear_wrong_in_features")
def _(L, keep):
    lin = linear(L)
    keep(*lin.parameters())
    x = keep(t(L, np.ones((4, 5))))
    return lambda: lin(x)


@mistake("linear_int_input")
def _(L, keep):
    lin = linear(L)
    keep(*lin.parameters())
    x = keep(L.tensor([[1, 2, 3]]))
    return lambda: lin(x)


@mistake("mse_target_shape_broadcasts_with_warning", returns=True)
def _(L, keep):
    pred = keep(t(L, [[1.0], [2.0], [3.0]], grad=True))
    target = keep(t(L, [1.0, 0.0, 2.0]))
    return lambda: L.nn.functional.mse_loss(pred, target)


@mistake("mse_target_shape_mismatch")
def _(L, keep):
    pred = keep(t(L, [1.0, 2.0, 3.0], grad=True))
    target = keep(t(L, [1.0, 0.0, 2.0, 4.0]))
    return lambda: L.nn.MSELoss()(pred, target)


@mistake("l1_target_shape_mismatch")
def _(L, keep):
    pred = keep(t(L, [1.0, 2.0, 3.0], grad=True))
    target = keep(t(L, [1.0, 0.0, 2.0, 4.0]))
    return lambda: L.nn.functional.l1_loss(pred, target)


@mistake("bce_target_size_differs")
def _(L, keep):
    pred = keep(t(L, [0.5, 0.5, 0.5], grad=True))
    target = keep(t(L, [1.0, 0.0, 1.0, 0.0]))
    return lambda: L.nn.functional.binary_cross_entropy(pred, target)


@mistake("bce_input_not_a_probability")
def _(L, keep):
    pred = keep(t(L, [0.5, 1.5], grad=True))
    target = keep(t(L, [1.0, 0.0]))
    return lambda: L.nn.functional.binary_cross_entropy(pred, target)


@mistake("cross_entropy_float_targets")
def _(L, keep):
    logits = keep(t(L, np.zeros((3, 4)), grad=True))
    target = keep(t(L, [0.0, 1.0, 2.0]))
    return lambda: L.nn.functional.cross_entropy(logits, target)


@mistake("cross_entropy_float_targets_wrong_shape")
def _(L, keep):
    logits = keep(t(L, np.zeros((3, 4)), grad=True))
    target = keep(t(L, np.zeros((3, 5))))
    return lambda: L.nn.CrossEntropyLoss()(logits, target)


@mistake("cross_entropy_column_targets")
def _(L, keep):
    logits = keep(t(L, np.zeros((3, 4)), grad=True))
    target = keep(L.tensor([[0], [1], [2]]))
    return lambda: L.nn.functional.cross_entropy(logits, target)


@mistake("cross_entropy_target_out_of_range")
def _(L, keep):
    logits = keep(t(L, np.zeros((2, 3)), grad=True))
    target = keep(L.tensor([0, 3]))
    return lambda: L.nn.functional.cross_entropy(logits, target)


@mistake("nll_loss_1d_input_two_targets")
def _(L, keep):
    logp = keep(t(L, [-1.0, -2.0, -0.5], grad=True))
    target = keep(L.tensor([0, 1]))
    return lambda: L.nn.functional.nll_loss(logp, target)


@mistake("nll_loss_1d_input_two_targets_bad_weight")
def _(L, keep):
    # the target's size is checked before the weight's
    logp = keep(t(L, [-1.0, -2.0, -0.5], grad=True))
    target = keep(L.tensor([0, 1]))
    return lambda: L.nn.functional.nll_loss(logp, target, weight=L.ones(5))


@mistake("nll_loss_1d_input_one_element_target", returns=True)
def _(L, keep):
    logp = keep(t(L, [-1.0, -2.0, -0.5], grad=True))
    target = keep(L.tensor([1]))
    return lambda: L.nn.functional.nll_loss(logp, target, reduction="none")


@mistake("nll_loss_1d_input_one_element_target_backward")
def _(L, keep):
    # PyTorch's forward takes [t] for a single sample, its backward refuses the shape
    logp = keep(t(L, [-1.0, -2.0, -0.5], grad=True))
    loss = L.nn.functional.nll_loss(logp, L.tensor([1]))
    return lambda: loss.backward()


@mistake("nll_loss_int32_target")
def _(L, keep):
    logp = keep(t(L, np.zeros((2, 3)), grad=True))
    target = keep(L.tensor([0, 1], dtype=L.int32))
    return lambda: L.nn.functional.nll_loss(logp, target)


@mistake("nll_loss_batch_input_scalar_target")
def _(L, keep):
    logp = keep(t(L, np.zeros((1, 3)), grad=True))
    target = keep(L.tensor(0))
    return lambda: L.nn.functional.nll_loss(logp, target)


@mistake("optimizer_given_a_single_tensor")
def _(L, keep):
    w = keep(t(L, [1.0, 2.0], grad=True))
    return lambda: L.optim.SGD(w, lr=0.1)


@mistake("optimizer_empty_parameter_list")
def _(L, keep):
    return lambda: L.optim.SGD([], lr=0.1)


@mistake("optimizer_given_an_exhausted_generator")
def _(L, keep):
    lin = linear(L)
    keep(*lin.parameters())
    params = lin.parameters()
    list(params)  # e.g. printed them first
    return lambda: L.optim.SGD(params, lr=0.1)


@mistake("optimizer_negative_lr")
def _(L, keep):
    w = keep(t(L, [1.0, 2.0], grad=True))
    return lambda: L.optim.SGD([w], lr=-0.1)


@mistake("adam_negative_lr")
def _(L, keep):
    w = keep(t(L, [1.0, 2.0], grad=True))
    return lambda: L.optim.Adam([w], lr=-0.1)


@mistake("adam_bad_beta")
def _(L, keep):
    w = keep(t(L, [1.0, 2.0], grad=True))
    return lambda: L.optim.Adam([w], betas=(1.0, 0.999))


@mistake("optimizer_non_leaf_param")
def _(L, keep):
    w = keep(t(L, [1.0, 2.0], grad=True))
    return lambda: L.optim.SGD([w * 2], lr=0.1)


@mistake("optimizer_same_param_twice")
def _(L, keep):
    w = keep(t(L, [1.0, 2.0], grad=True))
    return lambda: L.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


@mistake("zero_grad_sets_to_none", returns=True)
def _(L, keep):
    w = keep(t(L, [1.0, 2.0], grad=True))
    opt = L.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()

    def run():
        opt.zero_grad()
        return w.grad
    return run


@mistake("zero_grad_set_to_none_false_keeps_zeros", returns=True)
def _(L, keep):
    w = keep(t(L, [1.0, 2.0], grad=True))
    opt = L.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    g = w.grad

    def run():
        opt.zero_grad(set_to_none=False)
        return (w.grad, w.grad is g)
    return run


@mistake("step_without_backward_changes_nothing", returns=True)
def _(L, keep):
    w = keep(t(L, [1.0, 2.0], grad=True))
    opt = L.optim.SGD([w], lr=0.1, momentum=0.9)

    def run():
        opt.step()
        return w
    return run


@mistake("copy_tensor_with_torch_tensor_warns", returns=True)
def _(L, keep):
    x = keep(t(L, [1.0, 2.0], grad=True))
    return lambda: L.tensor(x)


# ---------------------------------------------------------------- the runner
def snap(x):
    """What a failed call must not change: data, .grad, requires_grad, version."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = x.grad
    data = np.array(x.detach().numpy(), copy=True)
    return (data, None if g is None else np.array(g.detach().numpy(), copy=True), x.requires_grad, x._version)


def same_snap(a, b, exact=True):
    """Equal snapshots: bit for bit (before/after one library), or to rounding (across libraries)."""
    def eq(x, y):
        if exact or x.dtype.kind != "f":
            return np.array_equal(x, y, equal_nan=True)
        return x.shape == y.shape and np.allclose(x, y, rtol=1e-6, atol=1e-7, equal_nan=True)
    if len(a) != len(b):
        return False
    for (d1, g1, r1, v1), (d2, g2, r2, v2) in zip(a, b):
        if not eq(d1, d2) or r1 != r2 or (exact and v1 != v2):
            return False
        if (g1 is None) != (g2 is None) or (g1 is not None and not eq(g1, g2)):
            return False
    return True


def describe(snaps):
    return [(d.tolist(), None if g is None else g.tolist(), r, v) for d, g, r, v in snaps]


def run(fn, L):
    kept = []

    def keep(*ts):
        kept.extend(ts)
        return ts[0] if len(ts) == 1 else ts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        thunk = fn(L, keep)
    before = [snap(x) for x in kept]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, err = thunk(), None
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            result, err = None, e
    after = [snap(x) for x in kept]
    warned = [(w.category.__name__, str(w.message)) for w in caught]
    return result, err, before, after, warned


def same_result(m, r, what="result"):
    if isinstance(r, torch.Tensor):
        assert isinstance(m, A.Tensor), f"{what}: expected a tensor, got {m!r}"
        assert str(m.dtype) == str(r.dtype), f"{what}: dtype {m.dtype} != {r.dtype}"
        assert tuple(m.shape) == tuple(r.shape), f"{what}: shape"
        a, b = m.detach().numpy(), r.detach().numpy()
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, equal_nan=True, err_msg=what)
        assert m.requires_grad == r.requires_grad, f"{what}: requires_grad"
        assert repr(m) == repr(r), f"{what}: repr\n{m!r}\n!=\n{r!r}"
    elif isinstance(r, (tuple, list)):
        assert isinstance(m, (tuple, list)) and len(m) == len(r), f"{what}: {m!r} != {r!r}"
        for i, (mi, ri) in enumerate(zip(m, r)):
            same_result(mi, ri, f"{what}[{i}]")
    elif type(r).__module__.startswith("torch"):
        assert type(m).__name__ == type(r).__name__, f"{what}: {type(m).__name__} != {type(r).__name__}"
    else:
        assert m == r, f"{what}: {m!r} != {r!r}"


@pytest.fixture(scope="module")
def tally(request):
    return counts(request.config, "catalogue")


@pytest.mark.parametrize("fn, opts", CASES)
def test_mistake(fn, opts, tally):
    r_res, r_err, r_before, r_after, r_warn = run(fn, torch)
    m_res, m_err, m_before, m_after, m_warn = run(fn, A)
    tally["cases"] += 1
    if opts["returns"]:
        assert r_err is None, f"PyTorch raised {type(r_err).__name__}: {r_err}"
        assert m_err is None, f"autograd_lab raised {type(m_err).__name__}: {m_err}"
        same_result(m_res, r_res)
        assert same_snap(m_after, r_after, exact=False), \
            f"state afterwards:\n  autograd_lab: {describe(m_after)}\n  PyTorch:      {describe(r_after)}"
    else:
        assert r_err is not None, "PyTorch did not raise: not a mistake after all?"
        assert m_err is not None, f"autograd_lab did not raise; PyTorch: {type(r_err).__name__}: {r_err}"
        got, want = str(m_err), str(r_err)
        if opts["first_line"]:
            got, want = got.split("\n")[0], want.split("\n")[0]
        assert (type(m_err).__name__, got) == (type(r_err).__name__, want), \
            f"\n  autograd_lab: {type(m_err).__name__}: {got}\n  PyTorch:      {type(r_err).__name__}: {want}"
        assert same_snap(m_before, m_after), \
            (f"autograd_lab changed state in a failed call:\n  before: {describe(m_before)}\n"
             f"  after:  {describe(m_after)}")
        torch_kept = same_snap(r_before, r_after)
        if opts["torch_changes_state"]:
            tally["torch_breaks_promise"] = tally.get("torch_breaks_promise", 0) + 1
            assert not torch_kept, "PyTorch kept its state after all: drop torch_changes_state"
        else:
            assert torch_kept, (f"PyTorch changed state in a failed call (mark torch_changes_state=True):\n"
                                f"  before: {describe(r_before)}\n  after:  {describe(r_after)}")
    assert m_warn == r_warn, f"warnings:\n  autograd_lab: {m_warn}\n  PyTorch:      {r_warn}"


def test_catalogue_size(tally):
    assert len(CASES) >= 40
    print(f"catalogue: {len(CASES)} cases")


WARN_ONCE = """
import json, sys, warnings
import {lib} as torch
got = []
for _ in range(2):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        float(torch.ones(1, requires_grad=True) * 2)
    got.append([(x.category.__name__, str(x.message)) for x in w])
print(json.dumps(got))
"""


def test_float_of_tensor_requiring_grad_warns_once(tally):
    """A fresh process per library: PyTorch's warning is TORCH_WARN_ONCE, so in-process order matters."""
    import json
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    out = {}
    for lib in ("torch", "autograd_lab"):
        proc = subprocess.run([sys.executable, "-c", WARN_ONCE.format(lib=lib)], cwd=root, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        out[lib] = json.loads(proc.stdout.strip().splitlines()[-1])
    tally["cases"] += 1
    assert len(out["torch"][0]) == 1 and out["torch"][1] == [], out["torch"]
    assert out["autograd_lab"] == out["torch"]
