"""Soak (issue #10): long training runs, deep graphs and threads.

- 10,000 training steps of a small MLP (autograd_lab.nn + optim.SGD with momentum): no growth in
  live ``Tensor`` / ``Node`` / ``SavedTensor`` objects (counted with ``gc.get_objects()`` after
  ``gc.collect()``), and flat memory: ``tracemalloc`` traces steps 1-1,000 and steps 9,001-10,000
  separately; what each window allocated and still holds at its end is compared (the last window
  may hold no more than the first, plus a small tolerance, and never more than a few KiB per 1,000
  steps). The loss must also have gone down (the run trained).
- A 100,000-deep graph is freed when dropped (a weakref to the root's ``grad_fn`` dies), without
  RecursionError or a crash -- in a subprocess, so a C-stack overflow cannot take pytest down --
  and backward through it works iteratively.
- Grad mode is per thread: ``no_grad`` in one thread does not switch it off in another, and four
  threads building graphs and running backward at the same time all get the right gradients, also
  when they accumulate into one shared leaf (PyTorch serialises ``AccumulateGrad``). To make races
  show up every time rather than now and then, those threads run with a profile function that
  yields the GIL at every call into autograd_lab.

The whole module takes well under a minute; the step count is fixed, the MLP is sized to fit.
"""
import gc
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import autograd_lab as A
from autograd_lab.node import Node, SavedTensor
from _fuzz_graphs import counts

ROOT = Path(__file__).resolve().parents[1]
STEPS = 10_000
WINDOW = 1_000


@pytest.fixture(scope="module")
def tally(request):
    return counts(request.config, "soak")


def live_objects():
    gc.collect()
    n = {"Tensor": 0, "Node": 0, "SavedTensor": 0}
    kinds = {}  # by type(o), not isinstance: that reads o.__class__, which wakes some of torch's lazy proxies
    for o in gc.get_objects():
        t = type(o)
        kind = kinds.get(t, 0)
        if kind == 0:
            kind = kinds[t] = ("Tensor" if issubclass(t, A.Tensor) else "Node" if issubclass(t, Node)
                               else "SavedTensor" if issubclass(t, SavedTensor) else None)
        if kind:
            n[kind] += 1
    return n


