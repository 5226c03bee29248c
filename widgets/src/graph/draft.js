// The draft drawing of a big graph: while Graphviz lays the real one out in the worker (seconds for
// a few thousand nodes), the page draws every node at once, in layers, in a few milliseconds. Ranks
// are longest paths from the output; each layer is ordered by where its nodes' parents sit (one
// sweep); edges are straight. It is built as Graphviz would draw it (g.node with a <title> holding
// the id, g.edge with the edge id), so the rest of the canvas (states, labels, clicks, zoom) works
// on it unchanged, and the stepper can step on it before the real layout arrives.
import { svg } from "../util.js";

const FILL = {
  leaf: ["#cfe8fc", "#1e6fb8"], op: ["#e0e0e0", "#616161"], output: ["#c8e6c9", "#2e7d32"], saved: ["#ffd8a8", "#e8710a"],
};
const CHAR_W = 6.6, H = 26, SMALL_H = 18, GAP_X = 14, GAP_Y = 34, MAX_CHARS = 22;

/** graph: {nodes: [{id, kind, label}], edges: [{id, source, target}]} -> an <svg> like Graphviz's */
export function draftSvg(graph) {
  const nodes = graph.nodes || [], edges = graph.edges || [];
  const ids = new Map(nodes.map((n, i) => [n.id, i]));
  const out = nodes.map(() => []), into = nodes.map(() => []), indeg = nodes.map(() => 0);
  for (const e of edges) {
    const s = ids.get(e.source), t = ids.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    out[s].push(t); into[t].push(s); indeg[t]++;
  }
  // ranks: longest path from the sources (Kahn's order; a node left in a cycle keeps rank 0)
  const rank = nodes.map(() => 0), queue = [];
  indeg.forEach((d, i) => { if (!d) queue.push(i); });
  for (let q = 0; q < queue.length; q++) {
    const s = queue[q];
    for (const t of out[s]) {
      rank[t] = Math.max(rank[t], rank[s] + 1);
      if (--indeg[t] === 0) queue.push(t);
    }
  }
  const layers = [];
  nodes.forEach((_, i) => (layers[rank[i]] ||= []).push(i));
  const text = nodes.map((n) => {
    const label = String(n.label || n.id);
    return label.length > MAX_CHARS ? `${label.slice(0, MAX_CHARS - 1)}…` : label;
  });
  const width = text.map((t) => Math.max(40, t.length * CHAR_W + 16));
  const height = nodes.map((n) => (n.kind === "saved" ? SMALL_H : H));
  // x: each layer in the order of its parents' mean position, packed left to right (a layer's x is
  // set after its parents' and before the centring below, so the sort reads the packed positions)
  const x = nodes.map(() => 0), y = nodes.map(() => 0);
  let maxW = 0, top = 0;
  const rows = [];
  for (const layer of layers) {
    if (!layer) continue;
    const key = (i) => (into[i].length ? into[i].reduce((a, s) => a + x[s], 0) / into[i].length : x[i]);
    layer.sort((a, b) => key(a) - key(b));
    let left = 0;
    for (const i of layer) { x[i] = left + width[i] / 2; left += width[i] + GAP_X; }
    const rowH = Math.max(...layer.map((i) => height[i]));
    for (const i of layer) y[i] = top + rowH / 2;
    rows.push({ layer, w: left - GAP_X });
    maxW = Math.max(maxW, left - GAP_X);
    top += rowH + GAP_Y;
  }
  for (const { layer, w } of rows) for (const i of layer) x[i] += (maxW - w) / 2;  // centre each layer
  const W = Math.max(maxW, 100), Ht = Math.max(top - GAP_Y, 40);

  const root = svg("svg", { viewBox: `0 0 ${W.toFixed(1)} ${Ht.toFixed(1)}`, width: W, height: Ht,
                            class: "agl-draft-svg" });
  const g = svg("g", { class: "graph" });
  root.append(g);
  const edgeLayer = svg("g", { class: "agl-draft-edges" });
  g.append(edgeLayer);
  for (const e of edges) {
    const s = ids.get(e.source), t = ids.get(e.target);
    if (s === undefined || t === undefined) continue;
    const x0 = x[s], y0 = y[s] + height[s] / 2, x1 = x[t], y1 = y[t] - height[t] / 2;
    const eg = svg("g", { class: "edge", id: e.id });
    // a straight cubic (the control points on the line), as Graphviz writes its paths
    const p = (f) => `${(x0 + (x1 - x0) * f).toFixed(1)},${(y0 + (y1 - y0) * f).toFixed(1)}`;
    eg.append(svg("path", { fill: "none", stroke: "#9e9e9e", d: `M${p(0)}C${p(1 / 3)} ${p(2 / 3)} ${p(1)}` }));
    edgeLayer.append(eg);
  }
  nodes.forEach((n, i) => {
    const [fill, stroke] = FILL[n.kind] || FILL.op;
    const x0 = x[i] - width[i] / 2, x1 = x[i] + width[i] / 2, y0 = y[i] - height[i] / 2, y1 = y[i] + height[i] / 2;
    const ng = svg("g", { class: "node" });
    const title = svg("title", {});
    title.textContent = n.id;
    const box = svg("polygon", { fill, stroke, points: `${x0},${y0} ${x1},${y0} ${x1},${y1} ${x0},${y1} ${x0},${y0}` });
    const label = svg("text", { x: x[i].toFixed(1), y: (y[i] + 4).toFixed(1), "text-anchor": "middle",
                                "font-family": "Helvetica,sans-serif", "font-size": n.kind === "saved" ? 9 : 11 });
    label.textContent = text[i];
    ng.append(title, box, label);
    g.append(ng);
  });
  return root;
}
