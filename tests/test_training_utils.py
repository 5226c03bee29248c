"""RMSprop, Adagrad and the lr schedulers against PyTorch 2.13: parameters and state after several
steps, reprs, warnings and errors.

The running averages and sums agree bit for bit (PyTorch's fused multiply-adds are reproduced).
Anything that went through a square root agrees to an ulp or two: PyTorch's CPU sqrt (vectorised
MKL/SLEEF code) is not correctly rounded (about 20% of float32 inputs differ from IEEE sqrt by an
ulp), and autograd_lab's, NumPy's, is."""
import warnings

import numpy as np
import pytest
from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS, assert_values, raises_same  # noqa: E402

_rng = np.random.default_rng(15)
W0 = _rng.normal(size=(3, 4))
B0 = _rng.normal(size=(3,))
GRADS = [(_rng.normal(size=(3, 4)), _rng.normal(size=(3,))) for _ in range(6)]


def _train(L, make_opt, dtype, steps=6, schedule=None):
    dt = getattr(L, dtype)
    w = L.tensor(W0, dtype=dt, requires_grad=True)
    b = L.tensor(B0, dtype=dt, requires_grad=True)
    opt = make_opt(L, [w, b])
    sched = schedule(L, opt) if schedule else None
    lrs = []
    for gw, gb in GRADS[:steps]:
        opt.zero_grad()
        # the same gradients in both libraries (a model's would differ in float32 rounding), through backward
        (w * L.tensor(gw, dtype=dt)).sum().backward()
        (b * L.tensor(gb, dtype=dt)).sum().backward()
        opt.step()
        if sched is not None:
            sched.step()
            lrs.append(sched.get_last_lr())
    return w, b, opt, lrs


RMSPROP = [
    {}, {"lr": 0.05}, {"alpha": 0.9}, {"eps": 1e-3}, {"weight_decay": 0.1}, {"momentum": 0.9},
    {"centered": True}, {"centered": True, "momentum": 0.5, "weight_decay": 0.01}, {"maximize": True},
]
ADAGRAD = [
    {}, {"lr": 0.1}, {"lr_decay": 0.05}, {"weight_decay": 0.1}, {"initial_accumulator_value": 0.5},
    {"eps": 1e-3}, {"maximize": True}, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01},
]


CASES = [("RMSprop", kw) for kw in RMSPROP] + [("Adagrad", kw) for kw in ADAGRAD]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{kw}" for n, kw in CASES])
def test_optimizer_matches_torch(name, kwargs, dtype):
    res = {L: _train(L, lambda L, p: getattr(L.optim, name)(p, **kwargs), dtype) for L in LIBS}
    for mine, ref in zip(res[A][:2], res[torch][:2]):
        assert_values(mine, ref, rtol=2e-6, atol=1e-7)
    _same_state(res[A][2], res[torch][2])
    assert repr(res[A][2]) == repr(res[torch][2])


def _same_state(mine, ref):
    sm, sr = mine.state_dict(), ref.state_dict()
    assert sm["param_groups"] == sr["param_groups"]
    assert sm["state"].keys() == sr["state"].keys()
    for k in sr["state"]:
        assert sm["state"][k].keys() == sr["state"][k].keys()
        for name in sr["state"][k]:
            exact = name in ("step", "square_avg", "sum", "grad_avg")  # no square root on their way
            assert_values(sm["state"][k][name], sr["state"][k][name], rtol=0 if exact else 2e-6,
                          atol=0 if exact else 1e-7, what=name)


def test_adagrad_state_exists_before_the_first_step():
    for L in LIBS:
        opt = L.optim.Adagrad([L.ones(2, requires_grad=True)], initial_accumulator_value=0.25)
        st = opt.state_dict()["state"]
        assert list(st) == [0] and st[0]["sum"].tolist() == [0.25, 0.25] and float(st[0]["step"]) == 0.0


@pytest.mark.parametrize("call", [
    lambda L, p: L.optim.RMSprop(p, lr=-1), lambda L, p: L.optim.RMSprop(p, eps=-1),
    lambda L, p: L.optim.RMSprop(p, momentum=-1), lambda L, p: L.optim.RMSprop(p, weight_decay=-1),
    lambda L, p: L.optim.RMSprop(p, alpha=-1), lambda L, p: L.optim.RMSprop(p, lr=L.ones(2)),
    lambda L, p: L.optim.Adagrad(p, lr=-1), lambda L, p: L.optim.Adagrad(p, lr_decay=-1),
    lambda L, p: L.optim.Adagrad(p, weight_decay=-1), lambda L, p: L.optim.Adagrad(p, initial_accumulator_value=-1),
    lambda L, p: L.optim.Adagrad(p, eps=-1), lambda L, p: L.optim.RMSprop([]),
])
def test_optimizer_argument_errors(call):
    raises_same(lambda L: call(L, [L.ones(2, requires_grad=True)]))


