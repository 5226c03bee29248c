// Small DOM helpers shared by the widgets (no framework: each widget is a few dozen elements).
export const SVG_NS = "http://www.w3.org/2000/svg";

/** h("button", {dataset: {action: "step"}, title: "…"}, "step") */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "className") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of present(children)) node.append(child instanceof Node ? child : String(child));
  return node;
}

/** The parts that are there: for replaceChildren and append, which write null as the text "null". */
export function present(...parts) {
  return parts.flat().filter((p) => p !== null && p !== undefined && p !== false);
}

export function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

/**
 * Coalesce many `change:` events (a held sync sends several traits in one message, and each fires
 * its own event) into one update per microtask.
 */
export function batched(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => { queued = false; fn(); });
  };
}

/** Listen to `change:name` for each name; returns the function that stops listening. */
export function onChanges(model, names, fn) {
  for (const name of names) model.on(`change:${name}`, fn);
  return () => { for (const name of names) model.off(`change:${name}`, fn); };
}

/** Diff two plain objects: keys whose value differs (including removed keys, with undefined). */
export function changedKeys(before, after) {
  const out = [];
  for (const key in after) if (before[key] !== after[key]) out.push(key);
  for (const key in before) if (!(key in after)) out.push(key);
  return out;
}

/**
 * The widget's text repr (what a front end without JavaScript shows): the first line in view, the
 * rest folded away. Returns {el, set(text)}.
 */
export function textSummary() {
  const head = h("span", { className: "agl-status-head" });
  const body = h("pre", { className: "agl-pre agl-status-body" });
  const more = h("details", { className: "agl-status-more" }, h("summary", {}, "as text"), body);
  const el = h("div", { className: "agl-status", dataset: { testid: "status" } }, head, more);
  return {
    el,
    set(text) {
      const [first, ...rest] = (text || "").split("\n");
      head.textContent = first;
      body.textContent = text || "";
      more.hidden = rest.length === 0;
    },
  };
}
