// Folded groups (graph.groups, folded by the ids in the widget's `collapsed` trait): Python draws
// each as ONE box in the DOT (named by its group id, edges rerouted to it). Here the page learns
// which box stands for each hidden node, so that a step on a hidden node shows on its box: the
// worst state of the members (error > current > pending > freed > done) and has-current.

const RANK = { done: 0, freed: 1, pending: 2, current: 3, error: 4 };

export class Folds {
  /** graph: the payload ({nodes, edges, groups}); collapsed: the folded group ids */
  constructor(graph, collapsed) {
    this.groups = new Map((graph.groups || []).map((g) => [g.id, g]));
    this.rep = new Map();         // node id -> the id of the outermost folded group holding it
    const folded = (collapsed || []).map((id) => this.groups.get(id)).filter(Boolean);
    folded.sort((a, b) => b.members.length - a.members.length);
    for (const g of folded) for (const m of g.members) if (!this.rep.has(m)) this.rep.set(m, g.id);
    this.drawn = new Set(this.rep.values());   // the folded groups drawn as a box
  }

  /** the box a node is drawn as: itself, or the folded group holding it */
  boxOf(id) { return this.rep.get(id) || id; }

  /** the graph as drawn: hidden nodes replaced by their group's box (for the quick drawing) */
  visible(graph) {
    const nodes = (graph.nodes || []).filter((n) => !this.rep.has(n.id));
    for (const id of this.drawn) {
      const g = this.groups.get(id);
      nodes.push({ id, kind: "group", label: g.label });
    }
    const edges = [], merged = new Set();
    for (const e of graph.edges || []) {
      const source = this.boxOf(e.source), target = this.boxOf(e.target);
      if (source === target) continue;
      if (source === e.source && target === e.target) { edges.push(e); continue; }
      const id = `ge:${source}>${target}`;   // as the DOT names an edge to or from a folded box
      if (!merged.has(id)) { merged.add(id); edges.push({ id, source, target, kind: e.kind }); }
    }
    return { nodes, edges, roots: graph.roots };
  }

  /** restyle the folded boxes holding `ids` (all of them when not given); view: {states, current} */
  rollUp(drawing, { states, current }, ids) {
    const boxes = ids ? new Set([...ids].map((id) => this.rep.get(id)).filter(Boolean)) : this.drawn;
    for (const gid of boxes) {
      const g = drawing.nodes.get(gid)?.g;
      if (!g) continue;
      let worst = "";
      for (const m of this.groups.get(gid).members) {
        const s = states[m];
        // a saved tensor (an id with a dot: "n3.self") counts only when it is the error
        if (!s || (s !== "error" && m.includes("."))) continue;
        if (!worst || RANK[s] > RANK[worst]) worst = s;
      }
      for (const s of Object.keys(RANK)) g.classList.remove(`state-${s}`);
      g.classList.add(`state-${worst || "pending"}`);
      g.classList.toggle("has-current", this.rep.get(current) === gid);
    }
  }
}
