"""autograd_lab.viz: snapshots (the contract the widgets build on), DOT/SVG, the text tree, draw()."""
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd_lab as A
from autograd_lab import viz
from autograd_lab.viz import dot as viz_dot
from autograd_lab.viz import legend
from autograd_lab.viz import draw, make_dot, snapshot, text_tree, to_dot

requires_dot = pytest.mark.skipif(
    shutil.which("dot") is None and os.environ.get("CI") != "true",
    reason="Graphviz's `dot` program is not installed (apt-get install graphviz); under CI=true this fails instead")

SVG_NS = "{http://www.w3.org/2000/svg}"


def leaf(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return A.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)


def kinds_labels(snap):
    return [(n["id"], n["kind"], n["label"]) for n in snap.nodes]


def edge_tuples(snap, kind=None):
    return [(e["source"], e["target"], e["index"], e["kind"]) for e in snap.edges
            if kind is None or e["kind"] == kind]


# ---------------------------------------------------------------- the contract on a small graph
@pytest.fixture
def small():
    x = A.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = A.tensor([[0.5, 0.5], [0.5, 0.5]], requires_grad=True)
    out = ((x + 2) * w).mean()
    return x, w, out


def test_small_graph_ids_kinds_labels_and_edges(small):
    x, w, out = small
    snap = snapshot(out, params={"x": x, "w": w})
    assert kinds_labels(snap) == [
        ("n0", "output", "output"),
        ("n1", "op", "MeanBackward0"),
        ("n2", "op", "MulBackward0"),
        ("n2.self", "saved", "self"),
        ("n2.other", "saved", "other"),
        ("n3", "op", "AddBackward0"),
        ("n4", "leaf", "x"),
        ("n5", "leaf", "w"),
    ]
    assert edge_tuples(snap) == [
        ("n1", "n0", 0, "output"),
        ("n2", "n1", 0, "grad"),
        ("n3", "n2", 0, "grad"),
        ("n5", "n2", 1, "grad"),
        ("n2.self", "n2", 0, "saved"),
        ("n2.other", "n2", 1, "saved"),
        ("n4", "n3", 0, "grad"),
    ]
    assert [e["id"] for e in snap.edges] == [f"e{i}" for i in range(7)]
    assert snap.roots == ["n0"]
    n = snap.node("n4")
    assert (n["name"], n["shape"], n["dtype"], n["value"], n["grad"], n["requires_grad"]) == \
        ("x", [2, 2], "float32", "[[1., 2.], [3., 4.]]", None, True)
    assert snap.node("n0")["value"] == "2.25" and snap.node("n0")["shape"] == []
    saved = snap.node("n2")["saved"]
    assert [(s["name"], s["shape"], s["dtype"], s["saved_version"], s["version"], s["freed"], s["stale"])
            for s in saved] == [("self", [2, 2], "float32", 0, 0, False, False),
                                ("other", [2, 2], "float32", 0, 0, False, False)]
    assert saved[0]["value"] == "[[3., 4.], [5., 6.]]"
    assert set(snap.states.values()) == {"pending"}


def test_every_node_has_the_contract_fields(small):
    snap = snapshot(small[2])
    fields = {"id", "kind", "label", "name", "shape", "dtype", "value", "grad", "state", "saved", "hooks",
              "retains_grad", "module", "requires_grad"}
    for n in snap.nodes:
        assert fields <= set(n), n["id"]
        assert n["kind"] in ("op", "leaf", "output", "saved")
        assert n["state"] in viz.STATES
    for e in snap.edges:
        assert {"id", "source", "target", "index", "kind"} <= set(e)
        assert e["source"] in snap and e["target"] in snap
    d = snap.to_dict()
    assert set(d) == {"nodes", "edges"}
    assert json.loads(json.dumps(d)) == d


def test_unnamed_leaf_is_labelled_accumulategrad(small):
    snap = snapshot(small[2])
    assert [n["label"] for n in snap.nodes if n["kind"] == "leaf"] == ["AccumulateGrad", "AccumulateGrad"]


def test_params_from_named_parameters_style_iterable(small):
    x, w, out = small
    snap = snapshot(out, params=iter([("layer.weight", w), ("inp", x)]))
    leaves = {n["label"]: n for n in snap.nodes if n["kind"] == "leaf"}
    assert set(leaves) == {"layer.weight", "inp"}
    assert leaves["layer.weight"]["module"] == "layer" and leaves["inp"]["module"] is None


def test_ids_are_deterministic_for_the_same_graph(small):
    x, w, out = small
    first = snapshot(out, params={"x": x, "w": w}).to_dict()
    assert snapshot(out, params={"x": x, "w": w}).to_dict() == first
    # and for the same computation built again from scratch
    x2 = A.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w2 = A.tensor([[0.5, 0.5], [0.5, 0.5]], requires_grad=True)
    assert snapshot(((x2 + 2) * w2).mean(), params={"x": x2, "w": w2}).to_dict() == first


# ---------------------------------------------------------------- id_of / obj_of
def test_id_of_and_obj_of_round_trip(small):
    x, w, out = small
    snap = snapshot(out)
    for n in snap.nodes:
        assert snap.id_of(snap.obj_of(n["id"])) == n["id"]
    assert snap.id_of(out) == "n0"
    assert snap.id_of(out.grad_fn) == "n1"
    acc = out.grad_fn.next_functions[0][0].next_functions[1][0]
    assert snap.id_of(acc) == snap.id_of(w) == "n5"
    assert snap.obj_of("n5") is w
    assert snap.graph_node_of("n5") is acc
    assert isinstance(snap.obj_of("n2"), A.autograd.graph.Node)
    assert snap.obj_of("n2.self") is snap.obj_of("n2").saved_tensors_info()["self"]
    assert snap.id_of(A.ones(2, requires_grad=True)) is None


def test_id_of_a_non_root_tensor_is_its_grad_fn():
    x = leaf(3)
    h = x * 2
    out = h.sum()
    snap = snapshot(out)
    assert snap.id_of(h) == snap.id_of(h.grad_fn) == "n2"


def test_ids_follow_the_engine_events_of_a_real_backward(small):
    """What a stepper does: map each engine Step's node to a drawn node, mark it done."""
    x, w, out = small
    snap = snapshot(out)
    seen = []
    for step in A.autograd.backward_steps(out):
        nid = snap.id_of(step.node)
        assert nid is not None
        snap.set_state(nid, "done")
        seen.append(nid)
    assert sorted(seen) == ["n1", "n2", "n3", "n4", "n5"]
    assert seen[0] == "n1"
    assert all(snap.states[i] == "done" for i in seen)


