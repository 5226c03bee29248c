"""The widgets from Python: trait state against the engine's own step records, GradWatch's
history, errors drawn on the graph, text reprs, and what a saved notebook weighs.

No browser here (tests/browser/ has those); the comm is the DummyComm ipywidgets uses outside a
kernel, wrapped to count what would go over the wire.
"""
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

import autograd_lab as torch
from autograd_lab import engine
from autograd_lab.autograd import backward_steps
from autograd_lab.viz import snapshot
from autograd_lab.viz.groups import representatives

if os.environ.get("CI") != "true":
    pytest.importorskip("anywidget", reason="the widgets need the lab extra (pip install -e .[lab])")

from autograd_lab.widgets import BackwardStepper, GradWatch, GraphView  # noqa: E402
from autograd_lab.widgets import _bundle, _format as fmt  # noqa: E402
from autograd_lab.widgets.graph_view import STATE_CODES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DECODE = {v: k for k, v in STATE_CODES.items()}


def make():
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    w = torch.tensor([0.5, -1., 2.], requires_grad=True)
    loss = ((x * w).sigmoid() * x).sum()
    return x, w, loss


def engine_run(loss):
    """The engine's steps on a graph, by snapshot id (ids are the same for identical graphs)."""
    snap = snapshot(loss)
    return [(snap.id_of(st.node), st) for st in backward_steps(loss)]


@pytest.fixture
def wire(monkeypatch):
    """Every comm message a widget sends (the DummyComm drops them; this keeps them)."""
    sent = []
    import comm

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        if msg_type == "comm_open":
            sent.append(({"method": "open", **(data or {})}, buffers))
        elif msg_type == "comm_msg":
            sent.append((data, buffers))

    monkeypatch.setattr(comm.DummyComm, "publish_msg", publish_msg)
    return sent


# ---- BackwardStepper against the engine ----

def test_stepper_state_after_each_step_is_the_engines_step_record():
    x, w, loss = make()
    stepper = BackwardStepper(loss)
    x2, w2, loss2 = make()
    expected = engine_run(loss2)
    snap = stepper.snapshot
    assert stepper.total == len(expected) == 6
    assert stepper.text().splitlines()[0] == "BackwardStepper: step 0/6, not started"
    ran = []
    for i, (want_id, want) in enumerate(expected):
        record = stepper.step()
        nid = snap.id_of(record.node)
        assert nid == want_id and record.index == want.index == i
        ran.append(nid)
        states = stepper.states
        # the codes on the wire decode to the same states
        assert {n: DECODE[c] for n, c in zip(stepper._order, stepper.state_codes)} == states
        assert stepper.step_index == i + 1
        if i < len(expected) - 1:
            assert stepper.current == nid and states[nid] == "current"
            assert all(states[r] == "done" for r in ran[:-1])
        else:  # the last step drained the engine
            assert stepper.done and stepper.current == "" and all(states[r] == "done" for r in ran)
        # the gradient sent along each edge is on that edge
        for k, g in enumerate(record.grad_out):
            edge = stepper._edge_of.get((nid, k))
            if edge is not None and g is not None:
                assert stepper.edge_grads[edge] == fmt.short(g)
                np.testing.assert_allclose(g.numpy(), want.grad_out[k].numpy())
        # buffers freed by this step are drawn freed
        for name in record.freed:
            assert states[f"{nid}.{name}"] == "freed"
        assert sorted(record.freed) == sorted(want.freed)
        # a leaf shows its .grad as it grows
        for var, _g in record.accumulated:
            assert stepper.notes[snap.id_of(var)] == f"grad {fmt.short(var.grad)}"
    assert stepper.step() is None
    # it IS the engine: the .grad values are what loss.backward() gives
    assert x.grad.tolist() == x2.grad.tolist() and w.grad.tolist() == w2.grad.tolist()
    assert len(stepper.steps) == 6 and stepper.text().splitlines()[0] == "BackwardStepper: step 6/6, done"


def test_run_matches_stepping_and_sends_one_update(wire):
    x, w, loss = make()
    stepper = BackwardStepper(loss)
    wire.clear()
    stepper.run()
    updates = [d for d, _ in wire if d and d.get("method") == "update"]
    assert len(updates) == 1
    x2, w2, loss2 = make()
    stepped = BackwardStepper(loss2)
    while stepped.step() is not None:
        pass
    assert stepper.states == stepped.states and stepper.edge_grads == stepped.edge_grads
    assert x.grad.tolist() == x2.grad.tolist() and w.grad.tolist() == w2.grad.tolist()


def test_a_step_sends_small_state_and_never_the_dot(wire):
    _, _, loss = make()
    stepper = BackwardStepper(loss)
    # everything, the DOT included, went out with the opening message: no update after it
    ours = [d for d, _ in wire if "_anywidget_id" in d.get("state", {})]  # (the other is its Layout)
    assert [d["method"] for d in ours] == ["open"]
    opening = ours[0]
    assert opening["state"]["dot"] == stepper.dot
    assert opening["state"]["total_steps"] == 6 and opening["state"]["summary"] == stepper.text()
    wire.clear()
    stepper.step()
    stepper.step()
    updates = [d for d, _ in wire if d and d.get("method") == "update"]
    assert len(updates) == 2
    for u in updates:
        keys = set(u["state"])
        assert "dot" not in keys and "graph" not in keys and "_esm" not in keys
        # what the step changed, not the whole state (issue 17: a click costs the same at any size)
        assert {"delta", "current", "step_index"} <= keys
        assert not keys & {"state_codes", "edge_grads", "notes", "nonfinite"}
        assert len(json.dumps(u)) < 3000
    first, second = (u["state"]["delta"] for u in updates)
    assert second["seq"] == first["seq"] + 1
    # the first step makes its node current and the output done; the second makes it done
    assert set(first["states"].values()) <= {"c", "d"} and "c" in first["states"].values()
    was_current = [k for k, v in first["states"].items() if v == "c"]
    assert was_current and all(second["states"][k] == "d" for k in was_current)


