"""What recording creation sites costs per op: trace() off (the default), trace() on, anomaly mode.

    python benchmarks/bench_trace.py

With recording off, Node.apply pays one falsy check (``anomaly.state.recording``); this prints the
per-op time of a small elementwise chain in each mode, median of repeated runs in one process.
"""
import os
import statistics
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout
import autograd_lab as torch  # noqa: E402


def per_op(n_ops=2000, repeats=15):
    x = torch.tensor(np.linspace(-1, 1, 10, dtype=np.float32), requires_grad=True)
    times = []
    for _ in range(repeats):
        y = x
        t0 = time.perf_counter()
        for i in range(n_ops):
            y = y * 1.0001 if i % 2 else y + 0.5
        times.append((time.perf_counter() - t0) / n_ops * 1e6)
    return statistics.median(times)


def main():
    off = per_op()
    with torch.trace():
        on = per_op()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly():
            anomaly = per_op()
    off_again = per_op()
    print("| mode | µs per op | vs off |")
    print("|---|---|---|")
    base = min(off, off_again)
    for name, v in (("recording off (default)", base), ("trace() on", on), ("detect_anomaly()", anomaly)):
        print(f"| {name} | {v:.2f} | {v / base:.2f}x |")


if __name__ == "__main__":
    main()
