// The shared graph renderer. Graphviz (WASM) lays the DOT out ONCE per graph; after that every
// update only flips CSS classes and overlay texts on elements found by id, so a step costs a handful
// of DOM writes however big the graph is. Folding or unfolding a group (or a toggle) brings a new
// DOT: it is laid out in the worker while the old drawing stays, then drawn with every state and
// overlay carried over. The parts live in graph/: layout (Graphviz), drawing (what the SVG holds,
// by id), labels and badges, overlays (edge gradients, notes, NaN badges), clusters (the layer
// boxes and their fold toggle), folds (which box a folded node is drawn as), viewport (zoom and pan).
import { Clusters } from "./graph/clusters.js";
import { drawPills } from "./graph/badges.js";
import { Drawing } from "./graph/drawing.js";
import { Folds } from "./graph/folds.js";
import { fitLabels } from "./graph/labels.js";
import { draftSvg } from "./graph/draft.js";
import { laidOut, layout } from "./graph/layout.js";
import { Minimap } from "./graph/minimap.js";
import { Overlays } from "./graph/overlays.js";
import { Viewport, ZOOM_KEYS } from "./graph/viewport.js";
import { neighbourhood } from "./graph/find.js";
import { h } from "./util.js";

export { viz } from "./graph/layout.js";

const STATES = ["pending", "current", "done", "freed", "error"];
const MINIMAP_OVER = 40;         // nodes: a bigger graph gets an overview in the corner
const DRAFT_OVER = 150;          // nodes: a bigger graph is drawn as a draft first (graph/draft.js)
const CODES = { p: "pending", c: "current", d: "done", f: "freed", e: "error" };  // see GraphView.state_codes

export class GraphCanvas {
  /**
   * host: the element to draw into; onSelect(id): a node was clicked; onFold(group id, folded): a
   * folded box was clicked (unfold it) or a box's [−] (fold it).
   * draw(dot, graph, collapsed) with graph = {nodes: [{id, kind, label, hooks, retains_grad, badges}],
   * edges: [{id, source, target, index, kind}], roots, groups: [{id, kind, label, members, parent}]}.
   */
  constructor(host, { onSelect, onFold } = {}) {
    this.host = host;
    this.onSelect = onSelect || (() => {});
    this.onFold = onFold || (() => {});
    this.graph = null;
    this.folds = null;            // the folded groups of the drawing shown
    this.dot = "";                // the DOT of the drawing shown (or being laid out)
    this.toggled = "";            // the group last folded or unfolded here: kept in sight after the new layout
    this.drawing = null;          // set by draw(), with the overlays, clusters and viewport on it
    this.overlays = null;
    this.clusters = null;
    this.viewport = null;
    this.states = {};             // node id -> state, as drawn
    this.letters = [];            // the state letter drawn on each node, in graph.nodes order
    this.index = new Map();       // node id -> its place in graph.nodes
    this.current = "";
    this.selected = "";
    this.fitted = false;          // labels squeezed and pills drawn (needs the drawing in the page)
    this.focused = "";            // the node focus mode is centred on ("" when off)
    this.marked = [];             // the nodes a search found
  }

  /**
   * Lays `dot` out (in the worker) and draws it. A big graph not laid out yet is drawn at once as a
   * draft (graph/draft.js: every node, in layers) and draw() returns then; the Graphviz drawing
   * replaces it when the worker answers, with every state drawn so far carried over. `this.full`
   * settles then; host.dataset.stage says which drawing is shown ("draft" or "full").
   */
  async draw(dot, graph, collapsed = []) {
    const timings = { graphviz: 0 };
    const t0 = performance.now();
    this.graph = graph;
    this.dot = dot;
    this.folds = new Folds(graph, collapsed);
    const full = layout(dot, timings);
    const shown = this.folds.visible(graph);
    if (shown.nodes.length > DRAFT_OVER && !laidOut(dot)) {
      this._mount(draftSvg(shown), graph, "draft");
      this.host.dataset.draftMs = String(Math.round(performance.now() - t0));
      // (a fold asked for meanwhile brings its own DOT: this layout is then out of date)
      this.full = full.then((svgEl) => { if (dot === this.dot) this._swap(svgEl, graph, timings); }, (err) => {
        this.host.dataset.stage = "draft-only";
        this.viewport.el.prepend(h("div", { className: "agl-muted agl-draft-note" },
          `Graphviz could not lay this graph out (${err.message}): this is the quick drawing.`));
      });
      return this;
    }
    this._mount(await full, graph, "full", timings);
    this.full = Promise.resolve();
    return this;
  }

