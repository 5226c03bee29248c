// A small inline-SVG chart: one point per recorded event, coloured by what the event was, with a
// scale (the highest and lowest value on the left, the first and last event number below), so a
// watch of 90 events still says how big the gradient was and when.
import { svg } from "./util.js";

const W = 260, H = 62, M = 4;
const LEFT = 46, BOTTOM = 13;   // room for the value scale and the event numbers
const DOTS_UP_TO = 40;          // more events than this: the line alone, dots only where it is not a backward

function axisText(x, y, text, anchor) {
  const t = svg("text", { x, y, class: "agl-spark-axis", "text-anchor": anchor });
  t.textContent = text;
  return t;
}

function num(v) {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(3)));
}

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
  const x0 = LEFT, x1 = W - M, y0 = M, y1 = H - BOTTOM;
  const x = (i) => (n === 1 ? (x0 + x1) / 2 : x0 + (i * (x1 - x0)) / (n - 1));
  const y = (v) => y1 - ((v - lo) * (y1 - y0)) / (hi - lo);
  root.append(svg("line", { class: "agl-spark-frame", x1: x0 - 2, x2: x0 - 2, y1: y0, y2: y1 }));
  root.append(svg("line", { class: "agl-spark-zero", x1: x0, x2: x1, y1: y(0), y2: y(0) }));
  root.append(axisText(x0 - 5, y(hi) + 4, num(hi), "end"), axisText(x0 - 5, y(lo), num(lo), "end"));
  if (lo < 0 && hi > 0) root.append(axisText(x0 - 5, y(0) + 3, "0", "end"));
  root.append(axisText(x0, H - 2, "#0", "start"), axisText(x1, H - 2, `#${n - 1}`, "end"));
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
    if (n > DOTS_UP_TO && (events[i] || "backward") === "backward") return;
    const dot = svg("circle", { class: `agl-spark-dot ev-${events[i] || "backward"}${none ? " is-none" : ""}`,
      cx: x(i), cy: y(none ? 0 : v), r: n > DOTS_UP_TO ? 1.4 : 2.2 });
    const t = svg("title");
    t.textContent = `#${i} ${events[i] || ""}: ${none ? "None" : Number(v).toPrecision(4)}`;
    dot.append(t);
    root.append(dot);
  });
  return root;
}
