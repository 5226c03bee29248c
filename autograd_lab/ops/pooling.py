"""2-d max and average pooling over the last two dims of (N, C, H, W) or (C, H, W); PyTorch's 1-d
pooling is this with H = 1 (the functional layer unsqueezes and squeezes, as PyTorch does).

Windows are taken as in a convolution (``conv._windows``): ``k`` taps spaced ``dilation`` apart,
moved ``stride`` at a time over the padded input. The output has, per spatial dim,

    out = ⌊(L + 2p - d·(k - 1) - 1) / s⌋ + 1        (⌈…⌉ with ceil_mode, minus one if the last
                                                      window would start in the right padding)
"""
import numpy as np

from ..node import Node
from ..tensor import Tensor
from .conv import _col2im, _unpad, _windows, pad_zeros


def pool_geometry(sizes, kernel, stride, padding, dilation, ceil_mode):
    """The output sizes, and the (before, after) padding that gives every window its full taps
    (with ceil_mode the last window may reach past the padding on the right)."""
    out, pads = [], []
    for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation):
        span = d * (k - 1) + 1
        o = (n + 2 * p - span + ((s - 1) if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= n + p:
            o -= 1
        out.append(o)
        pads.append((p, max(p, (o - 1) * s + span - n - p)))
    return tuple(out), tuple(pads)


def _batched(x):
    return x if x.ndim == 4 else x[None]


def max_pool2d_arrays(x, kernel, stride, padding, dilation, ceil_mode):
    """(values, indices) of 2-d max pooling, as NumPy arrays."""
    batched = _batched(x)
    out, pads = pool_geometry(batched.shape[2:], kernel, stride, padding, dilation, ceil_mode)
    lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    win = _windows(pad_zeros(batched, pads, lowest), kernel, stride, dilation)
    win = win.reshape(win.shape[:4] + (-1,))
    tap = np.argmax(win, axis=-1)  # the first maximum, as PyTorch picks; a NaN wins
    values = np.take_along_axis(win, tap[..., None], axis=-1)[..., 0]
    kh, kw = np.unravel_index(tap, kernel)
    rows = np.arange(out[0])[:, None] * stride[0] - padding[0] + kh * dilation[0]
    cols = np.arange(out[1])[None, :] * stride[1] - padding[1] + kw * dilation[1]
    indices = (rows * batched.shape[3] + cols).astype(np.int64)
    if x.ndim == 3:
        values, indices = values[0], indices[0]
    return np.ascontiguousarray(values), np.ascontiguousarray(indices)


class MaxPool2DWithIndicesBackward0(Node):
    """out = the largest element of each window; indices = where it is (h·W + w in its plane)

    ∂a = g sent to the position each window's maximum came from (added where windows overlap)"""

    def forward(self, a, kernel, stride, padding, dilation, ceil_mode):
        values, indices = max_pool2d_arrays(a._data, kernel, stride, padding, dilation, ceil_mode)
        self.indices_out = indices
        self.save(self=a, result1=Tensor._make(indices))  # PyTorch's names: the indices are its output 1
        return values

    def backward(self, g):
        return MaxPool2DWithIndicesBackwardBackward0.apply(g, self.saved("self"), self.saved("result1"))

    def jvp(self, da):
        """d(out) = da read at each window's maximum"""
        return _gather(da, self.indices_out)


class MaxPool2DWithIndicesBackwardBackward0(Node):
    """out = zeros shaped like a, with each g added at its window's index        ∂g = gg read back at
    the indices (a gather),   ∂a = 0 (the indices do not move for a small change of a)"""

    def forward(self, g, a, indices):
        self.save(indices=indices)
        idx = indices._data.reshape(-1, indices._data.shape[-2] * indices._data.shape[-1])
        out = np.zeros((idx.shape[0], a._data.shape[-2] * a._data.shape[-1]), g._data.dtype)
        np.add.at(out, (np.arange(idx.shape[0])[:, None], idx), g._data.reshape(idx.shape))
        return out.reshape(a._data.shape)

    def backward(self, gg):
        return (_gather(gg, self.saved("indices")._data) if self.needs_input_grad(0) else None), None, None

    def jvp(self, dg, da, dindices):
        """linear in g: d(out) = dg scattered to the same indices"""
        return MaxPool2DWithIndicesBackwardBackward0.apply(dg, self.inputs[1], self.inputs[2])


def _gather(t, indices):
    """t (…, H, W) read at ``indices`` (…, oH, oW), flat positions h·W + w in each plane (differentiable)."""
    planes = indices.reshape(-1, indices.shape[-2] * indices.shape[-1])
    flat = t.reshape(planes.shape[0], -1)
    rows = Tensor._make(np.arange(planes.shape[0])[:, None])
    return flat[rows, Tensor._make(planes)].reshape(indices.shape)


def _avg_divisor(sizes, out, kernel, stride, padding, count_include_pad, divisor_override):
    """What each window's sum is divided by: its size within the padded input (count_include_pad),
    or the number of real input elements it covers, or divisor_override."""
    if divisor_override:
        return np.full(out, divisor_override)
    per_dim = []
    for n, o, k, s, p in zip(sizes, out, kernel, stride, padding):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if count_include_pad:
            per_dim.append(end - start)
        else:
            per_dim.append(np.minimum(end, n) - np.maximum(start, 0))
    return per_dim[0][:, None] * per_dim[1][None, :]


class AvgPool2DBackward0(Node):
    """out = (sum of each window) / divisor        ∂a = g / divisor spread over each window's taps"""

    def forward(self, a, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
        self.params = dict(kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                           count_include_pad=count_include_pad, divisor_override=divisor_override)
        self.save(self=a)
        x = _batched(a._data)
        out, pads = pool_geometry(x.shape[2:], kernel, stride, padding, (1, 1), ceil_mode)
        div = _avg_divisor(x.shape[2:], out, kernel, stride, padding, count_include_pad, divisor_override)
        win = _windows(pad_zeros(x, pads), kernel, stride, (1, 1))
        y = (win.sum(axis=(-2, -1)) / div).astype(x.dtype, copy=False)
        return np.ascontiguousarray(y if a._data.ndim == 4 else y[0])

    def backward(self, g):
        return AvgPool2DBackwardBackward0.apply(g, self.saved("self"), params=self.params)

    def jvp(self, da):
        """linear: d(out) = avg_pool2d(da)"""
        return AvgPool2DBackward0.apply(da, **self.params)


class AvgPool2DBackwardBackward0(Node):
    """out = each g / divisor added back over its window's taps        ∂g = avg_pool2d(gg) with the same
    parameters (the map is linear in g and this is its adjoint),   ∂a = 0"""

    def forward(self, g, a, params):
        self.params = params
        kernel, stride, padding, ceil_mode, count_include_pad, divisor_override = params.values()
        x, gy = _batched(a._data), _batched(g._data)
        out, pads = pool_geometry(x.shape[2:], kernel, stride, padding, (1, 1), ceil_mode)
        div = _avg_divisor(x.shape[2:], out, kernel, stride, padding, count_include_pad, divisor_override)
        share = (gy / div).astype(gy.dtype, copy=False)
        cols = np.broadcast_to(share[..., None, None], share.shape + tuple(kernel))
        padded = x.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
        gx = _unpad(_col2im(cols, padded, stride, (1, 1)), pads)
        return np.ascontiguousarray(gx if a._data.ndim == 4 else gx[0])

    def backward(self, gg):
        return (AvgPool2DBackward0.apply(gg, **self.params) if self.needs_input_grad(0) else None), None

    def jvp(self, dg, da):
        """linear in g: d(out) = the same spreading of dg"""
        return AvgPool2DBackwardBackward0.apply(dg, self.inputs[1], params=self.params)


def adaptive_regions(n, out):
    """The [start, end) of each of ``out`` regions over ``n`` positions: ⌊i·n/out⌋ to ⌈(i+1)·n/out⌉."""
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]


class AdaptiveAvgPool2DBackward0(Node):
    """out[i, j] = mean of a over rows ⌊i·H/oH⌋…⌈(i+1)·H/oH⌉ and the like columns (regions may overlap)

    ∂a = each g[i, j] / (region size) added over its region"""

    def forward(self, a, output_size):
        self.output_size = output_size
        self.save(self=a)
        x = a._data
        rows, cols = (adaptive_regions(n, o) for n, o in zip(x.shape[-2:], output_size))
        out = np.empty(x.shape[:-2] + tuple(output_size), x.dtype)
        for i, (r0, r1) in enumerate(rows):
            for j, (c0, c1) in enumerate(cols):
                out[..., i, j] = x[..., r0:r1, c0:c1].mean(axis=(-2, -1))
        return out

    def backward(self, g):
        return AdaptiveAvgPool2DBackwardBackward0.apply(g, self.saved("self"))

    def jvp(self, da):
        """linear: d(out) = adaptive_avg_pool2d(da)"""
        return AdaptiveAvgPool2DBackward0.apply(da, output_size=self.output_size)


class AdaptiveAvgPool2DBackwardBackward0(Node):
    """out = each g[i, j] / (region size) spread over its region        ∂g = adaptive_avg_pool2d(gg)
    (the adjoint of this linear map),   ∂a = 0"""

    def forward(self, g, a):
        self.output_size = g._data.shape[-2:]
        x, gy = a._data, g._data
        rows, cols = (adaptive_regions(n, o) for n, o in zip(x.shape[-2:], self.output_size))
        gx = np.zeros(x.shape, gy.dtype)
        for i, (r0, r1) in enumerate(rows):
            for j, (c0, c1) in enumerate(cols):
                gx[..., r0:r1, c0:c1] += (gy[..., i, j] / ((r1 - r0) * (c1 - c0)))[..., None, None]
        return gx

    def backward(self, gg):
        return (AdaptiveAvgPool2DBackward0.apply(gg, output_size=self.output_size)
                if self.needs_input_grad(0) else None), None

    def jvp(self, dg, da):
        """linear in g: d(out) = the same spreading of dg"""
        return AdaptiveAvgPool2DBackwardBackward0.apply(dg, self.inputs[1])
