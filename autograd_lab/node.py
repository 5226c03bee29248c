"""Graph nodes: the backward side of every operation.

A ``Node`` is created by an op's forward and remembers what its backward will need: the edges to
the nodes that produced its inputs (``next_functions``) and the tensors it saved. Each op is one
subclass, named as PyTorch names it (``MulBackward0``), with ``forward`` (NumPy in, NumPy out) and
``backward`` (the vector-Jacobian product, written with tensor operations so that
``create_graph=True`` can differentiate it again) side by side.
"""
import itertools
import re
import sys
import weakref
from types import MappingProxyType


from . import _dtype, _forward, anomaly, grad_mode
from ._printing import shape_str

_sequence = itertools.count()
saved_tensors_hooks_stack = []  # (pack_hook, unpack_hook) pairs, innermost last (autograd.graph)

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


class RemovableHandle:
    """Returned by every ``register_*hook``; ``remove()`` takes the hook out again."""

    _ids = itertools.count()

    def __init__(self, hooks_dict):
        self.id = next(RemovableHandle._ids)
        self._hooks = weakref.ref(hooks_dict) if hooks_dict is not None else None

    def remove(self):
        hooks = self._hooks() if self._hooks else None
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()

    def __getstate__(self):  # a pickled module keeps its handles (a lazy layer's) working
        return (self._hooks() if self._hooks else None, self.id)

    def __setstate__(self, state):
        hooks, self.id = state
        self._hooks = weakref.ref(hooks) if hooks is not None else None


class _Hooks(dict):
    """A dict of hooks that a RemovableHandle can point to weakly."""


def _add_hook(store, fn):
    handle = RemovableHandle(store)
    store[handle.id] = fn
    return handle


