"""``torch.autograd.profiler``: which ops ran, how often, and for how long.

Inside ``with profile() as prof:`` every op (``aten::mm``, named after its node), every node the
engine runs in backward (``autograd::engine::evaluate_function: MmBackward0`` around the node's own
``MmBackward0``) and every ``record_function("name")`` block is timed with ``perf_counter``, nested as
they ran. ``prof.key_averages().table()`` sums them by name in PyTorch's layout (self time: without
the events inside). The names and counts follow PyTorch's where autograd_lab has the same op; the
times are Python's, and the small internal ops PyTorch also lists (``aten::empty_like``,
``aten::as_strided``) have no counterpart here.
"""
import functools
import json
import re
import time
import warnings

from .. import engine
from ..node import Node

_active = []  # the recorders of the running profilers; the last one records


def _timed(name_of, fn):
    """``fn`` wrapped so that each call is an event in the active profile."""
    @functools.wraps(fn)
    def timed(first, *args, **kwargs):
        recorder = _active[-1]
        event = recorder.begin(*name_of(first, args))
        try:
            return fn(first, *args, **kwargs)
        finally:
            recorder.end(event)
    return timed


class _Instrumented:
    """While a profiler runs, the op entry point (``Node.apply``) and the engine's per-node
    functions are swapped for timed versions; with no profiler nothing is added to the hot paths."""

    originals = None

    @classmethod
    def install(cls):
        apply = Node.__dict__["apply"]
        task = engine.GraphTask
        cls.originals = (apply, task.evaluate, task.call_function, task.accumulate_grad)
        Node.apply = classmethod(_timed(lambda c, inputs: (_op_name(c), inputs), apply.__func__))
        task.evaluate = _timed(lambda t, a: (f"autograd::engine::evaluate_function: {a[0].name()}",),
                               task.evaluate)
        task.call_function = _timed(lambda t, a: (a[0].name(),), task.call_function)
        task.accumulate_grad = _timed(lambda t, a: (a[0].name(),), task.accumulate_grad)

    @classmethod
    def uninstall(cls):
        apply, evaluate, call_function, accumulate_grad = cls.originals
        Node.apply = apply
        engine.GraphTask.evaluate = evaluate
        engine.GraphTask.call_function = call_function
        engine.GraphTask.accumulate_grad = accumulate_grad


def _op_name(cls):
    """``MaxPool2DWithIndicesBackward0`` → ``aten::max_pool2d_with_indices`` (PyTorch's op names)."""
    base = re.sub(r"Backward\d*$", "", cls.__name__)
    return "aten::" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", base).lower()


class FunctionEvent:
    """One timed interval: ``name``, start/end in microseconds, the events that ran inside it."""

    def __init__(self, id, name, start_us, input_shapes=None):
        self.id = id
        self.name = name
        self.key = name
        self.time_range = [start_us, None]
        self.cpu_children = []
        self.cpu_parent = None
        self.input_shapes = input_shapes
        self.count = 1

    @property
    def cpu_time_total(self):
        return self.time_range[1] - self.time_range[0]

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_time(self):
        return self.cpu_time_total

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={_format_time(self.cpu_time_total)} "
                f"self_cpu_time={_format_time(self.self_cpu_time_total)}>")


class FunctionEventAvg:
    """The events of one name (and, if asked, one input-shape list) added up."""

    def __init__(self, key, input_shapes=None):
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0

    def add(self, event):
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        return self

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={_format_time(self.self_cpu_time_total)} "
                f"cpu_time={_format_time(self.cpu_time)} count={self.count}>")


class EventList(list):
    """A list of events with PyTorch's summaries: ``key_averages()``, ``table()``, ``total_average()``."""

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        groups = {}
        for e in self:
            shapes = str(e.input_shapes) if group_by_input_shape else None
            key = (e.key, shapes)
            if key not in groups:
                groups[key] = FunctionEventAvg(e.key, e.input_shapes if group_by_input_shape else None)
            groups[key].add(e)
        return EventList(groups.values())

    def total_average(self):
        total = FunctionEventAvg("Total")
        for e in self:
            total.add(e)
        return total

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        return _build_table(self, sort_by, row_limit, max_name_column_width, max_shapes_column_width, header,
                            time_unit)

    def __str__(self):
        return self.table()


