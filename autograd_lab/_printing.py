"""Tensor printing with PyTorch 2.13's exact output.

Everything here is a pure function of a NumPy array plus the single,
module-level print-options object :data:`PRINT_OPTS`.  The Tensor class calls
:func:`tensor_repr`; users change the options with :func:`set_printoptions`,
:func:`printoptions` (a context manager) and read them with
:func:`get_printoptions`, exactly as with ``torch.set_printoptions`` & co.

The algorithm follows PyTorch's ``torch/_tensor_str.py``:

* A single *formatter* is built for the whole tensor (or, when the tensor has
  more than ``threshold`` elements, for the part of it that will be shown).
  For floating dtypes it looks at the non-zero finite values, converted to
  float64:

  - ``int_mode``: every such value is integral -> printed as ``1.``;
  - ``sci_mode`` (unless forced by the ``sci_mode`` option): the ratio of the
    largest to the smallest absolute value exceeds 1000, or the largest
    exceeds 1e8, or the smallest is below 1e-4;
  - the column width is the longest of those values once formatted (nan,
    inf and zeros do not count; in int mode the trailing ``.`` counts).

* Rows are wrapped so that ``(linewidth - indent) // (width + 2)`` elements
  fit on a line; summarised dimensions show ``edgeitems`` entries at each end
  around ``...``.

* Suffixes (``size=``, ``dtype=``, ``grad_fn=``/``requires_grad=``) are
  appended after ``, `` or, when the last line would pass ``linewidth``, on a
  new line indented to the opening parenthesis.

This module imports only NumPy, the standard library and the dtype table (``_dtype``).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from . import _dtype

__all__ = [
    "PrintOptions",
    "PRINT_OPTS",
    "set_printoptions",
    "get_printoptions",
    "printoptions",
    "tensor_repr",
    "format_tensor_data",
    "torch_dtype_name",
]


def shape_str(shape):
    """A shape as PyTorch's messages print it: ``[2, 3]``."""
    return "[" + ", ".join(str(s) for s in shape) + "]"


# --------------------------------------------------------------------------
# Print options
# --------------------------------------------------------------------------


class PrintOptions:
    """The print options, with PyTorch's defaults. (A plain class rather than a dataclass: importing
    ``dataclasses`` alone was 2% of ``import autograd_lab``, one of the benchmarks.)"""

    def __init__(self, precision: int = 4, threshold: float = 1000, edgeitems: int = 3, linewidth: int = 80,
                 sci_mode: bool | None = None):
        self.precision, self.threshold, self.edgeitems = precision, threshold, edgeitems
        self.linewidth, self.sci_mode = linewidth, sci_mode

    def __eq__(self, other):
        return isinstance(other, PrintOptions) and vars(self) == vars(other)

    def __repr__(self):
        return "PrintOptions(" + ", ".join(f"{k}={v!r}" for k, v in vars(self).items()) + ")"


#: The one current options object.  It is mutated in place, never replaced,
#: so a reference to it always reflects the current settings.
PRINT_OPTS = PrintOptions()

_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set the print options, like ``torch.set_printoptions``.

    ``profile`` ("default", "short" or "full"; other names are ignored, as in
    PyTorch) is applied first, then the explicit options on top of it.  As in
    PyTorch, ``sci_mode`` is *always* assigned: leaving it out resets it to
    ``None`` (automatic choice).
    """
    if profile is not None and profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current options as a dict usable as ``set_printoptions(**d)``."""
    return dict(vars(PRINT_OPTS))


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options (same arguments as
    :func:`set_printoptions`); the previous options are restored on exit."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# --------------------------------------------------------------------------
# Dtypes
# --------------------------------------------------------------------------