# ---------------------------------------------------------------- every op family, against PyTorch
def _torch():
    if os.environ.get("CI") == "true":
        import torch
        return torch
    return pytest.importorskip("torch", reason="PyTorch is the reference for node names (pip install torch==2.13.0)")


def torch_structure(root):
    """PyTorch's graph behind ``root`` walked in the snapshot's order: [(kind, label)], [(src, dst, i)]."""
    keep, ids, order, consumers = [], {}, [], []
    stack = [root.grad_fn]
    while stack:
        fn = stack.pop()
        keep.append(fn)
        is_leaf = type(fn).__name__ == "AccumulateGrad"
        key = id(fn.variable) if is_leaf else id(fn)
        if is_leaf:
            keep.append(fn.variable)
        if key in ids:
            continue
        ids[key] = len(order)
        order.append(("leaf" if is_leaf else "op", "AccumulateGrad" if is_leaf else fn.name(), fn))
        for nxt, _ in reversed(fn.next_functions):
            if nxt is not None:
                stack.append(nxt)

    def key_of(fn):
        return id(fn.variable) if type(fn).__name__ == "AccumulateGrad" else id(fn)

    for pos, (_, _, fn) in enumerate(order):
        for i, (nxt, _) in enumerate(fn.next_functions):
            if nxt is not None:
                consumers.append((ids[key_of(nxt)], pos, i))
    return [(k, label) for k, label, _ in order], consumers


def mine_structure(snap):
    graph = [n for n in snap.nodes if n["kind"] in ("op", "leaf")]
    pos = {n["id"]: i for i, n in enumerate(graph)}
    return ([(n["kind"], n["label"]) for n in graph],
            [(pos[e["source"]], pos[e["target"]], e["index"]) for e in snap.edges if e["kind"] == "grad"])


OP_CASES = {
    # arithmetic
    "arith": lambda L, x, y, m: ((x + y) * y - x / (y * y + 1) + (-x) + 2 - x).sum(),
    "rsub_pow": lambda L, x, y, m: ((2 - x) ** 2 + x ** y.abs() + 2 ** x).sum(),
    "unary": lambda L, x, y, m: (x.exp() + (x * x + 1).log() + (x * x + 1).sqrt() + x.abs() + x.sin()
                                 + x.cos() + (x * x + 1).rsqrt() + (x * x + 1).reciprocal()).sum(),
    "clamp_where": lambda L, x, y, m: (x.clamp(-0.5, 0.5) + L.where(x > 0, x, y) + x.clamp(min=0)).sum(),
    "max_min_elementwise": lambda L, x, y, m: (L.maximum(x, y) + L.minimum(x, y)).sum(),
    # reductions
    "reductions": lambda L, x, y, m: (x.sum(1).mean() + x.mean(0).sum() + x.max() + x.amax(1).sum()
                                      + x.var() + x.std(1).sum() + x.logsumexp(1).sum() + x.prod()
                                      + x.norm() + x.max(1).values.sum() + x.min()),
    # shapes
    "views": lambda L, x, y, m: (x.view(3, 2).t().transpose(0, 1).permute(1, 0).unsqueeze(0).squeeze(0)
                                 .reshape(6).expand(2, 6)).sum(),
    "indexing": lambda L, x, y, m: (x[0] * x[:, 1:].sum() + x[1, 2] + x.select(1, 0).sum()
                                    + x.narrow(1, 0, 2).sum()).sum(),
    "joining": lambda L, x, y, m: (L.cat([x, y]).sum(0) * L.stack([x, y]).sum(0).sum(0)[0]).sum()
    + sum(p.sum() for p in x.split(1)) + sum(p.sum() for p in y.unbind(1)),
    "flip_fill": lambda L, x, y, m: (x.flip(0).masked_fill(y > 0, 0.0) + x.repeat(1, 1)).sum(),
    # linalg
    "linalg": lambda L, x, y, m: (x.mm(m).sum() + x.matmul(m).sum() + L.addmm(y[:, :1], x, m).sum()
                                  + x.mv(m[:, 0]).sum() + x[0].dot(y[0])
                                  + L.bmm(x.unsqueeze(0), m.unsqueeze(0)).sum()),
    # activations
    "activations": lambda L, x, y, m: (x.relu() + x.sigmoid() + x.tanh() + x.softmax(1)
                                       + x.log_softmax(0)).sum(),
    # in-place ops (the graph is rebased onto the in-place node)
    "inplace": lambda L, x, y, m: (lambda h: (h.mul_(2), h.add_(y), h.exp_(), h)[-1])(x * 1).sum(),
    # a leaf used by several consumers and a shared intermediate (a DAG, not a tree)
    "dag": lambda L, x, y, m: (lambda h: (h * h + h.sum() * x).sum())(x + y),
}


@pytest.mark.parametrize("case", sorted(OP_CASES))
def test_op_families_match_pytorch_names_and_edges(case):
    torch = _torch()
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((2, 3), (2, 3), (3, 4))]
    mine_in = [A.tensor(a.copy(), requires_grad=True) for a in arrays]
    ref_in = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    mine_out = OP_CASES[case](A, *mine_in)
    ref_out = OP_CASES[case](torch, *ref_in)
    snap = snapshot(mine_out)
    assert mine_structure(snap) == torch_structure(ref_out)
    # the root output, and every leaf reached, are where the contract says
    assert snap.node("n0")["kind"] == "output" and snap.edges[0]["kind"] == "output"
    for t in mine_in:
        nid = snap.id_of(t)
        if nid is not None:
            assert snap.node(nid)["kind"] == "leaf"
    # saved tensors mirror saved_tensors_info() of each op
    for n in snap.nodes:
        if n["kind"] == "op":
            assert [s["name"] for s in n["saved"]] == list(snap.obj_of(n["id"]).saved_tensors_info())


def test_none_entries_of_next_functions_keep_their_index():
    x = leaf(3)
    c = A.ones(3)  # needs no grad: (None, 0) in next_functions
    out = (c * x).sum()
    snap = snapshot(out)
    mul = snap.id_of(out.grad_fn.next_functions[0][0])
    assert [(e["source"], e["index"]) for e in snap.edges if e["target"] == mul and e["kind"] == "grad"] == \
        [(snap.id_of(x), 1)]


