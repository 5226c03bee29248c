// Node labels as the browser draws them: Graphviz sized each node for its label with Helvetica's
// metrics; a browser drawing the label in another font (no Helvetica nor a metric twin installed)
// would spill text over the box. Each line wider than the room Graphviz gave it is squeezed to it.

/**
 * Returns false while the drawing is not in the document yet (nothing measures: width 0); the
 * caller tries again on the first resize.
 */
export function fitLabels(nodes) {
  let measured = false;
  for (const { g, box: b } of nodes) {
    const cx = (b.x0 + b.x1) / 2;
    for (const t of g.querySelectorAll("text")) {
      if (t.closest(".agl-badge")) continue;
      const width = t.getComputedTextLength?.() || 0;
      if (!width) continue;
      measured = true;
      const x = +t.getAttribute("x"), anchor = t.getAttribute("text-anchor") || "start";
      const room = anchor === "middle" ? b.x1 - b.x0 - 8
        : anchor === "end" ? x - b.x0 - 4
        : cx - x > 1 ? 2 * (cx - x) : b.x1 - x - 4;  // a centred line starts half its width left of the centre
      if (room > 0 && width > room + 0.5) {
        t.setAttribute("textLength", room.toFixed(1));
        t.setAttribute("lengthAdjust", "spacingAndGlyphs");
        t.classList.add("agl-squeezed");
      }
    }
  }
  return measured;
}
