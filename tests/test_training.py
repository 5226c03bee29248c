"""End to end: a 2-16-16-1 tanh MLP on two moons, trained 500 steps with the same initial weights in
autograd_lab and in PyTorch, gives the same loss curve (to 1e-5, relative)."""
import os

import numpy as np
import pytest

if os.environ.get("CI") == "true":
    import torch  # in CI a missing torch is a failure, never a skip
else:
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for these tests (pip install torch==2.13.0)")
torch.set_num_threads(1)  # tiny tensors: extra threads only contend (and slow PyTorch down 50x under load)

import autograd_lab as al  # noqa: E402

STEPS = 500


def two_moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles, labels 0 and 1, with Gaussian noise (float32)."""
    rng = np.random.default_rng(seed)
    half = n // 2
    t_top = np.linspace(0, np.pi, half)
    t_bottom = np.linspace(0, np.pi, n - half)
    top = np.stack([np.cos(t_top), np.sin(t_top)], 1)
    bottom = np.stack([1 - np.cos(t_bottom), 0.5 - np.sin(t_bottom)], 1)
    X = np.concatenate([top, bottom]) + rng.normal(scale=noise, size=(n, 2))
    y = np.concatenate([np.zeros(half), np.ones(n - half)])[:, None]
    return X.astype(np.float32), y.astype(np.float32)


def initial_weights(seed=1):
    rng = np.random.default_rng(seed)
    shapes = [(16, 2), (16,), (16, 16), (16,), (1, 16), (1,)]
    return [rng.uniform(-0.5, 0.5, s).astype(np.float32) for s in shapes]


def train(lib, make_optimizer, steps=STEPS):
    X, y = two_moons()
    nn = lib.nn
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
    names = [n for n, _ in model.named_parameters()]
    model.load_state_dict(dict(zip(names, (lib.tensor(w) for w in initial_weights()))))
    opt = make_optimizer(lib, model.parameters())
    loss_fn = nn.BCEWithLogitsLoss()
    Xt, yt = lib.tensor(X), lib.tensor(y)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(Xt), yt)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with lib.no_grad():
        accuracy = float(((model(Xt) > 0).float() == yt).float().mean().item())
    return np.array(losses), accuracy


OPTIMIZERS = {
    "sgd_momentum": lambda lib, params: lib.optim.SGD(params, lr=0.1, momentum=0.9),
    "adam": lambda lib, params: lib.optim.Adam(params, lr=0.01),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_two_moons_loss_curve_matches_torch(name):
    mine, acc_mine = train(al, OPTIMIZERS[name])
    ref, acc_ref = train(torch, OPTIMIZERS[name])
    assert mine.shape == ref.shape == (STEPS,)
    np.testing.assert_allclose(mine, ref, rtol=1e-5, atol=0)
    assert mine[-1] < 0.05 * mine[0]  # it did learn
    assert acc_mine == acc_ref > 0.95


def test_functional_training_loop_with_manual_sgd():
    """The tutorial loop without nn/optim: update leaves under no_grad, zero their grads."""
    X, y = two_moons(n=64)
    results = []
    for lib in (al, torch):
        w1, b1, _, _, w2, b2 = (lib.tensor(a, requires_grad=True) for a in initial_weights())
        Xt, yt = lib.tensor(X), lib.tensor(y)
        losses = []
        for _ in range(50):
            h = (Xt @ w1.t() + b1).tanh()
            loss = lib.nn.functional.binary_cross_entropy_with_logits(h @ w2.t() + b2, yt)
            loss.backward()
            with lib.no_grad():
                for p in (w1, b1, w2, b2):
                    p -= 0.5 * p.grad
                    p.grad.zero_()
            losses.append(loss.item())
        results.append(np.array(losses))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)
