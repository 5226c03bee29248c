"""What each lesson's text says its widgets, pictures and printouts show, checked in the browser after
Run All (issue 20). One function per lesson, ``AFTER_RUN_ALL["NN"](page, notebook, cells)``, called by
test_lessons_browser.py once the lesson has run from the top in JupyterLab (and, for some, Notebook 7).

``cells`` is the notebook model after the run (type, source, count, outputs, as CELLS reads it); the
widgets are found in the cell that builds them (``_cell_el(notebook, cells, "GraphView(average)")``), by
the test contract only: data-testid, data-action, data-node-id, is-current, the node's first label line.
Each check first looks at a widget as Run All left it (the state of the moment its cell ran: a later
cell must not show through), then clicks what the text asks the reader to click.
"""
import re
import xml.etree.ElementTree as ET

from .jupyter_driver import shot

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips the browser tests (or fails them under CI=true) and says why
    expect = None

SVG_NS = "{http://www.w3.org/2000/svg}"

# ------------------------------------------------------------------------------------------- helpers


def _source_cell(cells, snippet, after=-1):
    """The index of the first code cell after `after` whose source contains `snippet`."""
    for i, cell in enumerate(cells):
        if i > after and cell["type"] == "code" and snippet in cell["source"]:
            return i
    raise AssertionError(f"no code cell contains {snippet!r}")


def _output_text(cell):
    """Everything a cell printed or showed as text (stream and text/plain), as one string."""
    parts = []
    for out in cell["outputs"]:
        text = out.get("text", out.get("data", {}).get("text/plain", ""))
        parts.append("".join(text) if isinstance(text, list) else text)
    return "".join(parts)


def _printed_by(cells, snippet, after=-1):
    return _output_text(cells[_source_cell(cells, snippet, after)])


def _printed(cells, marker):
    """The text a cell printed, for the first cell whose output contains ``marker``."""
    for cell in cells:
        text = _output_text(cell)
        if marker in text:
            return text
    raise AssertionError(f"no cell printed {marker!r}")


# each cell's element, by its index in the notebook model (the page may hold fewer .jp-Cell elements than
# the model has cells while it lays the notebook out, so counting them would miss)
TAG_CELLS = """() => {
    const panel = window.__aglLesson || window.jupyterapp.shell.currentWidget;
    panel.content.widgets.forEach((cell, i) => { cell.node.dataset.aglCell = String(i); });
}"""


def _cell_el(notebook, cells, snippet, after=-1):
    """The cell element (in the page) of the first code cell whose source contains `snippet`."""
    notebook.page.evaluate(TAG_CELLS)
    return notebook.locator(f".jp-Cell[data-agl-cell='{_source_cell(cells, snippet, after)}']")


def _widget(notebook, cells, snippet, testid, after=-1):
    root = _cell_el(notebook, cells, snippet, after).locator(f"[data-testid='{testid}']").first
    expect(root.locator("g.node[data-node-id], tbody tr").first).to_be_attached(timeout=30_000)
    return root


def _node(root, label):
    """The drawn node whose first label line is exactly ``label``."""
    page = root.page
    return root.locator("g.node[data-node-id]").filter(
        has=page.locator("text", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))).first


def _nodes(root, label):
    page = root.page
    return root.locator("g.node[data-node-id]").filter(
        has=page.locator("text", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))


def _states(root):
    """{node id: (its label's first line, its state)} as drawn."""
    return {d[0]: (d[1], d[2]) for d in root.locator("g.node[data-node-id]").evaluate_all(
        "els => els.map(g => [g.dataset.nodeId, (g.querySelector('text') || {}).textContent || '',"
        " ([...g.classList].find(c => c.startsWith('state-')) || '').slice(6)])")}


def _edge_labels(root):
    """{(from node name, to node name): the gradient text drawn on that edge}, read from each label's
    tooltip ("gradient sent by PowBackward0 (n1) to AddBackward0 (n2) (input 0): 16. ...")."""
    labels = {}
    for value, title in root.locator(".agl-edge-label").evaluate_all(
            "els => els.map(t => [t.firstChild.data, t.lastChild.textContent])"):
        m = re.match(r"gradient sent by (\S+) \(\w+\) to (\S+) \(\w+\)", title)
        if m:
            labels.setdefault((m.group(1), m.group(2)), []).append(value)
        elif title.startswith("the gradient backward starts from"):
            labels.setdefault(("output", None), []).append(value)
    return labels


def _notes(root):
    """{node id: the note drawn above it} (a leaf's .grad)."""
    return dict(root.locator(".agl-note").evaluate_all(
        "els => els.map(t => [t.dataset.noteFor, t.firstChild.data])"))


def _click(root, label):
    """Click the node `label` and wait for its inspector."""
    node = _node(root, label)
    node.click()
    inspector = root.locator("[data-testid='inspector']")
    expect(inspector).to_have_attribute("data-node-id", node.get_attribute("data-node-id"))
    return inspector


def _section(inspector, title):
    """The inspector's section whose heading is exactly `title`."""
    page = inspector.page
    return inspector.locator("section").filter(has=page.locator("h4", has_text=re.compile(rf"^{re.escape(title)}$")))


