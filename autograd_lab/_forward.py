"""Forward-mode AD: a tangent travels with each value, one op at a time.

A *dual tensor* is a tensor with a tangent attached at some level. When an op runs and one of its
inputs has a tangent, ``Node.apply`` asks the op's node for the Jacobian-vector product: the node's
``jvp`` method maps the inputs' tangents to the output's tangent (``d(a·b) = da·b + a·db``), with
``self.inputs`` and ``self.output`` holding the values. No graph is kept for this: the tangent is
ready as soon as the value is, which is why forward mode needs no backward pass.

Levels keep transforms apart. ``torch.autograd.forward_ad.dual_level()`` opens one; ``torch.func``
opens one per ``jvp``, nested as the transforms are. While a node computes its tangent for a level,
that level is hidden: the formula's own ops must not start tangents of tangents at that level
(for dual numbers ε² = 0), while tangents of other levels flow through them, which is how
``jacfwd(jacfwd(f))`` gets second derivatives.
"""
import itertools
import weakref

import numpy as np

from ._printing import shape_str

_ids = itertools.count()


class Level:
    """One forward-AD level: the tensors given a tangent in it lose it when it closes."""

    __slots__ = ("id", "_tensors", "__weakref__")

    def __init__(self):
        self.id = next(_ids)
        self._tensors = []

    def close(self):
        for ref in self._tensors:
            t = ref()
            if t is not None and t._fw_grads is not None:
                t._fw_grads.pop(self, None)
                if not t._fw_grads:
                    t._fw_grads = None
        self._tensors = []

    def __repr__(self):
        return f"<forward AD level {self.id}>"


levels = []  # the open levels, outermost first; empty means forward AD costs one check per op
_hidden = set()  # levels whose tangent a node is computing right now


def open_level():
    level = Level()
    levels.append(level)
    return level


def close_level(level):
    level.close()
    levels.remove(level)


class hidden:
    """``with hidden(levels):`` ops inside neither see nor make tangents at these levels."""

    def __init__(self, levels):
        self.levels = [lv for lv in levels if lv not in _hidden]

    def __enter__(self):
        _hidden.update(self.levels)

    def __exit__(self, *exc):
        _hidden.difference_update(self.levels)


def tangent(t, level):
    """``t``'s tangent at ``level``, or None."""
    fw = t._fw_grads
    if fw is None or level in _hidden:
        return None
    return fw.get(level)


def set_tangent(t, level, value):
    if t._fw_grads is None:
        t._fw_grads = {}
    t._fw_grads[level] = value
    level._tensors.append(weakref.ref(t))


def move_tangents(src, dst):
    """An in-place op computed ``src`` and wrote it into ``dst``: the tangents follow the values, in
    place too, as in PyTorch: ``dst``'s tangent tensor is updated (so the user's tangent and the
    tangents of views share the change), and a view's write reaches its base's tangent."""
    if not src._fw_grads:
        return
    for level, new in list(src._fw_grads.items()):
        old = tangent(dst, level)
        if (old is not None and old.shape == new.shape and old._dtype is new._dtype
                and old._data.flags.writeable):
            old._data[...] = new._data
            continue
        base = dst._base
        if old is None and base is not None and base._dtype.is_floating_point and tangent(base, level) is None:
            from .ops.inplace import _positions
            base_tangent = _zeros_like(base)
            base_tangent._data[np.unravel_index(_positions(dst, base), base.shape)] = new._data
            set_tangent(base, level, base_tangent)
        set_tangent(dst, level, new)


def detach_keeping_tangents(t):
    """``t.detach()`` that keeps ``t``'s tangents: a transform's fresh input, cut from the graph but
    still moving along its directions (forward over reverse)."""
    d = t.detach()
    if t._fw_grads:
        for level, value in t._fw_grads.items():
            set_tangent(d, level, value)
    return d


def first_tangent(t):
    """The tangent printed with ``t`` (PyTorch prints the level-0 one), or None."""
    if not t._fw_grads or not levels:
        return None
    return tangent(t, levels[0])


def size_message(t, value):
    return ("Trying to set a forward gradient that has a different size than that of the original Tensor, this is "
            f"not supported. Tensor is of size {shape_str(t.shape)} while the given forward gradient is "
            f"of size {shape_str(value.shape)}.")


def propagate(node, inputs, outs):
    """After the built-in op ``node`` computed ``outs`` from ``inputs``: its ``jvp`` gives the outputs'
    tangents, read with ``self.inputs`` and ``self.output`` set to the values."""
    def jvp(tangents):
        node.inputs, node.output = tuple(inputs), (outs[0] if len(outs) == 1 else outs)
        try:
            return node.jvp(*tangents)
        finally:
            del node.inputs, node.output
    push_tangents(inputs, outs, jvp, as_returned=False, shares_input=node.is_view)


def push_tangents(inputs, outs, jvp, as_returned, shares_input=False):
    """Give each output its tangent at every level where some input has one: ``jvp(tangents)``
    (an input tensor without a tangent counts as zero, a non-tensor argument as None) runs with that
    level hidden and returns the outputs' tangents, None where there is none.

    A custom Function's tangents are kept ``as_returned``, as PyTorch keeps them. A built-in op's are
    made the output's dtype, and copied where they are an input's tangent object unless the op is a
    view (``shares_input``): ``x + 0``'s tangent is x's, but an in-place op must not write into x's."""
    from .tensor import Tensor
    for level in levels:
        if level in _hidden:
            continue
        tangents = [tangent(t, level) if isinstance(t, Tensor) else None for t in inputs]
        if all(d is None for d in tangents):
            continue
        tangents = [d if d is not None or not isinstance(t, Tensor) else _zeros_like(t)
                    for t, d in zip(inputs, tangents)]
        with hidden((level,)):
            result = jvp(tangents)
        result = tuple(result) if isinstance(result, tuple) else (result,)
        for o, d in zip(outs, result):
            if d is None or not o._dtype.is_floating_point:
                continue
            if d.shape != o.shape:
                raise RuntimeError(size_message(o, d))
            if not as_returned:
                if not shares_input and any(d is t for t in tangents):
                    d = d.clone()
                if d._dtype is not o._dtype:
                    d = d.to(o._dtype)
            set_tangent(o, level, d)


def _zeros_like(t):
    from .tensor import Tensor
    dt = t._dtype
    return Tensor._make(np.zeros(t._data.shape, dt.np), dtype=dt)


def unsupported(node):
    """PyTorch's error for an op that has no forward-mode formula."""
    return NotImplementedError(f"Trying to use forward AD with {node.aten_name()} that does not support it.")
