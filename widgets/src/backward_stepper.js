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

  const button = (action, text, onclick = () => send(action)) => {
    const b = h("button", { className: "agl-btn", type: "button", dataset: { action }, onclick }, text);
    // a disabled button gets no pointer events, so its tooltip lives on a wrapper too
    const wrap = h("span", { className: "agl-btn-wrap" }, b);
    return { b, wrap };
  };
  const back = button("back", "◂ back");
  const step = button("step", "step ▸");
  const run = button("run", "run ▸▸");
  const reset = button("reset", "reset ↺");
  // play: one step, then the next once the kernel has answered and the chosen pause has passed
  const play = button("play", "play ▶", () => setPlaying(!playing));
  play.b.setAttribute("aria-pressed", "false");
  const speed = h("select", { className: "agl-speed", dataset: { action: "speed" }, title: "Pause between two steps while playing" },
    ...[["1600", "slow"], ["800", "1 step/0.8 s"], ["300", "fast"], ["80", "fastest"]].map(([ms, text]) =>
      h("option", { value: ms, selected: ms === "800" }, text)));
  let playing = false, timer = null;
  const setPlaying = (on) => {
    playing = on;
    clearTimeout(timer);
    play.b.textContent = on ? "pause ❚❚" : "play ▶";
    play.b.setAttribute("aria-pressed", String(on));
    view.root.dataset.playing = String(on);
    if (on) send("step");
  };
  const onStepped = () => {
    if (!playing) return;
    const finished = model.get("done") || !!(model.get("error_info") || {}).message;
    if (finished) { setPlaying(false); return; }
    clearTimeout(timer);
    timer = setTimeout(() => { if (playing) send("step"); }, Number(speed.value));
  };
  model.on("change:step_index", onStepped);
  const controls = h("span", { className: "agl-controls" }, back.wrap, step.wrap, play.wrap, speed, run.wrap, reset.wrap);
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
    back.b.disabled = !model.get("can_reset") || model.get("step_index") === 0;
    back.b.title = model.get("can_reset")
      ? "One step back (backward cannot be undone: the pass starts again and runs to the step before)"
      : model.get("reset_reason") || "";
    back.wrap.title = back.b.title;
    play.b.disabled = finished && !playing;
    if (finished && playing) setPlaying(false);
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
    setPlaying(false);
    model.off("change:step_index", onStepped);
    for (const n of names) model.off(`change:${n}`, refresh);
    listen(false);
    view.root.removeEventListener("focusin", onFocusIn);
    view.root.removeEventListener("focusout", onFocusOut);
    view.cleanup();
  };
}
