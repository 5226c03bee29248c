// The boxes Graphviz drew around a layer's nodes (and the frames around an unfolded repeat, block or
// chain): each carries its group's id, and a [−] in its corner (or a click on its name) folds it.
// Folding is a new layout: the widget asks Python for the DOT with the group drawn as one box.
import { svg } from "../util.js";

export class Clusters {
  constructor(drawing, overlays) {
    this.drawing = drawing;
    this.toggles = new Map();     // the elements that fold a box ([−] and its name) -> the box
    for (const c of drawing.clusters) {
      if (!c.group) continue;     // a box without a group (an old DOT) has nothing to fold
      const { box, label } = c;
      c.g.classList.toggle("is-frame", drawing.meta.get(c.group).group.kind !== "module");
      // top-right corner: Graphviz puts the box's name top-left
      const toggle = svg("text", {
        class: "agl-cluster-toggle", x: box.x1 - 6, y: box.y0 + 13, "data-action": "toggle-cluster",
        "data-group": c.group,
      });
      toggle.append(document.createTextNode("[−]"), svg("title"));
      toggle.lastChild.textContent = `fold ${label?.textContent || "this box"} into one box`;
      this.toggles.set(toggle, c);
      if (label) {
        label.dataset.action = "toggle-cluster";
        label.classList.add("agl-cluster-label");
        this.toggles.set(label, c);
      }
      overlays.layer.append(toggle);
    }
  }

  /** the box an element folds (a click target inside the drawing), or undefined */
  of(el) {
    const target = el.closest?.("[data-action='toggle-cluster']");
    return target ? this.toggles.get(target) : undefined;
  }
}
