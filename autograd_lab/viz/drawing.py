"""``draw(...)``: one object that shows a graph anywhere, and ``make_dot`` for torchviz habits.

A ``GraphDrawing`` is an SVG in a notebook when Graphviz's ``dot`` is installed, and always a text
tree (its ``repr``), so a lesson still shows the graph, and nbval still has stable text to
compare, on a machine without Graphviz.
"""
from pathlib import Path

from .dot import GraphvizNotInstalled, error_caption, has_dot, render, to_dot
from .groups import choose, find_groups
from .legend import add_legend
from .snapshot import Snapshot, snapshot
from .text import text_tree

_BINARY_FORMATS = {"svg", "png", "pdf", "json"}
_SOURCE_FORMATS = {"dot", "gv"}


class GraphDrawing:
    """A snapshot plus drawing options. ``.snapshot``, ``.dot``, ``.svg()``, ``.save(path)``.
    legend: draw the key (what each box and colour means) under the graph.
    collapse: "auto" draws the repeated blocks, deep layers and long chains of a graph of more than
    150 drawn nodes as one box each (see ``viz.groups``); True always, False never, or group ids."""

    def __init__(self, snap, *, show_values=True, show_grads=True, show_saved=True, show_attrs=False,
                 rankdir="TB", caption=None, max_attr_chars=50, legend=True, collapse="auto"):
        self.snapshot = snap
        self.legend = legend
        self.options = {"show_values": show_values, "show_grads": show_grads, "show_saved": show_saved,
                        "show_attrs": show_attrs, "rankdir": rankdir, "caption": caption,
                        "max_attr_chars": max_attr_chars}
        drawn = sum(1 for n in snap.nodes if show_saved or n["kind"] != "saved")
        # found once here: without them to_dot would find them again on every redraw (a stepper's
        # states); a small graph with collapse="auto" gets nothing folded and no frames from choose
        groups = find_groups(snap)
        error = snap.error["node"] if snap.error else None
        collapsed, frames = choose(groups, collapse, drawn, keep=error)
        self.options.update(groups=groups, collapsed=collapsed, frames=frames)
        self._dot = None
        self._drawn_for = None

    def _signature(self):
        # what a change of would make the cached Digraph wrong (steppers call set_state)
        return tuple(n["state"] for n in self.snapshot.nodes), repr(self.snapshot.error)

    @property
    def dot(self):
        """The ``graphviz.Digraph``; rebuilt when a node's state has changed since last time."""
        sig = self._signature()
        if self._dot is None or sig != self._drawn_for:
            self._dot = to_dot(self.snapshot, **self.options)
            if self.legend:
                add_legend(self._dot, self.snapshot, show_saved=self.options["show_saved"],
                           folded=bool(self.options["collapsed"]))
            self._drawn_for = sig
        return self._dot

    @property
    def source(self):
        return self.dot.source

    def refresh(self):
        """Read values, grads and freed/stale flags from the graph again and redraw."""
        self.snapshot.refresh()
        self._dot = None
        return self

    def svg(self):
        return render(self.dot, "svg").decode("utf-8")

    def save(self, path, format=None):
        """Write the drawing: format ``svg``, ``png``, ``pdf`` (need ``dot``) or ``dot`` (the source).
        Without ``format`` the file's suffix decides. Returns the path."""
        path = Path(path)
        fmt = (format or path.suffix.lstrip(".") or "svg").lower()
        if fmt in _SOURCE_FORMATS:
            path.write_text(self.dot.source, encoding="utf-8")
        elif fmt in _BINARY_FORMATS:
            path.write_bytes(render(self.dot, fmt))
        else:
            raise ValueError(f"unknown format {fmt!r}: use svg, png, pdf or dot")
        return path

    def text(self):
        caption = self.options["caption"]
        if caption is None and self.snapshot.error is not None:
            caption = error_caption(self.snapshot.error)
        tree = text_tree(self.snapshot, show_saved=self.options["show_saved"])
        return f"{caption}\n{tree}" if caption else tree

    def __str__(self):
        return self.text()

    __repr__ = __str__

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": self.text()}
        if has_dot():
            try:
                bundle["image/svg+xml"] = self.svg()
            except GraphvizNotInstalled:  # removed between the check and the call
                pass
        return bundle


def draw(*tensors, show_values=True, show_grads=True, show_saved=True, params=None, show_attrs=False,
         names=None, rankdir="TB", error=None, caption=None, max_attr_chars=50, legend=True, collapse="auto"):
    """Draw the graph behind ``tensors`` (Tensors, Nodes, or one Snapshot).

    legend: the picture carries its key (leaf, op, output, saved tensor, and the states it shows);
    ``legend=False`` leaves it out.

    collapse: a graph of more than 150 drawn nodes is drawn with its repeated blocks (the steps of a
    loop, a stack of layers, all but the first and last), layers nested two deep and chains of four
    or more ops as one box each; ``collapse=False`` draws every node, True folds small graphs too.

    error: an exception raised by backward; its node (``exc.autograd_node``) is drawn in the error
    state with the saved tensor that failed, and its message becomes the caption. With no tensors
    the graph below that node is drawn.
    """
    if len(tensors) == 1 and isinstance(tensors[0], Snapshot):
        snap = tensors[0]
    else:
        if not tensors and error is not None and getattr(error, "autograd_node", None) is not None:
            tensors = (error.autograd_node,)
        snap = snapshot(*tensors, params=params, names=names)
    if error is not None:
        snap.mark_error(error)
    return GraphDrawing(snap, show_values=show_values, show_grads=show_grads, show_saved=show_saved,
                        show_attrs=show_attrs, rankdir=rankdir, caption=caption, max_attr_chars=max_attr_chars,
                        legend=legend, collapse=collapse)


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """torchviz's call: the ``graphviz.Digraph`` of ``var``'s graph (a tensor or a tuple of them),
    leaves named from ``params`` (a dict, or ``model.named_parameters()``)."""
    snap = snapshot(var, params=params)
    return to_dot(snap, show_values=False, show_grads=False, show_saved=show_saved, show_attrs=show_attrs,
                  max_attr_chars=max_attr_chars)


__all__ = ["GraphDrawing", "draw", "make_dot", "has_dot"]
