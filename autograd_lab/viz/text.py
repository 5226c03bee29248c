"""A snapshot as an indented text tree, from the output down to the leaves.

This is the drawing that needs nothing installed, and the ``repr`` of ``draw(...)``: it holds no
memory addresses and depends only on the graph, so nbval can compare it between runs::

    MeanBackward0 -> output []
    └─ MulBackward0  saved: self [2, 2], other [2, 2]
       ├─ AddBackward0
       │  └─ x [2, 2] (leaf)
       └─ ...

An op reached a second time (the graph is a DAG, not a tree) is printed once in full, then as a
reference ``AddBackward0 (n3, see above)``; leaves are short and simply repeat.

Where a node was made is shown when it was recorded (under ``autograd_lab.trace()`` or anomaly
mode), and a node holding NaN or inf says so::

    MulBackward0  (In [3], line 2: y = x * w)  [has NaN]
"""
from ._format import shape_str

STATE_NOTE = {"current": "[current]", "done": "[done]", "freed": "[freed]", "error": "[error]"}
NONFINITE_NOTE = {"nan": "[has NaN]", "inf": "[has inf]"}
SITE_CHARS = 80  # a creation site longer than this is cut (the inspector shows it whole)


def site_text(site, limit=SITE_CHARS):
    """``(In [3], line 2: y = x * w)``, cut to ``limit`` characters."""
    if len(site) > limit:
        site = site[:limit - 1] + "…"
    return f"({site})"


def _saved_note(s, nonfinite=None):
    if s["freed"]:
        return f"{s['name']} (freed)"
    text = f"{s['name']} {shape_str(s['shape'])}"
    if nonfinite:
        text += " " + NONFINITE_NOTE[nonfinite].replace("[", "(").replace("]", ")")
    if s["stale"]:
        return text + f" version {s['version']}, expected {s['saved_version']} (stale)"
    if s["saved_version"]:
        return text + f" version {s['saved_version']}"
    return text


def _line(n, show_saved, show_values, show_grads, head_suffix="", saved_nonfinite=None):
    kind = n["kind"]
    parts = []
    if kind == "leaf":
        head = n["label"]
        if n["shape"] is not None:
            head += " " + shape_str(n["shape"])
        head += " (leaf)" if n["requires_grad"] else " (leaf, no grad)"
        parts.append(head)
    elif kind == "output":  # only when its op is not in the snapshot (a cropped subgraph)
        parts.append(f"{n['label']} {shape_str(n['shape'])} (output)")
    else:
        parts.append(n["label"] + (f" ({n['name']})" if kind == "op" and n["name"] else "") + head_suffix)
    if n.get("site"):
        parts.append(site_text(n["site"]))
    if show_values and n["value"] is not None:
        parts.append("= " + n["value"])
    if show_grads and n["grad"] is not None:
        parts.append("grad " + n["grad"])
    if show_saved and n["saved"]:
        flags = saved_nonfinite or {}
        parts.append("saved: " + ", ".join(_saved_note(s, flags.get(s["id"])) for s in n["saved"]))
    if n["hooks"]:
        parts.append(f"hooks: {n['hooks']}")
    if n["retains_grad"]:
        parts.append("retains grad")
    if n.get("nonfinite") in NONFINITE_NOTE:
        parts.append(NONFINITE_NOTE[n["nonfinite"]])
    if n["state"] in STATE_NOTE:
        parts.append(STATE_NOTE[n["state"]])
    return "  ".join(parts)


def text_tree(snap, *, show_saved=True, show_values=False, show_grads=False, max_depth=100):
    """The snapshot as a text tree (see the module docstring). Deterministic for a given graph."""
    inputs = {}   # node id -> [source ids], in next_functions order (the order edges were recorded)
    produced = {}  # output id -> the op id it comes from
    uses = {}
    for e in snap.edges:
        if e["kind"] == "grad":
            inputs.setdefault(e["target"], []).append(e["source"])
            uses[e["source"]] = uses.get(e["source"], 0) + 1
        elif e["kind"] == "output":
            produced[e["target"]] = e["source"]

    def fmt(nid, head_suffix=""):
        n = snap.node(nid)
        flags = {s["id"]: snap.node(s["id"]).get("nonfinite") for s in n["saved"] if s["id"] in snap}
        return _line(n, show_saved, show_values, show_grads, head_suffix, flags)

    out = []
    printed = set()
    for root in snap.roots:
        # an output is not a line of its own: it is what the first op's line points to
        head_suffix = ""
        start = root
        root_node = snap.node(root)
        if root_node["kind"] == "output" and root in produced:
            start = produced[root]
            head_suffix = f" -> {root_node['name'] or 'output'} {shape_str(root_node['shape'])}"
            if root_node["state"] in STATE_NOTE:
                head_suffix += " " + STATE_NOTE[root_node["state"]]
        # (node id, prefix for its children, connector for its own line, depth, head suffix)
        stack = [(start, "", "", 0, head_suffix)]
        while stack:
            nid, prefix, connector, depth, suffix = stack.pop()
            node = snap.node(nid)
            shared = uses.get(nid, 0) > 1 and node["kind"] == "op"
            if nid in printed and node["kind"] != "leaf":
                out.append(f"{prefix}{connector}{node['label']} ({nid}, see above){suffix}")
                continue
            printed.add(nid)
            out.append(f"{prefix}{connector}{fmt(nid, f' ({nid})' + suffix if shared else suffix)}")
            children = inputs.get(nid, [])
            child_prefix = prefix + ("" if not connector else ("   " if connector == "└─ " else "│  "))
            if children and depth + 1 > max_depth:
                out.append(f"{child_prefix}└─ … (deeper than {max_depth} levels, not shown)")
                continue
            for i in reversed(range(len(children))):
                conn = "└─ " if i == len(children) - 1 else "├─ "
                stack.append((children[i], child_prefix, conn, depth + 1, ""))
    return "\n".join(out)