def test_the_deltas_add_up_to_the_whole_state_sent_at_the_end(wire):
    """Playing every step's delta onto the opening state gives what Python holds; at the pass's
    end (and on reset) the whole state is sent too, so a view opened later starts right."""
    _, _, loss = make()
    stepper = BackwardStepper(loss, retain_graph=True)
    order = [n["id"] for n in stepper.graph["nodes"]]
    states = dict(zip(order, stepper.state_codes))
    edges, notes = dict(stepper.edge_grads), dict(stepper.notes)
    wire.clear()
    while not stepper.done:
        stepper.step()
        update = [d for d, _ in wire if d and d.get("method") == "update"]
        if not stepper.done:
            assert len(update) == 1
        delta = update[0]["state"].get("delta", {})
        states.update(delta.get("states", {}))
        edges.update(delta.get("edge_grads", {}))
        notes.update(delta.get("notes", {}))
        if not stepper.done:
            wire.clear()
    assert "".join(states[i] for i in order) == stepper.state_codes and "c" not in stepper.state_codes
    assert edges == stepper.edge_grads and len(edges) > 3 and notes == stepper.notes
    whole = [d["state"] for d, _ in wire if d and d.get("method") == "update" and "state_codes" in d["state"]]
    assert whole and whole[-1]["state_codes"] == stepper.state_codes and whole[-1]["edge_grads"] == stepper.edge_grads
    assert whole[-1]["nonfinite"] == stepper.nonfinite
    wire.clear()
    stepper.reset()
    sent = {k for d, _ in wire if d and d.get("method") == "update" for k in d["state"]}
    assert {"state_codes", "edge_grads", "notes"} <= sent
    wire.clear()
    stepper.step()
    stepper._on_action("resync")  # a view opened mid-pass asks for the whole state
    last = [d["state"] for d, _ in wire if d and d.get("method") == "update"][-1]
    assert last["state_codes"] == stepper.state_codes and "c" in last["state_codes"]


def test_nan_marks_travel_in_the_delta_and_add_up(wire):
    """A step that meets a NaN gradient sends its new marks in its delta, not the whole map (21 KB a
    step on a deep graph): played onto the opening marks, the deltas give what Python holds."""
    x = torch.tensor([1.0, 0.0, 4.0], requires_grad=True)
    with np.errstate(all="ignore"):
        loss = (x.sqrt() * x.log()).sum()   # at 0: 0 * -inf in forward, inf * ... in backward
        stepper = BackwardStepper(loss)
        marks = dict(stepper.nonfinite)
        wire.clear()
        sent = 0
        while not stepper.done:
            stepper.step()
            for d, _ in wire:
                if d and d.get("method") == "update" and "delta" in d["state"]:
                    assert "nonfinite" not in d["state"]
                    new = d["state"]["delta"]["nonfinite"]
                    assert all(marks.get(k) != v for k, v in new.items())   # only what this step added
                    marks.update(new)
                    sent += len(new)
            wire.clear()
    assert sent and marks == stepper.nonfinite and set(marks.values()) <= {"nan", "inf"}


def test_a_view_says_when_a_later_backward_freed_what_it_drew():
    """Run All: the view's cell ran before the cell that calls backward(). Its drawing turns the
    freed buffers dashed on a click (drawing and inspector agree), and the inspector says that this
    one thing happened after the view was drawn; a view drawn after the backward does not."""
    x, w, loss = make()
    before = GraphView(loss)
    loss.backward()
    after = GraphView(loss)
    op = next(n["id"] for n in before.snapshot.nodes if n["label"] == "SigmoidBackward0")
    before.selected = op
    assert before.states[op] == "freed"
    first = before.inspector["sections"][0]
    assert first["title"] == "freed after this view was drawn" and "later backward()" in first["text"]
    after.selected = op
    assert after.states[op] == "freed"
    assert all(s["title"] != "freed after this view was drawn" for s in after.inspector["sections"])


def test_reset_puts_the_grads_back_and_steps_again():
    x, w, loss = make()
    x.grad = torch.tensor([10., 10., 10.])
    stepper = BackwardStepper(loss, retain_graph=True)
    assert not stepper.can_reset and "take a step" in stepper.reset_reason
    stepper.run()
    assert stepper.can_reset and stepper.done
    after_one = x.grad.tolist()
    stepper.reset()
    assert x.grad.tolist() == [10., 10., 10.] and w.grad is None
    assert not stepper.done and stepper.step_index == 0 and stepper.edge_grads == {}
    assert set(stepper.states.values()) == {"pending"}
    stepper.step()
    stepper.step()
    stepper.reset()  # in the middle of a pass too
    stepper.run()
    assert x.grad.tolist() == after_one


def test_reset_needs_retain_graph():
    _, _, loss = make()
    stepper = BackwardStepper(loss)
    stepper.step()
    assert not stepper.can_reset and "retain_graph=True" in stepper.reset_reason
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        stepper.reset()
    stepper._on_action("reset")  # the button is disabled; a stray message changes nothing
    assert stepper.step_index == 1


def test_stepper_with_gradient_and_create_graph():
    a = torch.tensor([1., 2.], requires_grad=True)
    y = a * a
    stepper = BackwardStepper(y, gradient=torch.tensor([1., 0.5]), create_graph=True)
    stepper.run()
    assert a.grad.tolist() == [2., 2.] and a.grad.requires_grad


# ---- errors on the graph ----

def test_backward_twice_marks_the_node_and_its_freed_buffer():
    x, w, loss = make()
    loss.backward()
    before = (x.grad.tolist(), w.grad.tolist())
    stepper = BackwardStepper(loss)
    # drawn freed before anything runs
    assert stepper.states["n2"] == "freed"
    with pytest.raises(RuntimeError, match="backward through the graph a second time") as info:
        stepper.run()
    exc = info.value
    assert stepper.error is exc
    nid = stepper.snapshot.id_of(exc.autograd_node)
    assert stepper.error_info["node"] == nid and stepper.states[nid] == "error"
    assert stepper.error_info["type"] == "RuntimeError" and str(exc) == stepper.error_info["message"]
    bad = [s for s in stepper.snapshot.node(nid)["saved"] if s.get("error")]
    assert bad and all(stepper.states[s["id"]] == "error" for s in bad)
    assert any(d.endswith(": freed") for d in stepper.error_info["details"])
    # the engine rolled the failed pass back; the widget still answers
    assert (x.grad.tolist(), w.grad.tolist()) == before
    assert stepper.step() is None and stepper.selected == nid
    assert stepper.inspector["sections"][0]["title"] == "error"
    assert stepper.text().startswith(f"BackwardStepper: step 1/6, error at MulBackward0 ({nid}): RuntimeError: "
                                     "Trying to backward")


