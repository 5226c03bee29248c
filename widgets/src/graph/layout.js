// Graphviz (WASM) lays a DOT out once per page and graph, in a Web Worker so that a big graph never
// blocks the page: the worker runs this same bundle (created from the bundle's own Blob URL, which
// the loader made from the bytes the kernel sent: no CDN, no file fetched), and the page turns the
// SVG text it answers into elements. Where no worker can be made (a bundle served from another
// origin, a page without workers) the layout runs on the page as before. A second view of the same
// graph clones the first one's SVG.
import { instance } from "@viz-js/viz";

let vizPromise = null;            // one WASM instance per page (and one in the worker)
const layouts = new Map();        // dot source -> laid-out SVG (or the promise of it)
const MAX_CACHED_LAYOUTS = 16;
const ready = new Set();          // dot sources whose layout is done

/** True when `dot` was laid out on this page already (a second view draws it at once). */
export function laidOut(dot) { return ready.has(dot) && layouts.has(dot); }

export function viz() {
  vizPromise ||= instance();
  return vizPromise;
}

// ---- the worker side ----

/** True in the layout worker: it answers {id, dot} with {id, svg, ms} or {id, error}. */
export function serveLayouts(scope) {
  scope.addEventListener("message", async ({ data }) => {
    if (!data || data.type !== "agl:layout") return;
    try {
      const v = await viz();
      const t0 = performance.now();
      const svg = v.renderString(data.dot, { format: "svg" });
      scope.postMessage({ id: data.id, svg, ms: performance.now() - t0 });
    } catch (err) {
      scope.postMessage({ id: data.id, error: String(err?.message || err) });
    }
  });
}

// ---- the page side ----

let worker;                       // undefined: not tried yet; null: no worker possible here
let nextId = 0;
const waiting = new Map();        // request id -> {resolve, reject}

function layoutWorker() {
  if (worker !== undefined) return worker;
  worker = null;
  try {
    if (typeof Worker === "undefined" || !import.meta.url) return null;
    const w = new Worker(import.meta.url, { type: "module", name: "autograd_lab layout" });
    w.addEventListener("message", ({ data }) => {
      const job = waiting.get(data.id);
      if (!job) return;
      waiting.delete(data.id);
      if (data.error) job.reject(new Error(data.error)); else job.resolve(data);
    });
    w.addEventListener("error", (ev) => {
      // the worker could not start (or died): every waiting layout runs on the page instead
      ev.preventDefault?.();
      worker = null;
      for (const job of waiting.values()) job.fallback();
      waiting.clear();
    });
    worker = w;
  } catch {
    worker = null;
  }
  return worker;
}

function parseSvg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const err = doc.querySelector("parsererror");
  if (err) throw new Error(err.textContent);
  return document.importNode(doc.documentElement, true);
}

async function onPage(dot, timings) {
  const v = await viz();
  const t0 = performance.now();
  const svgEl = v.renderSVGElement(dot);
  timings.graphviz = performance.now() - t0;
  timings.where = "page";
  return svgEl;
}

function inWorker(dot, timings) {
  const w = layoutWorker();
  if (!w) return onPage(dot, timings);
  return new Promise((resolve, reject) => {
    const id = ++nextId;
    waiting.set(id, {
      resolve: ({ svg, ms }) => {
        try {
          timings.graphviz = ms;
          timings.where = "worker";
          resolve(parseSvg(svg));
        } catch (err) { reject(err); }
      },
      reject,
      fallback: () => onPage(dot, timings).then(resolve, reject),
    });
    w.postMessage({ type: "agl:layout", id, dot });
  });
}

/** A fresh copy of the laid-out SVG of `dot`; timings.graphviz says what the layout cost (0 when
 * cached) and timings.where where it ran ("worker" or "page"). */
export async function layout(dot, timings) {
  let cached = layouts.get(dot);
  if (!cached) {
    cached = inWorker(dot, timings);
    layouts.set(dot, cached);
    cached.then(() => ready.add(dot), () => layouts.delete(dot));
    if (layouts.size > MAX_CACHED_LAYOUTS) layouts.delete(layouts.keys().next().value);
  } else {
    timings.where = "cache";
  }
  return (await cached).cloneNode(true);
}
