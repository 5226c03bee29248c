"""Snapshot -> DOT (through the ``graphviz`` package) -> SVG (through Graphviz's ``dot`` binary).

The visual language, once, the same as the widgets' (widgets/src/style.css and their legend):
leaves are light blue boxes, ops grey rounded boxes, outputs green, saved tensors small white
dotted boxes hanging off their op. States restyle a node without moving it: current = orange (the
only orange), done = dimmed with a check mark, freed = dashed grey, error = red; hooks are purple.
The background is transparent and every line or text outside a box is a mid tone, so a drawing
reads on a light and on a dark notebook theme alike. Every label is an HTML-like label built from ``html.escape``d text, so a parameter
called ``<script>`` is drawn as those characters and never becomes markup.

Node names in the DOT source are the snapshot ids, so each node's SVG ``<title>`` is its id; the
``class`` attribute (``al-node al-op al-state-error`` ...) lets CSS and tests find states. Edges
carry ``id=<edge id>`` (``e0``, ``e1`` ...), which Graphviz copies to the SVG ``<g>`` of the edge.
A node holding NaN or inf gets the class ``al-nonfinite al-nan`` (or ``al-inf``) and a pink "NaN"
line; where it was made (``In [3], line 2: y = x * w``, when recorded) is its tooltip, and for the
node an error is drawn on, a line of its label and of the caption.
"""
import html
import re
import shutil
import textwrap

import graphviz

from .._printing import shape_str
from .groups import find_groups, representatives

DOT_MISSING = ("Graphviz's `dot` program is not installed: `apt-get install graphviz` (or `conda install "
               "graphviz`) to get pictures; the widgets (autograd_lab.widgets) draw graphs without it")


class GraphvizNotInstalled(RuntimeError):
    """Raised when a picture is asked for and the ``dot`` binary is missing."""

    def __init__(self, message=DOT_MISSING):
        super().__init__(message)


def has_dot():
    return shutil.which("dot") is not None


# ---- the visual language ----
KIND_STYLE = {
    "leaf": {"shape": "box", "style": "filled", "fillcolor": "#cfe8fc", "color": "#1e6fb8"},
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e0e0e0", "color": "#616161"},
    "output": {"shape": "box", "style": "filled", "fillcolor": "#c8e6c9", "color": "#2e7d32"},
    "saved": {"shape": "box", "style": "filled,dotted", "fillcolor": "#ffffff", "color": "#616161",
              "fontsize": "9", "height": "0.2", "margin": "0.06,0.03"},
}
STATE_STYLE = {
    "pending": {},
    "current": {"color": "#e65100", "penwidth": "3.5"},
    "done": {"color": "#2e7d32", "fontcolor": "#6d6d6d"},   # fill is dimmed too, see _node_attrs
    "freed": {"color": "#757575", "fontcolor": "#616161", "fillcolor": "#eeeeee"},  # 5.4:1, not faded out
    "error": {"color": "#d32f2f", "fontcolor": "#b71c1c", "fillcolor": "#ffcdd2", "penwidth": "3"},
}
STATE_MARK = {"done": "✓ ", "error": "✗ "}
EDGE_STYLE = {
    "grad": {"color": "#7a7a7a"},   # mid grey: an edge shows on a white and on a dark page
    "output": {"color": "#2e7d32"},
    "saved": {"color": "#8a8a8a", "style": "dotted", "arrowsize": "0.5"},
}
ERROR_RED = "#b71c1c"
CAPTION_RED = "#d32f2f"  # the caption sits on the page, not in a box: a red that reads on light and dark
HOOK_PURPLE = "#6a1b9a"  # the widgets' --agl-hook
NAN_PINK = "#c2185b"
NONFINITE_TEXT = {"nan": "NaN", "inf": "inf"}
VALUE_CHARS = 42  # a wider value line makes the whole layout wide; the snapshot keeps 60
SITE_CHARS = 60   # a creation site drawn in a label (the tooltip and the caption keep it whole)
FAN_IN_LINE = 3   # a node feeding more folded boxes than this is named in their labels, not joined by edges


