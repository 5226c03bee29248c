"""Loss functions: one node per loss PyTorch computes as a single kernel.

``reduction`` is kept as PyTorch's enum (0 none, 1 mean, 2 sum), which is what
``grad_fn._saved_reduction`` shows there. Each forward computes in NumPy the way PyTorch's CPU
kernel does (the same clamps and the same stable formulas); each backward is written with tensor
operations so that ``create_graph=True`` can differentiate it again.

Losses PyTorch builds out of other ops (``l1_loss`` = ``(a - t).abs().mean()``, ``cross_entropy``
= ``log_softmax`` + ``nll_loss``) are composed in ``nn.functional``, so their graphs show the same
nodes as PyTorch's; the tensor-and-number ops PyTorch's C++ formulas record (``MulBackward1``,
``DivBackward1``) are ``arithmetic.mul_scalar`` / ``div_scalar``.
"""
import numpy as np

from .._printing import shape_str
from ..node import Node
from ..tensor import Tensor
from .arithmetic import _zeros, div_scalar, mul_scalar
from ._util import promote_types

NONE, MEAN, SUM = 0, 1, 2
_ENUM = {"none": NONE, "mean": MEAN, "sum": SUM}


def reduction_enum(reduction):
    """'none' / 'mean' / 'sum' as PyTorch's enum; anything else in PyTorch's words."""
    try:
        return _ENUM[reduction]
    except (KeyError, TypeError):
        raise ValueError(f"{reduction} is not a valid value for reduction") from None


def _reduce(loss, reduction):
    if reduction == NONE:
        return loss
    if reduction == SUM:
        return np.asarray(np.sum(loss, dtype=loss.dtype))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.mean(loss, dtype=loss.dtype))


def _reduce_t(loss, reduction):
    """``_reduce`` in tensor operations (for the tangents of forward mode)."""
    if reduction == NONE:
        return loss
    return loss.sum() if reduction == SUM else loss.mean()


def _common_dtype(a, b):
    return np.result_type(a._data.dtype, b._data.dtype)


def _promoted(a, b):
    """PyTorch's type promotion (float32 with an int64 target stays float32; NumPy would say float64)."""
    return promote_types(a.dtype, b.dtype).np


def _const(array):
    return Tensor._make(np.ascontiguousarray(array))


def _log_sigmoid(x):
    """log σ(x) = min(x, 0) - log(1 + e^-|x|), written so neither exp can overflow (tensor ops)."""
    return x.clamp_max(0) - ((-x.abs()).exp() + 1).log()


def _weighted_mean_grad(node, grad):
    """A BCE gradient times the node's saved weight, over the element count for a mean reduction."""
    if node.weight is not None:
        grad = grad * node.saved("weight")
    if node.reduction == MEAN:
        grad = div_scalar(grad, node.numel)
    return grad


class MseLossBackward0(Node):
    """out = reduce((a - t)²)        ∂a = g·2(a - t)/N  (N = numel for mean, 1 otherwise),   ∂t = -∂a"""

    def forward(self, a, t, reduction):
        self.reduction = reduction
        self.save(self=a, target=t)
        dt = _promoted(a, t)
        d = a._data.astype(dt, copy=False) - t._data.astype(dt, copy=False)
        return _reduce(d * d, reduction)

    def backward(self, g):
        a, t = self.saved("self"), self.saved("target")
        # one node per input, as PyTorch's mse_loss_backward (the target's with the roles swapped)
        return (MseLossBackwardBackward0.apply(g, a, t, reduction=self.reduction) if self.needs_input_grad(0) else None,
                MseLossBackwardBackward0.apply(g, t, a, reduction=self.reduction) if self.needs_input_grad(1) else None)

    def jvp(self, da, dt):
        """d(out) = reduce(2·(a - t)·(da - dt))"""
        a, t = self.inputs
        return _reduce_t(mul_scalar((a - t) * (da - dt), 2.0), self.reduction)


class MseLossBackwardBackward0(Node):
    """out = g·k·(a - t)  (mse_loss's backward; k = 2/N for mean, 2 otherwise)
    ∂g = gg·k·(a - t) (summed to g's shape),   ∂a = gg·k·g,   ∂t = -gg·k·g"""

    def forward(self, g, a, t, reduction):
        self.save(grad_output=g, self=a, target=t)
        # a mean is over the broadcast loss: an (N, 1) input against an (N,) target averages N·N terms
        self.k = 2.0 / max(np.broadcast(a._data, t._data).size, 1) if reduction == MEAN else 2.0
        dt = _promoted(a, t)
        d = a._data.astype(dt, copy=False) - t._data.astype(dt, copy=False)
        return (d * self.k) * g._data

    def backward(self, gg):
        g, a, t = self.saved("grad_output"), self.saved("self"), self.saved("target")
        ga = mul_scalar(gg * g, self.k)
        return (mul_scalar(gg * (a - t), self.k) if self.needs_input_grad(0) else None,
                ga if self.needs_input_grad(1) else None,
                -ga if self.needs_input_grad(2) else None)

    def jvp(self, dg, da, dt):
        """out = g·k·(a - t)        d(out) = k·(dg·(a - t) + g·(da - dt))"""
        g, a, t = self.inputs
        return mul_scalar(dg * (a - t) + g * (da - dt), self.k)


