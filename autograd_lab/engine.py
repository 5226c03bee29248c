"""The backward engine, written as a generator: one node per step.

It is the classic topological loop (count how many edges point at each node; a node is ready when
all of them have delivered their gradient), made iterative, with PyTorch's choice among ready
nodes: the one created last runs first (``AccumulateGrad`` sinks run as soon as they are ready).
Each step yields a ``Step`` record. ``Tensor.backward`` and ``autograd.grad`` simply drain it; the
stepper widget pulls it one step per click, so what a student steps through is the real engine.

The state of one pass is a ``GraphTask`` whose parts carry the names of PyTorch's own engine
(torch/csrc/autograd/graph_task.h): ``dependencies``, ``not_ready`` (input buffers still filling),
``exec_info`` (which nodes to run when only some inputs are wanted) and ``captured_grads``; ``run``
is the loop: pop a ready node, ``evaluate`` it, ``deliver`` its gradients along its edges.

A backward that raises part-way puts every ``.grad`` it touched back as it was (PyTorch leaves
partial writes; we promise better).
"""
import heapq
import threading

import numpy as np

from . import _dtype, anomaly, grad_mode
from ._printing import shape_str
from .node import AccumulateGrad
from .ops._util import sum_to
from .tensor import Tensor

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


def _expandable(shape, to):
    if len(shape) > len(to):
        return False
    return all(s == 1 or s == t for s, t in zip(reversed(shape), reversed(to)))


def validate_outputs(node, grads):
    """Check each outgoing gradient against the metadata of the node its edge leads to (shape and
    dtype, as PyTorch's validate_outputs); a broadcast gradient is summed back to the shape."""
    edges = node.next_functions
    if len(grads) != len(edges):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(edges)}, got {len(grads)})")
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
                                   f"{shape_str(g.shape)} but expected shape compatible with {shape_str(shape)}")
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
        if not isinstance(r, Tensor):
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


class ExecInfo:
    """Only when some ``inputs`` are asked for: whether a node's backward must run (``needed``: an
    input lies below it, or it is an input's AccumulateGrad to fill) and which asked-for gradients
    it hands over (``captures``: (index in inputs, output_nr) pairs), as PyTorch's ExecInfo."""

    __slots__ = ("needed", "captures")

    def __init__(self, needed):
        self.needed = needed
        self.captures = []