def _step(stepper):
    before = stepper.get_attribute("data-step")
    stepper.locator("[data-action='step']").click()
    expect(stepper).not_to_have_attribute("data-step", before)


def _press_until_done(stepper, limit=20):
    for _ in range(limit):
        if stepper.get_attribute("data-done") == "true":
            return
        _step(stepper)
    raise AssertionError(f"the stepper was not done after {limit} clicks")


def _current(stepper):
    """The first label line of the node marked is-current (exactly one)."""
    current = stepper.locator("g.node.is-current")
    expect(current).to_have_count(1)
    return current.locator("text").first.text_content().strip()


def _pictures(cells, snippet, after=-1):
    """The nodes of the SVG picture (draw() output) of the cell: [{classes, texts, y}] from the notebook
    model (JupyterLab shows the SVG as an <img>, so the page cannot be asked)."""
    cell = cells[_source_cell(cells, snippet, after)]
    svgs = [o["data"]["image/svg+xml"] for o in cell["outputs"] if "image/svg+xml" in o.get("data", {})]
    assert svgs, f"the cell with {snippet!r} shows no picture"
    return _svg_nodes("".join(svgs[0]) if isinstance(svgs[0], list) else svgs[0])


def _svg_nodes(svg):
    """[{classes, texts, y}] for every node (class al-node) of a draw() SVG."""
    root = ET.fromstring(svg.encode("utf-8"))
    nodes = []
    for g in root.iter(f"{SVG_NS}g"):
        classes = (g.get("class") or "").split()
        if "al-node" not in classes:
            continue
        texts = [t.text or "" for t in g.iter(f"{SVG_NS}text")]
        ys = [float(t.get("y")) for t in g.iter(f"{SVG_NS}text") if t.get("y")]
        nodes.append({"classes": classes, "texts": texts, "y": min(ys) if ys else 0.0})
    return nodes


def _label(node):
    """A picture node's first label line, without the ✗ an error node's label starts with."""
    return node["texts"][0].strip().removeprefix("✗").strip() if node["texts"] else ""


def _picture_node(nodes, label):
    found = [n for n in nodes if _label(n) == label]
    assert found, f"no node {label!r} in the picture: {[n['texts'][:1] for n in nodes]}"
    return found


def _picture_shown(notebook, cells, snippet, after=-1):
    """The picture of the cell is on the page, decoded (an <img> with a size)."""
    cell = _cell_el(notebook, cells, snippet, after)
    img = cell.locator(".jp-OutputArea-output[data-mime-type='image/svg+xml'] img").first
    if not img.count():
        raise AssertionError(f"no picture in the cell of {snippet!r}: {cell.inner_html()[:1500]}")
    assert img.evaluate("i => i.complete && i.naturalWidth > 0"), f"the picture of {snippet!r} was not drawn"


NEW_CELL = """async (code) => {
    const app = window.jupyterapp;
    const panel = window.__aglLesson || app.shell.currentWidget;
    const nb = panel.content;
    nb.activeCellIndex = nb.widgets.length - 1;
    nb.deselectAll();
    await app.commands.execute('notebook:insert-cell-below');
    if (nb.activeCell.model.type !== 'code') await app.commands.execute('notebook:change-cell-to-code');
    nb.activeCell.model.sharedModel.setSource(code);
    app.commands.execute('notebook:run-cell');
    return nb.activeCellIndex;
}"""
CELL_DONE = """(i) => {
    const panel = window.__aglLesson || window.jupyterapp.shell.currentWidget;
    const cell = panel.content.widgets[i];
    return cell.model.executionCount !== null && !cell.hasClass('jp-mod-busy')
        && panel.sessionContext.session.kernel.status === 'idle';
}"""
CELL_OUTPUTS = """(i) => (window.__aglLesson || window.jupyterapp.shell.currentWidget).content.widgets[i].model.outputs.toJSON()"""


def _run_new_cell(notebook, code):
    """Add a code cell at the end, as a reader trying something, run it; returns (its element, outputs)."""
    page = notebook.page
    i = page.evaluate(NEW_CELL, code)
    page.wait_for_function(CELL_DONE, arg=i, timeout=60_000)
    page.evaluate(TAG_CELLS)
    return notebook.locator(f".jp-Cell[data-agl-cell='{i}']"), page.evaluate(CELL_OUTPUTS, i)


def _uncaught_error_drawn(notebook, code, failing, caption, max_gap=400):
    """`code` raises an engine error nobody catches: %load_ext autograd_lab shows the traceback with the
    reader's frames only, then the graph with the failing node in the error state (issue 20: the drawing
    used to sit under ~1,300 px of the engine's own frames; a real torch error keeps PyTorch's own frames, as
    PyTorch shows them: max_gap=None). Returns the picture's nodes."""
    cell, outputs = _run_new_cell(notebook, code)
    kinds = [o["output_type"] for o in outputs]
    assert kinds[:1] == ["error"] and "display_data" in kinds[1:], outputs
    traceback = "\n".join(outputs[0]["traceback"])
    assert "autograd_lab" not in re.sub(r"\x1b\[[0-9;]*m", "", traceback).replace("import autograd_lab", ""), traceback
    svg = next(o["data"]["image/svg+xml"] for o in outputs if "image/svg+xml" in o.get("data", {}))
    nodes = _svg_nodes("".join(svg) if isinstance(svg, list) else svg)
    errors = [_label(n) for n in nodes if "al-state-error" in n["classes"] and "al-op" in n["classes"]]
    assert errors == [failing], errors
    assert caption in ("".join(svg) if isinstance(svg, list) else svg), f"no caption {caption!r} in the drawing"
    img = cell.locator(".jp-OutputArea-output[data-mime-type='image/svg+xml'] img").first
    expect(img).to_be_visible()
    if max_gap is None:
        return nodes
    # the drawing comes right under the traceback, not a screen further down
    gap = img.evaluate("i => i.getBoundingClientRect().top") - \
        cell.locator(".jp-OutputArea-output").first.evaluate("o => o.getBoundingClientRect().top")
    assert gap < max_gap, f"the drawing sits {gap:.0f} px under the start of the traceback"
    return nodes


