"""Batch norm and layer norm: standardize over some dims R, then scale and shift.

    μ = mean_R x        σ² = mean_R (x - μ)²  (biased)        r = 1 / √(σ² + eps)
    x̂ = (x - μ)·r       out = w·x̂ + b

Batch norm takes R = every dim but the channels (dim 1), with w, b one per channel; layer norm takes
R = the last dims (``normalized_shape``), with w, b shaped like them. Both backwards are the same
formula. With M elements in each group and h = w·g,

    ∂x = P(h),   P(u) = r·(u - mean_R u - x̂·mean_R(x̂·u))   (P is the Jacobian of x̂, symmetric)
    ∂w = Σ g·x̂,   ∂b = Σ g        (summed over the dims w is broadcast along)

Batch norm in eval mode uses the running statistics instead, constants: ∂x = g·w·r.
"""
import numpy as np

from ..node import Node
from ..tensor import Tensor


class _Norm:
    """Where the statistics are taken (dims R), and the dims w and b are broadcast along."""

    def __init__(self, shape, reduce_dims, weight_dims):
        self.reduce_dims, self.weight_dims = tuple(reduce_dims), tuple(weight_dims)
        self.weight_view = tuple(1 if i in self.weight_dims else n for i, n in enumerate(shape))
        self.param_shape = tuple(n for i, n in enumerate(shape) if i not in self.weight_dims)
        self.count = int(np.prod([shape[d] for d in self.reduce_dims]))
        # PyTorch's saved mean / invstd: per channel (batch norm), or per sample keeping dims (layer norm)
        self.stats_shape = (shape[1],) if self.reduce_dims == self.weight_dims else tuple(
            1 if i in self.reduce_dims else n for i, n in enumerate(shape))


def _stats(x, reduce_dims):
    """μ and the biased σ² over ``reduce_dims``, kept broadcastable (NumPy)."""
    mean = x.mean(axis=reduce_dims, keepdims=True)
    return mean, np.square(x - mean).mean(axis=reduce_dims, keepdims=True)


def _affine(xhat, weight, bias, norm):
    out = xhat
    if weight is not None:
        out = out * weight._data.reshape(norm.weight_view)
    if bias is not None:
        out = out + bias._data.reshape(norm.weight_view)
    return out


def _normalized(x, node):
    """x̂, r and P (x̂'s Jacobian, as a function) made of differentiable ops on the tensor x, for the
    formulas that must be differentiated again; in eval mode the statistics are constants."""
    R = node.norm.reduce_dims
    if node.training:
        mean = x.mean(R, keepdim=True)
        r = ((x - mean) * (x - mean)).mean(R, keepdim=True).add(node.eps).pow(-0.5)
    else:
        mean, r = Tensor._make(node.mean), Tensor._make(node.invstd)
    xhat = (x - mean) * r

    def P(u):
        if not node.training:
            return u * r
        return r * (u - u.mean(R, keepdim=True) - xhat * (xhat * u).mean(R, keepdim=True))
    return xhat, r, P


class NativeBatchNormBackward0(Node):
    """out = w·(x - μ)·r + b, μ and r from the batch (training) or the running statistics (eval)

    In training the running statistics move towards the batch's, in place:
        running_mean ← (1 - momentum)·running_mean + momentum·μ
        running_var  ← (1 - momentum)·running_var + momentum·σ²·M/(M - 1)   (unbiased)"""

    def forward(self, input, weight, bias, running_mean, running_var, training, momentum, eps, norm):
        x = input._data
        self.norm, self.training, self.eps = norm, training, eps
        if training:
            mean, var = _stats(x, norm.reduce_dims)
            r = 1 / np.sqrt(var + eps)
            if running_mean is not None:
                m = norm.count
                running_mean._data[...] = (1 - momentum) * running_mean._data + momentum * mean.reshape(-1)
                running_var._data[...] = (1 - momentum) * running_var._data + momentum * var.reshape(-1) * m / (m - 1)
        else:
            mean = running_mean._data.reshape(norm.weight_view).copy()  # later updates must not reach backward
            r = 1 / np.sqrt(running_var._data.reshape(norm.weight_view) + eps)
        self.mean, self.invstd = mean.astype(x.dtype, copy=False), r.astype(x.dtype, copy=False)
        self.save(input=input, weight=weight)
        if training:  # shown as _saved_result1 / _saved_result2, as PyTorch shows its saved statistics
            self.save(result1=Tensor._make(self.mean.reshape(norm.stats_shape)),
                      result2=Tensor._make(self.invstd.reshape(norm.stats_shape)))
        return _affine((x - self.mean) * self.invstd, weight, bias, norm).astype(x.dtype, copy=False)

    def backward(self, g):
        return NativeBatchNormBackwardBackward0.apply(g, self.saved("input"), self._weight(), **self._stats())

    def jvp(self, dx, dw, db):
        """d(out) = w·P(dx) + dw·x̂ + db   (P the Jacobian of x̂; in eval mode P(dx) = dx·r)"""
        x, w, _ = self.inputs
        xhat, _, P = _normalized(x, self)
        view = self.norm.weight_view
        out = P(dx) if w is None else w.view(view) * P(dx)
        if dw is not None:
            out = out + dw.view(view) * xhat
        return out if db is None else out + db.view(view)

    def _weight(self):
        return self.saved("weight") if "weight" in self._saved else None

    def _stats(self):
        return dict(mean=self.mean, invstd=self.invstd, training=self.training, eps=self.eps, norm=self.norm)


