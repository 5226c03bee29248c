"""GraphView: the autograd graph of some tensors, drawn once in the browser, with an inspector."""
import traitlets

from ..node import AccumulateGrad
from ..tensor import Tensor
from ..viz import snapshot, to_dot
from ..viz.text import text_tree
from . import _format as fmt
from ._base import Widget
from ._names import caller_names

MAX_TEXT_LEAVES = 6  # leaves listed in the text repr; a 300-node graph's repr stays readable
STATE_CODES = {"pending": "p", "current": "c", "done": "d", "freed": "f", "error": "e"}


class GraphView(Widget):
    """``GraphView(loss)``: click a node to see its op, shapes, values, grads, saved tensors, hooks.

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

    def __init__(self, tensor_or_tensors, params=None, *, names=None, show_values=True, show_saved=True,
                 error=None, **kwargs):
        """error: an exception a backward raised; its node (``exc.autograd_node``) and the saved
        tensor that made it fail are drawn in the error state, its message in the error panel."""
        tensors = tuple(tensor_or_tensors) if isinstance(tensor_or_tensors, (list, tuple)) else (tensor_or_tensors,)
        if names is None:
            names = caller_names()
        self.snapshot = snapshot(*tensors, params=params, names=names)
        error_info = {}
        if error is not None:
            error_info = self._mark_error(error)
        self._records = {}   # node id -> the engine's Step for it (BackwardStepper fills this)
        self._edge_of = {(e["target"], e["index"]): e["id"] for e in self.snapshot.edges if e["kind"] == "grad"}
        self._order = [n["id"] for n in self.snapshot.nodes]
        self._states = dict(self.snapshot.states)
        # everything goes out with the comm's opening message: the DOT once, and never again.
        # Grads are drawn as live overlays (notes), not baked into the layout.
        initial = {
            "dot": to_dot(self.snapshot, show_values=show_values, show_grads=False, show_saved=show_saved).source,
            "graph": self._graph_payload(), "state_codes": self._codes(), "notes": self._leaf_notes(),
            "summary": self.text(), "error_info": error_info, **self._initial_traits()}
        super().__init__(**initial, **kwargs)
        self.observe(self._on_selected, names="selected")

    def _initial_traits(self):
        """More trait values for the opening message (subclasses add theirs)."""
        return {}

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

    # ---- payloads ----
    def _graph_payload(self):
        nodes = [{"id": n["id"], "kind": n["kind"], "label": n["label"], "module": n["module"],
                  "hooks": n["hooks"], "retains_grad": n["retains_grad"]} for n in self.snapshot.nodes]
        edges = [{"id": e["id"], "source": e["source"], "target": e["target"], "index": e["index"],
                  "kind": e["kind"]} for e in self.snapshot.edges]
        return {"nodes": nodes, "edges": edges, "roots": list(self.snapshot.roots)}

    def _leaves(self):
        return [n for n in self.snapshot.nodes if n["kind"] == "leaf"]

    def _grad_holder(self, node_id):
        """The tensor whose .grad belongs on this node: a leaf, or a tensor that retains its grad."""
        obj = self.snapshot.obj_of(node_id)
        if isinstance(obj, Tensor):
            return obj if (obj.is_leaf or obj.retains_grad) else None
        for ref in (getattr(obj, "_retains_grad", None) or {}).values():
            t = ref()
            if t is not None:
                return t
        return None

    def _note(self, node_id):
        t = self._grad_holder(node_id)
        if t is None or t._grad is None:
            return None
        return f"grad {fmt.short(t._grad)}"

    def _leaf_notes(self):
        notes = {}
        for n in self.snapshot.nodes:
            if n["kind"] in ("leaf", "output") or n["retains_grad"]:
                note = self._note(n["id"])
                if note:
                    notes[n["id"]] = note
        return notes

    def _name_of(self, node_id):
        n = self.snapshot.node(node_id)
        return n["name"] or node_id

    def _label_of(self, node_id):
        if not node_id:
            return ""
        return f"{self.snapshot.node(node_id)['label']} ({node_id})"

    # ---- the inspector ----
    def _on_selected(self, change):
        self.inspector = self.inspect(change["new"]) if change["new"] else {}

    def inspect(self, node_id):
        """The inspector's content for one node, read from the live objects now."""
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
            sections.append({"title": "tensor", "rows": [
                ["name", n["name"] or "—"], ["shape", fmt.shape_str(t.shape)], ["dtype", str(t.dtype)],
                ["requires_grad", str(t.requires_grad)]]})
            sections.append({"title": "value", "pre": fmt.full(t.detach())})
            holder = self._grad_holder(node_id)
            if holder is not None:
                sections.append({"title": ".grad", "pre": fmt.full(holder._grad)})
            acc = self.snapshot.graph_node_of(node_id) if kind == "leaf" else None
            if isinstance(acc, AccumulateGrad):
                title = f"{n['label']} (AccumulateGrad)" if n["name"] else "AccumulateGrad"
        elif kind == "saved":
            st = obj
            owner = self.snapshot.node(n["owner"])
            status = "freed" if st.freed else (f"stale: version {st.version}, expected {st.saved_version}"
                                               if st.is_stale else "ok")
            sections.append({"title": "saved tensor", "rows": [
                ["saved by", f"{owner['label']} ({owner['id']})"], ["name", st.name],
                ["shape", fmt.shape_str(st.shape)], ["dtype", str(st.dtype)],
                ["version when saved", str(st.saved_version)], ["version now", str(st.version)],
                ["status", status]]})
            value = st.peek()
            sections.append({"title": "value", "pre": "freed" if value is None else fmt.abbreviate(value, 2000)})
        else:
            node = obj
            rows = []
            if n["name"]:
                rows.append(["tensor", n["name"]])
            if n["module"]:
                rows.append(["module", n["module"]])
            # shapes from the node's own record of its inputs and outputs (the engine checks grads against them)
            for i, meta in enumerate(getattr(node, "_input_meta", ()) or ()):
                if meta is not None:
                    rows.append([f"input {i}", f"{fmt.shape_str(meta[0])} {meta[1]}"])
            for i, meta in enumerate(getattr(node, "_output_meta", ()) or ()):
                rows.append([f"output {i}", f"{fmt.shape_str(meta[0])} {meta[1]}"])
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
            saved = self.snapshot.obj_of(node_id).saved_tensors_info()
            if saved:
                rows, flags = [], []
                for name, st in saved.items():
                    if st.freed:
                        status, flag = "freed", "freed"
                    elif st.is_stale:
                        status, flag = f"version {st.version}, expected {st.saved_version}", "stale"
                    else:
                        status, flag = "ok", ""
                    if state == "error" and flag:
                        flag = "error"
                    rows.append([name, fmt.shape_str(st.shape), str(st.dtype), str(st.saved_version), status])
                    flags.append(flag)
                sections.append({"title": "saved tensors", "table": {
                    "columns": ["name", "shape", "dtype", "version", "status"], "rows": rows, "flags": flags}})
            else:
                sections.append({"title": "saved tensors", "empty": "none"})
        hooks = self._hooks_of(node_id)
        if hooks:
            sections.append({"title": "hooks", "list": hooks})
        if n["retains_grad"]:
            holder = self._grad_holder(node_id)
            sections.append({"title": "retained .grad", "pre": fmt.full(holder._grad if holder is not None else None)})
        error = self.error_info if self.error_info.get("node") == node_id else None
        if error:
            sections.insert(0, {"title": "error", "pre": f"{error['type']}: {error['message']}"})
        return {"id": node_id, "title": title, "subtitle": f"{node_id} · {kind} · {state}", "sections": sections}

    def _hooks_of(self, node_id):
        kind = self.snapshot.node(node_id)["kind"]
        obj = self.snapshot.obj_of(node_id)
        found = []

        def add(where, store):
            for fn in (store or {}).values():
                found.append(f"{where}: {getattr(fn, '__qualname__', None) or type(fn).__name__}")

        if kind == "leaf":
            add("tensor hook", obj._backward_hooks)
            node = self.snapshot.graph_node_of(node_id)
        elif kind == "op":
            node = obj
        else:
            node = None
        if node is not None:
            add("pre-hook", node._pre_hooks)
            add("hook", node._post_hooks)
            for store in (node._tensor_pre_hooks or {}).values():
                add("tensor hook", store)
        return found

    # ---- text ----
    def _leaf_lines(self):
        lines = []
        leaves = self._leaves()
        for n in leaves[:MAX_TEXT_LEAVES]:
            t = self.snapshot.obj_of(n["id"])
            lines.append(f"  {self._name_of(n['id'])}.grad = {_indent(fmt.full(t._grad))}")
        if len(leaves) > MAX_TEXT_LEAVES:
            lines.append(f"  … ({len(leaves) - MAX_TEXT_LEAVES} more leaves)")
        return lines

    def text(self):
        counts = {}
        for n in self.snapshot.nodes:
            counts[n["kind"]] = counts.get(n["kind"], 0) + 1
        parts = ", ".join(f"{counts[k]} {k}" for k in ("output", "op", "leaf", "saved") if k in counts)
        head = f"GraphView: {len(self.snapshot.nodes)} nodes ({parts}), {len(self.snapshot.edges)} edges"
        return "\n".join([head, text_tree(self.snapshot)])


def _indent(text, by=4):
    return text.replace("\n", "\n" + " " * by)