# ------------------------------------------------------------------------------------------- lessons


def _after_run_all_01(page, notebook, cells):
    # no widget: the printouts say what the text says they say
    discount = _printed_by(cells, "discount = torch.tensor(")
    assert "requires_grad=True" in discount, discount          # "The printout says requires_grad=True"
    assert "is_leaf: True | grad_fn: None | grad: None" in discount, discount
    paid = _printed_by(cells, "paid = prices * discount")
    assert "grad_fn=<MulBackward0>" in paid and "paid is_leaf: False | doubled requires_grad: False" in paid, paid
    assert "torch.int64" in _printed_by(cells, "steps = torch.arange(4)")   # "gives whole numbers (int64)"


def _after_run_all_02(page, notebook, cells):
    # "The graph flows from the leaf at the top to the result at the bottom" (the drawing)
    printed_at = _source_cell(cells, "print(draw(average")
    _picture_shown(notebook, cells, "draw(average, params", after=printed_at)
    nodes = _pictures(cells, "draw(average, params", after=printed_at)
    leaf, = _picture_node(nodes, "celsius")
    out, = [n for n in nodes if "al-output" in n["classes"]]
    assert leaf["y"] < out["y"], "the drawing does not have the leaf above the result"
    assert "al-leaf" in leaf["classes"]
    # GraphView: "click any node to inspect it (its shapes, values, what it saved)"
    view = _widget(notebook, cells, "GraphView(average)", "graph-view")
    labels = sorted(label for label, _ in _states(view).values())
    assert labels == sorted(["average", "MeanBackward0", "AddBackward0", "MulBackward0", "other", "celsius"]), labels
    inspector = _click(view, "MulBackward0")
    saved = _section(inspector, "saved tensors")
    expect(saved).to_contain_text("other")          # multiplication keeps its constant 1.8
    expect(_section(inspector, "op")).to_contain_text("[2]")   # the shapes of its input and output
    inspector = _click(view, "celsius")
    expect(_section(inspector, "value")).to_contain_text("[20., 35.]")
    expect(_section(inspector, "tensor")).to_contain_text("[2]")
    # "Its printed form is the same text tree, with a count of the nodes"
    tree = _printed_by(cells, "print(draw(average").strip().splitlines()
    status = view.locator("[data-testid='status']")
    expect(status).to_contain_text("GraphView: 6 nodes")
    shown = status.locator("pre").text_content().splitlines()
    assert shown[1] == tree[0].replace("-> output", "-> average"), (shown, tree)  # the result by its name
    assert shown[2:] == tree[1:], (shown, tree)


