"""In-place operations and the version counter.

An in-place op computes the out-of-place result and writes it into the tensor's memory, then
bumps the version counter that the tensor shares with its views. Anything that saved the tensor
for backward notices the new version and refuses to use it (PyTorch's error, word for word).
When the result needs a gradient, the tensor's ``grad_fn`` is rebased onto the new node, which
saved a private copy of the old value.
"""
import numpy as np

from .. import grad_mode
from ..node import Node
from ..tensor import Tensor

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_LEAF_MESSAGE = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def _check(self, needs):
    if not needs:
        return
    if self.grad_fn is None and self.requires_grad:
        raise RuntimeError(LEAF_MESSAGE)
    base = self._base
    if base is not None and base.requires_grad:
        if base.grad_fn is None:
            raise RuntimeError(VIEW_LEAF_MESSAGE)
        raise RuntimeError("autograd_lab does not support in-place operations on a view of a tensor that requires "
                           "grad (PyTorch rewrites the base's graph with CopySlices); use the out-of-place op instead")


def _write(self, values):
    src = values._data
    if not np.can_cast(src.dtype, self._data.dtype, casting="same_kind"):
        names = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "bool": "Bool"}
        raise RuntimeError(f"result type {names.get(src.dtype.name, src.dtype.name)} can't be cast to the desired "
                           f"output type {names.get(self._data.dtype.name, self._data.dtype.name)}")
    if not self._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a single "
                           "memory location. Please clone() the tensor before performing the operation.")
    if src.shape != self._data.shape:
        try:
            np.broadcast_to(src, self._data.shape)
        except ValueError:
            raise RuntimeError(f"output with shape [{', '.join(map(str, self.shape))}] doesn't match the broadcast "
                               f"shape [{', '.join(map(str, src.shape))}]") from None
    self._data[...] = src


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
        return self
    # the node must see the old value: give it a private snapshot that carries self's history
    old = Tensor._make(self._data.copy(), requires_grad=self.requires_grad, dtype=self._dtype)
    old.grad_fn, old._output_nr = self.grad_fn, self._output_nr
    out = fn(old, *args, **kwargs)
    _write(self, out)
    self._bump_version()
    self.grad_fn, self._output_nr, self._requires_grad = out.grad_fn, 0, True
    _move_output(out, self)
    return self


def _move_output(out, self):
    """The node recorded ``out`` as its output; make ``self`` that output (for saved results)."""
    node = self.grad_fn
    saved = node._saved.get("result") if node is not None else None
    if saved is not None and saved.is_output:
        saved._data = self._data
        saved._version_box = self._version_box
        saved.saved_version = self._version_box[0]


class FillBackward0(Node):
    """out = a filled with a constant        ∂a = 0"""

    def forward(self, a, value):
        return np.full_like(a._data, value)

    def backward(self, g):
        return g * 0


class ZeroBackward0(FillBackward0):
    """out = zeros like a        ∂a = 0"""


class CopyBackwards(Node):
    """out = src copied into a (broadcast)        ∂a = 0,   ∂src = g (summed to src's shape)"""

    def forward(self, a, src):
        return np.broadcast_to(src._data, a._data.shape).astype(a._data.dtype)

    def backward(self, g):
        return g * 0, g


class CopySlices(Node):
    """out = a with value written at index        ∂a = g with zeros at index,   ∂value = g[index]"""

    def forward(self, a, value, index):
        self.index = index
        out = a._data.copy()
        out[index] = value._data
        return out

    def backward(self, g):
        mask = np.ones(g.shape, dtype=bool)
        mask[self.index] = False
        return g * Tensor._make(mask), g[self.index]


def setitem(self, key, value):
    from . import api
    if isinstance(key, Tensor):
        key = key._data
    elif isinstance(key, tuple):
        key = tuple(k._data if isinstance(k, Tensor) else k for k in key)
    if not isinstance(value, Tensor):
        value = Tensor._make(np.asarray(value, dtype=self._data.dtype))
    needs = grad_mode.is_grad_enabled() and (self.requires_grad or value.requires_grad)
    _check(self, needs)
    if not needs:
        try:
            self._data[key] = value._data
        except ValueError as e:
            raise RuntimeError(str(e)) from None
        self._bump_version()
        return
    apply_inplace(self, lambda s, v: CopySlices.apply(s, v, index=key), value)