def shape_text(shape):
    """A shape as the pictures and widgets show it: "[2, 3]", and "scalar" for a 0-d tensor (a
    column of "[]" under every loss and sum said nothing to a student)."""
    text = shape_str(shape)
    return "scalar" if text == "[]" else text


def _text(s):
    return html.escape(str(s), quote=True)


def _small(s, color=None):
    font = f'<FONT POINT-SIZE="9" COLOR="{color}">' if color else '<FONT POINT-SIZE="9">'
    return f"{font}{_text(s)}</FONT>"


def _cut(s, limit):
    return s if len(s) <= limit else s[:limit - 1] + "…"


def error_caption(error):
    """The caption of a snapshot's error: PyTorch's message, then where the failing node was made."""
    text = f"{error['type']}: {error['message']}"
    if error.get("site"):
        text += f"\nfailing node {error['label']} ({error['node']}) was made at {error['site']}"
    return text


def label_extras(n):
    """The last line of a node's label, in parts: ``[{"kind": "hook" | "retain" | "", "text": ...}]``
    ("2 hooks, retains grad"). The widgets draw a badge behind each part that has a kind."""
    extras = []
    if n["hooks"]:
        extras.append({"kind": "hook", "text": f"{n['hooks']} hook" + ("s" if n["hooks"] > 1 else "")})
    if n["retains_grad"]:
        extras.append({"kind": "retain", "text": "retains grad"})
    if n["kind"] == "leaf" and not n["requires_grad"]:
        extras.append({"kind": "", "text": "no grad"})
    return extras


def _label(n, show_values, show_grads, show_attrs, max_attr_chars=50, show_nonfinite=True):
    kind, state = n["kind"], n["state"]
    title = n["label"]
    if kind == "op" and n["name"]:
        title = f"{n['label']} ({n['name']})"
    lines = [f"<B>{_text(STATE_MARK.get(state, '') + title)}</B>"]
    if n["shape"] is not None:
        lines.append(_small(shape_text(n["shape"]) + ("" if n["dtype"] in (None, "float32") else " " + n["dtype"])))
    if kind == "saved":
        if n["freed"]:
            lines.append(_small("freed", ERROR_RED if state == "error" else None))
        elif n["stale"]:
            lines.append(_small(f"version {n['version']}, expected {n['saved_version']}", ERROR_RED))
        elif n["saved_version"]:
            lines.append(_small(f"version {n['saved_version']}"))
    if show_values and n["value"] is not None and not (kind == "saved" and n["freed"]):
        lines.append(_small(_cut("= " + n["value"], VALUE_CHARS)))
    if show_grads and n["grad"] is not None:
        lines.append(_small(_cut("grad " + n["grad"], VALUE_CHARS), "#1b5e20"))
    if kind == "op" and state == "freed":
        lines.append(_small("buffers freed"))
    if show_nonfinite and n.get("nonfinite"):
        lines.append(_small("⚠ " + NONFINITE_TEXT[n["nonfinite"]], NAN_PINK))
    if state == "error" and kind != "saved" and n.get("site"):
        lines.append(_small(_cut("made at " + n["site"], SITE_CHARS), ERROR_RED))
    if show_attrs:
        for key, value in n["attrs"].items():
            lines.append(_small(_cut(f"{key}={value}", max_attr_chars)))
    extras = label_extras(n)
    if extras:
        lines.append(_small(", ".join(e["text"] for e in extras), HOOK_PURPLE))
    return "<" + "<BR/>".join(lines) + ">"


def _dim(color):
    """A fill faded towards white, as 40% opacity looks on a white page but opaque: a done node's
    words stay readable on a dark page too (a see-through fill turned them dark grey on dark grey)."""
    if not (color.startswith("#") and len(color) == 7):
        return color
    return "#" + "".join(f"{round(255 - 0.4 * (255 - int(color[i:i + 2], 16))):02x}" for i in (1, 3, 5))


