"""Convolution (1-d and 2-d, any stride, padding, dilation and groups), as one node.

A convolution looks at every receptive field of the input: a window of ``k`` taps spaced
``dilation`` apart, moved ``stride`` at a time over the zero-padded input. ``_windows`` returns all
of them at once as a strided view, shaped ``(N, C, *out, *kernel)``; laid out as one row per window
(im2col) the convolution is one matrix product of those rows with the filters.

With groups ``G`` the channels split into ``G`` independent convolutions: input channel block ``g``
(``C/G`` channels) meets only the filters of output block ``g`` (``C_out/G`` filters).
Below: n batch, g group, c input channel within the group, f filter within the group, o output
position (flattened), k kernel tap (flattened).

    y[n, g·F+f, o] = Σ_c Σ_k  x_window[n, g·C+c, o, k] · w[g·F+f, c, k]  + b[g·F+f]

Its backward is the same contraction read the other two ways round:

    ∂w[g·F+f, c, k] = Σ_n Σ_o  x_window[n, g·C+c, o, k] · gy[n, g·F+f, o]
    ∂x_window[n, g·C+c, o, k] = Σ_f  gy[n, g·F+f, o] · w[g·F+f, c, k]     (then each window is
                                 added back where it came from: col2im, a "transposed convolution")
    ∂b = Σ over batch and positions of gy
"""
import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..node import Node


def _windows(x, kernel, stride, dilation):
    """Every receptive field of ``x`` (N, C, *spatial), as a view shaped (N, C, *out, *kernel)."""
    nd = len(kernel)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    w = sliding_window_view(x, span, axis=tuple(range(2, 2 + nd)))
    return w[(slice(None),) * 2 + tuple(slice(None, None, s) for s in stride)
             + tuple(slice(None, None, d) for d in dilation)]


def _col2im(cols, padded_shape, stride, dilation):
    """The adjoint of ``_windows``: add each window (N, C, *out, *kernel) back where it was taken from."""
    nd = len(stride)
    out, kernel = cols.shape[2:2 + nd], cols.shape[2 + nd:]
    acc = np.zeros(padded_shape, cols.dtype)
    for tap in itertools.product(*(range(k) for k in kernel)):
        where = tuple(slice(t * d, t * d + s * (o - 1) + 1, s) for t, d, s, o in zip(tap, dilation, stride, out))
        acc[(slice(None),) * 2 + where] += cols[(Ellipsis,) + tap]
    return acc


def pad_zeros(x, padding, value=0):
    """Pad the spatial dims of (N, C, *spatial) by ``padding``, a (before, after) pair per dim."""
    if not any(lo or hi for lo, hi in padding):
        return x
    return np.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in padding], constant_values=value)


def _unpad(x, padding):
    return x[(slice(None),) * 2 + tuple(slice(lo, x.shape[2 + i] - hi) for i, (lo, hi) in enumerate(padding))]


