// The shared graph renderer. Graphviz (WASM) lays the DOT out ONCE per graph; after that every
// update only flips CSS classes and overlay texts on elements found by id, so a step costs a handful
// of DOM writes however big the graph is.
import { instance } from "@viz-js/viz";
import { bboxOf, centreInside, overlaps, pointAlong, sampleEdge } from "./geometry.js";
import { changedKeys, h, svg } from "./util.js";

let vizPromise = null;            // one WASM instance per page, shared by every view
const layouts = new Map();        // dot source -> laid-out SVG, so a second view of a graph is a clone
const MAX_CACHED_LAYOUTS = 16;
const PAD = 40;                   // room around the drawing for the overlay texts
const MAX_HEIGHT = 560;           // the viewport's height cap (px); it is resizable by the user
const MIN_FIT = 0.45;             // below this zoom node labels are unreadable: pan instead
const CHAR_W = 6.1, LINE_H = 11;  // the overlay font's box per character (10px monospace), for collisions
const EXTRAS = /^(\d+ hooks?|retains grad|no grad)(, (retains grad|no grad))*$/;  // dot.py's last label line
const ALONG = [0.5, 0.35, 0.65, 0.22, 0.78, 0.42, 0.58];  // where on an edge its label may sit, best first

export function viz() {
  vizPromise ||= instance();
  return vizPromise;
}

async function layout(dot, timings) {
  let cached = layouts.get(dot);
  if (!cached) {
    const v = await viz();
    const t0 = performance.now();
    cached = v.renderSVGElement(dot);
    timings.graphviz = performance.now() - t0;
    layouts.set(dot, cached);
    if (layouts.size > MAX_CACHED_LAYOUTS) layouts.delete(layouts.keys().next().value);
  }
  return cached.cloneNode(true);
}

const STATES = ["pending", "current", "done", "freed", "error"];
const CODES = { p: "pending", c: "current", d: "done", f: "freed", e: "error" };  // see GraphView.state_codes

export class GraphCanvas {
  /**
   * host: the element to draw into; graph: {nodes:[{id,kind,label,hooks,retains_grad}], edges:[{id,source,target,index}]};
   * onSelect(id): a node was clicked.
   */
  constructor(host, { onSelect } = {}) {
    this.host = host;
    this.onSelect = onSelect || (() => {});
    this.nodes = new Map();       // id -> <g class="node">
    this.edges = new Map();       // edge id -> <g class="edge">
    this.bySource = new Map();    // node id -> [edge id] (forward direction: the node feeds these)
    this.byTarget = new Map();    // node id -> [edge id] (the node consumes these)
    this.edgeLabels = new Map();  // edge id -> overlay <text>
    this.notes = new Map();       // node id -> overlay <text>
    this.nonfinite = {};          // node id -> "nan" | "inf" (class has-nan and a badge)
    this.clusters = [];           // {g, box, members:Set, collapsed, summary}
    this.states = {};
    this.current = "";
    this.selected = "";
    this.view = { k: 1, x: 0, y: 0 };
    this.touched = false;         // the user zoomed or panned: stop auto-fitting on resize
    this.cleanups = [];
  }

  async draw(dot, graph) {
    const timings = { graphviz: 0 };
    const el = await layout(dot, timings);
    const t0 = performance.now();
    this.svg = el;
    this.root = el.querySelector("g.graph") || el;
    this._decorate(graph);
    this.viewport = h("div", { className: "agl-viewport", dataset: { testid: "graph-viewport" } });
    this.stage = h("div", { className: "agl-stage" });
    this.stage.append(el);
    this.viewport.append(this.stage);
    this.host.replaceChildren(this.viewport);
    this._fitLabels();
    this._interact();
    // read by the benchmark: Graphviz's layout (0 when cached) and the decoration, separately
    this.host.dataset.layoutMs = String(Math.round(timings.graphviz));
    this.host.dataset.decorateMs = String(Math.round(performance.now() - t0));
    return this;
  }

