"""How fast the graph widgets are in Chromium (a script, not a timed test).

    .venv/bin/python benchmarks/bench_widgets.py [--nodes 300] [--shot test-artifacts/bench.png]

Builds a graph of about N drawn nodes with the real engine, takes the real BackwardStepper's trait
values (the DOT, the graph, and the state after every step), and plays them into the real bundle
(autograd_lab/static/widgets.js) in headless Chromium through a stand-in for anywidget's model.
No Jupyter: what is measured is the widget code alone.

Prints: the first layout (Graphviz WASM start, layout, decoration; goal <= 1 s) and one step's
restyle (the trait change applied and the page's style recomputed; goal <= 16 ms, one frame).
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
  send(msg) { this.sent.push(msg); }
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


def stepper_payloads(n_nodes):
    from autograd_lab.widgets import BackwardStepper
    loss, _ = build_graph(n_nodes)
    t0 = time.perf_counter()
    s = BackwardStepper(loss, retain_graph=True)
    build_ms = (time.perf_counter() - t0) * 1000
    keys = ["dot", "graph", "state_codes", "current", "edge_grads", "notes", "selected", "inspector", "error_info",
            "summary", "done", "can_reset", "reset_reason", "step_reason", "step_index", "total_steps"]
    initial = {k: getattr(s, k) for k in keys}
    steps, py_ms = [], []
    for _ in range(s.total):
        t0 = time.perf_counter()
        s.step()
        py_ms.append((time.perf_counter() - t0) * 1000)
        steps.append({k: getattr(s, k) for k in ("state_codes", "current", "edge_grads", "notes", "step_index",
                                                  "summary", "done")})
    return initial, steps, len(s.snapshot.nodes), build_ms, py_ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=300)
    ap.add_argument("--shot", default=str(ROOT / "test-artifacts" / "bench.png"))
    args = ap.parse_args()
    bundle = ROOT / "autograd_lab" / "static" / "widgets.js"
    if not bundle.exists():
        sys.exit(f"{bundle} is missing: run `npm install && npm run build` in widgets/")
    from playwright.sync_api import sync_playwright

    initial, steps, drawn, build_ms, py_ms = stepper_payloads(args.nodes)
    print(f"graph: {drawn} drawn nodes, {len(steps)} engine steps, DOT {len(initial['dot']) / 1024:.0f} KB")
    print(f"python: BackwardStepper(...) {build_ms:.0f} ms; one step (engine + traits) "
          f"median {statistics.median(py_ms):.2f} ms, max {max(py_ms):.2f} ms")
    step_bytes = [len(json.dumps(s)) for s in steps]
    print(f"one step's trait payload: median {statistics.median(step_bytes) / 1024:.1f} KB, "
          f"max {max(step_bytes) / 1024:.1f} KB (the DOT is sent once)")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route(f"{ORIGIN}/**", lambda route: route.fulfill(
            status=200, content_type="text/javascript" if route.request.url.endswith(".js") else "text/html",
            body=bundle.read_bytes() if route.request.url.endswith(".js") else PAGE))
        page.goto(f"{ORIGIN}/index.html")
        page.wait_for_function("window.ready === true")
        first = page.evaluate("""async ({ url, state }) => {
            const t0 = performance.now();
            const mod = await import(url);
            const t1 = performance.now();
            await mod.viz();                       // Graphviz's WASM, once per page
            const t2 = performance.now();
            window.model = new Model(state);
            const el = document.getElementById("host");
            window.cleanup = await mod.render("backward-stepper", { model: window.model, el });
            el.getBoundingClientRect();            // include the first style and layout
            const t3 = performance.now();
            return { import: t1 - t0, wasm: t2 - t1, render: t3 - t2, total: t3 - t0,
                     nodes: el.querySelectorAll("[data-node-id]").length,
                     layoutMs: Number(el.querySelector(".agl-graph").dataset.layoutMs),
                     decorateMs: Number(el.querySelector(".agl-graph").dataset.decorateMs) };
        }""", {"url": f"{ORIGIN}/widgets.js", "state": initial})
        print(f"browser: {first['nodes']} nodes drawn")
        print(f"first layout: {first['total']:.0f} ms in all = import {first['import']:.0f} + WASM start "
              f"{first['wasm']:.0f} + layout, decoration and first paint {first['render']:.0f} ms "
              f"(of which Graphviz {first['layoutMs']} ms, decoration {first['decorateMs']} ms)   goal <= 1000 ms")
        times = page.evaluate("""async (steps) => {
            const out = [];
            for (const s of steps) {
              const t0 = performance.now();
              for (const [k, v] of Object.entries(s)) window.model.set(k, v);
              await Promise.resolve();             // the widget applies a batch of changes in one microtask
              await Promise.resolve();
              const cur = document.querySelector(".is-current");
              if (cur) getComputedStyle(cur.querySelector("path, polygon")).fill;   // force the style recalc
              document.body.getBoundingClientRect();                                  // and the layout
              out.push(performance.now() - t0);
            }
            return out;
        }""", steps)
        worst_at = max(range(len(times)), key=times.__getitem__)
        ordered = sorted(times)
        med, p95, worst = statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))], ordered[-1]
        print(f"one step's restyle: median {med:.2f} ms, p95 {p95:.2f} ms, max {worst:.2f} ms (step {worst_at + 1}) "
              f"over {len(times)} steps   goal <= 16 ms")
        Path(args.shot).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=args.shot, full_page=False)
        print(f"screenshot: {args.shot}")
        if errors:
            print("console errors:", *errors, sep="\n  ")
        browser.close()


if __name__ == "__main__":
    main()