def _columns(x, kernel, geom):
    """im2col: the windows of x as one matrix per group, (N, G, O, C/G·K), and the output's spatial shape."""
    stride, padding, dilation, groups = geom
    win = _windows(pad_zeros(x, padding), kernel, stride, dilation)  # (N, C, *out, *kernel)
    n, c = win.shape[:2]
    out = win.shape[2:2 + len(kernel)]
    o, k = int(np.prod(out)), int(np.prod(kernel))
    win = win.reshape(n, groups, c // groups, o, k)
    return win.transpose(0, 1, 3, 2, 4).reshape(n, groups, o, c // groups * k), out


def _weight_matrix(w, groups):
    """w (C_out, C/G, *kernel) as (G, C_out/G, C/G·K)."""
    return w.reshape(groups, w.shape[0] // groups, int(np.prod(w.shape[1:])))


def _grouped_output(gy, groups):
    """gy (N, C_out, *out) as (N, G, C_out/G, O)."""
    return gy.reshape(gy.shape[0], groups, gy.shape[1] // groups, int(np.prod(gy.shape[2:])))


def conv_forward(x, w, geom):
    """y (N, C_out, *out) = the convolution of x (N, C, *in) with w (C_out, C/G, *kernel):
    per group, (windows as rows) @ (filters as columns), then positions and filters swapped back."""
    cols, out = _columns(x, w.shape[2:], geom)
    y = cols @ _weight_matrix(w, geom[3]).transpose(0, 2, 1)  # (N, G, O, F)
    return np.ascontiguousarray(y.transpose(0, 1, 3, 2)).reshape((x.shape[0], w.shape[0]) + out)


def conv_grad_input(gy, w, x_shape, geom):
    """∂x: every window's share Σ_f gy·w, added back into the (padded) input, padding cut off."""
    stride, padding, dilation, groups = geom
    n, kernel = gy.shape[0], w.shape[2:]
    cols = _grouped_output(gy, groups).transpose(0, 1, 3, 2) @ _weight_matrix(w, groups)  # (N, G, O, C/G·K)
    cols = cols.reshape(n, groups, cols.shape[2], w.shape[1], int(np.prod(kernel))).transpose(0, 1, 3, 2, 4)
    cols = cols.reshape((n, x_shape[1]) + gy.shape[2:] + kernel)
    padded = tuple(x_shape[:2]) + tuple(s + lo + hi for s, (lo, hi) in zip(x_shape[2:], padding))
    return np.ascontiguousarray(_unpad(_col2im(cols, padded, stride, dilation), padding))


def conv_grad_weight(x, gy, w_shape, geom):
    """∂w = Σ over batch and output positions of (x's window) · gy: per group, gy @ windows."""
    groups = geom[3]
    cols, _ = _columns(x, w_shape[2:], geom)  # (N, G, O, C/G·K)
    n, o = cols.shape[0], cols.shape[2]
    gyg = _grouped_output(gy, groups).transpose(1, 2, 0, 3).reshape(groups, w_shape[0] // groups, n * o)
    gw = gyg @ cols.transpose(1, 0, 2, 3).reshape(groups, n * o, cols.shape[3])
    return np.ascontiguousarray(gw.reshape(w_shape))


def transposed_size(x_shape, w_shape, geom, output_padding):
    """The output shape of a transposed convolution: the input shape of the convolution it is the
    adjoint of, (L - 1)·s - 2p + d·(k - 1) + 1, plus output_padding (which only the bias reaches)."""
    stride, padding, dilation, groups = geom
    sizes = tuple((n - 1) * s - lo - hi + d * (k - 1) + 1 + op for n, s, (lo, hi), d, k, op in
                  zip(x_shape[2:], stride, padding, dilation, w_shape[2:], output_padding))
    return (x_shape[0], w_shape[1] * groups) + sizes


class ConvolutionBackward0(Node):
    """y = conv(x, w) + b  (see the module docstring for the sums)

    transposed: y = convT(x, w) + b, where convT is conv's ∂x-formula (w is then (C_in, C_out/G, *kernel)):
    the adjoint of the convolution from y's shape to x's.

    ∂x, ∂w, ∂b = ConvolutionBackwardBackward0(g, x, w): a node of its own, so that with
    ``create_graph=True`` the gradient can be differentiated again, as in PyTorch."""

    def forward(self, input, weight, bias, stride, padding, dilation, groups, transposed=False, output_padding=None):
        self.geom = (stride, padding, dilation, groups)
        self.transposed, self.output_padding = transposed, output_padding
        self.save(input=input, weight=weight)
        x, w = input._data, weight._data
        if transposed:
            y = conv_grad_input(x, w, transposed_size(x.shape, w.shape, self.geom, output_padding), self.geom)
        else:
            y = conv_forward(x, w, self.geom)
        if bias is not None:
            y = y + bias._data.reshape((1, -1) + (1,) * (y.ndim - 2))
        return y.astype(x.dtype, copy=False)

    def backward(self, g):
        mask = tuple(self.needs_input_grad(i) for i in range(3))
        return ConvolutionBackwardBackward0.apply(g, self.saved("input"), self.saved("weight"), geom=self.geom,
                                                  output_mask=mask, transposed=self.transposed,
                                                  output_padding=self.output_padding)

    def jvp(self, dx, dw, db):
        """d(out) = conv(dx, w) + conv(x, dw) + db   (bilinear in x and w)"""
        x, w, _ = self.inputs
        kw = dict(transposed=self.transposed, output_padding=self.output_padding)
        return convolution(dx, w, db, *self.geom, **kw) + convolution(x, dw, None, *self.geom, **kw)


class ConvolutionBackwardBackward0(Node):
    """(∂x, ∂w, ∂b) = the three sums above, from gy, x and w (only those in ``output_mask``).

    Each is linear in gy and in one of x, w, so its own vector-Jacobian product is made of
    convolutions again; given (ggx, ggw, ggb), the gradients of Σ ggx·∂x + ggw·∂w + ggb·∂b are
        ∂gy = conv(ggx, w) + conv(x, ggw) + ggb        ∂x = ∂x-formula(gy, ggw)
        ∂w = ∂w-formula(ggx, gy)
    and for a transposed convolution (∂x = conv(gy, w), ∂w = ∂w-formula(gy, x)):
        ∂gy = convT(ggx, w) + convT(x, ggw) + ggb      ∂x = conv(gy, ggw)
        ∂w = ∂w-formula(gy, ggx)"""
    num_outputs = 3

    def forward(self, gy, input, weight, geom, output_mask, transposed=False, output_padding=None):
        self.geom, self.transposed, self.output_padding = geom, transposed, output_padding
        self.save(grad_output=gy, input=input, weight=weight)
        g, x, w = gy._data, input._data, weight._data
        gx, gw = np.zeros_like(x), np.zeros_like(w)
        if output_mask[0]:
            gx = conv_forward(g, w, geom) if transposed else conv_grad_input(g, w, x.shape, geom)
        if output_mask[1]:
            gw = conv_grad_weight(g, x, w.shape, geom) if transposed else conv_grad_weight(x, g, w.shape, geom)
        gb = g.sum(axis=(0,) + tuple(range(2, g.ndim))) if output_mask[2] else np.zeros(g.shape[1], g.dtype)
        return gx.astype(x.dtype, copy=False), gw.astype(w.dtype, copy=False), gb

    def backward(self, ggx, ggw, ggb):
        gy, x, w = self.saved("grad_output"), self.saved("input"), self.saved("weight")
        geom, t, op = self.geom, self.transposed, self.output_padding
        d_gy = d_x = d_w = None
        if self.needs_input_grad(0):
            d_gy = (convolution(ggx, w, ggb, *geom, transposed=t, output_padding=op)
                    + convolution(x, ggw, None, *geom, transposed=t, output_padding=op))
        if self.needs_input_grad(1):
            d_x = (convolution(gy, ggw, None, *geom) if t else
                   ConvolutionBackwardBackward0.apply(gy, x, ggw, geom=geom, output_mask=(True, False, False))[0])
        if self.needs_input_grad(2):
            d_w = (ConvolutionBackwardBackward0.apply(ggx, gy, w, geom=geom, output_mask=(False, True, False))[1] if t
                   else ConvolutionBackwardBackward0.apply(gy, ggx, w, geom=geom, output_mask=(False, True, False))[1])
        return d_gy, d_x, d_w

    def jvp(self, dg, dx, dw):
        """each output is bilinear in gy and one of x, w: d(out) = out(dg, x, w) + out(g, dx, dw)"""
        g, x, w = self.inputs
        kw = dict(geom=self.geom, transposed=self.transposed, output_padding=self.output_padding)
        a = ConvolutionBackwardBackward0.apply(dg, x, w, output_mask=(True, True, True), **kw)
        b = ConvolutionBackwardBackward0.apply(g, dx, dw, output_mask=(True, True, False), **kw)
        return a[0] + b[0], a[1] + b[1], a[2]


def convolution(input, weight, bias, stride, padding, dilation, groups, transposed=False, output_padding=None):
    """The node, applied: ``padding`` is a (before, after) pair per spatial dim."""
    return ConvolutionBackward0.apply(input, weight, bias, stride=tuple(stride), padding=tuple(padding),
                                      dilation=tuple(dilation), groups=groups, transposed=transposed,
                                      output_padding=None if output_padding is None else tuple(output_padding))


# ---- unfold / fold: the windows themselves, as columns (im2col), and their adjoint (col2im) ----
def _blocks(x, kernel, dilation, padding, stride):
    """x (N, C, H, W) → (N, C·kH·kW, L): one column per window, L windows in row-major order."""
    pads = tuple((p, p) for p in padding)
    win = _windows(pad_zeros(x, pads), kernel, stride, dilation)  # (N, C, oH, oW, kH, kW)
    n, c, oh, ow = win.shape[:4]
    return np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kernel[0] * kernel[1], oh * ow))


def blocks_shape(size, kernel, dilation, padding, stride):
    """How many windows fit along each spatial dim."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, d, p, s in zip(size, kernel, dilation, padding, stride))


class Im2ColBackward0(Node):
    """out[n, (c, i, j), l] = x_padded[n, c, l's row·s + i·d, l's column·s + j·d]   (F.unfold)
    ∂x = fold(g): every column added back where its window was (Col2Im)"""

    def forward(self, a, kernel, dilation, padding, stride):
        self.geom = dict(kernel=kernel, dilation=dilation, padding=padding, stride=stride)
        self.size = a._data.shape[-2:]
        x = a._data
        out = _blocks(x if x.ndim == 4 else x[None], kernel, dilation, padding, stride)
        return out if x.ndim == 4 else out[0]

    def backward(self, g):
        return Col2ImBackward0.apply(g, output_size=self.size, **self.geom)

    def jvp(self, da):
        """linear: d(out) = unfold(da)"""
        return Im2ColBackward0.apply(da, **self.geom)


class Col2ImBackward0(Node):
    """out = the sum of the columns of a, each added back over its window   (F.fold, unfold's adjoint)
    ∂a = unfold(g)"""

    def forward(self, a, output_size, kernel, dilation, padding, stride):
        self.geom = dict(kernel=kernel, dilation=dilation, padding=padding, stride=stride)
        cols = a._data if a._data.ndim == 3 else a._data[None]
        n, ck = cols.shape[:2]
        c = ck // (kernel[0] * kernel[1])
        oh, ow = blocks_shape(output_size, kernel, dilation, padding, stride)
        cols = cols.reshape(n, c, kernel[0], kernel[1], oh, ow).transpose(0, 1, 4, 5, 2, 3)
        pads = tuple((p, p) for p in padding)
        padded = (n, c) + tuple(s + 2 * p for s, p in zip(output_size, padding))
        out = np.ascontiguousarray(_unpad(_col2im(cols, padded, stride, dilation), pads))
        return out if a._data.ndim == 3 else out[0]

    def backward(self, g):
        return Im2ColBackward0.apply(g, **self.geom)

    def jvp(self, da):
        """linear: d(out) = fold(da)"""
        return Col2ImBackward0.apply(da, output_size=tuple(self.output.shape[-2:]), **self.geom)