# ---------------------------------------------------------------- states, freed, stale, errors
def test_saved_tensors_are_freed_after_backward(small):
    x, w, out = small
    out.backward()
    snap = snapshot(out)
    mul = snap.node("n2")
    assert mul["state"] == "freed"
    assert all(s["freed"] and s["value"] is None for s in mul["saved"])
    assert snap.node("n2.self")["state"] == "freed" and snap.node("n2.self")["freed"] is True
    assert snap.node("n3")["state"] == "pending"  # AddBackward0 saves nothing
    assert snap.node("n4")["grad"] == "[[0.125, 0.125], [0.125, 0.125]]"


def test_retain_graph_keeps_saved_tensors(small):
    x, w, out = small
    out.backward(retain_graph=True)
    snap = snapshot(out)
    assert not any(s["freed"] for s in snap.node("n2")["saved"])
    assert snap.node("n2")["state"] == "pending"


def test_saved_tensor_is_stale_after_an_inplace_op():
    x = leaf(3)
    a = x * 1
    b = a * a
    a.mul_(2)
    snap = snapshot(b)
    mul = snap.id_of(b.grad_fn)
    saved = snap.node(mul)["saved"]
    assert [(s["name"], s["saved_version"], s["version"], s["stale"], s["freed"]) for s in saved] == \
        [("self", 0, 1, True, False), ("other", 0, 1, True, False)]
    assert snap.node(f"{mul}.self")["stale"] is True


def test_set_state_states_and_refresh(small):
    x, w, out = small
    snap = snapshot(out)
    snap.set_state("n2", "current")
    snap.set_state("n1", "done")
    assert snap.states["n2"] == "current" and snap.node("n1")["state"] == "done"
    with pytest.raises(ValueError):
        snap.set_state("n2", "bogus")
    with pytest.raises(KeyError):
        snap.set_state("n99", "done")
    out.backward()
    snap.refresh()
    assert snap.states["n2"] == "current"          # set by hand: kept
    assert snap.states["n2.self"] == "freed"       # read again from the graph
    assert snap.node("n5")["grad"] is not None
    snap.reset_states()
    assert snap.states["n2"] == "freed" and snap.states["n1"] == "pending"


def test_mark_error_backward_twice(small):
    x, w, out = small
    out.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time") as info:
        out.backward()
    snap = snapshot(out)
    nid = snap.mark_error(info.value)
    assert nid == snap.id_of(info.value.autograd_node) == "n2"
    assert snap.node("n2")["state"] == "error"
    assert snap.node("n2")["error"] == str(info.value)
    assert all(s["freed"] and s["error"] for s in snap.node("n2")["saved"])
    assert snap.states["n2.self"] == "error"
    assert snap.error["type"] == "RuntimeError"


def test_mark_error_inplace_version():
    x = leaf(3)
    y = x.sigmoid()
    y.mul_(2)
    loss = y.sum()
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0") as info:
        loss.backward()
    snap = snapshot(loss)
    nid = snap.mark_error(info.value)
    assert snap.node(nid)["label"] == "SigmoidBackward0"
    (result,) = snap.node(nid)["saved"]
    assert (result["name"], result["stale"], result["version"], result["saved_version"]) == ("result", True, 1, 0)
    assert snap.states[f"{nid}.result"] == "error"
    assert "version 1, expected 0 (stale)" in text_tree(snap)


def test_mark_error_from_another_graph_is_ignored(small):
    err = RuntimeError("x")
    err.autograd_node = (leaf(2) * 2).grad_fn
    snap = snapshot(small[2])
    assert snap.mark_error(err) is None and snap.error is None
    assert snap.mark_error(RuntimeError("no node")) is None


# ---------------------------------------------------------------- hooks, retain_grad, modules, roots
def test_hooks_retain_grad_and_module_metadata():
    x = leaf(2, 3)
    x.register_hook(lambda g: g)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g)
    y.grad_fn.register_prehook(lambda g: None)
    z = y.sum()
    z.grad_fn.metadata["module"] = "encoder.layer1"
    snap = snapshot(z, names={id(y): "y"})
    mul = snap.node(snap.id_of(y))
    assert (mul["hooks"], mul["retains_grad"], mul["name"], mul["shape"]) == (2, True, "y", [2, 3])
    assert snap.node(snap.id_of(x))["hooks"] == 1
    assert snap.node(snap.id_of(z.grad_fn))["module"] == "encoder.layer1"
    z.backward()
    assert snapshot(z).node(snap.id_of(y))["grad"] == "[[1., 1., 1.], [1., 1., 1.]]"
    src = to_dot(snap).source
    assert "subgraph cluster_m0" in src and "subgraph cluster_m1" in src
    assert src.index("cluster_m0") < src.index("cluster_m1")  # layer1 nested inside encoder
    assert re.search(r"subgraph cluster_m0 \{[^}]*subgraph cluster_m1", src)


def test_roots_can_be_nodes_leaves_and_several_tensors():
    x = leaf(2)
    a = x * 2
    b = a.exp()
    snap = snapshot(b.grad_fn)
    assert kinds_labels(snap)[0] == ("n0", "op", "ExpBackward0") and snap.roots == ["n0"]
    snap = snapshot(x)
    assert kinds_labels(snap) == [("n0", "leaf", "leaf")]
    snap = snapshot(x, b)  # the leaf first, then a graph that reaches it: still one node
    leaves = [n for n in snap.nodes if n["kind"] == "leaf"]
    assert len(leaves) == 1 and leaves[0]["label"] == "AccumulateGrad"
    assert snap.id_of(b.grad_fn.next_functions[0][0].next_functions[0][0]) == "n0"
    snap = snapshot(b, a)  # a's node is inside b's graph: a gets an output node, no duplicate op
    assert [n["kind"] for n in snap.nodes].count("output") == 2
    assert len([n for n in snap.nodes if n["label"] == "MulBackward0"]) == 1
    assert snap.id_of(a) == snap.roots[1]
    with pytest.raises(TypeError):
        snapshot("not a tensor")


def test_ten_thousand_node_chain():
    x = leaf(2)
    y = x
    for _ in range(10_000):
        y = y + 1
    snap = snapshot(y)
    assert len(snap) == 10_002
    assert snap.nodes[-1]["kind"] == "leaf" and snap.nodes[1]["id"] == "n1"
    assert len(snap.edges) == 10_001
    tree = text_tree(snap, max_depth=50)
    assert tree.count("\n") == 51 and "deeper than 50 levels" in tree
    assert len(to_dot(snap).body) > 10_000


