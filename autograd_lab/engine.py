"""The backward engine, written as a generator: one node per step.

It is the classic topological loop (count how many edges point at each node; a node is ready when
all of them have delivered their gradient), made iterative, with PyTorch's choice among ready
nodes: the one created last runs first (``AccumulateGrad`` sinks run as soon as they are ready).
Each step yields a ``Step`` record. ``Tensor.backward`` and ``autograd.grad`` simply drain it; the
stepper widget pulls it one step per click, so what a student steps through is the real engine.

A backward that raises part-way puts every ``.grad`` it touched back as it was (PyTorch leaves
partial writes; we promise better).
"""
import heapq
import threading

import numpy as np

from . import _dtype, anomaly, grad_mode
from .node import AccumulateGrad

# ---- observers: with none registered the engine pays one falsy check per event ----
_listeners = []


def add_listener(fn):
    """``fn(event, payload)`` for events 'step', 'accumulate', 'error', 'done'. Returns a remover."""
    _listeners.append(fn)
    return lambda: _listeners.remove(fn) if fn in _listeners else None


def _emit(event, payload):
    for fn in list(_listeners):
        fn(event, payload)


class Step:
    """What one engine step did."""

    __slots__ = ("index", "node", "grad_in", "grad_out", "accumulated", "freed", "captured")

    def __init__(self, index, node, grad_in):
        self.index = index
        self.node = node
        self.grad_in = grad_in      # gradients that arrived, one per output of the node
        self.grad_out = ()          # gradient sent along each edge of next_functions (None where none)
        self.accumulated = []       # [(tensor, grad added)] for AccumulateGrad
        self.freed = []             # names of saved tensors released
        self.captured = []          # input indices whose grad autograd.grad took here

    def __repr__(self):
        return f"Step({self.index}, {self.node.name()})"


def _shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def sum_to(grad, shape):
    """Undo broadcasting: sum ``grad`` down to ``shape`` (the one shared place this happens)."""
    lead = grad.dim() - len(shape)
    if not grad_mode.is_grad_enabled() and not grad._fw_grads:  # no graph, no tangent: stay on the arrays
        data = grad._data
        dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                          if s == 1 and data.shape[lead + i] != 1)
        out = np.sum(data, axis=dims, keepdims=True) if dims else data
        return _tensor()._make(np.asarray(out).reshape(shape), dtype=grad._dtype)
    if not shape:
        return grad.sum()  # as PyTorch: a 0-d target is one SumBackward0
    dims = list(range(lead)) + [lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1]
    if dims:
        grad = grad.sum(dim=dims, keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def _expandable(shape, to):
    if len(shape) > len(to):
        return False
    return all(s == 1 or s == t for s, t in zip(reversed(shape), reversed(to)))


_TENSOR = []


def _tensor():
    # the engine sits below tensor.py: look the class up once
    if not _TENSOR:
        from .tensor import Tensor
        _TENSOR.append(Tensor)
    return _TENSOR[0]


def _validate(node, grads):
    """Check each outgoing gradient against its input's shape and dtype; reduce broadcast grads."""
    edges = node.next_functions
    if len(grads) != len(edges):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(edges)}, got {len(grads)})")
    Tensor = _tensor()
    out = []
    for i, g in enumerate(grads):
        nxt, nr = edges[i]
        if g is None or nxt is None:
            out.append(None if nxt is None else g)
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"function {node.name()} returned a gradient of type {type(g).__name__} at index {i}")
        shape, dt = nxt._output_meta[nr]
        data = g._data
        if data.shape != shape:
            if not _expandable(shape, g.shape):
                raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - got "
                                   f"{_shape_str(g.shape)} but expected shape compatible with {_shape_str(shape)}")
            g = sum_to(g, shape)
        if data.dtype is not dt and g._dtype.np != dt:
            g = g.to(_dtype.from_numpy_dtype(dt))
        out.append(g)
    return tuple(out)


def _call_hooks(hooks, grad):
    for fn in list(hooks.values()):
        r = fn(grad)
        if r is None:
            continue
        if not isinstance(r, _tensor()):
            raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
        if r._data.shape != grad._data.shape:
            raise RuntimeError(f"hook '{getattr(fn, '__name__', type(fn).__name__)}' has changed the size of value")
        grad = r
    return grad