def test_inplace_change_marks_the_stale_saved_tensor():
    a = torch.tensor([1., 2., 3.], requires_grad=True)
    b = a.sigmoid()
    c = (b * a).sum()
    b.mul_(2)
    stepper = BackwardStepper(c, retain_graph=True)
    stepper._on_action("run")  # from the button: caught, kept on .error, shown in the panel
    exc = stepper.error
    assert isinstance(exc, RuntimeError) and "is at version 1; expected version 0 instead" in str(exc)
    nid = stepper.error_info["node"]
    assert nid == stepper.snapshot.id_of(exc.autograd_node) and stepper.states[nid] == "error"
    assert stepper.states[f"{nid}.self"] == "error"
    assert stepper.error_info["details"] == [f"{nid}.self (self [3]): version 1, expected 0"]
    assert a.grad is None  # rolled back
    assert stepper.can_reset and "reset" in stepper.step_reason
    stepper.reset()
    assert stepper.error is None and stepper.error_info == {} and "error" not in stepper.states.values()


def test_any_exception_from_a_click_is_shown_not_swallowed():
    _, _, loss = make()
    stepper = BackwardStepper(loss)
    stepper._gen = (1 / 0 for _ in range(1))  # an exception that is not the engine's: no node to mark
    stepper._on_action("step")
    assert isinstance(stepper.error, ZeroDivisionError)
    assert stepper.error_info["type"] == "ZeroDivisionError" and stepper.error_info["node"] == ""
    assert "error" not in stepper.states.values()
    with pytest.raises(ZeroDivisionError):  # from Python it raises as well
        stepper2 = BackwardStepper(make()[2])
        stepper2._gen = (1 / 0 for _ in range(1))
        stepper2.step()


# ---- GraphView ----

def test_graph_view_payload_and_inspector():
    x, w, loss = make()
    view = GraphView(loss)
    nodes = {n["id"]: n for n in view.graph["nodes"]}
    assert nodes["n0"]["kind"] == "output" and nodes["n0"]["label"] == "loss"
    assert {n["label"] for n in nodes.values() if n["kind"] == "leaf"} == {"x", "w"}
    assert 'n1 -> n0' in view.dot and "digraph" in view.dot
    assert view.graph["roots"] == ["n0"] and len(view.state_codes) == len(view.graph["nodes"])
    view.selected = "n3"
    sections = {s["title"]: s for s in view.inspector["sections"]}
    assert view.inspector["title"] == "SigmoidBackward0"
    assert sections["saved tensors"]["table"]["rows"][0][0] == "result"
    leaf = next(i for i, n in nodes.items() if n["label"] == "x")
    view.selected = leaf
    assert {s["title"] for s in view.inspector["sections"]} >= {"tensor", "value", ".grad"}
    view.selected = ""
    assert view.inspector == {}


def test_graph_view_draws_an_error_it_is_given():
    x, w, loss = make()
    loss.backward()
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    exc = info.value
    view = GraphView(loss, error=exc)
    nid = view.error_info["node"]
    assert nid == view.snapshot.id_of(exc.autograd_node) and view.states[nid] == "error"
    assert view.error_info["message"] == str(exc) and view.error_info["details"]


def test_hooks_and_retained_grads_are_marked():
    a = torch.tensor([1., 2.], requires_grad=True)
    b = a * 2
    b.retain_grad()
    b.register_hook(lambda g: g * 1)
    a.register_hook(lambda g: g)
    loss = b.sum()
    view = GraphView(loss)
    nodes = {n["label"]: n for n in view.graph["nodes"]}
    assert nodes["MulBackward0"]["retains_grad"] and nodes["MulBackward0"]["hooks"] == 1
    assert nodes["a"]["hooks"] == 1
    # the badges go out as data, in the order of the label line the DOT draws them on
    assert nodes["MulBackward0"]["badges"] == [{"kind": "hook", "text": "1 hook"},
                                               {"kind": "retain", "text": "retains grad"}]
    assert nodes["a"]["badges"] == [{"kind": "hook", "text": "1 hook"}]
    assert "1 hook, retains grad" in view.dot
    view.selected = view.snapshot.id_of(b.grad_fn)
    assert any(s["title"] == "hooks" for s in view.inspector["sections"])
    stepper = BackwardStepper(loss)
    stepper.run()
    assert stepper.notes[view.snapshot.id_of(b.grad_fn)] == "grad [1., 1.]"


# ---- GradWatch ----

def test_grad_watch_history_across_backward_zero_grad_and_optimizer_steps():
    w = torch.tensor([1., -2.], requires_grad=True)
    b = torch.tensor(0.5, requires_grad=True)
    watch = GradWatch(w, b)
    assert watch.names == ["w", "b"] and watch.leaves[1] == {"name": "b", "shape": "scalar"}

    def loss():
        return ((w * 3. + b) ** 2).sum()

    loss().backward()
    loss().backward()  # accumulates
    assert [r.event for r in watch.history] == ["backward", "backward"]
    np.testing.assert_allclose(watch.history[1].grads[0], 2 * watch.history[0].grads[0])
    # zero_grad and a step: the real optimizer when there is one, else by hand with the same events
    try:
        from autograd_lab.optim import SGD
        opt = SGD([w, b], lr=0.1)
        opt.step()
        opt.zero_grad()
    except ImportError:
        with torch.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        engine._emit("optimizer_step", [w, b])
        w.grad = None
        b.grad = None
        engine._emit("zero_grad", [w, b])
    assert [r.event for r in watch.history] == ["backward", "backward", "optimizer_step", "zero_grad"]
    assert watch.history[-1].grads == (None, None)
    assert watch.series("b")[:2] == [pytest.approx(watch.history[0].grads[1].item()),
                                     pytest.approx(watch.history[1].grads[1].item())]
    assert watch.series("b")[-1] is None
    # what the browser gets: one row per tensor, the sparkline series, the recent log
    row = watch.rows[0]
    assert row["events"] == ["backward", "backward", "optimizer_step", "zero_grad"] and row["count"] == 4
    assert row["metric"].startswith("‖grad‖") and watch.rows[1]["metric"] == "grad"
    assert watch.log[0]["event"] == "zero_grad" and watch.log[0]["grads"] == ["None", "None"]
    # an event about other tensors is not ours
    engine._emit("zero_grad", [torch.tensor([1.], requires_grad=True)])
    assert len(watch.history) == 4
    assert watch.text() == "\n".join([
        "GradWatch: 2 tensors, 4 events (backward, backward, optimizer_step, zero_grad)",
        "  w.grad = None", "  b.grad = None"])


