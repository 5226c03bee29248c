#!/usr/bin/env python
"""autograd_lab against PyTorch, a hand-written NumPy backprop (the floor for any NumPy engine) and
micrograd (when importable), on the workloads of issue #9. Prints ONE table.

    python benchmarks/run.py            # full mode (a few minutes): the figures in benchmarks/README.md
    python benchmarks/run.py --quick    # < 60 s, and asserts every workload against PyTorch

Every figure is the median of repeated runs in this one process; the implementations are run in
interleaved rounds (ours, torch, numpy, ours, ...) so that a burst of load elsewhere on the machine
hits them all alike. Times are the CPU time of this process (``time.process_time``; everything runs
on one thread, so on an idle machine it is the wall time, and on a shared one it leaves out the time
other jobs held the core); ``--clock wall`` uses ``time.perf_counter`` instead. Every
implementation starts from the SAME weights and data (NumPy arrays made here). BLAS runs on one
thread everywhere (``torch.set_num_threads(1)``, and OPENBLAS/OMP/MKL thread counts set to 1
before NumPy is imported; ``--threads N`` changes both).

Correctness (both modes; ``--quick`` exists for it): after one step, loss, every gradient and every
updated parameter agree with PyTorch to 1e-5 relative (``|a - b| / |b|`` over the whole array,
Frobenius norm), and likewise for the NumPy floor; the chains compare output and input gradient.
"""
import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc


def _early_threads(argv):
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


if __name__ == "__main__":
    # must happen before NumPy loads its BLAS
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _early_threads(sys.argv[1:])

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

import autograd_lab as ag  # noqa: E402

try:
    import torch
except ImportError:  # the table loses its PyTorch column; --quick refuses to run without it
    torch = None

try:
    import micrograd.engine as micrograd_engine
except ImportError:
    micrograd_engine = None

RTOL = 1e-5
LR = 0.1
clock = time.process_time  # see the module docstring; main() applies --clock


# ======================================================================================= helpers
class CheckFailed(AssertionError):
    pass


CHECKS = []  # (workload, what, relative error) of every comparison made


def check_close(workload, what, ours, ref, rtol=RTOL):
    """``|ours - ref| / |ref| <= rtol`` over the whole array (Frobenius); raises CheckFailed."""
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(ref, dtype=np.float64)
    if a.shape != b.shape:
        raise CheckFailed(f"{workload}: {what}: shape {a.shape} != {b.shape}")
    den = np.linalg.norm(b)
    err = np.linalg.norm(a - b) / den if den > 0 else np.linalg.norm(a - b)
    CHECKS.append((workload, what, float(err)))
    if not err <= rtol:  # also catches NaN
        raise CheckFailed(f"{workload}: {what}: relative error {err:.3g} > {rtol:g}")


def interleaved(fns, rounds, warmup=1):
    """Run each fn ``warmup`` times, then ``rounds`` rounds of all fns in rotating order.

    Each fn measures itself and returns a tuple of seconds (one per phase it times); the result is
    {name: tuple of medians}.
    """
    names = list(fns)
    for n in names:
        for _ in range(warmup):
            fns[n]()
    samples = {n: [] for n in names}
    for r in range(rounds):
        k = r % len(names)
        for n in names[k:] + names[:k]:
            samples[n].append(fns[n]())
    return {n: tuple(statistics.median(col) for col in zip(*s)) for n, s in samples.items()}


def init_weights(sizes, seed):
    """PyTorch's nn.Linear initialisation (U(±1/√fan_in) for weight and bias), as float32 arrays."""
    rng = np.random.RandomState(seed)
    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        w = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, (fan_out,)).astype(np.float32)
        out.append((w, b))
    return out


def make_data(sizes, rows, seed):
    rng = np.random.RandomState(seed + 1)
    x = rng.standard_normal((rows, sizes[0])).astype(np.float32)
    y = (rng.uniform(size=(rows, sizes[-1])) > 0.5).astype(np.float32)
    return x, y


