// BoxGrid (graph/boxgrid.js): what it reports near a box is exactly what a scan of every box finds
// overlapping it, after any sequence of sets and deletes (node --test test/)
import assert from "node:assert/strict";
import { test } from "node:test";
import { overlaps } from "../src/geometry.js";
import { BoxGrid } from "../src/graph/boxgrid.js";

function random(seed) {  // a small deterministic generator: the test reads the same every run
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

test("near() finds every box that overlaps, whatever was set, moved or deleted before", () => {
  const rnd = random(7), grid = new BoxGrid(), all = new Map();
  const box = () => {
    const x = rnd() * 2000 - 1000, y = rnd() * 2000 - 1000;
    return { x0: x, y0: y, x1: x + rnd() * 300, y1: y + rnd() * 40 };
  };
  for (let i = 0; i < 3000; i++) {
    const key = `k${Math.floor(rnd() * 400)}`;
    if (rnd() < 0.2) { grid.delete(key); all.delete(key); } else { const b = box(); grid.set(key, b); all.set(key, b); }
  }
  for (let i = 0; i < 200; i++) {
    const q = box();
    const want = [...all.values()].filter((b) => overlaps(q, b));
    const got = grid.near(q).filter((b) => overlaps(q, b));
    assert.deepEqual(new Set(got), new Set(want));
    assert.equal(got.length, want.length);   // each box once
  }
});