def test_grad_watch_follows_a_stepper_live_and_ignores_failed_passes():
    x, w, loss = make()
    watch = GradWatch(x, names=["x"])
    stepper = BackwardStepper(loss, retain_graph=True)
    for _ in range(stepper.total - 1):
        stepper.step()
    # accumulated already (a leaf's step ran), but the pass is not done: no history entry yet
    assert x.grad is not None and watch.rows[0]["grad"] == fmt.short(x.grad, 48)
    assert watch.history == []
    stepper.step()
    assert [r.event for r in watch.history] == ["backward"]
    # a pass that fails is rolled back and leaves no entry
    x2, w2, loss2 = make()
    watch2 = GradWatch(x2, w2)
    loss2.backward()
    with pytest.raises(RuntimeError):
        loss2.backward()
    assert [r.event for r in watch2.history] == ["backward"]


class FakeEvents:
    """IPython's event registry, enough for GradWatch."""

    def __init__(self):
        self.callbacks = {"pre_run_cell": [], "post_run_cell": []}

    def register(self, event, fn):
        self.callbacks[event].append(fn)

    def unregister(self, event, fn):
        self.callbacks[event].remove(fn)

    def trigger(self, event):
        for fn in list(self.callbacks[event]):
            fn(None)


def test_grad_watch_throttles_a_training_loop_in_a_cell_and_flushes_at_its_end(monkeypatch, wire):
    from autograd_lab.widgets import grad_watch
    ip = type("FakeShell", (), {"events": FakeEvents()})()
    monkeypatch.setattr(grad_watch, "_ipython", lambda: ip)
    a = torch.tensor([1., 2.], requires_grad=True)
    watch = GradWatch(a)
    wire.clear()
    for _ in range(200):  # the same cell goes on: a tight loop
        (a * a).sum().backward()
    updates = [d for d, _ in wire if d and d.get("method") == "update"]
    assert len(watch.history) == 200 and len(updates) < 20
    ip.events.trigger("post_run_cell")  # the cell ends: the last state goes out
    assert watch.rows[0]["count"] == 200 and watch.rows[0]["grad"] == fmt.short(a.grad, 48)
    assert len(watch.rows[0]["series"]) == 100  # the browser gets the last 100 points
    # outside a cell (a stepper's button), every event is sent at once
    wire.clear()
    (a * a).sum().backward()
    (a * a).sum().backward()
    assert len([d for d, _ in wire if d and d.get("method") == "update"]) >= 2
    watch.close()
    assert ip.events.callbacks == {"pre_run_cell": [], "post_run_cell": []}


def test_grad_watch_detaches_its_listener_when_closed():
    a = torch.tensor([1.], requires_grad=True)
    watch = GradWatch(a)
    assert watch.listening
    n = len(engine._listeners)
    watch.close()
    assert not watch.listening and len(engine._listeners) == n - 1
    (a * 2).sum().backward()
    assert watch.history == []
    watch.close()  # twice is fine


def test_grad_watch_stop_freezes_it_on_screen():
    a = torch.tensor([1.], requires_grad=True)
    watch = GradWatch(a)
    (a * 2).sum().backward()
    n = len(engine._listeners)
    assert watch.live and "stopped" not in watch.text()
    watch.stop()
    assert not watch.live and not watch.listening and len(engine._listeners) == n - 1
    (a * 3).sum().backward()  # a later cell: the stopped watch does not count it
    assert [r.event for r in watch.history] == ["backward"]
    assert watch.summary == watch.text() and watch.text().startswith("GradWatch: 1 tensor, 1 event (backward), stopped")
    watch.stop()
    watch.close()


def test_grad_watch_checks_its_arguments():
    a = torch.tensor([1.], requires_grad=True)
    with pytest.raises(ValueError):
        GradWatch()
    with pytest.raises(TypeError):
        GradWatch([1.0])
    with pytest.raises(ValueError):
        GradWatch(a, names=["a", "b"])
    assert GradWatch([a], names=["alpha"]).names == ["alpha"]


# ---- text reprs ----

def test_text_reprs_are_deterministic():
    x, w, loss = make()
    view = GraphView(loss)
    assert view.text() == "\n".join([
        "GraphView: 12 nodes (1 output, 4 op, 2 leaf, 5 saved), 12 edges",
        "SumBackward0 -> loss []",
        "└─ MulBackward0  saved: self [3], other [3]",
        "   ├─ SigmoidBackward0  saved: result [3]",
        "   │  └─ MulBackward0  saved: self [3], other [3]",
        "   │     ├─ x [3] (leaf)",
        "   │     └─ w [3] (leaf)",
        "   └─ x [3] (leaf)"])
    stepper = BackwardStepper(loss)
    stepper.step()
    stepper.step()
    assert repr(stepper) == "\n".join([
        "BackwardStepper: step 2/6, current MulBackward0 (n2)",
        "  x.grad = None",
        "  w.grad = None"])
    stepper.run()
    assert repr(stepper) == "\n".join([
        "BackwardStepper: step 6/6, done",
        "  x.grad = tensor([ 0.7400, -0.0908,  1.0123])",
        "  w.grad = tensor([0.2350, 0.4200, 0.0222])"])
    data, _meta = stepper._repr_mimebundle_()
    assert data["text/plain"] == repr(stepper) == stepper.summary
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == stepper.model_id


# ---- the bundle is served once, never stored per widget ----

def test_esm_is_the_small_loader_and_the_bundle_goes_over_the_comm(wire):
    _, _, loss = make()
    view = GraphView(loss)
    data, digest = _bundle.bundle()
    if data is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the widget bundle is not built: pip install -e . (or npm run build in widgets/)")
        pytest.skip("the bundle is not built (npm run build in widgets/)")
    assert len(view._esm) < 4000 and digest in view._esm and '"graph-view"' in view._esm
    wire.clear()
    view._on_custom_msg(view, {"type": "agl:bundle-request", "hash": digest}, [])
    (msg, buffers), = wire
    assert msg == {"method": "custom", "content": {"type": "agl:bundle", "hash": digest}}
    assert bytes(buffers[0]) == data
    wire.clear()
    view._on_custom_msg(view, {"type": "agl:bundle-request", "hash": "stale"}, [])
    (msg, buffers), = wire
    assert "changed" in msg["content"]["error"] and not buffers


