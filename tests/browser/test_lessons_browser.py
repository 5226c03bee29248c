"""Every lesson (notebooks/NN_*.ipynb), run from the top in a real JupyterLab, as a student would.

For each lesson, one test: copy it with its outputs and execution counts cleared into ``lessons/``
under the session lab's root, open it, run *Run All Cells*, wait until every code cell has run,
then check:

* no cell has an error output (a traceback), and no cell was left unrun. Output on stderr is
  allowed only when it is a Python warning (``SomethingWarning: ...``): the lessons are run as a
  student runs them, and a library's DeprecationWarning is not a broken lesson. Each such warning
  is re-emitted as a pytest warning, so it shows in the summary instead of passing silently. Any
  other stderr text fails the test. The outputs are read from the notebook's model, not the DOM:
  JupyterLab 4 renders a traceback with data-mime-type="application/vnd.jupyter.stderr", like a
  warning, so the DOM cannot tell the two apart (no element carries an "error" MIME type);
* no console error and no uncaught exception on the page, apart from conftest.IGNORED_CONSOLE
  (the harness's list; this file adds no filter of its own);
* every widget the lesson builds (``GraphView(``, ``BackwardStepper(``, ``GradWatch(`` in a code
  cell, outside comments) is on the page, at least one per such cell, and drawn: the graph has
  nodes, the watch has rows, nothing says "could not be loaded" or "Error displaying widget";
* the kernel imported this checkout's ``autograd_lab`` (the lab's PYTHONPATH puts the repository
  first; it is not necessarily pip-installed);
* what the lesson's text says its widgets, pictures and printouts show (lesson_claims.py, one function
  per lesson): each widget first as Run All left it (the moment its cell ran), then clicked as the text
  asks; then every graph widget opens its inspector on a click.

Then it scrolls to the first widget (else the first drawing: an SVG, else a printed text tree, else the
title) and saves test-artifacts/lesson-NN.png.

Speed: one page for the module (opened once with ``?reset``), each lesson opened with
``docmanager:open`` in that page, and its kernel shut down and its tab closed after the test.
The widget bundle is therefore sent once per page, as for a student who opens several lessons.
"""
import json
import re
import warnings
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Error as PlaywrightError, expect
except ImportError:  # conftest skips these tests (or fails them under CI=true) and says why
    PlaywrightError, expect = Exception, None

from .conftest import IGNORED_CONSOLE
from .lesson_claims import AFTER_RUN_ALL, _node
from .jupyter_driver import ARTIFACTS, ROOT, TOKEN, shot, stray_text

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RUN_TIMEOUT = 120_000      # ms, one lesson's Run All (kernel start and `import torch` included)
RENDER_TIMEOUT = 30_000    # ms, a widget's first drawing (the bundle comes over the comm once per page)

# the widget classes a lesson may build, and the data-testid of the element each one draws
WIDGETS = {"GraphView": "graph-view", "BackwardStepper": "backward-stepper", "GradWatch": "grad-watch"}
WARNING_RX = re.compile(r"\b\w*Warning: ")


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def widgets_in(path):
    """{widget class: how many code cells construct one}, in the order the classes first appear."""
    found = {}
    for cell in _cells(path):
        if cell["cell_type"] != "code":
            continue
        code = "\n".join(line.split("#", 1)[0] for line in _source(cell).splitlines())
        for cls in dict.fromkeys(re.findall(r"\b(" + "|".join(WIDGETS) + r")\s*\(", code)):
            found[cls] = found.get(cls, 0) + 1
    return found


def _fresh_copy(src, dest):
    """The lesson as a student first opens it after Kernel > Restart & Clear: nothing has run."""
    nb = json.loads(src.read_text(encoding="utf-8"))
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def _describe(i, source, count=None):
    """How a failure names a cell: its index among all cells (from 0, markdown included), the
    execution count the student sees, and its first line of code."""
    first = next((line.strip() for line in source.splitlines() if line.strip() and not line.strip().startswith("#")),
                 source.strip().splitlines()[0] if source.strip() else "")
    shown = f"[{count}] " if count is not None else ""
    return f"cell {i} ({shown}`{first[:70]}`)"


# ---------------------------------------------------------------------------------------- fixtures