  _mount(svgEl, graph, stage, timings, sight = "") {
    const t0 = performance.now();
    this.viewport?.destroy();
    const d = this.drawing = new Drawing(svgEl, graph);
    if (d.nodes.has(sight)) d.focus = sight;   // a drawing too big to show whole opens there
    this.index = new Map(d.order.map((id, i) => [id, i]));
    this.overlays = new Overlays(d);
    this.clusters = new Clusters(d, this.overlays);
    this.viewport = new Viewport(d, {
      onClick: (target) => this._click(target),
      onResize: () => this._fitLabels(),
      onCull: (win) => this.overlays.cull(win),
    });
    this.fitted = stage === "draft";   // the draft's labels are cut to fit already
    this.host.replaceChildren(this.viewport.el);
    this._fitLabels();
    this.viewport.listen();
    if (d.nodes.size > MINIMAP_OVER) this.viewport.addMinimap(new Minimap(this.viewport));
    this.host.dataset.stage = stage;
    this.viewport.el.classList.toggle("is-draft", stage === "draft");
    if (stage === "draft") {
      this.viewport.el.append(h("div", { className: "agl-draft-note", dataset: { testid: "draft-note" } },
        `quick drawing of ${d.nodes.size} nodes: Graphviz is laying the graph out…`));
    }
    if (timings) {
      // read by the benchmark: Graphviz's layout (0 when cached) and the decoration, separately
      this.host.dataset.layoutMs = String(Math.round(timings.graphviz));
      this.host.dataset.layoutWhere = timings.where || "";  // worker, page or cache
      this.host.dataset.decorateMs = String(Math.round(performance.now() - t0));
    }
  }

  /**
   * Draw a new DOT of the same graph (a group folded or unfolded, saved tensors or values toggled):
   * the old drawing stays, marked data-relayout="pending", until the worker's layout arrives.
   */
  async redraw(dot, collapsed = []) {
    if (!this.drawing || dot === this.dot) return;
    this.dot = dot;
    const timings = { graphviz: 0 };
    this.host.dataset.relayout = "pending";
    const note = h("div", { className: "agl-muted agl-draft-note", dataset: { testid: "relayout-note" } }, "laying out again…");
    this.viewport.el.append(note);
    try {
      const svgEl = await layout(dot, timings);
      if (dot !== this.dot) return;   // a newer change came while this one was laid out
      this.folds = new Folds(this.graph, collapsed);
      this._swap(svgEl, this.graph, timings, this._sight());
    } finally {
      note.remove();
      if (dot === this.dot) delete this.host.dataset.relayout;
    }
  }

  /** what a new layout keeps in sight: the box just folded, or where the unfolded one now starts */
  _sight() {
    const group = this.folds.groups.get(this.toggled);
    if (!group) return this.folds.boxOf(this.current) || "";
    return this.folds.drawn.has(group.id) ? group.id : this.folds.boxOf(group.members[0]);
  }

  /** the real layout arrived: draw it, with what the draft showed (states, labels, notes, marks) */
  _swap(svgEl, graph, timings, sight = "") {
    const letters = this.letters, { edgeData, noteData, nonfinite } = this.overlays;
    const current = this.current, selected = this.selected;
    this.letters = [];
    this.current = this.selected = "";
    this._mount(svgEl, graph, "full", timings, sight);
    letters.forEach((c, i) => this._restyle(i, c || "p"));
    this.folds.rollUp(this.drawing, this);
    this.setNonfinite(nonfinite);
    this.setEdgeLabels(edgeData);
    this.setNotes(noteData);
    this.setCurrent(current);
    this.setSelected(selected);
    if (this.focused) this.setFocus(this.focused);
    this.onSwap?.();
  }

  _fitLabels() {
    if (this.fitted || !fitLabels(this.drawing.nodes.values())) return;
    this.fitted = true;
    // after the squeeze: the pills sit where the characters ended up
    for (const node of this.drawing.nodes.values()) drawPills(node, node.meta.badges);
  }

  _click(target) {
    const cluster = this.clusters.of(target);
    if (cluster) { this.toggled = cluster.group; this.onFold(cluster.group, true); return; }
    const node = target.closest?.("g.node");
    if (!node) return;
    const id = node.dataset.nodeId;
    if (this.folds.drawn.has(id)) { this.toggled = id; this.onFold(id, false); }   // a folded box opens on a click
    else this.onSelect(id);
  }