def test_saved_notebook_with_five_widgets_stays_small(tmp_path):
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [
        "import autograd_lab as torch\nfrom autograd_lab.widgets import GraphView, BackwardStepper, GradWatch\n"
        "x = torch.tensor([1., 2., 3.], requires_grad=True)\nw = torch.tensor([0.5, -1., 2.], requires_grad=True)\n"
        "def make():\n    return ((x * w).sigmoid() * x).sum()",
        "GraphView(make())", "s = BackwardStepper(make())\ns.run()\ns", "BackwardStepper(make(), retain_graph=True)",
        "g = GradWatch(x, w)\nmake().backward()\ng", "GraphView([make(), make()])",
    ]
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}},
                            store_widget_state=True)
    old = dict(os.environ)
    os.environ.update(env)
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    path = tmp_path / "five.ipynb"
    nbformat.write(nb, path)
    size = path.stat().st_size
    print(f"saved notebook with five widgets: {size} bytes")
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    ours = [m for m in state.values() if "autograd_lab.widgets" in m["state"].get("_anywidget_id", "")]
    assert len(ours) == 5
    assert size < 2_000_000, f"{size} bytes"
    # the 1.3 MB bundle is in none of them: each carries the ~1 KB loader
    assert all(len(m["state"]["_esm"]) < 4000 for m in ours)
    assert size < 300_000, f"{size} bytes: more than five small widgets should take"
    for cell in nb.cells[1:]:
        text = cell.outputs[-1]["data"]["text/plain"]
        assert text.startswith(("GraphView:", "BackwardStepper:", "GradWatch:"))
    # issue 19: each graph widget's output carries its static picture, which nbconvert's HTML shows
    graphs = [m for m in ours if m["state"]["_anywidget_id"].endswith(("GraphView", "BackwardStepper"))]
    pictures = [cell.outputs[-1]["data"].get("image/svg+xml", "") for cell in nb.cells[1:]]
    assert sum(bool(p) for p in pictures) == len(graphs) == 4
    assert all(m["state"]["static_svg"] in pictures for m in graphs)
    # the stepper that ran to the end was shown done (one state letter per node in the root's mark)
    done = pictures[1]
    assert re.search(r'data-agl-static="12 nodes, states [df]{12}"', done), done[:300]
    # nbconvert draws a widget view through the widget state when the notebook has it (the loader
    # then shows static_svg), and the SVG itself when not (JupyterLab saves no widget state by default)
    from nbconvert import HTMLExporter
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert html.count('<svg class="agl-static"') == 0 and html.count('data-agl-static') == 4
    stateless = nbformat.from_dict(nb)
    stateless.metadata.pop("widgets")
    html, _ = HTMLExporter().from_notebook_node(stateless)
    import base64
    drawn = [base64.b64decode(b).decode() for b in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]
    assert [d for d in drawn if d.startswith('<svg class="agl-static"')] == [p for p in pictures if p]
    for m in graphs:
        for node in m["state"]["graph"]["nodes"]:
            assert f"<title>{node['id']}</title>" in m["state"]["static_svg"]
    # the text reprs are deterministic: nbval re-runs the saved notebook and compares them as they are
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "pytest", "--nbval", str(path), "-q", "-p", "no:cacheprovider",
                           f"--rootdir={tmp_path}", "-o", "addopts="], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---- issue #11: where nodes were made, NaN / inf live, why a .grad is None ----
import warnings  # noqa: E402

from autograd_lab import anomaly  # noqa: E402
from autograd_lab.viz import nonfinite_of  # noqa: E402


@pytest.fixture
def quiet_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy on NaN / inf (PyTorch does not warn)
        yield


def log_graph():
    x = torch.tensor([0., 1., 2.], requires_grad=True)
    with torch.trace():
        y = torch.log(x)
        loss = (y * x).sum()
    return x, y, loss


@pytest.mark.usefixtures("quiet_numpy")
def test_sites_reach_the_payload_the_inspector_and_the_text():
    x, y, loss = log_graph()
    view = GraphView(loss)
    log_id = view.snapshot.id_of(y.grad_fn)
    site = anomaly.site_of(y.grad_fn)
    assert site.endswith("y = torch.log(x)") and "test_widgets.py, line" in site
    nodes = {n["id"]: n for n in view.graph["nodes"]}
    assert nodes[log_id]["site"] == site and nodes["n4"]["site"] is None
    view.selected = log_id
    op = next(s for s in view.inspector["sections"] if s["title"] == "op")
    assert op["rows"][0] == ["made at", site]
    view.selected = "n0"
    tensor = next(s for s in view.inspector["sections"] if s["title"] == "tensor")
    assert ["made at", anomaly.site_of(loss.grad_fn)] in tensor["rows"]
    assert f"LogBackward0  ({site})" in view.text()


@pytest.mark.usefixtures("quiet_numpy")
def test_graph_view_marks_nan_and_inf_nodes():
    x, y, loss = log_graph()
    view = GraphView(loss)
    assert view.nonfinite == {"n0": "nan", "n1": "nan", "n2.self": "inf", "n3": "inf"}
    assert view.nonfinite == {n["id"]: n["nonfinite"] for n in view.snapshot.nodes if n["nonfinite"]}
    # drawn live by the browser, not baked into the layout
    assert "al-nonfinite" not in view.dot and "⚠" not in view.dot
    view.selected = "n2.self"
    first = view.inspector["sections"][0]
    assert first == {"title": "NaN / inf", "list": ["this saved tensor holds inf"], "tone": "nan"}
    view.selected = "n3"
    assert view.inspector["sections"][0]["list"] == ["its output holds inf (seen in a tensor it produced)"]
    view.selected = "n4"
    assert view.inspector["sections"][0]["title"] != "NaN / inf"
    ok = GraphView(make()[2])
    assert ok.nonfinite == {}


@pytest.mark.usefixtures("quiet_numpy")
def test_stepper_marks_nan_live_from_each_steps_gradients():
    x, y, loss = log_graph()
    stepper = BackwardStepper(loss, retain_graph=True)
    initial = dict(stepper.nonfinite)
    seen = dict(initial)
    while True:
        record = stepper.step()
        if record is None:
            break
        nid = stepper.snapshot.id_of(record.node)
        # what this step carried, computed here from the engine's own record
        flag = nonfinite_of(*[g.numpy() for g in (*record.grad_in, *record.grad_out) if g is not None])
        if flag:
            seen[nid] = "nan" if "nan" in (flag, seen.get(nid)) else flag
        for var, _ in record.accumulated:
            vid = stepper.snapshot.id_of(var)
            if nonfinite_of(var.grad.numpy()):
                seen[vid] = nonfinite_of(var.grad.numpy())
        assert stepper.nonfinite == seen
    # MulBackward0 sent -inf (y) to x, LogBackward0 sent NaN (0/0), so x.grad is NaN
    assert stepper.nonfinite == {"n0": "nan", "n1": "nan", "n2.self": "inf", "n2": "inf", "n3": "nan", "n4": "nan"}
    stepper.selected = "n3"
    notes = stepper.inspector["sections"][0]["list"]
    assert notes == ["its output holds inf (seen in a tensor it produced)",
                     "the grad sent along input 0 (to x) holds NaN"]
    stepper.reset()
    assert stepper.nonfinite == initial


