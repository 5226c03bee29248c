"""The widgets in a real JupyterLab / Notebook 7, clicked as a student would."""
import base64
import json
import re
import subprocess
import sys

from playwright.sync_api import expect

from .jupyter_driver import Notebook, shot, stray_text

SETUP = '''
import json
import autograd_lab as torch
from autograd_lab.widgets import BackwardStepper, GraphView, GradWatch
from autograd_lab.widgets import _bundle

def make():
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    w = torch.tensor([0.5, -1., 2.], requires_grad=True)
    loss = ((x * w).sigmoid() * x).sum()
    return x, w, loss

def engine_order():
    """The engine's own order on an identical graph (ids are the same for the same graph)."""
    x2, w2, loss2 = make()
    from autograd_lab.autograd import backward_steps
    from autograd_lab.viz import snapshot
    snap = snapshot(loss2)
    order = [snap.id_of(st.node) for st in backward_steps(loss2)]
    return order, x2.grad.tolist(), w2.grad.tolist()
'''

STEP_CELLS = [
    SETUP,
    "x, w, loss = make()\nstepper = BackwardStepper(loss)\nstepper",
    "order, ref_x, ref_w = engine_order()\nprint('ORDER=' + json.dumps(order))",
    "print('GRADS=' + json.dumps({'x': x.grad.tolist(), 'w': w.grad.tolist(), 'ref_x': ref_x, 'ref_w': ref_w, "
    "'done': stepper.done, 'steps': len(stepper.steps), 'bundles_sent': _bundle.sent}))",
]


def _step_through(nb, root, shot_name=None):
    """Click step (and the keys n, →) until done; is-current must follow the engine's order."""
    order = nb.json_output(2, "ORDER=")
    assert order[0] == "n1" and len(order) >= 5
    current = root.locator(".is-current")
    for i, expected in enumerate(order):
        if i == 1:
            root.focus()
            nb.page.keyboard.press("n")
        elif i == 2:
            root.focus()
            nb.page.keyboard.press("ArrowRight")
        else:
            root.locator("[data-action='step']").click()
        if i < len(order) - 1:
            expect(current).to_have_count(1)
            expect(current).to_have_attribute("data-node-id", expected)
            expect(root.locator(f"[data-node-id='{expected}']")).to_have_class(re.compile(r"\bis-current\b"))
            expect(root).to_have_attribute("data-step", str(i + 1))
            if i == 2 and shot_name:
                shot(nb.page, shot_name)
    # the last step drains the engine: nothing is current, every node that ran is done
    expect(root).to_have_attribute("data-done", "true")
    expect(current).to_have_count(0)
    for node_id in order:
        expect(root.locator(f"[data-node-id='{node_id}']")).to_have_class(re.compile(r"\bstate-done\b"))
    expect(root.locator("[data-action='step']")).to_be_disabled()
    return order


# each badge pill lies inside its node's shape, and covers the words it stands for
PILLS_INSIDE = """root => [...root.querySelectorAll("g.node rect.agl-badge")].flatMap(r => {
  const g = r.closest("g.node"), shape = g.querySelector("polygon, path, ellipse").getBBox(), b = r.getBBox();
  let line = r.nextElementSibling;
  while (line && line.tagName !== "text") line = line.nextElementSibling;
  const words = line && line.querySelector(".agl-pill-hook, .agl-pill-retain");
  const inside = b.x >= shape.x - 1 && b.x + b.width <= shape.x + shape.width + 1 &&
                 b.y >= shape.y - 1 && b.y + b.height <= shape.y + shape.height + 1;
  return inside && words ? [] : [`${g.dataset.nodeId}: pill ${b.x.toFixed(1)}..${(b.x + b.width).toFixed(1)} ` +
    `in box ${shape.x.toFixed(1)}..${(shape.x + shape.width).toFixed(1)}`];
})"""


