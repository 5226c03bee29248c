"""Folding in a real JupyterLab (issues 17 and 20): a big graph starts with its repeated blocks folded
into one box, a click unfolds it (a new layout, bigger); a layer's box folds into one smaller box;
the saved-tensor toggle frees its room; a step inside a folded box shows on the box."""
import json
import re

from playwright.sync_api import expect

from .jupyter_driver import ROOT, shot

SETUP = """
import json
import sys
import autograd_lab as torch
from autograd_lab.widgets import BackwardStepper, GraphView

sys.path.insert(0, {benchmarks!r})
from widget_graphs import rnn   # h = tanh(x_t @ W + h @ U): (loss, {{"W": W, "U": U}})

def info(w):
    return json.dumps({{"collapsed": w.collapsed, "groups": [[g["id"], g["kind"], len(g["members"]), g["members"][0]] for g in w.groups],
                       "nodes": len(w.snapshot.nodes), "show_saved": w.show_saved}})
""".format(benchmarks=str(ROOT / "benchmarks"))

BIG = 'loss, params = rnn(30)\nbig = BackwardStepper(loss, params=params, retain_graph=True)\n' \
      'print("BIG=" + info(big))\nbig'
MLP = ('torch.manual_seed(0)\n'
       'model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))\n'
       'view = GraphView(model(torch.randn(4, 2)).sum(), params=model)\nprint("MLP=" + info(view))\nview')
STATE = 'print("STATE=" + json.dumps({"big": big.collapsed, "view": view.collapsed, "saved": view.show_saved}))'

# the drawing's own size in Graphviz units (the zoom changes the screen size, not this)
DRAWN = "el => { const s = el.querySelector('svg.agl-svg'); return {w: +s.getAttribute('width'), h: +s.getAttribute('height')}; }"


def _relaid(host):
    """Wait until a new layout has replaced the drawing."""
    expect(host).not_to_have_attribute("data-relayout", "pending", timeout=60_000)


