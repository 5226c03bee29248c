"""Reductions. Their backward spreads the incoming gradient back over the reduced dimensions."""
import warnings

import numpy as np

from .. import _warnings
from ..node import Node
from ..tensor import Tensor
from .arithmetic import _zeros, mul_scalar, where
from .gather_scatter import GatherBackward0, ScatterBackward0


def _unsqueeze_dims(g, dims, keepdim):
    """Put back the reduced dims (size 1) so ``g`` broadcasts against the input."""
    if keepdim:
        return g
    for d in dims:
        g = g.unsqueeze(d)
    return g


class SumBackward0(Node):
    """out = Σ a        ∂a = g broadcast to a's shape"""

    def forward(self, a, dtype=None):
        self.shape = a.shape
        return np.asarray(np.sum(a._data, dtype=dtype.np if dtype else _sum_dtype(a)))

    def backward(self, g):
        return g.expand(self.shape)

    def jvp(self, da):
        """d(out) = Σ da"""
        return da.sum()


class SumBackward1(Node):
    """out = Σ a over dims        ∂a = g, with the summed dims put back, broadcast to a's shape"""

    def forward(self, a, dims, keepdim=False, dtype=None):
        self.shape, self.dims, self.keepdim = a.shape, dims, keepdim
        return np.asarray(np.sum(a._data, axis=dims, keepdims=keepdim,
                                 dtype=dtype.np if dtype else _sum_dtype(a)))

    def backward(self, g):
        return _unsqueeze_dims(g, self.dims, self.keepdim).expand(self.shape)

    def jvp(self, da):
        """d(out) = Σ da over the same dims"""
        return da.sum(self.dims, keepdim=self.keepdim)


def _sum_dtype(a):
    return np.int64 if not a._dtype.is_floating_point else a._data.dtype


class MeanBackward0(Node):
    """out = Σ a / N        ∂a = g / N everywhere"""

    def forward(self, a, dtype=None):
        self.shape, self.n = a.shape, a._data.size
        dt = dtype.np if dtype is not None else a._data.dtype
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.mean(a._data, dtype=dt), dtype=dt)

    def backward(self, g):
        return g.expand(self.shape) / self.n

    def jvp(self, da):
        """d(out) = mean of da"""
        return da.mean()


class MeanBackward1(Node):
    """out = mean of a over dims        ∂a = g / (number of elements averaged)"""

    def forward(self, a, dims, keepdim=False, dtype=None):
        self.shape, self.dims, self.keepdim = a.shape, dims, keepdim
        self.n = int(np.prod([a.shape[d] for d in dims])) if dims else 1
        dt = dtype.np if dtype is not None else a._data.dtype
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.mean(a._data, axis=dims, keepdims=keepdim, dtype=dt), dtype=dt)

    def backward(self, g):
        return _unsqueeze_dims(g, self.dims, self.keepdim).expand(self.shape) / self.n

    def jvp(self, da):
        """d(out) = mean of da over the same dims"""
        return da.mean(self.dims, keepdim=self.keepdim)


