"""``benchmarks/run.py --quick`` runs to the end with every correctness check against PyTorch passing.

The table it prints is repeated in this test's captured output (shown by ``pytest -rA``, or on
failure) and written to ``benchmarks/last_quick.txt``, so it is there to read without ``-s``.
No timing is asserted here: the targets of issue #9 are judged in benchmarks/README.md.
"""
import os
import subprocess
import sys

from oracle import import_torch

import_torch()  # skips without PyTorch on a user's machine; never under CI=true

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "benchmarks", "run.py")
REPORT = os.path.join(ROOT, "benchmarks", "last_quick.txt")


def test_quick_benchmarks_run_and_agree_with_torch():
    # a fresh interpreter: run.py sets the BLAS thread count before NumPy loads, and measures imports
    proc = subprocess.run([sys.executable, RUN, "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    report = proc.stdout + (f"\n--- stderr ---\n{proc.stderr}" if proc.stderr.strip() else "")
    with open(REPORT, "w") as f:
        f.write(report)
    print(report)
    assert proc.returncode == 0, f"benchmarks/run.py --quick failed (exit {proc.returncode}):\n{report}"
    assert "correctness:" in proc.stdout and "comparisons with PyTorch passed" in proc.stdout, report
    for workload in ("small MLP", "wide MLP", "big MLP", "chain of 200 ops", "deep chain", "import autograd_lab",
                     "training memory"):
        assert workload in proc.stdout, f"{workload!r} missing from the table:\n{report}"