def _format_time(us, unit=None):
    if unit == "s" or (unit is None and us >= 1e6):
        return f"{us / 1e6:.3f}s"
    if unit == "ms" or (unit is None and us >= 1e3):
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _build_table(events, sort_by, row_limit, max_name_width, max_shapes_width, header, time_unit):
    """PyTorch's summary table: Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg, # of Calls."""
    if not events:
        return ""
    if sort_by is not None:
        events = sorted(events, key=lambda e: getattr(e, sort_by), reverse=True)
    name_width = min(max(len(e.key) for e in events) + 4, max_name_width)
    shapes = any(e.input_shapes for e in events)
    shapes_width = min(max(len(str(e.input_shapes)) for e in events) + 4, max_shapes_width)
    titles = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
    widths = [name_width] + [12] * len(titles) + ([shapes_width] if shapes else [])
    titles = ["Name"] + titles + (["Input Shapes"] if shapes else [])
    line = "".join("-" * w + "  " for w in widths)  # (every column is followed by two spaces)
    total = sum(e.self_cpu_time_total for e in events) or 1.0

    def row(cells):
        return "".join(f"{c:>{w}}  " for c, w in zip(cells, widths))

    out = [line, row(titles), line]
    if header is not None:
        out = ["=" * len(line), header] + out
    for e in events[:row_limit] if row_limit and row_limit > 0 else events:
        name = e.key if len(e.key) <= name_width else e.key[:name_width - 3] + "..."
        cells = [name, f"{100 * e.self_cpu_time_total / total:.2f}%", _format_time(e.self_cpu_time_total, time_unit),
                 f"{100 * e.cpu_time_total / total:.2f}%", _format_time(e.cpu_time_total, time_unit),
                 _format_time(e.cpu_time, time_unit), str(e.count)]
        if shapes:
            cells.append(str(e.input_shapes)[:shapes_width])
        out.append(row(cells))
    out += [line, f"Self CPU time total: {_format_time(sum(e.self_cpu_time_total for e in events), time_unit)}", ""]
    return "\n".join(out)


class _Recorder:
    """Opens and closes events as ops, engine steps and ``record_function`` blocks run."""

    def __init__(self, record_shapes):
        self.record_shapes = record_shapes
        self.events = []
        self.stack = []
        self.t0 = time.perf_counter()

    def _now(self):
        return (time.perf_counter() - self.t0) * 1e6

    def begin(self, name, inputs=()):
        shapes = [list(t.shape) if hasattr(t, "shape") else [] for t in inputs] if self.record_shapes else None
        event = FunctionEvent(len(self.events), name, self._now(), shapes)
        if self.stack:
            event.cpu_parent = self.stack[-1]
            self.stack[-1].cpu_children.append(event)
        self.events.append(event)
        self.stack.append(event)
        return event

    def end(self, event):
        now = self._now()
        while self.stack:  # events left open by an exception close with their parent
            top = self.stack.pop()
            top.time_range[1] = now
            if top is event:
                break

    def finish(self):
        while self.stack:
            self.end(self.stack[-1])


class profile:
    """``with profile() as prof:`` records the ops run inside; read ``prof.key_averages().table()``."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None):
        self.enabled = enabled
        self.record_shapes = record_shapes
        self._recorder = None
        self.function_events = None
        if use_cuda:
            warnings.warn("The attribute `use_cuda` will be deprecated soon, please use ``use_device = 'cuda'`` "
                          "instead.", FutureWarning, stacklevel=2)
        if use_cuda or use_device == "cuda":
            warnings.warn("CUDA is not available, disabling CUDA profiling", stacklevel=2)

    def __enter__(self):
        if not self.enabled:
            return self
        if self._recorder is not None:
            raise RuntimeError("Profiler context manager is not reentrant")
        self._recorder = _Recorder(self.record_shapes)
        if not _active:
            _Instrumented.install()
        _active.append(self._recorder)
        return self

    def __exit__(self, *exc):
        if not self.enabled:
            return
        _active.remove(self._recorder)
        if not _active:
            _Instrumented.uninstall()
        self._recorder.finish()
        self.function_events = EventList(self._recorder.events)

    def _events(self):
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")
        return self.function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        return self._events().key_averages(group_by_input_shape)

    def total_average(self):
        return self._events().total_average()

    @property
    def self_cpu_time_total(self):
        return self._events().self_cpu_time_total

    def table(self, sort_by=None, row_limit=100, **kwargs):
        return self._events().table(sort_by=sort_by, row_limit=row_limit, **kwargs)

    def export_chrome_trace(self, path):
        """The events as a Chrome trace (chrome://tracing, Perfetto): one complete event each."""
        trace = [{"name": e.name, "ph": "X", "ts": e.time_range[0], "dur": e.cpu_time_total, "pid": 0, "tid": 0,
                  "cat": "cpu_op"} for e in self._events()]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace}, f)

    def __str__(self):
        return self.table()


class record_function:
    """A named block in the profile: ``with record_function("forward"):`` or as a decorator."""

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self._open = []

    def __enter__(self):
        if _active:
            recorder = _active[-1]
            self._open.append((recorder, recorder.begin(self.name)))
        else:
            self._open.append(None)
        return self

    def __exit__(self, *exc):
        opened = self._open.pop()
        if opened is not None:
            recorder, event = opened
            recorder.end(event)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper
