// Texts drawn over the laid-out graph, created on first use and placed where they cover least:
// the gradient each edge carried, a note above a node (a leaf's .grad), the NaN / inf badges.
// Boxes are estimated from the text length, so placing costs no layout.
import { overlaps, pointAlong } from "../geometry.js";
import { changedKeys, svg } from "../util.js";
import { nanBadge } from "./badges.js";
import { BoxGrid } from "./boxgrid.js";

const CHAR_W = 6.1, LINE_H = 11;  // the overlay font's box per character (10px monospace)
const ALONG = [0.5, 0.35, 0.65, 0.22, 0.78, 0.42, 0.58];  // where on an edge its label may sit, best first

export class Overlays {
  constructor(drawing) {
    this.drawing = drawing;
    this.layer = svg("g", { class: "agl-overlay" });
    drawing.root.append(this.layer);
    this.placed = new BoxGrid();  // "e:<edge>" / "n:<node>" / "b:<node>" -> the box it covers
    this.nodeBoxes = new BoxGrid();  // what labels should not cover either
    for (const [id, node] of drawing.nodes) this.nodeBoxes.set(id, node.box);
    this.edgeLabels = new Map();  // edge id -> <text>
    this.notes = new Map();       // node id -> <text>
    this.badges = new Map();      // node id -> the NaN / inf badge
    this.edgeData = {};           // what was drawn last: {edge id: text}, {node id: text}, {node id: flag}
    this.noteData = {};
    this.nonfinite = {};
    this.window = null;           // {x0, y0, x1, y1}: texts outside it are hidden (see Viewport.cull)
    this.spots = new WeakMap();   // text -> [x, y] where it was put (a cull reads thousands of them)
  }

  /** hide the texts outside `win` (drawing units): Chromium repaints every shown text of the svg per step */
  cull(win) {
    this.window = win;
    for (const t of this.layer.children) if (t.tagName === "text") this._cullOne(t);
  }

  /** a text placed after the last cull is hidden too when it lands far off screen */
  _cullOne(t) {
    const w = this.window;
    if (!w) return;
    const [x, y] = this.spots.get(t) || [+t.getAttribute("x"), +t.getAttribute("y")];
    const off = x < w.x0 || x > w.x1 || y < w.y0 || y > w.y1;
    if (off !== t.classList.contains("is-offscreen")) t.classList.toggle("is-offscreen", off);
  }

  /** flags: {node id: "nan" | "inf"}; the node gets class has-nan, data-nonfinite and a badge */
  setNonfinite(flags) {
    const d = this.drawing;
    for (const id of changedKeys(this.nonfinite, flags)) {
      const node = d.nodes.get(id);
      if (!node) continue;
      const flag = flags[id];
      this.badges.get(id)?.remove();
      this.badges.delete(id);
      this.placed.delete(`b:${id}`);
      node.g.classList.toggle("has-nan", !!flag);
      if (!flag) { delete node.g.dataset.nonfinite; continue; }
      node.g.dataset.nonfinite = flag;
      const { badge, box } = nanBadge(node, flag, d.name(id));
      node.g.append(badge);
      this.badges.set(id, badge);
      this.placed.set(`b:${id}`, box);  // edge labels placed from now on keep clear of it
    }
    this.nonfinite = { ...flags };
  }

  /** labels: {edge id: short text} — text along each edge */
  setEdgeLabels(labels) {
    this._edgeLabels(changedKeys(this.edgeData, labels), labels);
    this.edgeData = { ...labels };
  }

  /** delta: {edge id: short text} — only the edges a step changed (the rest stay as drawn) */
  patchEdgeLabels(delta) {
    Object.assign(this.edgeData, delta);
    this._edgeLabels(Object.keys(delta), this.edgeData);
  }

