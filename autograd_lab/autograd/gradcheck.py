"""gradcheck and gradgradcheck: compare backward with central finite differences.

``gradcheck(fn, inputs)`` builds, for every differentiable output o and every input x that
requires grad, two Jacobians of shape (x.numel(), o.numel()):

* numerical: column by column, ``(fn(x + eps·eᵢ) - fn(x - eps·eᵢ)) / 2eps`` (perturbing x in place);
* analytical: row by row, ``autograd.grad(o, x, grad_outputs=eⱼ)``;

and fails, in PyTorch's words, when they are not ``allclose(rtol, atol)``.

On a failure it goes one step further than PyTorch: it re-runs ``fn`` while recording every node
created (with its inputs and options), then checks each node alone, its backward against finite
differences of its own forward, and names the first node whose backward is wrong
(``err.node``, and "The gradient of node MyFnBackward is wrong" in the message). gradgradcheck
does the same with each node's double backward.
"""
import contextlib
import warnings

import numpy as np

from .. import _dtype, grad_mode
from .. import node as _node
from ..tensor import Tensor
from . import _as_tuple
from .function import snapshot_arg as _snapshot


class GradcheckError(RuntimeError):
    """Raised by gradcheck when a Jacobian is wrong. ``node`` is the culprit node, when one was found."""

    node = None


def _is_diff(t):
    return isinstance(t, Tensor) and t.requires_grad


def _differentiable_outputs(out):
    return tuple(o for o in _as_tuple(out) if isinstance(o, Tensor) and o.requires_grad)


def _check_inputs(inputs):
    found = False
    for idx, inp in enumerate(inputs):
        if _is_diff(inp):
            if inp.dtype is not _dtype.float64:
                warnings.warn(f"Input #{idx} requires gradient and is not a double precision floating point or "
                              "complex. This check will likely fail if all the inputs are not of double precision "
                              "floating point or complex. ", UserWarning, stacklevel=4)
            if any(st == 0 and sz > 1 for st, sz in zip(inp._data.strides, inp._data.shape)):
                raise RuntimeError(f"The {idx}th input has a dimension with stride 0. gradcheck only supports inputs "
                                   "that are non-overlapping to be able to compute the numerical gradients correctly. "
                                   "You should call .contiguous on the input before passing it to gradcheck.")
            found = True
    if not found:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")


# ---- the two Jacobians ----
def _numerical_jacobian(fn, inputs, outputs, eps):
    """One list per differentiable input: a (numel_in, numel_out) array per output."""
    result = []
    for x in inputs:
        if not _is_diff(x):
            continue
        data = x._data  # perturbed in place, element by element in row-major order
        cols = [np.zeros((x.numel(), o.numel()), dtype=x.dtype.np) for o in outputs]
        for i in range(data.size):
            idx = np.unravel_index(i, data.shape)
            orig = data[idx].copy()
            data[idx] = orig - eps
            lo = _eval(fn, inputs)
            data[idx] = orig + eps
            hi = _eval(fn, inputs)
            data[idx] = orig
            for j in range(len(outputs)):
                cols[j][i] = ((hi[j] - lo[j]) / (2 * eps)).reshape(-1)
        result.append(cols)
    return result


def _eval(fn, inputs):
    out = _as_tuple(fn(*inputs))
    return [o._data.astype(np.float64) if o.dtype.is_floating_point else o._data for o in out
            if isinstance(o, Tensor)]


def _analytical_jacobian(output, diff_inputs):
    """(numel_in, numel_out) per input, from one vector-Jacobian product per output element."""
    from . import grad
    jac = [np.zeros((x.numel(), output.numel()), dtype=x.dtype.np) for x in diff_inputs]
    sizes_ok = True
    seed = np.zeros(output.numel(), dtype=output.dtype.np)
    for j in range(output.numel()):
        seed[:] = 0
        seed[j] = 1
        g = Tensor._make(seed.reshape(output.shape).copy())
        grads = grad(output, diff_inputs, g, retain_graph=True, allow_unused=True)
        for i, d in enumerate(grads):
            if d is None:
                continue
            if d.shape != diff_inputs[i].shape:
                sizes_ok = False
                continue
            jac[i][:, j] = d._data.reshape(-1)
    return jac, sizes_ok


