#!/usr/bin/env python
"""Time one training step of the PyTorch CIFAR-10 tutorial's network, autograd_lab against PyTorch.

    python benchmarks/bench_conv.py                 # batch 4 (the tutorial's), 30 rounds
    python benchmarks/bench_conv.py --batch 32 --rounds 10

The network: Conv2d(3, 6, 5) → ReLU → MaxPool2d(2) → Conv2d(6, 16, 5) → ReLU → MaxPool2d(2) →
flatten → Linear(400, 120) → ReLU → Linear(120, 84) → ReLU → Linear(84, 10), cross-entropy, SGD with
momentum. One step is zero_grad, forward, loss, backward, step. Both libraries start from the same
weights (``manual_seed(0)`` draws them bit for bit alike) and data; after the first step the loss and
every updated parameter are checked against PyTorch's (1e-4 relative), so the timing is of the same
computation. The libraries alternate round by round; BLAS and PyTorch run on one thread; the clock
is this process's CPU time. A plain script, not a test: nothing is asserted about speed.
"""
import argparse
import os
import statistics
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy loads its BLAS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

import autograd_lab  # noqa: E402


def build(lib, batch):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = lib.flatten(x, 1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    lib.manual_seed(0)
    net = Net()
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, 3, 32, 32)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))
    opt = lib.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = criterion(net(x), y)
        loss.backward()
        opt.step()
        return loss

    return net, step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    libs = [autograd_lab] + ([torch] if torch is not None else [])
    if torch is not None:
        torch.set_num_threads(1)
    runs = {lib: build(lib, args.batch) for lib in libs}
    first = {lib: runs[lib][1]() for lib in libs}  # one step each, then compare
    if torch is not None:
        def rel(a, b):
            a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
            return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30)
        errors = [rel(first[autograd_lab].item(), first[torch].item())]
        for (_, pa), (_, pt) in zip(runs[autograd_lab][0].named_parameters(), runs[torch][0].named_parameters()):
            errors.append(rel(pa.detach().numpy(), pt.detach().numpy()))
        print(f"check: loss and {len(errors) - 1} parameters after one step, worst relative error {max(errors):.1e}")
        if max(errors) > 1e-4:
            sys.exit("autograd_lab disagrees with PyTorch")
    times = {lib: [] for lib in libs}
    for _ in range(args.rounds):
        for lib in libs:
            t = time.process_time()
            runs[lib][1]()
            times[lib].append(time.process_time() - t)
    med = {lib: statistics.median(ts) * 1000 for lib, ts in times.items()}
    print(f"CIFAR-10 tutorial net, batch {args.batch}, one SGD step (median of {args.rounds}, CPU ms):")
    for lib in libs:
        print(f"  {lib.__name__:13s} {med[lib]:8.2f}")
    if torch is not None:
        print(f"  ours/torch    {med[autograd_lab] / med[torch]:8.1f}x")


if __name__ == "__main__":
    main()
