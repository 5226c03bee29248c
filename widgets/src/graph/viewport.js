// Zoom and pan: the laid-out SVG sits on a stage moved by one CSS transform; the viewport clips it.
import { inside, overlaps } from "../geometry.js";
import { h } from "../util.js";
import { Park } from "./park.js";

const MAX_HEIGHT = 560;           // the viewport's height cap (px); it is resizable by the user
// Graphviz draws titles at 11 and value lines at 9 units, one CSS px each: a small graph is enlarged
// to the width it has (up to MAX_FIT: a 9-node graph no longer fills a third of it); a big one is
// never shrunk below MIN_FIT, where the value lines would drop under 7 px (pan or search instead)
const MIN_FIT = 0.8;
const MAX_FIT = 1.6;
export const ZOOM_KEYS = /Mac|iPhone|iPad/.test(globalThis.navigator?.platform ?? "") ? "⌘ + wheel" : "Ctrl + wheel";
const CULL_OVER = 150;           // nodes: a bigger graph hides the labels far off screen (see _cullSoon)

export class Viewport {
  /**
   * onClick(target element): a click (not a drag) inside; onResize(): the viewport got a size;
   * onCull({x0, y0, x1, y1}): the part of the drawing (its units) whose texts stay drawn changed
   */
  constructor(drawing, { onClick, onResize, onCull }) {
    this.drawing = drawing;
    this.onClick = onClick;
    this.onResize = onResize;
    this.onCull = onCull;
    this.el = h("div", { className: "agl-viewport", dataset: { testid: "graph-viewport" } });
    this.stage = h("div", { className: "agl-stage" });
    this.stage.append(drawing.svg);
    this.el.append(this.stage);
    // a node's fill fades in 0.15 s on a small graph; on a big one each frame of that fade paints
    // the whole drawing again (10 ms a frame at 3,000 nodes), and it runs into the next click
    drawing.svg.classList.toggle("is-big", drawing.nodes.size > CULL_OVER);
    this.view = { k: 1, x: 0, y: 0 };
    this.touched = false;         // the user zoomed or panned: stop auto-fitting on resize
    this.drag = null;             // the pointer pressed inside, until it is released
    this.known = null;            // {w, h}: the viewport's size as the ResizeObserver last saw it
    this.cleanups = [];
  }

  /**
   * The viewport's size in CSS px. A step pans to the current node right after restyling nodes:
   * reading clientWidth then forced a style and layout pass of the whole drawing (10 ms at 3,000
   * nodes) before the frame did the same again. The size is kept from the ResizeObserver instead,
   * and read from the page only until it has reported, or after fit() changed the height.
   */
  get width() { return this.known ? this.known.w : this.el.clientWidth; }

  get height() { return this.known ? this.known.h : this.el.clientHeight; }

  _apply() {
    const { k, x, y } = this.view;
    this.stage.style.transform = `translate(${x}px, ${y}px) scale(${k})`;
    this.el.dataset.zoom = k.toFixed(3);
    this.minimap?.update();
    this._cullSoon();
  }

  // Chromium lays out and paints an <svg> as one piece: when any node in it changes, every shape
  // and text of it is laid out and painted again (3,000 nodes: 13 ms of CPU a frame with the texts
  // far off screen hidden, 4.6 ms with whole nodes and edges hidden; all shown: 64 ms). So a big
  // graph keeps what lies more than a screen away hidden (class is-offscreen, display: none).
  // The hidden band moves only when it must: when the screen reaches its edge (a drag, a zoom out,
  // a jump to a search match or to the current node; done before the frame, so nothing hidden is
  // ever on screen), or after zooming in twice over (it then hides too little). Moving it shows and
  // hides hundreds of elements, so it is not done after every small pan a stepper's reveal() makes.
  _cullSoon() {
    if (this.drawing.nodes.size <= CULL_OVER) return;
    const screen = this._screen(0), win = this.window;
    // culled, the band is 3 screens wide: 6 after zooming in twice over
    const loose = win && win.x1 - win.x0 > 6 * (screen.x1 - screen.x0);
    if (!win || loose || !inside(screen, win)) this.cull();
  }

