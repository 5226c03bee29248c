// The bundle's entry: the loader (see loader.js) imports this once per page and calls
// render(kind, {model, el}) for every widget.
import css from "./style.css";
import { render as backwardStepper } from "./backward_stepper.js";
import { render as gradWatch } from "./grad_watch.js";
import { render as graphView } from "./graph_view.js";
import { serveLayouts } from "./graph/layout.js";

const WIDGETS = { "graph-view": graphView, "backward-stepper": backwardStepper, "grad-watch": gradWatch };

function injectStyle() {
  // once per page, not per widget: anywidget's per-class _css would be stored in every saved widget
  const id = "autograd-lab-style";
  const existing = document.getElementById(id);
  if (existing) { if (existing.textContent !== css) existing.textContent = css; return; }
  const style = document.createElement("style");
  style.id = id;
  style.textContent = css;
  document.head.append(style);
}

export async function render(kind, ctx) {
  injectStyle();
  const widget = WIDGETS[kind];
  if (!widget) throw new Error(`autograd_lab: no widget called ${kind}`);
  const cleanup = await widget(ctx);
  return typeof cleanup === "function" ? cleanup : () => {};
}

// the same bundle runs as the layout worker (see graph/layout.js)
if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) serveLayouts(self);

export { viz } from "./graph.js";
export { GraphCanvas } from "./graph.js";