  _decorate(graph) {
    const meta = new Map((graph.nodes || []).map((n) => [n.id, n]));
    this.meta = meta;
    this.order = (graph.nodes || []).map((n) => n.id);
    const svgEl = this.svg;
    // size the drawing in CSS pixels, one per Graphviz unit, with some margin for the overlays
    const [vx, vy, vw, vh] = (svgEl.getAttribute("viewBox") || "0 0 100 100").split(/[\s,]+/).map(Number);
    svgEl.setAttribute("viewBox", `${vx - PAD} ${vy - PAD} ${vw + 2 * PAD} ${vh + 2 * PAD}`);
    svgEl.setAttribute("width", vw + 2 * PAD);
    svgEl.setAttribute("height", vh + 2 * PAD);
    this.size = { w: vw + 2 * PAD, h: vh + 2 * PAD };
    // where a point of the drawing lands in the stage: Graphviz translates its root group
    const m = /translate\(\s*([-\d.e]+)[\s,]+([-\d.e]+)\s*\)/.exec(this.root.getAttribute?.("transform") || "");
    this.origin = { x: (m ? +m[1] : 0) - (vx - PAD), y: (m ? +m[2] : 0) - (vy - PAD) };
    this.focus = (graph.roots || [])[0] || "";
    svgEl.classList.add("agl-svg");

    this.overlay = svg("g", { class: "agl-overlay" });
    for (const g of svgEl.querySelectorAll("g.node")) {
      const title = g.querySelector(":scope > title");
      const id = title ? title.textContent : g.id;
      const info = meta.get(id) || {};
      g.dataset.nodeId = id;
      // the DOT carries the state it was drawn in (al-state-…); from here on state-… classes rule
      for (const c of [...g.classList]) if (c.startsWith("al-state-")) g.classList.remove(c);
      g.classList.add("agl-node", `kind-${info.kind || "op"}`, "state-pending");
      if (title) title.textContent = info.label ? `${info.label} (${id})` : id;
      this.nodes.set(id, g);
      g._box = bboxOf(g);
      this._badges(g, info);
    }
    // edges: by the id the DOT gives each one (viz/dot.py writes id=<edge id>; Graphviz copies it to
    // the <g>). The id attribute then moves to data-edge-id: two views of one graph on a page would
    // otherwise carry the same element ids.
    const wanted = new Map((graph.edges || []).map((e) => [e.id, e]));
    for (const g of svgEl.querySelectorAll("g.edge")) {
      const info = wanted.get(g.id);
      if (!info) continue;
      wanted.delete(info.id);
      g.removeAttribute("id");
      g.dataset.edgeId = info.id;
      g.classList.add("agl-edge", `edge-${info.kind || "data"}`);
      this.edges.set(info.id, g);
      g._info = info;
      push(this.bySource, info.source, info.id);
      push(this.byTarget, info.target, info.id);
    }
    for (const g of svgEl.querySelectorAll("g.cluster")) {
      const box = bboxOf(g);
      const members = new Set();
      for (const [id, node] of this.nodes) if (centreInside(node._box, box)) members.add(id);
      const name = g.querySelector(":scope > title")?.textContent || "";
      const label = g.querySelector(":scope > text");
      g.classList.add("agl-cluster");
      g.dataset.cluster = name;
      const cluster = { g, box, members, collapsed: false, name };
      // top-right corner: Graphviz puts the module's name top-left
      const toggle = svg("text", {
        class: "agl-cluster-toggle", x: box.x1 - 6, y: box.y0 + 13, "data-action": "toggle-cluster",
      });
      toggle.append(document.createTextNode("[−]"), svg("title"));
      toggle.lastChild.textContent = `collapse or expand ${label?.textContent || "this module"}`;
      toggle._cluster = cluster;
      if (label) { label.dataset.action = "toggle-cluster"; label._cluster = cluster; label.classList.add("agl-cluster-label"); }
      const summary = svg("text", { class: "agl-cluster-summary", x: (box.x0 + box.x1) / 2, y: (box.y0 + box.y1) / 2 + 4 });
      summary.textContent = `${members.size} nodes (collapsed)`;
      cluster.summary = summary;
      cluster.toggle = toggle;
      this.overlay.append(toggle, summary);
      this.clusters.push(cluster);
    }
    this.root.append(this.overlay);
  }

  _badges(g, info) {
    g.classList.toggle("has-hook", !!info.hooks);
    g.classList.toggle("retains-grad", !!info.retains_grad);
  }

