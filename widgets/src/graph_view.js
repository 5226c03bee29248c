// GraphView: the computation graph, laid out once, with an inspector. BackwardStepper reuses
// `mountGraph` and adds its toolbar.
import { GraphCanvas, zoomControls } from "./graph.js";
import { renderError, renderInspector } from "./panels.js";
import { batched, h, onChanges, textSummary } from "./util.js";

/** Draw the graph of `model` into a fresh layout; returns {root, canvas, toolbar, cleanup}. */
export async function mountGraph({ model, el, testid, title }) {
  const toolbar = h("div", { className: "agl-toolbar" }, h("span", { className: "agl-title" }, title));
  const status = h("span", { className: "agl-status", dataset: { testid: "status" } });
  const graphHost = h("div", { className: "agl-graph" }, h("div", { className: "agl-muted" }, "laying out the graph…"));
  const inspector = h("aside", { className: "agl-inspector", dataset: { testid: "inspector" } });
  const error = h("div", { className: "agl-error", role: "alert", dataset: { testid: "error" }, hidden: true });
  const root = h("div", { className: "agl-root", tabIndex: 0, dataset: { testid } },
    toolbar, error, h("div", { className: "agl-body" }, graphHost, inspector), status);
  el.append(root);

  const canvas = new GraphCanvas(graphHost, {
    onSelect: (id) => {
      model.set("selected", id === model.get("selected") ? "" : id);
      model.save_changes();
    },
  });
  try {
    await canvas.draw(model.get("dot"), model.get("graph"));
  } catch (err) {
    graphHost.replaceChildren(h("pre", { className: "agl-pre", dataset: { testid: "layout-error" } },
      `Graphviz could not lay this graph out: ${err.message}`));
    return { root, canvas: null, toolbar, status, cleanup: () => {} };
  }
  toolbar.append(zoomControls(canvas));

  const update = batched(() => {
    canvas.setStateCodes(model.get("state_codes") || "");
    canvas.setCurrent(model.get("current"));
    canvas.setNonfinite(model.get("nonfinite") || {});  // first: labels placed after it avoid its badges
    canvas.setEdgeLabels(model.get("edge_grads") || {});
    canvas.setNotes(model.get("notes") || {});
    canvas.setSelected(model.get("selected"));
    renderInspector(inspector, model.get("inspector"));
    renderError(error, model.get("error_info"));
    root.classList.toggle("has-error", !!(model.get("error_info") || {}).message);
  });
  const stop = onChanges(model, ["state_codes", "current", "edge_grads", "notes", "nonfinite", "selected", "inspector",
    "error_info"], update);
  update();
  // a held sync arrives as several change events in one task: apply them together, now
  await Promise.resolve();
  return { root, canvas, toolbar, status, cleanup: () => { stop(); canvas.destroy(); } };
}

export async function render({ model, el }) {
  const view = await mountGraph({ model, el, testid: "graph-view", title: "graph" });
  const summary = textSummary();
  view.status.replaceWith(summary.el);
  const showSummary = () => summary.set(model.get("summary"));
  model.on("change:summary", showSummary);
  showSummary();
  return () => { model.off("change:summary", showSummary); view.cleanup(); };
}
