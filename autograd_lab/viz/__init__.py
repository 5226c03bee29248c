"""Pictures of autograd graphs: snapshot -> plain data -> DOT / SVG / text, and why a .grad is None.

    from autograd_lab.viz import draw, why_no_grad
    draw(loss, params=dict(model.named_parameters()))
    why_no_grad(w1, loss)            # "w1 is not reached from loss: the path is cut where ..."
    with track_modules(model): loss = model(x).sum()    # ops grouped by the module that made them

Every function here takes real ``torch`` tensors as well (see ``view``).

Layering: this package reads the core's public graph view only, and never imports IPython or the
widgets (those import this).
"""
from ._format import abbreviate, shape_str
from .dot import DOT_MISSING, GraphvizNotInstalled, has_dot, render, svg, to_dot
from .drawing import GraphDrawing, draw, make_dot
from .modules import track_modules
from .snapshot import STATES, Snapshot, nonfinite_of, snapshot
from .text import text_tree
from .why import GradExplanation, why_no_grad

__all__ = ["DOT_MISSING", "GradExplanation", "GraphDrawing", "GraphvizNotInstalled", "STATES", "Snapshot",
           "abbreviate", "draw", "has_dot", "make_dot", "nonfinite_of", "render", "shape_str", "snapshot", "svg",
           "text_tree", "to_dot", "track_modules", "why_no_grad"]