class NativeLayerNormBackward0(NativeBatchNormBackward0):
    """out = w·(x - μ)·r + b, μ and r over the last dims (``normalized_shape``) of each sample"""

    def forward(self, input, weight, bias, eps, norm):
        return super().forward(input, weight, bias, None, None, True, 0.0, eps, norm)

    def backward(self, g):
        return NativeLayerNormBackwardBackward0.apply(g, self.saved("input"), self._weight(), **self._stats())


class NativeBatchNormBackwardBackward0(Node):
    """(∂x, ∂w, ∂b) of the normalization, from g, x and w (the formulas of the module docstring).

    Differentiating Σ ggx·∂x + ggw·∂w + ggb·∂b once more (h = w·g, ⟨·,·⟩ sums over R):
        ∂g = w·P(ggx) + ggw·x̂ + ggb        ∂w = Σ g·P(ggx)
        ∂x = P(g·ggw) - (r²x̂/M)·(⟨ggx, h⟩ - mean_R h·Σ_R ggx - ⟨x̂, h⟩⟨ggx, x̂⟩/M)
             - (r/M)·(⟨ggx, x̂⟩·P(h) + ⟨x̂, h⟩·P(ggx))
    (r and x̂ depend on x: dr = -r²x̂/M, and P is x̂'s Jacobian.) In eval mode r is a constant:
        ∂g = w·r·ggx + ggw·x̂ + ggb,   ∂w = Σ g·r·ggx,   ∂x = g·ggw·r"""
    num_outputs = 3

    def forward(self, g, input, weight, mean, invstd, training, eps, norm):
        r = invstd
        self.norm, self.training, self.eps = norm, training, eps
        self.save(grad_out=g, input=input, weight=weight)
        if not training:
            self.mean, self.invstd = mean, r  # the running statistics: constants
        gy, x = g._data, input._data
        xhat = (x - mean) * r
        h = gy if weight is None else gy * weight._data.reshape(norm.weight_view)
        if self.training:
            R = norm.reduce_dims
            gx = r * (h - h.mean(axis=R, keepdims=True) - xhat * (h * xhat).mean(axis=R, keepdims=True))
        else:
            gx = h * r
        if weight is None:
            gw = gb = np.zeros(norm.param_shape, x.dtype)
        else:
            gw, gb = (gy * xhat).sum(axis=norm.weight_dims), gy.sum(axis=norm.weight_dims)
        return gx.astype(x.dtype, copy=False), gw.astype(x.dtype, copy=False), gb.astype(x.dtype, copy=False)

    def backward(self, ggx, ggw, ggb):
        g, x = self.saved("grad_out"), self.saved("input")
        w = self.saved("weight") if "weight" in self._saved else None
        norm, R, M = self.norm, self.norm.reduce_dims, self.norm.count
        wb = None if w is None else w.view(norm.weight_view)
        ggw_b, ggb_b = ggw.view(norm.weight_view), ggb.view(norm.weight_view)
        xhat, r, P = _normalized(x, self)
        h = g if wb is None else g * wb

        P_ggx = P(ggx)
        d_g = d_x = d_w = None
        if self.needs_input_grad(0):
            d_g = (P_ggx if wb is None else wb * P_ggx) + ggw_b * xhat + ggb_b
        if self.needs_input_grad(2):
            d_w = (g * P_ggx).sum(norm.weight_dims).view(w.shape)
        if self.needs_input_grad(1):
            if not self.training:
                d_x = g * ggw_b * r
            else:
                def dot(a, b):
                    return (a * b).sum(R, keepdim=True)
                xh_h, ggx_xh = dot(xhat, h), dot(ggx, xhat)
                d_x = (P(g * ggw_b)
                       - r * r * xhat / M * (dot(ggx, h) - h.mean(R, keepdim=True) * ggx.sum(R, keepdim=True)
                                             - xh_h * ggx_xh / M)
                       - r / M * (ggx_xh * P(h) + xh_h * P_ggx))
        return d_g, d_x, d_w


class NativeLayerNormBackwardBackward0(NativeBatchNormBackwardBackward0):
    """(∂x, ∂w, ∂b) of layer norm, and their own derivatives: the batch-norm formulas, R = the last dims"""


def batch_norm_layout(shape):
    """Batch norm over (N, C, *): statistics over every dim but 1, w and b broadcast along them."""
    dims = [d for d in range(len(shape)) if d != 1]
    return _Norm(shape, dims, dims)


def layer_norm_layout(shape, normalized_ndim):
    """Layer norm over the last ``normalized_ndim`` dims; w and b broadcast along the leading ones."""
    lead = len(shape) - normalized_ndim
    return _Norm(shape, range(lead, len(shape)), range(lead))
