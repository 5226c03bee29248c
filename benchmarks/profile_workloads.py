#!/usr/bin/env python
"""Profile autograd_lab on the workloads of run.py: where does the time go?

    python benchmarks/profile_workloads.py                  # cProfile, every workload, top 25 by own time
    python benchmarks/profile_workloads.py chain deep       # some of them
    python benchmarks/profile_workloads.py --pyinstrument   # a call tree instead (pip install pyinstrument)

Workloads: small, wide, big (one SGD step of each MLP), chain (200 small ops + backward),
deep (a 20,000-node chain + backward). cProfile inflates the cost of each Python call, so read the
call counts and the relative order, not the absolute times.
"""
import argparse
import cProfile
import gc
import os
import pstats
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run  # noqa: E402  (benchmarks/run.py)

ag = run.ag


def _mlp(sizes, rows, steps):
    weights = run.init_weights(sizes, 0)
    x, y = run.make_data(sizes, rows, 0)
    model = run.FrameworkMLP(ag, weights, x, y)
    model.step()

    def work():
        for _ in range(steps):
            model.step()
    return work


def _chain(n, reps):
    x0, w = run.chain_inputs()

    def work():
        for _ in range(reps):
            run.chain_lib(ag, x0, w, n)
    return work


def _deep(n):
    x0 = run.chain_inputs()[0]
    return lambda: run.deep_chain(ag, x0, n)


WORKLOADS = {
    "small": lambda: _mlp((2, 16, 16, 1), 100, 300),
    "wide": lambda: _mlp((2, 256, 256, 1), 512, 30),
    "big": lambda: _mlp((64, 1024, 1024, 10), 256, 5),
    "chain": lambda: _chain(200, 50),
    "deep": lambda: _deep(20_000),
}


def split(sizes=(2, 16, 16, 1), rows=100, steps=400):
    """Median CPU time of each phase of one SGD step, autograd_lab against PyTorch."""
    import statistics
    weights = run.init_weights(sizes, 0)
    x, y = run.make_data(sizes, rows, 0)
    libs = [("autograd_lab", ag)] + ([("torch", run.torch)] if run.torch is not None else [])
    clock = time.process_time_ns
    for name, lib in libs:
        m = run.FrameworkMLP(lib, weights, x, y)
        phases = {"forward+loss": [], "backward": [], "opt.step": [], "zero_grad": []}
        for i in range(steps + 20):
            t0 = clock()
            h = m.x
            for lin in m.layers[:-1]:
                h = lib.tanh(lin(h))
            loss = m.F.binary_cross_entropy_with_logits(m.layers[-1](h), m.y)
            t1 = clock()
            loss.backward()
            t2 = clock()
            m.opt.step()
            t3 = clock()
            m.opt.zero_grad()
            t4 = clock()
            if i >= 20:
                for k, a, b in zip(phases, (t0, t1, t2, t3), (t1, t2, t3, t4)):
                    phases[k].append(b - a)
        print(f"{name:13s}" + "  ".join(f"{k} {statistics.median(v) / 1e3:7.1f} µs" for k, v in phases.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workloads", nargs="*", help=f"some of: {', '.join(WORKLOADS)} (default: all)")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--sort", default="tottime", help="pstats key: tottime, cumulative, ncalls")
    ap.add_argument("--pyinstrument", action="store_true")
    ap.add_argument("--no-gc", action="store_true", help="disable the cycle collector (its time is otherwise "
                    "charged to whichever call happened to allocate when a collection started)")
    ap.add_argument("--split", action="store_true", help="time the phases of one small-MLP step, ours and torch")
    args = ap.parse_args()
    if args.split:
        split()
        return
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        ap.error(f"unknown workload(s) {', '.join(sorted(unknown))}; choose from {', '.join(WORKLOADS)}")
    if args.no_gc:
        gc.collect()
        gc.disable()
    for name in args.workloads or WORKLOADS:
        work = WORKLOADS[name]()
        print(f"\n======== {name} ========")
        if args.pyinstrument:
            from pyinstrument import Profiler
            p = Profiler(interval=0.0002, timer_func=time.process_time)
            p.start()
            work()
            p.stop()
            print(p.output_text(unicode=True, color=False, show_all=False))
            continue
        # CPU time, not wall time: the machine is shared, and other jobs' time is not ours
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        work()
        prof.disable()
        stats = pstats.Stats(prof).strip_dirs().sort_stats(args.sort)
        stats.print_stats(args.top)


if __name__ == "__main__":
    main()
