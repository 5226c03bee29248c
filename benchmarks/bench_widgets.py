"""How fast the graph widgets are in Chromium (a script, not a timed test).

    .venv/bin/python benchmarks/bench_widgets.py [--graphs rnn,mlp,transformer] [--sizes 500,1000,3000] [--collapse auto]

Builds graphs of realistic shape with the real engine (benchmarks/widget_graphs.py: a recurrent loop
on shared weights, a deep MLP, transformer-like blocks; "chain" is the old easy case), takes the
real BackwardStepper's opening traits and the update messages each step of the whole pass sends
(what the comm carries), and plays them into the real bundle (autograd_lab/static/widgets.js) in
headless Chromium through a stand-in for anywidget's model. No Jupyter: the kernel's share of a
click is the measured Python step.

Prints per graph: the time to the first useful drawing (goal <= 1 s at 1,000 nodes), to the full
layout, and click to paint per stepper step (a real click on the step button, each of the step's
messages applied in a task of its own as the comm would, up to the first task after the next
animation frame; goal <= 50 ms) over the first --steps steps of the pass and again over its last
--steps (the steps between applied at once), with the kernel's step. --trace adds the CPU time a
click costs per phase (script, style, layout, paint, raster). Screenshots go to
test-artifacts/bench-<graph>-<n>.png.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ORIGIN = "http://bench.autograd-lab.invalid"  # served by page.route: no socket is opened

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>bench</title></head>
<body style="margin:0;width:1200px"><div id="host"></div>
<script type="module">
class Model {
  constructor(state) { this.state = state; this.handlers = new Map(); this.sent = []; }
  get(k) { return this.state[k]; }
  set(k, v) { this.state[k] = v; this.emit(`change:${k}`); }
  save_changes() {}
  send(msg) { this.sent.push(msg); this.onSend && this.onSend(msg); }
  on(ev, fn) { if (!this.handlers.has(ev)) this.handlers.set(ev, new Set()); this.handlers.get(ev).add(fn); }
  off(ev, fn) { this.handlers.get(ev)?.delete(fn); }
  emit(ev, ...args) { for (const fn of this.handlers.get(ev) || []) fn(...args); }
}
window.Model = Model;
window.ready = true;
</script></body></html>"""


def build_graph(n_nodes):
    """A chain of small blocks ((h * w_i) + b_i).tanh(): about n_nodes drawn nodes with saved tensors."""
    import autograd_lab as torch
    torch.manual_seed(0)
    x = torch.randn(4, requires_grad=True)
    h, params = x, [x]
    # each block draws mul (+2 saved), add, tanh (+1 saved) and two leaves: 8 nodes
    for _ in range(max(1, n_nodes // 8)):
        w = torch.randn(4, requires_grad=True)
        b = torch.randn(4, requires_grad=True)
        params += [w, b]
        h = (h * w + b).tanh()
    return h.sum(), params


def stepper_payloads(kind, n_nodes, collapse=False):
    """The real BackwardStepper on a graph of `kind` ("chain", "rnn", "mlp", "transformer"): its opening
    traits, then the messages each step of the whole pass sends (what the comm carries: the `delta`
    and the small traits a step changed; the whole state at the pass's end)."""
    from autograd_lab.widgets import BackwardStepper
    if kind == "chain":
        loss, params = build_graph(n_nodes)
        params = None
    else:
        from widget_graphs import sized
        loss, params, _ = sized(kind, n_nodes)
    t0 = time.perf_counter()
    s = BackwardStepper(loss, params=params, retain_graph=True, collapse=collapse)
    build_ms = (time.perf_counter() - t0) * 1000
    keys = [k for k in s.keys if not k.startswith("_") and k not in ("layout", "static_svg")]
    initial = {k: getattr(s, k) for k in keys}
    sent = []
    # ipywidgets hands every update to _send (a no-op without a kernel): keep them instead
    s._send = lambda msg, buffers=None: sent.append(msg["state"])
    steps, py_ms = [], []
    while not s.done and s.error is None:
        sent.clear()
        t0 = time.perf_counter()
        s.step()
        py_ms.append((time.perf_counter() - t0) * 1000)
        steps.append(json.loads(json.dumps(sent)))
    return initial, steps, len(s.snapshot.nodes), len(s.snapshot.edges), build_ms, py_ms


IN_PAGE_FIRST = """async ({ url, state, timeout }) => {
    const t0 = performance.now();
    // as the loader does: the bundle's bytes imported from a Blob URL (the layout worker starts from it)
    window.bundleUrl ||= URL.createObjectURL(new Blob([await (await fetch(url)).text()], { type: "text/javascript" }));
    const mod = await import(window.bundleUrl);
    const t1 = performance.now();
    await mod.viz();                       // Graphviz's WASM on the page (the worker has its own)
    const t2 = performance.now();
    window.model = new Model(state);
    const el = document.getElementById("host");
    el.replaceChildren();
    const shown = (sel) => el.querySelector(sel);
    // the first drawing anything useful is on screen: nodes with ids (the overview or the full graph)
    let firstAt = null;
    const seen = new Promise((resolve) => {
      const check = () => { if (firstAt === null && shown("[data-node-id]")) {
        firstAt = performance.now(); resolve(); } };
      new MutationObserver(check).observe(el, { childList: true, subtree: true });
    });
    const t3 = performance.now();
    const rendered = mod.render("backward-stepper", { model: window.model, el }).then((c) => { window.cleanup = c; });
    await Promise.race([seen, new Promise((r) => setTimeout(r, timeout))]);
    await new Promise(requestAnimationFrame);
    const first = firstAt === null ? null : performance.now() - t3;
    const firstNodes = el.querySelectorAll("[data-node-id]").length;
    await rendered;
    const host = el.querySelector(".agl-graph");
    const deadline = performance.now() + timeout;
    while (host.dataset.stage && host.dataset.stage !== "full" && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise(requestAnimationFrame);
    const full = host.dataset.stage && host.dataset.stage !== "full" ? null : performance.now() - t3;
    return { import: t1 - t0, wasm: t2 - t1, first, full, firstNodes,
             stage: host.dataset.stage || "full",
             nodes: el.querySelectorAll("[data-node-id]").length,
             layoutMs: Number(host.dataset.layoutMs), where: host.dataset.layoutWhere, decorateMs: Number(host.dataset.decorateMs) };
}"""

# Click to paint: a real click on the step button; the stand-in model answers the widget's message
# the way the comm does, each of the step's messages in a task of its own; the clock stops at the
# first task after the next animation frame (that frame's style, layout and paint are done).
IN_PAGE_CLICKS = """async (steps) => {
    const out = [];
    const btn = document.querySelector("[data-action='step']");
    for (const messages of steps) {
      const painted = new Promise((resolve) => {
        window.model.onSend = () => {
          const deliver = (i) => setTimeout(() => {
            for (const [k, v] of Object.entries(messages[i])) window.model.set(k, v);
            if (i + 1 < messages.length) { deliver(i + 1); return; }
            queueMicrotask(() => queueMicrotask(() => requestAnimationFrame(() => {
              const frame = performance.now();
              setTimeout(() => resolve([frame, performance.now()]), 0);
            })));
          }, 0);
          deliver(0);
        };
      });
      const t0 = performance.now();
      btn.click();
      const [frame, done] = await painted;
      out.push([frame - t0, done - t0]);
      await new Promise((r) => setTimeout(r, 0));
    }
    window.model.onSend = null;
    return out;
}"""

# Steps taken without a click and without waiting for paint (to get late into a pass quickly): the
# traits as one message would bring them, then two frames to settle.
IN_PAGE_SKIP = """async (state) => {
    for (const [k, v] of Object.entries(state)) window.model.set(k, v);
    await new Promise(requestAnimationFrame);
    await new Promise(requestAnimationFrame);
}"""


def merged(steps):
    """The messages of several steps as one: `delta`'s parts merged in order, the other traits the last."""
    out, delta = {}, {"states": {}, "edge_grads": {}, "notes": {}}
    for messages in steps:
        for state in messages:
            for k, v in state.items():
                if k == "delta":
                    for part in ("states", "edge_grads", "notes"):
                        delta[part].update(v.get(part) or {})
                    delta["seq"] = v.get("seq")
                else:
                    out[k] = v
    return {**out, "delta": delta}


# Where a stepper step's time goes in Chromium: the trace events of the main thread (and the raster
# and compositor threads), summed over the measured clicks.
TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "cc", "gpu"]
PHASES = {"FunctionCall": "script", "EvaluateScript": "script", "TimerFire": "script",
          "FireAnimationFrame": "script", "RunMicrotasks": "script", "UpdateLayoutTree": "style",
          "Layout": "layout", "PrePaint": "pre-paint", "Paint": "paint", "Layerize": "layerize",
          "Commit": "commit", "RasterTask": "raster"}


def trace_breakdown(trace_bytes, n_clicks):
    """CPU ms per click of each phase (the thread time of complete events, so other processes on the
    machine inflate it less than the wall clock; nested script calls counted once)."""
    events = json.loads(trace_bytes)
    events = events.get("traceEvents", events) if isinstance(events, dict) else events
    threads = {(e["pid"], e["tid"]): e["args"].get("name", "") for e in events
               if e.get("ph") == "M" and e.get("name") == "thread_name"}
    totals = {}
    open_script = {}
    for e in sorted((e for e in events if e.get("ph") == "X" and e.get("name") in PHASES), key=lambda e: e["ts"]):
        phase = PHASES[e["name"]]
        thread = threads.get((e["pid"], e["tid"]), "")
        if phase == "script":  # a FunctionCall inside a TimerFire is the same time
            key = (e["pid"], e["tid"])
            if e["ts"] < open_script.get(key, 0):
                continue
            open_script[key] = e["ts"] + e.get("dur", 0)
        if phase == "raster" or thread.startswith("Compositor"):
            phase += " (other threads)" if not thread.startswith("CrRendererMain") else ""
        totals[phase] = totals.get(phase, 0) + e.get("tdur", e.get("dur", 0)) / 1000
    return {k: v / n_clicks for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def _clicks(page, steps, py_ms):
    pairs = page.evaluate(IN_PAGE_CLICKS, steps)
    frames, times = [f for f, _ in pairs], [d for _, d in pairs]
    total = [t + p for t, p in zip(times, py_ms)]
    return dict(frame_med=statistics.median(frames), frame_max=max(frames), click_med=statistics.median(times),
                click_max=max(times), total_med=statistics.median(total), total_max=max(total), n=len(times))


def measure(page, kind, n_nodes, n_steps, timeout_ms, shot=None, trace=None, collapse=False):
    initial, steps, drawn, n_edges, build_ms, py_ms = stepper_payloads(kind, n_nodes, collapse)
    row = {"graph": kind, "nodes": drawn, "edges": n_edges, "python_ms": build_ms, "pass_steps": len(steps),
           "dot_kb": len(initial["dot"]) / 1024, "graph_kb": len(json.dumps(initial["graph"])) / 1024,
           "open_kb": len(json.dumps(initial)) / 1024}
    first = page.evaluate(IN_PAGE_FIRST, {"url": f"{ORIGIN}/widgets.js", "state": initial, "timeout": timeout_ms})
    row.update(first)
    if steps and first["full"] is not None:
        early = steps[:n_steps]
        if trace:
            page.context.browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
        row["early"] = _clicks(page, early, py_ms[:n_steps])
        if trace:
            row["trace"] = trace_breakdown(page.context.browser.stop_tracing(), len(early))
        # late in the pass: every gradient and note the pass wrote so far is on the page
        late_from = len(steps) - n_steps
        if late_from > n_steps:
            page.evaluate(IN_PAGE_SKIP, merged(steps[n_steps:late_from]))
            row["late"] = _clicks(page, steps[late_from:], py_ms[late_from:])
        step_bytes = [len(json.dumps(m)) for m in steps]
        row.update(py_step_med=statistics.median(py_ms), py_step_max=max(py_ms),
                   step_kb_med=statistics.median(step_bytes) / 1024, step_kb_max=max(step_bytes) / 1024)
    if shot:
        page.screenshot(path=shot, full_page=False)
    page.evaluate("() => { window.cleanup && window.cleanup(); document.getElementById('host').replaceChildren(); }")
    return row


def fmt_ms(v):
    return "—" if v is None else f"{v:.0f}"


def _pair(c, key):
    return f"{c[key + '_med']:.1f} / {c[key + '_max']:.1f} ms"


def print_row(r):
    print(f"{r['graph']:<11} {r['nodes']:>5} nodes {r['edges']:>5} edges | Python {r['python_ms']:.0f} ms, "
          f"opening message {r['open_kb']:.0f} KB (DOT {r['dot_kb']:.0f} KB) | first drawing "
          f"{fmt_ms(r['first'])} ms ({r['firstNodes']} nodes) | full layout {fmt_ms(r['full'])} ms "
          f"(Graphviz {r['layoutMs']} ms in the {r['where']}, decoration {r['decorateMs']} ms)", flush=True)
    for when in ("early", "late"):
        if when in r:
            c = r[when]
            print(f"{'':<11} {'first' if when == 'early' else 'last'} {c['n']} of {r['pass_steps']} steps: click to "
                  f"paint (median / max) {_pair(c, 'click')}, to the next frame {_pair(c, 'frame')}, with the "
                  f"kernel's step {_pair(c, 'total')}", flush=True)
    if "py_step_med" in r:
        print(f"{'':<11} kernel step median {r['py_step_med']:.1f} ms, max {r['py_step_max']:.1f} | step message "
              f"median {r['step_kb_med']:.2f} KB, max {r['step_kb_max']:.1f} KB", flush=True)
    if "trace" in r:
        print(f"{'':<11} CPU per click (first steps, trace): " +
              ", ".join(f"{k} {v:.1f} ms" for k, v in r["trace"].items()), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--graphs", default="rnn,mlp,transformer", help="comma-separated: chain, rnn, mlp, transformer")
    ap.add_argument("--sizes", default="500,1000,3000", help="comma-separated drawn-node counts")
    ap.add_argument("--steps", type=int, default=100,
                    help="stepper clicks measured at the start of the pass, and again at its end")
    ap.add_argument("--timeout", type=float, default=180, help="seconds to wait for a layout")
    ap.add_argument("--collapse", choices=["off", "auto"], default="off",
                    help="off: every node drawn (the default here, the worst case); auto: the widgets' default, "
                         "repeated blocks of a big graph folded")
    ap.add_argument("--shots", default=str(ROOT / "test-artifacts"), help="folder for bench-<graph>-<n>.png")
    ap.add_argument("--trace", action="store_true",
                    help="record a Chromium trace of the first clicks and print where their time went")
    args = ap.parse_args()
    bundle = ROOT / "autograd_lab" / "static" / "widgets.js"
    if not bundle.exists():
        sys.exit(f"{bundle} is missing: run `npm install && npm run build` in widgets/")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from playwright.sync_api import sync_playwright

    Path(args.shots).mkdir(parents=True, exist_ok=True)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(args.timeout * 1000 + 60_000)
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route(f"{ORIGIN}/**", lambda route: route.fulfill(
            status=200, content_type="text/javascript" if route.request.url.endswith(".js") else "text/html",
            body=bundle.read_bytes() if route.request.url.endswith(".js") else PAGE))
        page.goto(f"{ORIGIN}/index.html")
        page.wait_for_function("window.ready === true")
        collapse = "auto" if args.collapse == "auto" else False
        suffix = "-folded" if collapse else ""
        for kind in args.graphs.split(","):
            for n in map(int, args.sizes.split(",")):
                shot = str(Path(args.shots) / f"bench-{kind}-{n}{suffix}.png")
                rows.append(measure(page, kind, n, args.steps, args.timeout * 1000, shot, args.trace, collapse))
                print_row(rows[-1])
        if errors:
            print("console errors:", *errors, sep="\n  ")
        browser.close()
    print()
    n = args.steps
    print(f"| graph | nodes | edges | first useful drawing | full layout | click to paint, first {n} steps "
          f"(median / max) | click to paint, last {n} steps (median / max) | click to next frame, first {n} "
          "(median / max) | kernel step (median / max) | step message (median) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        early, late = r.get("early"), r.get("late")
        cells = [r["graph"], r["nodes"], r["edges"], f"{fmt_ms(r['first'])} ms", f"{fmt_ms(r['full'])} ms",
                 _pair(early, "click") if early else "—", _pair(late, "click") if late else "—",
                 _pair(early, "frame") if early else "—",
                 _pair(r, "py_step") if "py_step_med" in r else "—",
                 f"{r['step_kb_med'] * 1024:.0f} B" if "step_kb_med" in r else "—"]
        print("| " + " | ".join(map(str, cells)) + " |")

if __name__ == "__main__":
    main()