def make_problem(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((16, 4)).astype(np.float32)
    y = (np.sin(X.sum(1, keepdims=True)) * 0.5).astype(np.float32)
    return A.tensor(X), A.tensor(y)


def test_training_soak_no_leaks(tally):
    A.manual_seed(0)
    model = A.nn.Sequential(A.nn.Linear(4, 8), A.nn.Tanh(), A.nn.Linear(8, 1))
    opt = A.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = A.nn.MSELoss()
    X, y = make_problem()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
        return loss.item()

    first_loss = step()  # optimizer state (momentum buffers) exists from here on
    baseline = live_objects()

    def window():
        gc.collect()
        tracemalloc.start()
        t0 = time.perf_counter()
        for _ in range(WINDOW):
            last = step()
        elapsed = time.perf_counter() - t0
        gc.collect()
        held, _peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return held, last, elapsed

    held_first, _, t_first = window()
    t0 = time.perf_counter()
    for _ in range(STEPS - 2 * WINDOW - 1):
        last_loss = step()
    t_middle = time.perf_counter() - t0
    held_last, last_loss, t_last = window()
    after = live_objects()
    tally["cases"] += 1
    tally["steps"] = STEPS
    tally["held_first_B"] = held_first
    tally["held_last_B"] = held_last
    tally["ms_per_step"] = round(1000 * t_middle / (STEPS - 2 * WINDOW - 1), 3)

    assert after == baseline, f"live objects grew over {STEPS} steps: {baseline} -> {after}"
    assert held_last <= held_first + 4096, (f"the last {WINDOW} steps hold {held_last} B, the first {held_first} B "
                                            "(memory grows)")
    assert held_last <= 16 * 1024, \
        f"{held_last} B still held after {WINDOW} steps (a leak of ~{held_last // WINDOW} B/step)"
    assert last_loss < first_loss * 0.5, (first_loss, last_loss)


DEEP = textwrap.dedent("""
    import gc, sys, weakref
    import autograd_lab as A
    N = 100_000
    assert sys.getrecursionlimit() < N  # any recursion over the graph would fail
    x = A.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for i in range(N):
        y = y * 1.0 if i % 2 else y + 0.5
    root = weakref.ref(y.grad_fn)
    # backward through the deep graph is iterative; retain_graph keeps every saved tensor alive,
    # so what is dropped below is the whole graph
    y.sum().backward(retain_graph=True)
    assert x.grad.tolist() == [1.0, 1.0], x.grad
    gc.disable()
    del y
    by_refcount = root() is None
    gc.enable()
    gc.collect()
    assert root() is None, "the deep graph was not freed"
    print("ok", "refcount" if by_refcount else "gc")
""")


def test_deep_graph_freed_without_recursion(tally):
    proc = subprocess.run([sys.executable, "-c", DEEP], cwd=ROOT, capture_output=True, text=True, timeout=300)
    tally["cases"] += 1
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    assert proc.stdout.startswith("ok"), proc.stdout
    tally["deep_graph_freed_by"] = proc.stdout.split()[1]


def test_no_grad_is_per_thread(tally):
    x = A.tensor([1.0, 2.0], requires_grad=True)
    inside, entered, checked = {}, threading.Event(), threading.Event()

    def worker():
        with A.no_grad():
            entered.set()
            checked.wait(10)
            inside["enabled"] = A.is_grad_enabled()
            inside["y"] = (x * 2).requires_grad
        inside["after"] = A.is_grad_enabled()

    th = threading.Thread(target=worker)
    th.start()
    assert entered.wait(10)
    main_enabled = A.is_grad_enabled()
    main_y = (x * 2).requires_grad
    checked.set()
    th.join(10)
    tally["cases"] += 1
    assert (main_enabled, main_y) == (True, True), "no_grad in another thread switched grad mode off here"
    assert inside == {"enabled": False, "y": False, "after": True}


def test_set_grad_enabled_is_per_thread(tally):
    results = {}
    go = threading.Barrier(2)

    def worker(name, mode):
        with A.set_grad_enabled(mode):
            go.wait(10)
            time.sleep(0.01)
            x = A.tensor([1.0], requires_grad=True)
            results[name] = (A.is_grad_enabled(), (x * 3).requires_grad)
            go.wait(10)

    ts = [threading.Thread(target=worker, args=("off", False)), threading.Thread(target=worker, args=("on", True))]
    for th in ts:
        th.start()
    for th in ts:
        th.join(10)
    tally["cases"] += 1
    assert results == {"off": (False, False), "on": (True, True)}
    assert A.is_grad_enabled()


def _expected(seed):
    """The gradients of the per-thread graph, by hand in float64."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 4))
    w = rng.standard_normal((4, 2))
    b = rng.standard_normal(2)
    h = x @ w + b
    t = np.tanh(h)
    # loss = sum(tanh(x @ w + b) * 2) + sum(x ** 2)
    gh = 2 * (1 - t * t)
    return x, w, b, {"x": gh @ w.T + 2 * x, "w": x.T @ gh, "b": gh.sum(0)}


def _yield_in_autograd_lab(frame, event, arg):
    """A thread profile function: give up the GIL at every call into autograd_lab, so that threads
    interleave inside the engine (a read-add-write of .grad is no longer one uninterrupted run)."""
    if event == "call" and frame.f_globals.get("__name__", "").startswith("autograd_lab."):
        time.sleep(0)


def test_threads_backward_concurrently(tally):
    n_threads, iters = 4, 40
    errors, done = [], []
    start = threading.Barrier(n_threads)

    def worker(k):
        try:
            xs, ws, bs, want = _expected(k)
            start.wait(10)
            for i in range(iters):
                x = A.tensor(xs, requires_grad=True)
                w = A.tensor(ws, requires_grad=True)
                b = A.tensor(bs, requires_grad=True)
                if i % 3 == 0:
                    with A.no_grad():  # grad mode flips in this thread only
                        _ = x * 2
                loss = (A.tanh(x @ w + b) * 2).sum() + (x ** 2).sum()
                loss.backward()
                for name, t in (("x", x), ("w", w), ("b", b)):
                    np.testing.assert_allclose(t.grad.numpy(), want[name], rtol=1e-10, atol=1e-12,
                                               err_msg=f"thread {k} iteration {i}: {name}.grad")
            done.append(k)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append((k, repr(e)))

    threading.setprofile(_yield_in_autograd_lab)  # for the threads started below
    try:
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
        for th in ts:
            th.start()
    finally:
        threading.setprofile(None)
    for th in ts:
        th.join(120)
    tally["cases"] += 1
    tally["thread_backwards"] = n_threads * iters
    assert not errors, errors
    assert sorted(done) == list(range(n_threads))
    assert A.is_grad_enabled()


def test_threads_accumulate_into_one_leaf(tally):
    """Four threads, one shared weight: every backward's gradient lands in w.grad exactly once."""
    n_threads, iters = 4, 100
    w = A.tensor([1.0, 2.0, 3.0], dtype=A.float64, requires_grad=True)
    start = threading.Barrier(n_threads)
    errors = []

    def worker(k):
        try:
            start.wait(10)
            for _ in range(iters):
                (w * (k + 1)).sum().backward()
        except BaseException as e:  # noqa: BLE001
            errors.append((k, repr(e)))

    threading.setprofile(_yield_in_autograd_lab)  # for the threads started below
    try:
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
        for th in ts:
            th.start()
    finally:
        threading.setprofile(None)
    for th in ts:
        th.join(60)
    tally["cases"] += 1
    assert not errors, errors
    expected = iters * sum(k + 1 for k in range(n_threads))
    assert w.grad.tolist() == [expected] * 3, f"lost updates: {w.grad.tolist()} != {[expected] * 3}"


def test_soak_summary(tally):
    if tally.get("cases", 0) == 0:
        pytest.skip("nothing ran")
    print(f"soak: {tally}")
