"""Groups a drawing can fold (viz/groups.py) and the DOT that folds them (viz/dot.py's collapsed=).

The benchmark graphs (benchmarks/widget_graphs.py: a recurrent loop on shared weights, a deep MLP,
transformer-like blocks) are checked against what their builders know: how many periods they ran,
which leaves each period owns. Small hand-made graphs cover chains and modules, on autograd_lab and
on real torch graphs through the same snapshot.
"""
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd_lab as A
from autograd_lab.viz import snapshot, to_dot, track_modules
from autograd_lab.viz.groups import (BIG_GRAPH, MIN_CHAIN, default_collapsed, find_groups, representatives,
                                     short_name)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import widget_graphs  # noqa: E402


def by_kind(groups, kind):
    return [g for g in groups if g["kind"] == kind]


def assert_nested(groups):
    """Any two groups nest or are apart, and each parent is the smallest group holding the child."""
    sets = {g["id"]: set(g["members"]) for g in groups}
    for a in groups:
        for b in groups:
            if a is b:
                continue
            sa, sb = sets[a["id"]], sets[b["id"]]
            assert sa <= sb or sb <= sa or not (sa & sb), (a["label"], b["label"])
        holders = [b for b in groups if b is not a and sets[a["id"]] <= sets[b["id"]]
                   and not (sets[a["id"]] == sets[b["id"]] and int(b["id"][1:]) > int(a["id"][1:]))]
        if a["parent"] is None:
            assert not holders, a["label"]
        else:
            assert len(sets[a["parent"]]) == min(len(sets[h["id"]]) for h in holders)


@pytest.mark.parametrize("kind, unit", [("rnn", ["Mm", "Add", "Tanh"]), ("mlp", ["Mm", "Add", "Relu"])])
@pytest.mark.parametrize("repeats", [5, 40])
def test_loops_and_stacks_fold_into_one_block_per_period(kind, unit, repeats):
    loss, params = widget_graphs.BUILDERS[kind](repeats)
    snap = snapshot(loss, params=params)
    groups = find_groups(snap)
    assert_nested(groups)
    blocks = by_kind(groups, "block")
    assert len(blocks) == repeats
    assert sorted(b["step"] for b in blocks) == list(range(1, repeats + 1))
    assert all("·".join(unit) in b["label"] for b in blocks)
    ids = {name: snap.id_of(t) for name, t in params.items()}
    held = {m for b in blocks for m in b["members"]}
    if kind == "rnn":   # the shared weights stay outside every period
        assert ids["W"] not in held and ids["U"] not in held
        for b in blocks:
            assert [snap.node(m)["label"] for m in b["members"] if snap.node(m)["kind"] == "op"].count("MmBackward0") == 2
    else:               # each layer's own weight and bias are its period's
        for i in range(repeats):
            owner = [b for b in blocks if ids[f"W{i}"] in b["members"]]
            assert len(owner) == 1 and ids[f"b{i}"] in owner[0]["members"] and owner[0]["step"] == i + 1
    # the loss and its mean are nobody's
    assert snap.roots[0] not in held
    (repeat,) = by_kind(groups, "repeat")
    assert f"×{repeats - 2}" in repeat["label"]
    middle = {b["id"] for b in blocks if 1 < b["step"] < repeats}
    assert {b["id"] for b in blocks if b["parent"] == repeat["id"]} == middle


def test_transformer_blocks_own_their_six_weights():
    loss, params = widget_graphs.transformer(4)
    snap = snapshot(loss, params=params)
    groups = find_groups(snap)
    assert_nested(groups)
    blocks = by_kind(groups, "block")
    assert len(blocks) == 4
    for b in blocks:
        owned = [name for name, t in params.items() if snap.id_of(t) in b["members"]]
        i = b["step"] - 1
        assert sorted(owned) == sorted([f"Wq{i}", f"Wk{i}", f"Wv{i}", f"Wo{i}", f"W1_{i}", f"W2_{i}"])