  /**
   * Hooks and retain_grad are a line of the node's label ("2 hooks, retains grad"), so Graphviz made
   * room for them: each part becomes a badge where it stands (a pill drawn behind its characters),
   * covering no edge and no other node. Needs the drawing in the document, like _fitLabels.
   */
  _pills(g) {
    const info = this.meta.get(g.dataset.nodeId) || {};
    if (!info.hooks && !info.retains_grad) return;
    const line = [...g.querySelectorAll("text")].reverse().find((t) => EXTRAS.test(t.textContent));
    if (!line || line.dataset.pills) return;
    const text = line.textContent;
    const box = line.getBBox();  // measured while the line still holds its text
    // a text box is taller than the line pitch Graphviz used: trimmed, a pill leaves the line above alone
    const h = box.height * 0.86, y = box.y + box.height * 0.12;
    line.dataset.pills = "1";
    line.textContent = "";
    let at = 0;
    for (const [i, part] of text.split(", ").entries()) {
      if (i) line.append(Object.assign(svg("tspan", { class: "agl-pill-gap" }), { textContent: ", " }));
      const span = Object.assign(svg("tspan"), { textContent: part });
      line.append(span);
      at += (i ? 2 : 0);
      const kind = /hook/.test(part) ? "hook" : /retains/.test(part) ? "retain" : "";
      if (kind) {
        const x0 = line.getStartPositionOfChar(at).x, x1 = line.getEndPositionOfChar(at + part.length - 1).x;
        const pill = svg("rect", { class: `agl-badge agl-badge-${kind}`, x: x0 - 3, y, width: x1 - x0 + 6, height: h, rx: h / 2 });
        pill.append(Object.assign(svg("title"), {
          textContent: kind === "hook" ? `${part} registered on this tensor (see the inspector)`
            : "retain_grad(): this non-leaf tensor keeps its .grad" }));
        line.parentNode.insertBefore(pill, line);
        span.classList.add(`agl-pill-${kind}`);
      }
      at += part.length;
    }
  }

  /**
   * Graphviz sized each node for its label with Helvetica's metrics; a browser drawing the label in
   * another font (no Helvetica nor a metric twin installed) would spill text over the box. Each line
   * wider than the room Graphviz gave it is squeezed to that room. Measuring needs the drawing in
   * the document: until then (width 0) this does nothing and is tried again on the first resize.
   */
  _fitLabels() {
    if (this.fitted) return;
    for (const g of this.nodes.values()) {
      const b = g._box, cx = (b.x0 + b.x1) / 2;
      for (const t of g.querySelectorAll("text")) {
        if (t.closest(".agl-badge")) continue;
        const width = t.getComputedTextLength?.() || 0;
        if (!width) continue;
        this.fitted = true;
        const x = +t.getAttribute("x"), anchor = t.getAttribute("text-anchor") || "start";
        const room = anchor === "middle" ? b.x1 - b.x0 - 8
          : anchor === "end" ? x - b.x0 - 4
          : cx - x > 1 ? 2 * (cx - x) : b.x1 - x - 4;  // a centred line starts half its width left of the centre
        if (room > 0 && width > room + 0.5) {
          t.setAttribute("textLength", room.toFixed(1));
          t.setAttribute("lengthAdjust", "spacingAndGlyphs");
          t.classList.add("agl-squeezed");
        }
      }
      if (this.fitted) this._pills(g);  // after the squeeze: the pills sit where the characters ended up
    }
  }

  /**
   * flags: {node id: "nan" | "inf"} — every node whose value or gradient holds NaN or inf gets the
   * class has-nan (and data-nonfinite), with a badge "NaN" / "inf" on its bottom-left corner (the top
   * holds a leaf's .grad note and the hook badges; edges leave from the middle of the bottom)
   */
  setNonfinite(flags) {
    const prev = this.nonfinite;
    this.placed ||= new Map();
    for (const id of changedKeys(prev, flags)) {
      const g = this.nodes.get(id);
      if (!g) continue;
      const flag = flags[id];
      g.querySelector(":scope > .agl-badge-nan")?.remove();
      this.placed.delete(`b:${id}`);
      g.classList.toggle("has-nan", !!flag);
      if (!flag) { delete g.dataset.nonfinite; continue; }
      g.dataset.nonfinite = flag;
      const text = flag === "nan" ? "NaN" : "inf";
      const w = 6 * text.length + 10, x = g._box.x0 - 4, y = g._box.y1 - 4;
      const badge = svg("g", { class: "agl-badge agl-badge-nan", "data-testid": "nan-badge" });
      const label = svg("text", { x: x + w / 2, y: y + 10 });
      label.textContent = text;
      const tip = svg("title");
      tip.textContent = `${this._name(id)} holds ${text} (click the node to see where)`;
      badge.append(svg("rect", { x, y, width: w, height: 13, rx: 6.5 }), label, tip);
      g.append(badge);
      // edge labels placed from now on keep clear of it
      this.placed.set(`b:${id}`, { x0: x, y0: y, x1: x + w, y1: y + 13 });
    }
    this.nonfinite = { ...flags };
  }