  _edgeLabels(ids, labels) {
    const d = this.drawing;
    for (const id of ids) {
      const value = labels[id];
      let text = this.edgeLabels.get(id);
      if (!value) { text?.remove(); this.edgeLabels.delete(id); this.placed.delete(`e:${id}`); continue; }
      const edge = d.edges.get(id);
      if (!edge) continue;
      const { source, target, index, kind } = edge.info;
      const full = kind === "output"
        ? `the gradient backward starts from: ${value}`
        : `gradient sent by ${d.name(target)} to ${d.name(source)} (input ${index}): ${value}` +
          " (click the node for the full tensor)";
      if (!text) {
        text = this._text("agl-edge-label", { "data-edge-id": id });
        this.edgeLabels.set(id, text);
        edge.g.classList.add("has-grad");
      }
      text.firstChild.data = value;
      text.lastChild.textContent = full;
      this._placeOnEdge(id, edge, text, value);
    }
  }

  /** notes: {node id: text} — a line above a node (a leaf's .grad as it grows) */
  setNotes(notes) {
    this._notes(changedKeys(this.noteData, notes), notes);
    this.noteData = { ...notes };
  }

  /** delta: {node id: text} — only the notes a step changed */
  patchNotes(delta) {
    Object.assign(this.noteData, delta);
    this._notes(Object.keys(delta), this.noteData);
  }

  _notes(ids, notes) {
    const d = this.drawing;
    for (const id of ids) {
      let text = this.notes.get(id);
      const value = notes[id];
      if (!value) { text?.remove(); this.notes.delete(id); this.placed.delete(`n:${id}`); continue; }
      const node = d.nodes.get(id);
      if (!node) continue;
      if (!text) {
        text = this._text("agl-note", { "data-note-for": id });
        this.notes.set(id, text);
      }
      text.firstChild.data = value;
      text.lastChild.textContent = `${d.name(id)}: ${value} (click the node for the full tensor)`;
      // above the node, raised a line at a time while it would cover another note (leaves sit side by side)
      this.placed.delete(`n:${id}`);
      const b = node.box, w = value.length * CHAR_W, cx = (b.x0 + b.x1) / 2;
      let y = b.y0 - 6;
      let box = { x0: cx - w / 2, y0: y - LINE_H + 3, x1: cx + w / 2, y1: y + 3 };
      for (let tries = 0; tries < 6 && this._cover(box) > 0; tries++) {
        y -= LINE_H;
        box = { ...box, y0: y - LINE_H + 3, y1: y + 3 };
      }
      this._put(text, cx, y);
      this.placed.set(`n:${id}`, box);
    }
  }

  _put(text, x, y) {
    text.setAttribute("x", x.toFixed(1));
    text.setAttribute("y", y.toFixed(1));
    this.spots.set(text, [x, y]);
    this._cullOne(text);
  }

  /** an overlay <text> with its tooltip: firstChild the text, lastChild the <title> */
  _text(className, attrs) {
    const text = svg("text", { class: className, ...attrs });
    text.append(document.createTextNode(""), svg("title"));
    this.layer.append(text);
    return text;
  }

  /**
   * Greedy: among spots along the edge (from its middle outwards, right or left of the line), the
   * first that covers no other label and no node, else the one that covers least.
   */
  _placeOnEdge(id, edge, text, value) {
    this.placed.delete(`e:${id}`);
    const samples = edge.samples();
    const w = value.length * CHAR_W;
    let best = null, bestCost = Infinity;
    for (const f of ALONG) {
      const [x, y] = pointAlong(samples, f);
      for (const side of [1, -1]) {
        const x0 = side > 0 ? x + 4 : x - 4 - w;
        const box = { x0, y0: y - LINE_H + 3, x1: x0 + w, y1: y + 3 };
        const cost = this._cover(box);
        if (cost < bestCost) { best = box; bestCost = cost; }
        if (cost === 0) break;
      }
      if (bestCost === 0) break;
    }
    this._put(text, best.x0, best.y1 - 3);
    this.placed.set(`e:${id}`, best);
  }

  /** how much of `box` other overlays (x3) and nodes (x1) cover */
  _cover(box) {
    const area = (a, b) => Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) *
      Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
    let cost = 0;
    for (const other of this.placed.near(box)) if (overlaps(box, other)) cost += 3 * area(box, other);
    for (const node of this.nodeBoxes.near(box)) if (overlaps(box, node)) cost += area(box, node);
    return cost;
  }
}