def _after_run_all_03(page, notebook, cells):
    # "Click through it yourself": the stepper the student clicks is waiting at step 0, not finished
    clicked = _widget(notebook, cells, "BackwardStepper(L, retain_graph=True)", "backward-stepper")
    coded = _widget(notebook, cells, "stepper  # shown here", "backward-stepper")
    expect(clicked).to_have_attribute("data-step", "0")
    expect(clicked).to_have_attribute("data-done", "false")
    expect(clicked.locator("[data-action='step']")).to_be_enabled()
    status = clicked.locator("[data-testid='status']")
    expect(status).to_contain_text("not started")
    assert all(state == "pending" for _, state in _states(clicked).values())
    # "each click on step runs one more node, highlights it on the graph, and labels the edges with
    # the gradients it sent": the list above, one line per click
    _step(clicked)
    assert _current(clicked) == "PowBackward0"
    expect(status).to_contain_text("step 1/5, current PowBackward0")
    assert _edge_labels(clicked) == {("output", None): ["1."], ("PowBackward0", "AddBackward0"): ["16."]}
    _step(clicked)
    assert _current(clicked) == "AddBackward0"      # "passes 16 unchanged down both of its edges"
    edges = _edge_labels(clicked)
    assert edges[("AddBackward0", "MulBackward0")] == ["16."] and edges[("AddBackward0", "a")] == ["16."], edges
    _step(clicked)
    assert _current(clicked) == "MulBackward0"      # "sends 16 · b = 48 towards a and 16 · a = 32 towards b"
    edges = _edge_labels(clicked)
    assert edges[("MulBackward0", "a")] == ["48."] and edges[("MulBackward0", "b")] == ["32."], edges
    assert _notes(clicked) == {}, "a .grad was filled before its AccumulateGrad ran"
    _step(clicked)
    # "a's AccumulateGrad runs once, with 16 + 48 = 64": the two paths were summed first
    assert _current(clicked) == "a"
    a_id = _node(clicked, "a").get_attribute("data-node-id")
    assert _notes(clicked) == {a_id: "grad 64."}
    # "The click that runs the last node (b's AccumulateGrad) also ends the pass"
    _step(clicked)
    expect(clicked).to_have_attribute("data-done", "true")
    expect(clicked.locator("g.node.is-current")).to_have_count(0)
    b_id = _node(clicked, "b").get_attribute("data-node-id")
    assert _notes(clicked) == {a_id: "grad 64.", b_id: "grad 32."}
    expect(status).to_contain_text("step 5/5, done")
    expect(status).to_contain_text("a.grad = tensor(64.)")
    expect(status).to_contain_text("b.grad = tensor(32.)")
    states = _states(clicked)   # every node ran; the saved tensors stay (retain_graph=True)
    assert all(state == "done" for nid, (_, state) in states.items() if "." not in nid), states
    assert all(state == "pending" for nid, (_, state) in states.items() if "." in nid), states
    # retain_graph=True, as the text says: reset puts it back and it can be clicked through again
    expect(clicked.locator("[data-action='reset']")).to_be_enabled()
    clicked.locator("[data-action='reset']").click()
    expect(clicked).to_have_attribute("data-step", "0")
    expect(clicked.locator("[data-action='step']")).to_be_enabled()
    expect(status).to_contain_text("a.grad = None")
    # the stepper driven from code is where its cells left it: done (two steps printed, then run())
    assert "ran PowBackward0\nran AddBackward0\nBackwardStepper: step 2/5, current AddBackward0" in \
        _printed_by(cells, "stepper = BackwardStepper(L)")
    expect(coded).to_have_attribute("data-done", "true")
    expect(coded.locator("[data-testid='status']")).to_contain_text("step 5/5, done")
    expect(coded.locator("[data-action='reset']")).to_be_disabled()   # no retain_graph: it ran once
    # "Every node that had saved tensors for this pass has now let them go, marked freed"
    drawn = _printed_by(cells, "print(draw(L,")
    for line in drawn.splitlines():
        if "saved:" in line:
            assert "[freed]" in line, drawn


def _after_run_all_04(page, notebook, cells):
    rows = _printed_by(cells, "def vjp(v)")
    assert "v = [1, 0]   -> tensor([1., 2., 3.])" in rows, rows                 # row 0 of M
    assert "v = [0, 1]   -> tensor([ 0., -1.,  4.])" in rows, rows              # row 1 of M
    assert "v = [0.5, 2] -> tensor([ 0.5000, -1.0000,  9.5000])" in rows, rows  # 0.5 * row 0 + 2 * row 1
    assert "equals M: True" in _printed_by(cells, "J = torch.stack(rows)")
    same = _printed_by(cells, "(x ** 2).backward(torch.ones(3))")
    assert "backward(ones): tensor([2., 4., 6.])" in same and "sum().backward(): tensor([2., 4., 6.])" in same, same


def _after_run_all_05(page, notebook, cells):
    # "a table of w.grad and its history; in JupyterLab it updates live while the next cells run"
    watch = _widget(notebook, cells, "watch = GradWatch(w)", "grad-watch")
    expect(watch.locator("[data-testid='grad-watch-mode']")).to_have_text("live")
    row = watch.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("w")
    # it followed the next cells: three backward calls (-15, -30, -45), zero_(), grad = None
    expect(row.locator("td").nth(2)).to_have_text("None")
    expect(row.locator("td").last).to_have_text("5")
    log = watch.locator("[data-testid='grad-watch-log'] .agl-log-row")
    expect(log).to_have_text(["#4 grad = Nonew.grad = None", "#3 zero_()w.grad = [0.]",
                              "#2 backwardw.grad = [-45.]", "#1 backwardw.grad = [-30.]",
                              "#0 backwardw.grad = [-15.]"])
    # "The watch recorded one event per backward call" (printed right after the three calls)
    assert _printed_by(cells, "print(watch)").startswith("GradWatch: 1 tensor, 3 events (backward, backward, backward)")
    assert "after backward #3: w.grad = tensor([-45.])" in _printed_by(cells, "for attempt in range(3)")
    # the sparkline's points are the same numbers
    dots = watch.locator("circle.agl-spark-dot title").all_text_contents()
    assert dots[:4] == ["#0 backward: -15.00", "#1 backward: -30.00", "#2 backward: -45.00", "#3 zero_(): 0.000"], dots