def _open_stepper(open_notebook, server, name, cells):
    """Open a notebook, run its setup and stepper cells; returns (nb, the stepper's root)."""
    nb = open_notebook(server, name, cells)
    nb.run(0)
    nb.run(1)
    root = nb.page.locator("[data-testid='backward-stepper']")
    expect(root.locator("[data-node-id='n1']")).to_be_visible(timeout=30_000)
    return nb, root


def test_stepper_in_jupyterlab(lab, open_notebook):
    nb, root = _open_stepper(open_notebook, lab, "stepper.ipynb", STEP_CELLS)
    # the graph is drawn once: every snapshot node has its element
    assert root.locator("g.node[data-node-id]").count() >= 10
    expect(root.locator("[data-action='reset']")).to_be_disabled()
    assert "retain_graph=True" in root.locator("[data-action='reset']").get_attribute("title")
    nb.run(2)
    shot(nb.page, "lab-stepper-start")
    root.locator("[data-action='step']").scroll_into_view_if_needed()
    order = _step_through(nb, root, "lab-stepper-midway")
    # leaves show their .grad, edges the gradients they carried
    expect(root.locator(".agl-note")).to_have_count(2)
    assert root.locator(".agl-edge-label").count() >= len(order) - 2
    # the inspector: click a node
    root.locator("[data-node-id='n3']").click()
    inspector = root.locator("[data-testid='inspector']")
    expect(inspector).to_contain_text("grads sent along each edge")
    expect(inspector).to_contain_text("saved tensors")
    shot(nb.page, "lab-stepper-done")
    nb.run(3)
    grads = nb.json_output(3, "GRADS=")
    assert grads["done"] is True and grads["steps"] == len(order)
    assert grads["x"] == grads["ref_x"] and grads["w"] == grads["ref_w"]
    assert grads["bundles_sent"] == 1


ERROR_CELLS = [
    SETUP,
    # backward twice: the first backward freed the saved tensors
    "x, w, loss = make()\nloss.backward()\nfreed = BackwardStepper(loss)\nfreed",
    # an in-place change to a tensor a node saved
    "a = torch.tensor([1., 2., 3.], requires_grad=True)\nb = a.sigmoid()\nc = (b * a).sum()\nb.mul_(2)\n"
    "inplace = BackwardStepper(c, retain_graph=True)\ninplace",
    "print('ERRORS=' + json.dumps({k: {'type': type(s.error).__name__, 'node': s.error_info['node'], "
    "'details': s.error_info['details']} for k, s in [('freed', freed), ('inplace', inplace)]}))",
]


def test_errors_marked_on_the_graph(lab, open_notebook):
    nb = open_notebook(lab, "errors.ipynb", ERROR_CELLS)
    nb.run(0)
    nb.run(1)
    freed = nb.page.locator("[data-testid='backward-stepper']").nth(0)
    expect(freed.locator("[data-node-id='n1']")).to_be_visible(timeout=30_000)
    # already freed buffers are drawn freed before anything runs
    expect(freed.locator("g.node.state-freed").first).to_be_visible()
    freed.locator("[data-action='run']").click()
    error = freed.locator("[data-testid='error']")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Trying to backward through the graph a second time")
    expect(error).to_contain_text("retain_graph=True")
    failing = freed.locator("g.node.state-error")
    expect(failing.first).to_be_visible()
    # the op and its freed saved tensor are both marked
    failing_ids = sorted(failing.evaluate_all("els => els.map(e => e.dataset.nodeId)"))
    assert any("." in i for i in failing_ids) and any("." not in i for i in failing_ids)
    # still usable: the inspector opens on the failing node, the zoom buttons work, run stays off
    expect(freed.locator("[data-testid='inspector']")).to_contain_text("error")
    freed.locator("[data-action='zoom-in']").click()
    expect(freed.locator("[data-action='run']")).to_be_disabled()

    nb.run(2)
    inplace = nb.page.locator("[data-testid='backward-stepper']").nth(1)
    expect(inplace.locator("[data-node-id='n1']")).to_be_visible(timeout=30_000)
    inplace.focus()
    nb.page.keyboard.press("r")  # run to the end from the keyboard
    error2 = inplace.locator("[data-testid='error']")
    expect(error2).to_contain_text("modified by an inplace operation")
    expect(error2).to_contain_text("is at version 1; expected version 0 instead")
    expect(error2).to_contain_text("version 1, expected 0")
    stale = inplace.locator("g.node.state-error")
    stale_ids = stale.evaluate_all("els => els.map(e => e.dataset.nodeId)")
    assert len(stale_ids) == 2, stale_ids
    # the r key ran the stepper, it did not turn the cell into a raw cell (JupyterLab's r shortcut)
    assert nb.page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets[2].model.type") == "code"
    # retain_graph=True: reset puts the graph back and the error away
    expect(inplace.locator("[data-action='reset']")).to_be_enabled()
    shot(nb.page, "lab-errors")
    nb.run(3)
    errors = nb.json_output(3, "ERRORS=")
    assert errors["freed"]["type"] == "RuntimeError" and errors["inplace"]["type"] == "RuntimeError"
    assert errors["freed"]["node"] in failing_ids and errors["inplace"]["node"] in stale_ids
    assert any("version 1, expected 0" in d for d in errors["inplace"]["details"])
    inplace.locator("[data-action='reset']").click()
    expect(error2).to_be_hidden()
    expect(inplace.locator("g.node.state-error")).to_have_count(0)


