"""``why_no_grad(x, loss)``: why is ``x.grad`` None?

The answer is one of a few reasons, checked in this order, each with the fix:

``has_grad``               it is not None
``non_leaf``               ``x`` was computed by an op: ``.grad`` is kept for leaves only (``retain_grad()``)
``detached``               ``x`` itself is a ``.detach()`` / ``.data`` copy of a tensor that requires grad,
                           or the path from ``loss`` to ``x`` is cut by one (found: the op that uses the
                           copy, the tensor it was cut from, and where each was made when recorded)
``no_grad``                ``x`` (or the tensor on the path) was computed under ``torch.no_grad()``; known
                           only when the core recorded it (see ``_no_grad_site``)
``does_not_require_grad``  ``x`` is a leaf without ``requires_grad=True``
``not_reached``            nothing in ``loss``'s graph leads to ``x`` (and no cut could be pinned down)
``not_run``                ``x`` is reached: backward has not run yet, or ``.grad`` was reset since
``unknown``                no output was given to look from

What can be known, and what cannot. A graph only points backwards (from ``loss`` towards the
leaves), and an input that does not require grad leaves no trace in it, except when an op saved it
for its backward. So a ``.detach()`` or ``.data`` cut is found when the cut tensor was saved by an
op of ``loss``'s graph (``h.detach() * w2`` saves it; ``h.detach() + b`` does not) and the tensor it
was cut from is still alive: they are matched by identity of the underlying data (a detached tensor
shares its source's version counter and memory, ``.data`` only the memory). Saved tensors freed by
backward keep their version counter, so this works after ``loss.backward()`` too.

On a real ``torch`` tensor the same reasons are given from PyTorch's public graph view, except the
two that need autograd_lab's own records: a ``.detach()`` / ``.data`` cut is reported as not reached
(PyTorch does not show which tensors share a version counter), and no_grad sites are not known.
"""
import gc
from dataclasses import dataclass

from .. import anomaly
from .._frames import user_scope
from ..node import walk
from ..tensor import Tensor
from . import view

REASONS = ("has_grad", "non_leaf", "detached", "no_grad", "does_not_require_grad", "not_reached", "not_run",
           "unknown")


@dataclass(frozen=True)
class GradExplanation:
    """Why a tensor's ``.grad`` is None. ``str()`` (and ``repr()``) is the explanation itself.

    reason: one of ``REASONS``; node: the autograd Node where the path is cut (``detached``,
    ``no_grad``) or that made a non-leaf, else None; site: where that happened, when recorded
    ("In [3], line 2: h = x @ w1").
    """
    reason: str
    message: str
    node: object = None
    site: str = None

    def __str__(self):
        return self.message

    __repr__ = __str__


# ---- helpers ----
def _no_grad_site(t):
    """Where ``t`` was computed under no_grad, if the core recorded it (``anomaly.no_grad_site_of``,
    under trace() or anomaly mode); None when it did not or cannot say."""
    fn = getattr(anomaly, "no_grad_site_of", None)
    return fn(t) if fn is not None else None


def _node_of(t):
    """The node a gradient for ``t`` ends at: its grad_fn, or for a leaf its AccumulateGrad (if any
    graph made one; None otherwise: then nothing can reach it)."""
    if t.grad_fn is not None:
        return t.grad_fn
    acc = t._accumulator() if t._accumulator is not None else None
    return acc


def _walk(start):
    """Every node reachable from ``start`` along next_functions (iterative)."""
    return {id(n): n for n in walk([start])}


def _reaches(t, target):
    """Whether a gradient flowing into tensor ``t`` reaches ``target`` (a tensor)."""
    if t is target:
        return True
    if t.grad_fn is None:
        return False
    graph = _walk(t.grad_fn)
    if target.grad_fn is not None:
        return id(target.grad_fn) in graph
    # a leaf is reached when its AccumulateGrad is (found by its variable: PyTorch's view of it)
    return any(view.is_accumulate(n) and n.variable is target for n in graph.values())


def _tensors_referring_to(objs):
    """Live Tensors holding any of ``objs`` (version counters or arrays) as an attribute."""
    if not objs:
        return []
    wanted = {id(o) for o in objs}
    found, dicts = [], []
    for r in gc.get_referrers(*objs):
        if isinstance(r, Tensor):
            found.append(r)
        elif isinstance(r, dict):
            dicts.append(r)
    if dicts:  # an instance whose __dict__ was materialised is referred to through it
        for r in gc.get_referrers(*dicts):
            if isinstance(r, Tensor) and vars(r) in dicts:
                found.append(r)
    return [t for t in found if id(t._version_box) in wanted or id(t._data) in wanted]


def _site(node):
    """Where ``node`` was made, when recorded ("In [3], line 2: h = x @ w1"), else None."""
    return view.site(node) if node is not None else None


def _at(node):
    """", at In [3], line 2: h = x @ w1" where the node was made (recorded), else ""."""
    site = _site(node)
    return f", at {site}" if site else ""


