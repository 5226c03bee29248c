// Unit tests for graph/folds.js (no DOM: boxes are stand-ins with a classList): node --test test/
import assert from "node:assert/strict";
import { test } from "node:test";
import { Folds } from "../src/graph/folds.js";

// a -> b -> c -> d; the repeat g0 holds the periods g1 {b} and g2 {c, c.self}
const graph = {
  nodes: ["a", "b", "c", "c.self", "d"].map((id) => ({ id, kind: id === "c.self" ? "saved" : "op", label: id })),
  edges: [
    { id: "e0", source: "a", target: "b", kind: "grad" },
    { id: "e1", source: "b", target: "c", kind: "grad" },
    { id: "e2", source: "c.self", target: "c", kind: "saved" },
    { id: "e3", source: "c", target: "d", kind: "grad" },
    { id: "e4", source: "a", target: "c", kind: "grad" },
  ],
  groups: [
    { id: "g0", kind: "repeat", label: "b·c ×2", members: ["b", "c", "c.self"], parent: null },
    { id: "g1", kind: "block", label: "b", members: ["b"], parent: "g0" },
    { id: "g2", kind: "block", label: "c", members: ["c", "c.self"], parent: "g0" },
  ],
};

function box() {
  const set = new Set();
  return { g: { classList: {
    add: (c) => set.add(c), remove: (c) => set.delete(c), toggle: (c, on) => (on ? set.add(c) : set.delete(c)),
  } }, set };
}

test("a node folded twice is drawn as the outermost folded group", () => {
  const f = new Folds(graph, ["g1", "g0", "nope"]);
  assert.equal(f.boxOf("b"), "g0");
  assert.equal(f.boxOf("c.self"), "g0");
  assert.equal(f.boxOf("a"), "a");
  assert.deepEqual([...f.drawn], ["g0"]);
});

test("edges into a folded group become one edge per pair of boxes, named as the DOT names them", () => {
  const shown = new Folds(graph, ["g0"]).visible(graph);
  assert.deepEqual(shown.nodes.map((n) => n.id), ["a", "d", "g0"]);
  assert.deepEqual(shown.edges.map((e) => e.id), ["ge:a>g0", "ge:g0>d"]);
  const open = new Folds(graph, []).visible(graph);
  assert.deepEqual(open.edges.map((e) => e.id), ["e0", "e1", "e2", "e3", "e4"]);
});

test("a folded box shows its worst member state and whether the running node is inside", () => {
  const f = new Folds(graph, ["g2"]);
  const g2 = box();
  const drawing = { nodes: new Map([["g2", g2]]) };
  f.rollUp(drawing, { states: { c: "done", "c.self": "pending" }, current: "" });
  assert.ok(g2.set.has("state-done") && !g2.set.has("has-current"));   // a saved tensor's pending does not count
  f.rollUp(drawing, { states: { c: "current", "c.self": "pending" }, current: "c" }, ["c"]);
  assert.ok(g2.set.has("state-current") && g2.set.has("has-current") && !g2.set.has("state-done"));
  f.rollUp(drawing, { states: { c: "done", "c.self": "error" }, current: "" }, ["c.self"]);
  assert.ok(g2.set.has("state-error") && !g2.set.has("has-current"));
});
