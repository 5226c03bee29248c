// Geometry read straight from Graphviz's SVG attributes. Parsing the attributes (rather than calling
// getBBox) works before the widget is attached to the page and forces no layout, so decorating a
// 300-node graph costs no reflow.

const NUM = /-?\d*\.?\d+(?:e[-+]?\d+)?/gi;

function numbers(text) {
  return (text || "").match(NUM)?.map(Number) ?? [];
}

/** Bounding box {x0, y0, x1, y1} of a node or cluster group, in the graph's user units. */
export function bboxOf(group) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const add = (x, y) => {
    if (x < x0) x0 = x; if (x > x1) x1 = x;
    if (y < y0) y0 = y; if (y > y1) y1 = y;
  };
  for (const shape of group.querySelectorAll("polygon, polyline")) {
    const v = numbers(shape.getAttribute("points"));
    for (let i = 0; i + 1 < v.length; i += 2) add(v[i], v[i + 1]);
  }
  for (const e of group.querySelectorAll("ellipse")) {
    const cx = +e.getAttribute("cx"), cy = +e.getAttribute("cy");
    const rx = +e.getAttribute("rx"), ry = +e.getAttribute("ry");
    add(cx - rx, cy - ry); add(cx + rx, cy + ry);
  }
  for (const p of group.querySelectorAll("path")) {
    const v = numbers(p.getAttribute("d"));
    for (let i = 0; i + 1 < v.length; i += 2) add(v[i], v[i + 1]);
  }
  if (x0 === Infinity) {
    for (const t of group.querySelectorAll("text")) add(+t.getAttribute("x"), +t.getAttribute("y"));
  }
  if (x0 === Infinity) return { x0: 0, y0: 0, x1: 0, y1: 0 };
  return { x0, y0, x1, y1 };
}

/** A point half-way along a Graphviz edge path ("M p0 C c1 c2 p1 c1 c2 p2 …"). */
export function edgeMidpoint(pathD) {
  const v = numbers(pathD);
  const pts = [];
  for (let i = 0; i + 1 < v.length; i += 2) pts.push([v[i], v[i + 1]]);
  if (pts.length === 0) return [0, 0];
  if (pts.length < 4) return pts[Math.floor(pts.length / 2)];
  const segments = Math.floor((pts.length - 1) / 3);
  if (segments % 2 === 0) return pts[(segments / 2) * 3];   // a joint between two curves
  const k = ((segments - 1) / 2) * 3;                         // the middle curve, at t = 1/2
  const [p0, c1, c2, p1] = [pts[k], pts[k + 1], pts[k + 2], pts[k + 3]];
  return [0, 1].map((d) => (p0[d] + 3 * c1[d] + 3 * c2[d] + p1[d]) / 8);
}

/** Does box `inner`'s centre lie in box `outer`? (cluster membership, no names needed) */
export function centreInside(inner, outer) {
  const cx = (inner.x0 + inner.x1) / 2, cy = (inner.y0 + inner.y1) / 2;
  return cx >= outer.x0 && cx <= outer.x1 && cy >= outer.y0 && cy <= outer.y1;
}

/** A Graphviz edge path sampled into a polyline with cumulative lengths, for points along it. */
export function sampleEdge(pathD, perCurve = 8) {
  const v = numbers(pathD);
  const pts = [];
  for (let i = 0; i + 1 < v.length; i += 2) pts.push([v[i], v[i + 1]]);
  const line = [];
  if (pts.length >= 4) {
    for (let k = 0; k + 3 < pts.length; k += 3) {
      const [p0, c1, c2, p1] = [pts[k], pts[k + 1], pts[k + 2], pts[k + 3]];
      for (let j = k === 0 ? 0 : 1; j <= perCurve; j++) {
        const t = j / perCurve, u = 1 - t;
        line.push([0, 1].map((d) => u * u * u * p0[d] + 3 * u * u * t * c1[d] + 3 * u * t * t * c2[d] + t * t * t * p1[d]));
      }
    }
  } else {
    line.push(...pts);
  }
  const lengths = [0];
  for (let i = 1; i < line.length; i++) {
    lengths.push(lengths[i - 1] + Math.hypot(line[i][0] - line[i - 1][0], line[i][1] - line[i - 1][1]));
  }
  return { line, lengths };
}

/** The point at fraction f (0..1) of a sampled edge's length. */
export function pointAlong({ line, lengths }, f) {
  if (!line.length) return [0, 0];
  const total = lengths[lengths.length - 1];
  const want = total * f;
  let i = 1;
  while (i < lengths.length && lengths[i] < want) i++;
  if (i >= line.length) return line[line.length - 1];
  const seg = lengths[i] - lengths[i - 1] || 1;
  const t = (want - lengths[i - 1]) / seg;
  return [0, 1].map((d) => line[i - 1][d] + t * (line[i][d] - line[i - 1][d]));
}

/** Is box `a` wholly inside box `b`? */
export function inside(a, b) {
  return a.x0 >= b.x0 && a.y0 >= b.y0 && a.x1 <= b.x1 && a.y1 <= b.y1;
}

/** Do two boxes {x0, y0, x1, y1} overlap? */
export function overlaps(a, b) {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}