def _allclose(a, n, rtol, atol):
    return np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=False)


def _mismatch_message(a, n, out_idx, in_idx):
    return (f"Jacobian mismatch for output {out_idx:d} with respect to input {in_idx:d},\n"
            f"numerical:{Tensor._make(n)!r}\nanalytical:{Tensor._make(a)!r}\n")


def _check(fn, inputs, eps, atol, rtol, nondet_tol):
    func_out = fn(*inputs)
    outputs = _differentiable_outputs(func_out)
    diff_inputs = [x for x in inputs if _is_diff(x)]
    if not outputs:
        numerical = _numerical_jacobian(fn, inputs, [o for o in _as_tuple(func_out) if isinstance(o, Tensor)], eps)
        for per_input in numerical:
            for jac in per_input:
                if np.any(jac != 0):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    all_outs = [o for o in _as_tuple(func_out) if isinstance(o, Tensor)]
    numerical = _numerical_jacobian(fn, inputs, all_outs, eps)
    keep = [k for k, o in enumerate(all_outs) if o.requires_grad]
    for i, o in enumerate(outputs):
        analytical, sizes_ok = _analytical_jacobian(o, diff_inputs)
        again, _ = _analytical_jacobian(o, diff_inputs)
        if not sizes_ok:
            raise GradcheckError("Analytical gradient has incorrect size")
        for a, b in zip(analytical, again):
            if not np.allclose(a, b, rtol=0, atol=nondet_tol):
                raise GradcheckError("Backward is not reentrant, i.e., running backward with same input and "
                                     "grad_output multiple times gives different values, although analytical "
                                     f"gradient matches numerical gradient.The tolerance for nondeterminism was "
                                     f"{nondet_tol}.")
        for j, a in enumerate(analytical):
            n = numerical[j][keep[i]]
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_mismatch_message(a, n, i, j))
    _check_linear_in_grad_output(outputs, diff_inputs)
    return True


def _forward_jacobian(fn, inputs, x):
    """(numel_in, numel_out) per output, one Jacobian-vector product per element of input ``x``
    (forward mode: x gets the tangent eᵢ, every other input none)."""
    from . import forward_ad
    cols = None
    for i in range(x.numel()):
        e = np.zeros(x._data.size, x.dtype.np)
        e[i] = 1
        with forward_ad.dual_level():
            args = [forward_ad.make_dual(t, Tensor._make(e.reshape(x.shape))) if t is x else t for t in inputs]
            outs = [o for o in _as_tuple(fn(*args)) if isinstance(o, Tensor) and o.dtype.is_floating_point]
            tangents = [forward_ad.unpack_dual(o).tangent for o in outs]
        if cols is None:
            cols = [np.zeros((x.numel(), o.numel())) for o in outs]
        for c, t, o in zip(cols, tangents, outs):
            c[i] = 0 if t is None else t._data.reshape(-1)
    return cols or []


def _check_forward_ad(fn, inputs, eps, atol, rtol):
    """Forward mode against finite differences: each column J·eᵢ from a dual input."""
    outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    numerical = _numerical_jacobian(fn, inputs, outs, eps)
    for j, x in enumerate(t for t in inputs if _is_diff(t)):
        for i, a in enumerate(_forward_jacobian(fn, inputs, x)):
            n = numerical[j][i]
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_mismatch_message(a, n, i, j).replace("Jacobian mismatch",
                                                                           "Jacobian computed with forward mode mismatch"))
    return True