# ---------------------------------------------------------------- DOT and SVG
def _dot_json(graph):
    data = json.loads(graph.pipe(format="json"))
    names = {o["_gvid"]: o["name"] for o in data["objects"] if "nodes" not in o}
    texts = {o["name"]: [op["text"] for op in o.get("_ldraw_", []) if op["op"] == "T"]
             for o in data["objects"] if "nodes" not in o}
    edges = sorted((names[e["tail"]], names[e["head"]]) for e in data.get("edges", []))
    clusters = [o["name"] for o in data["objects"] if "nodes" in o]
    return texts, edges, clusters


@requires_dot
def test_dot_json_round_trip_matches_the_snapshot(small):
    x, w, out = small
    out.backward(retain_graph=True)
    snap = snapshot(out, params={"x": x, "w": w})
    snap.set_state("n1", "done")
    texts, edges, _ = _dot_json(to_dot(snap))
    assert set(texts) == {n["id"] for n in snap.nodes}
    for n in snap.nodes:
        title = ("✓ " if n["state"] == "done" else "") + n["label"]
        assert texts[n["id"]][0] == title
        if n["shape"] is not None:
            assert ("[" + ", ".join(map(str, n["shape"])) + "]" if n["shape"] else "scalar") in texts[n["id"]]
    assert edges == sorted((e["source"], e["target"]) for e in snap.edges)
    assert "grad [[0.125, 0.125], [0.125, 0.125]]" in texts["n4"]

    texts, edges, _ = _dot_json(to_dot(snap, show_saved=False, show_values=False, show_grads=False))
    assert set(texts) == {n["id"] for n in snap.nodes if n["kind"] != "saved"}
    assert all(not t.startswith(("= ", "grad ")) for ts in texts.values() for t in ts)


@requires_dot
def test_svg_titles_are_ids_and_classes_carry_states(small):
    x, w, out = small
    out.backward()
    with pytest.raises(RuntimeError) as info:
        out.backward()
    snap = snapshot(out)
    snap.mark_error(info.value)
    snap.set_state("n3", "current")
    root = ET.fromstring(viz.svg(snap))
    by_title = {}
    for g in root.iter(SVG_NS + "g"):
        if "al-node" in (g.get("class") or ""):
            by_title[g.find(SVG_NS + "title").text] = g
    assert set(by_title) == {n["id"] for n in snap.nodes}
    assert "al-state-error" in by_title["n2"].get("class")
    assert by_title["n2"].find(SVG_NS + "path").get("stroke") == "#d32f2f"
    assert "al-state-current" in by_title["n3"].get("class")
    assert "al-state-freed" not in by_title["n2.self"].get("class")
    assert "al-freed" in by_title["n2.self"].get("class")
    caption = "".join(t.text or "" for t in root.find(SVG_NS + "g").findall(SVG_NS + "text"))
    assert "RuntimeError: Trying to backward through the graph a second time" in caption


@requires_dot
def test_markup_in_names_and_values_is_escaped():
    evil = "<script>alert(1)</script>\"'&"
    x = leaf(2)
    y = (x * 3).sum()
    y.grad_fn.metadata["module"] = "<b>mod</b>"
    snap = snapshot(y, params={evil: x}, names={id(y): "</text><svg onload=alert(2)>"})
    graph = to_dot(snap, caption="caption <i>not italic</i>")
    assert "<script>" not in graph.source and "&lt;script&gt;" in graph.source
    svg_text = viz.svg(graph)
    assert "<script" not in svg_text and "<svg onload" not in svg_text and "<i>" not in svg_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg_text
    root = ET.fromstring(svg_text)  # still well-formed XML
    all_text = ["".join(t.itertext()) for t in root.iter(SVG_NS + "text")]
    assert evil in all_text
    assert "</text><svg onload=alert(2)>" in all_text
    assert "<b>mod</b>" in all_text
    assert "caption <i>not italic</i>" in all_text


@requires_dot
def test_draw_mimebundle_and_save(tmp_path, small):
    x, w, out = small
    d = draw(out, params={"x": x, "w": w})
    bundle = d._repr_mimebundle_()
    assert bundle["text/plain"] == str(d)
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml") and "<svg" in bundle["image/svg+xml"]
    for fmt, magic in (("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")):
        path = d.save(tmp_path / f"g.{fmt}")
        assert path.read_bytes().startswith(magic)
    assert d.save(tmp_path / "g.gv", format="dot").read_text().startswith("digraph autograd {")
    assert (tmp_path / "g.gv").read_text() == d.dot.source
    with pytest.raises(ValueError):
        d.save(tmp_path / "g.xyz")


def test_without_dot_the_message_is_clear_and_text_still_works(monkeypatch, tmp_path, small):
    monkeypatch.setattr(viz_dot.shutil, "which", lambda name: None)
    d = draw(small[2])
    assert set(d._repr_mimebundle_()) == {"text/plain"}
    with pytest.raises(viz.GraphvizNotInstalled) as info:
        viz.svg(d.snapshot)
    assert str(info.value) == (
        "Graphviz's `dot` program is not installed: `apt-get install graphviz` (or `conda install graphviz`) to "
        "get pictures; the widgets (autograd_lab.widgets) draw graphs without it")
    with pytest.raises(viz.GraphvizNotInstalled):
        d.save(tmp_path / "g.png")
    assert d.save(tmp_path / "g.dot").read_text() == d.dot.source


def test_drawing_redraws_when_a_state_changes(small):
    d = draw(small[2])
    before = d.dot
    assert d.dot is before
    d.snapshot.set_state("n2", "current")
    assert d.dot is not before and "al-state-current" in d.dot.source


def test_make_dot_is_torchviz_shaped(small):
    x, w, out = small
    g = make_dot(out, params={"weight": w})
    import graphviz
    assert isinstance(g, graphviz.Digraph)
    assert "weight" in g.source and "n2.self" not in g.source and "= " not in g.source
    assert "n2.self" in make_dot(out, show_saved=True).source
    s = x.sum(1)
    assert "dims=(1,)" in make_dot(s, show_attrs=True).source
    assert "dims=" not in make_dot(s).source
    assert make_dot((out, s)).source.count("al-output") == 2


def test_rankdir_and_dot_node_names_are_ids(small):
    g = to_dot(snapshot(small[2]), rankdir="LR")
    assert "rankdir=LR" in g.source
    names = [n for n in re.findall(r'^\t("?[\w.]+"?) \[', g.source, flags=re.M)
             if n not in ("graph", "node", "edge")]
    assert [n.strip('"') for n in names] == [n["id"] for n in snapshot(small[2]).nodes]