# ============================================================== MLP: one SGD step, three ways
class FrameworkMLP:
    """The same code for autograd_lab and PyTorch (``lib`` is the module)."""

    def __init__(self, lib, weights, x, y, lr=LR):
        self.lib = lib
        self.F = lib.nn.functional
        self.layers = []
        for w, b in weights:
            lin = lib.nn.Linear(w.shape[1], w.shape[0])
            with lib.no_grad():
                lin.weight.copy_(lib.from_numpy(w.copy()))
                lin.bias.copy_(lib.from_numpy(b.copy()))
            self.layers.append(lin)
        self.params = [p for lin in self.layers for p in (lin.weight, lin.bias)]
        self.opt = lib.optim.SGD(self.params, lr=lr)
        self.x = lib.from_numpy(x)
        self.y = lib.from_numpy(y)

    def step(self, check=False):
        """forward, BCE-with-logits loss, backward, update, zero_grad; ``check`` returns values."""
        h = self.x
        for lin in self.layers[:-1]:
            h = self.lib.tanh(lin(h))
        loss = self.F.binary_cross_entropy_with_logits(self.layers[-1](h), self.y)
        loss.backward()
        grads = [p.grad.detach().numpy().copy() for p in self.params] if check else None
        self.opt.step()
        self.opt.zero_grad()
        if check:
            return float(loss.item()), grads, [p.detach().numpy().copy() for p in self.params]
        return loss


class NumpyMLP:
    """Hand-written backprop of the same network in float32: forward, manual backward, SGD update."""

    def __init__(self, weights, x, y, lr=LR):
        self.W = [w.copy() for w, _ in weights]
        self.b = [b.copy() for _, b in weights]
        self.x, self.y, self.lr = x, y, lr

    def step(self, check=False):
        W, b, y, lr = self.W, self.b, self.y, self.lr
        hs = [self.x]
        h = self.x
        for i in range(len(W) - 1):
            h = np.tanh(h @ W[i].T + b[i])
            hs.append(h)
        z = h @ W[-1].T + b[-1]
        e = np.exp(-np.abs(z))
        loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(e))
        sig = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        dz = (sig - y) / np.float32(z.size)
        grads = [None] * (2 * len(W))
        for i in range(len(W) - 1, -1, -1):
            gw = dz.T @ hs[i]
            gb = dz.sum(0)
            if i:
                dz = (dz @ W[i]) * (1 - hs[i] * hs[i])
            if check:
                grads[2 * i], grads[2 * i + 1] = gw.copy(), gb.copy()
            W[i] -= lr * gw
            b[i] -= lr * gb
        if check:
            return float(loss), grads, [a.copy() for pair in zip(W, b) for a in pair]
        return loss


class MicrogradMLP:
    """micrograd's scalar Values (only when importable and they have tanh, exp and log)."""

    def __init__(self, weights, x, y, lr=LR):
        V = micrograd_engine.Value
        for op in ("tanh", "exp", "log"):
            if not hasattr(V, op):
                raise NotImplementedError(f"micrograd's Value has no {op}()")
        self.V = V
        self.W = [[[V(float(v)) for v in row] for row in w] for w, _ in weights]
        self.b = [[V(float(v)) for v in bb] for _, bb in weights]
        self.x, self.y, self.lr = x.tolist(), y.tolist(), lr

    def step(self):
        params = [p for layer in self.W for row in layer for p in row] + [p for bb in self.b for p in bb]
        total, count = self.V(0.0), 0
        for xr, yr in zip(self.x, self.y):
            h = xr
            for li, (w, bb) in enumerate(zip(self.W, self.b)):
                z = [sum((wi * hi for wi, hi in zip(row, h)), bj) for row, bj in zip(w, bb)]
                h = [v.tanh() for v in z] if li < len(self.W) - 1 else z
            for zj, yj in zip(h, yr):  # max(z,0) - z*y + log(1 + exp(-|z|)), as the others
                total = total + (zj.relu() - zj * yj + (1 + (-(zj.relu() + (-zj).relu())).exp()).log())
                count += 1
        loss = total * (1.0 / count)
        loss.backward()
        for p in params:
            p.data -= self.lr * p.grad
            p.grad = 0
        return loss


