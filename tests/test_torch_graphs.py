"""The graph tools on real PyTorch: snapshot, drawing and BackwardStepper on torch tensors.

The oracle is PyTorch itself: the graph is walked again here through torch's own attributes, the
order its engine runs nodes is recorded with pre-hooks on a twin graph (same seed, same code), and
the final grads are those ``loss.backward()`` leaves on that twin.
"""
import gc
import os
import threading

import numpy as np
import pytest

from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from autograd_lab.viz import draw, snapshot, to_dot  # noqa: E402

if os.environ.get("CI") != "true":
    pytest.importorskip("anywidget", reason="the widgets need the lab extra (pip install -e .[lab])")

from autograd_lab.widgets import BackwardStepper, GraphView  # noqa: E402


# ---- graphs, each built twice from the same seed ----
def scalar_graph(lib=torch):
    x = lib.tensor([1., 2., 3.], requires_grad=True)
    w = lib.tensor([0.5, -1., 2.], requires_grad=True)
    return ((x * w).sigmoid() * x).sum(), {"x": x, "w": w}


def mlp_graph():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    x, y = torch.randn(5, 4), torch.tensor([0, 2, 1, 1, 0])
    return torch.nn.functional.cross_entropy(model(x), y), dict(model.named_parameters())


def cnn_graph():
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                torch.nn.Flatten(), torch.nn.Linear(12, 2))
    x = torch.randn(2, 1, 6, 6)
    return model(x).pow(2).mean(), dict(model.named_parameters())


def shared_graph():
    # a leaf used twice, a node with two outputs, a retained non-leaf
    a = torch.tensor([[1., -2.], [3., 0.5]], requires_grad=True)
    lo, hi = a.unbind(0)
    mid = lo * hi + a.sum()
    mid.retain_grad()
    return (mid.exp() * lo).sum(), {"a": a}


GRAPHS = {"scalar": scalar_graph, "mlp": mlp_graph, "cnn": cnn_graph, "shared": shared_graph}


