"""In-place operations and the version counter.

An in-place op computes the out-of-place result and writes it into the tensor's memory, then
bumps the version counter that the tensor shares with its views. Anything that saved the tensor
for backward notices the new version and refuses to use it (PyTorch's error, word for word).
When the result needs a gradient, the tensor's ``grad_fn`` is rebased onto the new node, which
saved a private copy of the old value.

An in-place op on a *view* changes its base too, so the base's history is rewritten as PyTorch
does it: the base's ``grad_fn`` becomes a ``CopySlices`` node that wraps the op's node and routes
the gradient of the modified region through it, and the view's ``grad_fn`` becomes an
``AsStridedBackward0`` that reads its region back out of the base.
"""
import re

import numpy as np

from .. import _dtype, _forward, grad_mode
from .._printing import shape_str
from ..node import Node
from ..tensor import Tensor, _edge_of

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_LEAF_MESSAGE = "a view of a leaf Variable that requires grad is being used in an in-place operation."
MULTI_VIEW_MESSAGE = ("Output {nr} of {op} is a view and is being modified inplace. This view is the output of a "
                      "function that returns multiple views. Such functions do not allow the output views to be "
                      "modified inplace. You should replace the inplace operation by an out-of-place one.")


def _check(self, needs):
    if not needs:
        return
    if self.grad_fn is None and self.requires_grad:
        raise RuntimeError(LEAF_MESSAGE)
    base = self._base
    if base is not None:
        if base.requires_grad and base.grad_fn is None:
            raise RuntimeError(VIEW_LEAF_MESSAGE)
        node = self.grad_fn
        if node is not None and node.is_view and node.num_outputs > 1:
            op = re.sub(r"Backward\d*$", "", node.name())
            raise RuntimeError(MULTI_VIEW_MESSAGE.format(nr=self._output_nr, op=op))


def _can_cast(src, dst):
    """PyTorch's rule for writing a result into an existing tensor: floating values never go into an
    integer tensor, nor anything but bools into a bool one; integers of any sign and width may."""
    if src.is_floating_point and not dst.is_floating_point:
        return False
    return dst is not _dtype.bool_ or src is _dtype.bool_


def _write(self, values):
    src = values._data
    if not _can_cast(values.dtype, self.dtype):
        raise RuntimeError(f"result type {values.dtype.scalar_name} can't be cast to the desired "
                           f"output type {self.dtype.scalar_name}")
    if src.shape != self._data.shape:
        try:
            np.broadcast_to(src, self._data.shape)
        except ValueError:
            raise RuntimeError(f"output with shape {shape_str(self.shape)} doesn't match the broadcast "
                               f"shape {shape_str(src.shape)}") from None
    if not self._data.flags.writeable or _overlaps_itself(self._data):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a single "
                           "memory location. Please clone() the tensor before performing the operation.")
    self._data[...] = src


def _overlaps_itself(a):
    # an expanded view has a zero stride over a dimension longer than 1 (an empty array has no
    # elements to share, whatever NumPy gives as its strides)
    return a.size > 0 and any(st == 0 and n > 1 for st, n in zip(a.strides, a.shape))


def apply_inplace(self, fn, *args, **kwargs):
    """``self.<op>_(...)``: run ``fn(self, ...)`` out of place, then write the result into self."""
    needs = grad_mode.is_grad_enabled() and (self.requires_grad or any(
        isinstance(a, Tensor) and a.requires_grad for a in args))
    _check(self, needs)
    if not needs:
        with grad_mode.no_grad():
            out = fn(self, *args, **kwargs)
        _write(self, out)
        self._bump_version()
        _forward.move_tangents(out, self)
        return self
    if self._base is not None:
        return _inplace_on_view(self, self._base, fn, args, kwargs)
    # the node must see the old value: give it a private snapshot that carries self's history
    old = Tensor._make(self._data.copy(), requires_grad=self.requires_grad, dtype=self._dtype)
    old.grad_fn, old._output_nr = self.grad_fn, self._output_nr
    if self._fw_grads:  # the snapshot keeps the old tangents too (self's are updated in place)
        old._fw_grads = {level: t.clone() for level, t in self._fw_grads.items()}
    out = fn(old, *args, **kwargs)
    _write(self, out)
    self._bump_version()
    _forward.move_tangents(out, self)
    self.grad_fn, self._output_nr, self._requires_grad = out.grad_fn, 0, True
    _move_output(out.grad_fn, self)
    refresh_views(self)
    return self


def _move_output(node, self):
    """The node recorded ``out`` as its output; make ``self`` that output (for saved results)."""
    saved = node._saved.get("result") if node is not None else None
    if saved is not None and saved.is_output:
        saved._data = self._data
        saved._version_box = self._version_box
        saved.saved_version = self._version_box[0]


