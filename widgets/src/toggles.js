// Show or hide parts of a drawn graph from the widget itself (no Python call, no re-layout):
// the saved tensors (half the boxes of a recurrent net) and the value lines of the labels.
// Hidden parts keep their place in the layout; draw(..., show_saved=False) lays the graph out without them.
import { h } from "./util.js";

/** root: the widget's .agl-root; canvas: its GraphCanvas; graph: the payload (to know what is there) */
export function toggleControls(root, canvas, graph) {
  const nodes = graph.nodes || [];
  const saved = graph.show_saved === false ? 0 : nodes.filter((n) => n.kind === "saved").length;
  const markValues = () => {
    // a value line is the one Graphviz wrote as "= tensor..." (kept when a label is squeezed)
    for (const t of canvas.drawing?.svg.querySelectorAll("g.node text") || []) {
      if (t.textContent.startsWith("= ")) t.classList.add("agl-value-line");
    }
  };
  const toggle = (action, cls, text, title) => {
    const b = h("button", {
      className: "agl-btn agl-btn-small agl-toggle", type: "button", title,
      dataset: { action }, "aria-pressed": "true",
      onclick: () => {
        markValues();
        const hide = !root.classList.contains(cls);
        root.classList.toggle(cls, hide);
        b.setAttribute("aria-pressed", String(!hide));
      },
    }, text);
    return b;
  };
  const parts = [toggle("toggle-values", "hide-values", "values", "Show or hide the value line of each box")];
  if (saved) {
    parts.unshift(toggle("toggle-saved", "hide-saved", `saved (${saved})`,
      "Show or hide the saved tensors (they keep their place: draw(..., show_saved=False) lays out without them)"));
  }
  return h("span", { className: "agl-toggles", dataset: { testid: "toggles" } }, ...parts);
}