def torch_walk(root):
    """Node names and (input node, consumer node, index) edges, straight from torch's attributes."""
    nodes, edges, seen, stack = [], [], {id(root)}, [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        for i, (nxt, _) in enumerate(node.next_functions):
            if nxt is None:
                continue
            edges.append((nxt, node, i))
            if id(nxt) not in seen:
                seen.add(id(nxt))
                stack.append(nxt)
    return nodes, edges


def engine_order(loss):
    """The nodes PyTorch's engine runs, in its order (pre-hooks on every node), after loss.backward()."""
    ran = []
    nodes, _ = torch_walk(loss.grad_fn)
    handles = [n.register_prehook(lambda g, n=n: ran.append(n)) for n in nodes]
    try:
        loss.backward()
    finally:
        for h in handles:
            h.remove()
    return ran


@pytest.fixture
def no_threads_left():
    base = threading.active_count()
    yield
    gc.collect()
    assert threading.active_count() == base


# ---- snapshot ----
@pytest.mark.parametrize("make", GRAPHS.values(), ids=GRAPHS.keys())
def test_snapshot_nodes_and_edges_are_torchs(make):
    loss, params = make()
    snap = snapshot(loss, params=params)
    nodes, edges = torch_walk(loss.grad_fn)
    ops = [snap.node(snap.id_of(n)) for n in nodes]
    names = {id(t): k for k, t in params.items()}
    assert [(n["kind"], n["label"]) for n in ops] == [
        ("leaf", names.get(id(n.variable), "AccumulateGrad")) if hasattr(n, "variable") else ("op", n.name())
        for n in nodes]
    assert len({n["id"] for n in ops}) == len(nodes)  # one drawn node per torch node
    drawn = {(e["source"], e["target"], e["index"]) for e in snap.edges if e["kind"] == "grad"}
    assert drawn == {(snap.id_of(a), snap.id_of(b), i) for a, b, i in edges}
    for n in nodes:  # each op's saved tensors are the _raw_saved_* torch lists
        want = sorted(a[len("_raw_saved_"):] for a in dir(n) if a.startswith("_raw_saved_")
                      and not isinstance(getattr(n, a), (list, tuple)) and getattr(n, a).data is not None)
        assert sorted(s["name"] for s in snap.node(snap.id_of(n))["saved"]) == want
    for name, p in params.items():  # parameters are named leaves, grouped by module
        leaf = snap.node(snap.id_of(p))
        assert leaf["kind"] == "leaf" and leaf["label"] == name and leaf["shape"] == list(p.shape)


def test_snapshot_of_the_same_program_matches_autograd_lab():
    """The same lines under autograd_lab and under torch draw the same graph."""
    mine, theirs = snapshot(scalar_graph(A)[0]), snapshot(scalar_graph(torch)[0])
    assert [(n["id"], n["kind"], n["label"]) for n in mine.nodes if n["kind"] != "saved"] == \
           [(n["id"], n["kind"], n["label"]) for n in theirs.nodes if n["kind"] != "saved"]
    assert {n["id"] for n in mine.nodes} == {n["id"] for n in theirs.nodes}
    def key(e):  # saved tensors are listed in each library's own order (torch's is alphabetical)
        return e["source"], e["target"], e["kind"], e["index"] if e["kind"] != "saved" else None

    assert sorted(map(key, mine.edges)) == sorted(map(key, theirs.edges))
    for a in mine.nodes:
        b = theirs.node(a["id"])
        assert (a["shape"], a["dtype"], a["value"]) == (b["shape"], b["dtype"], b["value"])


def test_snapshot_values_saved_flags_and_retained_grad():
    loss, named = shared_graph()
    mid = loss.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    snap = snapshot(loss, names={id(t): k for k, t in named.items()}, tensors=[])
    a = snap.node(snap.id_of(named["a"]))
    assert a["label"] == "a" and a["value"] == "[[1., -2.], [3., 0.5]]"
    exp = next(n for n in snap.nodes if n["label"] == "ExpBackward0")
    result = snap.node(f"{exp['id']}.result")
    assert result["is_output"] and not result["freed"] and not result["stale"]
    assert mid.name() == "AddBackward0"
    loss.backward()
    snap.refresh()
    assert snap.node(f"{exp['id']}.result")["freed"]
    assert snap.node(f"{exp['id']}.result")["state"] == "freed"
    # a stale saved tensor: the version PyTorch reports
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x.exp()
    z = (y * 2).sum()
    with torch.no_grad():
        y.add_(1)
    snap = snapshot(z)
    saved = snap.node(snap.id_of(y.grad_fn))["saved"][0]
    assert (saved["stale"], saved["version"], saved["saved_version"]) == (True, y._version, 0)


def test_retained_grad_is_found_on_named_tensors():
    a = torch.tensor([1., 2.], requires_grad=True)
    h = a * 3
    h.retain_grad()
    loss = h.pow(2).sum()
    loss.backward()
    view = GraphView(loss)  # h is a local: found by name, and its retained grad with it
    node = view.snapshot.node(view.snapshot.id_of(h.grad_fn))
    assert node["retains_grad"] and node["name"] == "h"
    assert node["grad"] == "[6., 12.]"


def test_draw_torch_text_and_dot():
    loss, params = mlp_graph()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    by_module = snapshot(model(torch.randn(5, 4)).sum(), params=model)  # a module names its parameters
    assert sorted(n["label"] for n in by_module.nodes if n["kind"] == "leaf") == sorted(dict(model.named_parameters()))
    drawing = draw(loss, params=params)
    text = drawing.text()
    assert "NllLossBackward0" in text and "0.weight" in text
    assert 'label="0"' in drawing.source or "cluster" in drawing.source  # leaves grouped by module


# ---- the stepper on PyTorch's engine ----
@pytest.mark.parametrize("make", GRAPHS.values(), ids=GRAPHS.keys())
def test_stepper_runs_torchs_order_and_ends_with_torchs_grads(make, no_threads_left):
    twin, twin_params = make()
    order = engine_order(twin)
    loss, params = make()
    stepper = BackwardStepper(loss)
    records = []
    while (r := stepper.step()) is not None:
        records.append(r)
    assert stepper.done and len(records) == len(order) == stepper.total
    snap_twin = snapshot(twin, params=twin_params)
    assert [stepper.snapshot.id_of(r.node) for r in records] == [snap_twin.id_of(n) for n in order]
    assert [r.node.name() for r in records] == [n.name() for n in order]
    for (name, p), q in zip(params.items(), twin_params.values()):
        assert p.grad is not None and torch.equal(p.grad, q.grad), name
    if make is scalar_graph:
        leaves = [n for n in stepper.snapshot.nodes if n["kind"] == "leaf"]
        assert all(stepper.states[n["id"]] == "done" for n in leaves)


def test_stepper_records_grads_in_and_out():
    loss, named = scalar_graph()
    stepper = BackwardStepper(loss, retain_graph=True)
    first = stepper.step()
    assert first.node is loss.grad_fn and torch.equal(first.grad_in[0], torch.tensor(1.))
    assert torch.equal(first.grad_out[0], torch.ones(3))
    assert stepper.current == stepper.snapshot.id_of(loss.grad_fn)
    assert stepper.state_codes.count("c") == 1
    stepper.run()
    acc = [r for r in stepper.steps if r.accumulated]
    assert {id(r.accumulated[0][0]) for r in acc} == {id(t) for t in named.values()}
    for r in acc:
        var, g = r.accumulated[0]
        assert torch.equal(var.grad, g)
    stepper.close()


def test_reset_and_close_end_the_thread_and_restore_grads(no_threads_left):
    loss, named = scalar_graph()
    x = named["x"]
    x.grad = torch.full((3,), 7.)
    before = x.grad
    stepper = BackwardStepper(loss, retain_graph=True)
    base = threading.active_count()
    for _ in range(4):
        stepper.step()
    assert threading.active_count() == base + 1  # the paused backward
    stepper.reset()
    assert threading.active_count() == base
    assert x.grad is before and torch.equal(x.grad, torch.full((3,), 7.))
    stepper.run()
    twin, twin_named = scalar_graph()
    twin_named["x"].grad = torch.full((3,), 7.)
    twin.backward()
    assert torch.equal(x.grad, twin_named["x"].grad)
    stepper.reset()
    stepper.step()
    stepper.close()
    assert threading.active_count() == base
    assert torch.equal(x.grad, torch.full((3,), 7.))
    # a stepper dropped mid-pass ends its thread too
    dropped = BackwardStepper(scalar_graph()[0])
    dropped.step()
    dropped.close()
    del dropped


# ---- errors from PyTorch's engine, drawn at the node that failed ----
def failing_node(make_and_break):
    """The node PyTorch's engine was running when it raised (the last pre-hook entered)."""
    loss = make_and_break()
    ran = []
    nodes, _ = torch_walk(loss.grad_fn)
    for n in nodes:
        n.register_prehook(lambda g, n=n: ran.append(n))
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    return snapshot(loss).id_of(ran[-1]), str(info.value)


def backward_twice():
    loss, _ = scalar_graph()
    loss.backward()
    return loss


def modified_in_place():
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    y = x * 2
    z = y.exp()
    loss = (z * y).sum()
    with torch.no_grad():
        z.mul_(2)
    return loss


@pytest.mark.parametrize("make", [backward_twice, modified_in_place])
def test_torch_errors_are_marked_at_the_failing_node(make, no_threads_left):
    want_node, want_message = failing_node(make)
    loss = make()
    leaves = [n.variable for n in torch_walk(loss.grad_fn)[0] if hasattr(n, "variable")]
    for t in leaves:
        t.grad = torch.ones_like(t)
    stepper = BackwardStepper(loss)
    with pytest.raises(RuntimeError) as info:
        stepper.run()
    assert str(info.value) == want_message
    assert stepper.error is info.value
    assert stepper.error_info["node"] == want_node
    assert stepper.states[want_node] == "error"
    node = stepper.snapshot.node(want_node)
    bad = [s for s in node["saved"] if s.get("error")]
    assert bad and all(stepper.states[s["id"]] == "error" for s in bad)
    for t in leaves:  # a failed backward leaves every .grad as it was
        assert torch.equal(t.grad, torch.ones_like(t))
    # a GraphView given the same error draws it at the same node
    view = GraphView(loss, error=info.value)
    assert view.error_info["node"] == want_node


@pytest.mark.parametrize("make", [backward_twice, modified_in_place])
def test_an_error_of_plain_backward_is_drawn_at_the_failing_node(make):
    """loss.backward() sets no autograd_node: the node is found as PyTorch's engine would reach it."""
    want_node, _ = failing_node(make)
    loss = make()
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    snap = snapshot(loss)
    assert snap.mark_error(info.value) == want_node
    assert snap.states[want_node] == "error"
    assert draw(loss, error=info.value).snapshot.error["node"] == want_node


# ---- GradWatch on torch parameters ----
def test_grad_watch_follows_a_torch_training_loop():
    from autograd_lab.widgets import GradWatch

    def train(watch_it):
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        watch = GradWatch(model.weight, model.bias, names=["w", "b"]) if watch_it else None
        seen = []
        for _ in range(3):
            opt.zero_grad()
            model(torch.randn(4, 3)).pow(2).mean().backward()
            seen.append(model.bias.grad.clone())
            opt.step()
        return watch, seen

    watch, _ = train(True)
    _, seen = train(False)
    try:
        # PyTorch has no zero_grad hook: the first zero_grad changed nothing (grads were None);
        # the later ones show when the next gradient arrives
        assert [r.event for r in watch.history] == ["backward", "optimizer_step", "zero_grad",
                                                    "backward", "optimizer_step", "zero_grad",
                                                    "backward", "optimizer_step"]
        backward = [r for r in watch.history if r.event == "backward"]
        assert [r.grads[1].tolist() for r in backward] == [g.tolist() for g in seen]
        assert all(r.grads[1] is None for r in watch.history if r.event == "zero_grad")
        assert watch.series("b")[0] == pytest.approx(seen[0].item())
    finally:
        watch.close()
    assert not watch._torch_events


def test_grad_watch_sees_a_torch_stepper_pass(no_threads_left):
    from autograd_lab.widgets import GradWatch
    loss, named = scalar_graph()
    watch = GradWatch(named["x"], names=["x"])
    stepper = BackwardStepper(loss)
    stepper.run()
    try:
        assert [r.event for r in watch.history] == ["backward"]
        assert np.array_equal(watch.history[0].grads[0], named["x"].grad.numpy())
    finally:
        watch.close()
        stepper.close()


# ---- grouping by nn.Module ----
def test_track_modules_groups_ops_alike_in_both_libraries():
    from autograd_lab.viz import track_modules
    drawn = []
    for lib in (A, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(),
                                  lib.nn.Sequential(lib.nn.Linear(8, 3), lib.nn.ReLU()))
        x = lib.randn(5, 4)
        with track_modules(model):
            loss = model(x).sum()
        after = model(x).sum()  # the hooks are gone once the block ends
        assert all(n["module"] is None for n in snapshot(after).nodes if n["kind"] == "op")
        snap = snapshot(loss, params=dict(model.named_parameters()))
        drawn.append([(n["id"], n["label"], n["module"]) for n in snap.nodes if n["kind"] != "saved"])
        dot = to_dot(snap).source
        # the inner box nested in the outer one, each called by its type where a tagged op tells it
        assert '<B>Linear(8→3)</B> <FONT POINT-SIZE="9">2.0</FONT>' in dot and "label=<2>" in dot
    assert drawn[0] == drawn[1]
    modules = {label: module for _, label, module in drawn[1]}
    assert modules["ReluBackward0"] == "2.1" and modules["TanhBackward0"] == "1" and modules["SumBackward0"] is None


def test_layer_boxes_hold_their_ops_without_track_modules_alike_in_both_libraries():
    """Issue 20: params=model alone names each box by its layer ("Linear(2→16)") and puts the layer's
    own ops (AddmmBackward0, the TBackward0 of its weight, their saved tensors) inside it; the
    activation between two layers stays outside."""
    drawn = []
    for lib in (A, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(2, 16), lib.nn.ReLU(), lib.nn.Linear(16, 1, bias=False))
        loss = model(lib.randn(4, 2)).sum()
        snap = snapshot(loss, params=model)
        drawn.append([(n["id"], n["label"], n["module"]) for n in snap.nodes])
        assert snap.module_labels == {"0": "Linear(2→16)", "1": "ReLU", "2": "Linear(16→1)"}
        assert '<B>Linear(2→16)</B> <FONT POINT-SIZE="9">0</FONT>' in to_dot(snap).source
        snap.refresh()  # reading the graph again keeps the boxes
        assert [(n["id"], n["label"], n["module"]) for n in snap.nodes] == drawn[-1]
    # (the libraries may save different tensors: the saved ones are compared in their own test)
    kept = [[d for d in one if "." not in d[0]] for one in drawn]
    assert kept[0] == kept[1]
    modules = [(label, module) for _, label, module in drawn[1]]
    assert modules.count(("AddmmBackward0", "0")) == 1 and modules.count(("TBackward0", "0")) == 1
    assert ("MmBackward0", "2") in modules and ("TBackward0", "2") in modules
    assert ("ReluBackward0", None) in modules and ("SumBackward0", None) in modules
    assert all(module == "0" for label, module in modules if label in ("0.bias", "0.weight"))
    assert all(module in ("0", "2") for label, module in modules if label in ("mat1", "mat2"))  # their op's box


# ---- why is .grad None? on torch tensors ----
def test_why_no_grad_on_torch_tensors_gives_the_same_reasons_as_on_autograd_lab():
    from autograd_lab.viz import why_no_grad

    def reasons(lib):
        x = lib.tensor([1., 2.], requires_grad=True)
        w = lib.tensor([3., 4.], requires_grad=True)
        unused = lib.tensor([1., 1.], requires_grad=True)
        plain = lib.tensor([5., 6.])
        h = x * w
        loss = (h * plain).sum()
        before = [why_no_grad(t, loss, names={}) for t in (x, h, unused, plain)]
        loss.backward()
        x.grad = None
        after = [why_no_grad(t, loss, names={}) for t in (x, w)]
        return [(e.reason, e.message) for e in before + after]

    mine, theirs = reasons(A), reasons(torch)
    assert [r for r, _ in mine] == [r for r, _ in theirs] == [
        "not_run", "non_leaf", "not_reached", "does_not_require_grad", "not_run", "has_grad"]
    for (reason, a), (_, b) in zip(mine, theirs):
        if reason != "not_reached":  # its closing note says what each library lets us find
            assert a == b


def test_stepper_argument_errors_and_a_leaf_loss(no_threads_left):
    for loss in (torch.ones(2), torch.ones(2, requires_grad=True) * 2):
        with pytest.raises(RuntimeError) as info:
            BackwardStepper(loss)
        with pytest.raises(RuntimeError) as want:
            loss.backward()
        assert str(info.value) == str(want.value)
    leaf = torch.tensor(3., requires_grad=True)
    stepper = BackwardStepper(leaf)
    record = stepper.step()
    assert record.node.name() == "torch::autograd::AccumulateGrad" and record.accumulated[0][0] is leaf
    assert stepper.step() is None and stepper.done and torch.equal(leaf.grad, torch.tensor(1.))