class BinaryCrossEntropyBackward0(Node):
    """out = reduce(-w·(t·ln a + (1 - t)·ln(1 - a))), each log clamped at -100
    ∂a = g·w·(a - t) / max(a(1 - a), 1e-12) / N,   ∂t = g·w·(ln(1 - a) - ln a) / N"""

    EPSILON = 1e-12

    def forward(self, a, t, reduction, weight=None):
        x = a._data
        if x.size and not ((x >= 0) & (x <= 1)).all():
            raise RuntimeError("all elements of input should be between 0 and 1")
        self.reduction, self.numel, self.weight = reduction, x.size, weight
        self.save(self=a, target=t, weight=weight)
        dt = _common_dtype(a, t)
        x, y = x.astype(dt, copy=False), t._data.astype(dt, copy=False)
        with np.errstate(divide="ignore"):
            loss = (y - 1) * np.maximum(np.log1p(-x), -100) - y * np.maximum(np.log(x), -100)
        if weight is not None:
            loss = loss * weight._data
        return _reduce(loss.astype(dt, copy=False), reduction)

    def backward(self, g):
        a, t = self.saved("self"), self.saved("target")
        ga = gt = None
        if self.needs_input_grad(0):
            ga = g * (a - t) / ((1 - a) * a).clamp_min(self.EPSILON)
            ga = _weighted_mean_grad(self, ga)
        if self.needs_input_grad(1):
            gt = _weighted_mean_grad(self, ((1 - a).log() - a.log()) * g)
        return ga, gt

    def jvp(self, da, dt):
        """d(out) = reduce(w·((a - t) / max(a(1 - a), ε)·da + (ln(1 - a) - ln a)·dt))"""
        a, t = self.inputs
        d = (a - t) / ((1 - a) * a).clamp_min(self.EPSILON) * da + ((1 - a).log() - a.log()) * dt
        return _reduce_t(d if self.weight is None else d * self.weight, self.reduction)


class BinaryCrossEntropyWithLogitsBackward0(Node):
    """out = reduce(w·((1 - t)·x - (1 + (p - 1)·t)·log σ(x)))        (p = pos_weight, 1 when absent)
    ∂x = g·w·((p·t + 1 - t)·σ(x) - p·t) / N,   ∂t = g·w·(log σ(-x) - p·log σ(x)) / N

    log σ(x) = min(x, 0) - log1p(e^-|x|): large |x| neither overflows nor loses the loss."""

    def forward(self, x, t, reduction, weight=None, pos_weight=None):
        self.reduction, self.numel = reduction, x._data.size
        self.weight, self.pos_weight = weight, pos_weight
        self.save(self=x, target=t, weight=weight, pos_weight=pos_weight)
        dt = _common_dtype(x, t)
        a, y = x._data.astype(dt, copy=False), t._data.astype(dt, copy=False)
        log_sig = np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))
        if pos_weight is not None:
            log_sig = log_sig * ((pos_weight._data - 1) * y + 1)
        loss = (1 - y) * a - log_sig
        if weight is not None:
            loss = loss * weight._data
        return _reduce(loss.astype(dt, copy=False), reduction)

    def backward(self, g):
        x, t = self.saved("self"), self.saved("target")
        gx = gt = None
        if self.needs_input_grad(0):
            if self.pos_weight is not None:
                pt = self.saved("pos_weight") * t
                gx = (pt + 1 - t) * x.sigmoid() - pt
            else:
                gx = x.sigmoid() - t
            gx = _weighted_mean_grad(self, gx * g)
        if self.needs_input_grad(1):
            if self.pos_weight is not None:
                gt = _log_sigmoid(-x) - _log_sigmoid(x) * self.saved("pos_weight")
            else:
                gt = -x
            gt = _weighted_mean_grad(self, gt * g)
        return gx, gt

    def jvp(self, dx, dt):
        """d(out) = reduce(w·(((p·t + 1 - t)·σ(x) - p·t)·dx + (log σ(-x) - p·log σ(x))·dt))"""
        x, t = self.inputs
        if self.pos_weight is not None:
            pt = self.pos_weight * t
            d = ((pt + 1 - t) * x.sigmoid() - pt) * dx + (_log_sigmoid(-x) - _log_sigmoid(x) * self.pos_weight) * dt
        else:
            d = (x.sigmoid() - t) * dx - x * dt
        return _reduce_t(d if self.weight is None else d * self.weight, self.reduction)


