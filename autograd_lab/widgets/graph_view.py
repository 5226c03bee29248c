"""GraphView: the autograd graph of some tensors, drawn once in the browser, with an inspector."""
import numpy as np
import traitlets

from ..viz import nonfinite_of, snapshot, to_dot, view
from ..viz.snapshot import named_items
from ..viz.dot import label_extras
from ..viz.groups import choose, find_groups, representatives
from ..viz.text import text_tree
from ..tensor import Tensor
from ..viz.why import GradExplanation, explain
from . import _format as fmt
from ._base import Widget
from ._names import caller_scope
from ._picture import picture

MAX_TEXT_LEAVES = 6  # leaves listed in the text repr; a 300-node graph's repr stays readable
STATE_CODES = {"pending": "p", "current": "c", "done": "d", "freed": "f", "error": "e"}
NONFINITE_WORDS = {"nan": "NaN", "inf": "inf"}
KEEP_VALUES = 100_000  # elements of a leaf's value kept to show "value when drawn" after an in-place change
BIG_GRAPH = 150  # drawn nodes; above it the layout trades curved edges for time (see GraphView._dot)
GROUP_FIELDS = ("id", "kind", "label", "members", "parent", "ops")
FAST_LAYOUT = {"splines": "line", "mclimit": "0.05", "nslimit": "1", "nslimit1": "1"}


def _worse(a, b):
    """The worse of two nonfinite flags (None < "inf" < "nan")."""
    return "nan" if "nan" in (a, b) else ("inf" if "inf" in (a, b) else None)


