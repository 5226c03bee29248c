// Boxes by name, indexed by a coarse grid: placing an overlay label asks what lies near a spot, so
// the cost of a step does not grow with the thousands of labels and nodes a big graph holds.

const CELL = 100;                 // drawing units: about a node's width

export class BoxGrid {
  constructor() {
    this.boxes = new Map();       // key -> {x0, y0, x1, y1}
    this.cells = new Map();       // "i,j" -> Set of keys whose box reaches that cell
  }

  set(key, box) {
    this.delete(key);
    this.boxes.set(key, box);
    for (const c of cellsOf(box)) {
      let keys = this.cells.get(c);
      if (!keys) this.cells.set(c, (keys = new Set()));
      keys.add(key);
    }
  }

  delete(key) {
    const box = this.boxes.get(key);
    if (!box) return;
    this.boxes.delete(key);
    for (const c of cellsOf(box)) this.cells.get(c)?.delete(key);
  }

  /** the boxes that may overlap `box` (those sharing a grid cell with it), each once */
  near(box) {
    const keys = new Set();
    for (const c of cellsOf(box)) for (const k of this.cells.get(c) || []) keys.add(k);
    return [...keys].map((k) => this.boxes.get(k));
  }
}

function cellsOf(b) {
  const out = [];
  const i0 = Math.floor(b.x0 / CELL), i1 = Math.floor(b.x1 / CELL);
  const j0 = Math.floor(b.y0 / CELL), j1 = Math.floor(b.y1 / CELL);
  for (let i = i0; i <= i1; i++) for (let j = j0; j <= j1; j++) out.push(`${i},${j}`);
  return out;
}