class _EvenlyDistributed(Node):
    """max/min of everything: the gradient is shared equally among the tied extreme elements."""
    save_result = True

    def forward(self, a):
        if a._data.size == 0:
            raise RuntimeError(f"{self._fn}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        self.save(self=a)
        return np.asarray(self._np(a._data))

    def backward(self, g):
        a, r = self.saved("self"), self.result
        # a NaN result came from the NaNs: they share the gradient (NaN != NaN would find none)
        mask = a.isnan() if bool(np.isnan(r._data).any()) else a == r
        return mask * (g / mask.sum())

    def jvp(self, da):
        """d(out) = the mean of da over the k tied extreme elements"""
        a, r = self.inputs[0], self.output
        mask = a.isnan() if bool(np.isnan(r._data).any()) else a == r
        return (da * mask).sum() / mask.sum()


class MaxBackward1(_EvenlyDistributed):
    """out = max a        ∂a = g / k at each of the k maximal elements"""
    _np, _fn = staticmethod(np.max), "max"


class MinBackward1(_EvenlyDistributed):
    """out = min a        ∂a = g / k at each of the k minimal elements"""
    _np, _fn = staticmethod(np.min), "min"


class _ValueSelecting(Node):
    """max/min along a dim: the gradient goes to the selected index only."""

    def forward(self, a, dim, keepdim=False):
        if a._data.ndim and a._data.shape[dim] == 0:
            raise IndexError(f"{self._fn}(): Expected reduction dim {dim} to have non-zero size.")
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        x = a._data
        idx = self._arg(x, axis=dim, keepdims=True) if x.ndim else np.zeros((), np.int64)
        values = np.take_along_axis(x, idx, axis=dim) if x.ndim else x.copy()
        self.save(indices=Tensor._make(idx.astype(np.int64)))  # PyTorch saves (and frees) the indices
        if not keepdim and x.ndim:
            values, idx = values.squeeze(dim), idx.squeeze(dim)
        self.indices_out = idx.astype(np.int64)
        return values

    def backward(self, g):
        indices = self.saved("indices")._data
        if not len(self.shape):
            return g
        g = g if self.keepdim else g.unsqueeze(self.dim)
        zeros = Tensor._make(np.zeros(self.shape, g._data.dtype))
        return ScatterBackward0.apply(zeros, g, dim=self.dim, indices=indices)

    def jvp(self, da):
        """d(values) = da at the selected index along dim"""
        idx = self.indices_out if self.keepdim or not len(self.shape) else np.expand_dims(self.indices_out, self.dim)
        if not len(self.shape):
            return da.clone()
        picked = GatherBackward0.apply(da, dim=self.dim, indices=idx)
        return picked if self.keepdim else picked.squeeze(self.dim)


# NumPy's argmax / argmin already pick as PyTorch does: a NaN is the extreme (the first NaN of the
# row, even after an inf: mapping NaN to inf would let [inf, nan] pick the inf), else the first of
# tied extremes.
class MaxBackward0(_ValueSelecting):
    """values = max of a along dim        ∂a = g at the argmax, 0 elsewhere"""
    _arg, _fn = staticmethod(np.argmax), "max"


class MinBackward0(_ValueSelecting):
    """values = min of a along dim        ∂a = g at the argmin, 0 elsewhere"""
    _arg, _fn = staticmethod(np.argmin), "min"


class AmaxBackward0(Node):
    """out = max over dims        ∂a = g shared equally among the tied maxima"""
    save_result = True
    _np = staticmethod(np.max)

    def forward(self, a, dims, keepdim=False):
        self.dims, self.keepdim = dims, keepdim
        self.save(self=a)
        return np.asarray(self._np(a._data, axis=dims, keepdims=keepdim))

    def backward(self, g):
        r = _unsqueeze_dims(self.result, self.dims, self.keepdim)
        mask = self.saved("self") == r
        g = _unsqueeze_dims(g, self.dims, self.keepdim)
        return mask * (g / mask.sum(self.dims, keepdim=True))

    def jvp(self, da):
        """d(out) = the mean of da over the tied extremes of each slice"""
        mask = self.inputs[0] == _unsqueeze_dims(self.output, self.dims, self.keepdim)
        return (da * mask).sum(self.dims, keepdim=self.keepdim) / mask.sum(self.dims, keepdim=self.keepdim)


class AminBackward0(AmaxBackward0):
    """out = min over dims        ∂a = g shared equally among the tied minima"""
    _np = staticmethod(np.min)


class LinalgVectorNormBackward0(Node):
    """out = (Σ |a|ᵖ)^(1/p)        ∂a = g·a·|a|ᵖ⁻² / outᵖ⁻¹   (p = 2: g·a / out; 0 where out = 0)"""
    save_result = True

    def forward(self, a, ord=2, dims=None, keepdim=False):
        self.ord, self.dims, self.keepdim = ord, dims, keepdim
        self.save(self=a)
        x = np.abs(a._data)
        axis = dims
        if ord == float("inf"):
            r = np.max(x, axis=axis, keepdims=keepdim)
        elif ord == 2:
            r = np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdim))
        elif ord == 1:
            r = np.sum(x, axis=axis, keepdims=keepdim)
        elif ord == 0:
            r = np.sum(x != 0, axis=axis, keepdims=keepdim).astype(x.dtype)
        else:
            r = np.sum(x ** ord, axis=axis, keepdims=keepdim) ** (1.0 / ord)
        return np.asarray(r, dtype=a._data.dtype)

    def backward(self, g):
        a = self.saved("self")
        r = _unsqueeze_dims(self.result, self.dims or (), self.keepdim or self.dims is None)
        g = _unsqueeze_dims(g, self.dims or (), self.keepdim or self.dims is None)
        p = self.ord
        if p == 0:
            return _zeros(a.shape, g.dtype)
        if p == 1:
            return a.sgn() * g
        if p == 2:
            return g * (a / r).masked_fill(r == 0, 0)  # PyTorch's order: a rounding-for-rounding match
        if p == float("inf"):
            # the maxima (and NaNs, which made the norm NaN) share the gradient
            mask = (a.abs() == r) | a.abs().isnan()
            return a.sgn() * ((g / mask.sum(self.dims, keepdim=True)) * mask)
        return a * a.abs() ** (p - 2) * where(r == 0, 0.0, g / r ** (p - 1))

    def jvp(self, da):
        """d(out) = Σ ∂out/∂a · da   (the backward's weights with g = 1, summed against da)"""
        a, p = self.inputs[0], self.ord
        keep = self.keepdim or self.dims is None
        r = _unsqueeze_dims(self.output, self.dims or (), keep)
        if p == 0:
            return _zeros(self.output.shape, da.dtype)
        if p == 1:
            w = a.sgn()
        elif p == 2:
            w = (a / r).masked_fill(r == 0, 0)
        elif p == float("inf"):
            mask = (a.abs() == r) | a.abs().isnan()
            w = a.sgn() * mask / mask.sum(self.dims, keepdim=True)
        else:
            w = a * a.abs() ** (p - 2) * where(r == 0, 0.0, 1 / r ** (p - 1))
        return (w * da).sum(self.dims, keepdim=self.keepdim)