def _positions(view, base):
    """Row-major positions in ``base`` of each element of ``view`` (same shape as the view), read off
    the memory addresses: works for any chain of views, however it was built."""
    b, v = base._data, view._data
    offset = v.__array_interface__["data"][0] - b.__array_interface__["data"][0]
    view_bytes = np.full(v.shape, offset, dtype=np.int64)
    for d, (n, st) in enumerate(zip(v.shape, v.strides)):
        view_bytes = view_bytes + (np.arange(n, dtype=np.int64) * st).reshape((-1,) + (1,) * (v.ndim - d - 1))
    if b.flags.c_contiguous:
        return view_bytes // max(b.itemsize, 1)
    base_bytes = np.zeros(b.shape, dtype=np.int64)
    for d, (n, st) in enumerate(zip(b.shape, b.strides)):
        base_bytes = base_bytes + (np.arange(n, dtype=np.int64) * st).reshape((-1,) + (1,) * (b.ndim - d - 1))
    flat = base_bytes.reshape(-1)
    order = np.argsort(flat, kind="stable")
    return order[np.searchsorted(flat[order], view_bytes)].reshape(v.shape)


def _inplace_on_view(self, base, fn, args, kwargs):
    # the op runs on a snapshot of the view's old value; its gradient for that input is written
    # back into the base's gradient by CopySlices, which replaces the base's grad_fn
    snap = Tensor._make(self._data.copy(), requires_grad=self.requires_grad, dtype=self._dtype)
    out = fn(snap, *args, **kwargs)
    inner = out.grad_fn
    if inner is None or (inner.next_functions and inner.next_functions[0][0] is not None
                         and getattr(inner.next_functions[0][0], "variable", None) is not snap):
        raise NotImplementedError("autograd_lab: this in-place operation on a view is not supported")
    pos = _positions(self, base)
    _write(self, out)
    self._bump_version()
    node = CopySlices._wrap(base, inner, pos)
    base.grad_fn, base._output_nr, base._requires_grad = node, 0, True
    _move_output(inner, self)
    # the view now reads its values out of the new base, and so does every other view of it
    refresh_views(base)
    return self


def refresh_views(base):
    """After an in-place op rewrote ``base``'s history, every live view of it reads its region out of
    the new history (an AsStridedBackward0), as PyTorch regenerates a view's grad_fn when its base's
    version moved on. Without this a view made earlier would still point at the old history."""
    from .shapes import views_of
    if not base.requires_grad:
        return
    with grad_mode.enable_grad():
        for v in views_of(base):
            regen = AsStridedBackward0.apply(base, positions=_positions(v, base))
            v.grad_fn, v._output_nr, v._requires_grad = regen.grad_fn, 0, True


class CopySlices(Node):
    """The base of a view that was modified in place.        ∂base = g outside the view's region,
    and inside it the wrapped op's gradient for its input;   ∂(op's other inputs) = the op's gradients"""

    def name(self):
        return "torch::autograd::CopySlices"

    @classmethod
    def _wrap(cls, base, inner, positions):
        node = cls()
        node.fn, node.positions, node.base_shape = inner, positions, base.shape
        edge = _edge_of(base) if base.requires_grad else (None, 0)
        node.next_functions = (edge,) + tuple(inner.next_functions[1:])
        node._needs_input_grad = (base.requires_grad,) + tuple(inner._needs_input_grad[1:])
        node._output_meta = ((base._data.shape, base.dtype.np),)
        return node

    def backward(self, g):
        from . import shapes as S
        pos = Tensor._make(self.positions)
        res = self.fn.backward(g.reshape(-1)[pos])
        res = res if isinstance(res, tuple) else (res,)
        keep = np.ones(self.base_shape, dtype=bool)
        keep.reshape(-1)[self.positions.reshape(-1)] = False
        grad_base = g * Tensor._make(keep)
        if res[0] is not None:
            n = int(np.prod(self.base_shape, dtype=np.int64))
            inside = S.IndexBackwardBackward0.apply(res[0].reshape(-1), shape=(n,),
                                                    index=(self.positions.reshape(-1),))
            grad_base = grad_base + inside.reshape(self.base_shape)
        return (grad_base,) + tuple(res[1:])

    def release(self):
        return super().release() + self.fn.release()

    def saved_tensors_info(self):
        return dict(self.fn._saved)


class AsStridedBackward0(Node):
    """out = the region of the base a view covers        ∂base = zeros with g written at the region"""

    def forward(self, base, positions):
        self.positions, self.shape = positions, base.shape
        return base._data.reshape(-1)[positions]

    def backward(self, g):
        from . import shapes as S
        n = int(np.prod(self.shape, dtype=np.int64))
        flat = S.SliceBackwardBackward0.apply(g.reshape(-1), shape=(n,), index=(self.positions.reshape(-1),))
        return flat.reshape(self.shape)


