// Zoom and pan: the laid-out SVG sits on a stage moved by one CSS transform; the viewport clips it.
import { h } from "../util.js";

const MAX_HEIGHT = 560;           // the viewport's height cap (px); it is resizable by the user
// Graphviz draws titles at 11 and value lines at 9 units, one CSS px each: a small graph is enlarged
// to the width it has (up to MAX_FIT: a 9-node graph no longer fills a third of it); a big one is
// never shrunk below MIN_FIT, where the value lines would drop under 7 px (pan or search instead)
const MIN_FIT = 0.8;
const MAX_FIT = 1.6;
const ZOOM_KEYS = /Mac|iPhone|iPad/.test(globalThis.navigator?.platform ?? "") ? "⌘ + wheel" : "Ctrl + wheel";
const CULL_OVER = 150;           // nodes: a bigger graph hides the labels far off screen (see _cullSoon)

export class Viewport {
  /** onClick(target element): a click (not a drag) inside; onResize(): the viewport got a size */
  constructor(drawing, { onClick, onResize }) {
    this.drawing = drawing;
    this.onClick = onClick;
    this.onResize = onResize;
    this.el = h("div", { className: "agl-viewport", dataset: { testid: "graph-viewport" } });
    this.stage = h("div", { className: "agl-stage" });
    this.stage.append(drawing.svg);
    this.el.append(this.stage);
    this.view = { k: 1, x: 0, y: 0 };
    this.touched = false;         // the user zoomed or panned: stop auto-fitting on resize
    this.drag = null;             // the pointer pressed inside, until it is released
    this.cleanups = [];
  }

  _apply() {
    const { k, x, y } = this.view;
    this.stage.style.transform = `translate(${x}px, ${y}px) scale(${k})`;
    this.el.dataset.zoom = k.toFixed(3);
    this.minimap?.update();
    this._cullSoon();
  }

  // Chromium repaints every text of an <svg> when any node in it changes: on a graph of thousands
  // of nodes that made one step cost 200 ms (texts hidden: one frame). So a big graph keeps the
  // labels of nodes far off screen hidden (class is-offscreen); done once a pan or zoom settles.
  _cullSoon() {
    if (this.drawing.nodes.size <= CULL_OVER) return;
    clearTimeout(this.cullTimer);
    this.cullTimer = setTimeout(() => this.cull(), this.culled ? 120 : 0);
  }

  cull() {
    const vw = this.el.clientWidth, vh = this.el.clientHeight;
    if (!vw || !vh) return;
    const { k, x, y } = this.view, { origin } = this.drawing;
    // what is on screen, in drawing coordinates, and one screen more on every side
    const w = vw / k, ht = vh / k, x0 = -x / k - origin.x - w, y0 = -y / k - origin.y - ht;
    const x1 = x0 + 3 * w, y1 = y0 + 3 * ht;
    let hidden = 0;
    for (const { g, box: b } of this.drawing.nodes.values()) {
      const off = b.x1 < x0 || b.x0 > x1 || b.y1 < y0 || b.y0 > y1;
      if (off) hidden++;
      if (off !== g.classList.contains("is-offscreen")) g.classList.toggle("is-offscreen", off);
    }
    // the gradients and notes a pass writes grow to one per edge: the same for them
    for (const t of this.drawing.root.querySelectorAll(".agl-overlay > text")) {
      const tx = +t.getAttribute("x"), ty = +t.getAttribute("y");
      const off = tx < x0 || tx > x1 || ty < y0 || ty > y1;
      if (off !== t.classList.contains("is-offscreen")) t.classList.toggle("is-offscreen", off);
    }
    this.culled = true;
    this.el.dataset.offscreen = String(hidden);
  }

  /** an overview in the corner (graph/minimap.js), for graphs too big to read whole */
  addMinimap(minimap) {
    this.minimap = minimap;
    this.el.append(minimap.canvas);
    minimap.update();
  }

  /** centre the view on a point of the stage (CSS px before zoom), keeping the zoom */
  lookAt(px, py) {
    const { k } = this.view;
    this.view = { k, x: this.el.clientWidth / 2 - px * k, y: this.el.clientHeight / 2 - py * k };
    this.touched = true;
    this._apply();
  }

  /**
   * The whole graph when it can be read at that size; otherwise the smallest readable zoom, looking
   * at the output, where backward starts (pan and wheel reach the rest).
   */
  fit() {
    const width = this.el.clientWidth;
    if (!width) return false;
    const { w, h: hgt } = this.drawing.size;
    const byWidth = (width - 8) / w, byHeight = (MAX_HEIGHT - 8) / hgt;
    const whole = Math.min(MAX_FIT, byWidth, byHeight);
    // too big to read whole: as wide as the view (within the caps), the output in sight, and no
    // blank half (the drawing is kept against the viewport's edges, see _clamp)
    const k = whole >= MIN_FIT ? whole : Math.max(MIN_FIT, Math.min(MAX_FIT, byWidth));
    this.el.style.height = `${Math.min(Math.max(hgt * k + 8, 140), MAX_HEIGHT)}px`;
    this.view = { k, x: Math.max(4, (width - w * k) / 2), y: 4 };
    if (whole < MIN_FIT && this.drawing.focus) this._centre(this.drawing.focus);
    this._clamp();
    this._apply();
    return true;
  }