  // ---- restyling (the per-step work) ----

  /** codes: one letter per node in graph.nodes order; only nodes whose letter changed are touched */
  setStateCodes(codes) {
    const { order } = this.drawing;
    for (let i = 0; i < order.length; i++) this._restyle(i, codes[i] || "p");
    this.folds.rollUp(this.drawing, this);
  }

  /** delta: {node id: letter} — the nodes one step changed; nothing else is looked at */
  patchStates(delta) {
    for (const [id, c] of Object.entries(delta)) {
      const i = this.index.get(id);
      if (i !== undefined) this._restyle(i, c || "p");
    }
    if (this.folds.drawn.size) this.folds.rollUp(this.drawing, this, Object.keys(delta));
  }

  _restyle(i, c) {
    if (c === (this.letters[i] || "p")) return;
    this.letters[i] = c;
    const id = this.drawing.order[i];
    this.states[id] = CODES[c] || "pending";
    const g = this.drawing.nodes.get(id)?.g;
    if (!g) return;
    for (const s of STATES) g.classList.remove(`state-${s}`);
    g.classList.add(`state-${this.states[id]}`);
  }

  setCurrent(id) {
    if (id === this.current) return;
    const { nodes, edges, bySource, byTarget } = this.drawing;
    const mark = (nodeId, on) => {
      nodes.get(nodeId)?.g.classList.toggle("is-current", on);
      for (const e of bySource.get(nodeId) || []) edges.get(e)?.g.classList.toggle("is-incoming", on);
      for (const e of byTarget.get(nodeId) || []) edges.get(e)?.g.classList.toggle("is-outgoing", on);
    };
    const before = this.current;
    if (before) mark(before, false);
    this.current = id || "";
    if (this.current) { mark(this.current, true); this.viewport.reveal(this.folds.boxOf(this.current)); }
    if (this.folds.drawn.size) this.folds.rollUp(this.drawing, this, [before, this.current]);
  }

  setSelected(id) {
    if (id === this.selected) return;
    const { nodes } = this.drawing;
    nodes.get(this.selected)?.g.classList.remove("is-selected");
    this.selected = id || "";
    nodes.get(this.selected)?.g.classList.add("is-selected");
  }

  /** focus mode: every node and edge farther than FOCUS_HOPS from `id` is dimmed ("" ends it) */
  setFocus(id) {
    const d = this.drawing;
    this.focused = id && d.nodes.has(id) ? id : "";
    const near = this.focused ? neighbourhood(d, this.focused) : null;
    for (const [nid, node] of d.nodes) node.g.classList.toggle("is-faded", !!near && !near.has(nid));
    for (const edge of d.edges.values()) {
      edge.g.classList.toggle("is-faded", !!near && !(near.has(edge.info.source) && near.has(edge.info.target)));
    }
    this.host.dataset.focus = this.focused;
    if (this.focused) this.reveal(this.focused);
  }

  /** flags: {node id: "nan" | "inf"} — class has-nan, data-nonfinite and a "NaN" / "inf" badge */
  setNonfinite(flags) { this.overlays.setNonfinite(flags); }

  /** labels: {edge id: short text} — the gradient each edge carried */
  setEdgeLabels(labels) { this.overlays.setEdgeLabels(labels); }

  /** notes: {node id: text} — a line above a node (a leaf's .grad as it grows) */
  setNotes(notes) { this.overlays.setNotes(notes); }

  /** delta: {states: {node id: letter}, edge_grads: {edge id: text}, notes: {node id: text},
   * nonfinite: {node id: "nan" | "inf"}} — what one stepper step changed (BackwardStepper sends this
   * instead of the whole state; a pass only adds NaN marks, a reset sends them whole) */
  applyDelta(delta) {
    this.patchStates(delta.states || {});
    const marks = delta.nonfinite || {};
    // before the labels, which are placed clear of the badges
    if (Object.keys(marks).length) this.setNonfinite({ ...this.overlays.nonfinite, ...marks });
    this.overlays.patchEdgeLabels(delta.edge_grads || {});
    this.overlays.patchNotes(delta.notes || {});
  }

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
    button("zoom-in", "+", `Zoom in (or ${ZOOM_KEYS})`, () => canvas.zoomBy(1.25)),
    button("zoom-out", "−", "Zoom out", () => canvas.zoomBy(0.8)),
    button("zoom-reset", "fit", "Reset zoom and pan", () => canvas.reset()),
  );
}