class GraphView(Widget):
    """``GraphView(loss)``: click a node to see its op, shapes, values, grads, saved tensors, hooks,
    where it was made (under ``autograd_lab.trace()`` or anomaly mode) and, for a leaf whose
    ``.grad`` is None, why. Nodes holding NaN or inf are marked (class ``has-nan``, a badge).

    explain: more tensors to draw and explain (``GraphView(loss, explain=[w1])``): a tensor not
    reached from ``loss`` is drawn on its own, and its inspector says why its ``.grad`` is None.

    The DOT is sent once; Graphviz (compiled to WebAssembly) lays it out in the browser, and any later
    change (states, labels, the inspector) is a small trait update that restyles nodes by id.
    """

    _kind = "graph-view"
    _steps = False  # True where the engine runs under this widget and fills _records

    dot = traitlets.Unicode("").tag(sync=True)
    graph = traitlets.Dict().tag(sync=True)        # node kinds, labels, badges, edges: what CSS needs
    # one letter per node, in graph["nodes"] order (see STATE_CODES): a step resends ~1 byte per
    # node instead of a dict of ids. `.states` is the same as a dict.
    state_codes = traitlets.Unicode("").tag(sync=True)
    current = traitlets.Unicode("").tag(sync=True)
    edge_grads = traitlets.Dict().tag(sync=True)   # edge id -> short text of the gradient it carried
    notes = traitlets.Dict().tag(sync=True)        # node id -> short text (a leaf's .grad, live)
    selected = traitlets.Unicode("").tag(sync=True)
    inspector = traitlets.Dict().tag(sync=True)
    error_info = traitlets.Dict().tag(sync=True)
    # node id -> "nan" | "inf" for every node whose value or gradient holds one, as far as known now
    # (a stepper adds the gradients of each step as it runs)
    nonfinite = traitlets.Dict().tag(sync=True)
    # the static picture (see _picture): what a saved notebook reopened without a kernel shows
    static_svg = traitlets.Unicode("").tag(sync=True)
    # ids of the groups (graph["groups"]: layers, repeated blocks, chains) drawn folded into one box;
    # a change lays the graph out again (the browser caches each layout)
    collapsed = traitlets.List(traitlets.Unicode()).tag(sync=True)
    # the saved tensors and the value lines: drawn, or left out of the layout (the widget's toggles)
    show_saved = traitlets.Bool(True).tag(sync=True)
    show_values = traitlets.Bool(True).tag(sync=True)

    def __init__(self, tensor_or_tensors, params=None, *, names=None, show_values=True, show_saved=True,
                 error=None, explain=None, collapse="auto", **kwargs):
        """error: an exception a backward raised; its node (``exc.autograd_node``) and the saved
        tensor that made it fail are drawn in the error state, its message in the error panel.
        explain: a tensor or a list of tensors whose ``.grad`` the inspector explains (drawn too).
        collapse: "auto" folds the repeated blocks, deep layers and long chains of a graph of more
        than 150 drawn nodes (a smaller one is drawn whole); True folds them whatever the size,
        False nothing; or a list of group ids (see ``groups``). A click on a folded box unfolds it."""
        tensors = tuple(tensor_or_tensors) if isinstance(tensor_or_tensors, (list, tuple)) else (tensor_or_tensors,)
        explained = () if explain is None else (tuple(explain) if isinstance(explain, (list, tuple)) else (explain,))
        known = ()
        if names is None:
            names, known = caller_scope()
        self._outputs = [t for t in tensors if view.is_tensor(t)]
        self._names = dict(names)
        model = params if hasattr(params, "named_modules") else None  # its layers name the boxes
        if params is not None:
            params = list(named_items(params))
            self._names.update({id(t): str(k) for k, t in params})
        self.snapshot = snapshot(*tensors, *explained, params=model if model is not None else params,
                                 names=names, tensors=known)
        self._explained = {self.snapshot.id_of(t) for t in explained if view.is_tensor(t)}
        self._explained.discard(None)
        error_info = {}
        if error is not None:
            error_info = self._mark_error(error)
        self._records = {}   # node id -> the engine's Step for it (BackwardStepper fills this)
        self._edge_of = {(e["target"], e["index"]): e["id"] for e in self.snapshot.edges if e["kind"] == "grad"}
        self._order = [n["id"] for n in self.snapshot.nodes]
        self._states = dict(self.snapshot.states)
        self._freed_then = {nid for nid, st in self._states.items() if st == "freed"}
        self._drawing = {"show_values": show_values, "show_saved": show_saved}
        self._groups = find_groups(self.snapshot)
        self._group_by_id = {g["id"]: g for g in self._groups}
        drawn = sum(1 for n in self.snapshot.nodes if show_saved or n["kind"] != "saved")
        # (the failing node is drawn, not folded away; an unfolded repeat, block or chain gets a
        # frame with its fold toggle once folding is on)
        collapsed, self._frames = choose(self._groups, collapse, drawn, keep=error_info.get("node"))
        self._picture_key = None
        # A GraphView shows the graph as it was when its cell ran: the grads and the "why is .grad
        # None?" answers of that moment are kept, so a later cell (a solution that fills the grad,
        # an optimizer step) does not change what the inspector says; it only adds a "now" line.
        self._grads_then = {} if self._steps else self._grads_by_node()
        self._versions_then = {} if self._steps else self._versions_by_node()
        self._values_then = {} if self._steps else self._values_by_node()
        self._why_then = {}
        if not self._steps:
            self._why_then = {nid: self._explanation(nid) for nid in self._explained}
        # everything goes out with the comm's opening message: the DOT once, and never again.
        # Grads are drawn as live overlays (notes), not baked into the layout.
        # NaN / inf are drawn live by the browser (class has-nan and a badge), not baked into the DOT
        initial = {
            "collapsed": collapsed, "show_saved": show_saved, "show_values": show_values,
            "dot": self._dot(show_values, show_saved, collapsed),
            "graph": self._graph_payload(), "state_codes": self._codes(), "notes": self._leaf_notes(),
            "nonfinite": self._snapshot_nonfinite(), "summary": self.text(), "error_info": error_info,
            **self._initial_traits()}
        super().__init__(**initial, **kwargs)
        self.observe(self._on_selected, names="selected")
        self.observe(self._on_drawing, names=["collapsed", "show_saved", "show_values"])

    @property
    def groups(self):
        """The parts of the graph that fold into one box: ``[{"id", "kind", "label", "members", ...}]``
        (kind: module, repeat, block or chain). Put ids in ``.collapsed`` to fold them."""
        return [dict(g) for g in self._groups]

    def _dot(self, show_values, show_saved, collapsed):
        """The DOT the browser lays out. A big graph gets Graphviz's cheap settings: straight edges
        and short searches for ranks, positions and crossings. Measured in Graphviz's WASM
        (benchmarks/bench_widgets.py): a 500-node recurrent loop, whose shared weights pull long
        edges across every rank, took 151 s with the defaults and 1.9 s with these."""
        collapsed = [c for c in collapsed if c in self._group_by_id]
        rep = representatives(self._groups, collapsed)
        # what the drawing folds, for the text under it: worked out once per drawing, not again in
        # the summary every stepper step sends
        self._folded_lines = _folded_text(rep)
        g = to_dot(self.snapshot, show_values=show_values, show_grads=False, show_saved=show_saved,
                   show_nonfinite=False, collapsed=collapsed, groups=self._groups, frames=self._frames)
        if self._drawn_count(show_saved, collapsed, rep) > BIG_GRAPH:
            g.graph_attr.update(FAST_LAYOUT)
        return g.source

    def _drawn_count(self, show_saved, collapsed, rep=None):
        """How many boxes a drawing has: the nodes outside folded groups, and one per folded group
        (rep: ``representatives`` of `collapsed`, when the caller has it already)."""
        if rep is None:
            rep = representatives(self._groups, collapsed)
        return len(set(rep.values())) + sum(
            1 for n in self.snapshot.nodes if n["id"] not in rep and (show_saved or n["kind"] != "saved"))

    def _on_drawing(self, _change):
        """Folding a group or a toggle: the DOT again, without what is folded or hidden."""
        self._drawing = {"show_values": self.show_values, "show_saved": self.show_saved}
        with self.hold_sync():
            self.dot = self._dot(self.show_values, self.show_saved, self.collapsed)
            self._update_summary()
            if self.static_svg:   # a saved notebook shows what the reader last saw
                self.picture()
            if self.selected in self._group_by_id:   # it says whether the box is folded
                self.inspector = self.inspect(self.selected)

    def _initial_traits(self):
        """More trait values for the opening message (subclasses add theirs)."""
        return {}

    # ---- the static picture ----
    def picture(self):
        """SVG of the graph as drawn now (states, NaN marks, leaf grads); kept in ``static_svg`` too,
        so the saved widget state can show it without a kernel. Drawn again only when it changed."""
        key = (self.state_codes, sorted(self.nonfinite.items()), sorted(self.notes.items()),
               self.error_info.get("message"), tuple(self.collapsed), tuple(sorted(self._drawing.items())))
        if key != self._picture_key:
            self._picture_key = key
            self.static_svg = picture(self, **self._drawing)
        return self.static_svg

    def _mark_error(self, exc):
        """Mark the node an engine error came from, and its freed or stale saved tensors, in the
        snapshot; returns the error panel's content."""
        snap = self.snapshot
        snap.refresh()  # freed and version flags may have changed since the graph was drawn
        nid = snap.mark_error(exc)
        details = []
        if nid is not None:
            for entry in snap.node(nid)["saved"]:
                if entry.get("error"):
                    if entry["freed"]:
                        details.append(f"{entry['id']} ({entry['name']}): freed")
                    else:
                        details.append(f"{entry['id']} ({entry['name']} {fmt.shape_str(entry['shape'])}): "
                                       f"version {entry['version']}, expected {entry['saved_version']}")
        return {"type": type(exc).__name__, "message": str(exc), "node": nid or "",
                "node_label": snap.node(nid)["label"] if nid else "", "details": details,
                "site": (snap.node(nid)["site"] or "") if nid else "",
                "note": "Every .grad was put back as it was before this backward (a failed pass changes nothing)."}

    # ---- node states ----
    @property
    def states(self):
        """``{node id: state}`` as drawn now (pending, current, done, freed, error)."""
        return dict(self._states)

    def _set_states(self, states):
        self._states = dict(states)
        self.state_codes = self._codes()

    def _codes(self):
        return "".join(STATE_CODES[self._states.get(i, "pending")] for i in self._order)

    # ---- NaN and inf ----
    def _snapshot_nonfinite(self):
        """{node id: "nan" | "inf"} from the values and grads the snapshot holds now."""
        return {n["id"]: n["nonfinite"] for n in self.snapshot.nodes if n["nonfinite"]}

    def _nonfinite_notes(self, node_id):
        """What holds NaN or inf at this node, in words (for the inspector)."""
        n = self.snapshot.node(node_id)
        obj = self.snapshot.obj_of(node_id)
        notes = []

        def add(what, *arrays):
            flag = nonfinite_of(*arrays)
            if flag:
                notes.append(f"{what} holds {NONFINITE_WORDS[flag]}")

        if n["kind"] in ("leaf", "output"):
            add("its value", view.array(obj))
            add("its .grad", view.array(view.grad(self._grad_holder(node_id))))
        elif n["kind"] == "saved":
            add("this saved tensor", self._saved_view(node_id).value)
        elif n["nonfinite"]:
            notes.append(f"its output holds {NONFINITE_WORDS[n['nonfinite']]} (seen in a tensor it produced)")
        record = self._records.get(node_id)
        if record is not None:
            add("the grad that arrived", *[view.array(g) for g in record.grad_in])
            if n["kind"] == "op":
                for i, (nxt, _) in enumerate(obj.next_functions):
                    g = record.grad_out[i] if i < len(record.grad_out) else None
                    if nxt is not None and g is not None:
                        add(f"the grad sent along input {i} (to {self._name_of(self.snapshot.id_of(nxt))})", view.array(g))
        if not notes and self.nonfinite.get(node_id):
            notes.append(f"held {NONFINITE_WORDS[self.nonfinite[node_id]]} during this backward")
        return notes

    # ---- the moment the view was drawn ----
    def _grads_by_node(self):
        """{node id: a NumPy copy of its .grad, or None} for every node that holds a .grad now."""
        grads = {}
        for n in self.snapshot.nodes:
            if n["kind"] in ("leaf", "output") or n["retains_grad"]:
                holder = self._grad_holder(n["id"])
                if holder is not None:
                    g = view.grad(holder)
                    grads[n["id"]] = None if g is None else view.array(g).copy()
        return grads

    def _values_by_node(self):
        """{node id: a NumPy copy of its value} for the leaves and outputs (small enough to keep): the
        value its box shows, which the inspector shows too after an in-place change (an optimizer step)."""
        values = {}
        for n in self.snapshot.nodes:
            if n["kind"] in ("leaf", "output"):
                a = view.array(self.snapshot.obj_of(n["id"]))
                if a is not None and a.size <= KEEP_VALUES:
                    values[n["id"]] = a.copy()
        return values

    def _versions_by_node(self):
        return {n["id"]: getattr(self.snapshot.obj_of(n["id"]), "_version", None)
                for n in self.snapshot.nodes if n["kind"] in ("leaf", "output")}

    def _grad_changed(self, node_id):
        """True when this node's .grad is not what it was when the view was drawn."""
        if node_id not in self._grads_then:
            return False
        then, now = self._grads_then[node_id], view.grad(self._grad_holder(node_id))
        if then is None or now is None:
            return (then is None) != (now is None)
        now = view.array(now)
        return then.shape != now.shape or not np.array_equal(then, now, equal_nan=then.dtype.kind == "f")

    # ---- why is .grad None? ----
    def _explanation(self, node_id):
        """The "why is .grad None?" text for a leaf or an explained tensor (None when not asked)."""
        if node_id in self._why_then:
            return self._why_then[node_id]
        if self._grads_then.get(node_id, 0) is None and self._grad_changed(node_id):
            return GradExplanation(
                "changed", "When this view was drawn, .grad was None; a later cell has filled it since (see "
                           "\".grad now\"). Run the cell again to draw the graph as it is now, or call "
                           "why_no_grad(tensor, loss).")
        n = self.snapshot.node(node_id)
        if not (n["kind"] == "leaf" or node_id in self._explained) or n["kind"] == "saved":
            return None
        t = self.snapshot.obj_of(node_id)
        if view.grad(t) is not None:
            return None

        def label(node):
            nid = self.snapshot.id_of(node)
            return f"{node.name()} ({nid})" if nid else node.name()

        names = dict(self._names)
        names.setdefault(id(t), self._name_of(node_id))
        return explain(t, self._outputs, names, label)

    # ---- payloads ----
    def _graph_payload(self):
        nodes = [{"id": n["id"], "kind": n["kind"], "label": n["label"], "module": n["module"],
                  "hooks": n["hooks"], "retains_grad": n["retains_grad"], "site": n["site"],
                  "badges": label_extras(n)}
                 for n in self.snapshot.nodes]
        edges = [{"id": e["id"], "source": e["source"], "target": e["target"], "index": e["index"],
                  "kind": e["kind"]} for e in self.snapshot.edges]
        # show_saved: whether the saved tensors are drawn at all (the legend and the toggle ask)
        groups = [{k: g[k] for k in GROUP_FIELDS} for g in self._groups]
        return {"nodes": nodes, "edges": edges, "roots": list(self.snapshot.roots),
                "show_saved": self._drawing["show_saved"], "groups": groups}

    def _leaves(self):
        return [n for n in self.snapshot.nodes if n["kind"] == "leaf"]

    def _grad_holder(self, node_id):
        """The tensor whose .grad belongs on this node: a leaf, or a tensor that retains its grad."""
        obj = self.snapshot.obj_of(node_id)
        if view.is_tensor(obj):
            return obj if (obj.is_leaf or obj.retains_grad) else None
        if view.is_node(obj):
            for _, t in self.snapshot.retained(obj):
                return t
        return None

    def _saved_view(self, node_id):
        n = self.snapshot.node(node_id)
        return view.Saved(self.snapshot.obj_of(n["owner"]), n["name"])

    def _note(self, node_id):
        g = view.grad(self._grad_holder(node_id))
        if g is None:
            return None
        return f"grad {fmt.short(g)}"

    def _leaf_notes(self):
        notes = {}
        for n in self.snapshot.nodes:
            if n["kind"] in ("leaf", "output") or n["retains_grad"]:
                note = self._note(n["id"])
                if note:
                    notes[n["id"]] = note
        return notes

    def _name_of(self, node_id):
        """A tensor's name, or for a nameless leaf "leaf #3 [16, 2]" (its place among the leaves and
        its shape: "n151" meant nothing to a reader)."""
        n = self.snapshot.node(node_id)
        if n["name"]:
            return n["name"]
        if n["kind"] == "leaf":
            number = [m["id"] for m in self._leaves()].index(node_id) + 1
            return f"leaf #{number} {fmt.shape_str(n['shape'])}"
        return node_id

    def _label_of(self, node_id):
        if not node_id:
            return ""
        return f"{self.snapshot.node(node_id)['label']} ({node_id})"

    # ---- the inspector ----
    def _on_selected(self, change):
        if not self._steps:
            self.refresh_states()
        self.inspector = self.inspect(change["new"]) if change["new"] else {}

    def refresh_states(self):
        """Restyle the drawing as the graph is now: a saved tensor a later backward freed is drawn
        freed (and its op "buffers freed"), so the drawing, the inspector's header and its saved-tensor
        table say the same thing. Called on every click; states set by hand (errors) stay."""
        self.snapshot.refresh()
        states = self.snapshot.states
        if states != self._states:
            self._set_states(states)

    def inspect(self, node_id):
        """The inspector's content for one node, read from the live objects now (or for a folded group)."""
        if node_id in self._group_by_id:
            return self._inspect_group(node_id)
        if node_id not in self.snapshot:
            return {}
        n = self.snapshot.node(node_id)
        kind = n["kind"]
        state = self._states.get(node_id, n["state"])
        obj = self.snapshot.obj_of(node_id)
        sections = []
        title = n["label"]
        if kind in ("leaf", "output"):
            t = obj
            rows = [["name", n["name"] or "—"], ["shape", fmt.shape_str(t.shape)], ["dtype", str(t.dtype)],
                    ["requires_grad", str(t.requires_grad)]]
            if n["site"]:
                rows.append(["made at", n["site"]])
            sections.append({"title": "tensor", "rows": rows})
            version_then = self._versions_then.get(node_id)
            if version_then is not None and getattr(t, "_version", None) != version_then:
                # the box shows the value when drawn: the inspector leads with the same one
                then = self._values_then.get(node_id)
                if then is not None:
                    sections.append({"title": "value when drawn (as in the box)", "pre": fmt.full(Tensor._make(then))})
                sections.append({"title": "value now (changed by a later cell)", "pre": fmt.full(t.detach()),
                                 "text": f"Changed in place after this view was drawn (version {version_then} "
                                         f"then, {t._version} now)."})
            else:
                sections.append({"title": "value", "pre": fmt.full(t.detach())})
            sections.extend(self._grad_sections(node_id, ".grad"))
            acc = self.snapshot.graph_node_of(node_id) if kind == "leaf" else None
            if acc is not None and view.is_accumulate(acc):
                title = f"{n['label']} (AccumulateGrad)" if n["name"] else "AccumulateGrad"
        elif kind == "saved":
            st = self._saved_view(node_id)
            owner = self.snapshot.node(n["owner"])
            status = "freed" if st.freed else (f"stale: version {st.version}, expected {st.saved_version}"
                                               if st.stale else "ok")
            sections.append({"title": "saved tensor", "rows": [
                ["saved by", f"{owner['label']} ({owner['id']})"], ["name", st.name],
                ["shape", _known(st.shape, fmt.shape_str)], ["dtype", _known(st.dtype)],
                ["version when saved", _known(st.saved_version)], ["version now", _known(st.version)],
                ["status", status]] + ([["computed at", n["site"]]] if n["site"] else [])})
            value = st.value
            sections.append({"title": "value", "pre": "freed" if value is None else fmt.abbreviate(value, 2000)})
        else:
            node = obj
            rows = []
            if n["site"]:
                rows.append(["made at", n["site"]])
            if n["name"]:
                rows.append(["tensor", n["name"]])
            if n["module"]:
                rows.append(["module", n["module"]])
            # shapes from the node's own record of its inputs and outputs (the engine checks grads against them)
            # (autograd_lab's nodes only: PyTorch keeps this record private)
            for i, meta in enumerate(node.input_meta() if hasattr(node, "input_meta") else ()):
                if meta is not None:
                    rows.append([f"input {i}", f"{fmt.shape_str(meta[0])} {meta[1]}"])
            if hasattr(node, "output_meta") and not view.is_accumulate(node):
                # an AccumulateGrad's meta is its variable's, not an output
                for i, meta in enumerate(node.output_meta):
                    rows.append([f"output {i}", f"{fmt.shape_str(meta[0])} {meta[1]}"])
            if view.is_torch(node):  # PyTorch keeps shapes private: say where each input's gradient goes
                for i, (nxt, _) in enumerate(node.next_functions):
                    rows.append([f"input {i}", "needs no gradient" if nxt is None else
                                 f"→ {self._label_of(self.snapshot.id_of(nxt)) or view.label(nxt)}"])
            sections.append({"title": "op", "rows": rows})
            if n["attrs"]:
                sections.append({"title": "attributes", "rows": [[k, v] for k, v in n["attrs"].items()]})
        record = self._records.get(node_id)
        if record is not None:
            sections.append({"title": "grad that arrived", "pre": "\n".join(
                fmt.full(g) for g in record.grad_in) or "None"})
            if record.accumulated:
                sections.append({"title": "added to .grad", "pre": "\n".join(fmt.full(g) for _, g in record.accumulated)})
            if kind == "op":
                rows = []
                for i, (nxt, _) in enumerate(self.snapshot.obj_of(node_id).next_functions):
                    if nxt is None:
                        continue
                    g = record.grad_out[i] if i < len(record.grad_out) else None
                    rows.append([str(i), self._label_of(self.snapshot.id_of(nxt)), fmt.full(g, 400)])
                sections.append({"title": "grads sent along each edge",
                                 "table": {"columns": ["#", "to", "grad"], "rows": rows}})
        elif kind == "op" and self._steps:
            sections.append({"title": "grads", "empty": "this node has not run yet"})
        if kind == "op":
            saved = view.saved(self.snapshot.obj_of(node_id))
            if saved:
                rows, flags = [], []
                for name, st in saved.items():
                    if st.freed:
                        status, flag = "freed", "freed"
                    elif st.stale:
                        status, flag = f"version {st.version}, expected {st.saved_version}", "stale"
                    else:
                        status, flag = "ok", ""
                    if state == "error" and flag:
                        flag = "error"
                    rows.append([name, _known(st.shape, fmt.shape_str), _known(st.dtype), _known(st.saved_version),
                                 status])
                    flags.append(flag)
                sections.append({"title": "saved tensors", "table": {
                    "columns": ["name", "shape", "dtype", "version", "status"], "rows": rows, "flags": flags}})
            else:
                sections.append({"title": "saved tensors", "empty": "none"})
        hooks = self._hooks_of(node_id)
        if hooks:
            sections.append({"title": "hooks", "list": hooks})
        if n["retains_grad"]:
            sections.extend(self._grad_sections(node_id, "retained .grad"))
        nonfinite = self._nonfinite_notes(node_id)
        if nonfinite:
            sections.insert(0, {"title": "NaN / inf", "list": nonfinite, "tone": "nan"})
        if state == "freed" and node_id not in self._freed_then and not self._steps:
            # the one thing this view shows live rather than as it was when its cell ran: say so
            sections.insert(0, {"title": "freed after this view was drawn", "text":
                                "A later backward() or autograd.grad() without retain_graph=True freed these "
                                "buffers after this cell ran. The drawing shows them freed since your click; "
                                "the values and .grad it shows are still this cell's."})
        why = self._explanation(node_id)
        if why is not None:
            sections.append({"title": "why is .grad None?", "text": why.message, "tone": "why",
                             "reason": why.reason})
        error = self.error_info if self.error_info.get("node") == node_id else None
        if error:
            # the message itself is in the error panel above the graph: said once, not here again
            text = f"This node raised the {error['type']} shown above the graph."
            if error.get("site"):
                text += f" It was made at {error['site']}."
            sections.insert(0, {"title": "error", "text": text})
        return {"id": node_id, "title": title, "subtitle": f"{node_id} · {kind} · {state}", "sections": sections}

    def _inspect_group(self, group_id):
        """What a folded box holds: its ops by name, where backward is in it, and how to open it."""
        group = self._group_by_id[group_id]
        members = [self.snapshot.node(m) for m in group["members"]]
        counts = {}
        for n in reversed(members):   # snapshot order runs from the output: the inputs' side first
            if n["kind"] == "op":
                counts[n["label"]] = counts.get(n["label"], 0) + 1
        states = {}
        for n in members:
            if n["kind"] != "saved":
                state = self._states.get(n["id"], n["state"])
                states[state] = states.get(state, 0) + 1
        rows = [["kind", group["kind"]], ["nodes", str(len(members))], ["ops", str(group["ops"])],
                ["states", ", ".join(f"{k} {v}" for k, v in states.items())]]
        if self.current in group["members"]:
            rows.append(["running now", self._label_of(self.current)])
        folded = group_id in self.collapsed
        sections = [{"title": "group", "rows": rows},
                    {"title": "ops inside", "list": [f"{k} ×{v}" if v > 1 else k for k, v in counts.items()]}]
        sections.append({"title": "folded" if folded else "open", "text":
                         "Click the box to open it (the graph is laid out again with its nodes)." if folded else
                         "Drawn open; the [−] in the corner of its frame folds it into one box."})
        return {"id": group_id, "title": group["label"], "subtitle": f"{group_id} · group · {group['kind']}",
                "sections": sections}

    def _grad_sections(self, node_id, title):
        """The .grad as it was when the view was drawn, and what it is now when a later cell changed it
        (a stepper shows its own pass: always now)."""
        holder = self._grad_holder(node_id)
        if holder is None:
            return []
        now = fmt.full(view.grad(holder))
        if node_id not in self._grads_then or not self._grad_changed(node_id):
            return [{"title": title, "pre": now}]
        then = self._grads_then[node_id]
        return [{"title": f"{title} when drawn", "pre": fmt.full(None if then is None else Tensor._make(then))},
                {"title": f"{title} now (changed by a later cell)", "pre": now}]

    def _hooks_of(self, node_id):
        kind = self.snapshot.node(node_id)["kind"]
        obj = self.snapshot.obj_of(node_id)
        found = []

        def add(where, store):
            for fn in (store or {}).values():
                found.append(f"{where}: {getattr(fn, '__qualname__', None) or type(fn).__name__}")

        if kind == "leaf":
            add("tensor hook", view.tensor_hooks(obj))
            node = self.snapshot.graph_node_of(node_id)
        elif kind == "op":
            node = obj
            if view.is_torch(node):  # PyTorch shows a non-leaf tensor's hooks on the tensor only
                for t in self.snapshot.known_outputs(node):
                    add("tensor hook", view.tensor_hooks(t))
        else:
            node = None
        if node is not None:
            for where, store in view.node_hooks(node):
                add(where, store)
        return found

    # ---- text ----
    def _leaf_lines(self):
        lines = []
        leaves = self._leaves()
        for n in leaves[:MAX_TEXT_LEAVES]:
            t = self.snapshot.obj_of(n["id"])
            name = self._name_of(n["id"])
            lines.append(f"  {name}.grad = " if n["name"] else f"  {name}: .grad = ")
            lines[-1] += _indent(fmt.full(view.grad(t)))
        if len(leaves) > MAX_TEXT_LEAVES:
            lines.append(f"  … ({len(leaves) - MAX_TEXT_LEAVES} more leaves)")
        return lines

    def text(self):
        counts = {}
        for n in self.snapshot.nodes:
            counts[n["kind"]] = counts.get(n["kind"], 0) + 1
        parts = ", ".join(f"{counts[k]} {k}" for k in ("output", "op", "leaf", "saved") if k in counts)
        head = f"GraphView: {len(self.snapshot.nodes)} nodes ({parts}), {len(self.snapshot.edges)} edges"
        return "\n".join([head, *self._folded_lines, text_tree(self.snapshot)])


def _folded_text(rep):
    """What a drawing folds (``representatives``'s answer), for the text under it ([] when nothing is)."""
    if not rep:
        return []
    boxes = len(set(rep.values()))
    return [f"folded: {len(rep)} nodes drawn as {boxes} box{'es' if boxes > 1 else ''} "
            "(click one to open it; .collapsed = [] opens all)"]


def _known(value, show=str):
    """A value for the inspector, or "—" where the library does not tell (a freed PyTorch saved
    tensor keeps no shape, dtype or version)."""
    return "—" if value is None else show(value)


def _indent(text, by=4):
    return text.replace("\n", "\n" + " " * by)
