// Show or hide the saved tensors (half the boxes of a recurrent net) and the value lines of the
// labels from the widget itself. Each is a trait (show_saved, show_values): Python sends a DOT
// without them and the graph is laid out again, so what is hidden frees its room.
import { h, onChanges } from "./util.js";

/** root: the widget's .agl-root; model: its model (graph payload, show_saved, show_values).
 * Returns {el, stop}: the buttons, and what stops them following the model. */
export function toggleControls(root, model) {
  const stops = [];
  const nodes = model.get("graph").nodes || [];
  const saved = model.get("graph").show_saved === false ? 0 : nodes.filter((n) => n.kind === "saved").length;
  const toggle = (action, trait, cls, text, title) => {
    const b = h("button", {
      className: "agl-btn agl-btn-small agl-toggle", type: "button", title, dataset: { action },
      onclick: () => { model.set(trait, !model.get(trait)); model.save_changes(); },
    }, text);
    const show = () => {
      const on = model.get(trait) !== false;
      b.setAttribute("aria-pressed", String(on));
      root.classList.toggle(cls, !on);   // the legend drops its key for what is not drawn
    };
    stops.push(onChanges(model, [trait], show));
    show();
    return b;
  };
  const parts = [toggle("toggle-values", "show_values", "hide-values", "values", "Show or hide the value line of each box")];
  if (saved) {
    parts.unshift(toggle("toggle-saved", "show_saved", "hide-saved", `saved (${saved})`,
      "Show or hide the saved tensors (the graph is laid out again without them)"));
  }
  const el = h("span", { className: "agl-toggles", dataset: { testid: "toggles" } }, ...parts);
  return { el, stop: () => stops.forEach((f) => f()) };
}