def _open_lab(page, lab, commands):
    """Open JupyterLab (a fresh workspace) on `page` and wait until `commands` are registered."""
    page.goto(f"{lab.base}/lab?reset&token={TOKEN}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
    # the app object exists before its plugins have registered their commands: wait for the restore
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    page.wait_for_function("(cs) => cs.every(c => window.jupyterapp.commands.hasCommand(c))", arg=commands,
                           timeout=60_000)


@pytest.fixture(scope="module")
def lesson_page(lab, browser):
    """One page on the session's JupyterLab for all lessons; console errors go to page.console_errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []

    def on_console(msg):
        if msg.type == "error":
            text = f"{msg.text} @ {msg.location.get('url', '')}"
            if not any(re.search(rx, text) for rx, _why in IGNORED_CONSOLE):
                errors.append(text)

    def on_error(exc):
        text = f"uncaught: {exc} {getattr(exc, 'stack', '') or ''}"
        if not any(re.search(rx, text, re.S) for rx, _why in IGNORED_CONSOLE):
            errors.append(text)

    page.on("console", on_console)
    page.on("pageerror", on_error)
    page.console_errors = errors
    _open_lab(page, lab, ["docmanager:open", "notebook:run-all-cells"])
    yield page
    context.close()


CLOSE_ALL = """async () => {
    const app = window.jupyterapp;
    const panels = [...app.shell.widgets('main')].filter(w => w.sessionContext && w.content && w.content.widgets);
    for (const panel of panels) {
        // JupyterLab's debugger asks a new kernel for its state (a debug_request on the control
        // channel); shutting the kernel down before it answers logs "Could not restore the debugger
        // state: Canceled future". The control channel answers in order, so wait for an answer of
        // our own first (at most 10 s).
        const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
        try {
            const info = kernel && await kernel.info;
            if (info && info.debugger) {
                const ask = kernel.requestDebug({ seq: 0, type: 'request', command: 'debugInfo', arguments: {} });
                await Promise.race([ask.done, new Promise(resolve => setTimeout(resolve, 10000))]);
            }
        } catch (e) { /* the kernel is gone or cannot debug: nothing to wait for */ }
        try { await panel.sessionContext.shutdown(); } catch (e) { /* already gone */ }
        panel.context.model.dirty = false;   // no "save your changes?" dialog
        panel.dispose();
    }
    return panels.length;
}"""


@pytest.fixture
def lesson_tab(lesson_page, request):
    """Clears the page's console errors for this lesson; afterwards closes its tab, shuts its kernel
    down, and fails the test if the page logged an error meanwhile."""
    lesson_page.console_errors.clear()
    yield lesson_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        lesson_page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"))
    lesson_page.evaluate(CLOSE_ALL)
    errors = list(lesson_page.console_errors)
    lesson_page.console_errors.clear()
    assert not errors, "browser console errors while running the lesson:\n" + "\n".join(errors)


# ---------------------------------------------------------------------------------------- the test

OPEN = """async (path) => {
    const app = window.jupyterapp;
    const panel = await app.commands.execute('docmanager:open',
        { path, factory: 'Notebook', kernel: { name: 'python3' } });
    await panel.context.ready;
    app.shell.activateById(panel.id);
    window.__aglLesson = panel;
    return panel.id;
}"""

KERNEL_READY = """() => {
    const p = window.__aglLesson;
    const k = p && p.sessionContext.session && p.sessionContext.session.kernel;
    return !!k && k.connectionStatus === 'connected' && k.status === 'idle'
        && window.jupyterapp.shell.currentWidget === p;
}"""

RUN_ALL = """() => {
    window.__aglRun = { done: false };
    window.jupyterapp.commands.execute('notebook:run-all-cells').then(
        ok => { window.__aglRun = { done: true, ok }; },
        err => { window.__aglRun = { done: true, ok: false, error: String(err) }; });
}"""

RUN_FINISHED = """() => {
    const p = window.__aglLesson;
    const k = p.sessionContext.session && p.sessionContext.session.kernel;
    return window.__aglRun.done && !!k && k.status === 'idle'
        && !p.content.widgets.some(c => c.hasClass('jp-mod-busy'));
}"""

CELLS = """() => window.__aglLesson.content.widgets.map(c => ({
    type: c.model.type,
    source: c.model.sharedModel.getSource(),
    count: c.model.type === 'code' ? c.model.executionCount : null,
    outputs: c.model.type === 'code' ? c.model.outputs.toJSON() : [],
}))"""

# prints where the kernel's autograd_lab comes from, without touching the execution count
WHICH_AUTOGRAD_LAB = """async () => {
    const kernel = window.__aglLesson.sessionContext.session.kernel;
    const future = kernel.requestExecute({ code: 'import autograd_lab as _m; print(_m.__file__)',
                                           silent: false, store_history: false });
    let text = '';
    future.onIOPub = msg => { if (msg.header.msg_type === 'stream') text += msg.content.text; };
    await future.done;
    return text.trim();
}"""

SCROLL_TO = """el => {
    const cell = el.closest('.jp-Cell');
    const scroller = el.closest('.jp-WindowedPanel-outer');
    const fits = cell && scroller && cell.getBoundingClientRect().height < scroller.clientHeight - 20;
    (fits ? cell : el).scrollIntoView({ block: 'start' });
}"""


def _check_outputs(cells, lesson):
    """Failures (tracebacks, stderr that is not a warning, cells that did not run) as messages."""
    problems = []
    first_error = None
    for i, cell in enumerate(cells):
        if cell["type"] != "code":
            continue
        where = _describe(i, cell["source"], cell["count"])
        for out in cell["outputs"]:
            if out.get("output_type") == "error":
                first_error = first_error if first_error is not None else i
                problems.append(f"{where} raised {out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = out.get("text", "")
                text = "".join(text) if isinstance(text, list) else text
                if WARNING_RX.search(text):
                    warnings.warn(f"{lesson} {where} printed a warning: {text.strip()[:300]}", UserWarning)
                else:
                    problems.append(f"{where} wrote to stderr: {text.strip()[:300]}")
        if cell["count"] is None and cell["source"].strip():
            after = f" (the run stopped at cell {first_error})" if first_error is not None else ""
            problems.append(f"{where} did not run{after}")
    return problems


# every label line of every drawn widget node lies inside the node's shape (1 unit of slack)
SPILLED_TEXT = """root => {
  const out = [];
  for (const g of root.querySelectorAll(".agl-root g.node[data-node-id]")) {
    const shape = g.querySelector("polygon, path, ellipse");
    if (!shape) continue;
    const b = shape.getBBox();
    if (!b.width) continue;  // not painted yet (content-visibility): nothing to measure
    for (const t of g.querySelectorAll("text")) {
      if (t.closest(".agl-badge")) continue;
      const r = t.getBBox();
      if (r.width && (r.x < b.x - 1 || r.x + r.width > b.x + b.width + 1))
        out.push(`${g.dataset.nodeId}: "${t.textContent}" spans ${r.x.toFixed(1)}..${(r.x + r.width).toFixed(1)}, ` +
                 `the box ${b.x.toFixed(1)}..${(b.x + b.width).toFixed(1)}`);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_in_jupyterlab(lesson, lab, lesson_tab):
    page = lesson_tab
    number = lesson.name[:2]
    rel = f"lessons/{lesson.name}"
    _fresh_copy(lesson, Path(lab.root_dir) / rel)

    page.evaluate(OPEN, rel)
    page.wait_for_function(KERNEL_READY, timeout=60_000)
    page.evaluate(RUN_ALL)
    try:
        page.wait_for_function(RUN_FINISHED, timeout=RUN_TIMEOUT)
    except PlaywrightError:
        pending = [_describe(i, c["source"]) for i, c in enumerate(page.evaluate(CELLS))
                   if c["type"] == "code" and c["count"] is None and c["source"].strip()]
        pytest.fail(f"{lesson.name}: Run All had not finished after {RUN_TIMEOUT // 1000} s; not run yet: "
                    + ", ".join(pending), pytrace=False)

    cells = page.evaluate(CELLS)
    assert any(c["type"] == "code" for c in cells), f"{lesson.name} has no code cell"
    problems = _check_outputs(cells, lesson.name)
    notebook = page.locator(f"[id='{page.evaluate('() => window.__aglLesson.id')}']")
    broken = notebook.locator(".jp-OutputArea-output", has_text=re.compile(r"Error displaying widget"))
    if broken.count():
        problems.append(f"ipywidgets could not display a widget: {broken.first.inner_text()[:200]}")
    assert not problems, f"{lesson.name}:\n" + "\n".join(problems)

    where = page.evaluate(WHICH_AUTOGRAD_LAB)
    assert Path(where).resolve().is_relative_to(ROOT / "autograd_lab"), \
        f"the kernel imported autograd_lab from {where}, not from this checkout {ROOT}"

    # widgets: each cell that builds one shows it, and each is drawn
    built = widgets_in(lesson)
    expected = list(built)
    said = notebook.locator("[data-testid='load-error'], [data-testid='layout-error']")
    try:
        for cls, cells_building in built.items():
            roots = notebook.locator(f"[data-testid='{WIDGETS[cls]}']")
            expect(roots.nth(cells_building - 1), f"{lesson.name}: {cells_building} cell(s) build a {cls}, "
                   f"fewer are on the page").to_be_attached(timeout=RENDER_TIMEOUT)
            for k in range(roots.count()):
                drawn = roots.nth(k).locator("tbody tr" if cls == "GradWatch" else "g.node[data-node-id]")
                expect(drawn.first, f"{lesson.name}: {cls} #{k + 1} drew nothing").to_be_attached(
                    timeout=RENDER_TIMEOUT)
    except AssertionError as err:
        raise AssertionError(f"{err}\nwhat the widgets say: {said.all_inner_texts()}") from None
    assert said.count() == 0, f"{lesson.name}: a widget says: {said.all_inner_texts()}"
    spills = notebook.evaluate(SPILLED_TEXT)
    assert not spills, f"{lesson.name}: node label text runs out of its box: {spills[:5]}"
    stray = stray_text(page)
    assert not stray, f"{lesson.name}: a widget shows a JavaScript null / undefined / NaN: {stray[:5]}"

    # the widgets, pictures and printouts as a student finds them after Run All say what the lesson's
    # text says (lesson_claims.py: first as Run All left them, then clicked as the text asks); then every
    # graph widget is usable: a click on a node opens the inspector
    AFTER_RUN_ALL[number](page, notebook, cells)
    graphs = notebook.locator("[data-testid='graph-view'], [data-testid='backward-stepper']")
    for k in range(graphs.count()):
        root = graphs.nth(k)
        root.locator("g.node[data-node-id]:not(.agl-hidden)").first.click()
        expect(root.locator("[data-testid='inspector-title']"),
               f"{lesson.name}: graph widget #{k + 1} opened no inspector").not_to_be_empty()

    # the screenshot shows the first widget, else the first drawing (SVG, then the printed text tree),
    # else the top of the lesson
    target = None
    if expected:
        target = notebook.locator(f"[data-testid='{WIDGETS[expected[0]]}']").first
    else:
        for selector in (".jp-OutputArea-output[data-mime-type='image/svg+xml']",
                         ".jp-OutputArea-output:has-text('└─')"):
            if notebook.locator(selector).count():
                target = notebook.locator(selector).first
                break
    _scroll(page, target if target is not None else notebook.locator(".jp-Cell").first)
    if target is not None:
        expect(target).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"lesson-{number}.png"), full_page=True)
    if number in DARK_SHOTS and target is not None:  # the same view in the dark theme, to look at
        try:
            _theme(page, "JupyterLab Dark")
            page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=30_000)
            page.wait_for_function(DARK_PAGE, arg=target.element_handle(), timeout=30_000)
            _scroll(page, target)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(ARTIFACTS / f"lesson-{number}-dark.png"), animations="disabled")
        finally:
            _theme(page, "JupyterLab Light")  # the lab's settings are shared with the other tests