# ---------------------------------------------------------------- the text tree
def test_text_tree_exact_for_a_small_graph(small):
    x, w, out = small
    d = draw(out, params={"x": x, "w": w})
    assert str(d) == (
        "MeanBackward0 -> output []\n"
        "└─ MulBackward0  saved: self [2, 2], other [2, 2]\n"
        "   ├─ AddBackward0\n"
        "   │  └─ x [2, 2] (leaf)\n"
        "   └─ w [2, 2] (leaf)")
    out.backward()
    with pytest.raises(RuntimeError) as info:
        out.backward()
    assert str(draw(out, params={"x": x, "w": w}, error=info.value)) == (
        f"RuntimeError: {info.value}\n"
        "MeanBackward0 -> output []\n"
        "└─ MulBackward0  saved: self (freed), other (freed)  [error]\n"
        "   ├─ AddBackward0\n"
        "   │  └─ x [2, 2] (leaf)\n"
        "   └─ w [2, 2] (leaf)")


def test_text_tree_is_deterministic_and_has_no_addresses():
    def build():
        x = A.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = x.exp()
        return (h * h + h.sum()).mean(), x

    out1, x1 = build()
    out2, x2 = build()
    t1 = repr(draw(out1, names={id(x1): "x"}))
    assert t1 == repr(draw(out1, names={id(x1): "x"})) == repr(draw(out2, names={id(x2): "x"}))
    assert "0x" not in t1
    # a shared op is drawn once, then referred to
    assert t1.count("ExpBackward0 (n") == 3 and "see above" in t1
    assert t1.splitlines()[0] == "MeanBackward0 -> output []"


def test_text_tree_shows_states_hooks_and_stale_versions():
    x = leaf(3)
    x.register_hook(lambda g: g)
    a = x * 1
    b = (a * a).sum()
    a.add_(1)
    snap = snapshot(b, names={id(x): "x"})
    snap.set_state("n1", "done")
    assert text_tree(snap) == (
        "SumBackward0 -> output []  [done]\n"
        "└─ MulBackward0  saved: self [3] version 1, expected 0 (stale), other [3] version 1, expected 0 (stale)\n"
        "   ├─ MulBackward0 (n3)  saved: other []\n"
        "   │  └─ x [3] (leaf)  hooks: 1\n"
        "   └─ MulBackward0 (n3, see above)")


# ---------------------------------------------------------------- big graphs, value text
def test_neighbourhood_crops_a_big_graph_around_a_node():
    x = leaf(2)
    y = x
    for _ in range(50):
        y = y * 1.5
    z = y.sum()
    snap = snapshot(z)
    mid = [n["id"] for n in snap.nodes if n["kind"] == "op"][25]
    snap.set_state(mid, "current")
    sub = snap.neighbourhood(mid, radius=2)
    ops = [n["id"] for n in sub.nodes if n["kind"] != "saved"]
    assert len(ops) == 5 and mid in ops
    assert sub.roots == [ops[0]]
    assert sub.states[mid] == "current" and sub.id_of(snap.obj_of(mid)) == mid
    assert all(e["source"] in sub and e["target"] in sub for e in sub.edges)
    assert text_tree(sub).count("MulBackward0") == 5
    sub.set_state(mid, "done")
    assert snap.states[mid] == "current"  # a subgraph is a copy
    top = snap.subgraph(["n0"])
    assert text_tree(top) == "output [] (output)"


@pytest.mark.parametrize("array, text", [
    (np.float32(3.0), "3."),
    (np.array(2.5, np.float32), "2.5"),
    (np.arange(10, dtype=np.float32), "[0., 1., …, 8., 9.]"),
    (np.arange(3, dtype=np.int64), "[0, 1, 2]"),
    (np.array([True, False]), "[True, False]"),
    (np.full((6, 6), 1.0, np.float32), "[[1., 1., …, 1., 1.], [1., 1., …, 1., 1.], …, [1., 1., …, 1…"),
    (np.array([1e-5, 123456.0], np.float32), "[1e-05, 1.235e+05]"),
])
def test_values_are_abbreviated(array, text):
    from autograd_lab.viz import abbreviate
    assert abbreviate(array) == text


# ---------------------------------------------------------------- issue #11: sites, NaN / inf, why .grad is None
import warnings  # noqa: E402

from autograd_lab import anomaly  # noqa: E402
from autograd_lab.viz import GradExplanation, why_no_grad  # noqa: E402
from autograd_lab.viz.why import REASONS  # noqa: E402

HERE = os.path.basename(__file__)


def _line_of(marker):
    """The line number in this file of the line holding ``marker`` (so sites can be checked exactly)."""
    with open(__file__) as f:
        for i, line in enumerate(f, 1):
            if marker in line and "_line_of" not in line:
                return i
    raise AssertionError(marker)


@pytest.fixture
def quiet_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy on NaN / inf (PyTorch does not warn)
        yield


def log_graph():
    """log(0): a -inf forward value, then NaN in the product and in the gradients."""
    x = A.tensor([0.0, 1.0, 2.0], requires_grad=True)
    with A.trace():
        y = A.log(x)  # site: log
        loss = (y * x).sum()  # site: loss
    return x, y, loss


@pytest.mark.usefixtures("quiet_numpy")
def test_snapshot_records_where_each_node_was_made():
    x, y, loss = log_graph()
    snap = snapshot(loss, names={id(x): "x", id(loss): "loss"})
    log_site = f"{HERE}, line {_line_of('# site: log')}: y = A.log(x)  # site: log"
    loss_site = f"{HERE}, line {_line_of('# site: loss')}: loss = (y * x).sum()  # site: loss"
    sites = {n["id"]: n["site"] for n in snap.nodes}
    assert sites == {"n0": loss_site, "n1": loss_site, "n2": loss_site, "n2.self": log_site, "n2.other": None,
                     "n3": log_site, "n3.self": None, "n4": None}
    assert sites["n3"] == anomaly.site_of(y.grad_fn)
    # without trace() nothing is recorded, and the field is there all the same
    plain = snapshot((leaf(2) * 2).sum())
    assert all("site" in n and n["site"] is None for n in plain.nodes)
    assert json.loads(json.dumps(snap.to_dict())) == snap.to_dict()


