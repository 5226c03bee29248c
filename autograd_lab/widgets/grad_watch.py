"""GradWatch: each watched tensor's .grad across backward calls, zero_grad and optimizer steps.

It listens to the engine's observers: 'accumulate' marks a watched tensor as touched, 'done' closes
a backward pass into one history entry, 'error' forgets a failed pass (the engine rolled it back),
and the optimizers' 'zero_grad' and 'optimizer_step' events (payload: the parameters) add theirs.
Real ``torch`` tensors are watched through PyTorch's own hooks instead (``_torch_events``).
"""
import time
import weakref
from dataclasses import dataclass

import traitlets

import numpy as np

from .. import engine
from ..tensor import Tensor
from ..viz import view
from . import _format as fmt
from ._base import Widget
from ._names import caller_names

SERIES_LEN = 100   # points per sparkline sent to the browser (the full history stays in Python)
LOG_LEN = 8        # recent events listed under the table
EVENTS = ("backward", "zero_grad", "optimizer_step")


@dataclass
class GradRecord:
    """One history entry: what happened, and every watched tensor's .grad right after it."""
    index: int
    event: str
    grads: tuple     # a NumPy copy of each tensor's .grad, or None

    def metric(self, i):
        g = self.grads[i]
        return None if g is None else fmt.metric(Tensor._make(g))


