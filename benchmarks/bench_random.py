#!/usr/bin/env python
"""Time autograd_lab.random's float32 normals against NumPy's own sampler.

    python benchmarks/bench_random.py            # 1M float32 normals, plus a few other samplers
    python benchmarks/bench_random.py --n 250000 --repeat 15

Prints the median and best time of ``normal(n)`` (PyTorch's exact stream: Mersenne Twister,
AVX2 Box-Muller replayed in NumPy) and of ``np.random.default_rng().standard_normal(n,
dtype=np.float32)`` (a different algorithm, the ziggurat), and the ratio of the medians.
The two are timed in interleaved rounds so that load elsewhere on the machine hits both.
If torch is importable, it also checks that the numbers are torch's and prints torch's time.
A plain script, not a test: nothing is asserted about speed.
"""
import argparse
import importlib.util
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_random():
    sys.path.insert(0, ROOT)
    try:
        from autograd_lab import random as agr
        return agr
    except Exception:  # the package may be half-built: the module stands alone
        spec = importlib.util.spec_from_file_location("agr_random", os.path.join(ROOT, "autograd_lab", "random.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=11)
    args = ap.parse_args()
    n = args.n
    agr = load_random()
    rng = np.random.default_rng(0)
    ours, theirs = [], []
    agr.normal(n)  # warm up (allocations, first-call probes)
    rng.standard_normal(n, dtype=np.float32)
    for _ in range(args.repeat):
        ours.append(timed(lambda: agr.normal(n)))
        theirs.append(timed(lambda: rng.standard_normal(n, dtype=np.float32)))
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print(f"{n:,} float32 normals (median of {args.repeat}, best in brackets)")
    print(f"  autograd_lab.random.normal          {mo * 1e3:8.1f} ms  ({min(ours) * 1e3:.1f})")
    print(f"  numpy standard_normal(float32)      {mt * 1e3:8.1f} ms  ({min(theirs) * 1e3:.1f})")
    print(f"  ratio ours / numpy                  {mo / mt:8.2f} x   (goal: <= 3)")

    others = [
        ("uniform float32", lambda: agr.uniform(n)),
        ("uniform_(-b, b) float32", lambda: agr.uniform(n, np.float32, -0.1, 0.1)),
        ("normal float64", lambda: agr.normal(n, np.float64)),
        ("randint(0, 10)", lambda: agr.randint(0, 10, n)),
        ("bernoulli(0.5)", lambda: agr.bernoulli(0.5, n)),
        ("randperm", lambda: agr.randperm(n)),
    ]
    print("other samplers, same n (median of 3):")
    for name, fn in others:
        print(f"  {name:34s}  {statistics.median(timed(fn) for _ in range(3)) * 1e3:8.1f} ms")

    try:
        import torch
    except ImportError:
        print("torch not importable: bit-for-bit check skipped")
        return
    torch.manual_seed(1234)
    agr.manual_seed(1234)
    same = np.array_equal(torch.randn(n).numpy(), agr.normal(n))
    tt = statistics.median(timed(lambda: torch.randn(n)) for _ in range(5))
    print(f"torch.randn({n:,}) for reference     {tt * 1e3:8.1f} ms;  identical to torch: {same}")


if __name__ == "__main__":
    main()
