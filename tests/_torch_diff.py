"""Shared helpers for the differential tests: run one function on autograd_lab and on PyTorch with
the same inputs and compare everything a user can see (values, dtype, repr, graph, gradients).

Test modules import torch with ``pytest.importorskip`` (or plainly under CI) *before* importing
this module, so importing torch here never decides whether a test is skipped.
"""
import contextlib
import io

import numpy as np
import torch

import autograd_lab as A

LIBS = (A, torch)


class P:
    """An input placeholder: the same NumPy array becomes a tensor in each library."""

    def __init__(self, array, grad=None):
        self.array = np.asarray(array)
        self.grad = self.array.dtype.kind == "f" if grad is None else grad

    def build(self, lib):
        return lib.tensor(self.array.copy(), requires_grad=self.grad)

    def __repr__(self):
        return f"P({self.array.dtype}{list(self.array.shape)}{', grad' if self.grad else ''})"


def build(lib, arg, leaves):
    if isinstance(arg, P):
        t = arg.build(lib)
        leaves.append((arg, t))
        return t
    if isinstance(arg, list):
        return [build(lib, a, leaves) for a in arg]
    if isinstance(arg, tuple):
        return tuple(build(lib, a, leaves) for a in arg)
    return arg


def is_tensor(x):
    return isinstance(x, (A.Tensor, torch.Tensor))


def flat_tensors(x):
    if is_tensor(x):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for item in x for t in flat_tensors(item)]
    return []


def to_np(t):
    if isinstance(t, torch.Tensor):
        if t._is_zerotensor():  # torch's symbolic zeros (second derivative of abs, ...)
            return np.zeros(tuple(t.shape), dtype=torch.empty(0, dtype=t.dtype).numpy().dtype)
        return t.detach().numpy()
    return np.asarray(t.detach()._data)


def assert_values(mine, ref, rtol=1e-5, atol=1e-6, what="value"):
    assert str(mine.dtype) == str(ref.dtype), f"{what} dtype: {mine.dtype} != {ref.dtype}"
    assert tuple(mine.shape) == tuple(ref.shape), f"{what} shape: {tuple(mine.shape)} != {tuple(ref.shape)}"
    a, b = to_np(mine), to_np(ref)
    if a.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


def graph(fn, leaf_ids):
    """The grad_fn graph as a list of nodes in first-visit order (depth first, edges in order), each
    (name, its edges), an edge being (index of the node it leads to, output_nr) or None; leaves are
    ("AccumulateGrad", input index). Each node is visited once, so recurrent and attention graphs
    compare in linear time (expanding the DAG as a tree is exponential in their depth). Two graphs
    equal here are equal as trees too, and also share the same nodes."""
    order, nodes = {}, []

    def visit(f):
        if id(f) not in order:
            order[id(f)] = len(nodes)
            nodes.append(None)
            if f.name().endswith("AccumulateGrad"):
                nodes[order[id(f)]] = ("AccumulateGrad", leaf_ids.get(id(f.variable), "?"))
            else:
                nodes[order[id(f)]] = (f.name(), tuple(None if n is None else (visit(n), nr)
                                                       for n, nr in f.next_functions))
        return order[id(f)]

    # an explicit stack would be needed past Python's recursion limit; graphs under test are far smaller
    return None if fn is None else (visit(fn), nodes)[1]


def assert_same(mine, ref, rtol=1e-5, atol=1e-6, leaves_mine=(), leaves_ref=(), check_repr=True, what="out"):
    """Recursive comparison of an op's result (tensor, tuple of tensors, or plain value)."""
    if is_tensor(ref):
        assert is_tensor(mine), f"{what}: expected a tensor, got {type(mine).__name__}"
        assert_values(mine, ref, rtol, atol, what)
        assert mine.requires_grad == ref.requires_grad, f"{what} requires_grad"
        # the memory layout decides whether view() works and which path matmul takes
        assert mine.is_contiguous() == ref.is_contiguous(), f"{what} is_contiguous()"
        assert mine.is_leaf == ref.is_leaf, f"{what} is_leaf"
        if check_repr:
            # Tensor.__repr__ (core) prints grad_fn.name(), PyTorch the class name: they differ only for
            # CopySlices / CopyBackwards, whose name() is "torch::autograd::..." in both libraries; a
            # dedicated xfail test covers that, here it must not hide everything else
            got, want = repr(mine), repr(ref)
            if "grad_fn=<torch::autograd::" in got:  # the longer name also moves the line break
                got = " ".join(got.replace("grad_fn=<torch::autograd::", "grad_fn=<").split())
                want = " ".join(want.split())
            assert got == want, f"{what} repr:\n{mine!r}\n!=\n{ref!r}"
        ids_m = {id(t): i for i, (_, t) in enumerate(leaves_mine)}
        ids_r = {id(t): i for i, (_, t) in enumerate(leaves_ref)}
        gm, gr = graph(mine.grad_fn, ids_m), graph(ref.grad_fn, ids_r)
        assert gm == gr, f"{what} graph:\n{gm}\n!=\n{gr}"
        if ref.grad_fn is not None:
            assert mine.output_nr == ref.output_nr, f"{what} output_nr"
    elif isinstance(ref, (tuple, list)):
        assert isinstance(mine, (tuple, list)), f"{what}: expected a sequence, got {type(mine).__name__}"
        assert len(mine) == len(ref), f"{what}: {len(mine)} items != {len(ref)}"
        if type(ref).__module__ == "torch.return_types":
            assert type(mine).__name__ == type(ref).__name__ or repr(mine).startswith(
                f"torch.return_types.{type(ref).__name__}("), f"{what}: return type"
        for i, (m, r) in enumerate(zip(mine, ref)):
            assert_same(m, r, rtol, atol, leaves_mine, leaves_ref, check_repr, f"{what}[{i}]")
    else:
        assert type(mine) is type(ref), f"{what}: type {type(mine).__name__} != {type(ref).__name__}"
        assert mine == ref, f"{what}: {mine!r} != {ref!r}"


