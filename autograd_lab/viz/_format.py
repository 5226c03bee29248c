"""Short, deterministic text for shapes and values, as drawn inside graph nodes.

Everything here returns plain strings with no memory addresses, so a drawing of the same graph
is the same text on every run (nbval compares it).
"""
import numpy as np

from .._printing import shape_str as _known_shape_str

EDGE_ITEMS = 2   # elements shown at each end of a long dimension
MAX_CHARS = 60   # a node label line longer than this stops helping


def shape_list(shape):
    # None: not known (a freed PyTorch saved tensor keeps no shape)
    return None if shape is None else [int(s) for s in shape]


def shape_str(shape):
    """PyTorch's "[2, 3]", and "[?]" when not known (a freed PyTorch saved tensor keeps no shape)."""
    return "[?]" if shape is None else _known_shape_str([int(s) for s in shape])


def _scalar(v, is_float):
    if isinstance(v, (bool, np.bool_)):
        return "True" if v else "False"
    if not is_float:
        return str(int(v))
    v = float(v)
    s = format(v, ".4g")
    # PyTorch prints whole floats as "3.", which tells a float from an int at a glance
    if s.lstrip("-").isdigit():
        s += "."
    return s


def _nested(a, is_float):
    # recursion is bounded by ndim (NumPy allows 64), never by the number of elements
    if a.ndim == 0:
        return _scalar(a.item(), is_float)
    n = a.shape[0]
    if n > 2 * EDGE_ITEMS + 1:
        idx = list(range(EDGE_ITEMS)) + [None] + list(range(n - EDGE_ITEMS, n))
    else:
        idx = list(range(n))
    parts = ["…" if i is None else _nested(a[i], is_float) for i in idx]
    return "[" + ", ".join(parts) + "]"


def abbreviate(array, max_chars=MAX_CHARS):
    """``[[1., 2.], [3., 4.]]``-style text of an array, summarised and cut to ``max_chars``."""
    if array is None:
        return None
    a = np.asarray(array)
    s = _nested(a, a.dtype.kind in "fc")
    if len(s) > max_chars:
        s = s[:max_chars - 1] + "…"
    return s


def short_repr(value, max_chars=50):
    """An attribute's value for ``show_attrs``: repr, without addresses, cut to size."""
    if isinstance(value, np.ndarray):
        s = abbreviate(value, max_chars)
    elif isinstance(value, (list, tuple, dict, set)) and len(value) > 16:
        s = f"<{type(value).__name__} of {len(value)}>"  # never repr a huge container
    elif isinstance(value, tuple) and type(value) is not tuple:  # torch.Size and friends
        s = "(" + ", ".join(str(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    else:
        s = repr(value)
        if " at 0x" in s:
            s = "<" + type(value).__name__ + ">"
    if len(s) > max_chars:
        s = s[:max_chars - 1] + "…"
    return s
