// What the laid-out SVG holds, found once: every node, edge and cluster by its snapshot id, with the
// facts later updates need (boxes, edge ends). Python's ids reach the SVG through the DOT: a node's
// <title> is its id, an edge's <g> carries the id the DOT gave it.
import { bboxOf, centreInside, sampleEdge } from "../geometry.js";

export const PAD = 40;            // room around the drawing for the overlay texts

/**
 * A drawn node: {id, g, box, meta}; an edge: {id, g, info, samples(), box()}; a cluster:
 * {name, g, box, members, label, collapsed}.
 */
export class Drawing {
  constructor(svgEl, graph) {
    this.svg = svgEl;
    this.root = svgEl.querySelector("g.graph") || svgEl;
    this.meta = new Map((graph.nodes || []).map((n) => [n.id, n]));
    // a folded group is drawn as one box named by its id (see folds.js)
    for (const gr of graph.groups || []) this.meta.set(gr.id, { id: gr.id, kind: "group", label: gr.label, group: gr });
    this.order = (graph.nodes || []).map((n) => n.id);   // the order of the state letters
    this.focus = (graph.roots || [])[0] || "";
    this.nodes = new Map();       // id -> drawn node
    this.edges = new Map();       // edge id -> drawn edge
    this.bySource = new Map();    // node id -> [edge id] (the node feeds these)
    this.byTarget = new Map();    // node id -> [edge id] (the node consumes these)
    this.clusters = [];
    this.size = { w: 0, h: 0 };   // CSS px, one per Graphviz unit, margins included
    this.origin = { x: 0, y: 0 }; // where the drawing's (0, 0) lands in the stage
    this._frame();
    this._findNodes();
    this._findEdges(graph.edges || []);
    this._findClusters();
  }

  /** size the drawing with some margin for the overlays */
  _frame() {
    const svgEl = this.svg;
    const [vx, vy, vw, vh] = (svgEl.getAttribute("viewBox") || "0 0 100 100").split(/[\s,]+/).map(Number);
    svgEl.setAttribute("viewBox", `${vx - PAD} ${vy - PAD} ${vw + 2 * PAD} ${vh + 2 * PAD}`);
    svgEl.setAttribute("width", vw + 2 * PAD);
    svgEl.setAttribute("height", vh + 2 * PAD);
    svgEl.classList.add("agl-svg");
    this.size = { w: vw + 2 * PAD, h: vh + 2 * PAD };
    // Graphviz translates its root group
    const m = /translate\(\s*([-\d.e]+)[\s,]+([-\d.e]+)\s*\)/.exec(this.root.getAttribute?.("transform") || "");
    this.origin = { x: (m ? +m[1] : 0) - (vx - PAD), y: (m ? +m[2] : 0) - (vy - PAD) };
  }

  _findNodes() {
    for (const g of this.svg.querySelectorAll("g.node")) {
      const title = g.querySelector(":scope > title");
      const id = title ? title.textContent : g.id;
      const meta = this.meta.get(id) || {};
      g.dataset.nodeId = id;
      ownClasses(g);
      g.classList.add("agl-node", `kind-${meta.kind || "op"}`, "state-pending");
      g.classList.toggle("has-hook", !!meta.hooks);
      g.classList.toggle("retains-grad", !!meta.retains_grad);
      if (title) title.textContent = meta.label ? `${meta.label} (${id})` : id;
      this.nodes.set(id, { id, g, box: bboxOf(g), meta });
    }
  }

  // edges: by the id the DOT gives each one (Graphviz copies it to the <g>). It then moves to
  // data-edge-id: two views of one graph on a page would otherwise carry the same element ids.
  _findEdges(edges) {
    const wanted = new Map(edges.map((e) => [e.id, e]));
    for (const g of this.svg.querySelectorAll("g.edge")) {
      const info = wanted.get(g.id) || groupEdge(g.id);
      if (!info) continue;
      wanted.delete(info.id);
      g.removeAttribute("id");
      g.dataset.edgeId = info.id;
      ownClasses(g);
      g.classList.add("agl-edge", `edge-${info.kind || "data"}`);
      let samples = null;   // the path as a polyline, sampled when a label is first placed on it
      let box = null;       // what the path and arrowhead cover, read when first culled
      this.edges.set(info.id, {
        id: info.id, g, info,
        samples: () => (samples ||= sampleEdge(g.querySelector("path")?.getAttribute("d"))),
        box: () => (box ||= bboxOf(g)),
      });
      push(this.bySource, info.source, info.id);
      push(this.byTarget, info.target, info.id);
    }
  }

  _findClusters() {
    for (const g of this.svg.querySelectorAll("g.cluster")) {
      const box = bboxOf(g);
      const members = new Set();
      for (const [id, node] of this.nodes) if (centreInside(node.box, box)) members.add(id);
      const name = g.querySelector(":scope > title")?.textContent || "";
      ownClasses(g);
      g.classList.add("agl-cluster");
      g.dataset.cluster = name;
      // the DOT gives a box the id of its group (moved to data-group: ids must be unique on a page)
      const group = g.id && this.meta.get(g.id)?.kind === "group" ? g.id : "";
      if (group) { g.dataset.group = group; g.removeAttribute("id"); }
      this.clusters.push({ name, g, box, members, group, label: g.querySelector(":scope > text") });
    }
  }

  /** "LogBackward0 (n2)": how tooltips name a node */
  name(id) {
    const m = this.meta.get(id);
    return m ? `${m.label} (${id})` : id;
  }

  /** the stage position (CSS px, before zoom) of a node's centre */
  centre(id) {
    const b = this.nodes.get(id)?.box;
    if (!b) return null;
    return { x: this.origin.x + (b.x0 + b.x1) / 2, y: this.origin.y + (b.y0 + b.y1) / 2 };
  }
}

// an edge to or from a folded group: "ge:<source>><target>" (one for all its members' edges)
function groupEdge(id) {
  const m = /^ge:([^>]+)>(.+)$/.exec(id || "");
  return m ? { id, source: m[1], target: m[2], kind: "group" } : null;
}

// the DOT's own classes (al-node, al-state-… for static pictures) give way to the widget's vocabulary
function ownClasses(g) {
  for (const c of [...g.classList]) if (c.startsWith("al-")) g.classList.remove(c);
}

function push(map, key, value) {
  if (!map.has(key)) map.set(key, []);
  map.get(key).push(value);
}
