"""The public graph view: the few attributes of tensors and nodes that autograd_lab and PyTorch
both expose, read the same way for either library.

A tensor: ``grad_fn``, ``output_nr``, ``is_leaf``, ``requires_grad``, ``retains_grad``, ``grad``,
``_version``, ``_backward_hooks``, ``shape``, ``dtype``. A node: ``name()``, ``next_functions``,
``variable`` (an AccumulateGrad's leaf), ``metadata``, ``_saved_<name>`` (the saved value, checked:
unpacking a freed or stale one raises PyTorch's error) and ``_raw_saved_<name>`` (its holder, whose
``.data`` is the value unchecked), ``register_hook`` / ``register_prehook``.

Everything in viz/ and widgets/ that looks at a graph goes through here, so a real ``torch`` graph
draws and steps like an autograd_lab one. torch is never imported: a torch object is recognised
only when the user's program has imported torch already.
"""
import re
import sys

import numpy as np

from ..node import Node, walk
from ..tensor import Tensor

FREED_START = "Trying to backward through the graph a second time"
_STALE_VERSIONS = re.compile(r"is at version (\d+); expected version (\d+)")


def is_torch_engine_error(exc):
    """A RuntimeError PyTorch's engine raises when a saved tensor is gone or stale."""
    if not isinstance(exc, RuntimeError):
        return False
    message = str(exc)
    return message.startswith(FREED_START) or "modified by an inplace operation" in message


def _torch():
    return sys.modules.get("torch")


def torch_module():
    """The real torch, when the user's program has imported it (else None)."""
    return _torch()


def is_torch(obj):
    """Whether ``obj`` is a real torch tensor, graph node or module (never imports torch)."""
    torch = _torch()
    if torch is None:
        return False
    return isinstance(obj, (torch.Tensor, torch.autograd.graph.Node, torch.nn.Module))


def is_tensor(obj):
    if isinstance(obj, Tensor):
        return True
    torch = _torch()
    return torch is not None and isinstance(obj, torch.Tensor)


def is_node(obj):
    if isinstance(obj, Node):
        return True
    torch = _torch()
    return torch is not None and isinstance(obj, torch.autograd.graph.Node)


def is_accumulate(node):
    """An AccumulateGrad sink (the only node that has a ``variable``, in both libraries)."""
    return hasattr(node, "variable")


def label(node):
    return "AccumulateGrad" if is_accumulate(node) else node.name()


def dtype_name(dt):
    return str(dt).replace("torch.", "")


def array(t):
    """A tensor's values as a NumPy array (None for None)."""
    if t is None:
        return None
    t = t.detach()
    if is_torch(t):
        t = t.cpu()
        if str(t.dtype) == "torch.bfloat16":
            t = t.float()
    return np.asarray(t.numpy())


def grad(t):
    """The ``.grad`` a tensor keeps (a leaf's, or a retained one's); None otherwise, without the
    warning a plain ``.grad`` read gives on a non-leaf."""
    if t is None or not (t.is_leaf or t.retains_grad):
        return None
    return t.grad


def sequence_nr(node):
    """The order a node was made in (PyTorch's engine runs the newest ready node first)."""
    n = getattr(node, "_sequence_nr", 0)
    return n() if callable(n) else n