def _check_linear_in_grad_output(outputs, diff_inputs):
    """A zero grad_output must give zero gradients (backward multiplies by grad_output)."""
    from . import grad
    zeros = [Tensor._make(np.zeros(o.shape, o.dtype.np)) for o in outputs]
    grads = grad(outputs, diff_inputs, zeros, retain_graph=True, allow_unused=True)
    for g in grads:
        if g is not None and np.any(g._data != 0):
            raise GradcheckError("backward not multiplied by grad_output")


# ---- naming the culprit ----
class _Record:
    """A node recorded while the function ran, and how to record it again: ``apply(*args, **kwargs)``."""

    __slots__ = ("node", "apply", "args", "kwargs")

    def __init__(self, node, apply, args, kwargs):
        self.node, self.apply, self.args, self.kwargs = node, apply, args, kwargs


@contextlib.contextmanager
def _recording(records):
    """While active, remember each node that ops and Functions record, with copies of its inputs."""
    def observe(node, apply, args, kwargs):
        records.append(_Record(node, apply, [_snapshot(a) for a in args], dict(kwargs)))

    _node.observers.append(observe)
    try:
        yield
    finally:
        _node.observers.remove(observe)


def _to64(t):
    if isinstance(t, Tensor) and t.dtype.is_floating_point and t.dtype is not _dtype.float64:
        c = Tensor._make(t._data.astype(np.float64))
        c._requires_grad = t.requires_grad
        return c
    return t


def _local_function(rec):
    """A function of the node's differentiable inputs that rebuilds just this node, in float64."""
    args = [_to64(a) for a in rec.args]
    kwargs = {k: (_dtype.float64 if isinstance(v, _dtype.dtype) and v.is_floating_point else v)
              for k, v in rec.kwargs.items()}
    slots = [i for i, a in enumerate(args) if _is_diff(a)]

    def run(*xs):
        full = list(args)
        for i, x in zip(slots, xs):
            full[i] = x
        return rec.apply(*full, **kwargs)
    return run, [args[i] for i in slots]


def _node_is_wrong(rec, eps, atol, rtol, order):
    """Check one node alone: its backward (and, for order 2, its backward's backward)."""
    try:
        run, xs = _local_function(rec)
        if not xs:
            return False
        xs = tuple(Tensor._make(x._data.copy()).requires_grad_(True) for x in xs)
        with grad_mode.enable_grad():
            _check(run, xs, eps, atol, rtol, nondet_tol=0.0)
            if order == 2:
                _second_order(run, xs, None, eps, atol, rtol, nondet_tol=0.0, locate=False)
    except GradcheckError:
        return True
    except Exception:
        return False  # a node that cannot be rebuilt alone is not blamed
    return False


def _find_culprit(fn, inputs, eps, atol, rtol, order=1):
    records = []
    fresh = tuple(Tensor._make(x._data.copy()).requires_grad_(True) if _is_diff(x) else x for x in inputs)
    with grad_mode.enable_grad(), _recording(records):
        fn(*fresh)
    # in creation order: the earliest wrong node is where the error starts
    for rec in sorted(records, key=lambda r: r.node._sequence_nr):
        if _node_is_wrong(rec, eps, atol, rtol, order):
            return rec.node
    return None


def _blame(err, fn, inputs, eps, atol, rtol, order):
    from .. import random
    state = random.get_rng_state()  # the search draws grad_outputs; the caller's stream must not move
    try:
        node = _find_culprit(fn, inputs, eps, atol, rtol, order)
    finally:
        random.set_rng_state(state)
    if node is not None:
        what = "backward" if order == 1 else "double backward (the derivative of its backward)"
        err.node = node
        err.args = (err.args[0] + f"The gradient of node {node.name()} is wrong (its {what} disagrees with "
                    "finite differences).\n",)


