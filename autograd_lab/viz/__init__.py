"""Pictures of autograd graphs: snapshot -> plain data -> DOT / SVG / text.

    from autograd_lab.viz import draw
    draw(loss, params=dict(model.named_parameters()))

Layering: this package reads the core's public graph view only, and never imports IPython or the
widgets (those import this).
"""
from .dot import DOT_MISSING, GraphvizNotInstalled, has_dot, render, svg, to_dot
from .drawing import GraphDrawing, draw, make_dot
from .snapshot import STATES, Snapshot, snapshot
from .text import text_tree

__all__ = ["DOT_MISSING", "GraphDrawing", "GraphvizNotInstalled", "STATES", "Snapshot", "draw", "has_dot",
           "make_dot", "render", "snapshot", "svg", "text_tree", "to_dot"]
