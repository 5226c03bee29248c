// The overview of a big graph: every node as a dot on a small canvas in the viewport's corner, with
// the part on screen framed. Press or drag on it to look there.
import { h } from "../util.js";

const MAX_W = 120, MAX_H = 140;
const COLOURS = { leaf: "#1e6fb8", op: "#757575", output: "#2e7d32", saved: "#e8710a" };

export class Minimap {
  constructor(viewport) {
    this.vp = viewport;
    const { w, h: ht } = viewport.drawing.size;
    this.scale = Math.min(MAX_W / w, MAX_H / ht);
    this.w = Math.max(20, Math.round(w * this.scale));
    this.h = Math.max(20, Math.round(ht * this.scale));
    this.canvas = h("canvas", { className: "agl-minimap", width: this.w, height: this.h,
                                dataset: { testid: "minimap", action: "minimap" }, title: "Overview: press or drag to look there" });
    this.base = null;             // the nodes, drawn once
    const look = (ev) => {
      const r = this.canvas.getBoundingClientRect();
      this.vp.lookAt((ev.clientX - r.left) / this.scale, (ev.clientY - r.top) / this.scale);
    };
    let pressed = false;
    this.canvas.addEventListener("pointerdown", (ev) => {
      ev.stopPropagation();      // not a pan of the graph under it
      pressed = true;
      this.canvas.setPointerCapture?.(ev.pointerId);
      look(ev);
    });
    this.canvas.addEventListener("pointermove", (ev) => { if (pressed) { ev.stopPropagation(); look(ev); } });
    const up = (ev) => { ev.stopPropagation(); pressed = false; };
    this.canvas.addEventListener("pointerup", up);
    this.canvas.addEventListener("pointercancel", up);
    this.canvas.addEventListener("click", (ev) => ev.stopPropagation());
  }

  _drawBase() {
    const c = document.createElement("canvas");
    c.width = this.w;
    c.height = this.h;
    const ctx = c.getContext("2d");
    const { origin, nodes } = this.vp.drawing;
    const s = this.scale;
    for (const { box: b, meta } of nodes.values()) {
      ctx.fillStyle = COLOURS[meta.kind] || COLOURS.op;
      ctx.fillRect((origin.x + b.x0) * s, (origin.y + b.y0) * s, Math.max(1.5, (b.x1 - b.x0) * s), Math.max(1.5, (b.y1 - b.y0) * s));
    }
    this.base = c;
  }

  /** redraw the frame of what is on screen (after every zoom or pan) */
  update() {
    const ctx = this.canvas.getContext?.("2d");
    if (!ctx) return;
    if (!this.base) this._drawBase();
    const { k, x, y } = this.vp.view;
    const vw = this.vp.width, vh = this.vp.height, s = this.scale;
    ctx.clearRect(0, 0, this.w, this.h);
    ctx.drawImage(this.base, 0, 0);
    ctx.strokeStyle = "#e65100";
    ctx.lineWidth = 1.5;
    ctx.strokeRect((-x / k) * s, (-y / k) * s, (vw / k) * s, (vh / k) * s);
    const whole = vw / k >= this.vp.drawing.size.w && vh / k >= this.vp.drawing.size.h;
    this.canvas.hidden = whole;  // nothing to find when all of it is on screen
  }
}
