#!/usr/bin/env python
"""autograd_lab at two commits, measured side by side: is one slower than the other?

    python benchmarks/compare_commits.py 9d09611 HEAD             # every workload, 8 rounds
    python benchmarks/compare_commits.py 9d09611 . --only small,chain --rounds 12
    python benchmarks/compare_commits.py 9d09611 HEAD --markdown   # the table for benchmarks/README.md
    python benchmarks/compare_commits.py 9d09611 HEAD --only import,memory --rounds 15

Each side is a commit (checked out for the run into a temporary detached worktree) or a directory
holding an autograd_lab tree (``.`` is this working tree, uncommitted edits included). Every
measurement runs in a fresh interpreter whose ``PYTHONPATH`` points at one side, with the workloads
of benchmarks/run.py taken from THIS tree for both (the same code measures both sides). The sides
alternate (A B B A A B ...) round after round, so that load from other jobs on a shared machine hits
both alike; each process reports the median of a few repeats, and the table gives, per figure, the
median over rounds and the spread (lowest-highest) of the rounds' B/A ratios. The clock is CPU time
(``time.process_time``), BLAS on one thread, PyTorch not imported (run.py's PyTorch column is not
needed here, and its import would cost every process a second).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# workload: the figures its worker reports, in order (seconds, or bytes for memory)
WORKLOADS = {
    "small": ["small MLP 2-16-16-1: SGD step"],
    "wide": ["wide MLP 2-256-256-1: SGD step"],
    "big": ["big MLP 64-1024-1024-10: SGD step"],
    "chain": ["chain 200: forward / op", "chain 200: backward / op", "chain 200: fwd+bwd / op"],
    "deep10k": ["deep 10k: forward / node", "deep 10k: backward / node", "deep 10k: graph memory / node",
                "deep 10k: peak memory / node"],
    "deep50k": ["deep 50k: forward / node", "deep 50k: backward / node"],
    "deep100k": ["deep 100k: forward / node", "deep 100k: backward / node", "deep 100k: graph memory / node",
                 "deep 100k: peak memory / node"],
    "import": ["import autograd_lab (wall time, warm bytecode cache)"],
    "memory": ["training memory, small MLP: peak over 10,000 steps", "training memory: live memory slope / step"],
}
GROUPS = {"mlp": ["small", "wide", "big"], "chain": ["chain"], "deep": ["deep10k", "deep50k", "deep100k"]}


# ============================================================ worker: one workload, one process
def _worker(name):
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    sys.modules["torch"] = None  # run.py then leaves PyTorch out
    t0 = time.perf_counter()
    import autograd_lab as ag  # from PYTHONPATH: the side being measured, before run.py adds its own tree
    if name == "import":       # this process is fresh: its first import of the package is the figure
        return [time.perf_counter() - t0]
    sys.path.insert(0, HERE)
    import run
    assert run.ag is ag
    clock = time.process_time

    def median_of(fn, reps):
        return [statistics.median(col) for col in zip(*[fn() for _ in range(reps)])]

    if name in ("small", "wide", "big"):
        sizes, rows, inner, reps = {"small": ((2, 16, 16, 1), 100, 40, 7), "wide": ((2, 256, 256, 1), 512, 10, 5),
                                    "big": ((64, 1024, 1024, 10), 256, 2, 3)}[name]
        model = run.FrameworkMLP(ag, run.init_weights(sizes, 0), *run.make_data(sizes, rows, 0))
        model.step()
        model.step()

        def one():
            t0 = clock()
            for _ in range(inner):
                model.step()
            return ((clock() - t0) / inner,)
        return median_of(one, reps)
    if name == "chain":
        x0, w = run.chain_inputs()
        for _ in range(3):
            run.chain_lib(ag, x0, w, 200)

        def one():
            f = b = 0.0
            for _ in range(10):
                tf, tb, _, _ = run.chain_lib(ag, x0, w, 200)
                f, b = f + tf, b + tb
            return f / 2000, b / 2000, (f + b) / 2000
        return median_of(one, 5)
    if name == "memory":
        peak, slope, _, _ = run.memory_workload(10_000)["ours"]
        return [peak, slope]
    n = int(name[4:-1]) * 1000
    x0 = run.chain_inputs()[0]
    run.deep_chain(ag, x0, n)  # warm-up, as run.py's
    out = [t / n for t in median_of(lambda: run.deep_chain(ag, x0, n)[:2], 3 if n <= 10_000 else 2)]
    if len(WORKLOADS[name]) > 2:
        peak, graph = run.deep_memory(x0, n)
        out += [graph / n, peak / n]
    return out


# ============================================================================ the comparison
def _side(spec, tmp):
    """A directory with an autograd_lab tree for ``spec`` (a directory, or a commit to check out)."""
    if os.path.isdir(os.path.join(spec, "autograd_lab")):
        return os.path.abspath(spec), None
    root = subprocess.run(["git", "-C", HERE, "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                          check=True).stdout.strip()
    path = os.path.join(tmp, spec.replace("/", "_"))
    subprocess.run(["git", "-C", root, "worktree", "add", "--detach", path, spec], check=True, capture_output=True)
    return path, (root, path)


def _measure(tree, name):
    # compiled bytecode is kept (in a cache of its own per tree, not in the tree): the import figure
    # is a warm import, as after `pip install`, whatever PYTHONDONTWRITEBYTECODE says here
    cache = os.path.join(tempfile.gettempdir(), "compare_commits_pycache", tree.strip(os.sep).replace(os.sep, "_"))
    env = dict(os.environ, PYTHONPATH=tree, PYTHONPYCACHEPREFIX=cache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", name], env=env, cwd=tree,
                       capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"worker {name} in {tree} failed:\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _fmt(label, v):
    if "memory" in label:
        return f"{v:.0f} B"
    return f"{v * 1e6:.3g} µs" if v < 1e-3 else f"{v * 1e3:.3g} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a", nargs="?", help="the side to compare against (commit or directory)")
    ap.add_argument("b", nargs="?", help="the side measured (commit or directory, '.' for this tree)")
    ap.add_argument("--only", default="mlp,chain,deep",
                    help="comma-separated groups (mlp, chain, deep; the default) or workloads (" + ", ".join(WORKLOADS) + ")")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker)))
        return
    if not (args.a and args.b):
        ap.error("two sides are needed")
    names = []
    for part in filter(None, args.only.split(",")):
        names += GROUPS.get(part, [part])
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s) {', '.join(unknown)}")
    tmp = tempfile.mkdtemp(prefix="compare_commits_")
    cleanup = []
    try:
        trees = []
        for spec in (args.a, args.b):
            tree, wt = _side(spec, tmp)
            trees.append(tree)
            if wt:
                cleanup.append(wt)
        samples = {n: ([], []) for n in names}  # per workload: rounds of A, rounds of B
        if "import" in names:   # the figure is a warm import: fill both trees' bytecode caches first
            for tree in trees:
                _measure(tree, "import")
        t0 = time.perf_counter()
        load0 = os.getloadavg()[0]
        for r in range(args.rounds):
            order = (0, 1) if r % 2 == 0 else (1, 0)
            for n in names:
                for side in order:
                    samples[n][side].append(_measure(trees[side], n))
            print(f"round {r + 1}/{args.rounds} done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
        load1 = os.getloadavg()[0]
    finally:
        for root, path in cleanup:
            subprocess.run(["git", "-C", root, "worktree", "remove", "--force", path], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    rows = []
    for n in names:
        a_runs, b_runs = samples[n]
        for i, label in enumerate(WORKLOADS[n]):
            a = statistics.median(x[i] for x in a_runs)
            b = statistics.median(x[i] for x in b_runs)
            ratios = sorted(y[i] / x[i] for x, y in zip(a_runs, b_runs) if x[i])
            change = f"{(b / a - 1) * 100:+.1f}%" if a else "–"   # (a memory slope can be exactly 0)
            spread = f"{(ratios[0] - 1) * 100:+.0f}% .. {(ratios[-1] - 1) * 100:+.0f}%" if ratios else "–"
            rows.append((label, _fmt(label, a), _fmt(label, b), change, spread))
    head = ("figure", args.a, args.b, "change (medians)", "spread of round ratios")
    print(f"{args.rounds} interleaved rounds, fresh process per measurement, CPU time; "
          f"load average {load0:.2f} -> {load1:.2f}; {time.perf_counter() - t0:.0f} s")
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
        for row in [head] + rows:
            print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))


if __name__ == "__main__":
    main()