def _after_run_all_06(page, notebook, cells):
    # "the very first node that needed a saved tensor (PowBackward0) found it freed", drawn on the graph
    _picture_shown(notebook, cells, "draw(loss, params={\"x\": x, \"w\": w}, error=second_error)",
                   after=_source_cell(cells, "print(draw(loss, params={\"x\": x, \"w\": w}, error"))
    nodes = _pictures(cells, "draw(loss, params={\"x\": x, \"w\": w}, error=second_error)",
                      after=_source_cell(cells, "print(draw(loss, params={\"x\": x, \"w\": w}, error"))
    errors = [_label(n) for n in nodes if "al-state-error" in n["classes"] and "al-op" in n["classes"]]
    assert errors == ["PowBackward0"], errors
    freed = [n for n in nodes if "al-saved" in n["classes"]]
    assert freed and all("al-freed" in n["classes"] for n in freed), [n["classes"] for n in freed]
    printed = _printed_by(cells, "print(draw(loss, params={\"x\": x, \"w\": w}, error")
    assert "PowBackward0  saved: self (freed)  [error]" in printed, printed
    assert "freed ['self']" in _printed_by(cells, "for step in torch.autograd.backward_steps(loss)")
    # "With %load_ext autograd_lab loaded, an error you do not catch is drawn like this automatically,
    # under its traceback": `loss` was last used up by the third pass of the retain_graph section
    nodes = _uncaught_error_drawn(notebook, "loss.backward()", "PowBackward0", "Trying to backward through the graph")
    assert all("al-freed" in n["classes"] for n in nodes if "al-saved" in n["classes"]), nodes


def _after_run_all_07(page, notebook, cells):
    # "Drawn on the graph, the failing node and its stale saved tensor are marked"
    after = _source_cell(cells, "print(draw(y, params")
    _picture_shown(notebook, cells, "draw(y, params={\"x\": x}, error=inplace_error)", after=after)
    nodes = _pictures(cells, "draw(y, params={\"x\": x}, error=inplace_error)", after=after)
    failing, = [n for n in nodes if "al-state-error" in n["classes"] and "al-op" in n["classes"]]
    assert _label(failing) == "TanhBackward0", failing
    stale = [n for n in nodes if "al-stale" in n["classes"]]
    assert len(stale) == 1 and _label(stale[0]) == "result", stale
    assert any("version 1, expected 0" in t for t in stale[0]["texts"]), stale[0]["texts"]
    # "Three in-place changes, version 3"
    assert "tensor([10.,  2.,  2.]) version 3" in _printed_by(cells, "t = torch.zeros(3)")


def _after_run_all_08(page, notebook, cells):
    recorded = _printed_by(cells, "score = (w * features).sum()")
    assert "| recorded: True" in recorded and "| recorded: False" in recorded, recorded
    stop = _printed_by(cells, "(y * y).backward(retain_graph=True)")
    assert "both copies tracked:     tensor(108.)" in stop and "one copy detached:       tensor(54.)" in stop, stop
    # "changing it in place changes the original too (and bumps the shared version counter)"
    shared = _printed_by(cells, "view = a.detach()")
    assert "tensor([100.,   2.], requires_grad=True) version 1" in shared, shared


def _after_run_all_09(page, notebook, cells):
    # "a pill saying 1 hook on every node that has one, and retains grad on a tensor that keeps its gradient"
    view = _widget(notebook, cells, "GraphView(loss)", "graph-view")
    expect(view.locator("rect.agl-badge-hook")).to_have_count(2)   # on x and on hidden
    expect(view.locator("rect.agl-badge-retain")).to_have_count(1)  # hidden.retain_grad()
    expect(_node(view, "x")).to_contain_text("1 hook")
    hidden = view.locator("g.node.retains-grad")
    expect(hidden).to_have_count(1)
    expect(hidden).to_contain_text("1 hook, retains grad")
    # "Click a node: the inspector lists its hooks by name (a lambda here)"
    hidden.click()
    inspector = view.locator("[data-testid='inspector']")
    expect(_section(inspector, "hooks")).to_contain_text("lambda")
    inspector = _click(view, "x")
    expect(_section(inspector, "hooks")).to_contain_text("tensor hook: <lambda>")
    # the view shows the moment its cell ran: no backward yet, so no .grad anywhere
    assert _notes(view) == {}
    expect(_section(inspector, ".grad")).to_have_text(re.compile(r"None$"))
    # "x.grad is 3 · clipped"; the hook on w halves its gradient
    assert "x.grad with clipping: tensor([ 3., -3.])" in _printed_by(cells, "hidden.register_hook(lambda grad: grad.clamp")
    leaf = _printed_by(cells, "w.register_hook(lambda grad: grad * 0.5)")
    assert "w.grad (halved by the hook): tensor([2.])" in leaf, leaf
    assert re.search(r"w \[1\] \(leaf\)\s+hooks: 1", leaf), leaf   # "The graph drawing counts the hooks"


def _after_run_all_10(page, notebook, cells):
    assert "f'(2) = tensor(29., grad_fn=" in _printed_by(cells, "(df,) = torch.autograd.grad(f, x, create_graph=True)")
    # "Its drawing shows the operations backward ran: PowBackward0 for x³, then MulBackward1 ... times
    # the incoming gradient, 1 (MulBackward0)"
    drawn = _printed_by(cells, "print(draw(df")
    order = [name for name in re.findall(r"(\w+Backward\d)", drawn)]
    assert order.index("MulBackward0") < order.index("MulBackward1") < order.index("PowBackward0"), drawn
    assert "f''(2) = tensor(48.)" in _printed_by(cells, "(d2f,) = torch.autograd.grad(df, x)")
    newton = _printed_by(cells, "for i in range(6)")
    assert newton.strip().splitlines()[-1] == "step 5: x = 0.908560", newton  # 0.75^(1/3) ≈ 0.9086
    assert "d penalty / dw: tensor(48.)" in _printed_by(cells, "penalty = slope ** 2")