def _tooltip(n):
    """Where the node was made, and NaN / inf. A tooltip is a Graphviz escString: lines are joined
    with the escape "\\n", and a backslash of the user's code is drawn as "⧵" (Graphviz would read
    "\\N" as the node's name, and its versions disagree on how to escape a backslash)."""
    lines = []
    if n.get("site"):
        lines.append(("made at " if n["kind"] != "saved" else "computed at ") + n["site"])
    if n.get("nonfinite"):
        lines.append(f"holds {NONFINITE_TEXT[n['nonfinite']]}")
    return "\\n".join(line.replace("\\", "⧵") for line in lines)


def _node_attrs(n, show_values, show_grads, show_attrs, max_attr_chars, show_nonfinite=True):
    attrs = dict(KIND_STYLE[n["kind"]])
    state = n["state"]
    attrs.update(STATE_STYLE[state])
    if state == "done":
        attrs["fillcolor"] = _dim(attrs["fillcolor"])
    freed = state == "freed" or (n["kind"] == "saved" and n["freed"])
    if freed:
        attrs["style"] += ",dashed"
    classes = ["al-node", f"al-{n['kind']}", f"al-state-{state}"]
    if n["kind"] == "saved" and n["stale"]:
        classes.append("al-stale")
        if state != "error":
            attrs["color"] = ERROR_RED
    if freed:
        classes.append("al-freed")
    if show_nonfinite and n.get("nonfinite"):
        classes += ["al-nonfinite", f"al-{n['nonfinite']}"]
        if state not in ("error", "current"):
            attrs["color"], attrs["penwidth"] = NAN_PINK, "2.5"
    attrs["class"] = " ".join(classes)
    attrs["label"] = _label(n, show_values, show_grads, show_attrs, max_attr_chars, show_nonfinite)
    tooltip = _tooltip(n)
    if tooltip:
        # (Graphviz wraps the node's shapes in <a xlink:title=...> for it; the <title> stays the id)
        attrs["tooltip"] = tooltip
    return attrs


def _caption(text, width=100):
    lines = []
    for para in str(text).splitlines() or [""]:
        lines.extend(textwrap.wrap(para, width) or [""])
    return "<" + "<BR ALIGN=\"LEFT\"/>".join(_text(line) for line in lines) + "<BR ALIGN=\"LEFT\"/>>"


def _module_title(path, snap):
    """A layer's box is called by what it is: "<B>Linear(2→16)</B> 0" (the path after the type)."""
    kind = snap.module_labels.get(path)
    return f"<B>{_text(kind)}</B> {_small(path)}" if kind else _text(path)