  /** what is on screen, in drawing units, widened by `margin` screens on every side */
  _screen(margin) {
    const { k, x, y } = this.view, { origin } = this.drawing;
    const w = this.width / k, ht = this.height / k, x0 = -x / k - origin.x, y0 = -y / k - origin.y;
    return { x0: x0 - margin * w, y0: y0 - margin * ht, x1: x0 + (1 + margin) * w, y1: y0 + (1 + margin) * ht };
  }

  cull() {
    if (!this.width || !this.height) return;
    const win = this.window = this._screen(1);
    const { nodes, edges } = this.drawing;
    this.park ||= new Park(this.drawing.root);
    const place = (g, off) => {
      if (off === g.classList.contains("is-offscreen")) return;
      g.classList.toggle("is-offscreen", off);
      if (off) this.park.hide(g); else this.park.show(g);
    };
    let hidden = 0;
    for (const { g, box } of nodes.values()) {
      const off = !overlaps(box, win);
      if (off) hidden++;
      place(g, off);
    }
    for (const edge of edges.values()) place(edge.g, !overlaps(edge.box(), win));
    // the gradients and notes a pass writes grow to one per edge: the same for them
    this.onCull?.(win);
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
    this._centreOn(px, py);
    this.touched = true;
    this._apply();
  }

  /**
   * The whole graph when it can be read at that size; otherwise the smallest readable zoom, looking
   * at the output, where backward starts (pan and wheel reach the rest).
   */
  fit() {
    const width = this.width;
    if (!width) return false;
    const { w, h: hgt } = this.drawing.size;
    const byWidth = (width - 8) / w, byHeight = (MAX_HEIGHT - 8) / hgt;
    const whole = Math.min(MAX_FIT, byWidth, byHeight);
    // too big to read whole: as wide as the view (within the caps), the output in sight, and no
    // blank half (the drawing is kept against the viewport's edges, see _clamp)
    const k = whole >= MIN_FIT ? whole : Math.max(MIN_FIT, Math.min(MAX_FIT, byWidth));
    const height = `${Math.min(Math.max(hgt * k + 8, 140), MAX_HEIGHT)}px`;
    if (this.el.style.height !== height) {
      this.el.style.height = height;
      this.known = null;          // until the ResizeObserver reports the new height
    }
    this.view = { k, x: Math.max(4, (width - w * k) / 2), y: 4 };
    if (whole < MIN_FIT && this.drawing.focus) this._centre(this.drawing.focus);
    this._clamp();
    this._apply();
    return true;
  }

  /** keep the drawing over the viewport: centred along an axis where it fits, else edge to edge */
  _clamp() {
    const { k, x, y } = this.view, vw = this.width, vh = this.height;
    const gw = this.drawing.size.w * k, gh = this.drawing.size.h * k;
    const along = (pos, g, v) => (g + 8 <= v ? Math.max(4, (v - g) / 2) : Math.min(4, Math.max(v - g - 4, pos)));
    this.view = { k, x: along(x, gw, vw), y: gh + 8 <= vh ? 4 : along(y, gh, vh) };
  }

  _centre(id) {
    const p = this.drawing.centre(id);
    if (p) this._centreOn(p.x, p.y);
  }

  _centreOn(px, py) {
    const { k } = this.view;
    this.view = { k, x: this.width / 2 - px * k, y: this.height / 2 - py * k };
  }

  /** pan (never zoom) so that a node is on screen: the current node must not step out of view */
  reveal(id) {
    const p = this.drawing.centre(id);
    const vw = this.width, vh = this.height;
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
    if (px === undefined) { px = this.width / 2; py = this.height / 2; }
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
    const ro = new ResizeObserver(() => {
      this.known = { w: vp.clientWidth, h: vp.clientHeight };  // layout is fresh here: no extra pass
      this.onResize();
      if (!this.touched) this.fit();
    });
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
    for (const fn of this.cleanups.splice(0)) fn();
  }
}
