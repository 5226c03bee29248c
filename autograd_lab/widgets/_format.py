"""Text for tensors as the widgets show them: short for labels on the graph, full (PyTorch's own
repr) for the inspector and the text reprs. Nothing here holds a memory address, so a widget's
text is the same on every run (nbval compares it)."""
import numpy as np

from ..viz import abbreviate
from ..viz.dot import shape_text as shape_str  # "[2, 3]", and "scalar" for a 0-d tensor

LABEL_CHARS = 30      # an edge label longer than this covers its neighbours
FULL_CHARS = 2000     # an inspector value longer than this stops helping


def full(t, limit=FULL_CHARS):
    """PyTorch's repr of a tensor (or "None"), cut to ``limit`` characters."""
    if t is None:
        return "None"
    s = repr(t)
    return s if len(s) <= limit else s[:limit - 1] + "…"


def short(t, limit=LABEL_CHARS):
    """A label-sized summary: the values when they fit, else the shape and the norm."""
    if t is None:
        return "None"
    a = np.asarray(t.detach().numpy())
    s = abbreviate(a, 10_000)
    if len(s) <= limit:
        return s
    if a.dtype.kind in "fc":
        return f"{shape_str(a.shape)} ‖·‖={float(np.linalg.norm(a.astype(np.float64))):.4g}"
    return shape_str(a.shape)


def metric(t):
    """One number per gradient for a sparkline: the value of a one-element grad, else its L2 norm."""
    if t is None:
        return None
    a = np.asarray(t.detach().numpy(), dtype=np.float64)
    if a.size == 1:
        return float(a.reshape(()))
    return float(np.linalg.norm(a))
