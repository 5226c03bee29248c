"""``torch.autograd.forward_ad``: dual tensors for forward-mode AD.

    with dual_level():
        x = make_dual(primal, tangent)     # the value, and the direction v to push forward
        y = f(x)                           # every op computes its value and its tangent
        value, jvp = unpack_dual(y)        # jvp = J·v, with no backward pass

Only one level at a time, as in PyTorch (``torch.func.jvp`` nests them; see autograd_lab/func.py).
"""
from typing import NamedTuple, Optional

from .. import _forward
from ..grad_mode import _GradModeContext
from ..tensor import Tensor

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]

_public = []  # the levels opened here (PyTorch numbers them 0, 1, ...; only 0 can be open)


def enter_dual_level():
    """Open a forward-AD level; returns its number."""
    if _public:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _public.append(_forward.open_level())
    return len(_public) - 1


def exit_dual_level(*, level=None):
    """Close the current level: every tangent made in it is dropped."""
    if level is None:
        level = len(_public) - 1
    if level != len(_public) - 1:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    _forward.close_level(_public.pop())


def _level(level):
    if level is None:
        level = len(_public) - 1
    return _public[level] if 0 <= level < len(_public) else None


def make_dual(tensor, tangent, *, level=None):
    """A view of ``tensor`` that carries ``tangent`` (used as is when its layout matches, else copied)."""
    lvl = _level(level)
    if lvl is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    return _make_dual(tensor, tangent, lvl)


def _make_dual(tensor, tangent, lvl):
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.is_floating_point():
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tangent.shape != tensor.shape:
        raise RuntimeError(_forward.size_message(tensor, tangent))
    if tangent.stride() != tensor.stride() or tangent.dtype is not tensor.dtype:
        tangent = tangent.to(tensor.dtype).clone()
        if tangent.stride() != tensor.stride():
            tangent = tangent.contiguous()
    dual = _alias(tensor, lvl)
    _forward.set_tangent(dual, lvl, tangent)
    return dual


def _alias(tensor, lvl):
    """A view of ``tensor`` (ViewBackward0 when it requires grad, as PyTorch's) without its tangent at ``lvl``."""
    _forward._hidden.add(lvl)
    try:
        return tensor.view(tensor.shape)
    finally:
        _forward._hidden.discard(lvl)


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the value and its tangent (None when it has none)."""
    primal: Tensor
    tangent: Optional[Tensor]


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of a dual tensor; the primal is a view without the tangent."""
    lvl = _level(level)
    if lvl is None:
        return UnpackedDualTensor(tensor, None)
    tangent = _forward.tangent(tensor, lvl)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_alias(tensor, lvl), tangent)


class dual_level(_GradModeContext):  # (its decorator form; grad mode itself is left alone)
    """Context manager (and decorator) for a forward-AD level: tangents made inside die at its end."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