def _after_run_all_11(page, notebook, cells):
    # "The graph, with the parameters named. Click a node to inspect it."
    view = _widget(notebook, cells, "GraphView(loss, params=dict(model.named_parameters()))", "graph-view")
    labels = {label for label, _ in _states(view).values()}
    assert {"weight", "bias", "loss", "AddmmBackward0 (logits)", "BinaryCrossEntropyWithLogitsBackward0"} <= labels, labels
    # "a famously simple form, (sigmoid(z) - y) / N, and autograd agrees"; "equals w - lr * grad"
    assert "dloss/dlogits matches (sigmoid(z) - y) / N: True" in _printed_by(cells, "by_formula = ")
    assert "equals w - lr * grad: True" in _printed_by(cells, "optimizer.step()\nprint(\"new w:\"")
    # drawn before backward and optimizer.step(): no .grad note, and the weight as it was then
    assert _notes(view) == {}
    printed_w = _printed_by(cells, "print(model.weight)")
    first = re.search(r"\[\[\s*(-?[\d.]+),\s*(-?[\d.]+)\]\]", printed_w).groups()
    weight = _node(view, "weight")
    expect(weight).to_contain_text(f"= [[{float(first[0]):.4g}, {float(first[1]):.4g}]]")
    inspector = _click(view, "weight")
    # the box shows the value when drawn, the inspector says so and adds the value now (an optimizer changed it)
    expect(_section(inspector, "value when drawn (as in the box)")).to_contain_text(first[0])
    expect(_section(inspector, "value now (changed by a later cell)")).to_be_visible()
    expect(_section(inspector, ".grad when drawn")).to_contain_text("None")
    # the watch: existing claims (90 events, stopped before the self-check's backward)
    printed = _printed(cells, "events; the last ones")
    events = printed.split()[0]
    assert events == "90", printed  # what the text says: three events per step, thirty steps
    watch = _widget(notebook, cells, "watch = GradWatch(model.weight", "grad-watch")
    expect(watch.locator("[data-testid='grad-watch-mode']")).to_have_text("stopped")
    for row in watch.locator("tbody tr").all():  # the self-check's backward came after stop()
        expect(row.locator("td").last).to_have_text(events)
    expect(watch.locator("[data-testid='status']")).to_contain_text(f"{events} events")
    # "three events per step (zero_grad, backward, optimizer_step)": the newest three in the log
    log = watch.locator("[data-testid='grad-watch-log'] .agl-pill").all_text_contents()
    assert log[:3] == ["#89 optimizer_step", "#88 backward", "#87 zero_grad"], log
    # "its sparklines show them shrinking as the model improves": the bias's gradient after each step
    bias = watch.locator("tbody tr[data-leaf='bias'] circle.agl-spark-dot title").all_text_contents()
    steps = [abs(float(t.rsplit(": ", 1)[1])) for t in bias if "optimizer_step" in t]
    assert len(steps) == 30 and steps[-1] < steps[0] / 5, steps


def _after_run_all_12(page, notebook, cells):
    softplus = _printed_by(cells, "y = NumpySoftplus.apply(x)")
    grads = re.findall(r"tensor\(\[[^\]]*\]\)", softplus)
    assert len(grads) >= 2 and grads[-2] == grads[-1], softplus   # x.grad equals sigmoid(x)
    assert "NumpySoftplusBackward" in _printed_by(cells, "total = NumpySoftplus.apply(x).sum()")
    assert _printed_by(cells, "gradcheck(NumpySoftplus.apply, (x64,))").strip() == "True"
    sloppy = _printed_by(cells, "class SloppySquare")
    assert sloppy.startswith("False\nGradcheckError: Jacobian mismatch"), sloppy
    assert "tensor([ 0.,  4., -2.])  = 2 * rounded" in _printed_by(cells, "rounded = RoundStraightThrough.apply(x)")