THEME_CELLS = [
    SETUP,
    # two modules: the parameters' names put the leaves in clusters, node metadata the ops
    "x = torch.tensor([1., 2., 3.], requires_grad=True)\n"
    "params = {'fc1.weight': torch.tensor([0.5, -1., 2.], requires_grad=True), "
    "'fc2.weight': torch.tensor([1., 1., -1.], requires_grad=True)}\n"
    "h = x * params['fc1.weight']\nh.grad_fn.metadata['module'] = 'fc1'\n"
    "h.retain_grad()\nparams['fc1.weight'].register_hook(lambda g: g)\n"
    "y = (h.sigmoid() * params['fc2.weight'])\ny.grad_fn.metadata['module'] = 'fc2'\n"
    "loss = y.sum()\nview = GraphView(loss, params=params)\nview",
    "w = params['fc1.weight']\nwatch = GradWatch(x, w)\nopt = torch.optim.SGD([x, w], lr=0.1)\nwatch",
    "for _ in range(3):\n    opt.zero_grad()\n    (((x * w).sigmoid() * x).sum()).backward()\n    opt.step()\n"
    "print('SENT=' + json.dumps(_bundle.sent))\nwatch",
    "from autograd_lab.viz import draw\ndraw(loss)",
]

FILL = """el => getComputedStyle(el.querySelector('path, polygon')).fill"""