class _UndoLog:
    """Remembers each .grad before the engine changes it, so a failed backward can put it back."""

    def __init__(self):
        self.entries = []

    def set_grad(self, tensor, new_grad_tensor=None, new_array=None):
        old = tensor._grad
        self.entries.append((tensor, old, None, 0) if old is None else (tensor, old, old._data, old._version_box[0]))
        if new_array is not None:
            old._data = new_array
            old._version_box[0] += 1  # an in-place add, as PyTorch's `grad += new`
        else:
            tensor._grad = new_grad_tensor

    def rollback(self):
        for tensor, old, old_data, old_version in reversed(self.entries):
            tensor._grad = old
            if old is not None:
                old._data = old_data
                old._version_box[0] = old_version


def _graph_order(roots):
    """Dependency counts for every node reachable from ``roots`` (iterative, no recursion)."""
    deps = {}
    seen = set()
    stack = []
    for n in roots:  # a node may be listed twice (two outputs of one op, or the same tensor)
        if n is not None and n not in seen:
            seen.add(n)
            stack.append(n)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps, seen


def _needed(seen, targets):
    """Nodes from which some target is reachable (only these run when ``inputs`` are given)."""
    parents = {}
    for node in seen:
        for nxt, _ in node.next_functions:
            if nxt is not None:
                parents.setdefault(nxt, []).append(node)
    needed = set()
    stack = [p for t in targets if t in seen for p in parents.get(t, ())]
    while stack:
        n = stack.pop()
        if n in needed:
            continue
        needed.add(n)
        stack.extend(parents.get(n, ()))
    return needed


def run(roots, grad_roots, retain_graph=False, create_graph=False, inputs=None, accumulate=True,
        captured=None, require_all=False):
    """Generator over the backward pass.

    roots: list of (node, output_nr) edges; grad_roots: matching gradient tensors.
    inputs: optional list of (node, output_nr) edges whose gradient is wanted; with
    ``accumulate=False`` (autograd.grad) their gradients go into ``captured`` instead of ``.grad``.
    """
    undo = _UndoLog()
    deps, seen = _graph_order([n for n, _ in roots])
    targets = None
    if inputs is not None:
        targets = {}
        for i, (n, nr) in enumerate(inputs):
            targets.setdefault(n, []).append((i, nr))
        needed = _needed(seen, targets)
        root_nodes = {n for n, _ in roots}
    buffers = {}
    for (node, nr), g in zip(roots, grad_roots):
        if node is None:
            continue
        buf = buffers.setdefault(node, [None] * node.num_outputs)
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    ready, tie = [], 0
    for node in buffers:
        if deps.get(node, 0) == 0:
            heapq.heappush(ready, (-node._sequence_nr, tie, node))
            tie += 1
    index = 0
    node = None
    create_graph = bool(create_graph)
    mode = grad_mode._state  # this thread's grad mode, read and set around each step
    try:
        while ready:
            _, _, node = heapq.heappop(ready)
            grads = buffers.pop(node)
            step = Step(index, node, tuple(grads))
            # grad mode is set per step, never across a yield: the stepper's user code runs between
            outer_mode = mode.enabled
            mode.enabled = create_graph
            try:
                if targets is None or node in needed or node in targets:
                    # a target runs only when another target lies below it (or it is a leaf to fill)
                    run_node = (targets is None or node in needed
                                or (accumulate and isinstance(node, AccumulateGrad)))
                    _execute(node, grads, step, undo, retain_graph, create_graph, targets, accumulate,
                             captured, run_node)
                elif node in root_nodes:
                    # a root that leads to none of the inputs still gets its tensors' hooks and
                    # retain_grad (PyTorch calls them for every node it evaluates), and no more
                    _tensor_pre_hooks(node, grads, undo)
                grad_out = step.grad_out
                for i, (nxt, nr) in enumerate(node.next_functions):
                    if nxt is None:
                        continue
                    g = grad_out[i] if i < len(grad_out) else None
                    if g is not None:
                        buf = buffers.get(nxt)
                        if buf is None:
                            buf = buffers[nxt] = [None] * nxt.num_outputs
                        buf[nr] = g if buf[nr] is None else buf[nr] + g
                    left = deps[nxt] = deps[nxt] - 1
                    if left == 0:
                        if nxt in buffers and (targets is None or nxt in needed or nxt in targets):
                            heapq.heappush(ready, (-nxt._sequence_nr, tie, nxt))
                            tie += 1
                        else:
                            buffers.pop(nxt, None)
            finally:
                mode.enabled = outer_mode
            index += 1
            if _listeners:
                _emit("step", step)
            yield step
        missing = [i for i, c in enumerate(captured or ()) if c is None] if require_all else ()
        if missing:
            i = missing[0]
            raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                               "graph. Set allow_unused=True if this is the desired behavior.")
    except GeneratorExit:
        raise
    except BaseException as exc:
        undo.rollback()
        if anomaly.state[0] and node is not None and not isinstance(exc, (KeyboardInterrupt, SystemExit)):
            anomaly.warn_error_in(node)
        if node is not None and getattr(exc, "autograd_node", None) is None:
            try:
                exc.autograd_node = node
            except AttributeError:
                pass
        if _listeners:
            _emit("error", (node, exc))
        raise
    if _listeners:
        _emit("done", index)