def upstream(outs, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(tuple(o.shape)).astype(to_np(o).dtype) for o in outs]


def check(fn, *args, rtol=1e-5, atol=1e-6, second=False, check_repr=True, seed=0, g1_names=True):
    """Run ``fn(lib, *inputs)`` on both libraries; compare outputs, graphs, first (and second) gradients."""
    leaves = {}
    outs = {}
    for lib in LIBS:
        leaves[lib] = []
        inputs = build(lib, list(args), leaves[lib])
        outs[lib] = fn(lib, *inputs)
    assert_same(outs[A], outs[torch], rtol, atol, leaves[A], leaves[torch], check_repr)

    # first derivatives through .backward(gradient) with a random upstream gradient
    diff = {lib: [t for t in flat_tensors(outs[lib]) if t.requires_grad] for lib in LIBS}
    if not diff[torch]:
        return
    gs = upstream(diff[torch], seed)
    for lib in LIBS:
        if len(diff[lib]) == 1:
            lib.autograd.backward(diff[lib], [lib.tensor(g) for g in gs])
        else:
            # one root: several roots on one node are a core engine bug (see test_errors_torch)
            total = sum((o * lib.tensor(g)).sum() for o, g in zip(diff[lib], gs))
            total.backward()
    for i, ((p, m), (_, r)) in enumerate(zip(leaves[A], leaves[torch])):
        if not p.grad:
            continue
        if r.grad is None:
            assert m.grad is None, f"grad of input {i}: expected None"
        else:
            assert m.grad is not None, f"grad of input {i} is None"
            assert_values(m.grad, r.grad, rtol, atol, f"grad of input {i}")
    if second:
        check_second(fn, args, gs, rtol, atol, seed, g1_names)


def check_second(fn, args, gs, rtol, atol, seed, g1_names=True):
    """Gradient of <w, first gradient> with respect to the inputs, via create_graph=True."""
    results = {}
    for lib in LIBS:
        leaves = []
        inputs = build(lib, list(args), leaves)
        out = [t for t in flat_tensors(fn(lib, *inputs)) if t.requires_grad]
        xs = [t for p, t in leaves if p.grad]
        g1 = lib.autograd.grad(out, xs, [lib.tensor(g) for g in gs], create_graph=True, allow_unused=True)
        rng = np.random.default_rng(seed + 1)
        total, used = None, False
        for g in g1:
            if g is None:
                continue
            w = lib.tensor(rng.standard_normal(tuple(g.shape)).astype(to_np(g).dtype))
            if g.requires_grad:
                term = (g * w).sum()
                total = term if total is None else total + term
                used = True
        g2 = lib.autograd.grad(total, xs, allow_unused=True) if used else None
        results[lib] = (g1, g2)
    (g1m, g2m), (g1r, g2r) = results[A], results[torch]
    for i, (m, r) in enumerate(zip(g1m, g1r)):
        assert (m is None) == (r is None), f"create_graph grad {i} None-ness"
        if r is not None:
            assert_values(m, r, rtol, atol, f"create_graph grad {i}")
            assert m.requires_grad == r.requires_grad, f"create_graph grad {i} requires_grad"
            if g1_names:  # the backward formula's own node (TanhBackwardBackward0 ...), as PyTorch's
                nm = None if m.grad_fn is None else m.grad_fn.name()
                nr = None if r.grad_fn is None else r.grad_fn.name()
                assert nm == nr, f"create_graph grad {i} grad_fn {nm} != {nr}"
    assert (g2m is None) == (g2r is None), "second derivative exists"
    if g2r is not None:
        for i, (m, r) in enumerate(zip(g2m, g2r)):
            # an input whose second derivative is structurally zero may come back as None or zeros
            if r is None or m is None:
                other = r if m is None else m
                assert other is None or not to_np(other).any(), f"second grad {i}: None vs nonzero"
                continue
            assert_values(m, r, rtol * 10, atol * 10, f"second grad {i}")


def raises_same(fn, *args):
    """Both libraries raise the same exception type with the same message; returns the message."""
    errs = {}
    for lib in LIBS:
        leaves = []
        inputs = build(lib, list(args), leaves)
        try:
            fn(lib, *inputs)
        except Exception as e:  # noqa: BLE001 - we compare whatever is raised
            errs[lib] = e
        else:
            errs[lib] = None
    r, m = errs[torch], errs[A]
    assert r is not None, "torch did not raise"
    assert m is not None, f"autograd_lab did not raise; torch raised {type(r).__name__}: {r}"
    assert type(m) is type(r), f"type {type(m).__name__} != {type(r).__name__}: {m} / {r}"
    assert str(m) == str(r), f"message:\n{m}\n!=\n{r}"
    return str(r)


def prints_same(src):
    """Run the program ``src`` with ``torch`` bound to each library: both must print the same."""
    out = {}
    for L in LIBS:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(src, {"torch": L})
        out[L] = buf.getvalue()
    assert out[A] == out[torch]