def to_dot(snap, *, show_values=True, show_grads=True, show_saved=True, show_attrs=False, rankdir="TB",
           caption=None, max_attr_chars=50, show_nonfinite=True, collapsed=None, groups=None, frames=()):
    """A ``graphviz.Digraph`` of the snapshot; node names are the snapshot ids, edges have ``id``.

    caption: text drawn above the graph; by default the message of an error marked with
    ``snap.mark_error(exc)`` (and where its node was made, when that was recorded).
    show_nonfinite: mark the nodes that hold NaN or inf in the drawing itself (the widgets draw
    that live, as an overlay, and turn it off here).
    collapsed: ids of groups (``groups.find_groups``, computed when not given) each drawn as ONE
    node, named by its group id, with the edges of its members rerouted to it: Graphviz lays out a
    smaller graph. frames: ids of unfolded groups that are not modules, drawn as a frame (a
    module's box is always drawn); each box carries its group's id.
    """
    g = graphviz.Digraph("autograd", graph_attr={"rankdir": rankdir, "nodesep": "0.25", "ranksep": "0.35",
                                                 "fontname": "Helvetica", "fontsize": "11",
                                                 "bgcolor": "transparent"},
                         node_attr={"fontname": "Helvetica", "fontsize": "11"},
                         edge_attr={"arrowsize": "0.7"})
    if caption is None and snap.error is not None:
        caption = error_caption(snap.error)
    if caption:
        g.attr(label=_caption(caption), labelloc="t", labeljust="l", fontcolor=CAPTION_RED)

    if groups is None:
        groups = find_groups(snap)
    by_id = {grp["id"]: grp for grp in groups}
    collapsed = set(collapsed or ())
    rep = representatives(groups, collapsed)
    drawn = [n for n in snap.nodes if (show_saved or n["kind"] != "saved") and n["id"] not in rep]
    shown = {n["id"]: n for n in drawn}
    folded = [by_id[gid] for gid in dict.fromkeys(rep.values())]
    framed = {gid for gid in frames if gid in by_id and by_id[gid]["kind"] != "module"}
    smallest = {}   # node id -> the smallest group holding it
    for grp in sorted(groups, key=lambda x: -len(x["members"])):
        for m in grp["members"]:
            smallest[m] = grp["id"]

    # boxes: one per module (nested along the dots: "encoder" holds "encoder.0") and per framed
    # group, each inside the smallest box holding it; a box is made when something goes in it
    boxes = {}

    def box_of(gid):
        """The innermost box at or above group `gid` (None: the top level), made when needed."""
        while gid is not None and not (by_id[gid]["kind"] == "module" or gid in framed):
            gid = by_id[gid]["parent"]
        if gid is not None and gid not in boxes:
            grp = by_id[gid]
            box_of(grp["parent"])   # the outer box first: names follow the nesting
            if grp["kind"] == "module":
                attrs = {"label": "<" + _module_title(grp["path"], snap) + ">", "style": "rounded,dashed",
                         "color": "#6f93cf", "fontcolor": "#3d7bd6", "labeljust": "l", "class": "al-module"}
                name = f"cluster_m{sum(1 for k in boxes if by_id[k]['kind'] == 'module')}"
            else:
                attrs = {"label": "<" + _text(grp["label"]) + ">", "style": "rounded,dotted", "color": "#8e7cc3",
                         "fontcolor": "#7e57c2", "labeljust": "l", "class": "al-frame"}
                name = f"cluster_f{len(boxes)}"
            attrs["id"] = gid   # the widgets find the group a box stands for by it
            boxes[gid] = graphviz.Digraph(name, graph_attr=attrs)
        return gid

    # edges: as they are between drawn nodes; one per pair of boxes for a folded group's. A node
    # feeding more than FAN_IN_LINE folded boxes (an RNN's W, shared by every step) is named in
    # their labels instead: hundreds of long edges to one node is what makes Graphviz slow and the
    # drawing unreadable
    edges, merged = [], {}
    for e in snap.edges:
        if e["kind"] == "saved" and not show_saved:
            continue
        source, target = rep.get(e["source"], e["source"]), rep.get(e["target"], e["target"])
        if source == target or not ((source in shown or source in by_id) and (target in shown or target in by_id)):
            continue
        if source == e["source"] and target == e["target"]:
            attrs = dict(EDGE_STYLE[e["kind"]])
            attrs["id"] = e["id"]
            attrs["class"] = f"al-edge al-edge-{e['kind']}"
            edges.append((source, target, attrs))
        elif (source, target) not in merged or e["kind"] == "grad":
            merged[(source, target)] = e["kind"]
    fan = {}
    for source, target in merged:
        if target in by_id and source in shown:
            fan[source] = fan.get(source, 0) + 1
    uses = {}   # folded box -> the names of the shared inputs it reads
    for (source, target), kind in merged.items():
        if fan.get(source, 0) > FAN_IN_LINE and target in by_id:
            n = shown[source]
            uses.setdefault(target, []).append(n["name"] or n["label"])
            continue
        # an edge to or from a folded group: one for all its members' edges between the same two boxes
        attrs = dict(EDGE_STYLE[kind], id=f"ge:{source}>{target}", **{"class": f"al-edge al-edge-{kind} al-edge-group"})
        edges.append((source, target, attrs))

    for n in drawn:
        key = box_of(smallest.get(n["id"]))
        (boxes[key] if key is not None else g).node(
            n["id"], **_node_attrs(n, show_values, show_grads, show_attrs, max_attr_chars, show_nonfinite))
    states = {n["id"]: n["state"] for n in snap.nodes}
    for grp in folded:
        key = box_of(grp["parent"])
        (boxes[key] if key is not None else g).node(grp["id"], **_group_attrs(grp, snap, states, uses.get(grp["id"])))

    def depth(gid):
        return 0 if gid is None else 1 + depth(box_of(by_id[gid]["parent"]))

    # a box's body is copied when it is attached, so attach the innermost ones first
    for gid in sorted(boxes, key=lambda k: -depth(k)):
        parent = box_of(by_id[gid]["parent"])
        (boxes[parent] if parent is not None else g).subgraph(boxes[gid])

    for source, target, attrs in edges:
        g.edge(source, target, **attrs)
    return g


