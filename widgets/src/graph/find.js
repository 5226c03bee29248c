// Finding your way in a big graph: a search box that finds nodes by name, label or id and takes the
// view to each match in turn (Enter: the next one), and focus mode, which dims everything farther
// than a few edges from the selected node.
import { h } from "../util.js";

export const FOCUS_HOPS = 2;

/** ids of the drawn boxes whose node's label, tensor name or id contains `query` (case-insensitive),
 * in graph order; a node folded away is found as the box it is drawn in (boxOf) */
export function matches(drawing, query, boxOf = (id) => id) {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const found = new Set();
  for (const id of drawing.order) {
    const m = drawing.meta.get(id) || {};
    const box = boxOf(id);
    if (drawing.nodes.has(box) && [id, m.label, m.name, m.module].some((s) => s && String(s).toLowerCase().includes(q))) {
      found.add(box);
    }
  }
  return [...found];
}

/** the node ids within `hops` edges of `id`, either way */
export function neighbourhood(drawing, id, hops = FOCUS_HOPS) {
  const seen = new Set([id]);
  let front = [id];
  for (let k = 0; k < hops && front.length; k++) {
    const next = [];
    for (const n of front) {
      for (const e of [...(drawing.bySource.get(n) || []), ...(drawing.byTarget.get(n) || [])]) {
        const { source, target } = drawing.edges.get(e).info;
        for (const m of [source, target]) if (!seen.has(m)) { seen.add(m); next.push(m); }
      }
    }
    front = next;
  }
  return seen;
}

/** The search box and the focus button; canvas: GraphCanvas; select(id): what a click on the node does. */
export function findControls(canvas, select) {
  let found = [], at = -1;
  const count = h("span", { className: "agl-find-count", dataset: { testid: "search-count" } });
  const input = h("input", {
    className: "agl-search", type: "search", placeholder: "find a node…", title: "Find a node by name (Enter: next match)",
    dataset: { action: "search" }, "aria-label": "find a node",
  });
  const show = () => {
    const d = canvas.drawing;
    for (const id of canvas.marked || []) d.nodes.get(id)?.g.classList.remove("is-match");
    canvas.marked = found;
    for (const id of found) d.nodes.get(id)?.g.classList.add("is-match");
    count.textContent = input.value.trim() ? (found.length ? `${at + 1} of ${found.length}` : "no match") : "";
    if (at >= 0) {
      canvas.reveal(found[at]);
      if (canvas.selected !== found[at]) select(found[at]);
    }
  };
  const search = () => matches(canvas.drawing, input.value, (id) => canvas.folds.boxOf(id));
  input.addEventListener("input", () => { found = search(); at = found.length ? 0 : -1; show(); });
  input.addEventListener("keydown", (ev) => {
    ev.stopPropagation();  // typing here is not a stepper key nor a notebook shortcut
    if (ev.key === "Enter" && found.length) { at = (at + 1) % found.length; show(); }
  });
  const focus = h("button", {
    className: "agl-btn agl-btn-small", type: "button", dataset: { action: "focus" }, title:
      `Focus: show only what lies within ${FOCUS_HOPS} edges of the selected node (again to show all)`,
    onclick: () => canvas.setFocus(canvas.focused ? "" : canvas.selected),
  }, "focus");
  // a new drawing (the full layout after the draft) keeps the matches
  canvas.onSwap = () => { found = search(); show(); };
  return h("span", { className: "agl-find" }, input, count, focus);
}
