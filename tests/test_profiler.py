"""``torch.autograd.profiler`` / ``torch.profiler`` against PyTorch 2.13: the events recorded (names
and counts, for the ops both libraries have), record_function blocks, the summary table's layout,
and that profiling leaves nothing behind."""
import json
import re
import warnings

import pytest
from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS  # noqa: E402
from autograd_lab.node import Node  # noqa: E402


def _program(L, profile):
    x = L.randn(3, 4, requires_grad=True)
    w = L.randn(4, 2, requires_grad=True)
    with profile() as prof:
        with L.autograd.profiler.record_function("my_block"):
            y = (x.mm(w)).relu().sum()
        y.backward()
    return prof


SHARED = ["my_block", "aten::mm", "aten::relu", "aten::sum", "aten::expand", "aten::t",
          "autograd::engine::evaluate_function: SumBackward0", "SumBackward0",
          "autograd::engine::evaluate_function: ReluBackward0", "ReluBackward0", "aten::threshold_backward",
          "autograd::engine::evaluate_function: MmBackward0", "MmBackward0",
          "autograd::engine::evaluate_function: torch::autograd::AccumulateGrad",
          "torch::autograd::AccumulateGrad"]


@pytest.mark.parametrize("which", ["autograd", "profiler"])
def test_events_and_counts_match_torch(which):
    counts = {}
    for L in LIBS:
        profile = L.autograd.profiler.profile if which == "autograd" else (
            lambda: L.profiler.profile(activities=[L.profiler.ProfilerActivity.CPU]))
        prof = _program(L, profile)
        counts[L] = {e.key: e.count for e in prof.key_averages()}
    assert {k: counts[A].get(k) for k in SHARED} == {k: counts[torch].get(k) for k in SHARED}
    assert set(counts[A]) <= set(counts[torch])  # nothing PyTorch would not list


def test_nesting_and_times():
    prof = _program(A, A.autograd.profiler.profile)
    events = prof.function_events
    block = next(e for e in events if e.name == "my_block")
    assert {c.name for c in block.cpu_children} == {"aten::mm", "aten::relu", "aten::sum"}
    for e in events:
        assert e.cpu_time_total >= e.self_cpu_time_total >= 0
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - sum(c.cpu_time_total for c in e.cpu_children))
    evaluate = next(e for e in events if e.name == "autograd::engine::evaluate_function: MmBackward0")
    assert [c.name for c in evaluate.cpu_children] == ["MmBackward0"]
    avg = prof.key_averages()
    mm = next(e for e in avg if e.key == "aten::mm")
    assert mm.count == 3 and mm.cpu_time == pytest.approx(mm.cpu_time_total / 3)


def _layout(table):
    """The table with numbers blanked: its shape, titles and names."""
    return [re.sub(r"\d+\.\d+(us|ms|s|%)", "N", line) for line in table.splitlines()]


def test_table_layout_is_torchs():
    tables = {}
    for L in LIBS:
        x = L.ones(2, 2, requires_grad=True)
        with L.profiler.profile(activities=[L.profiler.ProfilerActivity.CPU]) as prof:
            with L.profiler.record_function("model_inference"):
                (x * x).sum().backward()
        keep = {"model_inference", "aten::mul", "aten::sum"}
        events = L.autograd.profiler_util.EventList(
            [e for e in prof.key_averages() if e.key in keep]) if L is torch else \
            A.autograd.profiler.EventList([e for e in prof.key_averages() if e.key in keep])
        tables[L] = events.table(sort_by="count", row_limit=3).splitlines()
    assert len(tables[A]) == len(tables[torch])
    assert tables[A][:3] == tables[torch][:3]  # rules and titles, to the space
    assert [len(line) for line in tables[A][:-1]] == [len(line) for line in tables[torch][:-1]]
    assert [line.split()[0] for line in _layout("\n".join(tables[A]))[3:]] == \
        [line.split()[0] for line in _layout("\n".join(tables[torch]))[3:]]


def test_record_function_as_decorator_and_outside_a_profile():
    @A.autograd.profiler.record_function("step")
    def step(x):
        return (x * 2).sum()
    x = A.ones(3, requires_grad=True)
    step(x)  # no profiler: nothing happens
    with A.autograd.profiler.profile() as prof:
        step(x)
        step(x)
    counts = {e.key: e.count for e in prof.key_averages()}
    assert counts["step"] == 2 and counts["aten::mul"] == 2 and counts["aten::sum"] == 2


def test_profiling_leaves_nothing_behind(tmp_path):
    apply = Node.__dict__["apply"]
    evaluate = A.engine.GraphTask.evaluate
    with pytest.raises(ValueError):
        with A.autograd.profiler.profile():
            with A.autograd.profiler.profile() as inner:
                A.ones(2) * 3
            raise ValueError("boom")
    assert Node.__dict__["apply"] is apply and A.engine.GraphTask.evaluate is evaluate
    assert [e.key for e in inner.key_averages()] == ["aten::mul"]
    inner.export_chrome_trace(str(tmp_path / "trace.json"))
    trace = json.loads((tmp_path / "trace.json").read_text())
    assert [e["name"] for e in trace["traceEvents"]] == ["aten::mul"]
    with A.autograd.profiler.profile(enabled=False) as off:
        A.ones(2) * 3
    assert off.function_events is None


def test_cuda_profiling_is_switched_off_as_on_a_cpu_build():
    seen = {}
    for L in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with L.autograd.profiler.profile(use_cuda=True) as prof:
                L.ones(1, requires_grad=True) * 2
        seen[L] = ([(x.category.__name__, str(x.message)) for x in w], prof.key_averages().table() != "")
    assert seen[A] == seen[torch]