def test_dark_theme_and_grad_watch(lab, open_notebook):
    nb = open_notebook(lab, "theme.ipynb", THEME_CELLS)
    for i in range(5):
        nb.run(i)
    view = nb.page.locator("[data-testid='graph-view']")
    view.scroll_into_view_if_needed()
    leaf = view.locator("g.node.kind-leaf").first
    expect(leaf).to_be_visible(timeout=30_000)
    # GradWatch: both views of it follow the optimizer loop (zero_grad, backward, step x3)
    watch = nb.page.locator("[data-testid='grad-watch']").first
    expect(watch.locator("tbody tr")).to_have_count(2)
    expect(watch.locator("tbody tr").first.locator("td").last).to_have_text("9")
    expect(watch.locator(".agl-spark-dot.ev-optimizer_step")).to_have_count(6)
    expect(watch.locator("[data-testid='grad-watch-log']")).to_contain_text("optimizer_step")
    # each history has a scale: its highest and lowest value, and the first and last event number
    axis = watch.locator("tbody tr").first.locator(".agl-spark-axis").evaluate_all("els => els.map(e => e.textContent)")
    assert "#0" in axis and "#8" in axis and len(axis) >= 4, axis
    watch.scroll_into_view_if_needed()
    shot(nb.page, "lab-grad-watch-scale")
    # four widget views, one bundle
    assert nb.json_output(3, "SENT=") == 1

    # module clusters fold into one box (a new layout) and unfold on a click on that box
    clusters = view.locator("g.cluster")
    expect(clusters).to_have_count(2)
    nodes = view.locator("g.node[data-node-id]").count()
    clusters.first.locator("[data-action='toggle-cluster']").first.click()
    folded = view.locator("g.node.kind-group")
    expect(folded).to_have_count(1, timeout=30_000)
    expect(clusters).to_have_count(1)
    assert view.locator("g.node[data-node-id]").count() < nodes
    shot(nb.page, "lab-cluster-collapsed")
    folded.click()
    expect(clusters).to_have_count(2, timeout=30_000)
    expect(view.locator("g.node[data-node-id]")).to_have_count(nodes)

    # the plain wheel is the page's (it scrolls the notebook; a hint says how to zoom), Ctrl + wheel
    # zooms, a drag pans, and the reset button puts the view back
    viewport = view.locator("[data-testid='graph-viewport']")
    stage = view.locator(".agl-stage")
    start_zoom, start_transform = viewport.get_attribute("data-zoom"), stage.evaluate("e => e.style.transform")
    viewport.scroll_into_view_if_needed()
    box = viewport.bounding_box()
    nb.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    nb.page.mouse.wheel(0, -300)
    expect(view.locator("[data-testid='wheel-hint']")).to_have_class(re.compile(r"\bis-shown\b"))
    expect(view.locator("[data-testid='wheel-hint']")).to_contain_text("Ctrl + wheel to zoom")
    assert viewport.get_attribute("data-zoom") == start_zoom
    viewport.scroll_into_view_if_needed()
    box = viewport.bounding_box()
    nb.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    nb.page.keyboard.down("Control")
    nb.page.mouse.wheel(0, -300)
    nb.page.keyboard.up("Control")
    expect(viewport).not_to_have_attribute("data-zoom", start_zoom)
    nb.page.mouse.down()
    nb.page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 + 40, steps=5)
    nb.page.mouse.up()
    assert stage.evaluate("e => e.style.transform") != start_transform
    view.locator("[data-action='zoom-reset']").click()
    expect(viewport).to_have_attribute("data-zoom", start_zoom)
    assert stage.evaluate("e => e.style.transform") == start_transform
    # the hook on fc1.weight and retain_grad on h: badges on the label line that says so, each pill
    # behind its own words and inside its node's box
    expect(view.locator("g.node.has-hook")).to_have_count(1)
    expect(view.locator("g.node.has-hook")).to_contain_text("1 hook")
    expect(view.locator("g.node.retains-grad")).to_have_count(1)
    expect(view.locator("g.node.retains-grad")).to_contain_text("retains grad")
    expect(view.locator("g.node.has-hook rect.agl-badge-hook")).to_have_count(1)
    expect(view.locator("g.node.retains-grad rect.agl-badge-retain")).to_have_count(1)
    assert view.evaluate(PILLS_INSIDE) == [], "a badge pill sticks out of its node"
    # the legend: one swatch per kind drawn (and the badges), coloured by the nodes' own rules
    legend = view.locator("[data-testid='legend']")
    expect(legend).to_be_visible()
    keys = legend.locator(".agl-legend-item").evaluate_all("els => els.map(e => e.dataset.key)")
    assert {"leaf", "op", "output", "saved", "freed", "hook", "retain"} <= set(keys), keys
    assert "current" not in keys  # a GraphView runs nothing: "running now" is the stepper's
    key_leaf = legend.locator("[data-key='leaf'] .agl-key")
    assert key_leaf.evaluate(FILL) == leaf.evaluate(FILL)
    light_fill = leaf.evaluate(FILL)
    light_bg = view.evaluate("el => getComputedStyle(el).backgroundColor")
    shot(nb.page, "lab-light")
    nb.execute_command("apputils:change-theme", {"theme": "JupyterLab Dark"})
    nb.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    nb.page.wait_for_function("([el, before]) => getComputedStyle(el).backgroundColor !== before",
                              arg=[view.element_handle(), light_bg], timeout=30_000)
    # changing theme shows JupyterLab's splash while the new CSS loads
    nb.page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=30_000)
    dark_fill = leaf.evaluate(FILL)
    dark_bg = view.evaluate("el => getComputedStyle(el).backgroundColor")
    assert key_leaf.evaluate(FILL) == dark_fill
    shot(nb.page, "lab-dark")
    # draw()'s picture has no background of its own: no white slab on the dark page
    picture = nb.page.locator(".jp-Cell").nth(4).locator(".jp-OutputArea-output img, .jp-OutputArea-output svg").first
    picture.scroll_into_view_if_needed()
    shot(nb.page, "lab-dark-draw")
    nb.execute_command("apputils:change-theme", {"theme": "JupyterLab Light"})
    nb.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=30_000)
    assert dark_fill != light_fill and dark_bg != light_bg
    assert _luminance(dark_bg) < _luminance(light_bg)


