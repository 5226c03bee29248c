// Badges on nodes: hooks and retain_grad (pills behind the label line Graphviz made room for), and
// NaN / inf (a badge on the node's bottom-left corner, drawn live).
import { svg } from "../util.js";

const PILL_TITLES = {
  hook: (text) => `${text} registered on this tensor (see the inspector)`,
  retain: () => "retain_grad(): this non-leaf tensor keeps its .grad",
};

/**
 * parts: the node's label line of extras as Python wrote it, [{kind: "hook"|"retain"|"", text}]
 * ("2 hooks, retains grad"). Each part with a kind becomes a pill drawn behind its own characters,
 * so it covers no edge and no other node. Needs the drawing in the document (measures glyphs).
 */
export function drawPills(node, parts) {
  if (!parts?.some((p) => p.kind)) return;
  const whole = parts.map((p) => p.text).join(", ");
  const line = [...node.g.querySelectorAll("text")].reverse().find((t) => t.textContent === whole);
  if (!line) return;
  const box = line.getBBox();  // measured while the line still holds its text
  // a text box is taller than the line pitch Graphviz used: trimmed, a pill leaves the line above alone
  const h = box.height * 0.86, y = box.y + box.height * 0.12;
  line.textContent = "";
  let at = 0;
  for (const [i, part] of parts.entries()) {
    if (i) {
      line.append(Object.assign(svg("tspan", { class: "agl-pill-gap" }), { textContent: ", " }));
      at += 2;
    }
    const span = Object.assign(svg("tspan"), { textContent: part.text });
    line.append(span);
    if (part.kind) {
      const x0 = line.getStartPositionOfChar(at).x, x1 = line.getEndPositionOfChar(at + part.text.length - 1).x;
      const pill = svg("rect", { class: `agl-badge agl-badge-${part.kind}`, x: x0 - 3, y, width: x1 - x0 + 6, height: h, rx: h / 2 });
      pill.append(Object.assign(svg("title"), { textContent: PILL_TITLES[part.kind](part.text) }));
      line.parentNode.insertBefore(pill, line);
      span.classList.add(`agl-pill-${part.kind}`);
    }
    at += part.text.length;
  }
}

/** The "NaN" / "inf" badge of a node (flag "nan" | "inf"); returns the badge and the box it covers. */
export function nanBadge(node, flag, name) {
  const text = flag === "nan" ? "NaN" : "inf";
  const w = 6 * text.length + 10, x = node.box.x0 - 4, y = node.box.y1 - 4;
  const badge = svg("g", { class: "agl-badge agl-badge-nan", "data-testid": "nan-badge" });
  const label = svg("text", { x: x + w / 2, y: y + 10 });
  label.textContent = text;
  const tip = svg("title");
  tip.textContent = `${name} holds ${text} (click the node to see where)`;
  badge.append(svg("rect", { x, y, width: w, height: 13, rx: 6.5 }), label, tip);
  return { badge, box: { x0: x, y0: y, x1: x + w, y1: y + 13 } };
}