def test_default_folding_of_a_big_graph_leaves_the_first_and_last_period_open():
    loss, params = widget_graphs.rnn(60)
    snap = snapshot(loss, params=params)
    assert len(snap.nodes) > BIG_GRAPH
    groups = find_groups(snap)
    folded = set(default_collapsed(groups, len(snap.nodes)))
    (repeat,) = by_kind(groups, "repeat")
    assert repeat["id"] in folded
    steps = {b["step"]: b["id"] for b in by_kind(groups, "block")}
    assert steps[1] not in folded and steps[60] not in folded and steps[30] in folded
    assert default_collapsed(groups, BIG_GRAPH) == []   # a small graph is drawn whole
    rep = representatives(groups, folded)
    assert set(rep.values()) == {repeat["id"]}          # the outermost fold stands for its members


def library(name):
    """autograd_lab, or torch itself (the oracle: skipped where it is missing, never under CI)."""
    if name == "torch":
        from oracle import import_torch
        return import_torch()
    return A


def chain_graph(lib):
    x = lib.tensor([0.5, -1.0], requires_grad=True)
    y = (x * 2).exp().sin().cos().tanh().sum()
    return x, y


@pytest.mark.parametrize("lib", ["autograd_lab", "torch"])
def test_a_long_elementwise_chain_is_one_group(lib):
    lib = library(lib)
    _, y = chain_graph(lib)
    snap = snapshot(y)
    (chain,) = by_kind(find_groups(snap), "chain")
    ops = [snap.node(m)["label"] for m in chain["members"] if snap.node(m)["kind"] == "op"]
    # Mul has a single input too (the 2 is a number), and so has the sum: six ops in a row, in forward order
    assert [short_name(o) for o in ops] == ["Mul", "Exp", "Sin", "Cos", "Tanh", "Sum"]
    assert chain["label"] == "Mul → Exp → … → Sum (6 ops)"
    # each op's saved tensors fold with it
    saved = [m for m in chain["members"] if snap.node(m)["kind"] == "saved"]
    assert saved and all(snap.node(s)["owner"] in chain["members"] for s in saved)
    # a run of MIN_CHAIN - 1 ops is no chain, one more op makes one
    x = A.tensor([1.0], requires_grad=True)
    short = x
    for _ in range(MIN_CHAIN - 2):
        short = short.exp()
    assert not by_kind(find_groups(snapshot(short.sum())), "chain")
    assert len(by_kind(find_groups(snapshot(short.exp().sum())), "chain")) == 1


@pytest.mark.parametrize("lib", ["autograd_lab", "torch"])
def test_modules_nest_and_are_named_by_their_layer(lib):
    lib = library(lib)
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 4), nn.ReLU()), nn.Linear(4, 1))
    with track_modules(model):
        loss = model(lib.randn(3, 2)).sum()
    snap = snapshot(loss, params=model)
    groups = find_groups(snap)
    assert_nested(groups)
    modules = {g["path"]: g for g in by_kind(groups, "module")}
    assert {"0", "0.0", "1"} <= set(modules)
    assert modules["0.0"]["parent"] == modules["0"]["id"]
    assert modules["0.0"]["label"] == "Linear(2→4) 0.0" and modules["1"]["label"] == "Linear(4→1) 1"
    weight = snap.id_of(model[0][0].weight)
    assert weight in modules["0.0"]["members"] and weight in modules["0"]["members"]
    # the deeper layer folds by default in a big graph; depth-1 boxes stay open
    folded = default_collapsed(groups, BIG_GRAPH + 1)
    assert modules["0.0"]["id"] in folded and modules["0"]["id"] not in folded


def _dot_nodes(src):
    return set(re.findall(r'^\s*"?((?:n\d|g\d)[\w.]*)"? \[', src, re.M))


