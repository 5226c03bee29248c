"""``torch.testing.assert_close``: tensors (or numbers, or lists/tuples/dicts of them) equal up to
tolerances that depend on the dtype, with PyTorch's failure messages."""
import math
from collections.abc import Mapping, Sequence

import numpy as np

from . import _dtype
from .tensor import Tensor

# (rtol, atol) by dtype; integers and bools must match exactly
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


class _Mismatch(Exception):
    """A comparison failed: ``error`` is what assert_close raises (the type and message)."""

    def __init__(self, error, default_message=None):
        super().__init__(error)
        self.error = error
        self.default_message = default_message


def _diff_line(kind, diff, idx, tol):
    line = f"{kind.title()} difference: {diff}" if idx is None else f"Greatest {kind} difference: {diff} at index {idx}"
    return line + (f" (up to {tol} allowed)" if tol > 0 else "")


def _message(identifier, equal, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    return (f"{identifier} are not {'equal' if equal else 'close'}!\n\n{extra}\n"
            f"{_diff_line('absolute', abs_diff, abs_idx, atol)}\n{_diff_line('relative', rel_diff, rel_idx, rtol)}")


def _tolerances(dtype, rtol, atol):
    if rtol is not None and atol is not None:
        return rtol, atol
    return _TOLERANCES.get(dtype.name, (0.0, 0.0))


def _compare_scalars(actual, expected, rtol, atol, equal_nan):
    rtol, atol = (rtol, atol) if rtol is not None else ((0.0, 0.0) if isinstance(actual, int) else (1e-7, 1e-7))
    if actual == expected or (equal_nan and actual != actual and expected != expected):
        return
    if abs(actual - expected) <= atol + rtol * abs(expected):
        return
    diff = abs(actual - expected)
    rel = diff / abs(expected) if expected != 0 else math.inf
    raise _Mismatch(AssertionError(_message("Scalars", rtol == 0 and atol == 0,
                                            f"Expected {expected} but got {actual}.", diff, None, atol, rel, None,
                                            rtol)))


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype):
    if actual.shape != expected.shape:
        raise _Mismatch(AssertionError(f"The values for attribute 'shape' do not match: {actual.shape} != "
                                       f"{expected.shape}."))
    if check_dtype and actual.dtype is not expected.dtype:
        raise _Mismatch(AssertionError(f"The values for attribute 'dtype' do not match: {actual.dtype} != "
                                       f"{expected.dtype}."))
    rtol, atol = _tolerances(actual.dtype, rtol, atol)
    a, e = actual._data, expected._data
    if actual.ndim == 0:
        return _compare_scalars(a.item(), e.item(), rtol, atol, equal_nan)
    matches = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan) if a.dtype.kind in "fc" else a == e
    if matches.all():
        return
    n, bad = matches.size, int(matches.size - matches.sum())
    floating = actual.dtype.is_floating_point
    af, ef = (a, e) if floating else (a.astype(np.int64), e.astype(np.int64))
    with np.errstate(divide="ignore", invalid="ignore"):
        abs_diff = np.abs(af - ef).reshape(-1)
        abs_diff[matches.reshape(-1)] = 0
        # (as PyTorch: integers divide in the default float dtype)
        div = abs_diff.dtype if floating else _dtype.get_default_dtype().np
        rel_diff = abs_diff.astype(div) / np.abs(ef.reshape(-1)).astype(div)
        rel_diff[matches.reshape(-1)] = 0
    i, j = _argmax(abs_diff), _argmax(rel_diff)
    raise _Mismatch(AssertionError(_message(
        "Tensor-likes", rtol == 0 and atol == 0, f"Mismatched elements: {bad} / {n} ({bad / n:.1%})",
        abs_diff[i].item(), _index(np.unravel_index(i, a.shape)), atol, rel_diff[j].item(),
        _index(np.unravel_index(j, a.shape)), rtol)))


def _argmax(values):
    """PyTorch's max: the first NaN wins, else the first largest."""
    nan = np.isnan(values) if values.dtype.kind == "f" else np.zeros(values.shape, bool)
    return int(np.argmax(nan)) if nan.any() else int(np.argmax(values))


def _index(idx):
    return "(" + ", ".join(str(int(i)) for i in idx) + ("," if len(idx) == 1 else "") + ")"


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, path):
    try:
        if isinstance(actual, Tensor) and isinstance(expected, Tensor):
            return _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype)
        numbers = (int, float)
        if isinstance(actual, numbers) and isinstance(expected, numbers) and not isinstance(actual, bool):
            return _compare_scalars(actual, expected, rtol, atol, equal_nan)
    except _Mismatch as m:
        if path:
            m.error.args = (m.error.args[0] + f"\n\nThe failure occurred for item {''.join(f'[{p!r}]' for p in path)}",)
        raise
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        for key in expected:
            _compare(actual[key], expected[key], rtol, atol, equal_nan, check_dtype, path + [key])
        return
    if (isinstance(actual, Sequence) and isinstance(expected, Sequence) and not isinstance(actual, str)
            and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"))
        for i, (x, y) in enumerate(zip(actual, expected)):
            _compare(x, y, rtol, atol, equal_nan, check_dtype, path + [i])
        return
    raise _Mismatch(TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                              f"{type(expected)}."))


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise AssertionError unless ``|actual - expected| <= atol + rtol·|expected|`` everywhere
    (same shapes and, by default, dtypes). Default tolerances: float32 rtol 1.3e-6, atol 1e-5;
    float64 1e-7 and 1e-7; float16 1e-3 and 1e-5; exact for integers."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    try:
        _compare(actual, expected, rtol, atol, equal_nan, check_dtype, [])
    except _Mismatch as m:
        error = m.error
        if msg is not None and isinstance(error, AssertionError):
            error = AssertionError(msg(str(error)) if callable(msg) else msg)
        raise error from None
