"""Big graphs in a real JupyterLab (issue 17): a 1,000-node recurrent loop on shared weights is drawn
at once (a quick drawing) while Graphviz lays it out in a worker, steps on either drawing, and can
be searched and focused."""
from playwright.sync_api import expect

from .jupyter_driver import shot

RNN = '''
import json
import autograd_lab as torch
from autograd_lab.widgets import BackwardStepper

torch.manual_seed(0)
xs = torch.randn(110, 2, 8)
W = torch.randn(8, 8, requires_grad=True)
U = torch.randn(8, 8, requires_grad=True)
h = torch.zeros(2, 8)
for t in range(110):
    h = torch.tanh(xs[t] @ W + h @ U)
loss = h.pow(2).mean()
# drawn whole (collapse=False): this test is about a big drawing; tests/browser/test_collapse.py folds one
s = BackwardStepper(loss, params={"W": W, "U": U}, retain_graph=True, collapse=False)
tanh_count = sum(n["label"] == "TanhBackward0" for n in s.graph["nodes"])
print("BIG=" + json.dumps({"nodes": len(s.graph["nodes"]), "tanh": tanh_count}))
s
'''

STATE = "print('STATE=' + json.dumps({'step': s.step_index, 'current': s.current, 'selected': s.selected, "\
        "'codes': s.state_codes}))"


def test_a_thousand_node_rnn_draws_at_once_steps_searches_and_focuses(lab, open_notebook):
    nb = open_notebook(lab, "big_rnn.ipynb", [RNN, STATE])
    page = nb.page
    # the page records when each drawing appears
    page.evaluate("""() => {
        window.aglStages = [];
        new MutationObserver(() => {
            const host = document.querySelector("[data-testid='backward-stepper'] .agl-graph");
            const stage = host && host.dataset.stage;
            if (stage && window.aglStages[window.aglStages.length - 1] !== stage) window.aglStages.push(stage);
        }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-stage"] });
    }""")
    nb.run(0, timeout=120_000)
    big = nb.json_output(0, "BIG=")
    assert big["nodes"] >= 990
    root = page.locator("[data-testid='backward-stepper']")
    host = root.locator(".agl-graph")
    expect(host).to_have_attribute("data-stage", "draft", timeout=30_000)
    # every node is drawn in the quick drawing, with the test contract's ids
    assert root.locator("g.node[data-node-id]").count() == big["nodes"]
    expect(root.locator("[data-testid='draft-note']")).to_be_visible()
    shot(page, "big-rnn-1000-draft")
    # the stepper steps on the quick drawing already
    root.locator("[data-action='step']").click()
    expect(root.locator("g.node.is-current")).to_have_count(1)
    first = root.locator("g.node.is-current").get_attribute("data-node-id")
    # Graphviz's drawing replaces it, with the state carried over
    expect(host).to_have_attribute("data-stage", "full", timeout=240_000)
    assert page.evaluate("window.aglStages") == ["draft", "full"]
    assert host.get_attribute("data-layout-where") == "worker"
    assert root.locator("g.node[data-node-id]").count() == big["nodes"]
    expect(root.locator(f"g.node.is-current[data-node-id='{first}']")).to_have_count(1)
    expect(root.locator("[data-testid='draft-note']")).to_have_count(0)
    root.locator("[data-action='step']").click()
    expect(root).to_have_attribute("data-step", "2")
    expect(root.locator("g.node.is-current")).to_have_count(1)
    second = root.locator("g.node.is-current").get_attribute("data-node-id")
    assert second != first
    expect(root.locator(f"g.node.state-done[data-node-id='{first}']")).to_have_count(1)
    shot(page, "big-rnn-1000-full")

    # the overview: a press on its top takes the view there (the loss is at the bottom)
    minimap = root.locator("[data-testid='minimap']")
    expect(minimap).to_be_visible()
    stage = root.locator(".agl-stage")
    before = stage.get_attribute("style")
    minimap.scroll_into_view_if_needed()
    box = minimap.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + 4)
    assert stage.get_attribute("style") != before
    expect(root.locator("g.node.is-current")).to_have_count(1)  # a press on the overview is no click on a node
    shot(page, "big-rnn-1000-minimap")

    # search: every TanhBackward0, the view taken to each in turn, the node selected (inspector)
    search = root.locator("[data-action='search']")
    search.fill("TanhBackward0")
    count = root.locator("[data-testid='search-count']")
    expect(count).to_have_text(f"1 of {big['tanh']}")
    expect(root.locator("g.node.is-match")).to_have_count(big["tanh"])
    expect(root.locator("[data-testid='inspector']")).to_contain_text("TanhBackward0")
    search.press("Enter")
    expect(count).to_have_text(f"2 of {big['tanh']}")
    nb.run(1)
    state = nb.json_output(1, "STATE=")
    matched = root.locator("g.node.is-match").nth(1).get_attribute("data-node-id")
    assert state["selected"] == matched and state["step"] == 2
    # the kernel's whole state agrees with what the deltas drew
    drawn = page.evaluate("""() => [...document.querySelectorAll("[data-testid='backward-stepper'] g.node")]
        .filter((g) => g.classList.contains("state-done") || g.classList.contains("is-current")).length""")
    assert drawn == sum(c in "cd" for c in state["codes"])
    shot(page, "big-rnn-1000-search")

    # focus: only the selected node's neighbourhood stays bright; again: everything
    root.locator("[data-action='focus']").click()
    expect(host).to_have_attribute("data-focus", matched)
    bright = root.locator("g.node:not(.is-faded)").count()
    assert 2 <= bright <= 40, bright
    expect(root.locator(f"g.node.is-faded[data-node-id='{matched}']")).to_have_count(0)
    shot(page, "big-rnn-1000-focus")
    root.locator("[data-action='focus']").click()
    expect(root.locator("g.node.is-faded")).to_have_count(0)
    search.fill("")
    expect(root.locator("g.node.is-match")).to_have_count(0)