def _luminance(css):
    r, g, b = (int(v) for v in re.findall(r"\d+", css)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_stepper_in_notebook7(notebook7, open_notebook):
    nb, root = _open_stepper(open_notebook, notebook7, "stepper7.ipynb", STEP_CELLS)
    nb.run(2)
    order = _step_through(nb, root)
    shot(nb.page, "nb7-stepper-done")
    nb.run(3)
    grads = nb.json_output(3, "GRADS=")
    assert grads["x"] == grads["ref_x"] and grads["w"] == grads["ref_w"] and grads["steps"] == len(order)


# ---- issue #11: NaN hunting and creation sites, in a real notebook ----
NAN_CELLS = [
    "%load_ext autograd_lab\nimport json, warnings\nimport autograd_lab as torch\n"
    "from autograd_lab.widgets import BackwardStepper\n"
    "warnings.filterwarnings('ignore', category=RuntimeWarning)  # NumPy on log(0); PyTorch does not warn",
    # log(0) = -inf, then -inf * 0 = NaN: the graph holds NaN and inf before backward runs
    "x = torch.tensor([0., 1., 2.], requires_grad=True)\n"
    "with torch.trace():\n"
    "    y = torch.log(x)\n"
    "    loss = (y * x).sum()\n"
    "stepper = BackwardStepper(loss)\nstepper",
    "from autograd_lab.anomaly import site_of\n"
    "print('NAN=' + json.dumps({'marks': stepper.nonfinite, 'log': stepper.snapshot.id_of(y.grad_fn), "
    "'x': stepper.snapshot.id_of(x), 'site': site_of(y.grad_fn)}))",
    "print('AFTER=' + json.dumps(stepper.nonfinite))",
]


def _marked(root):
    return root.locator("g.node.has-nan").evaluate_all(
        "els => Object.fromEntries(els.map(e => [e.dataset.nodeId, e.dataset.nonfinite]))")


def test_nan_nodes_are_marked_and_the_inspector_names_the_line(lab, open_notebook):
    nb = open_notebook(lab, "nan.ipynb", NAN_CELLS)
    nb.run(0)
    nb.run(1)
    root = nb.page.locator("[data-testid='backward-stepper']")
    expect(root.locator("[data-node-id='n1']")).to_be_visible(timeout=30_000)
    nb.run(2)
    info = nb.json_output(2, "NAN=")
    marks, log_id, x_id = info["marks"], info["log"], info["x"]
    # before backward: the NaN loss and its ops, LogBackward0 and the -inf it produced (saved by the product)
    assert marks == {"n0": "nan", "n1": "nan", "n2.self": "inf", log_id: "inf"}
    expect(root.locator("g.node.has-nan")).to_have_count(len(marks))
    assert _marked(root) == marks
    expect(root.locator(f"[data-node-id='{log_id}'] [data-testid='nan-badge'] text")).to_have_text("inf")
    expect(root.locator("[data-node-id='n0'] [data-testid='nan-badge'] text")).to_have_text("NaN")
    # the leaf x: no NaN yet, and its inspector says why its .grad is None
    expect(root.locator(f"[data-node-id='{x_id}']")).not_to_have_class(re.compile(r"\bhas-nan\b"))
    root.locator(f"[data-node-id='{x_id}']").click()
    inspector = root.locator("[data-testid='inspector']")
    expect(inspector.locator("[data-section='why']")).to_contain_text("the stepper has not got to it yet")

    # step through: the marks follow the gradients live (MulBackward0 sends -inf, LogBackward0 0/0)
    root.locator("[data-action='step']").click()
    expect(root).to_have_attribute("data-step", "1")
    root.locator("[data-action='run']").click()
    expect(root).to_have_attribute("data-done", "true")
    nb.run(3)
    after = nb.json_output(3, "AFTER=")
    assert after == {**marks, "n2": "inf", log_id: "nan", x_id: "nan"}
    expect(root.locator("g.node.has-nan")).to_have_count(len(after))
    assert _marked(root) == after
    expect(root.locator(f"[data-node-id='{x_id}'] [data-testid='nan-badge'] text")).to_have_text("NaN")

    # click LogBackward0: the inspector names the cell and line that made it
    root.locator(f"[data-node-id='{log_id}']").click()
    expect(inspector).to_have_attribute("data-node-id", log_id)
    assert re.fullmatch(r"In \[\d+\], line 3: y = torch\.log\(x\)", info["site"]), info["site"]
    expect(inspector).to_contain_text(f"made at{info['site']}")
    expect(inspector.locator("[data-section='nan']")).to_contain_text("holds NaN")
    root.scroll_into_view_if_needed()
    shot(nb.page, "lab-nan-hunting")


# ---- issue 19: a saved notebook shows its graphs without the kernel that made them ----
SAVED_CELLS = [
    SETUP,
    "x, w, loss = make()\nview = GraphView(loss)\nview",
    "x2, w2, loss2 = make()\nstepper = BackwardStepper(loss2)\nstepper.run()\nstepper",
    "watch = GradWatch(x2, w2)\nwatch",
]

SHUT_DOWN = """async () => {
    const panel = window.jupyterapp.shell.currentWidget;
    await panel.sessionContext.shutdown();
    panel.dispose();
}"""

NODE_IDS = "els => els.map(e => e.dataset.nodeId).sort()"


def test_saved_notebook_shows_its_graphs_without_the_kernel(lab, open_notebook, browser, notebook_dir):
    nb = open_notebook(lab, "saved.ipynb", SAVED_CELLS)
    for i in range(4):
        nb.run(i)
    live = []
    for testid in ("graph-view", "backward-stepper"):
        nodes = nb.page.locator(f"[data-testid='{testid}'] g.node[data-node-id]")
        expect(nodes.first).to_be_attached(timeout=30_000)
        live.append(nodes.evaluate_all(NODE_IDS))
    expect(nb.page.locator("[data-testid='backward-stepper']")).to_have_attribute("data-done", "true")
    expect(nb.page.locator("[data-testid='grad-watch'] tbody tr")).to_have_count(2)
    saved = notebook_dir / "saved.ipynb"
    nb.execute_command("docmanager:save")
    nb.page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)
    assert "widgets" in json.loads(saved.read_text())["metadata"]
    nb.page.evaluate(SHUT_DOWN)

    # reopened in a fresh page (no bundle cached), with a new kernel that never made these widgets
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        Notebook(page, lab, "saved.ipynb")
        pictures = page.locator("[data-testid='static-picture']")
        expect(pictures).to_have_count(3, timeout=30_000)
        for k, ids in enumerate(live):
            # every node of the live widget, by the same id, styled by the state it was saved in
            assert pictures.nth(k).locator("g.node").evaluate_all(NODE_IDS) == ids
        done = pictures.nth(1).locator("g.node.al-state-done")
        assert done.count() >= 5
        expect(pictures.nth(2)).to_contain_text("GradWatch:")
        expect(page.locator(".jp-OutputArea-output", has_text="run the cell for the live widget")).to_have_count(3)
        expect(page.locator("text=waiting for the kernel")).to_have_count(0)
        assert stray_text(page) == []
        pictures.nth(1).scroll_into_view_if_needed()
        shot(page, "lab-saved-no-kernel")
        assert not errors, errors
    finally:
        context.close()

    # nbconvert: the saved widget state carries the pictures (the HTML widget manager draws them
    # through the loader); without widget state (JupyterLab's default) the HTML holds the SVGs
    html = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--stdout", str(saved)],
                          capture_output=True, text=True, check=True).stdout
    assert html.count("data-agl-static") == 2
    html = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--stdout",
                           "--ClearMetadataPreprocessor.enabled=True", str(saved)],
                          capture_output=True, text=True, check=True).stdout
    svgs = [base64.b64decode(b).decode() for b in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]
    svgs = [s for s in svgs if s.startswith('<svg class="agl-static"')]
    assert len(svgs) == 2
    for ids, svg in zip(live, svgs):
        assert sorted(re.findall(r'<g class="node[^"]*">\n<title>([^<]+)</title>', svg)) == ids