class SavedTensor:
    """A tensor saved for backward: remembers its version, and knows when it was freed.

    An op's own output is kept as raw data plus the node (not as the Tensor, which would point back
    at the node and make a reference cycle); it is rebuilt on unpack, as PyTorch does.
    """

    __slots__ = ("name", "_tensor", "_data", "_version_box", "saved_version", "_node", "is_output",
                 "freed", "_shape", "dtype", "_output_nr", "_requires_grad", "_fw_grads", "_packed", "_unpack_hook",
                 "_edge")

    def __init__(self, name, tensor, node, is_output=False):
        self.name = name
        self.is_output = is_output
        self.freed = False
        self._shape = tensor._data.shape  # a plain tuple: the cycle collector stops tracking it
        self.dtype = tensor._dtype
        self._version_box = tensor._version_box
        self.saved_version = tensor._version_box[0]
        self._unpack_hook = None
        if is_output:
            self._tensor = None
            self._data = tensor._data
            self._node = weakref.ref(node)
            self._output_nr = tensor._output_nr
            self._requires_grad = tensor._requires_grad
            self._fw_grads = tensor._fw_grads  # its tangents, for forward-over-reverse (torch.func)
        else:
            self._tensor = tensor
            self._data = None
            self._node = None
        if saved_tensors_hooks_stack and not tensor._wrapped_number:
            self._pack(tensor)

    def _pack(self, tensor):
        """Under ``autograd.graph.saved_tensors_hooks``: keep what pack_hook returns instead of the
        tensor, and remember where a gradient for it must go, to rebuild it around what unpack_hook
        gives back (as PyTorch does; its version is then no longer checked)."""
        pack, self._unpack_hook = saved_tensors_hooks_stack[-1]
        if not self.is_output:
            acc = tensor._grad_accumulator() if tensor.grad_fn is None and tensor.requires_grad else None
            self._edge = (tensor.grad_fn, tensor._output_nr, tensor.requires_grad, acc)
        self._packed = pack(tensor)
        self._tensor = self._data = None

    @property
    def shape(self):
        return _size(self._shape)

    @property
    def version(self):
        """The tensor's version now (the one saved is ``saved_version``)."""
        return self._version_box[0]

    @property
    def is_stale(self):
        return self._version_box[0] != self.saved_version

    @property
    def data(self):
        """The saved tensor without any check (None once freed), as PyTorch's ``SavedTensor.data``."""
        if self.freed or self._unpack_hook is not None:
            return None
        if self.is_output:
            return Tensor._make(self._data)
        return self._tensor

    def peek(self):
        """The saved value as a NumPy array, for display only: no checks, None once freed."""
        if self.freed or self._unpack_hook is not None:
            return None
        return self._data if self.is_output else self._tensor._data

    def unpack(self, owner=None):
        if self.freed:
            raise RuntimeError(FREED_MESSAGE)
        if self._unpack_hook is not None:
            return self._unpack_hooked()
        if self._version_box[0] != self.saved_version:
            raise RuntimeError(self.stale_message())
        if not self.is_output:
            return self._tensor
        node = self._node()
        t = Tensor._make(self._data, requires_grad=self._requires_grad)
        t._version_box = self._version_box
        if self._requires_grad and node is not None:
            t.grad_fn = node
            t._output_nr = self._output_nr
        if self._fw_grads:
            t._fw_grads = self._fw_grads
        return t

    def _unpack_hooked(self):
        value = self._unpack_hook(self._packed)
        if not isinstance(value, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                            f"{type(value).__name__}")
        t = Tensor._make(value._data, dtype=value.dtype)
        t._version_box = self._version_box
        if self.is_output:
            node = self._node()
            t._requires_grad = self._requires_grad
            if self._requires_grad and node is not None:
                t.grad_fn, t._output_nr = node, self._output_nr
            return t
        grad_fn, output_nr, requires_grad, acc = self._edge
        t._requires_grad = requires_grad
        if grad_fn is not None:
            t.grad_fn, t._output_nr = grad_fn, output_nr
        elif acc is not None:
            t._accumulator = weakref.ref(acc)  # gradients reach the leaf that was saved
        return t

    def stale_message(self):
        kind = f"torch.{self.dtype._legacy}"
        shape = shape_str(self.shape)
        producer = self._node() if self.is_output else self._tensor.grad_fn
        where = ""
        if producer is not None:
            out_nr = self._output_nr if self.is_output else self._tensor._output_nr
            # PyTorch names the op without "Backward0" but keeps another overload's digit (EluBackward1: "Elu1")
            op = re.sub(r"Backward(\d*)$", lambda m: "" if m.group(1) in ("", "0") else m.group(1), producer.name())
            where = f", which is output {out_nr} of {op},"
        return ("one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{kind} {shape}]{where} is at version {self.version}; expected "
                f"version {self.saved_version} instead. " + (anomaly.STALE_HINT_ANOMALY if anomaly.state.enabled else
                "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
                "torch.autograd.set_detect_anomaly(True, check_nan=False)."))

    def free(self):
        self.freed = True
        self._tensor = None
        self._data = None
        if self._unpack_hook is not None:
            self._packed = self._unpack_hook = self._edge = None


_NO_SAVED = MappingProxyType({})


