"""A computation graph frozen into plain data: what every drawing (DOT, text, widgets) reads.

``snapshot(loss)`` walks the graph once through its public view only (see ``view``: ``grad_fn``,
``next_functions``, ``AccumulateGrad.variable``, ``_saved_*`` / ``_raw_saved_*``, the hook dicts,
``metadata``) and records JSON-ready node and edge dicts. Nothing here reaches into the engine, so
a drawing can never change what backward does, and a real ``torch`` graph snapshots the same way.

Ids are handed out in one fixed order (roots in the order given, then a depth-first walk that
follows ``next_functions`` from index 0), so the same graph always gets the same ids: ``n0``,
``n1``, ... for graph nodes and ``n3.self`` for the tensor ``n3`` saved as ``self``.
Directions follow the forward pass, as torchviz draws it: an edge goes from the input side (the
``next_functions`` entry, or the leaf) to the node that consumes it.

Debugging fields: ``site`` is where a node was made (``"In [3], line 2: y = x * w"``, from
``anomaly.site_of``; None unless ``trace()`` or anomaly mode recorded it), and ``nonfinite`` is
``"nan"`` / ``"inf"`` / None for the values and gradients the node holds now (see
``Snapshot._scan_nonfinite``).
"""
import itertools

import numpy as np

from . import view
from ._format import abbreviate, shape_list, short_repr
from .modules import module_label

STATES = ("pending", "current", "done", "freed", "error")



def _count_hooks(*stores):
    return sum(len(store) for store in stores if store)


_site = view.site


def nonfinite_of(*arrays):
    """"nan" if any of the arrays holds a NaN, else "inf" if one holds ±inf, else None.
    (None entries and integer or bool arrays are skipped: they are always finite.)"""
    worst = None
    for a in arrays:
        if a is None:
            continue
        a = np.asarray(a)
        if a.dtype.kind not in "fc" or a.size == 0:
            continue
        if np.isnan(a).any():
            return "nan"
        if worst is None and np.isinf(a).any():
            worst = "inf"
    return worst


def _blank(nid, kind, label):
    return {"id": nid, "kind": kind, "label": label, "name": None, "shape": None, "dtype": None,
            "value": None, "grad": None, "state": "pending", "saved": [], "hooks": 0,
            "retains_grad": False, "module": None, "requires_grad": True,
            # additions to the contract: an op's own attributes (for show_attrs), the error
            # message on the node an exception came from, where the node was made
            # (``anomaly.site_of``: "In [3], line 2: y = x * w", recorded under trace() or anomaly
            # mode, else None), and whether a value or gradient it holds is NaN / inf
            "attrs": {}, "error": None, "site": None, "nonfinite": None}


