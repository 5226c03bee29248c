// Unit tests for the pure parts of the graph renderer (no DOM): node --test test/
import assert from "node:assert/strict";
import { test } from "node:test";
import { instance } from "@viz-js/viz";
import { centreInside, edgeMidpoint, overlaps, pointAlong, sampleEdge } from "../src/geometry.js";

test("edge midpoint of one cubic is its value at t = 1/2", () => {
  // a straight cubic from (0,0) to (30,0): the middle is (15,0)
  assert.deepEqual(edgeMidpoint("M0,0C10,0 20,0 30,0"), [15, 0]);
});

test("edge midpoint of two cubics is the joint", () => {
  assert.deepEqual(edgeMidpoint("M0,0C1,1 2,2 3,3C4,4 5,5 6,6"), [3, 3]);
});

test("points along a sampled edge go from its start to its end", () => {
  const s = sampleEdge("M0,0C10,0 20,0 30,0");
  assert.deepEqual(pointAlong(s, 0), [0, 0]);
  const [x, y] = pointAlong(s, 0.5);
  assert.ok(Math.abs(x - 15) < 1e-9 && y === 0);
  assert.deepEqual(pointAlong(s, 1), [30, 0]);
});

test("boxes overlap only when they share area", () => {
  const a = { x0: 0, y0: 0, x1: 10, y1: 10 };
  assert.ok(overlaps(a, { x0: 5, y0: 5, x1: 15, y1: 15 }));
  assert.ok(!overlaps(a, { x0: 10, y0: 0, x1: 20, y1: 10 }));
  assert.ok(centreInside({ x0: 2, y0: 2, x1: 4, y1: 4 }, a));
  assert.ok(!centreInside({ x0: 9, y0: 9, x1: 14, y1: 14 }, a));
});

test("Graphviz (WASM) keeps the snapshot ids as SVG titles, the contract data-node-id relies on", async () => {
  const viz = await instance();
  const svg = viz.renderString('digraph { n0; "n3.self"; n1 -> n0; "n3.self" -> n1 }', { format: "svg" });
  const titles = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1].replace(/&#45;&gt;/g, "->"));
  assert.ok(titles.includes("n0") && titles.includes("n3.self"));
  assert.ok(titles.includes("n1->n0") && titles.includes("n3.self->n1"));
});

test("Graphviz (WASM) copies an edge's id attribute to its <g>, the contract edges are matched by", async () => {
  const viz = await instance();
  // two edges between the same nodes: only the ids tell them apart
  const svg = viz.renderString('digraph { n1 -> n0 [id=e0]; n1 -> n0 [id=e1]; "n3.self" -> n1 [id=e2] }',
    { format: "svg" });
  const ids = [...svg.matchAll(/<g id="([^"]*)" class="edge"/g)].map((m) => m[1]);
  assert.deepEqual(ids.sort(), ["e0", "e1", "e2"]);
});