def _first_order(func, inputs, eps, atol, rtol, nondet_tol, locate=True):
    tupled = _as_tuple(inputs)
    _check_inputs(tupled)
    try:
        return _check(func, tupled, eps, atol, rtol, nondet_tol)
    except GradcheckError as err:
        if locate:
            _blame(err, func, tupled, eps, atol, rtol, order=1)
        raise


def _random_grad_output(out, non_contiguous):
    """What PyTorch's gradgradcheck draws for one output: ``torch.testing.make_tensor(low=-1, high=1)``,
    i.e. ``empty(shape).uniform_(-1, 1)`` from the global generator (float64 for a non-float output;
    a non-contiguous one is drawn twice as wide in the last dim and every other column kept)."""
    from .. import _dtype, random
    dt = out.dtype if out.dtype.is_floating_point else _dtype.float64
    shape = tuple(out.shape)
    non_contiguous = non_contiguous and out.numel() > 1
    if non_contiguous:
        shape = shape[:-1] + (2 * shape[-1],)
    values = random.uniform(shape, dtype=dt.np, low=-1.0, high=1.0)
    if non_contiguous:
        values = values[..., 1::2]
    return Tensor._make(values, dtype=dt).requires_grad_(True)


def _second_order(func, inputs, grad_outputs, eps, atol, rtol, nondet_tol, locate=True, non_contiguous=False):
    """gradcheck of (inputs, grad_outputs) -> autograd.grad(func(inputs), inputs, grad_outputs)."""
    from . import grad
    tupled = _as_tuple(inputs)
    if grad_outputs is None:
        grad_outputs = tuple(_random_grad_output(o, non_contiguous) for o in _differentiable_outputs(func(*tupled)))
    grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_in = {i for i, x in enumerate(tupled) if _is_diff(x)}
    diff_go = {i for i, x in enumerate(grad_outputs) if x.requires_grad}

    def new_func(*args):
        ins = tuple(x.requires_grad_() if i in diff_in else x for i, x in enumerate(args[:-n_out]))
        outs = _differentiable_outputs(func(*ins))
        gos = tuple(x.requires_grad_() if i in diff_go else x for i, x in enumerate(args[-n_out:]))
        wrt = tuple(x for i, x in enumerate(ins) if i in diff_in)
        grads = grad(outs, wrt, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    try:
        return _first_order(new_func, tupled + grad_outputs, eps, atol, rtol, nondet_tol, locate=False)
    except GradcheckError as err:
        if locate:
            _blame(err, func, tupled, eps, atol, rtol, order=2)
        raise


def _unsupported(**flags):
    for name, value in flags.items():
        if value:
            raise NotImplementedError(f"autograd_lab's gradcheck does not check batched gradients ({name}=True)")


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    """True when backward agrees with finite differences for every (output, input) pair.

    Use float64 inputs. On failure raises GradcheckError (a RuntimeError) naming the wrong node,
    or returns False with ``raise_exception=False``."""
    _unsupported(check_batched_grad=check_batched_grad, check_batched_forward_grad=check_batched_forward_grad)
    try:
        if check_forward_ad:
            tupled = _as_tuple(inputs)
            _check_inputs(tupled)
            _check_forward_ad(func, tupled, eps, atol, rtol)
        if not check_backward_ad:
            return True
        return _first_order(func, inputs, eps, atol, rtol, nondet_tol)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """gradcheck of the function (inputs, grad_outputs) -> grad of func: checks second derivatives.

    Random grad_outputs are drawn in [-1, 1) from the global generator exactly as PyTorch draws
    them (the same numbers after the same seed, and the stream moves on alike). On failure the node whose backward is not
    differentiated correctly is named, as in gradcheck."""
    _unsupported(check_fwd_over_rev=check_fwd_over_rev, check_batched_grad=check_batched_grad)
    try:
        return _second_order(func, inputs, grad_outputs, eps, atol, rtol, nondet_tol,
                             non_contiguous=gen_non_contig_grad_outputs)
    except GradcheckError:
        if raise_exception:
            raise
        return False

