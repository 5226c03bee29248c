"""Differential tests: autograd_lab.optim (SGD, Adam, AdamW) against PyTorch 2.13."""
import copy
import os
import warnings

import numpy as np
import pytest

if os.environ.get("CI") == "true":
    import torch  # in CI a missing torch is a failure, never a skip
else:
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for these tests (pip install torch==2.13.0)")
torch.set_num_threads(1)  # tiny tensors: extra threads only contend (and slow PyTorch down 50x under load)

import autograd_lab as al  # noqa: E402
from autograd_lab import engine  # noqa: E402

RNG = np.random.default_rng(99)

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "maximize": True, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True}),
]


def np_of(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.detach()._data)


def _params(lib, arrays):
    return [lib.nn.Parameter(lib.tensor(a.copy())) for a in arrays]


def _init_arrays():
    return [RNG.standard_normal((5, 3)).astype(np.float32), RNG.standard_normal(5).astype(np.float32)]


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{k}" for n, k in CONFIGS])
def test_20_steps_with_identical_gradients(name, kwargs):
    """Feed both optimizers the same gradients: this isolates the update arithmetic."""
    arrays = _init_arrays()
    grads = [[RNG.standard_normal(a.shape).astype(np.float32) for a in arrays] for _ in range(20)]
    pa, pt = _params(al, arrays), _params(torch, arrays)
    oa, ot = getattr(al.optim, name)(pa, **kwargs), getattr(torch.optim, name)(pt, **kwargs)
    for step in range(20):
        for p, g in zip(pa, grads[step]):
            p.grad = al.tensor(g)
        for p, g in zip(pt, grads[step]):
            p.grad = torch.tensor(g)
        oa.step()
        ot.step()
        for a, t in zip(pa, pt):
            np.testing.assert_allclose(np_of(a), np_of(t), rtol=1e-6, atol=1e-7, err_msg=f"step {step}")


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{k}" for n, k in CONFIGS])
def test_20_steps_on_a_model(name, kwargs):
    """The whole loop (forward, backward, step) from the same initial weights."""
    arrays = _init_arrays()
    x = RNG.standard_normal((8, 3)).astype(np.float32)
    y = RNG.standard_normal((8, 5)).astype(np.float32)
    results = []
    for lib in (al, torch):
        w, b = _params(lib, arrays)
        opt = getattr(lib.optim, name)([w, b], **kwargs)
        X, Y = lib.tensor(x), lib.tensor(y)
        for _ in range(20):
            opt.zero_grad()
            loss = ((X.mm(w.t()) + b).tanh() - Y).pow(2).mean()
            loss.backward()
            opt.step()
        results.append((np_of(w), np_of(b)))
    for a, t in zip(*results):
        np.testing.assert_allclose(a, t, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name,kwargs", CONFIGS[:2] + CONFIGS[6:8] + CONFIGS[-1:])
def test_repr_matches_torch(name, kwargs):
    pa, pt = _params(al, _init_arrays()), _params(torch, _init_arrays())
    assert repr(getattr(al.optim, name)(pa, **kwargs)) == repr(getattr(torch.optim, name)(pt, **kwargs))


def test_repr_with_two_groups():
    def make(lib):
        p = _params(lib, _init_arrays())
        return lib.optim.SGD([{"params": [p[0]]}, {"params": [p[1]], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert repr(make(al)) == repr(make(torch))


def _same_error(fn):
    errs = []
    for lib in (al, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                fn(lib)
        errs.append(info.value)
    assert type(errs[0]).__name__ == type(errs[1]).__name__, errs
    assert str(errs[0]) == str(errs[1])


@pytest.mark.parametrize("case", [
    lambda lib: lib.optim.SGD([], lr=0.1),
    lambda lib: lib.optim.SGD(lib.nn.Parameter(lib.ones(2)), lr=0.1),
    lambda lib: lib.optim.SGD(lib.ones(2, requires_grad=True), lr=0.1),
    lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=-1),
    lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=0.1, momentum=-0.5),
    lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=0.1, weight_decay=-1e-3),
    lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=0.1, nesterov=True),
    lambda lib: lib.optim.SGD([1, 2], lr=0.1),
    lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True) * 2], lr=0.1),
    lambda lib: lib.optim.Adam([lib.ones(2, requires_grad=True)], lr=-0.5),
    lambda lib: lib.optim.Adam([lib.ones(2, requires_grad=True)], eps=-1.0),
    lambda lib: lib.optim.Adam([lib.ones(2, requires_grad=True)], betas=(1.0, 0.9)),
    lambda lib: lib.optim.Adam([lib.ones(2, requires_grad=True)], betas=(0.9, -0.1)),
    lambda lib: lib.optim.Adam([lib.ones(2, requires_grad=True)], betas=(0, 0.9)),
    lambda lib: lib.optim.AdamW([lib.ones(2, requires_grad=True)], weight_decay=-1.0),
], ids=lambda f: "")
def test_constructor_errors_match_torch(case):
    _same_error(case)


def test_param_group_errors_match_torch():
    def duplicate(lib):
        p = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        opt.add_param_group({"params": [p]})
    _same_error(duplicate)

    def as_set(lib):
        opt = lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=0.1)
        opt.add_param_group({"params": {lib.ones(1, requires_grad=True)}})
    _same_error(as_set)

    def not_a_dict(lib):
        lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=0.1).add_param_group([lib.ones(1)])
    _same_error(not_a_dict)