def mlp_workload(name, sizes, rows, rounds, inner, seed=0, with_micrograd=True):
    weights = init_weights(sizes, seed)
    x, y = make_data(sizes, rows, seed)
    rows_out = []
    # correctness: one step from the same start, every value against PyTorch
    if torch is not None:
        ref = FrameworkMLP(torch, weights, x, y).step(check=True)
        for label, impl in (("autograd_lab", FrameworkMLP(ag, weights, x, y)), ("numpy", NumpyMLP(weights, x, y))):
            loss, grads, params = impl.step(check=True)
            check_close(name, f"{label} loss", loss, ref[0])
            for i, (g, r) in enumerate(zip(grads, ref[1])):
                check_close(name, f"{label} grad[{i}]", g, r)
            for i, (p, r) in enumerate(zip(params, ref[2])):
                check_close(name, f"{label} param[{i}] after step", p, r)

    def timer(model):
        def run():
            t0 = clock()
            for _ in range(inner):
                model.step()
            return ((clock() - t0) / inner,)
        return run

    fns = {"ours": timer(FrameworkMLP(ag, weights, x, y)), "numpy": timer(NumpyMLP(weights, x, y))}
    if torch is not None:
        fns["torch"] = timer(FrameworkMLP(torch, weights, x, y))
    if micrograd_engine is not None and sizes == (2, 16, 16, 1) and with_micrograd:
        try:
            mg = MicrogradMLP(weights, x, y)
        except NotImplementedError as e:
            rows_out.append(("note", f"micrograd skipped: {e}"))
        else:
            if torch is not None:
                check_close(name, "micrograd loss", float(mg.step().data), ref[0])
                mg = MicrogradMLP(weights, x, y)

            def micro():  # one step per round: a scalar engine takes seconds per step
                t0 = clock()
                mg.step()
                return (clock() - t0,)
            fns["micrograd"] = micro
    med = interleaved(fns, rounds, warmup=2)
    return {k: v[0] for k, v in med.items()}, rows_out


# ========================================================================= chains of small ops
def chain_lib(lib, x0, w, n):
    """n ops cycling y*w, y+0.1, tanh(y) on a 10-element tensor; then sum and backward.
    Returns (forward seconds, backward seconds, output, x.grad)."""
    x = lib.tensor(x0, requires_grad=True)
    wt = lib.tensor(w)
    tanh = lib.tanh
    t0 = clock()
    y = x
    for i in range(n):
        k = i % 3
        if k == 0:
            y = y * wt
        elif k == 1:
            y = y + 0.1
        else:
            y = tanh(y)
    loss = y.sum()
    t1 = clock()
    loss.backward()
    t2 = clock()
    return t1 - t0, t2 - t1, y, x.grad


def chain_numpy(x0, w, n):
    t0 = clock()
    y = x0
    outs = []
    for i in range(n):
        k = i % 3
        if k == 0:
            y = y * w
        elif k == 1:
            y = y + np.float32(0.1)
        else:
            y = np.tanh(y)
        outs.append(y)
    loss = y.sum()
    t1 = clock()
    g = np.ones_like(y)
    for i in range(n - 1, -1, -1):
        k = i % 3
        if k == 0:
            g = g * w
        elif k == 2:
            out = outs[i]
            g = g * (1 - out * out)
    t2 = clock()
    return t1 - t0, t2 - t1, y, g


def chain_micrograd(x0, w, n):
    V = micrograd_engine.Value
    if not hasattr(V, "tanh"):
        raise NotImplementedError("micrograd's Value has no tanh()")
    x = [V(float(v)) for v in x0]
    wl = [float(v) for v in w]
    t0 = clock()
    y = x
    for i in range(n):
        k = i % 3
        y = ([a * b for a, b in zip(y, wl)] if k == 0 else [a + 0.1 for a in y] if k == 1
             else [a.tanh() for a in y])
    loss = sum(y[1:], y[0])
    t1 = clock()
    loss.backward()
    t2 = clock()
    return t1 - t0, t2 - t1, None, None