class GradWatch(Widget):
    """``GradWatch(w, b)``: a table of the tensors' .grad now, with a sparkline of their history.

    ``.history`` is every :class:`GradRecord`; ``.series(name)`` the sparkline's numbers (the grad
    itself for one-element tensors, its L2 norm otherwise). The watch is live: it keeps recording what
    later cells do to these tensors, until ``stop()`` (which keeps the widget and its history on
    screen, marked "stopped") or ``close()``.
    """

    _kind = "grad-watch"

    leaves = traitlets.List().tag(sync=True)   # [{name, shape}]
    rows = traitlets.List().tag(sync=True)     # per tensor: grad now, series, events, count
    log = traitlets.List().tag(sync=True)      # the last LOG_LEN entries
    live = traitlets.Bool(True).tag(sync=True)  # still recording (False after stop())

    # While a cell runs, a training loop fires thousands of events: send at most one update per
    # interval, and the last one when the cell finishes. Outside a cell (a stepper's button, plain
    # Python) every update goes at once: nothing would come later to flush it.
    min_interval = 0.05

    def __init__(self, *leaves, names=None, **kwargs):
        if len(leaves) == 1 and isinstance(leaves[0], (list, tuple)):
            leaves = tuple(leaves[0])
        if not leaves:
            raise ValueError("GradWatch needs at least one tensor to watch")
        for t in leaves:
            if not view.is_tensor(t):
                raise TypeError(f"GradWatch watches tensors, not {type(t).__name__}")
        if names is None:
            found = caller_names()
            names = [found.get(id(t), f"t{i}") for i, t in enumerate(leaves)]
        elif len(names) != len(leaves):
            raise ValueError(f"got {len(names)} names for {len(leaves)} tensors")
        self.tensors = list(leaves)
        self.names = [str(n) for n in names]
        self.history = []
        self._index = {id(t): i for i, t in enumerate(self.tensors)}
        self._touched = False
        self._stopped_grads = None  # the grads at stop(), shown from then on
        self._last_sync = 0.0
        self._dirty = False
        super().__init__(**kwargs)
        self.leaves = [{"name": n, "shape": fmt.shape_str(t.shape)} for n, t in zip(self.names, self.tensors)]
        self._ip = _ipython()
        self._in_cell = self._ip is not None  # made by a cell, which is still running
        if self._ip is not None:
            self._ip.events.register("pre_run_cell", self._cell_starts)
            self._ip.events.register("post_run_cell", self._flush)
        ref = weakref.ref(self)

        def listener(event, payload):
            watch = ref()
            if watch is not None:
                watch._on_event(event, payload)

        self._listener = listener
        self._remove_listener = engine.add_listener(listener)
        self._torch_events = None
        self._first_grads = self._grads_now()
        watched_torch = [t for t in self.tensors if view.is_torch(t)]
        if watched_torch:
            from ._torch_events import TorchEvents
            self._torch_events = TorchEvents(watched_torch, listener)
        self._sync(force=True)

    # ---- engine events ----
    def _on_event(self, event, payload):
        if event == "accumulate":
            tensor = payload[0]
            if id(tensor) in self._index and self.tensors[self._index[id(tensor)]] is tensor:
                self._touched = True
                self._sync()  # the .grad column grows live while a stepper runs
        elif event == "done":
            if self._touched:
                self._touched = False
                self._append("backward")
        elif event == "error":
            self._touched = False
            self._sync()
        elif event == "arrives":  # (torch) a gradient for a watched tensor arrived
            self._touched = True
        elif event == "pass_starts":  # (torch) PyTorch has no zero_grad hook: a change shows here
            self._record_change()
        elif event in ("zero_grad", "optimizer_step"):
            params = _params_of(payload)
            if params is None or any(id(p) in self._index for p in params):
                self._append(event)

    def record(self, event="manual"):
        """Add a history entry by hand (after changing .grad yourself, say)."""
        self._append(str(event))
        return self.history[-1]

    def _grads_now(self):
        return tuple(None if g is None else view.array(g).copy() for g in map(view.grad, self.tensors))

    def _append(self, event):
        self.history.append(GradRecord(len(self.history), event, self._grads_now()))
        self._sync()

    def _record_change(self):
        """Add a "zero_grad" entry when the .grads changed since the last entry and are all None or
        zeros now (else "manual"): how a torch zero_grad shows, at the next backward."""
        before = self.history[-1].grads if self.history else self._first_grads
        now = self._grads_now()
        changed = [i for i, (a, b) in enumerate(zip(before, now))
                   if (a is None) != (b is None) or (a is not None and not np.array_equal(a, b))]
        if changed:
            zeroed = all(now[i] is None or not now[i].any() for i in changed)
            self._append("zero_grad" if zeroed else "manual")

    def series(self, name_or_index):
        i = self.names.index(name_or_index) if isinstance(name_or_index, str) else name_or_index
        return [r.metric(i) for r in self.history]

    # ---- syncing ----
    def _sync(self, force=False):
        now = time.monotonic()
        if not force and self._in_cell and now - self._last_sync < self.min_interval:
            self._dirty = True
            return
        self._last_sync = now
        self._dirty = False
        recent = self.history[-SERIES_LEN:]
        rows = []
        for i, (t, g) in enumerate(zip(self.tensors, self._grads_shown())):
            rows.append({"grad": fmt.short(g, 48), "grad_full": fmt.full(g, 400),
                         "series": [r.metric(i) for r in recent], "events": [r.event for r in recent],
                         "metric": "grad" if t.numel() == 1 else "‖grad‖ (L2 norm)",
                         "count": len(self.history)})
        log = [{"index": r.index, "event": r.event,
                "grads": [fmt.short(None if g is None else Tensor._make(g), 48) for g in r.grads]}
               for r in reversed(self.history[-LOG_LEN:])]
        with self.hold_sync():
            self.rows = rows
            self.log = log
            self._update_summary()

    def _cell_starts(self, *_args):
        self._in_cell = True

    def _flush(self, *_args):
        self._in_cell = False
        if self._dirty:
            self._sync(force=True)

    def stop(self):
        """Stop recording: the widget stays, showing the history so far, marked "stopped"."""
        self._unlisten()
        if self.live:
            self._stopped_grads = self._grads_now()
            with self.hold_sync():
                self.live = False
                self._sync(force=True)
        return self

    def close(self):
        """Stop listening to the engine (and to IPython), then close the widget."""
        self._unlisten()
        super().close()

    def _grads_shown(self):
        """Each tensor's .grad now; once stopped, as it was at stop()."""
        if self._stopped_grads is None:
            return [view.grad(t) for t in self.tensors]
        return [None if g is None else Tensor._make(g) for g in self._stopped_grads]

    def _unlisten(self):
        remove, self._remove_listener = getattr(self, "_remove_listener", None), None
        if remove is not None:
            remove()
        torch_events, self._torch_events = getattr(self, "_torch_events", None), None
        if torch_events is not None:
            torch_events.remove()
        ip = getattr(self, "_ip", None)
        if ip is not None:
            for event, fn in (("pre_run_cell", self._cell_starts), ("post_run_cell", self._flush)):
                try:
                    ip.events.unregister(event, fn)
                except ValueError:
                    pass
            self._ip = None

    @property
    def listening(self):
        return self._listener in engine._listeners

    # ---- text ----
    def text(self):
        events = ", ".join(r.event for r in self.history[-6:])
        if len(self.history) > 6:
            events = "…, " + events
        head = f"GradWatch: {len(self.tensors)} tensor{'s' if len(self.tensors) != 1 else ''}, " \
               f"{len(self.history)} event{'s' if len(self.history) != 1 else ''}"
        if events:
            head += f" ({events})"
        if not self.live:
            head += ", stopped"
        lines = [head]
        for name, g in zip(self.names, self._grads_shown()):
            lines.append(f"  {name}.grad = " + fmt.full(g).replace("\n", "\n    "))
        return "\n".join(lines)


def _params_of(payload):
    """The tensors an optimizer event is about: a list of tensors, param groups, or an optimizer."""
    if payload is None:
        return None
    if view.is_tensor(payload):
        return [payload]
    if hasattr(payload, "param_groups"):
        payload = payload.param_groups
    if isinstance(payload, dict):
        payload = payload.get("params", list(payload.values()))
    out = []
    try:
        items = list(payload)
    except TypeError:
        return None
    for item in items:
        if view.is_tensor(item):
            out.append(item)
        elif isinstance(item, dict) and "params" in item:
            out.extend(p for p in item["params"] if view.is_tensor(p))
        elif isinstance(item, (list, tuple)):
            out.extend(p for p in item if view.is_tensor(p))
    return out


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    ip = get_ipython()
    return ip if ip is not None and hasattr(ip, "events") else None