# lessons whose screenshot is also taken in the dark theme (a theme switch costs ~5 s): a GradWatch,
# a draw() picture with an error, the steppers and NaN marks
DARK_SHOTS = ("05", "07", "13")


# ---- issue 20: after Run All, each interactive widget is usable and agrees with the lesson text ----
# (one function per lesson, in lesson_claims.py)

# ---- issue 20: a 1024x700 projector: the inspector beside the graph, the wheel scrolls the page ----
SCROLLER = "el => el.closest('.jp-WindowedPanel-outer')"
DARK_PAGE = """el => [el, el.closest('.jp-Notebook'), document.body].every(e => {
    const [r, g, b] = getComputedStyle(e).backgroundColor.match(/\\d+/g).map(Number);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 100;
})"""


def test_projector_size(lab, browser):
    lesson = next(p for p in LESSONS if p.name.startswith("13_"))
    rel = f"lessons/projector-{lesson.name}"
    _fresh_copy(lesson, Path(lab.root_dir) / rel)
    context = browser.new_context(viewport={"width": 1024, "height": 700})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _open_lab(page, lab, ["docmanager:open", "notebook:run-all-cells", "apputils:change-theme"])
        page.evaluate(OPEN, rel)
        page.wait_for_function(KERNEL_READY, timeout=60_000)
        page.evaluate(RUN_ALL)
        page.wait_for_function(RUN_FINISHED, timeout=RUN_TIMEOUT)
        notebook = page.locator(f"[id='{page.evaluate('() => window.__aglLesson.id')}']")
        view = notebook.locator("[data-testid='graph-view']").nth(1)  # bug 2's GraphView(loss, explain=[w1])
        expect(view.locator("g.node[data-node-id]").first).to_be_attached(timeout=RENDER_TIMEOUT)
        _scroll(page, view)
        viewport = view.locator("[data-testid='graph-viewport']")
        before = viewport.bounding_box()
        transform = view.locator(".agl-stage").evaluate("e => e.style.transform")

        # a click opens the inspector beside the graph, on screen, and the graph does not move
        _node(view, "MvBackward0").click()
        inspector = view.locator("[data-testid='inspector']")
        expect(inspector.locator("table").first).to_be_visible()
        box, after = inspector.bounding_box(), viewport.bounding_box()
        assert box["x"] >= after["x"] + after["width"] - 1, f"the inspector wrapped below the graph: {box} {after}"
        assert box["y"] < 700 and box["x"] + box["width"] <= 1024, f"the inspector is off screen: {box}"
        assert (round(after["x"]), round(after["width"])) == (round(before["x"]), round(before["width"])), \
            f"the graph moved when the inspector opened: {before} -> {after}"
        assert view.locator(".agl-stage").evaluate("e => e.style.transform") == transform
        # the saved-tensor table stays inside the inspector (it scrolls there if it must)
        right = inspector.evaluate("el => el.getBoundingClientRect().right")
        spill = inspector.evaluate("el => Math.max(...[...el.querySelectorAll('table, pre')]"
                                   ".map(t => t.getBoundingClientRect().right))")
        assert spill <= right + 1, f"a table or value spills out of the inspector ({spill} > {right})"
        shot(page, "projector-1024x700-light")
        light_bg = view.evaluate("el => getComputedStyle(el).backgroundColor")
        _theme(page, "JupyterLab Dark")
        page.wait_for_function("([el, before]) => getComputedStyle(el).backgroundColor !== before",
                               arg=[view.element_handle(), light_bg], timeout=30_000)
        page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=30_000)
        # the whole page dark (the theme's CSS arrives in parts), not only the widget
        page.wait_for_function(DARK_PAGE, arg=view.element_handle(), timeout=30_000)
        _scroll(page, view)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "projector-1024x700-dark.png"), animations="disabled")
        _theme(page, "JupyterLab Light")  # the lab's settings are shared with the other tests

        # the plain wheel over the graph scrolls the notebook and leaves the zoom alone
        # (the theme switch re-lays the page out: bring the graph back, point at a spot of it that is on
        # screen, and wheel the way the notebook has room to scroll)
        _scroll(page, view)
        page.wait_for_timeout(500)
        zoom = viewport.get_attribute("data-zoom")
        scroller = viewport.evaluate_handle(SCROLLER)
        top = scroller.evaluate("el => el.scrollTop")
        down = scroller.evaluate("el => el.scrollHeight - el.clientHeight - el.scrollTop > 100")
        box = viewport.bounding_box()
        x = box["x"] + box["width"] / 2
        y = max(box["y"], 0) + min(box["height"], 700 - max(box["y"], 0)) / 2
        assert viewport.evaluate("(el, [x, y]) => el.contains(document.elementFromPoint(x, y))", [x, y]), \
            f"no part of the graph is on screen to wheel over: {box}"
        page.mouse.move(x, y)
        page.mouse.wheel(0, 250 if down else -250)
        page.wait_for_function("([el, top, down]) => down ? el.scrollTop > top : el.scrollTop < top",
                               arg=[scroller, top, down], timeout=5_000)
        assert viewport.get_attribute("data-zoom") == zoom
        page.evaluate(CLOSE_ALL)
        assert not errors, errors
    finally:
        context.close()


def _theme(page, name):
    page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", name)
    light = "true" if "Light" in name else "false"
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}'", timeout=30_000)


def _scroll(page, target):
    """Scroll until `target` stays put: with content-visibility, cells above it get their real heights
    only once painted, which moves it after the first scroll."""
    last = None
    for _ in range(12):
        target.evaluate(SCROLL_TO)
        page.wait_for_timeout(150)
        top = target.evaluate("el => Math.round(el.getBoundingClientRect().top)")
        if top == last:
            return
        last = top


# ---- issue 19: a lesson saved with its widgets shows its graphs when reopened without its kernel ----
GRAPH_ROOTS = "[data-testid='graph-view'], [data-testid='backward-stepper']"
NODE_IDS = "els => els.map(e => e.dataset.nodeId).sort()"
SAVE = """async () => {
    const panel = window.__aglLesson;
    await window.jupyterapp.commands.execute('docmanager:save');
    return !panel.context.model.dirty;
}"""


@pytest.mark.parametrize("lesson", [p for p in LESSONS if p.name.startswith("13_")], ids=lambda p: p.stem)
def test_saved_lesson_shows_its_graphs_without_the_kernel(lesson, lab, lesson_tab, browser):
    page = lesson_tab
    rel = f"lessons/saved-{lesson.name}"
    _fresh_copy(lesson, Path(lab.root_dir) / rel)
    page.evaluate(OPEN, rel)
    page.wait_for_function(KERNEL_READY, timeout=60_000)
    page.evaluate(RUN_ALL)
    page.wait_for_function(RUN_FINISHED, timeout=RUN_TIMEOUT)
    notebook = page.locator(f"[id='{page.evaluate('() => window.__aglLesson.id')}']")
    roots = notebook.locator(GRAPH_ROOTS)
    expect(roots.first).to_be_attached(timeout=RENDER_TIMEOUT)
    live = []
    for k in range(roots.count()):
        nodes = roots.nth(k).locator("g.node[data-node-id]")
        expect(nodes.first).to_be_attached(timeout=RENDER_TIMEOUT)
        live.append(nodes.evaluate_all(NODE_IDS))
    assert live, f"{lesson.name} draws no graph widget"
    assert page.evaluate(SAVE), "the lesson was not saved"
    page.evaluate(CLOSE_ALL)  # its kernel shut down: nothing will answer the saved widgets

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        fresh = context.new_page()  # no bundle cached from the run above
        errors = []
        fresh.on("pageerror", lambda exc: errors.append(str(exc)))
        fresh.goto(lab.url(rel))
        pictures = fresh.locator("[data-testid='static-picture']")
        expect(pictures.nth(len(live) - 1)).to_be_attached(timeout=60_000)
        drawn = [pictures.nth(k).locator("g.node").evaluate_all(NODE_IDS) for k in range(pictures.count())]
        graphs = [ids for ids in drawn if ids]  # (a GradWatch shows its text)
        assert graphs == live, "the saved pictures do not name the nodes the live widgets drew"
        expect(fresh.locator("text=waiting for the kernel")).to_have_count(0)
        assert stray_text(fresh) == []
        _scroll(fresh, pictures.first)
        fresh.screenshot(path=str(ARTIFACTS / f"lesson-{lesson.name[:2]}-saved-no-kernel.png"))
        assert not errors, errors
    finally:
        context.close()