# ---- issue 20: fit to the width (small graphs enlarged), big graphs without a blank half ----
FIT_CELLS = [
    SETUP,
    "x, w, loss = make()\nGraphView(loss)",
    # a 60-odd node chain: too tall to read whole
    "h = torch.tensor([0.1, 0.2], requires_grad=True)\nz = h\n"
    "for _ in range(20):\n    z = (z * 0.9).tanh() + h\nGraphView(z.sum(), show_saved=False)",
    "torch.manual_seed(0)\nmodel = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))\n"
    "GraphView(model(torch.randn(4, 2)).sum(), params=model)",
]

INSIDE = """(node, box) => { const a = node.getBoundingClientRect(), b = box.getBoundingClientRect();
  return a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1; }"""

COVER = """vp => { const v = vp.getBoundingClientRect(), s = vp.querySelector('svg').getBoundingClientRect();
  const w = Math.max(0, Math.min(v.right, s.right) - Math.max(v.left, s.left));
  const h = Math.max(0, Math.min(v.bottom, s.bottom) - Math.max(v.top, s.top));
  return {cover: (w * h) / (v.width * v.height), graphWidth: s.width, viewWidth: v.width,
          zoom: +vp.dataset.zoom}; }"""


def test_fit_uses_the_width_and_leaves_no_blank_half(lab, open_notebook):
    nb = open_notebook(lab, "fit.ipynb", FIT_CELLS)
    for i in range(4):
        nb.run(i)
    views = nb.page.locator("[data-testid='graph-view']")
    expect(views).to_have_count(3)
    small, big = (views.nth(k).locator("[data-testid='graph-viewport']") for k in range(2))
    expect(views.nth(1).locator("g.node[data-node-id]").first).to_be_attached(timeout=30_000)
    small.scroll_into_view_if_needed()
    s = small.evaluate(COVER)
    # enlarged: as wide as the view, or at the cap (1.6x)
    assert s["zoom"] > 1 and (s["graphWidth"] >= 0.8 * s["viewWidth"] or s["zoom"] >= 1.59), s
    shot(nb.page, "lab-fit-small")
    big.scroll_into_view_if_needed()
    b = big.evaluate(COVER)
    assert b["zoom"] >= 0.8 and b["cover"] > 0.6, b   # readable, and the drawing fills the view
    # drawn without its saved tensors: no key and no toggle for them
    expect(views.nth(1).locator("[data-testid='legend'] [data-key='saved']")).to_have_count(0)
    expect(views.nth(1).locator("[data-action='toggle-saved']")).to_have_count(0)
    shot(nb.page, "lab-fit-big")

    # layer boxes: called by the layer, holding its ops; the activation between layers outside
    mlp = views.nth(2)
    mlp.scroll_into_view_if_needed()
    first = mlp.locator("g.cluster", has_text="Linear(2→16)")
    expect(first).to_have_count(1)
    expect(mlp.locator("g.cluster", has_text="Linear(16→1)")).to_have_count(1)
    box = first.locator("polygon, path").first.element_handle()
    addmm = mlp.locator("g.node[data-node-id]", has_text="AddmmBackward0")
    inside = [addmm.nth(k).evaluate(INSIDE, box) for k in range(addmm.count())]
    assert sorted(inside) == [False, True], inside   # one Addmm in this box, the other in the next
    relu = mlp.locator("g.node[data-node-id]", has_text="ReluBackward0")
    assert not relu.evaluate(INSIDE, box)
    shot(nb.page, "lab-layer-boxes")
    # toggles: saved tensors and value lines left out of the layout and back, from the widget
    saved = mlp.locator("g.node.kind-saved")
    count = saved.count()
    assert count >= 3
    expect(saved.first).to_be_visible()
    mlp.locator("[data-action='toggle-saved']").click()
    expect(saved).to_have_count(0, timeout=30_000)
    expect(mlp.locator("[data-testid='legend'] [data-key='saved']")).to_be_hidden()
    values = mlp.locator("g.node text", has_text="= ")
    lines = values.count()
    assert lines >= 3
    mlp.locator("[data-action='toggle-values']").click()
    expect(values).to_have_count(0, timeout=30_000)
    shot(nb.page, "lab-toggles-off")
    mlp.locator("[data-action='toggle-saved']").click()
    mlp.locator("[data-action='toggle-values']").click()
    expect(saved).to_have_count(count, timeout=30_000)
    expect(values).to_have_count(lines + count, timeout=30_000)


