"""The static picture a graph widget carries beside its live view.

A front end without the widget's code (nbconvert, a notebook viewer on a code-hosting site, a saved
notebook reopened with no kernel) cannot draw the live view: the bundle comes from the kernel. So a
widget's output also holds an SVG of the graph as the widget shows it (states, NaN marks, leaf
grads, the error), drawn by Graphviz's ``dot`` from the same snapshot. It is made when the widget
is displayed, and a stepper makes it again when its pass ends (done, failed) or is reset: a
notebook saved mid-way shows the graph as it was displayed or last finished.

The ``<svg>`` root carries ``data-agl-static`` (how many nodes, one state letter each) so that
nbval's sanitize rule can replace a picture, whose coordinates vary with the Graphviz version, by
what it shows.
"""
import re
import subprocess

import graphviz

from ..viz import GraphvizNotInstalled, has_dot, svg, to_dot
from ..viz.dot import svg_element

MAX_NODES = 400   # drawn boxes (folded groups count one); a bigger picture would weigh ~1 KB per node in every saved notebook, twice

_COMMENT = re.compile(r"<!--[\s\S]*?-->\n?")
_GROUP_ID = re.compile(r'<g id="[^"]*" class=')  # Graphviz's node1, edge1 ...: the same in every picture


class _AsShown:
    """The widget's snapshot with the widget's own states, NaN marks and leaf grads (what to_dot reads)."""

    def __init__(self, view):
        snap = view.snapshot
        self.edges = snap.edges
        self.error = snap.error
        self.roots = snap.roots
        self.module_labels = snap.module_labels
        self.nodes = []
        for n in snap.nodes:
            note = view.notes.get(n["id"], "")
            self.nodes.append(dict(n, state=view.states.get(n["id"], n["state"]),
                                   nonfinite=view.nonfinite.get(n["id"]),
                                   grad=note[len("grad "):] if note.startswith("grad ") else None))


def picture(view, show_values=True, show_saved=True):
    """SVG text of a GraphView (or stepper) as it shows now; "" without ``dot`` or past MAX_NODES."""
    collapsed = list(view.collapsed)
    if view._drawn_count(show_saved, collapsed) > MAX_NODES or not has_dot():
        return ""
    try:
        text = svg(to_dot(_AsShown(view), show_values=show_values, show_saved=show_saved, show_grads=True,
                          collapsed=collapsed, groups=view._groups, frames=view._frames))
    except (GraphvizNotInstalled, graphviz.ExecutableNotFound, subprocess.CalledProcessError):
        return ""
    text = _GROUP_ID.sub("<g class=", _COMMENT.sub("", svg_element(text)))
    mark = f'{len(view.snapshot.nodes)} nodes, states {view.state_codes}'
    return text.replace("<svg ", f'<svg class="agl-static" data-agl-static="{mark}" ', 1)