def test_big_graph_folded_unfolds_and_layer_boxes_shrink(lab, open_notebook):
    nb = open_notebook(lab, "collapse.ipynb", [SETUP, BIG, MLP, STATE])
    page = nb.page
    for i in range(3):
        nb.run(i, timeout=120_000)
    big = nb.json_output(1, "BIG=")
    assert big["nodes"] > 150 and big["collapsed"], big
    repeat = next(g for g in big["groups"] if g[1] == "repeat")
    assert repeat[0] in big["collapsed"]

    root = page.locator("[data-testid='backward-stepper']")
    host = root.locator(".agl-graph")
    expect(host).to_have_attribute("data-stage", "full", timeout=60_000)
    folded = root.locator(f"g.node.kind-group[data-node-id='{repeat[0]}']")
    expect(folded).to_have_count(1)
    drawn = root.locator("g.node[data-node-id]").count()
    assert drawn < big["nodes"] / 3, drawn       # a genuinely smaller graph
    expect(root.locator("[data-testid='legend'] [data-key='group']")).to_be_visible()
    root.scroll_into_view_if_needed()
    shot(page, "collapse-big-folded")
    before = host.evaluate(DRAWN)

    # a step inside the folded box: nothing is laid out again, the box shows it
    root.locator("[data-action='step']").click()
    expect(root).to_have_attribute("data-step", "1")
    for _ in range(12):
        root.locator("[data-action='step']").click()
    expect(root).to_have_attribute("data-step", "13")
    expect(folded).to_have_class(re.compile(r"\bhas-current\b"))

    # a search finds a node folded away: as the box it is drawn in, which the inspector describes
    root.locator("[data-action='search']").fill(repeat[3])
    expect(root.locator("[data-testid='search-count']")).to_have_text("1 of 1")
    expect(folded).to_have_class(re.compile(r"\bis-match\b"))
    inspector = root.locator("[data-testid='inspector']")
    expect(inspector).to_contain_text("Click the box to open it")
    expect(inspector).to_contain_text("TanhBackward0 ×")
    root.locator("[data-action='search']").fill("")

    # a click unfolds it: more nodes, the box gone, a bigger drawing; the steps are kept
    folded.click()
    expect(folded).to_have_count(0, timeout=60_000)
    _relaid(host)
    after = root.locator("g.node[data-node-id]").count()
    assert after > drawn, (drawn, after)
    grown = host.evaluate(DRAWN)
    assert grown["h"] > before["h"] * 1.5, (before, grown)
    # the periods inside stay folded: the current node is in one of them, which shows it
    expect(root.locator("g.node.kind-group.has-current")).to_have_count(1)
    expect(root.locator("g.node.state-done").first).to_be_attached()
    shot(page, "collapse-big-unfolded")
    # the open repeat has a frame whose [−] folds it again
    frame = root.locator(f"g.cluster[data-group='{repeat[0]}']")
    expect(frame).to_have_count(1)
    toggle = root.locator(f"text.agl-cluster-toggle[data-group='{repeat[0]}']")
    viewport = root.locator("[data-testid='graph-viewport']")
    for _ in range(8):   # zoomed out until the frame's corner is on screen, as a reader would
        t, v = toggle.bounding_box(), viewport.bounding_box()
        if v["x"] <= t["x"] and t["x"] + t["width"] <= v["x"] + v["width"] and v["y"] <= t["y"] <= v["y"] + v["height"] - t["height"]:
            break
        root.locator("[data-action='zoom-out']").click()
    toggle.click()
    expect(folded).to_have_count(1, timeout=60_000)
    _relaid(host)
    assert root.locator("g.node[data-node-id]").count() == drawn
    folded.click()
    expect(folded).to_have_count(0, timeout=60_000)
    _relaid(host)

    # a layer's box folds into one box, and that box is smaller than the layer was
    view = page.locator("[data-testid='graph-view']")
    view.scroll_into_view_if_needed()
    vhost = view.locator(".agl-graph")
    layer = view.locator("g.cluster", has_text="Linear(2→16)")
    expect(layer).to_have_count(1, timeout=30_000)
    group = layer.get_attribute("data-group")
    assert group
    box = layer.locator("polygon, path").first.evaluate("el => { const b = el.getBBox(); return {w: b.width, h: b.height}; }")
    nodes_before = view.locator("g.node[data-node-id]").count()
    key = view.locator("[data-testid='legend'] [data-key='group']")
    expect(key).to_be_hidden()   # nothing folded: no key for it
    whole_before = vhost.evaluate(DRAWN)
    shot(page, "collapse-layer-open")
    view.locator(f"g.cluster[data-group='{group}'] [data-action='toggle-cluster']").first.click()
    folded_layer = view.locator(f"g.node.kind-group[data-node-id='{group}']")
    expect(folded_layer).to_have_count(1, timeout=60_000)
    _relaid(vhost)
    small = folded_layer.locator("polygon, path").first.evaluate("el => { const b = el.getBBox(); return {w: b.width, h: b.height}; }")
    assert small["h"] < box["h"] / 2 and small["w"] < box["w"], (box, small)
    assert view.locator("g.node[data-node-id]").count() < nodes_before
    whole = vhost.evaluate(DRAWN)
    assert whole["h"] < whole_before["h"], (whole_before, whole)
    expect(folded_layer).to_contain_text("Linear(2→16)")
    expect(key).to_be_visible()
    shot(page, "collapse-layer-folded")
    nb.execute_command("apputils:change-theme", {"theme": "JupyterLab Dark"})
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=30_000)
    view.scroll_into_view_if_needed()
    shot(page, "collapse-layer-folded-dark")
    root.scroll_into_view_if_needed()
    shot(page, "collapse-big-unfolded-dark")
    nb.execute_command("apputils:change-theme", {"theme": "JupyterLab Light"})
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=30_000)

    # unfold the layer again from its box
    folded_layer.click()
    expect(view.locator(f"g.cluster[data-group='{group}']")).to_have_count(1, timeout=60_000)
    _relaid(vhost)

    # the saved tensors toggled off: a new layout without them, smaller
    saved = view.locator("g.node.kind-saved")
    assert saved.count() >= 3
    full = vhost.evaluate(DRAWN)
    view.locator("[data-action='toggle-saved']").click()
    expect(saved).to_have_count(0, timeout=60_000)
    _relaid(vhost)
    expect(view.locator("[data-action='toggle-saved']")).to_have_attribute("aria-pressed", "false")
    expect(view.locator("[data-testid='legend'] [data-key='saved']")).to_be_hidden()
    lean = vhost.evaluate(DRAWN)
    assert lean["w"] * lean["h"] < full["w"] * full["h"] * 0.9, (full, lean)
    # the value lines too
    values = view.locator("g.node text", has_text="= ")
    assert values.count() >= 3
    view.locator("[data-action='toggle-values']").click()
    expect(values).to_have_count(0, timeout=60_000)
    _relaid(vhost)
    shot(page, "collapse-toggles-off")
    nb.run(3)
    state = nb.json_output(3, "STATE=")
    assert repeat[0] not in state["big"] and state["saved"] is False
    assert json.dumps(state)
