// The shared graph renderer. Graphviz (WASM) lays the DOT out ONCE per graph; after that every
// update only flips CSS classes and overlay texts on elements found by id, so a step costs a handful
// of DOM writes however big the graph is. The parts live in graph/: layout (Graphviz), drawing
// (what the SVG holds, by id), labels and badges, overlays (edge gradients, notes, NaN badges),
// clusters, viewport (zoom and pan).
import { Clusters } from "./graph/clusters.js";
import { drawPills } from "./graph/badges.js";
import { Drawing } from "./graph/drawing.js";
import { fitLabels } from "./graph/labels.js";
import { layout } from "./graph/layout.js";
import { Overlays } from "./graph/overlays.js";
import { Viewport } from "./graph/viewport.js";
import { h } from "./util.js";

export { viz } from "./graph/layout.js";

const STATES = ["pending", "current", "done", "freed", "error"];
const CODES = { p: "pending", c: "current", d: "done", f: "freed", e: "error" };  // see GraphView.state_codes

export class GraphCanvas {
  /**
   * host: the element to draw into; onSelect(id): a node was clicked.
   * draw(dot, graph) with graph = {nodes: [{id, kind, label, hooks, retains_grad, badges}], edges: [{id, source, target, index, kind}], roots}.
   */
  constructor(host, { onSelect } = {}) {
    this.host = host;
    this.onSelect = onSelect || (() => {});
    this.drawing = null;          // set by draw(), with the overlays, clusters and viewport on it
    this.overlays = null;
    this.clusters = null;
    this.viewport = null;
    this.states = {};             // node id -> state, as drawn
    this.codes = "";              // the state letters drawn last
    this.current = "";
    this.selected = "";
    this.fitted = false;          // labels squeezed and pills drawn (needs the drawing in the page)
  }

  async draw(dot, graph) {
    const timings = { graphviz: 0 };
    const svgEl = await layout(dot, timings);
    const t0 = performance.now();
    const d = this.drawing = new Drawing(svgEl, graph);
    this.overlays = new Overlays(d);
    this.clusters = new Clusters(d, this.overlays);
    this.viewport = new Viewport(d, {
      onClick: (target) => this._click(target),
      onResize: () => this._fitLabels(),
    });
    this.host.replaceChildren(this.viewport.el);
    this._fitLabels();
    this.viewport.listen();
    // read by the benchmark: Graphviz's layout (0 when cached) and the decoration, separately
    this.host.dataset.layoutMs = String(Math.round(timings.graphviz));
    this.host.dataset.decorateMs = String(Math.round(performance.now() - t0));
    return this;
  }

  _fitLabels() {
    if (this.fitted || !fitLabels(this.drawing.nodes.values())) return;
    this.fitted = true;
    // after the squeeze: the pills sit where the characters ended up
    for (const node of this.drawing.nodes.values()) drawPills(node, node.meta.badges);
  }

  _click(target) {
    const cluster = this.clusters.of(target);
    if (cluster) { this.toggleCluster(cluster); return; }
    const node = target.closest?.("g.node");
    if (node) this.onSelect(node.dataset.nodeId);
  }

  // ---- restyling (the per-step work) ----

  /** codes: one letter per node in graph.nodes order; only nodes whose letter changed are touched */
  setStateCodes(codes) {
    const { order, nodes } = this.drawing;
    const before = this.codes;
    for (let i = 0; i < order.length; i++) {
      const c = codes[i] || "p";
      if (c === (before[i] || "p")) continue;
      const id = order[i];
      this.states[id] = CODES[c] || "pending";
      const g = nodes.get(id)?.g;
      if (!g) continue;
      for (const s of STATES) g.classList.remove(`state-${s}`);
      g.classList.add(`state-${this.states[id]}`);
    }
    this.codes = codes;
    if (this.clusters.anyCollapsed) this.clusters.rollUp(this);
  }

  setCurrent(id) {
    if (id === this.current) return;
    const { nodes, edges, bySource, byTarget } = this.drawing;
    const mark = (nodeId, on) => {
      nodes.get(nodeId)?.g.classList.toggle("is-current", on);
      for (const e of bySource.get(nodeId) || []) edges.get(e)?.g.classList.toggle("is-incoming", on);
      for (const e of byTarget.get(nodeId) || []) edges.get(e)?.g.classList.toggle("is-outgoing", on);
    };
    if (this.current) mark(this.current, false);
    this.current = id || "";
    if (this.current) { mark(this.current, true); this.viewport.reveal(this.current); }
    if (this.clusters.anyCollapsed) this.clusters.rollUp(this);
  }

  setSelected(id) {
    if (id === this.selected) return;
    const { nodes } = this.drawing;
    nodes.get(this.selected)?.g.classList.remove("is-selected");
    this.selected = id || "";
    nodes.get(this.selected)?.g.classList.add("is-selected");
  }

  /** flags: {node id: "nan" | "inf"} — class has-nan, data-nonfinite and a "NaN" / "inf" badge */
  setNonfinite(flags) { this.overlays.setNonfinite(flags); }

  /** labels: {edge id: short text} — the gradient each edge carried */
  setEdgeLabels(labels) { this.overlays.setEdgeLabels(labels); }

  /** notes: {node id: text} — a line above a node (a leaf's .grad as it grows) */
  setNotes(notes) { this.overlays.setNotes(notes); }

  toggleCluster(cluster, collapsed) { this.clusters.toggle(cluster, collapsed, this); }

  zoomBy(factor, px, py) { this.viewport.zoomBy(factor, px, py); }

  reset() { this.viewport.reset(); }

  fit() { return this.viewport.fit(); }

  reveal(id) { this.viewport.reveal(id); }

  destroy() { this.viewport?.destroy(); }
}

/** The zoom toolbar every graph widget shows (data-action hooks for tests and users). */
export function zoomControls(canvas) {
  const button = (action, text, title, fn) =>
    h("button", { className: "agl-btn agl-btn-small", type: "button", dataset: { action }, title, onclick: fn }, text);
  return h("span", { className: "agl-zoom" },
    button("zoom-in", "+", "Zoom in (or use the mouse wheel)", () => canvas.zoomBy(1.25)),
    button("zoom-out", "−", "Zoom out", () => canvas.zoomBy(0.8)),
    button("zoom-reset", "fit", "Reset zoom and pan", () => canvas.reset()),
  );
}