class Node:
    """One step of backward. Subclasses implement ``forward`` and ``backward``, and ``jvp`` for
    forward mode (tangents of the inputs in, tangent of the output out; ``self.inputs`` and
    ``self.output`` hold the values while it runs, see _forward.py).

    ``next_functions`` is a tuple of ``(node, output_nr)`` per input, ``(None, 0)`` for inputs that
    need no gradient, exactly as PyTorch exposes it.
    """

    is_view = False  # views share memory and the version counter with their input
    save_result = False  # ops whose backward reuses their output (exp, tanh, sigmoid) set this
    num_outputs = 1
    pack_order = ()  # names in the order PyTorch saves them, where that differs from save()'s (see save)

    # Defaults live on the class so that a node costs one attribute until it needs more:
    # ops run at Python speed and most nodes never get hooks, metadata or retained grads.
    next_functions = ()
    _saved = _NO_SAVED  # read-only default; _hold() gives the node its own dict
    materialize_grads = True  # missing output grads arrive as zeros (custom Functions may opt out)
    # (shape, NumPy dtype) of each gradient this node takes in, i.e. of each forward output (an
    # AccumulateGrad's: its variable's). The engine checks a gradient sent along an edge against the
    # entry the edge leads to, as PyTorch checks against input_metadata. Plain tuples of ints and
    # NumPy dtypes, which the cycle collector stops tracking: a deep graph costs it less.
    _output_meta = ()
    _pre_hooks = None
    _post_hooks = None
    _tensor_pre_hooks = None  # {output_nr: _Hooks} from Tensor.register_hook
    _retains_grad = None  # {output_nr: weakref to tensor}
    _metadata = None
    _needs_input_grad = ()

    def __init__(self):
        self._sequence_nr = next(_sequence)

    # ---- the public graph view (what viz reads) ----
    def name(self):
        return type(self).__name__

    @property
    def metadata(self):
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    @property
    def output_meta(self):
        """(shape, dtype) of each output this node produced, for drawings and checks."""
        return tuple((_size(s), _dtype.from_numpy_dtype(d)) for s, d in self._output_meta)

    def input_meta(self):
        """(shape, dtype) of the gradient each input must get, None where an input needs none."""
        return tuple(None if nxt is None else nxt.output_meta[nr] for nxt, nr in self.next_functions)

    def saved_tensors_info(self):
        """The SavedTensor holders by name (PyTorch shows them as ``_saved_<name>``)."""
        return dict(self._saved)

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node; may return new grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = _Hooks()
        return _add_hook(self._post_hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = _Hooks()
        return _add_hook(self._pre_hooks, fn)

    def _register_tensor_hook(self, output_nr, fn):
        if self._tensor_pre_hooks is None:
            self._tensor_pre_hooks = {}
        return _add_hook(self._tensor_pre_hooks.setdefault(output_nr, _Hooks()), fn)

    def __getattr__(self, attr):
        # grad_fn._saved_self and friends, as PyTorch exposes them
        if attr.startswith(("_saved_", "_raw_saved_")):
            raw = attr.startswith("_raw_saved_")
            saved = self.saved_tensors_info()
            key = attr[len("_raw_saved_" if raw else "_saved_"):]
            if key in saved:
                return saved[key] if raw else saved[key].unpack()
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attr}'")

    def __dir__(self):
        # the saved tensors are listed as attributes, as PyTorch lists them (viz finds them so)
        # (in the order they were saved: viz lists them in the order __dir__ gives)
        saved = [f"{prefix}{name}" for name in self.saved_tensors_info() for prefix in ("_saved_", "_raw_saved_")]
        return saved + [a for a in super().__dir__() if a not in saved]

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    # ---- used by ops ----
    def save(self, /, **tensors):
        """Keep input tensors for backward, under PyTorch's names (self, other, ...)."""
        if self._needs_input_grad:
            if saved_tensors_hooks_stack and self.pack_order:
                self._save_in_pack_order(tensors)
                return
            for name, t in tensors.items():
                if t is not None:
                    self._hold(name, SavedTensor(name, t, self))

    def _save_in_pack_order(self, tensors):
        """Under saved-tensor hooks, PyTorch's pack_hook sees the tensors in the order its generated
        code saves them (``pack_order``); they are still listed in the order given."""
        rank = {name: i for i, name in enumerate(self.pack_order)}
        holders = {name: SavedTensor(name, tensors[name], self)
                   for name in sorted(tensors, key=lambda n: rank.get(n, len(rank))) if tensors[name] is not None}
        for name in tensors:
            if name in holders:
                self._hold(name, holders[name])

    def _hold(self, name, holder):
        """Keep a SavedTensor under ``name`` (the class-level default is shared and read-only)."""
        if self._saved is _NO_SAVED:  # (reading __dict__ instead would make every node build a dict)
            self._saved = {}
        self._saved[name] = holder

    def saved(self, name):
        return self._saved[name].unpack()

    @property
    def result(self):
        return self._saved["result"].unpack()

    def needs_input_grad(self, i):
        return bool(self._needs_input_grad) and self._needs_input_grad[i]

    def release(self):
        """Free saved tensors (called by the engine unless retain_graph); returns the names freed."""
        saved = self._saved
        if not saved:
            return []
        freed = []
        for name, s in saved.items():
            if not s.freed:
                freed.append(name)
                s.free()
        return freed

    # ---- subclass API ----
    def forward(self, *inputs, **attrs):
        raise NotImplementedError

    def backward(self, *grads):
        raise NotImplementedError

    def jvp(self, *tangents):
        raise _forward.unsupported(self)

    def aten_name(self):
        """The ATen op PyTorch would name in errors: MulBackward0 -> aten::mul."""
        op = re.sub(r"Backward\d*$", "", type(self).__name__)
        return "aten::" + re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower()

    @classmethod
    def apply(cls, *inputs, **attrs):
        """Run forward; when grad mode is on and an input requires grad, record this node."""
        node = cls()
        needs = False
        if grad_mode._state.enabled:  # (is_grad_enabled() without a call, a list not a generator: per op)
            flags = tuple([t is not None and t._requires_grad for t in inputs])
            if any(flags):
                needs = True
                node._needs_input_grad = flags
        n_out = attrs.pop("_num_outputs", None)
        if n_out is not None:
            node.num_outputs = n_out
        out = node.forward(*inputs, **attrs)
        make = Tensor._make
        if n_out is None and cls.num_outputs == 1:
            result = make(out, requires_grad=needs)
            outs = (result,)
        else:
            outs = result = tuple(make(o, requires_grad=needs) for o in out)
        if cls.is_view:
            base = inputs[0]
            for o in outs:
                o._version_box = base._version_box
                o._base = base._base if base._base is not None else base
                # a view made under no_grad of a tensor that requires grad still requires it (as a leaf)
                o._requires_grad = needs or base._requires_grad
        if needs:
            record(node, inputs, outs)
        elif anomaly.state.recording and not cls.is_view and any(t is not None and t._requires_grad for t in inputs):
            anomaly.record_no_grad_site(outs)  # history was cut here: say where
        if _forward.levels:  # after record: a tangent formula that uses the output links to this node
            _forward.propagate(node, inputs, outs)
        if needs:
            if cls.save_result:
                node._hold("result", SavedTensor("result", outs[0], node, is_output=True))
            if observers:
                notify(node, cls.apply, inputs, attrs if n_out is None else dict(attrs, _num_outputs=n_out))
        return result