def chain_inputs(seed=0):
    rng = np.random.RandomState(seed + 7)
    return rng.standard_normal(10).astype(np.float32), rng.uniform(0.5, 1.5, 10).astype(np.float32)


def chain_workload(name, n, rounds, inner):
    x0, w = chain_inputs()
    if torch is not None:
        _, _, ry, rg = chain_lib(torch, x0, w, n)
        for label, (y, g) in (("autograd_lab", chain_lib(ag, x0, w, n)[2:]), ("numpy", chain_numpy(x0, w, n)[2:])):
            check_close(name, f"{label} output", np.asarray(y.detach().numpy() if hasattr(y, "detach") else y),
                        ry.detach().numpy())
            check_close(name, f"{label} x.grad", np.asarray(g.numpy() if hasattr(g, "numpy") else g), rg.numpy())

    def timer(fn):
        def run():
            f = b = 0.0
            for _ in range(inner):
                tf, tb, _, _ = fn()
                f += tf
                b += tb
            return f / inner, b / inner, (f + b) / inner
        return run

    fns = {"ours": timer(lambda: chain_lib(ag, x0, w, n)), "numpy": timer(lambda: chain_numpy(x0, w, n))}
    if torch is not None:
        fns["torch"] = timer(lambda: chain_lib(torch, x0, w, n))
    notes = []
    if micrograd_engine is not None:
        if hasattr(micrograd_engine.Value, "tanh"):
            fns["micrograd"] = timer(lambda: chain_micrograd(x0, w, n))
        else:
            notes.append(("note", "micrograd skipped: its Value has no tanh()"))
    return interleaved(fns, rounds, warmup=3), notes


def deep_chain(lib, x0, n):
    """n nodes alternating y*0.99999 and y+0.001 (gradient stays O(1)); returns fwd s, bwd s, y, grad."""
    x = lib.tensor(x0, requires_grad=True)
    t0 = clock()
    y = x
    for i in range(n):
        y = y * 0.99999 if i % 2 == 0 else y + 0.001
    loss = y.sum()
    t1 = clock()
    loss.backward()
    t2 = clock()
    return t1 - t0, t2 - t1, y, x.grad


def deep_chain_numpy(x0, n):
    t0 = clock()
    y = x0
    keep = []
    for i in range(n):
        y = y * np.float32(0.99999) if i % 2 == 0 else y + np.float32(0.001)
        keep.append(y)  # a NumPy tape keeps its intermediates too
    loss = y.sum()
    t1 = clock()
    g = np.ones_like(y)
    for i in range(n - 1, -1, -1):
        if i % 2 == 0:
            g = g * np.float32(0.99999)
    t2 = clock()
    return t1 - t0, t2 - t1, y, g


