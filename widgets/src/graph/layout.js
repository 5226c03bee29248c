// Graphviz (WASM) lays a DOT out once per page and graph: a second view of the same graph clones
// the first one's SVG.
import { instance } from "@viz-js/viz";

let vizPromise = null;            // one WASM instance per page, shared by every view
const layouts = new Map();        // dot source -> laid-out SVG
const MAX_CACHED_LAYOUTS = 16;

export function viz() {
  vizPromise ||= instance();
  return vizPromise;
}

/** A fresh copy of the laid-out SVG of `dot`; timings.graphviz says what the layout cost (0 when cached). */
export async function layout(dot, timings) {
  let cached = layouts.get(dot);
  if (!cached) {
    const v = await viz();
    const t0 = performance.now();
    cached = v.renderSVGElement(dot);
    timings.graphviz = performance.now() - t0;
    layouts.set(dot, cached);
    if (layouts.size > MAX_CACHED_LAYOUTS) layouts.delete(layouts.keys().next().value);
  }
  return cached.cloneNode(true);
}
