"""PyTorch's own backward, one node at a time: the Step records of a real ``torch`` backward.

PyTorch's engine cannot be pulled like a generator, but it can be paused: ``backward`` runs on a
worker thread, and a pre-hook on every node of the graph (``Node.register_prehook``) waits there
until the stepper asks for the next node. A post-hook (``Node.register_hook``) records the
gradients the node sent on. So each ``next()`` lets exactly one node run, in the order PyTorch's
engine chose, and returns the same ``Step`` record autograd_lab's engine yields.

``close()`` never leaves the thread behind: a paused pre-hook raises ``_Abort``, which unwinds
PyTorch's backward, and the thread is joined. Whenever a pass ends early (an error, or close), every
leaf's ``.grad`` is put back as it was before it started: PyTorch itself would leave what it had
accumulated so far, and autograd_lab promises that a failed backward changes nothing.

(On CPU PyTorch runs the whole backward, hooks included, on the thread that called it.)
"""
import threading

from ..engine import Step
from ..node import walk
from ..viz import view

WAIT_SECONDS = 60  # a node that takes longer than this is treated as hung


class _Abort(Exception):
    """Raised from a paused pre-hook to unwind PyTorch's backward (reset / close)."""


class TorchSteps:
    """An iterator of ``Step`` records of ``torch.autograd.backward(loss, gradient, ...)``.

    ``next()`` runs one node (the first call starts the worker thread); StopIteration once backward
    has returned; an exception PyTorch raised is raised from ``next()`` with ``autograd_node`` set
    to the node that failed (so drawings mark it, as for autograd_lab's engine).
    """

    def __init__(self, loss, gradient=None, retain_graph=False, create_graph=False):
        import torch  # only ever reached with a torch tensor in hand
        self._torch = torch
        self.loss, self.gradient = loss, gradient
        self.retain_graph, self.create_graph = retain_graph, create_graph
        # what torch.autograd.backward would refuse, refused now (in PyTorch's words), not at the first step
        if loss.grad_fn is None and not loss.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if gradient is None and loss.numel() != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        root = loss.grad_fn
        if root is None:  # a leaf: its AccumulateGrad (kept alive here, so backward uses this one)
            root = loss.view_as(loss).grad_fn.next_functions[0][0]
        self.nodes = list(walk([root]))
        self.leaves = [n.variable for n in self.nodes if view.is_accumulate(n)]
        self._cond = threading.Condition()
        self._events = []        # ("pre", node, grads) / ("done",) / ("error", exc), worker -> stepper
        self._go = 0             # how many nodes the worker may run (stepper -> worker)
        self._abort = False
        self._thread = None
        self._handles = []
        self._pending = None     # the Step of the node paused in its pre-hook
        self._index = 0
        self._finished = False
        self._grads_before = [(t, self._copy(view.grad(t))) for t in self.leaves]

    # ---- worker side (runs on the backward thread) ----
    def _pre_hook(self, node):
        def hook(grad_outputs):
            with self._cond:
                self._events.append(("pre", node, tuple(grad_outputs)))
                self._cond.notify_all()
                while self._go == 0 and not self._abort:
                    self._cond.wait()
                if self._abort:
                    raise _Abort()
                self._go -= 1
        return hook

    def _post_hook(self, node):
        def hook(grad_inputs, grad_outputs):
            step = self._pending
            if step is not None and step.node is node:
                step.grad_out = tuple(_plain(g) for g in grad_inputs)
        return hook

    def _work(self):
        torch = self._torch
        try:
            torch.autograd.backward(self.loss, self.gradient, retain_graph=self.retain_graph,
                                    create_graph=self.create_graph)
        except BaseException as exc:  # noqa: BLE001 - handed to the stepper's thread
            event = ("error", exc)
        else:
            event = ("done",)
        with self._cond:
            self._events.append(event)
            self._cond.notify_all()

    def _start(self):
        for node in self.nodes:
            self._handles.append(node.register_prehook(self._pre_hook(node)))
            self._handles.append(node.register_hook(self._post_hook(node)))
        self._thread = threading.Thread(target=self._work, name="autograd_lab-torch-backward", daemon=True)
        self._thread.start()

    # ---- stepper side ----
    def _wait_event(self):
        with self._cond:
            if not self._cond.wait_for(lambda: self._events, timeout=WAIT_SECONDS):
                raise RuntimeError("PyTorch's backward did not reach its next node in time")
            return self._events.pop(0)

    def __iter__(self):
        return self

    def __next__(self):
        if self._finished:
            raise StopIteration
        if self._thread is None:
            self._start()
            self._take(self._wait_event())  # the first node, paused before it runs
            if self._finished:
                raise StopIteration
        step = self._pending
        with self._cond:
            self._go += 1
            self._cond.notify_all()
        event = self._wait_event()  # the next node paused, or the end: either way this one ran
        self._complete(step)
        self._take(event, failing=step)
        return step

    def _take(self, event, failing=None):
        kind = event[0]
        if kind == "pre":
            _, node, grads = event
            self._pending = Step(self._index, node, tuple(_plain(g) for g in grads))
            self._index += 1
        elif kind == "done":
            self._pending = None
            self._finish()
        else:
            exc = event[1]
            self._pending = None
            self._finish()
            self._restore_grads()
            if failing is not None and not isinstance(exc, _Abort):
                exc.autograd_node = failing.node
            raise exc

    def _complete(self, step):
        if view.is_accumulate(step.node):
            step.accumulated = [(step.node.variable, step.grad_in[0] if step.grad_in else None)]
        elif not self.retain_graph:
            step.freed = view.saved_names(step.node)  # PyTorch frees them as the node runs

    def _finish(self):
        self._finished = True
        for h in self._handles:
            h.remove()
        self._handles = []
        if self._thread is not None:
            self._thread.join(WAIT_SECONDS)

    # ---- .grad bookkeeping ----
    def _copy(self, g):
        return None if g is None else (g, g.detach().clone())

    def _restore_grads(self):
        """Every leaf's .grad as it was before this backward (same tensor object, same values)."""
        with self._torch.no_grad():
            for t, before in self._grads_before:
                if before is None:
                    t.grad = None
                else:
                    grad, values = before
                    grad.copy_(values)
                    if t.grad is not grad:
                        t.grad = grad

    def close(self):
        """Abort a pass under way (the thread ends), put every .grad back; safe to call twice."""
        if self._thread is not None and not self._finished:
            with self._cond:
                self._abort = True
                self._cond.notify_all()
            self._thread.join(WAIT_SECONDS)
            self._finish()
            self._restore_grads()
        self._finished = True
        self._pending = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def _plain(g):
    # a gradient shown in the stepper is a value, not part of a graph
    return None if g is None else g.detach()