# ---- issue 20: play at a chosen speed, step back ----
PLAY_CELLS = [SETUP, "x, w, loss = make()\nstepper = BackwardStepper(loss, retain_graph=True)\nstepper",
              "print('STEPS=' + json.dumps([len(stepper.steps), stepper.done, x.grad.tolist(), engine_order()[1]]))"]


def test_play_at_a_chosen_speed_and_step_back(lab, open_notebook):
    nb, root = _open_stepper(open_notebook, lab, "play.ipynb", PLAY_CELLS)
    back = root.locator("[data-action='back']")
    expect(back).to_be_disabled()   # nothing to go back to yet
    expect(root.locator("[data-testid='legend'] [data-key='current']")).to_be_visible()
    speed = root.locator("select[data-action='speed']")
    speed.select_option("1600")   # slow: 1.6 s between two steps
    root.locator("[data-action='play']").click()
    expect(root).to_have_attribute("data-playing", "true")
    expect(root).to_have_attribute("data-step", "2", timeout=10_000)   # it goes on by itself
    shot(nb.page, "lab-stepper-playing")
    speed.select_option("80")
    expect(root).to_have_attribute("data-done", "true", timeout=20_000)
    expect(root).to_have_attribute("data-playing", "false")
    total = int(root.get_attribute("data-step"))
    back.click()
    expect(root).to_have_attribute("data-step", str(total - 1))
    expect(root).to_have_attribute("data-done", "false")
    expect(root.locator("g.node.is-current")).to_have_count(1)
    back.click()
    expect(root).to_have_attribute("data-step", str(total - 2))
    shot(nb.page, "lab-stepper-back")
    root.locator("[data-action='run']").click()
    expect(root).to_have_attribute("data-done", "true")
    nb.run(2)
    steps, done, grad, ref = nb.json_output(2, "STEPS=")
    assert steps == total and done and grad == ref