  // ---- restyling (the per-step work) ----

  /** codes: one letter per node in graph.nodes order; only nodes whose letter changed are touched */
  setStateCodes(codes) {
    const before = this.codes || "";
    for (let i = 0; i < this.order.length; i++) {
      const c = codes[i] || "p";
      if (c === (before[i] || "p")) continue;
      const id = this.order[i];
      this.states[id] = CODES[c] || "pending";
      const g = this.nodes.get(id);
      if (!g) continue;
      for (const s of STATES) g.classList.remove(`state-${s}`);
      g.classList.add(`state-${this.states[id]}`);
    }
    this.codes = codes;
    if (this.clusters.some((c) => c.collapsed)) this._rollUp();
  }

  setCurrent(id) {
    if (id === this.current) return;
    const mark = (nodeId, on) => {
      this.nodes.get(nodeId)?.classList.toggle("is-current", on);
      for (const e of this.bySource.get(nodeId) || []) this.edges.get(e)?.classList.toggle("is-incoming", on);
      for (const e of this.byTarget.get(nodeId) || []) this.edges.get(e)?.classList.toggle("is-outgoing", on);
    };
    if (this.current) mark(this.current, false);
    this.current = id || "";
    if (this.current) { mark(this.current, true); this.reveal(this.current); }
    if (this.clusters.some((c) => c.collapsed)) this._rollUp();
  }

  setSelected(id) {
    if (id === this.selected) return;
    this.nodes.get(this.selected)?.classList.remove("is-selected");
    this.selected = id || "";
    this.nodes.get(this.selected)?.classList.add("is-selected");
  }

  _name(id) {
    const m = this.meta.get(id);
    return m ? `${m.label} (${id})` : id;
  }

  /** labels: {edge id: short text} — text at the middle of each edge, created on first use */
  setEdgeLabels(labels) {
    const prev = this._edgeLabelData || {};
    for (const id of changedKeys(prev, labels)) {
      const value = labels[id];
      let text = this.edgeLabels.get(id);
      if (!value) { text?.remove(); this.edgeLabels.delete(id); this.placed?.delete(`e:${id}`); continue; }
      const g = this.edges.get(id);
      if (!g) continue;
      const { source, target, index, kind } = g._info;
      const full = kind === "output"
        ? `the gradient backward starts from: ${value}`
        : `gradient sent by ${this._name(target)} to ${this._name(source)} (input ${index}): ${value}` +
          " (click the node for the full tensor)";
      if (!text) {
        text = svg("text", { class: "agl-edge-label", "data-edge-id": id });
        text.append(document.createTextNode(""), svg("title"));
        this.edgeLabels.set(id, text);
        this.overlay.append(text);
        g.classList.add("has-grad");
      }
      text.firstChild.data = value;
      text.lastChild.textContent = full;
      this._placeEdgeLabel(id, g, text, value);
    }
    this._edgeLabelData = { ...labels };
  }

