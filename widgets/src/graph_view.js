// GraphView: the computation graph, laid out once, with an inspector. BackwardStepper reuses
// `mountGraph` and adds its toolbar.
import { GraphCanvas, zoomControls } from "./graph.js";
import { findControls } from "./graph/find.js";
import { legend } from "./legend.js";
import { toggleControls } from "./toggles.js";
import { renderError, renderInspector } from "./panels.js";
import { batched, h, onChanges, textSummary } from "./util.js";

const FIND_OVER = 40;  // nodes: a graph this big gets the search box and focus mode
const FULL = ["state_codes", "current", "edge_grads", "notes", "nonfinite", "selected", "inspector", "error_info"];

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
    // Python answers with the DOT that folds or unfolds the group (see `dot` below)
    onFold: (group, folded) => {
      const now = model.get("collapsed") || [];
      model.set("collapsed", folded ? [...now.filter((g) => g !== group), group] : now.filter((g) => g !== group));
      model.save_changes();
    },
  });
  try {
    await canvas.draw(model.get("dot"), model.get("graph"), model.get("collapsed") || []);
  } catch (err) {
    graphHost.replaceChildren(h("pre", { className: "agl-pre", dataset: { testid: "layout-error" } },
      `Graphviz could not lay this graph out: ${err.message}`));
    return { root, canvas: null, toolbar, status, cleanup: () => {} };
  }
  const toggles = toggleControls(root, model);
  toolbar.append(toggles.el, zoomControls(canvas));
  // the key sits under the graph and the inspector (the canvas replaces its host's children on a redraw)
  graphHost.parentNode.after(legend(model.get("graph"), { stepper: testid === "backward-stepper" }));
  if ((model.get("graph").nodes || []).length > FIND_OVER) {
    toolbar.append(findControls(canvas, (id) => { model.set("selected", id); model.save_changes(); }));
  }

  // Only what changed is applied: a stepper's step sends `delta` (the few nodes, edges and notes it
  // changed), the whole state comes only with the opening message, a reset, a run or a pass's end.
  const dirty = new Set(FULL);
  const apply = batched(() => {
    const is = (name) => dirty.has(name);
    if (is("state_codes")) canvas.setStateCodes(model.get("state_codes") || "");
    if (is("nonfinite")) canvas.setNonfinite(model.get("nonfinite") || {});  // first: labels placed after it avoid its badges
    if (is("edge_grads")) canvas.setEdgeLabels(model.get("edge_grads") || {});
    if (is("notes")) canvas.setNotes(model.get("notes") || {});
    if (is("delta")) canvas.applyDelta(model.get("delta") || {});
    if (is("current") || is("state_codes") || is("delta")) canvas.setCurrent(model.get("current"));
    if (is("selected")) canvas.setSelected(model.get("selected"));
    if (is("inspector")) renderInspector(inspector, model.get("inspector"));
    if (is("error_info")) {
      renderError(error, model.get("error_info"));
      root.classList.toggle("has-error", !!(model.get("error_info") || {}).message);
    }
    dirty.clear();
  });
  const stops = [...FULL, "delta"].map((name) => onChanges(model, [name], () => { dirty.add(name); apply(); }));
  // a new DOT (a group folded or unfolded, a toggle): laid out again, with the view's states kept
  // the key's "folded group" line shows while a box is folded
  const markFolds = () => root.classList.toggle("has-folds", !!canvas.folds?.drawn.size);
  markFolds();
  const relayout = () => canvas.redraw(model.get("dot"), model.get("collapsed") || []).then(markFolds, (err) => {
    graphHost.dataset.relayout = "failed";
    canvas.viewport.el.append(h("div", { className: "agl-muted agl-draft-note" }, `Graphviz could not lay this out: ${err.message}`));
  });
  stops.push(onChanges(model, ["dot"], relayout), toggles.stop);
  if (model.get("dot") !== canvas.dot) relayout();   // folded or toggled while the first layout ran
  const stop = () => stops.forEach((f) => f());
  apply();
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