def test_to_dot_draws_a_folded_group_as_one_node_with_rerouted_edges():
    loss, params = widget_graphs.rnn(8)
    snap = snapshot(loss, params=params)
    groups = find_groups(snap)
    (repeat,) = by_kind(groups, "repeat")
    whole = to_dot(snap, groups=groups).source
    folded = to_dot(snap, groups=groups, collapsed=[repeat["id"]]).source
    assert _dot_nodes(whole) == {n["id"] for n in snap.nodes}
    drawn = _dot_nodes(folded)
    assert repeat["id"] in drawn and not drawn & set(repeat["members"])
    assert len(drawn) == len(snap.nodes) - len(repeat["members"]) + 1
    assert re.search(rf'{repeat["id"]} \[[^\]]*peripheries=2', folded)
    assert f"{len(repeat['members'])} nodes" in folded
    # W feeds many ops inside: one edge to the box; every edge's ends are drawn nodes
    W = snap.id_of(params["W"])
    edges = re.findall(r'^\s*"?([\w.]+)"? -> "?([\w.]+)"?', folded, re.M)
    assert edges.count((W, repeat["id"])) == 1
    assert all(s in drawn and t in drawn for s, t in edges)
    assert 'id="ge:' in folded
    # the same drawing without its saved tensors: none drawn, none folded into the count
    lean = to_dot(snap, groups=groups, collapsed=[repeat["id"]], show_saved=False).source
    assert not any(snap.node(n)["kind"] == "saved" for n in _dot_nodes(lean) if n in snap)


def test_a_folded_group_shows_its_worst_state():
    loss, params = widget_graphs.rnn(6)
    snap = snapshot(loss, params=params)
    groups = find_groups(snap)
    block = next(g for g in by_kind(groups, "block") if g["step"] == 3)
    ops = [m for m in block["members"] if snap.node(m)["kind"] == "op"]
    for m in ops:
        snap.set_state(m, "done")

    def state():
        src = to_dot(snap, groups=groups, collapsed=[block["id"]]).source
        return re.search(rf'{block["id"]} \[[^\]]*class="[^"]*al-state-(\w+)', src).group(1)

    assert state() == "done"
    snap.set_state(ops[1], "current")
    assert state() == "current"
    snap.set_state(ops[0], "error")
    assert state() == "error"


def test_a_shared_input_of_many_folded_boxes_is_named_in_them_not_joined_by_edges():
    loss, params = widget_graphs.rnn(12)
    snap = snapshot(loss, params=params)
    groups = find_groups(snap)
    blocks = [b for b in by_kind(groups, "block") if 1 < b["step"] < 12]
    src = to_dot(snap, groups=groups, collapsed=[b["id"] for b in blocks]).source
    W, U = snap.id_of(params["W"]), snap.id_of(params["U"])
    edges = re.findall(r'^\s*"?([\w.]+)"? -> "?([\w.]+)"?', src, re.M)
    folded = {b["id"] for b in blocks}
    assert not [e for e in edges if e[0] in (W, U) and e[1] in folded]
    assert src.count("uses W, U") == len(blocks)
    # W and U still reach the open first and last periods by edges
    assert any(s == W and t not in folded for s, t in edges) and any(s == U and t not in folded for s, t in edges)
    # a folded box with few shared inputs keeps its edges
    one = to_dot(snap, groups=groups, collapsed=[blocks[0]["id"]]).source
    assert "uses " not in one and re.search(rf'{W} -> {blocks[0]["id"]}', one)


def test_draw_folds_a_big_graph_and_never_the_failing_node():
    from autograd_lab.viz import draw
    loss, params = widget_graphs.rnn(30)
    snap = snapshot(loss, params=params)
    (repeat,) = by_kind(find_groups(snap), "repeat")
    folded = draw(loss, params=params).source
    assert repeat["id"] in _dot_nodes(folded) and len(_dot_nodes(folded)) < len(snap.nodes) / 3
    assert _dot_nodes(draw(loss, params=params, collapse=False).source) == {n["id"] for n in snap.nodes}
    small = draw(*chain_graph(A)[1:]).source
    assert not re.search(r"^\s*g\d+ \[", small, re.M)   # a small graph is drawn whole
    # a backward that fails deep inside the folded repeat: that node is drawn
    xs, W, U = A.randn(30, 2, 8), params["W"], params["U"]
    h = A.zeros(2, 8)
    for t in range(30):
        h = A.tanh(xs[t] @ W + h @ U)
        if t == 15:
            middle = h
    loss = h.pow(2).mean()
    middle.mul_(2)
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    failing = snapshot(loss).id_of(info.value.autograd_node)
    src = draw(loss, error=info.value).source
    assert failing in _dot_nodes(src) and any(n.startswith("g") for n in _dot_nodes(src))


