// A tiny inline-SVG sparkline: one point per recorded event, coloured by what the event was.
import { svg } from "./util.js";

const W = 160, H = 34, M = 4;

/** values: [number|null], events: [string] (same length) */
export function sparkline(values, events, { label = "" } = {}) {
  const root = svg("svg", { class: "agl-spark", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img" });
  const title = svg("title");
  title.textContent = label;
  root.append(title);
  const finite = values.filter((v) => v !== null && Number.isFinite(v));
  if (!finite.length) {
    const t = svg("text", { x: M, y: H / 2 + 4, class: "agl-spark-empty" });
    t.textContent = "no grad yet";
    root.append(t);
    return root;
  }
  let lo = Math.min(0, ...finite), hi = Math.max(0, ...finite);
  if (hi === lo) { hi += 1; lo -= 1; }
  const n = values.length;
  const x = (i) => (n === 1 ? W / 2 : M + (i * (W - 2 * M)) / (n - 1));
  const y = (v) => H - M - ((v - lo) * (H - 2 * M)) / (hi - lo);
  root.append(svg("line", { class: "agl-spark-zero", x1: M, x2: W - M, y1: y(0), y2: y(0) }));
  // a null (grad is None) breaks the line, as zero_grad(set_to_none=True) does to the history
  let d = "", pen = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) { pen = false; return; }
    d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  root.append(svg("path", { class: "agl-spark-line", d }));
  values.forEach((v, i) => {
    const none = v === null || !Number.isFinite(v);
    // a grad of None (zero_grad's default) is marked on the zero line, hollow
    if (none && events[i] !== "zero_grad") return;
    const dot = svg("circle", { class: `agl-spark-dot ev-${events[i] || "backward"}${none ? " is-none" : ""}`,
      cx: x(i), cy: y(none ? 0 : v), r: 2.2 });
    const t = svg("title");
    t.textContent = `#${i} ${events[i] || ""}: ${none ? "None" : Number(v).toPrecision(4)}`;
    dot.append(t);
    root.append(dot);
  });
  return root;
}