class _Explainer:
    def __init__(self, names, node_label):
        self.names = names
        self.node_label = node_label or (lambda node: node.name())
        self.torch = False

    def name(self, t, fallback="this tensor"):
        return self.names.get(id(t)) or fallback

    def op(self, node):
        return self.node_label(node)

    def made_by(self, who, node):
        """" (w was made by MulBackward0, at ...)" for a tensor made by ``node``, "" for one without history."""
        return f" ({who} was made by {self.op(node)}{_at(node)})" if node is not None else ""

    # ---- data shared between a tensor without history and a tensor with one ----
    def sources(self, cut_boxes, cut_tensors):
        if any(view.is_torch(t) for t in cut_tensors) or (not cut_tensors and self.torch):
            return []  # version counters are autograd_lab's record: PyTorch does not show them
        return self._sources(cut_boxes, cut_tensors)

    def _sources(self, cut_boxes, cut_tensors):
        """[(source, how, box id, copy)]: tensors that require grad and share the version counter
        (``.detach()``) or the memory (``.data``) of a possible cut.

        cut_boxes: {id: version counter} of tensors saved in a graph (a freed SavedTensor keeps it,
        so a detach cut is found after backward too); cut_tensors: tensors without history that may
        be copies. ``copy`` is the copy itself when it is still alive, else None.
        """
        boxes = dict(cut_boxes)
        for t in cut_tensors:
            boxes.setdefault(id(t._version_box), t._version_box)
        relatives = {id(t): t for t in cut_tensors}
        for t in _tensors_referring_to(list(boxes.values())):
            relatives.setdefault(id(t), t)
        copies = {id(t._version_box): t for t in relatives.values() if not t.requires_grad}
        out, seen = [], set()
        for t in relatives.values():
            box = id(t._version_box)
            if t.requires_grad and box in boxes:
                out.append((t, ".detach()", box, copies.get(box)))
                seen.add(id(t))
        # .data shares the memory only: from the copies still alive
        by_data = {id(t._data): t for t in copies.values()}
        for t in _tensors_referring_to([t._data for t in copies.values()]):
            if t.requires_grad and id(t) not in seen and id(t._data) in by_data:
                copy = by_data[id(t._data)]
                out.append((t, ".data", id(copy._version_box), copy))
                seen.add(id(t))
        return out

    def explain(self, tensor, outputs):
        name = self.name(tensor)
        self.torch = view.is_torch(tensor)
        grad = view.grad(tensor)
        if grad is not None:
            return GradExplanation("has_grad", f"{name}.grad is not None: it holds a gradient of shape "
                                               f"{list(grad.shape)}.")
        if tensor.grad_fn is not None and not tensor.retains_grad:
            node = tensor.grad_fn
            return GradExplanation(
                "non_leaf",
                f"{name} is not a leaf: it was made by {self.op(node)}{_at(node)}. Backward keeps .grad only for "
                f"leaves (tensors you created with requires_grad=True): call {name}.retain_grad() before "
                f"backward to keep it, or read the gradient with a hook: {name}.register_hook(print).",
                node, view.site(node))
        if not tensor.requires_grad:
            return self.no_requires_grad(tensor, name)
        if not outputs:
            return GradExplanation(
                "unknown",
                f"{name} requires grad and backward would fill its .grad if it reached it, but no output was "
                f"given to look from: pass the loss, as in why_no_grad({name}, loss).")
        reached = [o for o in outputs if o is tensor or (o.grad_fn is not None and _reaches(o, tensor))]
        if reached:
            return self.not_run(tensor, name, reached[0])
        return self.not_reached(tensor, name, outputs)

    def no_requires_grad(self, tensor, name):
        for source, how, _box, _copy in self.sources({}, [tensor]):
            sname = self.name(source, "a tensor that requires grad")
            made = self.made_by(sname, source.grad_fn)
            return GradExplanation(
                "detached",
                f"{name} does not require grad: it is a copy of {sname} taken with {how}, which shares its values "
                f"but not its history, so autograd never computes a gradient for it{made}. Use {sname} itself "
                f"where you want the gradient to flow.", source.grad_fn, _site(source.grad_fn))
        site = _no_grad_site(tensor)
        if site:
            return GradExplanation(
                "no_grad",
                f"{name} was computed under torch.no_grad() at {site}: nothing in that block is recorded, so "
                f"{name} has no history and no .grad. Compute it outside the no_grad block if you need its "
                f"gradient.", None, site)
        return GradExplanation(
            "does_not_require_grad",
            f"{name} does not require grad, so autograd does not track it and never fills its .grad. Either it "
            f"was created that way (requires_grad is False by default: torch.tensor(..., requires_grad=True), "
            f"or {name}.requires_grad_() on a leaf), or it was computed under torch.no_grad() or from tensors "
            f"that do not require grad: a tensor keeps no record of which.")

    def not_run(self, tensor, name, out):
        oname = self.name(out, "the output")
        freed = any(st.freed for node in _walk(out.grad_fn).values()
                    for st in view.saved(node).values()) if out.grad_fn is not None else False
        what = "a leaf" if tensor.grad_fn is None else "a tensor that retains its grad"
        if freed:
            return GradExplanation(
                "not_run",
                f"{name} is reached from {oname} and is {what}, so backward fills its .grad; but it is None "
                f"now: backward already ran through this graph (its saved tensors are freed) and .grad was "
                f"set back to None since (optimizer.zero_grad() does that). Run the forward pass and "
                f"{oname}.backward() again.")
        return GradExplanation(
            "not_run",
            f"{name} is reached from {oname} and is {what}: its .grad is None because backward has not run "
            f"(yet) from {oname}. Call {oname}.backward(). (If it did run, with retain_graph=True, then "
            f".grad was set back to None since, as optimizer.zero_grad() does.)")

    def not_reached(self, tensor, name, outputs):
        onames = " or ".join(self.name(o, "the output") for o in outputs)
        boxes, consumer_of, cut_tensors = {}, {}, []
        graph = {}
        for o in outputs:
            if o.grad_fn is None:
                cut_tensors.append(o)  # an output with no history may itself be a copy
            else:
                graph.update(_walk(o.grad_fn))
        for node in graph.values() if not self.torch else ():
            for st in node.saved_tensors_info().values():
                if not st.is_output:
                    boxes.setdefault(id(st._version_box), st._version_box)
                    consumer_of.setdefault(id(st._version_box), node)
        candidates = []
        for source, how, box, copy in (self.sources(boxes, cut_tensors) if not self.torch else ()):
            node = _node_of(source)
            if node is not None and id(node) in graph:
                continue  # in the graph itself: not where a path was cut
            if _reaches(source, tensor):
                candidates.append((source, how, box, copy))
        if candidates:
            source, how, box, cut = candidates[0]
            sname = self.name(source, "a tensor")
            cname = self.name(cut, "") if cut is not None else ""
            copy = f"{cname}, " if cname else ""
            consumer = consumer_of.get(box)
            if consumer is not None:
                where = f"where {self.op(consumer)} uses {copy}a copy of {sname} taken with {how}{_at(consumer)}"
            else:
                where = f"at {copy}{onames} itself, a copy of {sname} taken with {how}"
            made = self.made_by(f"{sname} itself", source.grad_fn)
            return GradExplanation(
                "detached",
                f"{name} is not reached from {onames}: the path is cut {where}. The copy has the same values "
                f"but no history, so backward stops there{made}. Use {sname} instead of its {how} copy to let "
                f"the gradient through.", consumer, _site(consumer))
        # tensors of the graph computed under no_grad, when the core recorded it
        for node in graph.values() if not self.torch else ():
            for st in node.saved_tensors_info().values():
                t = None if st.is_output else st._tensor
                site = _no_grad_site(t) if t is not None else None
                if site:
                    return GradExplanation(
                        "no_grad",
                        f"{name} is not reached from {onames}. {self.op(node)}{_at(node)}, uses "
                        f"{self.name(t, 'a tensor')}, computed under torch.no_grad() at {site}: nothing in that "
                        f"block is recorded, so if {name} was used there, that is where the path stops. "
                        f"Compute it outside the no_grad block.", node, site)
        no_graph = [self.name(o, "the output") for o in outputs if o.grad_fn is None and o is not tensor]
        extra = ""
        if no_graph:
            extra = (f" {' and '.join(no_graph)} has no graph at all (it does not require grad), so "
                     f"{no_graph[0]}.backward() cannot reach anything.")
        return GradExplanation(
            "not_reached",
            f"{name} is not reached from {onames}: no path of recorded operations leads back to {name}, so "
            f"backward never gets to it.{extra} Either {name} is not used to compute {onames}, or the path is "
            f"cut: by .detach() or .data, by a torch.no_grad() block, or by a detour through Python numbers "
            f"or NumPy (.item(), .tolist(), .numpy()). " + (
                "(On a PyTorch graph a .detach() or .data cut cannot be pinned down: PyTorch does not show "
                "which tensors share a version counter.)" if self.torch else
                "(A .detach() cut is pinned down when an op of the graph saved the cut tensor and the tensor it "
                "was cut from is still alive, a .data cut while the copy is alive too; none was found here.)"))


def explain(tensor, outputs=(), names=None, node_label=None):
    """``why_no_grad`` with the names and the node labels given (the widgets label nodes by id)."""
    if not view.is_tensor(tensor):
        raise TypeError(f"why_no_grad explains a Tensor's .grad, not a {type(tensor).__name__}")
    outputs = [o for o in outputs if o is not None]
    for o in outputs:
        if not view.is_tensor(o):
            raise TypeError(f"outputs must be Tensors (the loss), not {type(o).__name__}")
    return _Explainer(names or {}, node_label).explain(tensor, outputs)


def why_no_grad(tensor, *outputs, names=None):
    """Why is ``tensor.grad`` None? Returns a :class:`GradExplanation` (print it).

        why_no_grad(w1, loss)

    outputs: the tensors backward runs (or would run) from, usually the loss; without one only the
    tensor itself can be judged. names: ``{id(tensor): name}``; by default the variable names of the
    caller (``w1``, ``loss`` ...).
    """
    if names is None:
        names = user_scope(view.is_tensor)[0]
    return explain(tensor, outputs, names)


__all__ = ["GradExplanation", "REASONS", "why_no_grad"]