def _after_run_all_13(page, notebook, cells):
    views = notebook.locator("[data-testid='graph-view']")
    steppers = notebook.locator("[data-testid='backward-stepper']")
    # bug 1's GraphView: "the same marks (a pink border and a badge)": only the loss (and the op that made
    # it) holds the NaN; "the inspector of a node says what holds the NaN and the line that made it"
    nan_view = _widget(notebook, cells, "GraphView(loss, params={\"w\": w})", "graph-view")
    marked = nan_view.locator("g.node.has-nan")
    expect(marked.filter(has=page.locator("[data-testid='nan-badge']"))).to_have_count(marked.count())
    expect(_nodes(nan_view, "LogBackward0").and_(nan_view.locator("g.has-nan"))).to_have_count(0)
    inspector = _click(nan_view, "loss")
    expect(_section(inspector, "NaN / inf")).to_contain_text("its value holds NaN")
    expect(_section(inspector, "tensor")).to_contain_text("line 9: loss = -(labels * log_p")
    # drawn before `loss.backward()` filled w.grad with NaN: w is not marked, its .grad was None then
    expect(_node(nan_view, "w")).not_to_have_class(re.compile(r"\bhas-nan\b"))
    inspector = _click(nan_view, "w")
    expect(_section(inspector, ".grad when drawn")).to_contain_text("None")
    expect(_section(inspector, ".grad now (changed by a later cell)")).to_be_visible()
    # the stepper that watches the NaN appear, waiting to be stepped
    nan = steppers.nth(0)
    expect(nan).to_have_attribute("data-step", "0")
    expect(nan.locator("[data-action='step']")).to_be_enabled()
    expect(nan.locator("[data-action='run']")).to_be_enabled()
    expect(nan.locator("g.node.has-nan", has_text="LogBackward0")).to_have_count(0)
    # "press step until LogBackward0 turns pink": the first node the pass marks is the LogBackward0 of
    # log(1 - p), at the step that runs it (the loss and its NegBackward0 held the NaN from the start)
    marked_before = set(nan.locator("g.node.has-nan").evaluate_all("els => els.map(g => g.dataset.nodeId)"))
    for _ in range(12):
        _step(nan)
        marked = set(nan.locator("g.node.has-nan").evaluate_all("els => els.map(g => g.dataset.nodeId)"))
        if marked != marked_before:
            break
    else:
        raise AssertionError("no node turned pink while stepping")
    new = marked - marked_before
    current = nan.locator("g.node.is-current").get_attribute("data-node-id")
    assert new == {current} and _current(nan) == "LogBackward0", (new, current)
    expect(nan.locator("[data-testid='status']")).to_contain_text("current LogBackward0")
    # its inspector says what holds the NaN, and the line that made it (two LogBackward0: the marked one)
    nan.locator(f"g.node[data-node-id='{current}']").click()
    inspector = nan.locator("[data-testid='inspector']")
    expect(inspector).to_have_attribute("data-node-id", current)
    expect(_section(inspector, "NaN / inf")).to_contain_text("holds NaN")
    expect(_section(inspector, "op")).to_contain_text("torch.log(1 - p_copy)")
    nan.locator("[data-action='run']").click()
    expect(nan).to_have_attribute("data-done", "true")
    # bug 2: "clicking it opens the explanation", though the solution cell has filled w1.grad since
    explained = views.nth(1)
    _node(explained, "w1").click()
    inspector = explained.locator("[data-testid='inspector']")
    expect(inspector.locator("[data-section='why']")).to_contain_text("w1 is not reached from loss")
    expect(inspector.locator("[data-section='why']")).to_contain_text(".detach()")
    expect(inspector).to_contain_text(".grad when drawn")
    # "w1 is then drawn on its own, unconnected to loss"
    tree = explained.locator("[data-testid='status'] pre").text_content().splitlines()
    assert "w1 [2, 3] (leaf)" in tree, tree   # a root of its own in the text tree: no edge reaches it
    # bug 3: press run; the error is said once, and w (the stepper's own) still has no grad
    failing = steppers.nth(1)
    expect(failing).to_have_attribute("data-step", "0")
    expect(failing.locator("[data-action='run']")).to_be_enabled()    # "and press run"
    expect(failing.locator("[data-testid='error']")).to_be_hidden()   # nothing has failed yet
    failing.locator("[data-action='run']").click()
    expect(failing.locator("[data-testid='error']")).to_be_visible()
    expect(failing.locator("[data-testid='error']")).to_contain_text("modified by an inplace operation")
    # "with the line that made the failing node"
    expect(failing.locator("[data-testid='error-site']")).to_contain_text("act = torch.sigmoid(points @ w)")
    expect(failing.locator("g.node.state-error").first).to_contain_text("SigmoidBackward0")
    status = failing.locator("[data-testid='status']")
    expect(status).to_contain_text("failed at")
    expect(status).to_contain_text("w.grad = None")
    text = failing.inner_text()
    assert text.count("modified by an inplace operation") == 1, text


def _after_run_all_14(page, notebook, cells):
    # "the graph of f as reverse mode records it": y = x * sin(x) + x; drawn before autograd.grad ran
    view = _widget(notebook, cells, "GraphView(y)", "graph-view")
    states = _states(view)
    assert sorted(label for label, _ in states.values()) == sorted(
        ["y", "AddBackward0", "MulBackward0", "SinBackward0", "x", "self", "other", "self"]), states
    assert all(state == "pending" for _, state in states.values()), states
    assert _notes(view) == {}     # autograd.grad returns the gradient: x.grad stays None
    inspector = _click(view, "x")
    expect(_section(inspector, ".grad")).to_have_text(re.compile(r"None$"))
    # autograd.grad, in a later cell, freed the buffers: a click draws them freed and says why
    inspector = _click(view, "SinBackward0")
    expect(_section(inspector, "freed after this view was drawn")).to_contain_text("autograd.grad()")
    shot(page, "lesson-14-freed-later")
    # "Both directions give the same derivative here"
    both = _printed_by(cells, "(reverse,) = torch.autograd.grad(y, x)").splitlines()
    assert both[0].split(":", 1)[1].strip() == both[1].split(":", 1)[1].strip(), both