  /**
   * Labels are placed greedily: among spots along the edge (from its middle outwards, right or left
   * of the line), the first that covers no other label and no node, else the one that covers least
   * (another label counting more than a node). Boxes are estimated from the text length, so placing
   * costs no layout.
   */
  _placeEdgeLabel(id, g, text, value) {
    this.placed ||= new Map();
    this.placed.delete(`e:${id}`);
    g._samples ||= sampleEdge(g.querySelector("path")?.getAttribute("d"));
    const w = value.length * CHAR_W;
    let best = null, bestCost = Infinity;
    for (const f of ALONG) {
      const [x, y] = pointAlong(g._samples, f);
      for (const side of [1, -1]) {
        const x0 = side > 0 ? x + 4 : x - 4 - w;
        const box = { x0, y0: y - LINE_H + 3, x1: x0 + w, y1: y + 3 };
        const cost = this._cover(box);
        if (cost < bestCost) { best = box; bestCost = cost; }
        if (cost === 0) break;
      }
      if (bestCost === 0) break;
    }
    text.setAttribute("x", best.x0.toFixed(1));
    text.setAttribute("y", (best.y1 - 3).toFixed(1));
    this.placed.set(`e:${id}`, best);
  }

  /** how much of `box` other labels (x3) and nodes (x1) cover */
  _cover(box) {
    const area = (a, b) => Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) *
      Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
    let cost = 0;
    for (const other of this.placed.values()) if (overlaps(box, other)) cost += 3 * area(box, other);
    for (const g of this.nodes.values()) if (overlaps(box, g._box)) cost += area(box, g._box);
    return cost;
  }

  /** notes: {node id: text} — a line above a node (a leaf's .grad as it grows) */
  setNotes(notes) {
    const prev = this._noteData || {};
    for (const id of changedKeys(prev, notes)) {
      let text = this.notes.get(id);
      const value = notes[id];
      if (!value) { text?.remove(); this.notes.delete(id); this.placed?.delete(`n:${id}`); continue; }
      const g = this.nodes.get(id);
      if (!g) continue;
      if (!text) {
        text = svg("text", { class: "agl-note", "data-note-for": id });
        text.append(document.createTextNode(""), svg("title"));
        this.notes.set(id, text);
        this.overlay.append(text);
      }
      text.firstChild.data = value;
      text.lastChild.textContent = `${this._name(id)}: ${value} (click the node for the full tensor)`;
      // above the node, raised a line at a time while it would cover another note (leaves sit side by side)
      this.placed ||= new Map();
      this.placed.delete(`n:${id}`);
      const b = g._box, w = value.length * CHAR_W, cx = (b.x0 + b.x1) / 2;
      let y = b.y0 - 6;
      let box = { x0: cx - w / 2, y0: y - LINE_H + 3, x1: cx + w / 2, y1: y + 3 };
      for (let tries = 0; tries < 6 && this._cover(box) > 0; tries++) {
        y -= LINE_H;
        box = { ...box, y0: y - LINE_H + 3, y1: y + 3 };
      }
      text.setAttribute("x", cx.toFixed(1));
      text.setAttribute("y", y.toFixed(1));
      this.placed.set(`n:${id}`, box);
    }
    this._noteData = { ...notes };
  }

  // ---- clusters ----

  toggleCluster(cluster, collapsed = !cluster.collapsed) {
    cluster.collapsed = collapsed;
    cluster.g.classList.toggle("is-collapsed", collapsed);
    cluster.toggle.firstChild.data = collapsed ? "[+]" : "[−]";
    cluster.summary.classList.toggle("is-visible", collapsed);
    const hidden = new Set();
    for (const c of this.clusters) if (c.collapsed) for (const id of c.members) hidden.add(id);
    for (const [id, g] of this.nodes) g.classList.toggle("agl-hidden", hidden.has(id));
    for (const [id, g] of this.edges) {
      const { source, target } = g._info;
      g.classList.toggle("agl-hidden", hidden.has(source) && hidden.has(target));
      this.edgeLabels.get(id)?.classList.toggle("agl-hidden", hidden.has(source) && hidden.has(target));
    }
    for (const [id, t] of this.notes) t.classList.toggle("agl-hidden", hidden.has(id));
    this._rollUp();
  }

  /** a collapsed cluster shows what happens inside it: the current node, an error */
  _rollUp() {
    for (const c of this.clusters) {
      const has = (pred) => c.collapsed && [...c.members].some(pred);
      c.g.classList.toggle("has-current", has((id) => id === this.current));
      c.g.classList.toggle("has-error", has((id) => this.states[id] === "error"));
    }
  }

  // ---- zoom and pan ----

  _apply() {
    const { k, x, y } = this.view;
    this.stage.style.transform = `translate(${x}px, ${y}px) scale(${k})`;
    this.viewport.dataset.zoom = k.toFixed(3);
  }

  /**
   * The whole graph when it can be read at that size; otherwise the smallest readable zoom, looking
   * at the output, where backward starts (pan and wheel reach the rest).
   */
  fit() {
    const width = this.viewport.clientWidth;
    if (!width) return false;
    const { w, h: hgt } = this.size;
    const whole = Math.min(1, (width - 8) / w, (MAX_HEIGHT - 8) / hgt);
    const k = Math.max(whole, MIN_FIT);
    this.viewport.style.height = `${Math.min(Math.max(hgt * k + 8, 140), MAX_HEIGHT)}px`;
    this.view = { k, x: Math.max(4, (width - w * k) / 2), y: 4 };
    if (whole < MIN_FIT && this.focus) this._centre(this.focus);
    this._apply();
    return true;
  }

  /** the stage position (CSS px, before zoom) of a node's centre */
  _at(id) {
    const b = this.nodes.get(id)?._box;
    if (!b) return null;
    return { x: this.origin.x + (b.x0 + b.x1) / 2, y: this.origin.y + (b.y0 + b.y1) / 2 };
  }

  _centre(id) {
    const p = this._at(id);
    if (!p) return;
    const { k } = this.view;
    this.view = { k, x: this.viewport.clientWidth / 2 - p.x * k, y: this.viewport.clientHeight / 2 - p.y * k };
  }

  /** pan (never zoom) so that a node is on screen: the current node must not step out of view */
  reveal(id) {
    const p = this._at(id);
    const vw = this.viewport?.clientWidth, vh = this.viewport?.clientHeight;
    if (!p || !vw || !vh) return;
    const { k, x, y } = this.view;
    const sx = x + p.x * k, sy = y + p.y * k, margin = 30;
    if (sx > margin && sx < vw - margin && sy > margin && sy < vh - margin) return;
    this._centre(id);
    this._apply();
  }

  zoomBy(factor, px, py) {
    const { k, x, y } = this.view;
    const k2 = Math.min(6, Math.max(0.05, k * factor));
    if (px === undefined) { px = this.viewport.clientWidth / 2; py = this.viewport.clientHeight / 2; }
    this.view = { k: k2, x: px - ((px - x) * k2) / k, y: py - ((py - y) * k2) / k };
    this.touched = true;
    this._apply();
  }

  reset() {
    this.touched = false;
    this.fit();
  }

  _interact() {
    const vp = this.viewport;
    const listen = (target, type, fn, opts) => {
      target.addEventListener(type, fn, opts);
      this.cleanups.push(() => target.removeEventListener(type, fn, opts));
    };
    listen(vp, "wheel", (ev) => {
      ev.preventDefault();
      const r = vp.getBoundingClientRect();
      this.zoomBy(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });

    let drag = null;
    listen(vp, "pointerdown", (ev) => {
      if (ev.button !== 0) return;
      drag = { x: ev.clientX, y: ev.clientY, vx: this.view.x, vy: this.view.y, moved: false, target: ev.target, id: ev.pointerId };
    });
    listen(vp, "pointermove", (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) { drag.moved = true; vp.setPointerCapture?.(drag.id); vp.classList.add("is-panning"); }
      this.view = { ...this.view, x: drag.vx + dx, y: drag.vy + dy };
      this.touched = true;
      this._apply();
    });
    const end = (ev) => {
      if (!drag) return;
      const { moved, target } = drag;
      drag = null;
      vp.classList.remove("is-panning");
      if (moved || ev.type === "pointercancel") return;
      const toggle = target.closest?.("[data-action='toggle-cluster']");
      if (toggle?._cluster) { this.toggleCluster(toggle._cluster); return; }
      const node = target.closest?.("g.node");
      if (node) this.onSelect(node.dataset.nodeId);
    };
    listen(vp, "pointerup", end);
    listen(vp, "pointercancel", end);

    // fit once the output area gives us a width, and again on resize until the user takes over
    const ro = new ResizeObserver(() => { this._fitLabels(); if (!this.touched) this.fit(); });
    ro.observe(vp);
    this.cleanups.push(() => ro.disconnect());
  }

  destroy() {
    for (const fn of this.cleanups.splice(0)) fn();
  }
}

function push(map, key, value) {
  if (!map.has(key)) map.set(key, []);
  map.get(key).push(value);
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