def engine_order(roots):
    """The nodes behind ``roots`` in the order PyTorch's engine runs them: a node is ready once every
    consumer has run; among the ready ones, an AccumulateGrad first, then the newest node."""
    import heapq
    consumers, seen = {}, {}
    for node in walk(roots):
        seen[id(node)] = node
        for nxt, _ in node.next_functions:
            if nxt is not None:
                consumers[id(nxt)] = consumers.get(id(nxt), 0) + 1

    def key(node):
        return (0 if is_accumulate(node) else 1, -sequence_nr(node), id(node))

    ready = [(key(r), id(r)) for r in roots if consumers.get(id(r), 0) == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, nid = heapq.heappop(ready)
        node = seen[nid]
        order.append(node)
        for nxt, _ in node.next_functions:
            if nxt is not None:
                consumers[id(nxt)] -= 1
                if consumers[id(nxt)] == 0:
                    heapq.heappush(ready, (key(nxt), id(nxt)))
    return order


def tensor_hooks(t):
    """Hooks registered on a tensor with ``register_hook`` ({} when none)."""
    return getattr(t, "_backward_hooks", None) or {}


def node_hooks(node):
    """(kind, hook dict) of the hooks a node shows: PyTorch keeps its nodes' hooks out of sight, so
    for a torch node only the hooks of the tensors it produced are known (through those tensors)."""
    stores = [("pre-hook", getattr(node, "_pre_hooks", None)), ("hook", getattr(node, "_post_hooks", None))]
    for store in (getattr(node, "_tensor_pre_hooks", None) or {}).values():
        stores.append(("tensor hook", store))
    return [(kind, store) for kind, store in stores if store]


def retained(node, known=()):
    """(output_nr, tensor) for each tensor this node produced that retains its grad: among ``known``
    tensors (PyTorch's view of it), and autograd_lab's own record of them."""
    out = {}
    for t in known:
        if is_tensor(t) and t.grad_fn is node and t.retains_grad:
            out.setdefault(t.output_nr, t)
    for nr, ref in (getattr(node, "_retains_grad", None) or {}).items():
        t = ref()
        if t is not None:
            out.setdefault(nr, t)
    return sorted(out.items(), key=lambda item: item[0])


class Saved:
    """One tensor a node saved for backward, as the public view shows it."""

    __slots__ = ("name", "holder", "tensor", "value", "freed", "stale", "version", "saved_version",
                 "shape", "dtype", "is_output", "producer")

    def __init__(self, node, name):
        self.name = name
        self.holder = getattr(node, f"_raw_saved_{name}", None)
        self.freed = self.stale = False
        self.tensor = None
        try:
            self.tensor = getattr(node, f"_saved_{name}")
        except RuntimeError as exc:  # the checks backward would make, made now
            message = str(exc)
            versions = _STALE_VERSIONS.search(message)
            if message.startswith(FREED_START):
                self.freed = True
            elif versions:
                self.stale = True
            else:
                raise
        data = getattr(self.holder, "data", None) if not self.freed else None
        self.value = None if data is None else array(data)
        seen = self.tensor if self.tensor is not None else data
        if self.stale:
            self.version, self.saved_version = (int(v) for v in versions.groups())
        else:
            self.version = self.saved_version = None if seen is None else seen._version
            if seen is None:  # freed: autograd_lab's holder still knows the versions
                self.version = getattr(self.holder, "version", None)
                self.saved_version = getattr(self.holder, "saved_version", None)
        shape = getattr(seen, "shape", None) if seen is not None else getattr(self.holder, "shape", None)
        self.shape = None if shape is None else tuple(shape)
        dtype = getattr(seen, "dtype", None) if seen is not None else getattr(self.holder, "dtype", None)
        self.dtype = None if dtype is None else dtype_name(dtype)
        # an op's own output (exp's result) is saved with the op as its grad_fn
        self.is_output = bool(getattr(self.holder, "is_output", False)) or (
            self.tensor is not None and self.tensor.grad_fn is node)
        if self.is_output:
            self.producer = node
        else:
            self.producer = None if self.tensor is None else self.tensor.grad_fn


def members(node):
    """(names of saved tensors, names of other ``_saved_*`` values) of a node, in the node's own
    order (``__dir__``, unsorted: the order it saved them in)."""
    raw, plain = [], []
    for a in node.__dir__():
        if a.startswith("_raw_saved_"):
            if _is_tensor_holder(getattr(node, a, None)):
                raw.append(a[11:])
        elif a.startswith("_saved_"):
            plain.append(a[7:])
    return raw, [p for p in plain if p not in raw]


def saved_names(node):
    """The names a node keeps saved tensors under (``self``, ``other``, ``result``, ...)."""
    return members(node)[0]


def _is_tensor_holder(holder):
    return holder is not None and not isinstance(holder, (list, tuple)) and hasattr(holder, "data")


def saved(node, found=None):
    """{name: Saved} for every tensor a node saved (not PyTorch's undefined optional ones, such as
    the ``weight`` of a loss called without one). ``found``: ``members(node)`` if known."""
    names = (found or members(node))[0]
    views = (Saved(node, name) for name in names)
    return {s.name: s for s in views if s.freed or s.stale or s.value is not None}


def attributes(node, found=None):
    """An op's own non-tensor attributes: its public fields, and the values PyTorch shows as
    ``_saved_<name>`` (``_saved_dim`` of a softmax). ``found``: ``members(node)`` if known."""
    attrs = {}
    for key, value in getattr(node, "__dict__", {}).items():
        if not key.startswith("_") and key not in ("next_functions", "variable", "metadata"):
            attrs[key] = value
    for name in (found or members(node))[1]:
        try:
            value = getattr(node, f"_saved_{name}")
        except RuntimeError:  # a freed list of tensors
            continue
        if not is_tensor(value) and not (isinstance(value, (list, tuple)) and any(map(is_tensor, value))):
            attrs.setdefault(name, value)
    return attrs


def site(node):
    """Where a node was made (``In [3], line 2: y = x * w``), as autograd_lab's trace() / anomaly
    mode record it; None when not recorded, for an AccumulateGrad, and for PyTorch's nodes."""
    if node is None or not isinstance(node, Node) or is_accumulate(node):
        return None
    from .. import anomaly
    return anomaly.site_of(node)


def module_of(node):
    """The module path a node was recorded under (``metadata["module"]``), or None."""
    meta = getattr(node, "metadata", None)
    if meta:
        module = meta.get("module")
        if module is not None:
            return str(module)
    return None
