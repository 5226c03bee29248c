"""The key drawn inside a static picture (``draw()``): what each kind of box and each colour means.

The widgets have their key beside the graph (widgets/src/legend.js); a picture saved as SVG or PNG
travels alone, so it carries its own. Each swatch is styled from the very tables that style the
nodes (``KIND_STYLE``, ``STATE_STYLE`` in dot.py), so the key cannot drift from the drawing, and
the key lists only what the picture shows: no "saved tensor" where none is drawn, and the states
(running now, done, freed, error) only once a node is in one.

It is one node whose label is an HTML-like table (a swatch and its words a row), put on the last
rank, under the graph. Its words are a mid grey, as the edges, so it reads on a light and on a dark
notebook theme alike.
"""
from .dot import ERROR_RED, GROUP_STYLE, HOOK_PURPLE, KIND_STYLE, NAN_PINK, STATE_MARK, STATE_STYLE, _dim, _text

LEGEND_ID = "al_legend"
TEXT_GREY = "#767676"  # 4.5:1 on white, 3.7:1 on a #1e1e1e dark theme

KIND_WORDS = {"leaf": "leaf tensor", "op": "op (grad_fn)", "output": "output", "saved": "saved tensor"}
PURPLE_WORDS = {"hook": ("hook", " registered"), "retain": ("retains grad", ": retain_grad() called")}
STATE_WORDS = {"current": "running now", "done": "done", "freed": "freed (buffers gone)", "error": "error"}


def entries(snap, show_saved=True, show_nonfinite=True, folded=False):
    """What the key of this snapshot's picture lists: ``[(key, words)]`` in the order drawn;
    ``folded``: some groups are drawn as one box each."""
    drawn = [n for n in snap.nodes if show_saved or n["kind"] != "saved"]
    kinds = {n["kind"] for n in drawn}
    states = {n["state"] for n in drawn}
    if any(n["kind"] == "saved" and n["freed"] for n in drawn):
        states.add("freed")  # a freed saved tensor is drawn dashed, as a freed op
    found = [(k, KIND_WORDS[k]) for k in KIND_WORDS if k in kinds]
    found += [(s, STATE_WORDS[s]) for s in STATE_WORDS if s in states]
    if any(n["kind"] == "saved" and n["stale"] for n in drawn):
        found.append(("stale", "saved, then changed in place"))
    if show_nonfinite and any(n.get("nonfinite") for n in drawn):
        found.append(("nonfinite", "holds NaN / inf"))
    if any(n["hooks"] for n in drawn):
        found.append(("hook", "hook registered"))
    if any(n["retains_grad"] for n in drawn):
        found.append(("retain", "retain_grad()"))
    if folded:
        found.append(("folded", "folded group: its nodes drawn as one box (collapse=False draws them all)"))
    return found


def _swatch_style(key):
    """(fill, border colour, border width, table style, mark, mark colour) of a key's swatch."""
    kind = key if key in KIND_STYLE else ("saved" if key == "stale" else "op")
    style = dict(KIND_STYLE[kind])
    style.update(STATE_STYLE.get(key, {}))
    fill, color, words = style["fillcolor"], style["color"], style["style"].split(",")
    if key == "done":
        fill = _dim(fill)
    elif key == "stale":
        color = ERROR_RED
    elif key == "nonfinite":
        color, style["penwidth"] = NAN_PINK, "2.5"
    shapes = [w for w in ("rounded", "dotted") if w in words] + (["dashed"] if key == "freed" else [])
    border = 2 if float(style.get("penwidth", 1)) >= 2 else 1
    return fill, color, border, ",".join(shapes), STATE_MARK.get(key, "").strip(), style.get("fontcolor", TEXT_GREY)


def _swatch(key):
    """A small box drawn as the nodes of ``key`` are (a table of one cell, fixed size: the row's
    words must not stretch it)."""
    if key == "folded":  # a folded group's double border: a box in a box
        fill, color = GROUP_STYLE["fillcolor"], GROUP_STYLE["color"]
        inner = (f'<TABLE FIXEDSIZE="TRUE" WIDTH="18" HEIGHT="7" BORDER="1" COLOR="{color}" BGCOLOR="{fill}" '
                 'CELLBORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD></TD></TR></TABLE>')
        return (f'<TABLE STYLE="rounded" FIXEDSIZE="TRUE" WIDTH="24" HEIGHT="13" BORDER="1" COLOR="{color}" '
                f'BGCOLOR="{fill}" CELLBORDER="0" CELLPADDING="1" CELLSPACING="0"><TR><TD>{inner}</TD></TR></TABLE>')
    fill, color, border, shapes, mark, mark_color = _swatch_style(key)
    style = f' STYLE="{shapes}"' if shapes else ""
    inside = f'<FONT POINT-SIZE="7" COLOR="{mark_color}">{_text(mark)}</FONT>' if mark else ""
    return (f'<TABLE{style} FIXEDSIZE="TRUE" WIDTH="24" HEIGHT="13" BORDER="{border}" COLOR="{color}" '
            f'BGCOLOR="{fill}" CELLBORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="{24 - 2 * border}">{inside}</TD></TR></TABLE>')


def _words(text, color=TEXT_GREY):
    return f'<FONT POINT-SIZE="9" COLOR="{color}">{_text(text)}</FONT>'


def _row(key, words):
    if key in PURPLE_WORDS:  # a label line in purple, not a box: its words, coloured as drawn
        shown, rest = PURPLE_WORDS[key]
        return f'<TR><TD></TD><TD ALIGN="LEFT">{_words(shown, HOOK_PURPLE)}{_words(rest)}</TD></TR>'
    return f'<TR><TD>{_swatch(key)}</TD><TD ALIGN="LEFT">{_words(words)}</TD></TR>'


def label(found):
    """The HTML-like label of the key: one row per entry of ``entries``."""
    rows = "".join(_row(key, words) for key, words in found)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">{rows}</TABLE>>'


def add_legend(g, snap, show_saved=True, show_nonfinite=True, folded=False):
    """Add the key of ``snap``'s picture to the ``graphviz.Digraph`` ``g`` (nothing for an empty graph)."""
    found = entries(snap, show_saved, show_nonfinite, folded)
    if not found:
        return g
    with g.subgraph(name="al_legend_rank") as s:
        s.attr(rank="sink")
        s.node(LEGEND_ID, label=label(found), shape="plain", tooltip="key", **{"class": "al-legend"})
    return g