@pytest.mark.usefixtures("quiet_numpy")
def test_nonfinite_marks_values_saved_results_and_grads():
    x, y, loss = log_graph()
    snap = snapshot(loss, names={id(x): "x"})
    # loss and its op are NaN (-inf * 0); the saved y and LogBackward0, which produced it, hold -inf
    assert {n["id"]: n["nonfinite"] for n in snap.nodes if n["nonfinite"]} == {
        "n0": "nan", "n1": "nan", "n2.self": "inf", "n3": "inf"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        loss.backward(retain_graph=True)
    snap.refresh()
    assert snap.node("n4")["nonfinite"] == "nan"  # x.grad = [nan, 1, 1.69]
    assert viz.nonfinite_of(None, np.array([1, 2]), np.array([1.0, np.inf])) == "inf"
    assert viz.nonfinite_of(np.array([np.inf]), np.array([np.nan])) == "nan"
    assert viz.nonfinite_of(np.zeros(0), np.array([True])) is None
    # a retained non-leaf's grad counts for it and for its op (whose "grad" it is)
    a = leaf(2)
    b = a * 1
    b.retain_grad()
    inf_loss = (b * float("inf")).sum()
    assert {n["id"]: n["nonfinite"] for n in snapshot(b).nodes if n["nonfinite"]} == {}
    inf_loss.backward()
    assert {n["id"]: n["nonfinite"] for n in snapshot(b).nodes if n["nonfinite"]} == {
        "n0": "inf", "n1": "inf", "n2": "inf"}  # b, its op (b.grad is retained there), and a.grad


@pytest.mark.usefixtures("quiet_numpy")
def test_text_tree_shows_sites_and_nonfinite_values():
    x, y, loss = log_graph()
    log_line, loss_line = _line_of("# site: log"), _line_of("# site: loss")
    tree = str(draw(loss, names={id(x): "x", id(loss): "loss"}))
    assert tree == (
        f"SumBackward0 -> loss []  ({HERE}, line {loss_line}: loss = (y * x).sum()  # site: loss)  [has NaN]\n"
        f"└─ MulBackward0  ({HERE}, line {loss_line}: loss = (y * x).sum()  # site: loss)  "
        "saved: self [3] (has inf), other [3]\n"
        f"   ├─ LogBackward0  ({HERE}, line {log_line}: y = A.log(x)  # site: log)  saved: self [3]  [has inf]\n"
        "   │  └─ x [3] (leaf)\n"
        "   └─ x [3] (leaf)")
    # a long site is cut in the tree
    from autograd_lab.viz.text import site_text
    assert site_text("f.py, line 1: " + "x" * 200).endswith("…)") and len(site_text("a" * 200)) == 82


@pytest.mark.usefixtures("quiet_numpy")
def test_dot_edges_carry_ids_and_nodes_their_site_and_nan():
    x, y, loss = log_graph()
    snap = snapshot(loss, names={id(x): "x"})
    source = to_dot(snap).source
    for e in snap.edges:
        assert re.search(rf'^\t"?{re.escape(e["source"])}"? -> "?{re.escape(e["target"])}"? \[.*\bid={e["id"]}\b',
                         source, re.M), e
    log_line = _line_of("# site: log")
    n3 = next(line for line in source.splitlines() if line.startswith("\tn3 "))
    assert "al-nonfinite al-inf" in n3 and "⚠ inf" in n3 and 'color="#c2185b"' in n3
    assert f'tooltip="made at {HERE}, line {log_line}: y = A.log(x)  # site: log\\nholds inf"' in n3
    # the widgets draw NaN live: their DOT leaves it out
    quiet = to_dot(snap, show_nonfinite=False).source
    assert "al-nonfinite" not in quiet and "⚠" not in quiet and "holds inf" in quiet
    # no site, no NaN: no tooltip at all (Graphviz would wrap the node in an <a>)
    assert "tooltip" not in to_dot(snapshot((leaf(2) * 2).sum())).source


@requires_dot
def test_svg_edges_have_the_snapshot_edge_ids(small):
    snap = snapshot(small[2])
    root = ET.fromstring(viz.svg(snap))
    ids = sorted(g.get("id") for g in root.iter(SVG_NS + "g") if "al-edge" in (g.get("class") or ""))
    assert ids == sorted(e["id"] for e in snap.edges)


def inplace_error():
    a = A.ones(3, requires_grad=True)
    with A.trace():
        s = a.sigmoid()  # site: sigmoid
        s.mul_(2)
        out = s.sum()
    with pytest.raises(RuntimeError) as info:
        out.backward()
    return a, out, info.value


def test_an_error_is_drawn_with_the_line_that_made_its_node():
    a, out, err = inplace_error()
    site = f"{HERE}, line {_line_of('# site: sigmoid')}: s = a.sigmoid()  # site: sigmoid"
    d = draw(out, names={id(a): "a"}, error=err)
    assert d.snapshot.error["site"] == site and d.snapshot.error["label"] == "SigmoidBackward0"
    lines = str(d).splitlines()
    assert lines[0] == f"RuntimeError: {err}"
    assert lines[1] == f"failing node SigmoidBackward0 (n3) was made at {site}"
    assert f"SigmoidBackward0  ({site})  saved: result [3] version 1, expected 0 (stale)  [error]" in lines[-2]
    n3 = next(line for line in d.source.splitlines() if line.startswith("\tn3 "))
    assert f"made at {site}" in n3  # a line of the failing node's label
    assert f"failing node SigmoidBackward0 (n3) was made at {site}" in d.source.replace("<BR ALIGN=\"LEFT\"/>", " ")


def test_the_ipython_error_display_shows_the_cell_and_line():
    from IPython.core.interactiveshell import InteractiveShell
    from autograd_lab import ipython as ext_module
    ip = InteractiveShell.instance()
    try:
        ip.run_cell("%load_ext autograd_lab", store_history=True)
        ip.run_cell("import autograd_lab as torch\na = torch.ones(3, requires_grad=True)", store_history=True)
        n = ip.execution_count
        ip.run_cell("with torch.trace():\n    s = a.sigmoid()\n    s.mul_(2)\n    out = s.sum()", store_history=True)
        ip.run_cell("try:\n    out.backward()\nexcept RuntimeError as e:\n    err = e", store_history=True)
        drawing = ext_module._extensions[id(ip)].error_drawing(ip.user_ns["err"])
        text = str(drawing)
        assert f"failing node SigmoidBackward0 (n3) was made at In [{n}], line 2: s = a.sigmoid()" in text
        assert f"SigmoidBackward0  (In [{n}], line 2: s = a.sigmoid())" in text
        ip.run_cell("%unload_ext autograd_lab", store_history=True)
    finally:
        InteractiveShell.clear_instance()


def test_abbreviate_and_shape_str_are_public_and_what_the_widgets_use():
    from autograd_lab.viz import _format
    assert viz.abbreviate is _format.abbreviate and viz.shape_str is _format.shape_str
    assert viz.shape_str((2, 3)) == "[2, 3]" and viz.abbreviate(np.float32(3.0)) == "3."
    pytest.importorskip("anywidget")
    from autograd_lab.widgets import _format as widget_format
    # the widgets and the pictures say "scalar" for a 0-d tensor (the text tree keeps PyTorch's "[]")
    assert widget_format.abbreviate is viz.abbreviate and widget_format.shape_str is viz_dot.shape_text
    assert viz_dot.shape_text(()) == "scalar" and viz_dot.shape_text((2, 3)) == viz.shape_str((2, 3))


# ---- why_no_grad: one test per reason
def two_layer(cut=None):
    x = A.tensor([1.0, 2.0])
    w1 = A.tensor([0.5, -1.0], requires_grad=True)
    w2 = A.tensor([2.0, 3.0], requires_grad=True)
    with A.trace():
        h = (x * w1).sigmoid()
        if cut == "detach":
            out = h.detach() * w2  # site: cut
        elif cut == "data":
            out = h.data * w2
        else:
            out = h * w2
        loss = out.sum()
    return x, w1, w2, h, loss


def test_why_has_grad_and_non_leaf():
    x, w1, w2, h, loss = two_layer()
    loss.backward()
    why = why_no_grad(w1, loss)
    assert isinstance(why, GradExplanation) and why.reason == "has_grad"
    assert str(why) == repr(why) == "w1.grad is not None: it holds a gradient of shape [2]."
    why = why_no_grad(h, loss)
    assert why.reason == "non_leaf" and why.node is h.grad_fn
    assert why.message.startswith(f"h is not a leaf: it was made by SigmoidBackward0, at {why.site}. ")
    assert "h.retain_grad()" in why.message and why.site == anomaly.site_of(h.grad_fn)


@pytest.mark.parametrize("after_backward", [False, True])
def test_why_detached_path_names_the_op_and_the_line(after_backward):
    x, w1, w2, h, loss = two_layer("detach")
    if after_backward:
        loss.backward()  # frees the saved copy: found through its version counter all the same
    why = why_no_grad(w1, loss)
    site = f"{HERE}, line {_line_of('# site: cut')}: out = h.detach() * w2  # site: cut"
    assert why.reason == "detached" and why.node is loss.grad_fn.next_functions[0][0] and why.site == site
    assert why.message.startswith("w1 is not reached from loss: the path is cut where MulBackward0 uses a copy of h "
                                  f"taken with .detach(), at {site}. ")
    assert f"(h itself was made by SigmoidBackward0, at {anomaly.site_of(h.grad_fn)})" in why.message


def test_why_data_cut_and_a_detached_tensor_itself():
    x, w1, w2, h, loss = two_layer("data")
    why = why_no_grad(w1, loss)
    assert why.reason == "detached" and "uses a copy of h taken with .data" in why.message
    h_copy = h.detach()
    why = why_no_grad(h_copy)
    assert why.reason == "detached" and why.node is h.grad_fn
    assert why.message.startswith("h_copy does not require grad: it is a copy of h taken with .detach(), which ")
    assert "(h was made by SigmoidBackward0, at " in why.message


def test_why_does_not_require_grad_and_no_grad():
    x, w1, w2, h, loss = two_layer()
    why = why_no_grad(x, loss)
    assert why.reason == "does_not_require_grad"
    assert why.message.startswith("x does not require grad, so autograd does not track it")
    assert "torch.no_grad()" in why.message  # it says what cannot be told apart
    with A.no_grad():
        frozen = x * w1
    loss2 = (frozen * w2).sum()
    assert why_no_grad(frozen, loss2).reason == "does_not_require_grad"
    assert why_no_grad(w1, loss2).reason == "not_reached"


def test_why_no_grad_uses_the_site_the_core_records(monkeypatch):
    # the core does not (yet) record where a tensor was computed under no_grad: when it does,
    # through anomaly.no_grad_site_of(tensor), the explanation names the line
    x, w1, w2, h, _ = two_layer()
    with A.no_grad():
        frozen = x * w1
    loss = (frozen * w2).sum()
    sites = {id(frozen): "In [4], line 2: frozen = x * w1"}
    monkeypatch.setattr(anomaly, "no_grad_site_of", lambda t: sites.get(id(t)), raising=False)
    why = why_no_grad(frozen, loss)
    assert why.reason == "no_grad" and why.site == "In [4], line 2: frozen = x * w1"
    assert why.message.startswith("frozen was computed under torch.no_grad() at In [4], line 2: frozen = x * w1")
    why = why_no_grad(w1, loss)
    assert why.reason == "no_grad" and why.node is loss.grad_fn.next_functions[0][0]
    assert ", uses frozen, computed under torch.no_grad() at In [4], line 2" in why.message


def test_why_not_reached_not_run_and_unknown():
    x, w1, w2, h, loss = two_layer()
    other = (w2 * 2).sum()
    why = why_no_grad(w1, other)
    assert why.reason == "not_reached"
    assert why.message.startswith("w1 is not reached from other: no path of recorded operations leads back to w1")
    why = why_no_grad(w1, loss)
    assert why.reason == "not_run" and "backward has not run (yet) from loss. Call loss.backward()" in why.message
    loss.backward()
    w1.grad = None
    why = why_no_grad(w1, loss)
    assert why.reason == "not_run" and "its saved tensors are freed" in why.message
    assert why_no_grad(w1).reason == "unknown"
    no_graph = (h * 2).sum().detach()
    why = why_no_grad(w1, no_graph)
    assert why.reason == "not_reached" and "no_graph has no graph at all" in why.message
    assert {"has_grad", "non_leaf", "detached", "no_grad", "does_not_require_grad", "not_reached", "not_run",
            "unknown"} == set(REASONS)
    with pytest.raises(TypeError):
        why_no_grad(np.zeros(2))
    assert why_no_grad(w1, loss, names={id(w1): "weight", id(loss): "L"}).message.startswith("weight is reached from L")


def _contrast(a, b):
    """WCAG contrast ratio of two #rrggbb colours."""
    def lum(c):
        rgb = [int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        rgb = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
        return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_one_colour_code_that_reads_on_light_and_dark_pages():
    """Issue 20: orange means "running now" only (saved tensors were orange in draw() and the
    current node orange in the widgets); the background is transparent, so draw() is no white slab
    on a dark theme; freed text keeps a readable contrast; lines outside boxes are mid tones."""
    oranges = {viz_dot.STATE_STYLE["current"]["color"]}
    kinds = viz_dot.KIND_STYLE
    assert all(s.get("color") not in oranges and s.get("fillcolor") not in oranges for s in kinds.values())
    assert all(s.get("color") not in oranges for s in viz_dot.EDGE_STYLE.values())
    freed = viz_dot.STATE_STYLE["freed"]
    assert _contrast(freed["fontcolor"], freed["fillcolor"]) >= 4.5
    dark, white = "#111111", "#ffffff"   # JupyterLab dark's page, and the light one
    for colour in [viz_dot.CAPTION_RED] + [s["color"] for s in viz_dot.EDGE_STYLE.values()]:
        assert _contrast(colour, dark) >= 3 and _contrast(colour, white) >= 3, colour

    x = A.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    g = to_dot(snapshot(loss))
    assert g.graph_attr["bgcolor"] == "transparent"
    if viz_dot.has_dot():
        root = ET.fromstring(viz_dot.svg_element(viz.svg(snapshot(loss))))
        ns = {"s": "http://www.w3.org/2000/svg"}
        backgrounds = root.findall("s:g/s:polygon", ns)   # the graph's own polygon, when Graphviz draws one
        assert all(p.get("fill") in ("transparent", "none") for p in backgrounds)
        assert root.findall("s:g/s:g[@id='node1']", ns)  # (the path above does reach the graph's children)


# ---------------------------------------------------------------- issue 20: the key inside draw()'s picture
def test_the_key_lists_what_the_picture_shows(small):
    x, w, out = small
    d = draw(out, params={"x": x, "w": w})
    assert legend.entries(d.snapshot) == [("leaf", "leaf tensor"), ("op", "op (grad_fn)"), ("output", "output"),
                                          ("saved", "saved tensor")]   # no states before anything ran
    assert legend.LEGEND_ID in d.source and "saved tensor" in d.source
    assert "running now" not in d.source and "freed" not in d.source
    unsaved = draw(out, show_saved=False).source
    assert "saved tensor" not in unsaved and "op (grad_fn)" in unsaved
    assert legend.LEGEND_ID not in draw(out, legend=False).source
    assert legend.LEGEND_ID not in make_dot(out).source   # torchviz draws no key

    d.snapshot.set_state("n3", "current")
    d.snapshot.set_state("n1", "done")
    assert [k for k, _ in legend.entries(d.snapshot)][4:] == ["current", "done"]
    assert "running now" in d.source   # (a changed state redraws, key included)

    out.backward()
    with pytest.raises(RuntimeError) as info:
        out.backward()
    failed = draw(error=info.value)
    keys = [k for k, _ in legend.entries(failed.snapshot)]
    assert "freed" in keys and "error" in keys and "current" not in keys


def test_the_key_names_hooks_retained_grads_and_nan_only_when_drawn(quiet_numpy):
    x = A.tensor([1.0, -1.0], requires_grad=True)
    h = x * 2
    assert [k for k, _ in legend.entries(snapshot(h.sum()))] == ["leaf", "op", "output", "saved"]
    h.register_hook(lambda g: g)
    h.retain_grad()
    y = h.log().sum()
    keys = [k for k, _ in legend.entries(snapshot(y))]
    assert keys[-3:] == ["nonfinite", "hook", "retain"]
    assert "nonfinite" not in [k for k, _ in legend.entries(snapshot(y), show_nonfinite=False)]


@requires_dot
def test_the_key_is_drawn_in_the_nodes_colours_and_reads_on_light_and_dark():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    snap = snapshot((x * x).sum())
    snap.set_state(snap.nodes[1]["id"], "current")
    root = ET.fromstring(viz_dot.svg_element(draw(snap).svg()))
    (key,) = [g for g in root.iter(SVG_NS + "g") if "al-legend" in (g.get("class") or "")]
    assert [t.text for t in key.iter(SVG_NS + "text")] == ["leaf tensor", "op (grad_fn)", "output", "saved tensor",
                                                            "running now"]
    fills = {p.get("fill") for p in key.iter() if p.get("fill") not in (None, "none", "transparent")}
    styles = viz_dot.KIND_STYLE
    assert {styles["leaf"]["fillcolor"], styles["op"]["fillcolor"], styles["output"]["fillcolor"]} <= fills
    strokes = {p.get("stroke") for p in key.iter()}
    assert viz_dot.STATE_STYLE["current"]["color"] in strokes
    assert not any("al-node" in (g.get("class") or "") and "legend" in g.find(SVG_NS + "title").text
                   for g in root.iter(SVG_NS + "g"))   # the key is no node of the graph
    for page in ("#ffffff", "#111111"):
        assert _contrast(legend.TEXT_GREY, page) >= 3.5


def test_done_boxes_are_faded_but_opaque_so_their_words_read_on_dark_pages():
    done = viz_dot.STATE_STYLE["done"]
    for kind, style in viz_dot.KIND_STYLE.items():
        faded = viz_dot._dim(style["fillcolor"])
        assert re.fullmatch(r"#[0-9a-f]{6}", faded), kind    # no alpha: the page does not show through
        # what 40 % opacity gave on a white page
        assert all(abs(int(faded[i:i + 2], 16) - (0.4 * int(style["fillcolor"][i:i + 2], 16) + 0.6 * 255)) <= 1
                   for i in (1, 3, 5))
        assert _contrast(done["fontcolor"], faded) >= 4.5, kind


def test_the_key_has_a_folded_group_row_only_when_a_box_is_folded():
    h = A.zeros(2, 4)
    w = A.randn(4, 4, requires_grad=True)
    for _ in range(60):   # a loop: its steps repeat, and the graph is big enough to start folded
        h = (h @ w).tanh()
    loss = h.sum()
    folded, whole = draw(loss), draw(loss, collapse=False)
    assert folded.options["collapsed"]
    assert "folded" in [k for k, _ in legend.entries(folded.snapshot, folded=True)]
    assert "folded group" in folded.source and "al-group" in folded.source
    assert "folded group" not in whole.source and "al-group" not in whole.source