class NllLossBackward0(Node):
    """out_i = -w[t_i]·a[i, t_i]  (0 where t_i = ignore_index);  mean divides Σ out_i by Σ w[t_i]
    ∂a[i, t_i] = -g_i·w[t_i]  (mean: -(g / Σ w[t_i])·w[t_i]),   0 everywhere else

    The class dimension is 1 (0 for a single unbatched sample). Only ``a`` is differentiable:
    the target holds class indices. A single sample's target is 0-d or of size 1: PyTorch's forward
    takes [t] as t, but its backward then fails on the size mismatch, and so does ours."""

    def forward(self, a, target, reduction, weight=None, ignore_index=-100):
        x, t = a._data, target._data
        if t.dtype not in (np.int64, np.uint8):
            # PyTorch's kernels take only these two (int32 too is refused), named as its C++ names them
            got = target._dtype._legacy[:-len("Tensor")]
            raise RuntimeError(f"expected target dtype to be Long or Byte, but got {got}")
        self.size_mismatch = None
        if x.ndim == 1 and t.ndim == 1:
            # checked before the weight, as PyTorch does (its TORCH_CHECK_VALUE: a ValueError)
            if t.shape[0] != 1:
                raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {t.shape[0]}")
            t = t.reshape(())
            self.size_mismatch = f"size mismatch (got input: [{x.shape[0]}], target: [1])"
        class_dim = 0 if x.ndim == 1 else 1
        n_classes = x.shape[class_dim]
        if weight is not None and weight._data.size != n_classes:
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes "
                               f"but got weight tensor of shape: {shape_str(weight.shape)}")
        keep = t != ignore_index
        bad = keep & ((t < 0) | (t >= n_classes))
        if bad.any():
            raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
        safe_t = np.where(keep, t, 0).astype(np.int64)
        # the picked log-probabilities, with the class axis gone
        picked = np.take_along_axis(x, np.expand_dims(safe_t, class_dim), class_dim).squeeze(class_dim)
        w = np.ones((), x.dtype) if weight is None else weight._data.astype(x.dtype, copy=False)
        w_t = np.where(keep, np.broadcast_to(w, (n_classes,))[safe_t], 0).astype(x.dtype)
        losses = -picked * w_t
        self.reduction, self.class_dim, self.shape = reduction, class_dim, a.shape
        self.ignore_index = ignore_index
        self.total_weight = np.asarray(np.sum(w_t, dtype=x.dtype))
        # where each sample's gradient lands, scaled by its class weight: a constant of backward
        self.picks = np.zeros(x.shape, x.dtype)
        np.put_along_axis(self.picks, np.expand_dims(safe_t, class_dim), np.expand_dims(w_t, class_dim), class_dim)
        self.save(self=a, target=target, weight=weight)
        if reduction == NONE:
            return losses.astype(x.dtype, copy=False)
        total = np.sum(losses, dtype=x.dtype)
        if reduction == MEAN:
            with np.errstate(invalid="ignore", divide="ignore"):
                total = total / self.total_weight
        return np.asarray(total, dtype=x.dtype)

    def backward(self, g):
        if self.size_mismatch is not None:
            # PyTorch's backward kernel checks the shapes its forward let through
            raise RuntimeError(self.size_mismatch)
        return NllLossBackwardBackward0.apply(g, self.saved("self"), loss=self)

    def jvp(self, da):
        """d(out_i) = -w[t_i]·da[i, t_i]   (mean: Σ d(out_i) / Σ w[t_i]); the target is not differentiable"""
        per = -(da * _const(self.picks)).sum(self.class_dim)
        if self.reduction == NONE:
            return per
        total = per.sum()
        return div_scalar(total, float(self.total_weight)) if self.reduction == MEAN else total


class NllLossBackwardBackward0(Node):
    """out = -g·w[t] at each sample's target class (÷ Σ w[t] for mean), 0 elsewhere  (nll_loss's backward)
    ∂g = nll_loss(gg) with the same targets, weights and reduction,   ∂a = 0 (out does not depend on a,
    which PyTorch still lists as an input)"""

    def forward(self, g, a, loss):
        self.loss = loss  # the forward's constants: where each sample's gradient lands, Σ w[t], the reduction
        gd = g._data
        if loss.reduction == MEAN:
            gd = gd / loss.total_weight
        if loss.reduction == NONE and len(loss.shape) > 1:
            gd = np.expand_dims(gd, loss.class_dim)
        # written only where a sample's target is, as PyTorch scatters it: +0 (not -0, not NaN) elsewhere
        with np.errstate(invalid="ignore"):
            return np.asarray(np.where(loss.picks != 0, -(gd * loss.picks), 0), dtype=a._data.dtype)

    def backward(self, gg):
        loss = self.loss
        gg_g = gd_a = None
        if self.needs_input_grad(0):
            picked = -(gg * _const(loss.picks))
            if loss.reduction == NONE:
                gg_g = picked.sum(loss.class_dim) if len(loss.shape) > 1 else picked.sum()
            else:
                gg_g = picked.sum()
                if loss.reduction == MEAN:
                    gg_g = div_scalar(gg_g, loss.total_weight.item())
        if self.needs_input_grad(1):
            gd_a = _zeros(loss.shape, gg.dtype)
        return gg_g, gd_a

    def jvp(self, dg, da):
        """linear in g (a only picks where g lands): d(out) = the same op on dg"""
        return NllLossBackwardBackward0.apply(dg, self.inputs[1], loss=self.loss)


class NllLoss2DBackward0(NllLossBackward0):
    """nll_loss for images (N, C, H, W) with targets (N, H, W): the same maths per pixel."""