class FillBackward2(Node):
    """out = a filled with a number        ∂a = 0"""

    def forward(self, a, value):
        self.shape = a.shape
        return np.full_like(a._data, value)

    def backward(self, g):
        from .arithmetic import _zeros
        return _zeros(self.shape, g.dtype)

    def jvp(self, da):
        """d(out) = 0 (a constant now)"""
        from .arithmetic import _zeros
        return _zeros(self.shape, da.dtype)


class FillBackward3(Node):
    """out = a filled with a 0-d tensor v        ∂a = 0,   ∂v = Σ g"""

    def forward(self, a, v):
        self.shape = a.shape
        return np.full_like(a._data, v._data)

    def backward(self, g):
        from .arithmetic import _zeros
        return (_zeros(self.shape, g.dtype) if self.needs_input_grad(0) else None,
                g.sum() if self.needs_input_grad(1) else None)

    def jvp(self, da, dv):
        """d(out) = dv everywhere"""
        return dv.expand(self.shape).clone()


class ZeroBackward0(FillBackward2):
    """out = zeros like a        ∂a = 0"""


def fill(self, value):
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.dim()} dimensions.")
        return FillBackward3.apply(self, value)
    return FillBackward2.apply(self, value=value)


class CopyBackwards(Node):
    """out = src copied into a (broadcast, cast to a's dtype)        ∂a = 0,   ∂src = g (summed to src's shape)"""

    def name(self):
        return "torch::autograd::CopyBackwards"

    def forward(self, a, src):
        self.shape = a.shape
        return np.broadcast_to(src._data, a._data.shape).astype(a._data.dtype)

    def backward(self, g):
        from .arithmetic import _zeros
        return (_zeros(self.shape, g.dtype) if self.needs_input_grad(0) else None,
                g if self.needs_input_grad(1) else None)

    def jvp(self, da, dsrc):
        """d(out) = dsrc broadcast to a's shape (a fresh tensor: later in-place ops write into it)"""
        return dsrc.expand(self.shape).clone()


def copy(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}")
    try:
        np.broadcast_shapes(src._data.shape, self._data.shape)
        ok = np.broadcast_shapes(src._data.shape, self._data.shape) == self._data.shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"The size of tensor a ({self.shape[-1] if self.dim() else 1}) must match the size of "
                           f"tensor b ({src.shape[-1] if src.dim() else 1}) at non-singleton dimension "
                           f"{max(self.dim() - 1, 0)}")
    return CopyBackwards.apply(self, src)


class IndexPutBackward0(Node):
    """out = a with values written at an advanced index        ∂a = g with zeros at the index,
    ∂values = g[index] (summed to values' shape)"""

    def forward(self, a, values, index):
        from .shapes import save_index
        save_index(self, index)
        out = a._data.copy()
        target = out[index]
        try:
            np.broadcast_to(values._data, target.shape)
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {shape_str(values.shape)} cannot "
                               f"be broadcast to indexing result of shape {shape_str(target.shape)}"
                               ) from None
        out[index] = values._data
        return out

    def backward(self, g):
        from . import shapes as S
        index = S.load_index(self)
        keep = np.ones(g.shape, dtype=bool)
        keep[index] = False
        return (g * Tensor._make(keep) if self.needs_input_grad(0) else None,
                S.IndexBackward0.apply(g, index=index) if self.needs_input_grad(1) else None)

    def jvp(self, da, dvalues):
        """d(out) = da with dvalues written at the same index"""
        from .shapes import load_index
        return IndexPutBackward0.apply(da, dvalues, index=load_index(self))


def _copy_to(dst, value):
    """PyTorch's indexing copy_to: copy_ when the shapes agree, fill_ from a 0-d value, else view the
    value without its leading 1s, expand it to the destination and copy_."""
    from . import api as F
    if dst.shape == value.shape:
        return apply_inplace(dst, copy, value)
    if value.dim() == 0:
        return apply_inplace(dst, fill, value)
    shape = list(value.shape)
    while shape and shape[0] == 1:
        shape.pop(0)
    src = F.view(value, shape)
    if tuple(src.shape) != tuple(dst.shape):
        src = F.expand(src, dst.shape)
    return apply_inplace(dst, copy, src)


def setitem(self, key, value):
    """``self[key] = value`` as PyTorch does it: basic indexing gives a view that is copied into
    (the whole tensor when the index selects all of it), advanced indexing is an index_put_."""
    from . import api as F
    from .api import _slicing
    key = F.as_index_tuple(key)
    if not isinstance(value, Tensor):
        from ._util import scalar_array
        value = Tensor._make(scalar_array(value, self._data.dtype), dtype=self._dtype)
    if not isinstance(key, tuple):
        if key is False:
            return
        key = (key,)
    target, adv = _slicing(self, key)
    if adv is None:
        _copy_to(target, value)
    else:
        shape = list(value.shape)
        while shape and shape[0] == 1:
            shape.pop(0)
        values = F.view(value, shape) if tuple(shape) != tuple(value.shape) else value
        apply_inplace(target, lambda t, v: IndexPutBackward0.apply(t, v, index=adv), values)