def record(node, inputs, outputs, differentiable=None):
    """Make ``node`` the grad_fn of ``outputs`` (all of them, or those ``differentiable`` marks) with
    one edge per input: the one place the graph grows, for built-in ops (Node.apply) and custom
    Functions alike. Under anomaly mode or trace() the node also keeps where it was made."""
    # (map and a list, not generator expressions: this runs for every op recorded)
    node.next_functions = tuple(map(_edge, inputs))
    node._output_meta = tuple([(o._data.shape, o._dtype.np) for o in outputs])
    for i, o in enumerate(outputs):
        if differentiable is None or differentiable[i]:
            o.grad_fn = node
            o._output_nr = i
    if anomaly.state.recording:
        anomaly.record_site(node)


# Who wants to hear of every node recorded (gradcheck, to find the node whose backward is wrong):
# ``fn(node, apply, args, kwargs)``, where ``apply(*args, **kwargs)`` would record the same node again.
observers = []


def notify(node, apply, args, kwargs):
    for fn in list(observers):
        fn(node, apply, args, kwargs)


def walk(roots):
    """Every node reachable from ``roots`` along ``next_functions``, each once.

    Iterative (a deep graph does not hit the recursion limit) and through the public graph view
    only, so it walks a PyTorch graph as well."""
    seen, stack = set(), []
    for n in roots:  # a node may be listed twice (two outputs of one op, or the same tensor)
        if n is not None and n not in seen:
            seen.add(n)
            stack.append(n)
    while stack:
        node = stack.pop()
        yield node
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)


def _size(shape):
    from .tensor import Size  # node.py sits below tensor.py
    return Size(shape)


def _edge(t):
    """The (node, output_nr) a gradient for input ``t`` goes to; (None, 0) if it needs none."""
    if t is None or not t._requires_grad:
        return (None, 0)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (t._grad_accumulator(), 0)


# The Tensor class, which node.py cannot import (tensor.py sits above it): tensor.py puts it here as
# it loads, so that every op builds its outputs without a lookup.
Tensor = None


class AccumulateGrad(Node):
    """The sink for a leaf tensor: adds the incoming gradient into ``variable.grad``."""

    def __init__(self, variable):
        super().__init__()
        self._sequence_nr = sys.maxsize  # runs as soon as it is ready, as in PyTorch
        self.variable = variable
        self._output_meta = ((variable._data.shape, variable._dtype.np),)

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def input_meta(self):
        return self.output_meta  # what it takes in is its variable's gradient

    def backward(self, grad):  # the engine performs the accumulation itself (undoable)
        return ()