class GraphTask:
    """The state of one backward pass, named as PyTorch's engine names it.

    ``dependencies``: for every node reachable from the roots, how many edges have yet to deliver a
    gradient into it. ``not_ready``: the input buffer (one slot per output of the node, summed as
    gradients arrive) of each node still waiting on some edge. ``ready``: the nodes whose buffers are
    complete, as a heap that pops the most recently created node first (AccumulateGrad first of all).
    ``exec_info``: None to run every node, else which nodes to run (see ExecInfo).
    ``captured_grads``: what autograd.grad returns, one slot per input.
    """

    def __init__(self, roots, grad_roots, retain_graph, create_graph, inputs, accumulate, captured):
        self.retain_graph = retain_graph
        self.create_graph = bool(create_graph)
        self.captured_grads = captured
        self.undo = _UndoLog()
        self.root_nodes = {n for n, _ in roots if n is not None}
        self.dependencies = _count_dependencies(self.root_nodes)
        # every reachable node is a root or has a dependency count: no second walk of the graph
        self.exec_info = (None if inputs is None else
                          _exec_info(self.root_nodes | self.dependencies.keys(), inputs, accumulate))
        self.not_ready = {}
        for (node, nr), g in zip(roots, grad_roots):
            if node is not None:
                self.add_to_buffer(node, nr, g)
        self.ready, self._tie = [], 0
        for node in list(self.not_ready):
            if self.dependencies.get(node, 0) == 0:
                self.push_ready(node)

    def add_to_buffer(self, node, nr, grad):
        buf = self.not_ready.get(node)
        if buf is None:
            buf = self.not_ready[node] = [None] * node.num_outputs
        buf[nr] = grad if buf[nr] is None else buf[nr] + grad

    def push_ready(self, node):
        heapq.heappush(self.ready, (-node._sequence_nr, self._tie, node, self.not_ready.pop(node)))
        self._tie += 1

    def evaluate(self, node, grads, step):
        """Tensor hooks, captures, then pre-hooks and the node's backward (PyTorch's evaluate_function)."""
        info = None
        if self.exec_info is not None:
            info = self.exec_info.get(node)
            if info is None:
                if node in self.root_nodes:
                    # a root that leads to none of the inputs still gets its tensors' hooks and
                    # retain_grad (PyTorch calls them for every node it evaluates), and no more
                    _tensor_pre_hooks(node, grads, self.undo)
                return
        if node._tensor_pre_hooks or node._retains_grad or type(node) is AccumulateGrad:
            _tensor_pre_hooks(node, grads, self.undo)
        if info is not None:
            for i, nr in info.captures:
                self.captured_grads[i] = grads[nr]
                step.captured.append(i)
            if not info.needed:
                return
        if node._pre_hooks:
            for fn in list(node._pre_hooks.values()):
                r = fn(tuple(grads))
                if r is not None:
                    grads[:] = list(r)
        if isinstance(node, AccumulateGrad):
            self.accumulate_grad(node, grads, step)
        else:
            self.call_function(node, grads, step)

    def call_function(self, node, grads, step):
        """The node's backward on its input buffer; outputs validated, post-hooks, saved tensors freed."""
        if node.materialize_grads:
            for g in grads:  # (a loop, not any() over a generator: this runs for every node)
                if g is None:
                    grads = [g if g is not None else Tensor._make(np.zeros(s, d)) for g, (s, d)
                             in zip(grads, node._output_meta)]
                    break
        out = node.backward(*grads)
        out = validate_outputs(node, out if isinstance(out, tuple) else (out,))
        if anomaly.state.enabled and anomaly.state.check_nan:
            for i, g in enumerate(out):
                if g is not None and np.isnan(g._data).any():
                    raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
        if node._post_hooks:
            for fn in list(node._post_hooks.values()):
                r = fn(out, tuple(grads))
                if r is not None:
                    out = tuple(r)
        step.grad_out = out
        if not self.retain_graph:
            step.freed = node.release()

    def accumulate_grad(self, node, grads, step):
        """AccumulateGrad: ``.grad += grad`` (undoable); the leaf's own hooks ran in evaluate."""
        g, var = grads[0], node.variable
        if g is not None:
            if g.shape != var.shape:
                raise RuntimeError(f"Function AccumulateGrad returned an invalid gradient at index 0 - got "
                                   f"{shape_str(g.shape)} but expected shape compatible with {shape_str(var.shape)}")
            _accumulate_into(var, g, self.undo, self.create_graph)
            step.accumulated.append((var, g))
        if node._post_hooks:
            for fn in list(node._post_hooks.values()):
                fn((), tuple(grads))

    def deliver(self, node, grad_out):
        """Each gradient the node sent goes into the buffer of the node its edge leads to; a node whose
        last edge this was becomes ready, or is dropped when there is nothing for it to do."""
        dependencies, not_ready, exec_info = self.dependencies, self.not_ready, self.exec_info
        for i, (nxt, nr) in enumerate(node.next_functions):
            if nxt is None:
                continue
            g = grad_out[i] if i < len(grad_out) else None
            if g is not None:  # (add_to_buffer, written out: this runs once per edge)
                buf = not_ready.get(nxt)
                if buf is None:
                    buf = not_ready[nxt] = [None] * nxt.num_outputs
                buf[nr] = g if buf[nr] is None else buf[nr] + g
            left = dependencies[nxt] = dependencies[nxt] - 1
            if left == 0:
                if nxt in not_ready and (exec_info is None or nxt in exec_info):
                    self.push_ready(nxt)
                else:
                    not_ready.pop(nxt, None)

    def check_unused(self, require_all):
        """autograd.grad without allow_unused: every input must have received a gradient."""
        for i, g in enumerate(self.captured_grads or ()):
            if g is None and require_all:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")


running = []  # the GraphTask evaluating a node right now (innermost last)


def will_execute(node):
    """Whether the backward pass now running will run ``node`` (PyTorch's _will_engine_execute_node)."""
    if not running:
        raise RuntimeError("_will_engine_execute_node should only be called during the backward pass")
    task = running[-1]
    if task.exec_info is None:
        return node in task.root_nodes or node in task.dependencies
    if isinstance(node, AccumulateGrad) and task.captured_grads is not None:
        raise RuntimeError("A leaf node was passed to _will_engine_execute_node but we are currently running "
                           "autograd.grad(). This is currently not supported.")
    info = task.exec_info.get(node)
    return info is not None and bool(info.needed or info.captures)


