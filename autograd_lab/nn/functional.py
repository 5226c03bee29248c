"""``torch.nn.functional``: activations, losses, ``linear`` and ``dropout``.

Each function checks its arguments in PyTorch's words and then records the same nodes PyTorch
records: a loss that is one kernel in PyTorch is one node here (``ops/losses.py``); one that
PyTorch composes (``l1_loss``, ``cross_entropy``) is composed of the same pieces here.
"""
import warnings

import numpy as np

from .. import grad_mode
from .._printing import shape_str
from ..ops import api as _api
from ..ops import arithmetic as _M
from ..ops import linalg as _linalg
from ..ops import losses as _L
from ..ops._util import check_broadcast
from ..tensor import Tensor


# ---- activations ----
def relu(input, inplace=False):
    return input.relu_() if inplace else _api.relu(input)


def relu_(input):
    return input.relu_()


def sigmoid(input):
    return _api.sigmoid(input)


def tanh(input):
    return _api.tanh(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _api.leaky_relu_(input, negative_slope) if inplace else _api.leaky_relu(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return _api.leaky_relu_(input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    return _api.elu_(input, alpha) if inplace else _api.elu(input, alpha)


def elu_(input, alpha=1.0):
    return _api.elu_(input, alpha)


def gelu(input, *, approximate="none"):
    return _api.gelu(input, approximate=approximate)


def silu(input, inplace=False):
    return _api.silu_(input) if inplace else _api.silu(input)


def softplus(input, beta=1.0, threshold=20.0):
    return _api.softplus(input, beta, threshold)


def _softmax_dim(name, ndim):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input.dim())
    return _api.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim())
    return _api.log_softmax(input, dim, dtype=dtype)


# ---- linear layers ----
def linear(input, weight, bias=None):
    """y = x·Wᵀ + b, recorded as PyTorch records it: a 2-d input with a bias is one addmm (over
    ``weight.t()``); other inputs with a bias are flattened to 2-d, addmm'd and viewed back; without
    a bias it is a matmul."""
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.dim()}D "
                           f"and {weight.dim()}D")
    if bias is not None:
        if input.dim() == 2:
            return _linalg.AddmmBackward0.apply(bias, input, weight.t())
        if input.is_contiguous() and bias.dim() == 1:
            rows = int(np.prod(input.shape[:-1], dtype=np.int64))
            flat = input.reshape(rows, input.shape[-1])
            out = _linalg.AddmmBackward0.apply(bias, flat, weight.t())
            return out.view(*input.shape[:-1], out.shape[1])
        return _api.matmul(input, weight.t()) + bias
    return _api.matmul(input, weight.t())


# ---- dropout ----
def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1 - p) (training only).

    The mask comes from the generator as PyTorch draws it: ``bernoulli_(1 - p)`` on a tensor shaped
    like the input, then divided by 1 - p; the result is ``input * mask`` (MulBackward0)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        mask = Tensor._make(np.zeros((), input.dtype.np))
    else:
        from .. import random
        keep = random.bernoulli(1 - p, input.shape, dtype=input.dtype.np)
        mask = Tensor._make((keep / np.asarray(1 - p, input.dtype.np)).astype(input.dtype.np, copy=False))
    return input.mul_(mask) if inplace else input * mask


# ---- losses ----
def _legacy_reduction(size_average, reduce, emit_warning=True):
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                      UserWarning, stacklevel=3)
    return ret


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    return _L.reduction_enum(reduction)


def _no_grad_arg(t, fn, name):
    if t is not None and t.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{name}'. "
                           "This input cannot have requires_grad True.")


def _broadcast_pair(input, target):
    if input.shape == target.shape:
        return input, target
    check_broadcast(input, target)  # PyTorch's "The size of tensor a (3) must match ..." error
    shape = tuple(np.broadcast_shapes(tuple(input.shape), tuple(target.shape)))
    return (input if tuple(input.shape) == shape else input.expand(shape),
            target if tuple(target.shape) == shape else target.expand(shape))