  /** keep the drawing over the viewport: centred along an axis where it fits, else edge to edge */
  _clamp() {
    const { k, x, y } = this.view, vw = this.el.clientWidth, vh = this.el.clientHeight;
    const gw = this.drawing.size.w * k, gh = this.drawing.size.h * k;
    const along = (pos, g, v) => (g + 8 <= v ? Math.max(4, (v - g) / 2) : Math.min(4, Math.max(v - g - 4, pos)));
    this.view = { k, x: along(x, gw, vw), y: gh + 8 <= vh ? 4 : along(y, gh, vh) };
  }

  _centre(id) {
    const p = this.drawing.centre(id);
    if (!p) return;
    const { k } = this.view;
    this.view = { k, x: this.el.clientWidth / 2 - p.x * k, y: this.el.clientHeight / 2 - p.y * k };
  }

  /** pan (never zoom) so that a node is on screen: the current node must not step out of view */
  reveal(id) {
    const p = this.drawing.centre(id);
    const vw = this.el.clientWidth, vh = this.el.clientHeight;
    if (!p || !vw || !vh) return;
    const { k, x, y } = this.view;
    const sx = x + p.x * k, sy = y + p.y * k, margin = 30;
    // the overview covers the top-right corner: a node under it is not on screen either
    const map = this.minimap && !this.minimap.canvas.hidden ? this.minimap : null;
    const underMap = !!map && sx > vw - map.w - 12 - margin && sy < map.h + 12 + margin;
    if (!underMap && sx > margin && sx < vw - margin && sy > margin && sy < vh - margin) return;
    this._centre(id);
    this._apply();
  }

  zoomBy(factor, px, py) {
    const { k, x, y } = this.view;
    const k2 = Math.min(6, Math.max(0.05, k * factor));
    if (px === undefined) { px = this.el.clientWidth / 2; py = this.el.clientHeight / 2; }
    this.view = { k: k2, x: px - ((px - x) * k2) / k, y: py - ((py - y) * k2) / k };
    this.touched = true;
    this._apply();
  }

  reset() {
    this.touched = false;
    this.fit();
  }

  /** Ctrl/Cmd + wheel zooms, a drag pans, a click goes to onClick; fit on resize until the user takes over */
  listen() {
    const vp = this.el;
    const on = (target, type, fn, opts) => {
      target.addEventListener(type, fn, opts);
      this.cleanups.push(() => target.removeEventListener(type, fn, opts));
    };
    // the plain wheel scrolls the notebook (a graph must not trap it); Ctrl/Cmd + wheel (and a
    // trackpad pinch, which the browser sends as Ctrl + wheel) zooms, as on a map
    vp.title = `Drag to pan · ${ZOOM_KEYS} to zoom`;
    on(vp, "wheel", (ev) => {
      if (!(ev.ctrlKey || ev.metaKey)) { this._hint(); return; }
      ev.preventDefault();
      const r = vp.getBoundingClientRect();
      this.zoomBy(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    on(vp, "pointerdown", (ev) => {
      if (ev.button !== 0) return;
      this.drag = { x: ev.clientX, y: ev.clientY, vx: this.view.x, vy: this.view.y, moved: false, target: ev.target, id: ev.pointerId };
    });
    on(vp, "pointermove", (ev) => {
      const drag = this.drag;
      if (!drag) return;
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) { drag.moved = true; vp.setPointerCapture?.(drag.id); vp.classList.add("is-panning"); }
      this.view = { ...this.view, x: drag.vx + dx, y: drag.vy + dy };
      this.touched = true;
      this._apply();
    });
    const end = (ev) => {
      const drag = this.drag;
      if (!drag) return;
      this.drag = null;
      vp.classList.remove("is-panning");
      if (!drag.moved && ev.type !== "pointercancel") this.onClick(drag.target);
    };
    on(vp, "pointerup", end);
    on(vp, "pointercancel", end);
    const ro = new ResizeObserver(() => { this.onResize(); if (!this.touched) this.fit(); });
    ro.observe(vp);
    this.cleanups.push(() => ro.disconnect());
  }

  /** a short-lived "Ctrl + wheel to zoom" note, shown when the plain wheel passes over the graph */
  _hint() {
    if (!this.hint) {
      this.hint = h("div", { className: "agl-wheel-hint", dataset: { testid: "wheel-hint" } }, `${ZOOM_KEYS} to zoom`);
      this.el.append(this.hint);
    }
    this.hint.classList.add("is-shown");
    clearTimeout(this.hintTimer);
    this.hintTimer = setTimeout(() => this.hint.classList.remove("is-shown"), 1200);
  }

  destroy() {
    clearTimeout(this.hintTimer);
    clearTimeout(this.cullTimer);
    for (const fn of this.cleanups.splice(0)) fn();
  }
}
