// The legend under a graph: one swatch per kind of box and state the graph can show, drawn with the
// very CSS rules that colour the nodes (class agl-key instead of node), so the key cannot drift from
// the drawing. draw() (autograd_lab/viz/dot.py) uses the same code: orange is "running now" only.
import { h, svg } from "./util.js";

const KINDS = [
  ["leaf", "leaf tensor"], ["op", "op (grad_fn)"], ["output", "output"], ["saved", "saved tensor"],
];
const STATES = [["current", "running now"], ["done", "done"]];

function swatch(classes) {
  const box = svg("svg", { class: "agl-legend-swatch", width: 22, height: 14, viewBox: "0 0 22 14", "aria-hidden": "true" });
  const g = svg("g", { class: `agl-key ${classes}` });
  g.append(svg("polygon", { points: "1.5,1.5 20.5,1.5 20.5,12.5 1.5,12.5" }));
  box.append(g);
  return box;
}

function pill(kind, text) {
  return h("span", { className: `agl-legend-pill agl-legend-pill-${kind}` }, text);
}

/** graph: the payload ({nodes}); stepper: true for BackwardStepper (adds "running now" and "done") */
export function legend(graph, { stepper = false } = {}) {
  const nodes = graph.nodes || [];
  const kinds = new Set(nodes.map((n) => n.kind));
  if (graph.show_saved === false) kinds.delete("saved");  // not drawn: no key for it
  const item = (key, classes, text) => h("span", { className: "agl-legend-item", dataset: { key } }, swatch(classes), text);
  const items = KINDS.filter(([k]) => kinds.has(k)).map(([k, text]) => item(k, `kind-${k} state-pending`, text));
  if (stepper) items.push(...STATES.map(([s, text]) => item(s, `kind-op state-${s}`, text)));
  items.push(item("freed", "kind-op state-freed", "freed (buffers gone)"), item("error", "kind-op state-error", "error"));
  items.push(item("nan", "kind-op has-nan", "holds NaN / inf"));
  // a folded group: shown while one is folded (the root's has-folds: they come and go as the reader folds)
  if ((graph.groups || []).length) items.push(item("group", "kind-group state-pending", "folded group (click to open)"));
  const badges = new Set(nodes.flatMap((n) => (n.badges || []).map((b) => b.kind)).filter(Boolean));
  if (badges.has("hook")) items.push(h("span", { className: "agl-legend-item", dataset: { key: "hook" } }, pill("hook", "hook"), "hook registered"));
  if (badges.has("retain")) items.push(h("span", { className: "agl-legend-item", dataset: { key: "retain" } }, pill("retain", "retains grad"), "retain_grad()"));
  return h("div", { className: "agl-legend", dataset: { testid: "legend" } }, ...items);
}