def test_param_groups_use_their_own_options():
    arrays = _init_arrays()
    out = []
    for lib in (al, torch):
        w, b = _params(lib, arrays)
        opt = lib.optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
        assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
        for _ in range(3):
            opt.zero_grad()
            (w.sum() * 2 + (b * b).sum()).backward()
            opt.step()
        out.append((np_of(w), np_of(b)))
    for a, t in zip(*out):
        np.testing.assert_allclose(a, t, rtol=1e-6)


def test_parameters_without_grad_are_skipped():
    p, q = al.nn.Parameter(al.ones(2)), al.nn.Parameter(al.ones(2))
    opt = al.optim.Adam([p, q], lr=0.1)
    p.grad = al.ones(2)
    opt.step()
    assert q.tolist() == [1.0, 1.0] and q not in opt.state.keys() or len(opt.state[q]) == 0
    assert p.tolist() != [1.0, 1.0]


def test_step_bumps_version_like_an_inplace_update():
    p = al.nn.Parameter(al.ones(2))
    y = (p * p).sum()
    opt = al.optim.SGD([p], lr=0.1)
    p.grad = al.ones(2)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_zero_grad():
    p = al.nn.Parameter(al.ones(3))
    opt = al.optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and p.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_closure_is_called_with_grad_enabled_and_its_loss_returned():
    p = al.nn.Parameter(al.tensor([1.0, -2.0]))
    opt = al.optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with al.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.tolist(), [0.8, -1.6], rtol=1e-6)


@pytest.mark.parametrize("name,kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}),
                                         ("Adam", {"lr": 0.01, "amsgrad": True})])
def test_state_dict_matches_torch_and_round_trips(name, kwargs):
    arrays = _init_arrays()
    grads = [[RNG.standard_normal(a.shape).astype(np.float32) for a in arrays] for _ in range(6)]
    pa, pt = _params(al, arrays), _params(torch, arrays)
    oa, ot = getattr(al.optim, name)(pa, **kwargs), getattr(torch.optim, name)(pt, **kwargs)

    def feed(params, lib, step):
        for p, g in zip(params, grads[step]):
            p.grad = lib.tensor(g)

    for step in range(3):
        feed(pa, al, step)
        feed(pt, torch, step)
        oa.step()
        ot.step()
    sa, st = oa.state_dict(), ot.state_dict()
    assert sa["param_groups"] == st["param_groups"]
    assert sa["state"].keys() == st["state"].keys()
    for k in st["state"]:
        assert list(sa["state"][k]) == list(st["state"][k])
        for key, v in st["state"][k].items():
            assert repr(sa["state"][k][key].dtype) == repr(v.dtype)
            np.testing.assert_allclose(np_of(sa["state"][k][key]), np_of(v), rtol=1e-6, atol=1e-8)
    # a fresh optimizer loaded from the state continues exactly like the original
    pb = _params(al, [np_of(p) for p in pa])
    ob = getattr(al.optim, name)(pb, lr=123.0)
    ob.load_state_dict(copy.deepcopy(sa))  # as if saved to disk: loading shares tensors, as in torch
    assert ob.param_groups[0]["lr"] == kwargs["lr"] and ob.param_groups[0]["params"][0] is pb[0]
    for step in range(3, 6):
        feed(pa, al, step)
        feed(pb, al, step)
        oa.step()
        ob.step()
    for a, b in zip(pa, pb):
        np.testing.assert_array_equal(np_of(a), np_of(b))


def test_load_state_dict_errors_match_torch():
    def wrong_groups(lib):
        p = lib.ones(2, requires_grad=True)
        src = lib.optim.SGD([{"params": [p]}, {"params": [lib.ones(1, requires_grad=True)]}], lr=0.1)
        lib.optim.SGD([p], lr=0.1).load_state_dict(src.state_dict())
    _same_error(wrong_groups)

    def wrong_sizes(lib):
        src = lib.optim.SGD([lib.ones(2, requires_grad=True), lib.ones(1, requires_grad=True)], lr=0.1)
        lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=0.1).load_state_dict(src.state_dict())
    _same_error(wrong_sizes)


def test_listeners_hear_zero_grad_and_step():
    events = []
    remove = engine.add_listener(lambda event, payload: events.append((event, payload)))
    try:
        p = al.nn.Parameter(al.ones(2))
        opt = al.optim.Adam([p])
        opt.zero_grad()
        (p * 3).sum().backward()
        opt.step()
    finally:
        remove()
    opt_events = [(e, pl) for e, pl in events if e in ("zero_grad", "optimizer_step")]
    assert [e for e, _ in opt_events] == ["zero_grad", "optimizer_step"]
    assert all(pl[0] is p and len(pl) == 1 for _, pl in opt_events)


def test_custom_optimizer_subclass_emits_too():
    class Halve(al.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {})

        def step(self, closure=None):
            for g in self.param_groups:
                for p in g["params"]:
                    p._data *= 0.5

    events = []
    remove = engine.add_listener(lambda event, payload: events.append(event))
    try:
        p = al.nn.Parameter(al.ones(2))
        Halve([p]).step()
    finally:
        remove()
    assert "optimizer_step" in events and p.tolist() == [0.5, 0.5]


def test_named_parameters_are_accepted():
    def make(lib):
        m = lib.nn.Linear(2, 1)
        return lib.optim.SGD(m.named_parameters(), lr=0.1)
    a, t = make(al), make(torch)
    assert a.param_groups[0]["param_names"] == t.param_groups[0]["param_names"] == ["weight", "bias"]
    assert a.state_dict()["param_groups"] == t.state_dict()["param_groups"]