def _canonical_dtype(name: Any) -> str:
    """Normalise "float64", "torch.float64", "double", np.float64, a dtype … to "float64" (the
    names and aliases are _dtype's). Raises TypeError for dtypes this module cannot print."""
    if isinstance(name, _dtype.dtype):
        return name.name
    if not isinstance(name, str):
        try:
            name = np.dtype(name).name
        except TypeError:
            name = str(name)
    d = _dtype._NAMES.get(name.removeprefix("torch."))
    if d is None:
        raise TypeError(f"cannot print tensors of dtype {name!r}; supported: "
                        + ", ".join(d.name for d in _dtype.ALL))
    return d.name


def torch_dtype_name(dtype_name: Any) -> str:
    """``"float64"`` -> ``"torch.float64"`` (as printed in ``dtype=``)."""
    return "torch." + _canonical_dtype(dtype_name)


# --------------------------------------------------------------------------
# The formatter
# --------------------------------------------------------------------------


class _Formatter:
    """Decides int/sci mode and the column width for one tensor's values."""

    def __init__(self, values: np.ndarray, kind: str) -> None:
        self.floating = kind == "f"
        self.int_mode = True
        self.sci_mode: Any = False
        self.max_width = 1
        precision = PRINT_OPTS.precision

        flat = values.reshape(-1)
        if not self.floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        # Values are selected in the tensor's own dtype, then computed on as
        # float64 (exact for float16/32), which is what PyTorch does.
        selected = flat[np.isfinite(flat) & (flat != 0)]
        if selected.size == 0:
            return
        nonzero = selected.astype(np.float64)
        magnitudes = np.abs(nonzero)
        smallest = magnitudes.min()
        largest = magnitudes.max()

        self.int_mode = bool(np.all(nonzero == np.ceil(nonzero)))

        if PRINT_OPTS.sci_mode is None:
            with np.errstate(over="ignore"):
                ratio = largest / smallest  # may overflow to inf, as in torch
            self.sci_mode = bool(ratio > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        items = nonzero.tolist()
        if self.sci_mode:
            spec = f"{{:.{precision}e}}"
            width = max(len(spec.format(v)) for v in items)
        elif self.int_mode:
            # one more for the "." appended to integral floats
            width = max(len(f"{v:.0f}") for v in items) + 1
        else:
            spec = f"{{:.{precision}f}}"
            width = max(len(spec.format(v)) for v in items)
        self.max_width = max(self.max_width, width)

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        precision = PRINT_OPTS.precision
        if self.floating:
            if self.sci_mode:
                text = f"{{:{self.max_width}.{precision}e}}".format(value)
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{{:.{precision}f}}".format(value)
        else:
            text = f"{value}"
        return " " * (self.max_width - len(text)) + text


# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------


def _summarized_data(arr: np.ndarray) -> np.ndarray:
    """The elements that will actually be shown when summarising (the
    formatter is computed on these only)."""
    edge = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        if arr.shape[0] > 2 * edge:
            # note: arr[-0:] is the whole array, as with torch slicing
            return np.concatenate((arr[:edge], arr[-edge:]))
        return arr
    if not edge:
        return np.empty([0] * arr.ndim, dtype=arr.dtype)
    if arr.shape[0] > 2 * edge:
        rows = [arr[i] for i in range(edge)] + [
            arr[i] for i in range(arr.shape[0] - edge, arr.shape[0])
        ]
    else:
        rows = list(arr)
    return np.stack([_summarized_data(row) for row in rows])


def _vector_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    element_length = fmt.width() + 2  # the element plus ", "
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems

    if summarize and not edge:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * edge:
        data = (
            [fmt.format(v) for v in arr[:edge].tolist()]
            + [" ..."]
            + [fmt.format(v) for v in arr[-edge:].tolist()]
        )
    else:
        data = [fmt.format(v) for v in arr.tolist()]

    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(
    arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter
) -> str:
    ndim = arr.ndim
    if ndim == 0:
        return fmt.format(arr.item())
    if ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)

    edge = PRINT_OPTS.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        slices = (
            [_tensor_str_with_formatter(arr[i], indent + 1, summarize, fmt) for i in range(edge)]
            + ["..."]
            + [
                _tensor_str_with_formatter(arr[i], indent + 1, summarize, fmt)
                for i in range(n - edge, n)
            ]
        )
    else:
        slices = [
            _tensor_str_with_formatter(arr[i], indent + 1, summarize, fmt) for i in range(n)
        ]
    separator = "," + "\n" * (ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(slices) + "]"


def _tensor_str(arr: np.ndarray, indent: int, kind: str) -> str:
    if arr.size == 0:
        return "[]"
    summarize = arr.size > PRINT_OPTS.threshold
    fmt = _Formatter(_summarized_data(arr) if summarize else arr, kind)
    return _tensor_str_with_formatter(arr, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: Iterable[str], indent: int) -> str:
    parts = [text]
    # (PyTorch's measure: two more than the real length of the last line)
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _as_array(data: Any, dtype_name: Any) -> tuple[np.ndarray, str, str]:
    name = _canonical_dtype(dtype_name)
    d = _dtype._NAMES[name]
    np_dtype, kind = d.np, ("f" if d.is_floating_point else "b" if d is _dtype.bool_ else "i")
    arr = np.asarray(data)
    if arr.dtype != np_dtype:
        arr = arr.astype(np_dtype)
    return arr, name, kind


# --------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------


def format_tensor_data(data: Any, *, dtype_name: Any, indent: int = 0) -> str:
    """Only the bracketed contents, e.g. ``[[1., 2.],\\n [3., 4.]]`` (the
    ``_tensor_str`` part of a repr).  ``indent`` is the column the opening
    bracket sits at."""
    arr, _, kind = _as_array(data, dtype_name)
    return _tensor_str(arr, indent, kind)


def tensor_repr(
    data: Any,
    *,
    dtype_name: Any,
    default_float: Any = "float32",
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    is_leaf: bool = True,
    prefix: str = "tensor(",
    extra_suffixes: Iterable[str] = (),
) -> str:
    """What ``repr`` of the equivalent PyTorch tensor prints.

    data
        The values (converted to ``dtype_name`` if they are not already).
    dtype_name
        "float32", "float64", "float16", "int64", "int32", "int16", "int8",
        "uint8" (also uint16/32/64) or "bool"; "torch.float64", PyTorch
        aliases ("double", "long", …) and NumPy dtypes are accepted too.
    default_float
        The default floating dtype (``torch.get_default_dtype()``): tensors
        of that dtype, int64 and bool do not print ``dtype=`` (empty tensors
        print it for anything but the default float, as PyTorch does).
    requires_grad, grad_fn_name, is_leaf
        A non-leaf with a ``grad_fn_name`` prints ``grad_fn=<name>``;
        otherwise ``requires_grad=True`` is printed when ``requires_grad``.
        (In PyTorch a leaf never has a grad_fn, so ``grad_fn_name`` is
        ignored when ``is_leaf`` is true.)
    prefix
        ``"tensor("`` or e.g. ``"MyTensor("`` for subclasses.  Continuation
        lines are indented by the length of the prefix's last line, so
        ``"Parameter containing:\\ntensor("`` gives ``Parameter``'s repr.
    extra_suffixes
        Further ``key=value`` strings appended (with the same wrapping) after
        the grad suffix, e.g. ``"tangent=..."``.
    """
    arr, name, kind = _as_array(data, dtype_name)
    default_name = _canonical_dtype(default_float)
    indent = len(prefix) - (prefix.rfind("\n") + 1)

    suffixes: list[str] = []
    if arr.size == 0:
        # Show the shape unless it is (0,), like NumPy; and the dtype unless
        # it is the default float (there are no values to tell ints apart).
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if name != default_name:
            suffixes.append(f"dtype=torch.{name}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(arr.shape)}")
        if name not in (default_name, "int64", "bool"):
            suffixes.append(f"dtype=torch.{name}")
        body = _tensor_str(arr, indent, kind)

    if grad_fn_name is not None and not is_leaf:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    suffixes.extend(extra_suffixes)

    return _add_suffixes(prefix + body, suffixes, indent)
