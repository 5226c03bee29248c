"""Culling on a big graph (widgets/src/graph/viewport.js and park.js): to keep a step's frame small,
the nodes and edges more than a screen away are hidden (parked in one hidden group). Whatever moves
the view (steps, the overview, a drag, zooming out, fit), nothing hidden may be on screen, and the
graph's every node stays in the page for the test contract."""
from playwright.sync_api import expect

from .jupyter_driver import shot
from .test_big_graphs import RNN

# Each hidden node and edge placed by its own coordinates (its shapes' points, path or ellipse, in
# the drawing's units) through the drawing's transform to the screen, against the viewport's box.
HIDDEN_ON_SCREEN = r"""(root) => {
  const vp = root.querySelector("[data-testid='graph-viewport']").getBoundingClientRect();
  const m = root.querySelector(".agl-svg g.graph").getScreenCTM();
  const NUM = /-?\d*\.?\d+(?:e[-+]?\d+)?/gi;
  const on = [];
  let hidden = 0;
  for (const el of root.querySelectorAll("g.node.is-offscreen, g.edge.is-offscreen")) {
    hidden++;
    const pts = [];
    for (const s of el.querySelectorAll("polygon, path")) {
      const v = (s.getAttribute("points") || s.getAttribute("d") || "").match(NUM)?.map(Number) || [];
      for (let i = 0; i + 1 < v.length; i += 2) pts.push([v[i], v[i + 1]]);
    }
    for (const e of el.querySelectorAll("ellipse")) {
      const [cx, cy, rx, ry] = ["cx", "cy", "rx", "ry"].map((a) => +e.getAttribute(a));
      pts.push([cx - rx, cy - ry], [cx + rx, cy + ry]);
    }
    const xs = pts.map(([x, y]) => m.a * x + m.c * y + m.e), ys = pts.map(([x, y]) => m.b * x + m.d * y + m.f);
    const box = { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
    if (box.x0 < vp.right && box.x1 > vp.left && box.y0 < vp.bottom && box.y1 > vp.top)
      on.push(el.dataset.nodeId || el.dataset.edgeId);
  }
  return { hidden, total: root.querySelectorAll("g.node, g.edge").length, on: on.slice(0, 5) };
}"""


def test_nothing_hidden_is_on_screen_however_the_view_moves(lab, open_notebook):
    nb = open_notebook(lab, "paint_rnn.ipynb", [RNN])
    page = nb.page
    nb.run(0, timeout=120_000)
    big = nb.json_output(0, "BIG=")
    root = page.locator("[data-testid='backward-stepper']")
    expect(root.locator(".agl-graph")).to_have_attribute("data-stage", "full", timeout=240_000)
    root.scroll_into_view_if_needed()

    def check(when):
        r = root.evaluate(HIDDEN_ON_SCREEN)
        assert r["on"] == [], (when, r)
        return r

    first = check("opened")
    # most of a 1,000-node drawing is far off screen at a readable zoom: culling is at work
    assert first["hidden"] > first["total"] / 2, first
    # and every node is still in the page (parked, not removed)
    assert root.locator("g.node[data-node-id]").count() == big["nodes"]

    for _ in range(3):
        root.locator("[data-action='step']").click()
    expect(root).to_have_attribute("data-step", "3")
    expect(root.locator("g.node.is-current")).to_be_visible()
    check("after three steps")

    # the overview: a press on its top takes the view to the far end of the drawing
    minimap = root.locator("[data-testid='minimap']")
    box = minimap.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + 4)
    check("after a jump from the overview")

    # a drag of most of a screen
    vp = root.locator("[data-testid='graph-viewport']").bounding_box()
    cx, cy = vp["x"] + vp["width"] / 2, vp["y"] + vp["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(cx - 60 * k, cy + 35 * k)
    page.mouse.up()
    check("after a drag")
    shot(page, "paint-rnn-1000-dragged")

    for _ in range(4):
        root.locator("[data-action='zoom-out']").click()
    check("zoomed out")
    root.locator("[data-action='zoom-reset']").click()
    check("fit again")
    # a step after all that brings the current node into view, drawn
    root.locator("[data-action='step']").click()
    expect(root.locator("g.node.is-current")).to_be_visible()
    check("after a step")
