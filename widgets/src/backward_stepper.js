// BackwardStepper: the graph plus step / run / reset. Every click is one message to the kernel,
// which pulls ONE step from the engine's generator and answers with small state traits; the graph
// itself is never laid out again.
import { mountGraph } from "./graph_view.js";
import { h } from "./util.js";

const KEYS = { n: "step", N: "step", ArrowRight: "step", r: "run", R: "run" };

export async function render({ model, el }) {
  const view = await mountGraph({ model, el, testid: "backward-stepper", title: "backward" });
  const send = (action) => model.send({ type: "agl:action", action });
  // mid-pass, the model's whole-state traits are as old as the last full send (each step sends only
  // its delta): a view opened now asks for the whole state once
  if (model.get("step_index") > 0 && !model.get("done")) send("resync");

  const button = (action, text) => {
    const b = h("button", { className: "agl-btn", type: "button", dataset: { action }, onclick: () => send(action) }, text);
    // a disabled button gets no pointer events, so its tooltip lives on a wrapper too
    const wrap = h("span", { className: "agl-btn-wrap" }, b);
    return { b, wrap };
  };
  const step = button("step", "step ▸");
  const run = button("run", "run ▸▸");
  const reset = button("reset", "reset ↺");
  const controls = h("span", { className: "agl-controls" }, step.wrap, run.wrap, reset.wrap);
  view.toolbar.insertBefore(controls, view.toolbar.children[1] || null);

  const refresh = () => {
    const finished = model.get("done") || !!(model.get("error_info") || {}).message;
    const why = model.get("step_reason") || "";
    for (const [ctl, title] of [[step, "Run the next node of backward (n or →)"], [run, "Run backward to the end (r)"]]) {
      ctl.b.disabled = finished;
      ctl.b.title = finished ? why : title;
      ctl.wrap.title = ctl.b.title;
    }
    reset.b.disabled = !model.get("can_reset");
    reset.b.title = model.get("reset_reason") || "";
    reset.wrap.title = reset.b.title;
    view.status.textContent = model.get("summary") || "";
    view.root.dataset.step = String(model.get("step_index"));
    view.root.dataset.done = String(!!model.get("done"));
  };
  const names = ["done", "can_reset", "reset_reason", "step_reason", "summary", "step_index", "error_info"];
  for (const n of names) model.on(`change:${n}`, refresh);
  refresh();

  // The keys are caught on `window` in the capture phase, and only while focus is inside the widget:
  // Notebook 7 handles its shortcuts (→ among them) in the capture phase on `document`, and
  // JupyterLab's command mode would turn the cell into a raw cell on r.
  const onKey = (ev) => {
    const action = KEYS[ev.key];
    if (!action || ev.ctrlKey || ev.metaKey || ev.altKey || !view.root.contains(ev.target)) return;
    if (ev.target.closest?.("input, textarea, select, [contenteditable='true']")) return;
    ev.preventDefault();
    ev.stopPropagation();
    const ctl = action === "step" ? step : run;
    if (!ctl.b.disabled) send(action);
  };
  let listening = false;
  const listen = (on) => {
    if (on === listening) return;
    listening = on;
    if (on) window.addEventListener("keydown", onKey, true);
    else window.removeEventListener("keydown", onKey, true);
  };
  const onFocusIn = () => listen(true);
  const onFocusOut = (ev) => { if (!view.root.contains(ev.relatedTarget)) listen(false); };
  view.root.addEventListener("focusin", onFocusIn);
  view.root.addEventListener("focusout", onFocusOut);

  return () => {
    for (const n of names) model.off(`change:${n}`, refresh);
    listen(false);
    view.root.removeEventListener("focusin", onFocusIn);
    view.root.removeEventListener("focusout", onFocusOut);
    view.cleanup();
  };
}