GROUP_STYLE = {"shape": "box", "style": "rounded,filled", "peripheries": "2", "fillcolor": "#ede7f6",
               "color": "#5e35b1"}
# how bad a state is, for a folded group (saved tensors count only when they are the error)
STATE_RANK = {"done": 0, "freed": 1, "pending": 2, "current": 3, "error": 4}


def group_state(grp, states):
    """The state a folded group shows: the worst of its members' (error > current > pending > freed >
    done). A saved tensor (an id with a dot: "n3.self") counts only when it is the error."""
    worst = None
    for m in grp["members"]:
        s = states.get(m)
        if s is None or (s != "error" and "." in m):
            continue
        if worst is None or STATE_RANK[s] > STATE_RANK[worst]:
            worst = s
    return worst or "pending"


def _group_attrs(grp, snap, states, uses=None):
    """A folded group: a double-bordered box with its label and how many nodes it holds (and the
    shared inputs it reads whose edges are not drawn: ``uses``)."""
    state = group_state(grp, states)
    attrs = dict(GROUP_STYLE)
    if state in ("current", "error"):
        attrs.update(STATE_STYLE[state])
    ops = grp["ops"]
    size = f"{len(grp['members'])} nodes" + (f", {ops} ops" if ops else "")
    title = _module_title(grp["path"], snap) if grp["kind"] == "module" else f"<B>{_text(grp['label'])}</B>"
    lines = [title, _small(size)]
    if uses:
        lines.append(_small(_cut("uses " + ", ".join(uses), VALUE_CHARS)))
    attrs["label"] = "<" + "<BR/>".join(lines) + ">"
    attrs["class"] = f"al-node al-group al-group-{grp['kind']} al-state-{state}"
    attrs["tooltip"] = f"{grp['label']}: {size} folded into one box"
    return attrs


def _as_digraph(obj, **options):
    if isinstance(obj, graphviz.Digraph):
        return obj
    dot = getattr(obj, "dot", None)  # a GraphDrawing
    if isinstance(dot, graphviz.Digraph):
        return dot
    return to_dot(obj, **options)


def render(obj, format="svg", **options):
    """Bytes of a snapshot, drawing or Digraph rendered by ``dot`` (svg, png, pdf, json ...)."""
    if not has_dot():
        raise GraphvizNotInstalled()
    return _as_digraph(obj, **options).pipe(format=format)


def svg(obj, **options):
    """SVG text of a snapshot (options as for to_dot), a GraphDrawing or a Digraph."""
    return render(obj, "svg", **options).decode("utf-8")


_PROLOG = re.compile(r"\A[\s\S]*?(?=<svg\b)")


def svg_element(text):
    """An SVG document as an element to put in HTML: what ``dot`` writes before ``<svg`` (the XML
    declaration, the DOCTYPE, a comment) goes."""
    return _PROLOG.sub("", text, count=1)
