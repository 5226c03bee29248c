"""Parts of a graph a reader can fold into one box: ``find_groups(snap)``.

Three kinds, found from the snapshot's plain data only (node kinds, labels, modules, edges):

- ``module``: every node a layer made (``track_modules`` or its parameters' names), nested along
  the dots of the module path ("encoder" holds "encoder.0");
- ``repeat`` and ``block``: a loop over time steps or a stack of layers written without modules.
  Along the longest path from the output the op names repeat with some period p (Tanh, Add, Mm,
  Tanh, Add, Mm ...); each period, with the nodes that feed only it (its own weights, its saved
  tensors, a side matmul), is a ``block``. Leaves shared by several periods (an RNN's W and U) stay
  outside. The blocks between the first and the last form one ``repeat`` group;
- ``chain``: four or more ops in a row, each the only input of the next and used by nothing else
  (x.exp().sin().cos().tanh()).

The groups nest or are disjoint (never half over each other), so a drawing can fold any set of
them: each node is drawn as the outermost folded group holding it. ``default_collapsed`` says what
a big graph starts folded. A group is ``{"id": "g3", "kind", "label", "members": [node ids],
"parent": id of the smallest group holding it or None, "module": the module path it sits in or
None, "ops": how many ops it holds}``; ids follow one fixed order, so the same graph always gets
the same ones.
"""
import re

import numpy as np

BIG_GRAPH = 150       # drawn nodes: a bigger graph starts with its groups folded (default_collapsed)
MIN_CHAIN = 4         # ops in a row that make a chain
MIN_REPEATS = 3       # periods that make a repeated structure
_SUFFIX = re.compile(r"Backward\d*$")


def short_name(label):
    """"TanhBackward0" -> "Tanh": how a group's label names its ops."""
    return _SUFFIX.sub("", label) or label


def _unit_text(labels, most=4):
    names = [short_name(x) for x in labels]
    return "·".join(names) if len(names) <= most else "·".join(names[:most - 1]) + "·…·" + names[-1]


def _chain_of(module):
    """"a.b.c" -> ["a", "a.b", "a.b.c"]: a module path and the modules holding it."""
    parts = module.split(".")
    return [".".join(parts[:i + 1]) for i in range(len(parts))]


def _common_module(modules):
    """The deepest module path holding every one of these ("" or None among them: None)."""
    common = None
    for m in modules:
        if not m:
            return None
        chain = _chain_of(m)
        if common is None:
            common = chain
        else:
            k = 0
            while k < min(len(common), len(chain)) and common[k] == chain[k]:
                k += 1
            common = common[:k]
        if not common:
            return None
    return common[-1] if common else None


class _Graph:
    """The links of a snapshot: consumers and inputs of every node, the ops along the spine."""

    def __init__(self, snap):
        self.nodes = {n["id"]: n for n in snap.nodes}
        self.order = [n["id"] for n in snap.nodes]
        self.roots = list(snap.roots)
        self.inputs = {i: [] for i in self.order}      # every edge kind, as drawn
        self.consumers = {i: [] for i in self.order}
        self.op_inputs = {i: [] for i in self.order}   # grad edges from ops, in input order
        for e in snap.edges:
            s, t = e["source"], e["target"]
            if s not in self.nodes or t not in self.nodes:
                continue
            self.inputs[t].append(s)
            self.consumers[s].append(t)
            if e["kind"] == "grad" and self.nodes[s]["kind"] == "op":
                self.op_inputs[t].append(s)
        self.saved_of = {}
        for n in snap.nodes:
            if n["kind"] == "saved" and n.get("owner") in self.nodes:
                self.saved_of.setdefault(n["owner"], []).append(n["id"])

    def is_op(self, nid):
        return self.nodes[nid]["kind"] == "op"

    def consumers_first(self):
        """Every node once, each after all its consumers (outputs first, leaves last)."""
        left = {i: len(set(self.consumers[i])) for i in self.order}
        queue = [i for i in self.order if not left[i]]
        for nid in queue:
            for src in dict.fromkeys(self.inputs[nid]):
                left[src] -= 1
                if left[src] == 0:
                    queue.append(src)
        return queue

    def spine(self, order):
        """The longest path of ops from the output towards the leaves (ties: the earlier input);
        `order`: ``consumers_first()``, which the caller needs too."""
        ops = [i for i in reversed(order) if self.is_op(i)]  # inputs before consumers
        depth = {}
        for nid in ops:
            depth[nid] = 1 + max((depth[s] for s in self.op_inputs[nid]), default=0)
        if not depth:
            return []
        starts = []
        for r in self.roots:
            if r in depth:
                starts.append(r)
            starts.extend(s for s in self.inputs.get(r, ()) if s in depth)
        nid = max(starts or depth, key=lambda i: depth[i])
        path = [nid]
        while self.op_inputs[nid]:
            nid = max(self.op_inputs[nid], key=lambda s: depth[s])  # max keeps the first of equals
            path.append(nid)
        return path