def _count_dependencies(roots):
    """How many edges point at each node reachable from the set ``roots``, in one pass as PyTorch's
    compute_dependencies: a node is walked when the first edge reaches it (its count was 0). Not
    ``walk``, which would go over every edge twice; this runs on every backward, over the whole graph."""
    deps = {}
    stack = list(roots)
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                if nxt not in roots:  # a root is on the stack already
                    stack.append(nxt)
    return deps


def _exec_info(nodes, inputs, accumulate):
    """ExecInfo for the nodes that lead to an input (needed) and for the inputs' own nodes;
    ``nodes``: every node of the graph."""
    info = {node: ExecInfo(True) for node in _ancestors(nodes, [n for n, _ in inputs])}
    for i, (node, nr) in enumerate(inputs):
        if node not in info:
            info[node] = ExecInfo(accumulate and isinstance(node, AccumulateGrad))
        if not accumulate:
            info[node].captures.append((i, nr))
    return info


def _ancestors(nodes, targets):
    """The nodes from which some target is reachable (only these run when ``inputs`` are given)."""
    parents = {}
    for node in nodes:
        for nxt, _ in node.next_functions:
            if nxt is not None:
                parents.setdefault(nxt, []).append(node)
    found, stack = set(), [p for t in targets for p in parents.get(t, ())]
    while stack:
        n = stack.pop()
        if n not in found:
            found.add(n)
            stack.extend(parents.get(n, ()))
    return found


def run(roots, grad_roots, retain_graph=False, create_graph=False, inputs=None, accumulate=True,
        captured=None, require_all=False):
    """Generator over the backward pass: executes one node per step and yields its ``Step``.

    roots: list of (node, output_nr) edges; grad_roots: matching gradient tensors.
    inputs: optional list of (node, output_nr) edges whose gradient is wanted; with
    ``accumulate=False`` (autograd.grad) their gradients go into ``captured`` instead of ``.grad``.
    """
    task = GraphTask(roots, grad_roots, retain_graph, create_graph, inputs, accumulate, captured)
    mode = grad_mode._state  # this thread's grad mode, read and set around each step
    ready, pop = task.ready, heapq.heappop  # (looked up once: the loop runs once per node)
    node, index = None, 0
    try:
        while ready:
            _, _, node, grads = pop(ready)
            step = Step(index, node, tuple(grads))
            # grad mode is set per step, never across a yield: the stepper's user code runs between
            outer_mode, mode.enabled = mode.enabled, task.create_graph
            running.append(task)  # (hooks may ask will_execute about this pass)
            try:
                task.evaluate(node, grads, step)
                task.deliver(node, step.grad_out)
            finally:
                running.pop()
                mode.enabled = outer_mode
            index += 1
            if _listeners:
                _emit("step", step)
            yield step
        task.check_unused(require_all)
    except GeneratorExit:
        raise
    except BaseException as exc:
        task.undo.rollback()
        _report_error(node, exc)
        raise
    if _listeners:
        _emit("done", index)


def _report_error(node, exc):
    """Anomaly mode's forward traceback, the failing node on the exception, the listeners told."""
    if node is not None and anomaly.state.enabled and not isinstance(exc, (KeyboardInterrupt, SystemExit)):
        anomaly.warn_error_in(node)
    if node is not None and getattr(exc, "autograd_node", None) is None:
        try:
            exc.autograd_node = node
        except AttributeError:
            pass
    if _listeners:
        _emit("error", (node, exc))


def _tensor_pre_hooks(node, grads, undo):
    """The hooks registered on the tensors this node produced (an AccumulateGrad's: its leaf's), then
    retain_grad: before a capture and before the node's pre-hooks, as PyTorch runs them."""
    if type(node) is AccumulateGrad:
        hooks = node.variable._backward_hooks
        if hooks and grads[0] is not None:
            grads[0] = _call_hooks(hooks, grads[0])
        return
    if node._tensor_pre_hooks:
        for nr, hooks in node._tensor_pre_hooks.items():
            if grads[nr] is not None and hooks:
                grads[nr] = _call_hooks(hooks, grads[nr])
    if node._retains_grad:
        for nr, ref in node._retains_grad.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                _retain_into(t, grads[nr], undo)


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
