"""BackwardStepper: the real engine, one node per click.

It holds the generator that ``autograd.backward_steps`` returns, the same one ``loss.backward()``
drains, and pulls ONE step from it per click. After the last step every ``.grad`` is what
``loss.backward()`` would have left, because it is that computation.

Handed a real ``torch`` loss, it steps PyTorch's own engine instead: ``TorchSteps`` runs
``torch.autograd.backward`` on a worker thread paused in each node's pre-hook, and gives the same
``Step`` records, so everything else here is shared.
"""
import contextlib

import traitlets

from .. import grad_mode
from ..autograd import backward_steps
from ..node import walk
from ..viz import nonfinite_of, view
from ..viz.groups import unfolded_to
from . import _format as fmt
from .graph_view import GraphView, _worse

NOT_RETAINED = ("Reset needs retain_graph=True: without it each node frees its saved tensors as it runs, "
                "so this backward cannot run again.")
NOTHING_YET = "Nothing to reset yet: take a step first."
CAN_RESET = "Put every .grad back as it was and start again from the output."
# the whole-state traits a step does not send: it sends `delta`, what it changed, instead
WHOLE_STATE = ("state_codes", "edge_grads", "notes", "nonfinite")


class BackwardStepper(GraphView):
    """``BackwardStepper(loss)``: step (n, →), run to the end (r), reset (with retain_graph=True).

    From Python: ``.step()`` returns the engine's ``Step`` record (None once done), ``.run()``,
    ``.reset()``; ``.steps`` lists the records so far, ``.error`` holds the exception a step raised.
    """

    _kind = "backward-stepper"
    _steps = True

    step_index = traitlets.Int(0).tag(sync=True)
    total_steps = traitlets.Int(0).tag(sync=True)
    done = traitlets.Bool(False).tag(sync=True)
    can_reset = traitlets.Bool(False).tag(sync=True)
    reset_reason = traitlets.Unicode("").tag(sync=True)
    step_reason = traitlets.Unicode("").tag(sync=True)
    # what the last step changed: {"seq", "states": {node id: letter}, "edge_grads": {edge id: text},
    # "notes": {node id: text}}. A step sends this, not the whole state_codes / edge_grads / notes,
    # so a click costs the same on a 10-node and a 3,000-node graph; those traits stay right in
    # Python and go to the browser at a pass's end, on reset and run, and when a view asks (resync).
    delta = traitlets.Dict().tag(sync=True)

    def __init__(self, loss, retain_graph=False, gradient=None, create_graph=False, **kwargs):
        self._quiet = False  # True while a step runs: the whole-state traits are not sent
        self._seq = 0
        self.loss = loss
        # None means what it means to loss.backward(): keep the graph exactly when create_graph does
        self.retain_graph = bool(create_graph if retain_graph is None else retain_graph)
        self.gradient = gradient
        self.create_graph = create_graph
        self.steps = []
        self.error = None
        # argument errors (a non-scalar loss without gradient ...) surface here, not on the first click
        self._gen = self._steps()
        self._total = self._count_nodes()
        super().__init__(loss, **kwargs)
        self._initial_states = dict(self._states)
        self._initial_nonfinite = dict(self.nonfinite)
        self._saved_grads = self._grab_grads()

    # ---- the engine ----
    def _steps(self):
        """The source of Step records: autograd_lab's engine, or PyTorch's paused on a thread."""
        if view.is_torch(self.loss):
            from ._torch_steps import TorchSteps
            return TorchSteps(self.loss, self.gradient, retain_graph=self.retain_graph,
                              create_graph=self.create_graph)
        return backward_steps(self.loss, self.gradient, retain_graph=self.retain_graph,
                              create_graph=self.create_graph)

    def _count_nodes(self):
        """How many steps the engine will take: every node reachable from the loss gets a gradient."""
        start = self.loss.grad_fn
        if start is None:
            return 1 if self.loss.requires_grad else 0  # a leaf: its AccumulateGrad alone
        return sum(1 for _ in walk([start]))

    def _grab_grads(self):
        """Every .grad this backward may touch, as it is now (reset puts them back)."""
        tensors = []
        for n in self.snapshot.nodes:
            holder = self._grad_holder(n["id"]) if n["kind"] != "saved" else None
            if holder is not None and all(holder is not t for t, _, _ in tensors):
                g = view.grad(holder)
                tensors.append((holder, g, None if g is None else g.detach().clone()))
        return tensors

    def _advance(self):
        """Pull one step from the engine and record it; False when there is nothing more to do."""
        if self.done or self.error is not None:
            return False
        try:
            record = next(self._gen)
        except StopIteration:
            self._finish()
            return False
        except Exception as exc:  # noqa: BLE001 - marked on the graph and kept on .error, then re-raised
            self._fail(exc)
            raise
        self._record(record)
        if len(self.steps) >= self._total:
            # the engine signals the end (and its 'done' event) only when asked for one more step
            try:
                extra = next(self._gen)
            except StopIteration:
                self._finish()
            except Exception as exc:  # noqa: BLE001
                self._fail(exc)
                raise
            else:  # the count was short (a node got no gradient): keep stepping normally
                self._total += 1
                self._record(extra)
        return True

    def _record(self, record):
        snap = self.snapshot
        nid = snap.id_of(record.node)
        self.steps.append(record)
        states = dict(self._states)
        if self.current and states.get(self.current) == "current":
            states[self.current] = "done"
        if nid is not None:
            self._records[nid] = record
            states[nid] = "current"
            for name in record.freed:
                states[f"{nid}.{name}"] = "freed"
            labels = dict(self.edge_grads)
            for i, g in enumerate(record.grad_out):
                edge = self._edge_of.get((nid, i))
                if edge is not None and g is not None:
                    labels[edge] = fmt.short(g)
            # the output edges carry the gradient the root started from; the output is then done
            for e in snap.edges:
                if e["kind"] == "output" and e["source"] == nid and e["output_nr"] < len(record.grad_in):
                    g = record.grad_in[e["output_nr"]]
                    if g is not None:
                        labels[e["id"]] = fmt.short(g)
                        states[e["target"]] = "done"
            self.edge_grads = labels
            notes = dict(self.notes)
            touched = [snap.id_of(var) for var, _ in record.accumulated]
            if snap.node(nid)["retains_grad"]:
                touched.append(nid)
            for e in snap.edges:  # a retained output tensor of this node
                if e["kind"] == "output" and e["source"] == nid:
                    touched.append(e["target"])
            for tid in touched:
                if tid is not None:
                    note = self._note(tid)
                    if note:
                        notes[tid] = note
            self.notes = notes
            self._mark_nonfinite(nid, record, touched)
        self._set_states(states)
        self.current = nid or ""

    def _mark_nonfinite(self, nid, record, touched):
        """Add what this step showed: NaN or inf in the grad that arrived or was sent (the node
        itself), or in a .grad it filled (the leaf). Marks stay for the rest of the pass."""
        marks = dict(self.nonfinite)
        grads = [view.array(g) for g in (*record.grad_in, *record.grad_out) if g is not None]
        flag = _worse(marks.get(nid), nonfinite_of(*grads))
        if flag:
            marks[nid] = flag
        for tid in touched:
            g = view.grad(self._grad_holder(tid)) if tid is not None else None
            if g is not None:
                flag = _worse(marks.get(tid), nonfinite_of(view.array(g)))
                if flag:
                    marks[tid] = flag
        if marks != self.nonfinite:
            self.nonfinite = marks

    def _explanation(self, node_id):
        why = super()._explanation(node_id)
        if why is not None and why.reason == "not_run" and not self.done and self.error is None:
            # the pass is under way: "not run yet" means the stepper has not got there
            name = self.snapshot.node(node_id)["name"] or node_id
            out = self._names.get(id(self.loss)) or "the output"
            why = type(why)("not_run", f"{name} is reached from {out}: its .grad is None because the stepper has not "
                                       f"got to it yet (its node, {node_id}, runs later). Step on.")
        return why

    def _finish(self):
        states = dict(self._states)
        if self.current and states.get(self.current) == "current":
            states[self.current] = "done"
        self._set_states(states)
        self.current = ""
        self.done = True
        self._total = len(self.steps)

    def _fail(self, exc):
        self.error = exc
        info = self._mark_error(exc)
        states = dict(self._states)
        if self.current and states.get(self.current) == "current":
            states[self.current] = "done"
        for node in self.snapshot.nodes:  # the failing node and the saved tensor that made it fail
            if node["state"] == "error":
                states[node["id"]] = "error"
        self._set_states(states)
        self.current = ""
        self.notes = self._leaf_notes()  # the engine rolled every .grad back: show that
        if info["node"] and "returned nan values" in info["message"]:
            # anomaly mode's check: the failing node's backward returned NaN (it never got to yield)
            self.nonfinite = {**self.nonfinite, info["node"]: "nan"}
        self.error_info = info
        if info["node"]:   # the failing node is drawn, not folded away
            self.collapsed = unfolded_to(self._groups, info["node"], self.collapsed)
        self.selected = info["node"] or self.selected

    # ---- the public steps ----
    def step(self):
        """Run the next node of backward. Returns its ``Step`` (None when done); raises what it raised."""
        before = len(self.steps)
        with self._sending_changes_only():
            self._advance()
        return self.steps[before] if len(self.steps) > before else None

    @contextlib.contextmanager
    def _sending_changes_only(self):
        """One message for the browser, even when the step raises, holding `delta` (what changed)
        instead of the whole state; the whole state follows once the pass has ended."""
        codes, edges, notes, marks = self.state_codes, self.edge_grads, self.notes, self.nonfinite
        self._quiet = True
        try:
            with self.hold_sync():
                try:
                    yield
                finally:
                    self._sync()
                    self._seq += 1
                    self.delta = {"seq": self._seq, "states": _changed_codes(self._order, codes, self.state_codes),
                                  "edge_grads": _changed(edges, self.edge_grads), "notes": _changed(notes, self.notes),
                                  "nonfinite": _changed(marks, self.nonfinite)}
        finally:
            self._quiet = False
            if self.done or self.error is not None:
                self.send_state(list(WHOLE_STATE))

    def _should_send_property(self, key, value):
        if self._quiet and key in WHOLE_STATE:
            return False
        return super()._should_send_property(key, value)

    def run(self):
        """Run backward to the end (one update for the browser, however many steps)."""
        with self.hold_sync():
            try:
                while self._advance():
                    pass
            finally:
                self._sync()
        return self

    def reset(self):
        """Start again: every .grad back as it was when the stepper was made (needs retain_graph=True)."""
        if not self.retain_graph:
            raise RuntimeError(NOT_RETAINED)
        self._gen.close()
        no_grad = (view.torch_module() if view.is_torch(self.loss) else grad_mode).no_grad
        with no_grad():
            for tensor, grad, values in self._saved_grads:
                if grad is not None:
                    grad.copy_(values)  # the same .grad object, with its values as they were
                if view.grad(tensor) is not grad:
                    tensor.grad = grad
        self.steps = []
        self.error = None
        self._records.clear()
        self.snapshot.reset_states()
        self._total = self._count_nodes()
        self._gen = self._steps()
        with self.hold_sync():
            self._set_states(self._initial_states)
            self.current = ""
            self.edge_grads = {}
            self.notes = self._leaf_notes()
            self.nonfinite = dict(self._initial_nonfinite)
            self.error_info = {}
            self.done = False
            self._sync()
        return self

    def back(self):
        """One step back: backward cannot be undone, so the pass starts again (``reset``, which needs
        retain_graph=True) and runs up to the step before the current one. Returns the new step count."""
        target = max(len(self.steps) - 1, 0)
        with self.hold_sync():
            self.reset()
            try:
                while len(self.steps) < target and self._advance():
                    pass
            finally:
                self._sync()
        return len(self.steps)

    def _on_action(self, action):
        # from a button: the exception is already on .error and in the error panel
        try:
            if action == "step":
                self.step()
            elif action == "run":
                self.run()
            elif action == "reset" and self.can_reset:
                self.reset()
            elif action == "back" and self.can_reset:
                self.back()
            elif action == "resync":  # a view opened mid-pass: it has only the last full send
                self.send_state(list(WHOLE_STATE))
        except Exception:  # noqa: BLE001
            if self.error is None:
                raise

    # ---- state for the browser ----
    @property
    def total(self):
        return self._total

    def _initial_traits(self):
        return self._progress()

    def _progress(self):
        """The traits that say where the pass is (counts, what the buttons may do and why)."""
        if not self.retain_graph:
            can_reset, reset_reason = False, NOT_RETAINED
        elif not self.steps and self.error is None:
            can_reset, reset_reason = False, NOTHING_YET
        else:
            can_reset, reset_reason = True, CAN_RESET
        if self.error is not None:
            step_reason = "The backward pass failed (see the error)" + (
                "; reset to try again." if self.retain_graph else ".")
        elif self.done:
            step_reason = "Backward is done" + ("; reset to step again." if self.retain_graph else ".")
        else:
            step_reason = ""
        return {"step_index": len(self.steps), "total_steps": self._total, "can_reset": can_reset,
                "reset_reason": reset_reason, "step_reason": step_reason}

    def _sync(self):
        with self.hold_sync():
            for name, value in self._progress().items():
                setattr(self, name, value)
            if self.selected:
                self.inspector = self.inspect(self.selected)
            self._update_summary()
            # once shown, the static picture follows the pass to its end (and back, on reset); not
            # every step: each would cost a Graphviz run and a picture on the wire
            if self.static_svg and (self.done or self.error is not None or not self.steps):
                self.picture()

    def _update_summary(self):
        # the browser's status line: the error panel above already says the message
        text = self.text()
        if self.error is not None:
            head, _, rest = text.partition("\n")
            where = self._label_of(self.error_info.get("node", "")) or "?"
            head = f"BackwardStepper: step {len(self.steps)}/{self._total}, failed at {where} " \
                   f"({type(self.error).__name__}: see the error above)"
            text = "\n".join([head, rest]) if rest else head
        self.summary = text

    def text(self):
        i, total = len(self.steps), self._total
        if self.error is not None:
            where = self._label_of(self.error_info.get("node", "")) or "?"
            head = f"BackwardStepper: step {i}/{total}, error at {where}: {type(self.error).__name__}: {self.error}"
        elif self.done:
            head = f"BackwardStepper: step {i}/{total}, done"
        elif self.current:
            head = f"BackwardStepper: step {i}/{total}, current {self._label_of(self.current)}"
        else:
            head = f"BackwardStepper: step {i}/{total}, not started"
        return "\n".join([head, *self._folded_lines, *self._leaf_lines()])


    def close(self):
        """Close the widget; a PyTorch backward paused under it is aborted, its thread ended."""
        gen = getattr(self, "_gen", None)
        if gen is not None:
            gen.close()
        super().close()


def _changed_codes(order, before, after):
    """{node id: letter} for every node whose state letter differs."""
    return {order[i]: c for i, (b, c) in enumerate(zip(before, after)) if b != c}


def _changed(before, after):
    """The entries of `after` that are new or differ from `before` (a step only adds and updates)."""
    return {k: v for k, v in after.items() if before.get(k) != v}


__all__ = ["BackwardStepper"]
