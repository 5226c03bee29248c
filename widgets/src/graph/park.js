// Where the nodes and edges of a big graph wait while they are far off screen: one hidden group at
// the end of the drawing. Hidden in place (display: none on each), they still cost Chromium ~2 ms
// of layout and pre-paint a frame at 3,000 nodes; gathered under one hidden group, a frame costs
// what the part on screen costs. Each element leaves a comment where it was and goes back there
// (the drawing order, which says what is drawn over what, is kept); it stays in the drawing, so
// queries over the svg still find every node and edge.
import { svg } from "../util.js";

export class Park {
  constructor(root) {
    this.g = svg("g", { class: "agl-park" });
    root.append(this.g);
    this.marks = new Map();       // element -> the comment holding its place
  }

  hide(el) {
    if (el.parentNode === this.g) return;
    let mark = this.marks.get(el);
    if (!mark) this.marks.set(el, (mark = document.createComment("")));
    el.replaceWith(mark);
    this.g.append(el);
  }

  show(el) {
    if (el.parentNode === this.g) this.marks.get(el).replaceWith(el);
  }
}