def _after_run_all_15(page, notebook, cells):
    # "Click step and watch which node PyTorch runs next": PyTorch's stepper waits at step 0
    clicked = _widget(notebook, cells, "tstepper = BackwardStepper(tloss", "backward-stepper")
    expect(clicked).to_have_attribute("data-step", "0")
    expect(clicked.locator("[data-testid='status']")).to_contain_text("tx.grad = None")
    order = re.search(r"PyTorch: +(\[.*\])", _printed_by(cells, "coded = BackwardStepper(tloss")).group(1)
    order = [name.strip(" '") for name in order.strip("[]").split(",")]
    # one node per click, in the order PyTorch chose: "Same order, same gradients" as the steppers below
    ran = []
    for _ in range(len(order)):
        _step(clicked)
        if clicked.get_attribute("data-done") == "true":
            break
        node = clicked.locator("g.node.is-current")
        kind = node.get_attribute("class")
        ran.append("torch::autograd::AccumulateGrad" if "kind-leaf" in kind else _current(clicked))
    _press_until_done(clicked)
    # (the click that runs the last node also ends the pass: no node is current after it)
    assert ran == order[:-1], (ran, order)
    status = clicked.locator("[data-testid='status']")
    expect(status).to_contain_text(f"step {len(order)}/{len(order)}, done")
    expect(status).to_contain_text("tx.grad = tensor([ 0.7400, -0.0908,  1.0123])")   # as printed below
    clicked.locator("[data-action='reset']").click()  # puts the .grads back, ends the worker thread
    expect(status).to_contain_text("tx.grad = None")
    expect(clicked).to_have_attribute("data-step", "0")
    # autograd_lab's stepper, done: "compare it with PyTorch's above" (the same grads)
    coded = _widget(notebook, cells, "stepper   # autograd_lab's", "backward-stepper")
    expect(coded).to_have_attribute("data-done", "true")
    expect(coded.locator("[data-testid='status']")).to_contain_text("x.grad = tensor([ 0.7400, -0.0908,  1.0123])")
    # the MLP: "each layer in a box", named by its module
    mlp = _widget(notebook, cells, "GraphView(mlp_loss", "graph-view")
    boxes = mlp.locator(".agl-cluster-label").all_text_contents()
    assert sorted(boxes) == ["Linear(4→8)", "Linear(8→3)", "ReLU"], boxes
    # "Click AddmmBackward0 in the box Linear(4→8): the inspector shows the tensor it saved (mat1, the input
    # batch)", and, the graph spent by the stepper below, that it is freed now. Which AddmmBackward0 is the
    # first layer's, its inspector says (module 0)
    inspector = mlp.locator("[data-testid='inspector']")
    for addmm in _nodes(mlp, "AddmmBackward0").all():
        addmm.click()
        expect(inspector).to_have_attribute("data-node-id", addmm.get_attribute("data-node-id"))
        module = _section(inspector, "op").locator("tr", has=page.locator("th", has_text="module"))
        if re.match(r"0\b", module.locator("td").text_content()):
            break
    else:
        raise AssertionError("no AddmmBackward0 of the MLP says it belongs to module 0")
    saved = _section(inspector, "saved tensors")
    expect(saved.locator("tbody tr")).to_have_count(1)   # the input needs no gradient: no mat2 (the weight)
    expect(saved.locator("tbody tr").first).to_contain_text("mat1")
    expect(saved.locator("tbody tr").first).to_contain_text("freed")
    # the watch: "a gradient that was zeroed shows up when the next backward starts"
    watch = _widget(notebook, cells, "watch = GradWatch(mlp[2].bias", "grad-watch")
    events = _printed_by(cells, "print([record.event for record in watch.history])").splitlines()[0]
    count = events.count("'")// 2
    expect(watch.locator("[data-testid='status']")).to_contain_text(f"{count} events")
    # the CNN stepper: "every .grad equals loss.backward()'s"
    cnn = _widget(notebook, cells, "cnn_stepper = BackwardStepper(cnn_loss", "backward-stepper")
    expect(cnn).to_have_attribute("data-done", "true")
    # the MLP backward twice: "the stepper marks where PyTorch's engine failed", saved tensors in red
    again = _widget(notebook, cells, "again = BackwardStepper(mlp_loss", "backward-stepper")
    expect(again.locator("[data-testid='error']")).to_be_visible()
    expect(again.locator("[data-testid='error']")).to_contain_text("Trying to backward through the graph a second time")
    failed = again.locator("g.node.kind-op.state-error")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("NllLossBackward0")
    expect(again.locator("g.node.kind-saved.state-error")).to_have_count(3)
    # "with %load_ext autograd_lab a failing loss.backward() draws its graph under the traceback, with the
    # failing node and its freed saved tensors in red, for real torch tensors too (try it: run
    # mlp_loss.backward() in a new cell)"
    nodes = _uncaught_error_drawn(notebook, "mlp_loss.backward()", "NllLossBackward0",
                                  "Trying to backward through the graph", max_gap=None)
    saved = [n for n in nodes if "al-saved" in n["classes"]]
    assert saved and all("al-freed" in n["classes"] for n in saved), saved
    # the watch was stopped before: no hook of its own is left on the parameters for this graph to show
    expect(again.locator("rect.agl-badge-hook")).to_have_count(0)
    expect(watch.locator("[data-testid='grad-watch-mode']")).to_have_text("stopped")


AFTER_RUN_ALL = {f"{n:02d}": globals()[f"_after_run_all_{n:02d}"] for n in range(1, 16)}