def _rnn_with_a_loss_term_per_step(steps):
    """h_t = tanh(x_t @ W + h @ U), loss = the sum over t of mean((h_t @ V)²): (snapshot, each step's
    tanh node, each step's loss term)."""
    A.manual_seed(0)
    xs = A.randn(steps, 2, 8)
    W, U, V = (A.randn(8, k, requires_grad=True) for k in (8, 8, 1))
    h, loss, tanhs, terms = A.zeros(2, 8), 0, [], []
    for t in range(steps):
        h = A.tanh(xs[t] @ W + h @ U)
        tanhs.append(h.grad_fn)
        terms.append((h @ V).pow(2).mean())
        loss = loss + terms[-1]
    return snapshot(loss, params={"W": W, "U": U, "V": V}), tanhs, terms


def test_a_loss_summed_over_the_steps_folds_with_them():
    """loss = sum over t of a term of h_t: each step's term, and the running sum, join that step."""
    snap, _, terms = _rnn_with_a_loss_term_per_step(40)
    groups = find_groups(snap)
    assert_nested(groups)
    (repeat,) = by_kind(groups, "repeat")
    middle = terms[1:-1]
    assert all(snap.id_of(t.grad_fn) in repeat["members"] for t in middle[1:])
    folded = default_collapsed(groups, len(snap.nodes))
    rep = representatives(groups, folded)
    drawn = len(set(rep.values())) + sum(1 for n in snap.nodes if n["id"] not in rep)
    assert drawn < len(snap.nodes) / 10, drawn


def _run(program, loops, values):
    """Append to `values` what `program` computes, `loops` times over."""
    for _ in range(loops):
        for op, i, j in program:
            # the last few values: each loop repeats the same structure on the previous one's results
            a, b = values[-1 - i % min(4, len(values))], values[-1 - j % min(7, len(values))]
            values.append({"exp": lambda: (a * 0.1).exp(), "tanh": a.tanh, "add": lambda: a + b,
                           "mul": lambda: a * b, "sum2": lambda: a.sum() * b}[op]())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["exp", "tanh", "add", "mul", "sum2"]), st.integers(0, 9), st.integers(0, 9)),
                min_size=1, max_size=12),
       st.integers(1, 8))
def test_any_graph_folds_into_nested_groups_and_a_consistent_dot(program, loops):
    """Random programs (a few leaves, unary and binary ops, repeated `loops` times): the groups nest,
    and folding all of them, or any one, draws each node once, as itself or in its box, with every
    edge between drawn boxes."""
    leaves = [A.tensor([0.5, -0.25], requires_grad=True) for _ in range(3)]
    values = list(leaves)
    with np.errstate(all="ignore"):   # the values may overflow: only the graph's shape matters here
        _run(program, loops, values)
        snap = snapshot(values[-1].sum())
    groups = find_groups(snap)
    assert_nested(groups)
    ids = {n["id"] for n in snap.nodes}
    for folded in ([g["id"] for g in groups], [g["id"] for g in groups[:1]], []):
        src = to_dot(snap, groups=groups, collapsed=folded, frames=[g["id"] for g in groups]).source
        drawn = _dot_nodes(src)
        rep = representatives(groups, folded)
        assert drawn == (ids - set(rep)) | set(rep.values())
        edges = re.findall(r'^\s*"?([\w.]+)"? -> "?([\w.]+)"?', src, re.M)
        assert all(s in drawn and t in drawn and s != t for s, t in edges)


def test_a_period_ends_at_the_state_it_passes_on():
    """With a loss term per step, h feeds both the next step and the term: the periods are cut
    after each tanh (Mm, Add, Tanh in forward order), and every step is one period."""
    snap, tanhs, _ = _rnn_with_a_loss_term_per_step(12)
    blocks = sorted(by_kind(find_groups(snap), "block"), key=lambda b: b["step"])
    assert len(blocks) == 12 and all("Mm·Add·Tanh" in b["label"] for b in blocks)
    for b, tanh in zip(blocks, tanhs):
        ops = [m for m in b["members"] if snap.node(m)["kind"] == "op"]
        assert snap.id_of(tanh) in ops