def _tensor_pre_hooks(node, grads, undo):
    """The hooks registered on the tensors this node produced, then retain_grad."""
    if node._tensor_pre_hooks:
        for nr, hooks in node._tensor_pre_hooks.items():
            if grads[nr] is not None and hooks:
                grads[nr] = _call_hooks(hooks, grads[nr])
    if node._retains_grad:
        for nr, ref in node._retains_grad.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                _retain_into(t, grads[nr], undo)


def _execute(node, grads, step, undo, retain_graph, create_graph, targets, accumulate, captured, run_node=True):
    # tensor hooks and retain_grad, then node pre-hooks
    _tensor_pre_hooks(node, grads, undo)
    if node._pre_hooks:
        for fn in list(node._pre_hooks.values()):
            r = fn(tuple(grads))
            if r is not None:
                grads[:] = list(r)
    if targets is not None and node in targets and not accumulate:
        for i, nr in targets[node]:
            captured[i] = grads[nr]
            step.captured.append(i)
    if not run_node:
        return
    if isinstance(node, AccumulateGrad):
        g = grads[0]
        var = node.variable
        if var._backward_hooks:
            g = _call_hooks(var._backward_hooks, g)
        if accumulate or targets is None:
            if targets is None or node in targets:
                if g is not None:
                    if g.shape != var.shape:
                        raise RuntimeError(f"Function AccumulateGrad returned an invalid gradient at index 0 - got "
                                           f"{_shape_str(g.shape)} but expected shape compatible with {_shape_str(var.shape)}")
                    _accumulate_into(var, g, undo, create_graph)
                    step.accumulated.append((var, g))
        if node._post_hooks:
            for fn in list(node._post_hooks.values()):
                fn((), tuple(grads))
        return
    if node.materialize_grads and any(g is None for g in grads):
        grads = [g if g is not None else _tensor()._make(np.zeros(s, d)) for g, (s, d)
                 in zip(grads, node._output_meta)]
    out = node.backward(*grads)
    if not isinstance(out, tuple):
        out = (out,)
    out = _validate(node, out)
    if anomaly.state[0] and anomaly.state[1]:
        for i, g in enumerate(out):
            if g is not None and np.isnan(g._data).any():
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
    if node._post_hooks:
        for fn in list(node._post_hooks.values()):
            r = fn(out, tuple(grads))
            if r is not None:
                out = tuple(r)
    step.grad_out = out
    if not retain_graph:
        step.freed = node.release()


_accumulate_lock = threading.Lock()


def _accumulate_into(tensor, grad, undo, create_graph):
    with _accumulate_lock:  # read-add-write of .grad: two threads must not interleave here
        _accumulate_unlocked(tensor, grad, undo, create_graph)


def _retain_into(tensor, grad, undo):
    """retain_grad's hook, as PyTorch's: a row-major clone the first time, then ``grad + new`` (out
    of place, so the version stays 0); under create_graph both are recorded (CloneBackward0, AddBackward0)."""
    with _accumulate_lock:
        old = tensor._grad
        undo.set_grad(tensor, grad.clone(memory_format=_dtype.contiguous_format) if old is None else old + grad)
        if _listeners:
            _emit("accumulate", (tensor, grad))


def _accumulate_unlocked(tensor, grad, undo, create_graph):
    Tensor = _tensor()
    if grad.dtype is not tensor.dtype:
        grad = grad.to(tensor.dtype)
    old = tensor._grad
    # PyTorch's AccumulateGrad: a first gradient is stored as a copy (under create_graph a copy_ that
    # the graph goes through: grad_fn=<CopyBackwards>); later ones are added out of place when
    # building a graph, else in place into the existing .grad, which keeps its grad_fn
    if old is None:
        if create_graph:
            new = Tensor._make(np.empty(grad._data.shape, grad._data.dtype), dtype=grad._dtype).copy_(grad)
        else:
            new = Tensor._make(np.array(grad._data, copy=True, order="C"))
        undo.set_grad(tensor, new)
    elif create_graph:
        undo.set_grad(tensor, old + grad)
    else:
        undo.set_grad(tensor, new_array=np.asarray(old._data + grad._data))
    if _listeners:
        _emit("accumulate", (tensor, grad))