def deep_memory(x0, n):
    """tracemalloc peak (bytes above the start) while building and running backward on n nodes,
    and what the built graph alone holds before backward."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        x = ag.tensor(x0, requires_grad=True)
        y = x
        for i in range(n):
            y = y * 0.99999 if i % 2 == 0 else y + 0.001
        loss = y.sum()
        graph = tracemalloc.get_traced_memory()[0] - base
        loss.backward()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    del x, y, loss
    gc.collect()
    return peak, graph


def deep_workload(sizes, rounds, mem=True):
    x0 = chain_inputs()[0]
    n0 = sizes[0]
    if torch is not None:
        _, _, ry, rg = deep_chain(torch, x0, n0)
        name = f"deep chain {n0}"
        _, _, y, g = deep_chain(ag, x0, n0)
        check_close(name, "autograd_lab output", y.detach().numpy(), ry.detach().numpy())
        check_close(name, "autograd_lab x.grad", g.numpy(), rg.numpy())
        _, _, y, g = deep_chain_numpy(x0, n0)
        check_close(name, "numpy output", y, ry.detach().numpy())
        check_close(name, "numpy x.grad", g, rg.numpy())
    results = {}
    for n in sizes:
        fns = {"ours": lambda n=n: deep_chain(ag, x0, n)[:2], "numpy": lambda n=n: deep_chain_numpy(x0, n)[:2]}
        if torch is not None:
            fns["torch"] = lambda n=n: deep_chain(torch, x0, n)[:2]
        med = interleaved(fns, rounds, warmup=1)
        results[n] = {k: (f / n, b / n) for k, (f, b) in med.items()}
        if mem:
            peak, graph = deep_memory(x0, n)
            results[n]["mem"] = (peak / n, graph / n)
        gc.collect()
    return results


# ============================================================================== import time
def import_workload(runs, with_torch=True):
    """Median wall time of ``import X`` in fresh interpreters with warm bytecode caches, and
    ``-X importtime``'s top offenders for autograd_lab."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # bytecode goes to a private cache: nothing is written into the source tree
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "autograd_lab_bench_pycache")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    code = ("import time; c = time.{c}; t = c(); import {m}; print(c() - t)"
            .replace("{c}", clock.__name__))

    def once(mod):
        out = subprocess.run([sys.executable, "-c", code.format(m=mod)], env=env, cwd=ROOT, capture_output=True,
                             text=True, check=True)
        return float(out.stdout.strip().splitlines()[-1])

    mods = ["autograd_lab", "numpy"] + (["torch"] if torch is not None and with_torch else [])
    for m in mods:
        once(m)  # fills the bytecode cache
    times = {m: [] for m in mods}
    for _ in range(runs):
        for m in mods:
            times[m].append(once(m))
    med = {m: statistics.median(t) for m, t in times.items()}
    # the cold case: nothing cached (as the first import after an install without compiled bytecode)
    cold_env = dict(env, PYTHONDONTWRITEBYTECODE="1",
                    PYTHONPYCACHEPREFIX=tempfile.mkdtemp(prefix="autograd_lab_bench_cold_"))
    cold = float(subprocess.run([sys.executable, "-c", code.format(m="autograd_lab")], env=cold_env, cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    runs_it = [_importtime(env) for _ in range(3)]
    summary = sorted(runs_it, key=lambda r: r["total"])[1]  # the run with the median total
    return med, cold, summary


def _importtime(env):
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import autograd_lab"], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    # lines come children first, indented by depth; walk them parents first to know who imported what
    rows, stack = [], []
    for line in reversed(out.stderr.splitlines()):
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, raw = (p for p in line[len("import time:"):].split("|"))
        depth = len(raw) - len(raw.lstrip())
        mod = raw.strip()
        while stack and stack[-1][0] >= depth:
            stack.pop()
        owner = next((m.split(".")[0] for _, m in reversed(stack) if m.split(".")[0] in ("autograd_lab", "numpy")),
                     None)
        stack.append((depth, mod))
        rows.append((int(self_us), int(cum_us), mod, owner))
    ours = [r for r in rows if r[2].split(".")[0] == "autograd_lab"]
    # modules outside numpy that autograd_lab's own modules import (not those numpy brings)
    pulled = [r for r in rows if r[3] == "autograd_lab" and r[2].split(".")[0] not in ("autograd_lab", "numpy")]
    summary = {
        "total": max((r[1] for r in rows if r[2] == "autograd_lab"), default=0),
        "numpy": max((r[1] for r in rows if r[2] == "numpy"), default=0),
        "own": sum(r[0] for r in ours),
        "top_own": sorted(ours, reverse=True)[:6],
        "pulled": sum(r[0] for r in pulled),
        "top_pulled": sorted(pulled, reverse=True)[:5],
    }
    return summary


# ============================================================================ training memory
def _trace_steps(step, n, warm):
    """tracemalloc over ``warm`` + ``n`` steps. Returns (peak bytes above the live memory at the
    end of the warm-up, bytes/step slope of the live memory after each of the n steps (least
    squares), growth over the n steps).

    The warm-up runs traced: tracemalloc counts the objects parked in CPython's free lists (tuples,
    floats, dicts ...) as allocated, and while tracing is new those lists fill with traced objects,
    which looks like a leak for several hundred steps and then stops. Measuring after it is not.
    """
    gc.collect()
    cur = np.zeros(n, dtype=np.int64)  # allocated before tracing: the samples add nothing
    tracemalloc.start()
    try:
        for _ in range(warm):
            step()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for i in range(n):
            step()
            cur[i] = tracemalloc.get_traced_memory()[0]
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    slope = float(np.polyfit(np.arange(n, dtype=np.float64), cur.astype(np.float64), 1)[0])
    return peak, slope, int(cur[-1] - cur[0])


def cyclic_garbage(step, n=50):
    """Objects the cycle collector has to free per step (0 = everything dies by reference counting)."""
    gc.collect()
    gc.disable()
    try:
        for _ in range(n):
            step()
        found = gc.collect()
    finally:
        gc.enable()
    return found / n


# traced steps before the training-memory run measures (see _trace_steps): 1,000 were enough at
# 9d09611; since, the free lists take 1,000-5,000 steps to fill (the live memory then stays flat to
# the byte over 40,000 steps, at both commits), and 1,000 showed that as +52 KiB of "growth"
WARM_STEPS = 5000


def memory_workload(steps, seed=0):
    sizes, rows = (2, 16, 16, 1), 100
    weights = init_weights(sizes, seed)
    x, y = make_data(sizes, rows, seed)
    name = "training memory"
    if torch is not None:  # the trajectory of a few steps, against PyTorch
        ref, ours = FrameworkMLP(torch, weights, x, y), FrameworkMLP(ag, weights, x, y)
        for i in range(5):
            check_close(name, f"autograd_lab loss at step {i}", float(ours.step().item()), float(ref.step().item()))
    ours, floor = FrameworkMLP(ag, weights, x, y), NumpyMLP(weights, x, y)
    for _ in range(3):
        ours.step()
        floor.step()
    res = {}
    for label, model in (("ours", ours), ("numpy", floor)):
        peak, slope, growth = _trace_steps(model.step, steps, warm=WARM_STEPS)
        res[label] = (peak, slope, growth, cyclic_garbage(model.step))
    return res


# ================================================================================== the table
def fmt_time(s):
    if s != s:
        return "–"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} µs"


def fmt_bytes(b):
    if abs(b) >= 1 << 20:
        return f"{b / (1 << 20):.2f} MiB"
    if abs(b) >= 1 << 10:
        return f"{b / (1 << 10):.1f} KiB"
    return f"{b:.0f} B"


def ratio(a, b):
    return f"{a / b:.2f}x" if b and a == a and b == b else "–"


class Table:
    def __init__(self, with_micrograd):
        self.cols = ["workload", "metric", "autograd_lab", "PyTorch", "NumPy floor"]
        if with_micrograd:
            self.cols.append("micrograd")
        self.cols += ["ours/torch", "ours/numpy", "target", "met"]
        self.rows = []
        self.verdicts = []
        self.notes = []

    def add(self, workload, metric, ours, torch_, numpy_, micro="–", r_torch="–", r_numpy="–", target="",
            met=None):
        cells = [workload, metric, ours, torch_, numpy_]
        if "micrograd" in self.cols:
            cells.append(micro)
        verdict = "" if met is None else ("yes" if met else "**no**")
        cells += [r_torch, r_numpy, target, verdict]
        self.rows.append(cells)
        if met is not None:
            self.verdicts.append((f"{workload}: {target}", met))

    def render(self):
        widths = [max(len(str(r[i])) for r in [self.cols] + self.rows) for i in range(len(self.cols))]
        line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
        out = [line(self.cols), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out += [line(r) for r in self.rows]
        if self.notes:
            out += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(out)


def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    parts = [f"{os.cpu_count()} cores, {cpu}", f"Python {sys.version.split()[0]}", f"NumPy {np.__version__}"]
    if torch is not None:
        parts.append(f"PyTorch {torch.__version__} ({torch.get_num_threads()} thread)")
    parts.append(f"BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    parts.append("load average %.2f %.2f %.2f" % load)
    return ", ".join(parts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="few repeats (< 60 s); for the correctness checks")
    ap.add_argument("--threads", default="1", help="BLAS and PyTorch threads (default 1)")
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                    help="cpu: time.process_time (default, robust to other jobs); wall: time.perf_counter")
    ap.add_argument("--only", default="", help="comma-separated: mlp,chain,deep,import,memory")
    args = ap.parse_args(argv)
    global clock
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.quick and torch is None:
        sys.exit("--quick asserts against PyTorch: install torch==2.13.0")
    if torch is not None:
        torch.set_num_threads(int(args.threads))
    only = set(filter(None, args.only.split(",")))
    want = lambda w: not only or w in only  # noqa: E731
    q = args.quick
    t_start = time.perf_counter()
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    table = Table(micrograd_engine is not None)
    spent, current = {}, [None, 0.0]

    def section(name):
        t = time.perf_counter()
        if current[0] is not None:
            spent[current[0]] = t - current[1]
        current[:] = [name if name and want(name) else None, t]
    if micrograd_engine is None:
        table.notes.append("micrograd is not importable here: its column is left out.")

    section("mlp")
    if want("mlp"):
        # (name, sizes, rows, rounds, steps per round)
        mlps = [("small MLP 2-16-16-1, 100 rows", (2, 16, 16, 1), 100, 3 if q else 25, 5 if q else 40),
                ("wide MLP 2-256-256-1, 512 rows", (2, 256, 256, 1), 512, 3 if q else 25, 2 if q else 10),
                ("big MLP 64-1024-1024-10, 256 rows", (64, 1024, 1024, 10), 256, 2 if q else 11, 1 if q else 2)]
        for name, sizes, rows, rounds, inner in mlps:
            med, notes = mlp_workload(name, sizes, rows, rounds, inner, with_micrograd=not q)
            table.notes += [n for _, n in notes]
            o, t, n_ = med["ours"], med.get("torch", float("nan")), med["numpy"]
            if sizes[1] == 16:
                target, met = "≤ 0.8x torch", o / t <= 0.8
            else:
                target, met = "≤ 1.1x numpy", o / n_ <= 1.1
            table.add(name, "time / SGD step", fmt_time(o), fmt_time(t), fmt_time(n_),
                      fmt_time(med["micrograd"]) if "micrograd" in med else "–",
                      ratio(o, t), ratio(o, n_), target, met)

    section("chain")
    if want("chain"):
        n = 200
        med, notes = chain_workload("chain 200", n, 5 if q else 41, 3 if q else 10)
        table.notes += [x for _, x in notes]
        for i, metric in enumerate(("forward / op", "backward / op", "fwd+bwd / op")):
            o, t, n_ = med["ours"][i] / n, med["torch"][i] / n if "torch" in med else float("nan"), med["numpy"][i] / n
            m = fmt_time(med["micrograd"][i] / n) if "micrograd" in med else "–"
            last = i == 2
            table.add(f"chain of {n} ops, 10 elements" if i == 0 else "", metric, fmt_time(o), fmt_time(t),
                      fmt_time(n_), m, ratio(o, t), ratio(o, n_), "≤ 1.0x torch" if last else "",
                      (o / t <= 1.0) if last else None)

    section("deep")
    if want("deep"):
        sizes = [5_000, 10_000] if q else [10_000, 50_000, 100_000]
        res = deep_workload(sizes, 1 if q else 5)
        for j, n in enumerate(sizes):
            r = res[n]
            for i, metric in enumerate(("forward / node", "backward / node")):
                o, t, n_ = r["ours"][i], r["torch"][i] if "torch" in r else float("nan"), r["numpy"][i]
                table.add(f"deep chain {n:,} nodes" if i == 0 else "", metric, fmt_time(o), fmt_time(t),
                          fmt_time(n_), "–", ratio(o, t), ratio(o, n_))
            tot = sum(r["ours"])
            table.add("", "fwd+bwd / node", fmt_time(tot),
                      fmt_time(sum(r["torch"])) if "torch" in r else "–", fmt_time(sum(r["numpy"])), "–",
                      ratio(tot, sum(r["torch"])) if "torch" in r else "–", ratio(tot, sum(r["numpy"])),
                      "≤ 20 µs/node" if j == len(sizes) - 1 else "",
                      tot <= 20e-6 if j == len(sizes) - 1 else None)
            table.add("", "peak memory / node (graph alone)",
                      f"{fmt_bytes(r['mem'][0])} ({fmt_bytes(r['mem'][1])})", "n/a", "–")
        small, big = sizes[0], sizes[-1]
        tr = sum(res[big]["ours"]) / sum(res[small]["ours"])
        mr = res[big]["mem"][0] / res[small]["mem"][0]
        table.add("deep chain, linearity", f"per-node cost {big // 1000}k / {small // 1000}k",
                  f"time {tr:.2f}x, memory {mr:.2f}x", "", "", "", "", "", "linear (≤ 1.5x)",
                  tr <= 1.5 and mr <= 1.5)

    section("import")
    if want("import"):
        runs = 3 if q else 5
        med, cold, imp = import_workload(runs, with_torch=not q)
        table.add("import autograd_lab", f"fresh process, median of {runs}", fmt_time(med["autograd_lab"]),
                  fmt_time(med["torch"]) if "torch" in med else "–", fmt_time(med["numpy"]) + " (numpy alone)",
                  "–", ratio(med["autograd_lab"], med["torch"]) if "torch" in med else "–",
                  ratio(med["autograd_lab"], med["numpy"]), "≤ 150 ms", med["autograd_lab"] <= 0.150)
        table.add("", "without any cached bytecode", fmt_time(cold), "", "")
        ms = lambda us: f"{us / 1000:.1f} ms"  # noqa: E731
        table.notes.append(
            f"-X importtime (median of 3 runs; it slows imports down): import autograd_lab {ms(imp['total'])}, "
            f"of which numpy {ms(imp['numpy'])} and "
            f"autograd_lab's own modules {ms(imp['own'])} (self time; largest: "
            + ", ".join(f"{m} {ms(s_)}" for s_, c, m, _ in imp["top_own"]) + f"); other modules that autograd_lab "
            f"(not numpy) imports: {ms(imp['pulled'])} ("
            + ", ".join(f"{m} {ms(s_)}" for s_, c, m, _ in imp["top_pulled"]) + ")")

    section("memory")
    if want("memory"):
        steps = 1000 if q else 10_000
        res = memory_workload(steps)
        (op, osl, og, ogc), (nps, nsl, ng, ngc) = res["ours"], res["numpy"]
        table.add("training memory, small MLP", f"peak over {steps:,} steps (tracemalloc)",
                  fmt_bytes(op), "n/a", fmt_bytes(nps), "–", "–", ratio(op, nps))
        flat = abs(osl) * steps < 16 << 10  # under 16 KiB over the whole run
        table.add("", f"live memory slope over {steps:,} steps", f"{osl:+.3f} B/step ({fmt_bytes(og)})",
                  "n/a", f"{nsl:+.3f} B/step ({fmt_bytes(ng)})", "–", "–", "–",
                  "flat over 10k steps", flat if steps >= 10_000 else None)
        table.add("", "objects left to the cycle collector / step", f"{ogc:.1f}", "n/a", f"{ngc:.1f}")

    section(None)
    table.notes.append("wall time per section: " + ", ".join(f"{k} {v:.0f} s" for k, v in spent.items()))
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    table.notes.append(f"machine: {machine_info()}")
    if max(load_before, load_after) > 0.5:
        table.notes.append(f"1-min load average was {load_before:.2f} at the start and {load_after:.2f} at the "
                           "end on a small machine: figures are noisy.")
    worst = max(CHECKS, key=lambda c: c[2]) if CHECKS else None
    if worst:
        table.notes.append(f"correctness: {len(CHECKS)} comparisons with PyTorch passed (rtol {RTOL:g}); "
                           f"largest relative error {worst[2]:.2g} ({worst[0]}: {worst[1]})")
    elif torch is None:
        table.notes.append("correctness: PyTorch is not installed, nothing was checked")
    mode = "quick" if q else "full"
    wall = time.perf_counter() - t_start
    print(f"autograd_lab benchmarks ({mode} mode, {wall:.0f} s wall, clock: {clock.__name__})\n")
    print(table.render())
    sys.stdout.flush()
    return table


if __name__ == "__main__":
    main()
