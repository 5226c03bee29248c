// Module clusters that collapse without a re-layout: the members are hidden inside the box Graphviz
// drew, which then says how many nodes it holds and shows what happens inside (current node, error).
import { svg } from "../util.js";

export class Clusters {
  constructor(drawing, overlays) {
    this.drawing = drawing;
    this.overlays = overlays;
    this.toggles = new Map();     // the elements that toggle a cluster ([−] and its label) -> cluster
    this.parts = new Map();       // cluster -> {toggle, summary}
    for (const c of drawing.clusters) {
      const { box, label } = c;
      // top-right corner: Graphviz puts the module's name top-left
      const toggle = svg("text", {
        class: "agl-cluster-toggle", x: box.x1 - 6, y: box.y0 + 13, "data-action": "toggle-cluster",
      });
      toggle.append(document.createTextNode("[−]"), svg("title"));
      toggle.lastChild.textContent = `collapse or expand ${label?.textContent || "this module"}`;
      this.toggles.set(toggle, c);
      if (label) {
        label.dataset.action = "toggle-cluster";
        label.classList.add("agl-cluster-label");
        this.toggles.set(label, c);
      }
      const summary = svg("text", { class: "agl-cluster-summary", x: (box.x0 + box.x1) / 2, y: (box.y0 + box.y1) / 2 + 4 });
      summary.textContent = `${c.members.size} nodes (collapsed)`;
      overlays.layer.append(toggle, summary);
      this.parts.set(c, { toggle, summary });
    }
  }

  /** the cluster an element toggles (a click target inside the drawing), or undefined */
  of(el) {
    const target = el.closest?.("[data-action='toggle-cluster']");
    return target ? this.toggles.get(target) : undefined;
  }

  get anyCollapsed() {
    return this.drawing.clusters.some((c) => c.collapsed);
  }

  toggle(cluster, collapsed = !cluster.collapsed, view) {
    const { toggle, summary } = this.parts.get(cluster);
    cluster.collapsed = collapsed;
    cluster.g.classList.toggle("is-collapsed", collapsed);
    toggle.firstChild.data = collapsed ? "[+]" : "[−]";
    summary.classList.toggle("is-visible", collapsed);
    const hidden = new Set();
    for (const c of this.drawing.clusters) if (c.collapsed) for (const id of c.members) hidden.add(id);
    for (const [id, node] of this.drawing.nodes) node.g.classList.toggle("agl-hidden", hidden.has(id));
    for (const [id, edge] of this.drawing.edges) {
      const { source, target } = edge.info;
      const gone = hidden.has(source) && hidden.has(target);
      edge.g.classList.toggle("agl-hidden", gone);
      this.overlays.edgeLabels.get(id)?.classList.toggle("agl-hidden", gone);
    }
    for (const [id, t] of this.overlays.notes) t.classList.toggle("agl-hidden", hidden.has(id));
    this.rollUp(view);
  }

  /** a collapsed cluster shows what happens inside it; view: {current, states} */
  rollUp({ current, states }) {
    for (const c of this.drawing.clusters) {
      const has = (pred) => c.collapsed && [...c.members].some(pred);
      c.g.classList.toggle("has-current", has((id) => id === current));
      c.g.classList.toggle("has-error", has((id) => states[id] === "error"));
    }
  }
}
