"""``x.unsqueeze_(0)``, ``x.squeeze_()``: in-place view ops. Only the tensor's shape changes (its
memory stays), its version goes up, and its history gains the view's node under the in-place name
PyTorch gives it (``UnsqueezeBackward1``, ``SqueezeBackward3/4/5``)."""
from .. import grad_mode
from . import shapes as S
from .inplace import _check
from .registry import public


class SqueezeBackward3(S.SqueezeBackward0):
    """x.squeeze_(): out = x without its size-1 dims        ∂x = g reshaped back"""


class SqueezeBackward5(S.SqueezeBackward0):
    """x.squeeze_(dims): out = x without the listed size-1 dims        ∂x = g reshaped back"""


class UnsqueezeBackward1(S.UnsqueezeBackward0):
    """x.unsqueeze_(d): out = x with a new size-1 dim at d        ∂x = g squeezed at d"""


def _reshape_in_place(self, node, **attrs):
    needs = grad_mode.is_grad_enabled() and self.requires_grad
    _check(self, needs)
    if needs:
        out = node.apply(self, **attrs)
        self.grad_fn, self._output_nr = out.grad_fn, 0
    else:
        with grad_mode.no_grad():
            out = node.apply(self, **attrs)
    self._data = out._data  # a NumPy view of the same memory
    self._bump_version()
    return self


@public(function=False, name="squeeze_")
def squeeze_(self, dim=None):
    if dim is None:
        return _reshape_in_place(self, SqueezeBackward3)
    if isinstance(dim, (tuple, list)):
        wrapped = [self._wrap_dim(x) for x in dim]
        return _reshape_in_place(self, SqueezeBackward5,
                                 dims=tuple(d for d in wrapped if self.dim() and self.shape[d] == 1))
    d = self._wrap_dim(dim)
    return _reshape_in_place(self, S.SqueezeBackward4, dims=d if self.dim() and self.shape[d] == 1 else ())


@public(function=False, name="unsqueeze_")
def unsqueeze_(self, dim):
    return _reshape_in_place(self, UnsqueezeBackward1, dim=self._wrap_dim(dim, self.dim() + 1))