class Snapshot:
    """Nodes and edges of one graph as plain dicts, with a map back to the live objects."""

    def __init__(self):
        self.nodes = []
        self.edges = []
        self.roots = []       # node ids of the roots, in the order given
        self.error = None     # set by mark_error: {"node", "type", "message", "label", "site"}
        self._index = {}      # node id -> node dict
        self._objs = {}       # node id -> Node / Tensor / SavedTensor
        self._ids = {}        # id(object) -> node id (objects are kept alive by _alive)
        self._alive = []      # everything whose id() is a key above
        self._info = {}       # node id -> extra facts describe() needs (graph node, root tensor)
        self._explicit = {}   # states set through set_state, kept across refresh()
        self._inferred = set()  # ops put in a module by _infer_modules (not by track_modules)
        self.module_labels = {}  # module path -> "Linear(2→16)" (see module_labels)
        self._saved_views = {}  # saved node id -> view.Saved, read with its owner op
        self._known = []      # tensors given (roots, params, named ones): PyTorch shows a retained
                              # grad only on the tensor, so these are where retained grads are found

    # ---- lookups ----
    def id_of(self, obj):
        """The node id drawn for a Node, a Tensor or a SavedTensor holder; None if not in the graph."""
        nid = self._ids.get(id(obj))
        if nid is not None:
            return nid
        if view.is_tensor(obj) and obj.grad_fn is not None:
            return self._ids.get(id(obj.grad_fn))
        return None

    def obj_of(self, node_id):
        """The live object behind a node id: the Node for ops, the Tensor for leaves and outputs,
        the SavedTensor holder for saved tensors."""
        return self._objs[node_id]

    def graph_node_of(self, node_id):
        """The autograd Node behind an id (a leaf's AccumulateGrad, an output's grad_fn), or None."""
        return self._info[node_id].get("node")

    def node(self, node_id):
        return self._index[node_id]

    def __contains__(self, node_id):
        return node_id in self._index

    def __len__(self):
        return len(self.nodes)

    # ---- states ----
    @property
    def states(self):
        return {n["id"]: n["state"] for n in self.nodes}

    def set_state(self, node_id, state):
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}; expected one of {', '.join(STATES)}")
        self._index[node_id]["state"] = state
        self._explicit[node_id] = state

    def reset_states(self):
        """Forget every state set by hand (or by mark_error); back to what the graph itself shows."""
        self._explicit.clear()
        self.error = None
        for n in self.nodes:
            n["state"] = self._natural_state(n)
            n["error"] = None
            for s in n["saved"]:
                s.pop("error", None)

    def mark_error(self, exc):
        """Mark the node ``exc.autograd_node`` (set by the engine) and the saved tensors that made it
        fail. Returns that node's id, or None when the exception did not come from this graph."""
        failing = getattr(exc, "autograd_node", None)
        nid = self.id_of(failing) if failing is not None else self._failing_node(exc)
        if nid is None:
            return None
        message = str(exc)
        self.error = {"node": nid, "type": type(exc).__name__, "message": message,
                      "label": self._index[nid]["label"], "site": self._index[nid]["site"]}
        self.set_state(nid, "error")
        self._index[nid]["error"] = message
        for entry in self._index[nid]["saved"]:
            # a freed buffer or a stale version is what makes unpacking a saved tensor raise
            if entry["freed"] or entry["stale"]:
                entry["error"] = True
                self.set_state(entry["id"], "error")
                self._index[entry["id"]]["error"] = message
        return nid

    def _failing_node(self, exc):
        """The node a backward failed at, when the error does not say (PyTorch's do not): the first
        node, in the order PyTorch's engine runs them, holding a saved tensor that is freed (for
        "backward a second time") or stale (for "modified by an inplace operation")."""
        message = str(exc)
        flag = ("freed" if message.startswith(view.FREED_START) else
                "stale" if "modified by an inplace operation" in message else None)
        if flag is None:
            return None
        bad = {n["id"] for n in self.nodes if n["kind"] == "op" and any(s[flag] for s in n["saved"])}
        if not bad:
            return None
        graph_roots = [self._info[r]["node"] for r in self.roots if self._info[r].get("node") is not None]
        for node in view.engine_order(graph_roots):
            nid = self._ids.get(id(node))
            if nid in bad:
                return nid
        return None

    # ---- parts of a big graph ----
    def subgraph(self, node_ids):
        """A Snapshot of just these nodes (plus the saved tensors of the ops among them), with the
        same ids, states and objects; its roots are the kept nodes nothing kept consumes."""
        keep = set(node_ids)
        keep |= {s["id"] for i in list(keep) if i in self._index for s in self._index[i]["saved"]}
        sub = Snapshot()
        sub.error = self.error if self.error and self.error["node"] in keep else None
        for n in self.nodes:
            if n["id"] in keep:
                n = dict(n, saved=[dict(e) for e in n["saved"]], attrs=dict(n["attrs"]))
                sub.nodes.append(n)
                sub._index[n["id"]] = n
                sub._objs[n["id"]] = self._objs[n["id"]]
                sub._info[n["id"]] = self._info[n["id"]]
                if n["id"] in self._explicit:
                    sub._explicit[n["id"]] = self._explicit[n["id"]]
        sub._ids = {k: v for k, v in self._ids.items() if v in keep}
        sub._inferred = self._inferred & keep
        sub.module_labels = self.module_labels
        sub._alive = self._alive
        sub._known = self._known
        sub.edges = [dict(e) for e in self.edges if e["source"] in keep and e["target"] in keep]
        consumed = {e["source"] for e in sub.edges if e["kind"] != "saved"}
        sub.roots = [n["id"] for n in sub.nodes if n["kind"] != "saved" and n["id"] not in consumed]
        return sub

    def neighbourhood(self, node_id, radius=3):
        """The nodes at most ``radius`` edges away from ``node_id`` (either direction), as a subgraph:
        what an error display shows when the whole graph is too big to lay out quickly."""
        links = {}
        for e in self.edges:
            if e["kind"] != "saved":
                links.setdefault(e["source"], []).append(e["target"])
                links.setdefault(e["target"], []).append(e["source"])
        seen = {node_id}
        frontier = [node_id]
        for _ in range(radius):
            frontier = list(dict.fromkeys(m for n in frontier for m in links.get(n, ()) if m not in seen))
            seen.update(frontier)
        return self.subgraph(seen)

    # ---- output ----
    def to_dict(self):
        nodes = []
        for n in self.nodes:
            d = dict(n)
            d["saved"] = [dict(s) for s in n["saved"]]
            d["attrs"] = dict(n["attrs"])
            d["shape"] = None if n["shape"] is None else list(n["shape"])
            nodes.append(d)
        return {"nodes": nodes, "edges": [dict(e) for e in self.edges]}

    def refresh(self):
        """Read values, grads, hooks and saved-tensor flags again (after a backward step, say).
        Ids, edges and states set by hand stay as they are."""
        for n in self.nodes:
            n.update(self._describe(n["id"]))
            n["state"] = self._explicit.get(n["id"], self._natural_state(n))
        self._infer_modules()
        self._scan_nonfinite()
        return self

    def _infer_modules(self):
        """A layer's own ops join its parameters' box. Without ``track_modules`` only the parameters
        know their module (by name, "0.weight"); an op whose parameter inputs all belong to one module
        (the Linear's AddmmBackward0 and the TBackward0 of its weight) is put in that module too.
        An op fed by that op alone (a ReLU after it) is not: it is the next layer's input, not the layer."""
        inputs = {}
        for e in self.edges:
            if e["kind"] == "grad":
                inputs.setdefault(e["target"], []).append(e["source"])
        # params, and the views of one parameter (a transposed weight)
        pure = {n["id"]: n["module"] for n in self.nodes if n["kind"] == "leaf" and n["module"]}
        if not pure:
            return
        for _ in range(2):  # nodes come consumers first: walked backwards, inputs are mostly seen first
            for n in reversed(self.nodes):
                if n["kind"] != "op" or (n["module"] and n["id"] not in self._inferred):
                    continue
                ins = inputs.get(n["id"], [])
                found = {pure[i] for i in ins if i in pure}
                if len(found) != 1:
                    continue
                (module,) = found
                n["module"] = module
                self._inferred.add(n["id"])
                if len(ins) == 1:  # a view of one parameter (TBackward0 of a weight) is that parameter
                    pure[n["id"]] = module
        for n in self.nodes:  # a saved tensor hangs in its op's box
            if n["kind"] == "saved" and not n["module"] and n["owner"] in self._inferred:
                n["module"] = self._index[n["owner"]]["module"]

    def _scan_nonfinite(self):
        """Set each node's "nonfinite": the worst of the values and gradients it holds now.

        An op holds no value of its own, but its output is known wherever a tensor it produced is
        still held: a root, a retained tensor, its saved result, or an input another op saved. So
        ``log(0)`` marks LogBackward0 itself, not only the ops downstream of it.
        """
        produced = {}  # op id -> arrays of its outputs seen elsewhere in the graph
        saved_views = {}
        for n in self.nodes:
            if n["kind"] != "saved":
                continue
            sv = saved_views[n["id"]] = self._saved_view(n["id"])
            pid = self._ids.get(id(sv.producer))
            if pid is not None and self._index[pid]["kind"] == "op":
                produced.setdefault(pid, []).append(sv.value)
        for n in self.nodes:
            nid, kind = n["id"], n["kind"]
            obj = self._objs[nid]
            if kind in ("leaf", "output"):
                n["nonfinite"] = nonfinite_of(view.array(obj), view.array(view.grad(obj)))
            elif kind == "saved":
                n["nonfinite"] = nonfinite_of(saved_views[nid].value)
            else:
                arrays = list(produced.get(nid, ()))
                for _, t in self.retained(obj):
                    arrays += [view.array(t), view.array(view.grad(t))]
                root = self._info[nid].get("tensor")
                if root is not None:
                    arrays.append(view.array(root))
                n["nonfinite"] = nonfinite_of(*arrays)

    # ---- building ----
    @staticmethod
    def _natural_state(n):
        if n["kind"] == "saved":
            return "freed" if n["freed"] else "pending"
        if n["kind"] == "op" and any(s["freed"] for s in n["saved"]):
            return "freed"
        return "pending"

    def _register(self, nid, obj, kind, info):
        self._objs[nid] = obj
        self._ids[id(obj)] = nid
        self._alive.append(obj)
        self._info[nid] = dict(info, kind=kind)

    def _describe(self, nid):
        """The node dict's data fields, read from the live objects (no id, kind or state)."""
        info = self._info[nid]
        kind = info["kind"]
        obj = self._objs[nid]
        names = info["names"]
        if kind == "leaf":
            t, acc = obj, info.get("node")
            name = names.get(id(t))
            module = (view.module_of(acc) if acc is not None else None)
            if module is None and name and "." in name:
                module = name.rsplit(".", 1)[0]  # "encoder.0.weight" belongs to "encoder.0"
            return {"label": name or ("AccumulateGrad" if acc is not None else "leaf"), "name": name,
                    "shape": shape_list(t.shape), "dtype": view.dtype_name(t.dtype),
                    "value": abbreviate(view.array(t)), "grad": abbreviate(view.array(view.grad(t))),
                    "hooks": _count_hooks(view.tensor_hooks(t), *(s for _, s in view.node_hooks(acc) if acc)),
                    "retains_grad": False, "module": module, "requires_grad": t.requires_grad,
                    "site": None}
        if kind == "output":
            t = obj
            return {"label": names.get(id(t)) or "output", "name": names.get(id(t)),
                    "shape": shape_list(t.shape), "dtype": view.dtype_name(t.dtype),
                    "value": abbreviate(view.array(t)), "grad": abbreviate(view.array(view.grad(t))),
                    "hooks": 0, "retains_grad": t.retains_grad,
                    "module": view.module_of(t.grad_fn), "requires_grad": t.requires_grad,
                    "site": _site(t.grad_fn)}
        if kind == "saved":
            owner = info["owner"]
            sv = self._saved_view(nid)
            return {"label": sv.name, "name": sv.name, "shape": shape_list(sv.shape),
                    "dtype": sv.dtype, "value": abbreviate(sv.value), "grad": None,
                    "hooks": 0, "retains_grad": False, "module": view.module_of(owner),
                    "requires_grad": False, "owner": info["owner_id"],
                    "saved_version": sv.saved_version, "version": sv.version, "freed": sv.freed,
                    "stale": sv.stale, "is_output": sv.is_output, "site": _site(sv.producer)}
        # an op
        node = obj
        retained = self.retained(node)
        shape = dtype = name = grad = None
        # the public view gives an op's output shape only through a tensor we hold: a retained one,
        # or a root (whose name stays on its output node)
        known = retained[0][1] if retained else info.get("tensor")
        if known is not None:
            shape, dtype = shape_list(known.shape), view.dtype_name(known.dtype)
        if retained:
            name = names.get(id(retained[0][1]))
            grad = abbreviate(view.array(view.grad(retained[0][1])))
        saved = []
        found = view.members(node)
        for sname, sv in view.saved(node, found).items():
            self._saved_views[f"{nid}.{sname}"] = sv
            saved.append({"id": f"{nid}.{sname}", "name": sname, "shape": shape_list(sv.shape),
                          "dtype": sv.dtype, "saved_version": sv.saved_version,
                          "version": sv.version, "freed": sv.freed, "stale": sv.stale,
                          "value": abbreviate(sv.value), "is_output": sv.is_output})
        # drawings cut attributes further (max_attr_chars)
        attrs = {key: short_repr(value, 200) for key, value in view.attributes(node, found).items()}
        hooks = [s for _, s in view.node_hooks(node)]
        if view.is_torch(node):  # PyTorch shows a non-leaf tensor's hooks on the tensor only
            hooks += [view.tensor_hooks(t) for t in self.known_outputs(node)]
        return {"label": view.label(node), "name": name, "shape": shape, "dtype": dtype,
                "value": None, "grad": grad, "saved": saved, "hooks": _count_hooks(*hooks),
                "retains_grad": bool(retained), "module": view.module_of(node), "requires_grad": True,
                "attrs": attrs, "site": _site(node)}

    def known_outputs(self, node):
        """The tensors this snapshot was given (roots, params, named ones) that ``node`` produced."""
        return [t for t in self._known if view.is_tensor(t) and t.grad_fn is node]

    def retained(self, node):
        """``view.retained`` of ``node`` among the tensors this snapshot was given."""
        return view.retained(node, self._known)

    def _saved_view(self, nid):
        """The public view of a saved tensor, as read with its owner op (read it again if not)."""
        sv = self._saved_views.get(nid)
        if sv is None:
            info = self._info[nid]
            sv = self._saved_views[nid] = view.Saved(info["owner"], info["saved_name"])
        return sv

    def _add_node(self, nid, kind):
        d = _blank(nid, kind, "")
        d.update(self._describe(nid))
        d["state"] = self._natural_state(d)
        self.nodes.append(d)
        self._index[nid] = d
        return d

    def _add_edge(self, source, target, index, kind, output_nr=0):
        self.edges.append({"id": f"e{len(self.edges)}", "source": source, "target": target,
                           "index": index, "kind": kind, "output_nr": output_nr})