@pytest.mark.usefixtures("quiet_numpy")
def test_anomaly_nan_check_marks_the_node_that_returned_nan():
    x = torch.tensor([0., 1.], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # anomaly mode's own warnings, as PyTorch gives them
        with torch.autograd.detect_anomaly():
            loss = (x / x).sum()
            stepper = BackwardStepper(loss)
            with pytest.raises(RuntimeError, match="returned nan values"):
                stepper.run()
    nid = stepper.error_info["node"]
    assert stepper.snapshot.node(nid)["label"] == "DivBackward0" and stepper.nonfinite[nid] == "nan"
    assert stepper.error_info["site"] == anomaly.site_of(loss.grad_fn.next_functions[0][0])
    assert stepper.error_info["site"].endswith("loss = (x / x).sum()")


def test_error_panel_and_inspector_say_where_the_failing_node_was_made():
    a = torch.tensor([1., 2., 3.], requires_grad=True)
    with torch.trace():
        b = a.sigmoid()
        c = (b * a).sum()
    b.mul_(2)
    stepper = BackwardStepper(c, retain_graph=True)
    stepper._on_action("run")
    # the product saved b, which changed since: it fails, and says where it was made
    site = anomaly.site_of(c.grad_fn.next_functions[0][0])
    assert site.endswith("c = (b * a).sum()")
    assert stepper.error_info["site"] == site and stepper.error_info["node_label"] == "MulBackward0"
    error = stepper.inspector["sections"][0]
    assert error["title"] == "error" and error["text"].endswith(f"It was made at {site}.")
    # the message is said once, in the error panel: not again in the inspector or the status line
    message = str(stepper.error)
    assert message not in error["text"] and message not in stepper.summary
    assert "failed at MulBackward0" in stepper.summary and message in stepper.text()
    # without a recorded site the panel has nothing to add
    x, w, loss = make()
    loss.backward()
    plain = BackwardStepper(loss)
    with pytest.raises(RuntimeError):
        plain.run()
    assert plain.error_info["site"] == ""
    assert "made at" not in plain.inspector["sections"][0]["text"]


def test_why_is_grad_none_in_the_inspector():
    x = torch.tensor([1., 2.])
    w1 = torch.tensor([0.5, -1.], requires_grad=True)
    w2 = torch.tensor([2., 3.], requires_grad=True)
    with torch.trace():
        h = (x * w1).sigmoid()
        loss = (h.detach() * w2).sum()
    view = GraphView(loss, explain=[w1, h])
    w1_id, w2_id = view.snapshot.id_of(w1), view.snapshot.id_of(w2)
    h_id = view.snapshot.id_of(h)
    assert view.snapshot.node(w1_id)["kind"] == "leaf" and h_id != view.snapshot.id_of(loss)
    assert view.snapshot.roots == ["n0", w1_id, h_id]  # drawn apart: nothing in loss leads there

    def why(node_id):
        view.selected = ""
        view.selected = node_id
        found = [s for s in view.inspector["sections"] if s["title"] == "why is .grad None?"]
        return found[0] if found else None

    cut = why(w1_id)
    mul_id = view.snapshot.id_of(loss.grad_fn.next_functions[0][0])
    assert cut["reason"] == "detached" and cut["tone"] == "why"
    assert cut["text"].startswith(f"w1 is not reached from loss: the path is cut where MulBackward0 ({mul_id}) uses "
                                  "a copy of h taken with .detach(), at "
                                  f"{anomaly.site_of(loss.grad_fn.next_functions[0][0])}. ")
    assert why(h_id)["reason"] == "non_leaf"
    assert why(w2_id)["reason"] == "not_run"
    loss.backward()
    # the view shows the moment it was made: a grad filled later is named as such, not taken for then
    assert why(w2_id)["reason"] == "changed"
    titles = {sec["title"]: sec.get("pre") for sec in view.inspect(w2_id)["sections"]}
    assert titles[".grad when drawn"] == "None"
    assert titles[".grad now (changed by a later cell)"] == str(w2.grad)
    assert why("n0") is None  # the output itself is not asked about
    # an explained tensor keeps its answer when a later cell fills its grad (a lesson's solution)
    ((x * w1).sigmoid() * w2).sum().backward()
    assert w1.grad is not None and why(w1_id) == cut
    fresh = GraphView(loss, explain=[w1])
    assert fresh.inspect(fresh.snapshot.id_of(w1))["sections"][-1]["title"] != "why is .grad None?"


def test_stepper_explains_a_leaf_it_has_not_reached_yet():
    x, w, loss = make()
    stepper = BackwardStepper(loss)
    leaf_id = stepper.snapshot.id_of(w)
    stepper.selected = leaf_id
    text = next(s for s in stepper.inspector["sections"] if s["title"] == "why is .grad None?")["text"]
    assert text == (f"w is reached from loss: its .grad is None because the stepper has not got to it yet "
                    f"(its node, {leaf_id}, runs later). Step on.")
    stepper.run()
    assert all(s["title"] != "why is .grad None?" for s in stepper.inspector["sections"])


def test_new_fields_go_out_once_and_steps_stay_small(wire):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x, y, loss = log_graph()
        stepper = BackwardStepper(loss)
        opening = [d for d, _ in wire if "_anywidget_id" in d.get("state", {})][0]
        assert opening["state"]["nonfinite"] == stepper.nonfinite
        assert all("site" in n for n in opening["state"]["graph"]["nodes"])
        wire.clear()
        stepper.step()  # SumBackward0: nothing new is NaN, so no mark is sent
        stepper.step()  # MulBackward0 sends -inf to x: one more mark, in the step's delta
    updates = [d["state"] for d, _ in wire if d and d.get("method") == "update"]
    assert all("nonfinite" not in u for u in updates)   # never the whole map during a pass
    assert updates[0]["delta"]["nonfinite"] == {} and len(updates[1]["delta"]["nonfinite"]) >= 1


# ---- issue 19: the static picture beside each graph widget ----

def test_static_picture_shows_the_state_and_is_redrawn_only_when_a_pass_ends(wire, monkeypatch):
    from autograd_lab.viz import has_dot
    if not has_dot():
        pytest.skip("Graphviz's dot is not installed: the widgets carry no static picture")
    _, _, loss = make()
    stepper = BackwardStepper(loss, retain_graph=True)
    data, _ = stepper._repr_mimebundle_()
    svg = data["image/svg+xml"]
    assert svg == stepper.static_svg and svg.startswith('<svg class="agl-static" data-agl-static="12 nodes, states ')
    assert "<?xml" not in svg and "<!--" not in svg
    assert "al-legend" not in svg   # the widget beside it has its key: one key, not two
    for n in stepper.snapshot.nodes:  # every node, named by its id as in the live widget
        assert f"<title>{n['id']}</title>" in svg
    wire.clear()
    stepper.step()  # mid-way: no Graphviz run, no picture on the wire
    assert all("static_svg" not in d.get("state", {}) for d, _ in wire if d)
    stepper.run()  # the pass ended: the picture shows it, done and freed
    (update,) = [d for d, _ in wire if d and "static_svg" in d.get("state", {})]
    assert f'states {stepper.state_codes}"' in update["state"]["static_svg"]
    from html import unescape  # (Graphviz writes the classes' hyphens as &#45;)
    assert "al-state-done" in unescape(stepper.static_svg) and "grad [" in stepper.static_svg
    stepper.reset()
    assert f'states {stepper.state_codes}"' in stepper.static_svg
    assert "al-state-done" not in unescape(stepper.static_svg)
    # nbval compares a picture by what it shows (lesson_tools/sanitize.cfg), not by Graphviz's coordinates
    import configparser
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "lesson_tools" / "sanitize.cfg")
    rule = cfg["widget pictures"]
    assert re.sub(rule["regex"], rule["replace"], svg) == f"[widget picture: 12 nodes, states {'p' * 12}]"