# ---- lr_scheduler ----
SCHEDULES = {
    "StepLR": lambda L, o: L.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    "StepLR_default": lambda L, o: L.optim.lr_scheduler.StepLR(o, 3),
    "MultiStepLR": lambda L, o: L.optim.lr_scheduler.MultiStepLR(o, milestones=[1, 3, 3], gamma=0.3),
    "ExponentialLR": lambda L, o: L.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda L, o: L.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4),
    "CosineAnnealingLR_eta": lambda L, o: L.optim.lr_scheduler.CosineAnnealingLR(o, T_max=2, eta_min=0.01),
    "LambdaLR": lambda L, o: L.optim.lr_scheduler.LambdaLR(o, lr_lambda=lambda epoch: 0.95 ** epoch),
}
OPTIMIZERS = {
    "SGD": lambda L, p: L.optim.SGD(p, lr=0.1, momentum=0.9),
    "Adam": lambda L, p: L.optim.Adam(p, lr=0.05),
    "RMSprop": lambda L, p: L.optim.RMSprop(p, lr=0.01),
    "Adagrad": lambda L, p: L.optim.Adagrad(p, lr=0.1),
}


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_scheduler_rates_and_training_match_torch(name, opt):
    res = {}
    for L in LIBS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the right order warns about nothing
            res[L] = _train(L, OPTIMIZERS[opt], "float32", schedule=SCHEDULES[name])
    assert res[A][3] == res[torch][3]
    for mine, ref in zip(res[A][:2], res[torch][:2]):
        assert_values(mine, ref, rtol=2e-6, atol=1e-7)
    assert [g["lr"] for g in res[A][2].param_groups] == [g["lr"] for g in res[torch][2].param_groups]
    assert [g["initial_lr"] for g in res[A][2].param_groups] == [g["initial_lr"] for g in res[torch][2].param_groups]


def _long_run(L, make, steps=25, groups=2, epoch_arg=False):
    params = [{"params": [L.ones(1, requires_grad=True)], "lr": 0.1 * (i + 1)} for i in range(groups)]
    opt = L.optim.SGD(params, lr=0.1)
    sched = make(L, opt)
    out = [sched.get_last_lr()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(steps):
            opt.step()
            sched.step(i + 1) if epoch_arg else sched.step()
            out.append(sched.get_last_lr())
    return out, sched.last_epoch, sched.base_lrs


@pytest.mark.parametrize("name", sorted(SCHEDULES))
@pytest.mark.parametrize("epoch_arg", [False, True])
def test_scheduler_long_runs(name, epoch_arg):
    assert _long_run(A, SCHEDULES[name], epoch_arg=epoch_arg) == _long_run(torch, SCHEDULES[name], epoch_arg=epoch_arg)


def _warnings_of(fn):
    out = {}
    for L in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            fn(L)
        out[L] = [(x.category.__name__, str(x.message)) for x in w]
    assert out[A] == out[torch]
    return out[A]


def test_scheduler_before_optimizer_warns():
    def run(L):
        opt = L.optim.SGD([L.ones(1, requires_grad=True)], lr=0.1)
        sched = L.optim.lr_scheduler.StepLR(opt, 1)
        sched.step()
        opt.step()
        sched.step()
    assert len(_warnings_of(run)) == 1


def test_scheduler_warnings():
    def epoch(L):
        opt = L.optim.SGD([L.ones(1, requires_grad=True)], lr=0.1)
        sched = L.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        opt.step()
        sched.step(3)
        sched.get_lr()  # outside step: use get_last_lr
    assert len(_warnings_of(epoch)) == 2

    def overridden(L):
        opt = L.optim.SGD([L.ones(1, requires_grad=True)], lr=0.1)
        sched = L.optim.lr_scheduler.StepLR(opt, 1)
        opt.step = lambda: None
        opt.step()
        sched.step()
    assert len(_warnings_of(overridden)) == 1


@pytest.mark.parametrize("call", [
    lambda L, o: L.optim.lr_scheduler.StepLR("not an optimizer", 1),
    lambda L, o: L.optim.lr_scheduler.StepLR(o, 1, last_epoch=3),
    lambda L, o: L.optim.lr_scheduler.LambdaLR(o, [lambda e: 1.0, lambda e: 2.0]),
])
def test_scheduler_errors(call):
    raises_same(lambda L: call(L, L.optim.SGD([L.ones(1, requires_grad=True)], lr=0.1)))


def test_scheduler_state_dict_round_trip():
    out = {}
    for L in LIBS:
        opt = L.optim.SGD([L.ones(1, requires_grad=True)], lr=0.1)
        sched = L.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5)
        for _ in range(3):
            opt.step()
            sched.step()
        sd = sched.state_dict()
        opt2 = L.optim.SGD([L.ones(1, requires_grad=True)], lr=0.1)
        s2 = L.optim.lr_scheduler.CosineAnnealingLR(opt2, T_max=5)
        s2.load_state_dict(sd)
        opt2.step()
        s2.step()
        out[L] = (sorted(sd), s2.get_last_lr(), s2.last_epoch)
    assert out[A] == out[torch]