def module_labels(params, nodes=()):
    """{module path: label} from a model given as ``params=`` and from the ops ``track_modules``
    tagged (``metadata["module_label"]``)."""
    labels = {}
    for obj in nodes:
        meta = getattr(obj, "metadata", None) if view.is_node(obj) else None
        if meta and meta.get("module") is not None and meta.get("module_label"):
            labels.setdefault(str(meta["module"]), str(meta["module_label"]))
    if params is not None and hasattr(params, "named_modules"):
        for name, module in params.named_modules():
            if name:
                labels[name] = module_label(module)
    return labels


def named_items(params):
    """(name, tensor) pairs from a dict, an iterable of pairs, or a module (its named_parameters)."""
    if hasattr(params, "named_parameters"):
        params = params.named_parameters()
    return params.items() if hasattr(params, "items") else params


def _flatten(args):
    out = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(_flatten(a))  # torchviz accepts make_dot((a, b)); nesting is shallow
        elif a is not None:
            out.append(a)
    return out


def snapshot(*tensors_or_nodes, params=None, names=None, tensors=()):
    """Freeze the graph behind some tensors (or nodes) into a :class:`Snapshot`.

    params: ``{name: Tensor}``, an iterable of ``(name, Tensor)`` such as
        ``module.named_parameters()``, or the module itself (autograd_lab's or torch's); those leaves
        are labelled with their names.
    names: ``{id(tensor): name}`` for any other tensor (leaves, outputs, retained tensors).
    tensors: more tensors the graph may hold (a retained grad shows on a torch graph only when its
        tensor is given here or as a root).

    Works alike on autograd_lab's graphs and on real ``torch`` ones.
    """
    label_of = {}
    keep = []  # the named tensors must outlive the snapshot's use of their id()
    if params is not None:
        items = named_items(params)
        for pname, t in items:
            label_of[id(t)] = str(pname)
            keep.append(t)
    if names:
        label_of.update({k: str(v) for k, v in names.items()})

    snap = Snapshot()
    snap._alive.extend(keep)
    counter = itertools.count()

    def new_id():
        return f"n{next(counter)}"

    def key_of(node):
        # a leaf and its AccumulateGrad are one drawn node: key both by the leaf tensor
        return id(node.variable) if view.is_accumulate(node) else id(node)

    tensor_of_node = {}  # id(grad_fn) -> a root tensor it produced as output 0 (for its shape)
    roots = _flatten(tensors_or_nodes)
    snap._known = [r for r in roots if view.is_tensor(r)] + keep + list(tensors)
    snap._alive.extend(tensors)
    for r in roots:
        if view.is_tensor(r) and r.grad_fn is not None and r.output_nr == 0:
            tensor_of_node.setdefault(id(r.grad_fn), r)

    for root in roots:
        if view.is_tensor(root):
            if id(root) in snap._ids:
                snap.roots.append(snap._ids[id(root)])
                continue
            if root.grad_fn is None:
                nid = new_id()
                snap._register(nid, root, "leaf", {"names": label_of, "node": None})
                snap._add_node(nid, "leaf")
                snap.roots.append(nid)
                continue
            nid = new_id()
            snap._register(nid, root, "output", {"names": label_of, "node": root.grad_fn})
            snap._add_node(nid, "output")
            snap.roots.append(nid)
            start = root.grad_fn
        elif view.is_node(root):
            start = root
        else:
            raise TypeError(f"snapshot() takes Tensors or autograd Nodes, not {type(root).__name__}")

        stack = [start]
        first = None
        while stack:  # iterative depth-first walk: a 10,000-node chain is just a long loop
            node = stack.pop()
            key = key_of(node)
            if key in snap._ids:
                seen = snap._ids[key]
                if view.is_accumulate(node) and id(node) not in snap._ids:
                    # the leaf was a root given before the graph that reaches it: adopt its sink
                    snap._ids[id(node)] = seen
                    snap._alive.append(node)
                    snap._info[seen]["node"] = node
                    snap._index[seen].update(snap._describe(seen))
                if first is None:
                    first = seen
                continue
            nid = new_id()
            first = first or nid
            if view.is_accumulate(node):
                snap._register(nid, node.variable, "leaf", {"names": label_of, "node": node})
                snap._ids[id(node)] = nid
                snap._alive.append(node)
                snap._add_node(nid, "leaf")
                continue
            snap._register(nid, node, "op",
                           {"names": label_of, "node": node, "tensor": tensor_of_node.get(id(node))})
            d = snap._add_node(nid, "op")
            for entry in d["saved"]:
                holder = getattr(node, f"_raw_saved_{entry['name']}")
                snap._register(entry["id"], holder, "saved", {"names": label_of, "owner": node,
                                                              "owner_id": nid, "saved_name": entry["name"]})
                snap._add_node(entry["id"], "saved")
            for nxt, _ in reversed(node.next_functions):
                if nxt is not None and id(nxt) not in snap._ids:
                    stack.append(nxt)
        if view.is_node(root):
            snap.roots.append(first)

    for d in snap.nodes:
        nid, kind = d["id"], d["kind"]
        if kind == "output":
            t = snap._objs[nid]
            snap._add_edge(snap._ids[id(t.grad_fn)], nid, 0, "output", t.output_nr)
        elif kind == "op":
            node = snap._objs[nid]
            for i, (nxt, nr) in enumerate(node.next_functions):
                if nxt is not None:
                    snap._add_edge(snap._ids[key_of(nxt)], nid, i, "grad", nr)
            for j, entry in enumerate(d["saved"]):
                snap._add_edge(entry["id"], nid, j, "saved")
    snap.module_labels = module_labels(params, snap._objs.values())
    snap._infer_modules()
    snap._scan_nonfinite()
    return snap