# ---- issue 20: the same Run All checks in Notebook 7 (the widgets work there, not only in JupyterLab) ----
NB7_RUN_FINISHED = """() => {
    const p = window.jupyterapp.shell.currentWidget;
    const k = p && p.sessionContext.session && p.sessionContext.session.kernel;
    return window.__aglRun.done && !!k && k.status === 'idle'
        && !p.content.widgets.some(c => c.hasClass('jp-mod-busy'))
        && p.content.widgets.every(c => c.model.type !== 'code' || !c.model.sharedModel.getSource().trim()
                                         || c.model.executionCount !== null);
}"""


@pytest.mark.parametrize("lesson", [p for p in LESSONS if p.name[:2] in ("03", "13")], ids=lambda p: p.stem)
def test_lesson_after_run_all_in_notebook7(lesson, notebook7, page, notebook_dir):
    from .jupyter_driver import Notebook
    rel = f"lessons/nb7-{lesson.name}"
    _fresh_copy(lesson, Path(notebook_dir) / rel)
    nb = Notebook(page, notebook7, rel)
    page.evaluate(RUN_ALL)
    page.wait_for_function(NB7_RUN_FINISHED, timeout=RUN_TIMEOUT)
    cells = page.evaluate(CELLS.replace("window.__aglLesson", "window.jupyterapp.shell.currentWidget"))
    problems = _check_outputs(cells, lesson.name)
    assert not problems, f"{lesson.name} in Notebook 7:\n" + "\n".join(problems)
    notebook = page.locator(".jp-Notebook")
    expect(notebook.locator("[data-testid='backward-stepper'] g.node[data-node-id]").first).to_be_attached(
        timeout=RENDER_TIMEOUT)
    AFTER_RUN_ALL[lesson.name[:2]](page, notebook, cells)
    shot(page, f"nb7-lesson-{lesson.name[:2]}")
    page.evaluate("async () => { const p = window.jupyterapp.shell.currentWidget; "
                  "await p.sessionContext.shutdown(); p.context.model.dirty = false; }")