def test_no_static_picture_without_dot_or_past_the_size_cap(monkeypatch):
    from autograd_lab.widgets import _picture
    _, _, loss = make()
    monkeypatch.setattr(_picture, "MAX_NODES", 11)  # the graph draws 12
    data, _ = GraphView(loss)._repr_mimebundle_()
    assert "image/svg+xml" not in data and data["text/plain"].startswith("GraphView:")
    monkeypatch.setattr(_picture, "MAX_NODES", 400)
    monkeypatch.setattr(_picture, "has_dot", lambda: False)
    view = GraphView(loss)
    data, _ = view._repr_mimebundle_()
    assert "image/svg+xml" not in data and view.static_svg == ""


def test_drawing_and_inspector_agree_after_backward_and_an_optimizer_step():
    """Lesson 11: a GraphView drawn before backward and optimizer.step(). The weight's inspector leads
    with the value its box shows; a saved tensor freed by the later backward is drawn freed, and
    the inspector's header and its saved-tensor table both say so."""
    model = torch.nn.Linear(2, 1)
    x = torch.tensor([[1.0, -2.0], [0.5, 3.0]])
    loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(1), torch.tensor([1.0, 0.0]))
    view = GraphView(loss, params=dict(model.named_parameters()))
    w_id = view.snapshot.id_of(model.weight)
    drawn = view.snapshot.node(w_id)["value"]
    before = model.weight.detach().clone()
    assert set(view.states.values()) == {"pending"}
    loss.backward()
    torch.optim.SGD(model.parameters(), lr=0.5).step()

    sections = {s["title"]: s for s in view.inspect(w_id)["sections"]}
    assert sections["value when drawn (as in the box)"]["pre"] == fmt.full(before)
    assert sections["value now (changed by a later cell)"]["pre"] == fmt.full(model.weight.detach())
    assert fmt.full(before) != fmt.full(model.weight.detach())
    box = [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", drawn)]
    assert np.allclose(box, before.numpy().ravel(), atol=1e-3)  # the box and "value when drawn" agree

    saved_id = next(n["id"] for n in view.snapshot.nodes if n["kind"] == "saved")
    owner = view.snapshot.node(saved_id)["owner"]
    view.selected = owner   # a click reads the graph as it is now and restyles the drawing
    assert view.states[saved_id] == "freed" and view.states[owner] == "freed"
    assert view.state_codes[view._order.index(saved_id)] == STATE_CODES["freed"]
    head = view.inspector["subtitle"].split(" · ")[-1]
    table = next(s for s in view.inspector["sections"] if s["title"] == "saved tensors")["table"]
    assert head == "freed" and set(row[-1] for row in table["rows"]) == {"freed"}
    view.selected = saved_id
    assert view.inspector["subtitle"].endswith("· freed")


def test_back_is_a_rerun_to_the_step_before():
    """Issue 20: step back. Backward cannot be undone, so back() resets and runs k-1 steps: the
    states, the current node, the edge grads and every .grad equal those of the first visit."""
    x, w, loss = make()
    stepper = BackwardStepper(loss, retain_graph=True)
    def now():
        return (stepper.state_codes, stepper.current, dict(stepper.edge_grads),
                None if x.grad is None else x.grad.tolist(), None if w.grad is None else w.grad.tolist())

    seen = {0: now()}
    while not stepper.done:
        stepper.step()
        seen[len(stepper.steps)] = now()
    last = len(stepper.steps)
    assert last >= 5
    for k in range(last - 1, -1, -1):
        assert stepper.back() == k
        assert now() == seen[k], k
    assert stepper.back() == 0 and stepper.step_index == 0
    stepper.run()
    ref_x, ref_w, ref = make()
    ref.backward()
    assert x.grad.tolist() == ref_x.grad.tolist() and w.grad.tolist() == ref_w.grad.tolist()
    plain = BackwardStepper(make()[2])  # without retain_graph there is no going back
    plain.step()
    with pytest.raises(RuntimeError):
        plain.back()


def test_nameless_leaves_and_scalars_read_as_words():
    """Issue 20: a leaf with no variable name is "leaf #2 [2]" (not its node id), a 0-d tensor's
    shape is "scalar" (not "[]"), in the text, the inspector and the drawing."""
    def build():
        return (torch.ones(2, requires_grad=True) * torch.tensor(3.0, requires_grad=True)).sum()

    view = BackwardStepper(build(), names={})
    leaves = [n["id"] for n in view.snapshot.nodes if n["kind"] == "leaf"]
    assert len(leaves) == 2
    text = view.text()
    assert "  leaf #1 [2]: .grad = None" in text and "  leaf #2 scalar: .grad = None" in text
    assert not re.search(r"\bn\d+\.grad\b", text)
    rows = dict(view.inspect(leaves[1])["sections"][0]["rows"])
    assert rows["shape"] == "scalar"
    assert "scalar" in view.dot and "[]" not in view.dot.replace("[]]", "")


# ---- folding (issue 17, 20): groups in the payload, `collapsed` and the toggles make a new DOT ----
def _rnn(steps, keep=None):
    """h = tanh(x_t @ W + h @ U) over `steps` steps: (loss, params, the h of step `keep` and its grad_fn)."""
    torch.manual_seed(0)
    xs = torch.randn(steps, 2, 4)
    W = torch.randn(4, 4, requires_grad=True)
    U = torch.randn(4, 4, requires_grad=True)
    kept = None
    h = torch.zeros(2, 4)
    for t in range(steps):
        h = torch.tanh(xs[t] @ W + h @ U)
        if t == keep:
            kept = (h, h.grad_fn)
    return h.pow(2).mean(), {"W": W, "U": U}, *(kept or (None, None))


def _dot_ids(dot):
    return set(re.findall(r'^\s*"?((?:n\d|g\d)[\w.]*)"? \[', dot, re.M))


def test_a_big_graph_starts_folded_and_a_small_one_whole():
    loss, params, *_ = _rnn(30)
    s = BackwardStepper(loss, params=params, retain_graph=True)
    assert len(s.snapshot.nodes) > 150
    kinds = {g["id"]: g["kind"] for g in s.graph["groups"]}
    assert s.collapsed and {kinds[c] for c in s.collapsed} == {"repeat", "block"}
    drawn = _dot_ids(s.dot)
    assert len(drawn) < len(s.snapshot.nodes) / 3
    assert s.graph["groups"] == [{k: g[k] for k in ("id", "kind", "label", "members", "parent", "ops")}
                                 for g in s.groups]
    x, w, small = make()
    view = GraphView(small)
    assert view.collapsed == [] and _dot_ids(view.dot) == {n["id"] for n in view.snapshot.nodes}
    # collapse= chooses: nothing folded, or what the big-graph policy folds
    loss, params, *_ = _rnn(30)
    assert GraphView(loss, params=params, collapse=False).collapsed == []
    x, w, small = make()
    x2 = x
    for _ in range(4):
        x2 = x2.exp()
    chained = GraphView(x2.sum(), collapse=True)
    assert [g["kind"] for g in chained.groups if g["id"] in chained.collapsed] == ["chain"]
    with pytest.raises(ValueError, match="no group called 'g99'"):
        GraphView(small, collapse=["g99"])


def test_collapsed_and_the_toggles_round_trip_to_a_new_dot():
    loss, params, *_ = _rnn(30)
    s = BackwardStepper(loss, params=params, retain_graph=True)
    s.step()
    repeat = next(g for g in s.groups if g["kind"] == "repeat")
    sent = []
    s.observe(lambda ch: sent.append(ch["name"]), names=["dot"])
    before = s.dot
    # the browser unfolds the repeat (as a click does): the DOT is made again, its periods still folded
    s.set_state({"collapsed": [c for c in s.collapsed if c != repeat["id"]]})
    assert sent == ["dot"] and s.dot != before
    drawn = _dot_ids(s.dot)
    assert repeat["id"] not in drawn and len(drawn) > len(_dot_ids(before))
    # the step is kept: states are per node, whatever is folded
    assert s.step_index == 1 and "c" in s.state_codes
    # saved tensors off: none in the DOT, and the layout is a new one
    saved = {n["id"] for n in s.snapshot.nodes if n["kind"] == "saved"}
    s.set_state({"collapsed": []})
    assert saved <= _dot_ids(s.dot)
    s.set_state({"show_saved": False})
    assert not saved & _dot_ids(s.dot)
    s.set_state({"show_values": False})
    assert "= [[" not in s.dot and "= tensor" not in s.dot
    s.set_state({"show_values": True, "show_saved": True})
    assert saved <= _dot_ids(s.dot) and "= [[" in s.dot
    # the inspector of a folded box: what it holds and where backward is in it
    folded = next(g["id"] for g in s.groups if g["kind"] == "block")
    s.set_state({"collapsed": [folded]})
    s.selected = folded
    rows = dict(s.inspector["sections"][0]["rows"])
    assert rows["kind"] == "block" and rows["ops"] == "4" and s.inspector["title"].startswith("Mm·Add·Tanh")
    assert s.inspector["sections"][1]["list"] == ["MmBackward0 ×2", "AddBackward0", "TanhBackward0"]
    assert "Click the box to open it" in s.inspector["sections"][2]["text"]
    s.set_state({"collapsed": []})   # opened: the inspector says so
    assert s.inspector["sections"][2]["title"] == "open"


def test_the_text_under_a_folded_drawing_says_what_is_folded():
    loss, params, *_ = _rnn(30)
    s = BackwardStepper(loss, params=params, retain_graph=True)
    rep = representatives(s.groups, s.collapsed)
    boxes = len(set(rep.values()))
    line = f"folded: {len(rep)} nodes drawn as {boxes} box{'es' if boxes > 1 else ''} (click"
    assert line in s.summary and line in repr(s)
    s.set_state({"collapsed": []})      # as the browser sends it
    assert "folded:" not in s.summary
    assert "folded:" not in GraphView(make()[2]).summary


def test_a_failing_node_is_never_folded_away():
    loss, params, middle, tanh16 = _rnn(30, keep=15)
    middle.add_(1)   # TanhBackward0 of step 16 saved its result: stale now
    s = BackwardStepper(loss, params=params, retain_graph=True)
    folded = list(s.collapsed)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        s.run()
    # the first op to unpack the stale tensor: step 17's h @ U (it saved h), deep inside the folded repeat
    failing = s.error_info["node"]
    assert failing and failing != s.snapshot.id_of(tanh16)
    assert any(failing in g["members"] for g in s.groups if g["id"] in folded)
    assert not any(failing in g["members"] for g in s.groups if g["id"] in s.collapsed)
    assert failing in _dot_ids(s.dot) and s.collapsed   # the rest stays folded
    view = GraphView(loss, params=params, error=s.error)
    assert failing in _dot_ids(view.dot) and view.collapsed