def _scale(num, dof):
    """num / dof as C does it: 2 / 0 is inf (a single element with correction 1), not an exception."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(num) / np.float64(dof))


class VarBackward0(Node):
    """out = Σ (a - mean)² / (N - correction)        ∂a = g·2·(a - mean) / (N - correction)"""
    _op = "var"  # the name PyTorch's degrees-of-freedom warning gives

    def forward(self, a, dims, correction=1, keepdim=False, grad_count=None, whole=False):
        self.dims, self.keepdim, self.correction = dims, keepdim, correction
        self.whole = whole or a._data.ndim == 0  # no dim given: PyTorch's backward takes the overall mean
        self.save(self=a)
        n = int(np.prod([a.shape[d] for d in dims])) if dims else 1
        # grad_count: PyTorch's backward counts N over the dims as written, so dim=() gives N = 1
        self.dof = (n if grad_count is None else grad_count) - correction
        if n - correction <= 0:
            _warnings.warn(f"{self._op}(): degrees of freedom is <= 0. "
                           "Correction should be strictly less than the reduction factor (input numel divided by "
                           "output numel).")
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own word for the same thing
            return np.asarray(np.var(a._data, axis=dims, ddof=correction, keepdims=keepdim),
                              dtype=a._data.dtype)

    def backward(self, g):
        return self._var_grad(g)

    def _var_grad(self, g):
        # PyTorch's var_backward, step for step (so a create_graph graph has its nodes)
        a = self.saved("self")
        if self.whole:
            if self.dof <= 0:  # 2 / 0: NaN where a equals its mean (inf·0), inf elsewhere
                return g * where(a == a.mean(), float("nan"), float("inf"))
            return mul_scalar(g, _scale(2.0, self.dof)) * (a - a.mean())
        if not self.keepdim and a.dim() > 1:
            g = _unsqueeze_dims(g, self.dims, False)
        return mul_scalar(g, _scale(2.0, self.dof)) * (a - a.mean(self.dims, keepdim=True))

    def jvp(self, da):
        """d(out) = Σ 2·(a - mean)·da / (N - correction) over the same dims"""
        a = self.inputs[0]
        centred = a - (a.mean() if self.whole else a.mean(self.dims, keepdim=True))
        out = mul_scalar((centred * da).sum(self.dims, keepdim=self.keepdim), _scale(2.0, self.dof))
        if type(self) is StdBackward0:  # d√v = dv / (2√v), 0 where the spread is 0
            r = self.output
            out = (out / mul_scalar(r, 2)).masked_fill(r == 0, 0)
        return out


class StdBackward0(VarBackward0):
    """out = √var(a)        ∂a = g·(a - mean) / ((N - correction)·out)   (0 where out = 0)"""
    save_result = True
    _op = "std"

    def forward(self, a, dims, correction=1, keepdim=False, grad_count=None, whole=False):
        v = super().forward(a, dims, correction, keepdim, grad_count, whole)
        return np.sqrt(v)

    def backward(self, g):
        r = self.result
        # where the spread is 0 the derivative of √ is infinite; PyTorch defines it as 0
        return self._var_grad((g / mul_scalar(r, 2)).masked_fill(r == 0, 0))


class LogsumexpBackward0(Node):
    """out = log Σ eᵃ        ∂a = g·e^(a - out)"""
    save_result = True

    def forward(self, a, dims, keepdim=False):
        self.dims, self.keepdim = dims, keepdim
        self.save(self=a)
        x = a._data
        m = np.max(x, axis=dims, keepdims=True, initial=-np.inf)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore", over="ignore"):
            r = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)) + m
        return (r if keepdim else np.squeeze(r, axis=dims)).astype(x.dtype, copy=False)

    def backward(self, g):
        r = _unsqueeze_dims(self.result, self.dims, self.keepdim)
        g = _unsqueeze_dims(g, self.dims, self.keepdim)
        return g * (self.saved("self") - r).exp()

    def jvp(self, da):
        """d(out) = Σ softmax(a)·da over the same dims"""
        r = _unsqueeze_dims(self.output, self.dims, self.keepdim)
        return (da * (self.inputs[0] - r).exp()).sum(self.dims, keepdim=self.keepdim)


class ProdBackward0(Node):
    """out = Π a        ∂a = g·Π of the other elements   (= g·out / a when no element is 0)"""
    save_result = True

    def forward(self, a):
        self.save(self=a)
        x = a._data
        dt = np.int64 if not a._dtype.is_floating_point else x.dtype
        return np.asarray(np.prod(x, dtype=dt))

    def backward(self, g):
        x = self.saved("self")
        if x.dim() == 0:
            return g
        data = x._data
        if not (data == 0).any():
            return g * (self.result / x)
        # with zeros, out / a is 0/0: multiply the products before and after each element instead
        # (exclusive prefix × suffix; constant in a, so a second derivative through here is lost)
        flat = data.reshape(-1)
        before = np.concatenate([[1], np.cumprod(flat[:-1])]).astype(flat.dtype)
        after = np.concatenate([np.cumprod(flat[::-1][:-1])[::-1], [1]]).astype(flat.dtype)
        return g * Tensor._make((before * after).reshape(data.shape))

    def jvp(self, da):
        """d(out) = Σ da·Π of the other elements"""
        a = self.inputs[0]
        if a.dim() == 0:
            return da.clone()
        data = a._data
        if not (data == 0).any():
            return (da * (self.output / a)).sum()
        flat = data.reshape(-1)
        before = np.concatenate([[1], np.cumprod(flat[:-1])]).astype(flat.dtype)
        after = np.concatenate([np.cumprod(flat[::-1][:-1])[::-1], [1]]).astype(flat.dtype)
        return (da * Tensor._make((before * after).reshape(data.shape))).sum()


class CumsumBackward0(Node):
    """out[..., i, ...] = Σ_{j ≤ i} a[..., j, ...] along dim
    ∂a = the reversed cumulative sum of g: ∂a[i] = Σ_{j ≥ i} g[j]"""

    def forward(self, a, dim, dtype=None):
        self.dim, self.in_dtype = dim, a.dtype
        x = a._data
        # integers (and bools) accumulate in int64, as PyTorch's; floats keep their dtype
        dt = dtype.np if dtype is not None else (x.dtype if a._dtype.is_floating_point else np.int64)
        if x.ndim == 0:
            return x.astype(dt)
        return np.cumsum(x, axis=dim, dtype=dt)

    def backward(self, g):
        if g.dtype is not self.in_dtype:
            g = g.to(self.in_dtype)  # cumsum(dtype=...) casts the input first: cast back
        if g.dim() == 0 or g.numel() <= 1 or g.shape[self.dim] == 1:
            return g
        return g.flip(self.dim).cumsum(self.dim).flip(self.dim)

    def jvp(self, da):
        """d(out) = cumsum of da"""
        return da.cumsum(self.dim)