def _size_warning(input, target):
    if target.size() != input.size():
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", UserWarning, stacklevel=3)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mean((input - target)²) (or sum, or none): one MseLossBackward0 node."""
    _size_warning(input, target)
    red = _reduction(size_average, reduce, reduction)
    input, target = _broadcast_pair(input, target)
    if weight is not None:
        raise NotImplementedError("mse_loss(weight=...) is not supported by autograd_lab")
    from ..ops._util import promote_types
    dt = promote_types(input.dtype, target.dtype)
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{dt._legacy[:-len('Tensor')]}'")
    return _L.MseLossBackward0.apply(input, target, reduction=red)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mean(|input - target|): PyTorch composes it, so the graph shows Sub, Abs, then Mean/Sum."""
    _size_warning(input, target)
    red = _reduction(size_average, reduce, reduction)
    input, target = _broadcast_pair(input, target)
    loss = (input - target).abs()
    if red == _L.MEAN:
        return loss.mean()
    if red == _L.SUM:
        return loss.sum()
    return loss


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-w·(t·log p + (1 - t)·log(1 - p)) for probabilities p in [0, 1]."""
    red = _reduction(size_average, reduce, reduction)
    if target.size() != input.size():
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    _no_grad_arg(weight, "binary_cross_entropy", "weight")
    if weight is not None:
        shape = tuple(np.broadcast_shapes(tuple(target.shape), tuple(weight.shape)))
        weight = weight.expand(shape) if tuple(weight.shape) != shape else weight
    return _L.BinaryCrossEntropyBackward0.apply(input, target, reduction=red, weight=weight)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """binary_cross_entropy(sigmoid(x), t) computed from the logits x without overflow."""
    red = _reduction(size_average, reduce, reduction)
    if target.size() != input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    _no_grad_arg(weight, "binary_cross_entropy_with_logits", "weight")
    _no_grad_arg(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    return _L.BinaryCrossEntropyWithLogitsBackward0.apply(input, target, reduction=red, weight=weight,
                                                          pos_weight=pos_weight)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """-input[i, target_i] (weighted), averaged over the weights of the targets that count."""
    red = _reduction(size_average, reduce, reduction)
    return _nll_loss_nd(input, target, weight, red, ignore_index)


def _nll_loss_nd(input, target, weight, red, ignore_index):
    _no_grad_arg(weight, "nll_loss", "weight")
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    target_batch = target.shape[0] if target.dim() else 0  # PyTorch counts a 0-d target as 0
    if input.dim() != 1 and input.shape[0] != target_batch:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target_batch}).")
    if input.dim() <= 2:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        return _L.NllLossBackward0.apply(input, target=target, reduction=red, weight=weight, ignore_index=ignore_index)
    if input.dim() == 4:
        _check_nd_target(input, target)
        return _L.NllLoss2DBackward0.apply(input, target=target, reduction=red, weight=weight,
                                           ignore_index=ignore_index)
    # 3-d or more than 4-d: PyTorch views the input as (N, C, 1, -1) and uses the 2-d kernel
    _check_nd_target(input, target)
    n, c = input.shape[0], input.shape[1]
    out_size = (n,) + tuple(input.shape[2:])
    x = input.view(n, c, 1, -1) if input.numel() else input.view(n, c, 0, 0)
    t = target.view(n, 1, -1) if target.numel() else target.view(n, 0, 0)
    out = _L.NllLoss2DBackward0.apply(x, target=t, reduction=red, weight=weight, ignore_index=ignore_index)
    return out.view(out_size) if red == _L.NONE else out


def _check_nd_target(input, target):
    if tuple(target.shape[1:]) != tuple(input.shape[2:]):
        expected = (input.shape[0],) + tuple(input.shape[2:])
        raise RuntimeError(f"Expected target size {shape_str(expected)}, got {shape_str(target.shape)}")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """log_softmax over the class dim, then nll_loss (class indices) or -Σ target·log_softmax
    (class probabilities, when target has the input's shape); label smoothing as PyTorch mixes it."""
    red = _reduction(size_average, reduce, reduction)
    class_dim = 0 if input.dim() == 1 else 1
    if input.shape == target.shape:
        if not target.dtype.is_floating_point:
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{target.dtype.scalar_name}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probs(input, target, weight, red, label_smoothing, class_dim)
    if label_smoothing > 0.0:
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
        return _cross_entropy_smoothed(input, target, weight, red, ignore_index, label_smoothing, class_dim)
    return _nll_loss_nd(_api.log_softmax(input, class_dim), target, weight, red, ignore_index)


def _weight_view(weight, ndim, class_dim):
    if ndim <= 1:
        return weight
    shape = [1] * ndim
    shape[class_dim] = weight.shape[0]
    return weight.view(*shape)


def _cross_entropy_probs(input, target, weight, red, label_smoothing, class_dim):
    n_classes = input.shape[class_dim]
    logp = _api.log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * _weight_view(weight, input.dim(), class_dim)
    if red == _L.MEAN:
        if input.numel() == 0:
            return -prod.sum() * float("nan")
        return _M.div_scalar(-prod.sum(), input.numel() // n_classes)
    if red == _L.SUM:
        return -prod.sum()
    return -prod.sum(class_dim)


def _cross_entropy_smoothed(input, target, weight, red, ignore_index, label_smoothing, class_dim):
    n_classes = input.shape[class_dim]
    logp = _api.log_softmax(input, class_dim)
    nll = _nll_loss_nd(logp, target, weight, red, ignore_index)
    ignore = target == ignore_index
    if weight is not None:
        smooth = -(logp * _weight_view(weight, input.dim(), class_dim)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(ignore, 0.0)
    if red == _L.MEAN:
        if weight is not None:
            kept = target._data[~ignore._data].reshape(-1)
            denom = Tensor._make(np.asarray(np.sum(weight._data[kept], dtype=weight._data.dtype)))
        else:
            denom = Tensor._make(np.asarray((~ignore._data).sum(), input.dtype.np))
        ret = smooth.sum() / denom
    elif red == _L.SUM:
        ret = smooth.sum()
    else:
        ret = smooth
    return (_M.mul_scalar(nll, 1 - label_smoothing)
            + _M.mul_scalar(ret, label_smoothing / n_classes))


__all__ = ["relu", "relu_", "sigmoid", "tanh", "leaky_relu", "leaky_relu_", "elu", "elu_", "gelu", "silu",
           "softplus", "softmax", "log_softmax", "linear", "dropout", "mse_loss", "l1_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy"]


# ---- sequence layers: embeddings (nn/sparse.py), attention (nn/attention.py) ----
from .sparse import embedding, one_hot  # noqa: E402
from .attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: E402

__all__ += ["embedding", "one_hot", "multi_head_attention_forward", "scaled_dot_product_attention"]


# ---- convolutional networks: convolution, pooling, normalization (nn/_functional_conv, _pool, _norm) ----
from ._functional_conv import (conv1d, conv2d, conv_transpose1d, conv_transpose2d, dropout2d, fold, pad,  # noqa: E402
                               unfold)
from ._functional_norm import batch_norm, layer_norm  # noqa: E402
from ._functional_pool import adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d  # noqa: E402

__all__ += ["conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d",
            "batch_norm", "layer_norm", "pad", "unfold", "fold", "dropout2d", "conv_transpose1d", "conv_transpose2d"]