def _period(codes):
    """(start, period, length) of the longest stretch of `codes` that repeats with one period >= 2
    at least MIN_REPEATS times (the shortest such period), or None."""
    codes = np.asarray(codes)
    best = None
    for p in range(2, len(codes) // MIN_REPEATS + 1):
        eq = np.concatenate(([False], codes[:-p] == codes[p:], [False]))
        edges = np.flatnonzero(np.diff(eq.astype(np.int8)))
        if not len(edges):
            continue
        starts, ends = edges[::2], edges[1::2]
        k = int(np.argmax(ends - starts))
        covered = int(ends[k] - starts[k]) + p
        if covered // p >= MIN_REPEATS and (best is None or covered > best[0]):
            best = (covered, int(starts[k]), p)
    if best is None:
        return None
    covered, start, p = best
    return start, p, covered


def _join_by_consumers(g, block, order):
    """A node joins a period when everything that uses it is in that period (its weights, its
    saved tensors, a side matmul); `order`: consumers first."""
    for nid in order:
        if nid in block or not g.consumers[nid]:
            continue
        owners = {block.get(c) for c in g.consumers[nid]}
        if len(owners) == 1 and None not in owners:
            block[nid] = owners.pop()


def _blocks(g):
    """([[member ids] per period], the output's side first; the period's op labels), or None when
    nothing repeats."""
    order = g.consumers_first()
    spine = g.spine(order)
    labels = [g.nodes[i]["label"] for i in spine]
    codes = {x: k for k, x in enumerate(dict.fromkeys(labels))}
    found = _period([codes[x] for x in labels])
    if found is None:
        return None
    start, p, covered = found
    # where a period ends: at the op whose result the most ops use (the state passed on: the layer
    # norm feeding q, k, v and the residual; the h a step's loss term reads too), counted in the
    # second period (the first one's result may be the output's alone)
    uses = [len(set(g.consumers[spine[start + p + r]])) for r in range(p)]
    shift = max(range(p), key=lambda r: (uses[r], -r))
    start, covered = start + shift, covered - shift
    repeats = -(-covered // p)   # the period nearest the inputs may be cut short
    block = {}
    for j in range(repeats):
        for nid in spine[start + j * p:min(start + (j + 1) * p, start + covered)]:
            block[nid] = j
    _join_by_consumers(g, block, order)
    # an op off the spine made from periods only (a per-step loss term, the running sum of them)
    # joins the latest period it reads; then what only that op uses follows it
    on_spine = set(spine)
    for nid in reversed(order):
        ins = g.op_inputs[nid]
        if nid not in block and nid not in on_spine and g.is_op(nid) and ins and all(i in block for i in ins):
            block[nid] = min(block[i] for i in ins)
    _join_by_consumers(g, block, order)
    members = [[] for _ in range(repeats)]
    for nid in g.order:
        if nid in block:
            members[block[nid]].append(nid)
    return members, [labels[start + j] for j in range(p)]


def _chains(g, home):
    """Runs of MIN_CHAIN or more ops, each the single input of the next and used by it alone, all
    in one home (module, period); [[op ids] in forward order]."""
    def single(nid):  # an op with one input (an op or a leaf), its saved tensors aside
        return g.is_op(nid) and len(g.inputs[nid]) - len(g.saved_of.get(nid, ())) == 1

    def link(nid):  # the op this one's gradient flows to: its only consumer, when that is a single-input op
        users = set(g.consumers[nid])
        if len(users) != 1:
            return None
        (user,) = users
        return user if single(user) and home.get(user) == home.get(nid) else None

    chains, seen = [], set()
    for nid in g.order:
        if nid in seen or not single(nid):
            continue
        # walk to the chain's first op (towards the inputs), then along it
        first = nid
        while len(g.op_inputs[first]) == 1:
            (src,) = g.op_inputs[first]
            if src in seen or not single(src) or link(src) != first:
                break
            first = src
        run = [first]
        while True:
            nxt = link(run[-1])
            if nxt is None or nxt in run:
                break
            run.append(nxt)
        seen.update(run)
        if len(run) >= MIN_CHAIN:
            chains.append(run)
    return chains


def find_groups(snap):
    """The groups of a snapshot (see the module docstring), in a fixed order with ids g0, g1 ..."""
    g = _Graph(snap)
    module_of = {nid: n.get("module") or None for nid, n in g.nodes.items()}
    labels_of = snap.module_labels
    found = []   # (kind, label, members, extra)

    # modules, outermost first, in the order they first appear
    paths = {}
    for nid in g.order:
        if module_of[nid]:
            for path in _chain_of(module_of[nid]):
                paths.setdefault(path, []).append(nid)
    for path, members in sorted(paths.items(), key=lambda kv: kv[0].count(".")):
        kind = labels_of.get(path)
        found.append(("module", f"{kind} {path}" if kind else path, members, {"path": path}))

    def cuts_a_module(members):
        inside = set(members)
        for path in {p for m in members if module_of[m] for p in _chain_of(module_of[m])}:
            held = paths[path]
            if not (all(module_of[m] and path in _chain_of(module_of[m]) for m in members)
                    or all(h in inside for h in held)):
                return True
        return False

    blocks = _blocks(g) if len(g.order) > 2 else None
    home = {nid: (module_of[nid],) for nid in g.order}
    if blocks:
        periods, unit = blocks
        if not any(cuts_a_module(m) for m in periods):
            n = len(periods)
            forward = list(reversed(unit))
            text = _unit_text(forward)
            middle = [nid for m in periods[1:-1] for nid in m]
            if len(periods) > 3:
                found.append(("repeat", f"{text} ×{n - 2} (repeats 2–{n - 1} of {n})", middle, {}))
            for j, members in enumerate(periods):
                step = n - j   # periods are counted from the output's side; steps run forwards
                found.append(("block", f"{text} (repeat {step} of {n})", members, {"step": step}))
                for nid in members:
                    home[nid] = (module_of[nid], step)

    taken = {frozenset(members) for _, _, members, _ in found}
    for run in _chains(g, home):
        members = [x for nid in run for x in [nid, *g.saved_of.get(nid, ())]]
        if frozenset(members) in taken:   # a period that is one chain: one box is enough
            continue
        names = [short_name(g.nodes[i]["label"]) for i in run]
        text = " → ".join(names) if len(names) <= 4 else " → ".join(names[:2] + ["…", names[-1]])
        found.append(("chain", f"{text} ({len(run)} ops)", members, {}))

    groups = []
    for k, (kind, label, members, extra) in enumerate(found):
        ops = sum(1 for m in members if g.is_op(m))
        group = {"id": f"g{k}", "kind": kind, "label": label, "members": members, "ops": ops,
                 "module": extra["path"].rsplit(".", 1)[0] if kind == "module" and "." in extra["path"]
                 else (None if kind == "module" else _common_module(module_of[m] for m in members)),
                 "parent": None}
        if kind == "module":
            group["path"] = extra["path"]
        if kind == "block":
            group["step"] = extra["step"]
        groups.append(group)
    _set_parents(groups)
    return groups


def _set_parents(groups):
    """Each group's parent: the smallest group that holds all its members (groups nest)."""
    size = {grp["id"]: len(grp["members"]) for grp in groups}
    smallest = {}   # node id -> the smallest group seen so far holding it, walking biggest first
    for grp in sorted(groups, key=lambda x: -size[x["id"]]):
        holders = {smallest.get(m) for m in grp["members"]}
        holders.discard(None)
        if holders:  # they nest: the one holding the fewest nodes is the parent
            grp["parent"] = min(holders, key=lambda gid: size[gid])
        for m in grp["members"]:
            smallest[m] = grp["id"]


def default_collapsed(groups, drawn_nodes):
    """The group ids a graph of `drawn_nodes` drawn nodes starts folded: nothing up to BIG_GRAPH;
    above it the repeats between the first and the last (and each period inside them), modules
    nested deeper than one level, and chains."""
    if drawn_nodes <= BIG_GRAPH:
        return []
    repeats = {grp["id"] for grp in groups if grp["kind"] == "repeat"}
    out = []
    for grp in groups:
        kind = grp["kind"]
        if kind == "repeat" or kind == "chain":
            out.append(grp["id"])
        elif kind == "block" and grp["parent"] in repeats:
            out.append(grp["id"])
        elif kind == "module" and grp["path"].count(".") >= 1:
            out.append(grp["id"])
    return out


def representatives(groups, collapsed):
    """{node id: the id of the outermost folded group holding it} for every folded node."""
    rep = {}
    collapsed = set(collapsed)
    folded = [grp for grp in groups if grp["id"] in collapsed]
    for grp in sorted(folded, key=lambda x: -len(x["members"])):
        for m in grp["members"]:
            rep.setdefault(m, grp["id"])
    return rep


def unfolded_to(groups, node_id, collapsed):
    """`collapsed` without the groups that hold `node_id` (so that it is drawn)."""
    holding = {g["id"] for g in groups if node_id in g["members"]}
    return [c for c in collapsed if c not in holding]


def choose(groups, collapse, drawn_nodes, keep=None):
    """(collapsed, frames) for a drawing's ``collapse=`` argument: "auto" folds what
    ``default_collapsed`` says for `drawn_nodes`, True folds that whatever the size, False nothing,
    a list of group ids those. `keep`: a node that must stay drawn (the one an error is drawn on).
    frames: the unfolded groups that are not modules, framed (with a toggle) once folding is on."""
    if collapse is True:
        collapsed = default_collapsed(groups, BIG_GRAPH + 1)
    elif collapse == "auto":
        collapsed = default_collapsed(groups, drawn_nodes)
    elif collapse is False or collapse is None:
        collapsed = []
    elif isinstance(collapse, str) or not all(isinstance(c, str) for c in collapse):
        raise ValueError(f'collapse must be "auto", True, False or a list of group ids, not {collapse!r}')
    else:
        known = {g["id"] for g in groups}
        unknown = [c for c in collapse if c not in known]
        if unknown:
            raise ValueError(f"no group called {', '.join(map(repr, unknown))}; the groups are in .groups")
        collapsed = list(collapse)
    if keep:
        collapsed = unfolded_to(groups, keep, collapsed)
    on = collapse is not False and collapse is not None and (collapse != "auto" or collapsed)
    return collapsed, [g["id"] for g in groups if g["kind"] != "module"] if on else []
