"""The surface tutorials touch around autograd, against PyTorch 2.13 (CPU build): device and CUDA
boilerplate, ``size=`` on the factories, ``out=``, how ``type(t)`` prints, pickling."""
import pickle
import warnings

import numpy as np
import pytest
from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS, assert_values, prints_same, raises_same  # noqa: E402


def same(fn):
    """``fn(lib)`` gives the same repr under both libraries (or the same error)."""
    out = {}
    for lib in LIBS:
        try:
            out[lib] = repr(fn(lib))
        except Exception as e:  # noqa: BLE001 - we compare whatever is raised
            out[lib] = f"{type(e).__name__}: {e}"
    assert out[A] == out[torch]
    return out[torch]


# ---- devices ----
@pytest.mark.parametrize("expr", [
    "L.cuda.is_available()", "L.cuda.device_count()", "L.cuda.is_initialized()", "L.cuda.memory_allocated()",
    "L.cuda.max_memory_allocated()", "L.cuda.memory_reserved()", "L.cuda.manual_seed(0)",
    "L.cuda.manual_seed_all(0)", "L.cuda.empty_cache()", "L.cuda.current_device()", "L.cuda.synchronize()",
    "L.cuda.get_device_name(0)", "L.cuda.get_device_properties(0)", "L.cuda.is_bf16_supported()",
    "L.backends.mps.is_available()", "L.backends.mps.is_built()", "L.backends.cudnn.is_available()",
    "L.backends.cudnn.enabled", "L.backends.cudnn.benchmark", "L.backends.cudnn.deterministic",
    "L.accelerator.is_available()", "L.accelerator.current_accelerator()",
])
def test_cuda_boilerplate_answers_as_cpu_torch(expr):
    same(lambda L: eval(expr))


@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda:0",), ("cuda", 1), ("cpu", 0), ("cpu:0",), ("mps",),
                                  ("meta",), ("foo",), ("cuda:x",), ("cuda:01",), ("cuda", -1), (0,), ("float64",),
                                  ("cuda:1", 2)])
def test_device_objects(args):
    same(lambda L: L.device(*args))
    same(lambda L: str(L.device(*args)))
    same(lambda L: (L.device(*args).type, L.device(*args).index))


def test_device_equality_and_pickle():
    for L in LIBS:
        assert L.device("cpu") == L.device("cpu")
        assert L.device("cpu") != L.device("cuda")
        assert L.device("cpu:0") != L.device("cpu")
        assert (L.device("cpu") == "cpu") is False  # a device equals only a device
        assert L.device(L.device("cuda:1")) == L.device("cuda", 1)
        assert pickle.loads(pickle.dumps(L.device("cuda:1"))) == L.device("cuda:1")
    assert A.ones(1).device == A.device("cpu") and A.ones(1).device.type == "cpu"


def test_tutorial_device_line():
    for L in LIBS:
        device = "cuda" if L.cuda.is_available() else "mps" if L.backends.mps.is_available() else "cpu"
        assert device == "cpu"
        x = L.ones(2, 3, device=device)
        model = L.nn.Linear(3, 1).to(device)
        assert model(x.to(device)).device == L.device("cpu")
        assert x.to(device) is x and x.cpu() is x and x.is_cpu and not x.is_cuda and x.get_device() == -1


@pytest.mark.parametrize("call", [
    lambda L: L.ones(2).cuda(), lambda L: L.ones(2).cuda(0), lambda L: L.ones(2).to("cuda"),
    lambda L: L.ones(2).to("cuda:0"), lambda L: L.ones(2).to(L.device("cuda")), lambda L: L.ones(2).to(0),
    lambda L: L.ones(2).to("mps"), lambda L: L.ones(2).to("xyz"), lambda L: L.ones(2).to(device="cuda"),
    lambda L: L.ones(2).to("cuda", L.float64), lambda L: L.ones(2, device="cuda"),
    lambda L: L.zeros(2, device=L.device("cuda")), lambda L: L.randn(2, device="cuda"),
    lambda L: L.tensor([1.0], device="cuda"), lambda L: L.tensor([1.0], device="mps"),
    lambda L: L.arange(3, device="cuda"), lambda L: L.zeros_like(L.ones(1), device="cuda"),
    lambda L: L.ones(2, device="xyz"), lambda L: L.nn.Linear(2, 2).to("cuda"), lambda L: L.nn.Linear(2, 2).cuda(),
    lambda L: L.nn.Linear(2, 2).to("mps"), lambda L: L.nn.Linear(2, 2, device="cuda"),
    lambda L: L.cuda.get_device_name(),
])
def test_gpu_requests_fail_as_in_cpu_torch(call):
    raises_same(call)


@pytest.mark.parametrize("call", [lambda L: L.ones(2, device="mps"), lambda L: L.randn(2, device="mps"),
                                  lambda L: L.full((2,), 1.0, device="mps")])
def test_mps_factories_give_the_dispatcher_error(call):
    errs = []
    for L in LIBS:
        with pytest.raises(NotImplementedError) as e:
            call(L)
        errs.append(str(e.value))
    # PyTorch goes on to list every backend with its build paths; the first paragraph is ours too
    assert errs[1].startswith(errs[0]) and errs[0].endswith("for possible resolutions.")


def test_cpu_to_keeps_or_casts():
    for L in LIBS:
        x = L.ones(2, requires_grad=True)
        assert x.to("cpu") is x and x.to(L.device("cpu")) is x and x.to(x.device) is x
    same(lambda L: L.ones(2, requires_grad=True).to("cpu", L.float64))
    same(lambda L: L.ones(2, requires_grad=True).to(device="cpu", dtype=L.float64))
    same(lambda L: L.ones(2, requires_grad=True).to("cpu", copy=True))
    for L in LIBS:
        x = L.ones(2)
        assert x.to("cpu", copy=True) is not x and x.to("cpu:0").device == L.device("cpu")


def test_set_default_device():
    try:
        for L in LIBS:
            L.set_default_device("cpu")
            assert L.get_default_device() == L.device("cpu")
            assert L.ones(2).device == L.device("cpu")
            L.set_default_device(None)
            assert repr(L.get_default_device()) == "device(type='cpu')"
        same(lambda L: L.set_default_device("foo"))
        for L in LIBS:
            L.set_default_device("cuda")  # accepted; creating a tensor then fails
        same(lambda L: L.get_default_device())
        same(lambda L: L.ones(2))
        same(lambda L: L.randn(2))
    finally:
        for L in LIBS:
            L.set_default_device(None)


# ---- size= ----
@pytest.mark.parametrize("expr", [
    "L.zeros(size=(2, 3))", "L.zeros(size=[2, 3])", "L.zeros(size=L.Size([2]))", "L.zeros(size=2)",
    "L.zeros(2, size=(3,))", "L.zeros()", "L.zeros(())", "L.ones(size=(2,))", "L.empty(size=(2,)).shape",
    "L.full(size=(2,), fill_value=3.0)", "L.ones(size=(2,), dtype=L.int64)", "L.randn()", "L.rand()",
    "L.rand(2, size=(3,))", "L.randn(2, 3, size=(3,))", "L.randn(size=2)",
])
def test_size_keyword(expr):
    same(lambda L: eval(expr))


@pytest.mark.parametrize("expr", [
    "L.randn(size=(2, 3))", "L.rand(size=(4,))", "L.rand(size=())", "L.randint(0, 5, size=(3,))",
    "L.randint(5, size=(3,))", "L.randint(high=5, size=(3,))", "L.randint(low=1, high=5, size=(3,))",
    "L.randint(5, (3,))", "L.normal(0.0, 1.0, size=(3,))", "L.randperm(n=3)",
    "L.randn(size=(2, 3), generator=L.Generator().manual_seed(1))",
])
def test_size_keyword_random(expr):
    def draw(L):
        L.manual_seed(7)
        return eval(expr), L.rand(2)  # and the stream goes on alike
    same(draw)


# ---- out= ----
def _out_call(L, name, out, args, kwargs=None):
    return getattr(L, name)(*args, out=out, **(kwargs or {}))


@pytest.mark.parametrize("name,args,kwargs,out", [
    ("matmul", ([[1.0, 2.0], [3.0, 4.0]], [[2.0, 0.0], [1.0, 1.0]]), None, (2, 2)),
    ("matmul", ([[1.0, 2.0], [3.0, 4.0]], [[2.0, 0.0], [1.0, 1.0]]), None, (0,)),
    ("mm", ([[1.0, 2.0], [3.0, 4.0]], [[2.0, 0.0], [1.0, 1.0]]), None, (2, 2)),
    ("add", ([1.0, 2.0], [3.0, 4.0]), {"alpha": 2}, (2,)),
    ("sub", ([1.0, 2.0], [3.0, 4.0]), None, (2,)),
    ("mul", ([1.0, 2.0], [3.0, 4.0]), None, (2,)),
    ("div", ([1.0, 2.0], [3.0, 4.0]), None, (2,)),
    ("exp", ([1.0, 2.0],), None, (2,)),
    ("sum", ([[1.0, 2.0], [3.0, 4.0]], 1), None, (2,)),
    ("mean", ([[1.0, 2.0], [3.0, 4.0]], 0), None, (2,)),
    ("pow", ([1.0, 2.0], 2), None, (2,)),
])
def test_out_writes_and_returns_out(name, args, kwargs, out):
    results = {}
    for L in LIBS:
        o = L.zeros(*out)
        targs = [L.tensor(a) if isinstance(a, list) else a for a in args]
        r = _out_call(L, name, o, targs, kwargs)
        assert r is o and o._version == 1
        results[L] = o
    assert_values(results[A], results[torch])


def test_out_resize_warns_unless_empty():
    msgs = {}
    for L in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            o = L.zeros(3)
            L.matmul(L.ones(2, 2), L.ones(2, 2), out=o)
            L.add(L.ones(2), 1, out=L.zeros(0))
        msgs[L] = [(x.category, str(x.message)) for x in w]
        assert o.shape == (2, 2)
    assert msgs[A] == msgs[torch] and len(msgs[A]) == 1


@pytest.mark.parametrize("call", [
    lambda L: L.mul(L.ones(2, requires_grad=True), 2, out=L.zeros(2)),
    lambda L: L.mul(L.ones(2), 2, out=L.zeros(2, requires_grad=True)),
    lambda L: L.matmul(L.ones(2, requires_grad=True), L.ones(2), out=L.zeros(())),
    lambda L: L.cat([L.ones(2, requires_grad=True), L.ones(2)], out=L.zeros(4)),
    lambda L: L.add(L.ones(2), 1, out=L.zeros(2, dtype=L.int64)),
    lambda L: L.div(L.ones(2, dtype=L.int64), 2, out=L.zeros(2, dtype=L.int64)),
])
def test_out_errors(call):
    raises_same(call)


def test_out_allowed_under_no_grad_and_casts_up():
    same(lambda L: (L.add(L.ones(2, dtype=L.int64), 1, out=L.zeros(2)),
                    L.add(L.ones(2), 1, out=L.zeros(2, dtype=L.float64))))
    for L in LIBS:
        x = L.ones(2, requires_grad=True)
        o = L.zeros(2, requires_grad=True)
        with L.no_grad():
            r = L.mul(x, 2, out=o)
        assert r is o and o.requires_grad and o.grad_fn is None and o.tolist() == [2.0, 2.0]


def test_factory_out():
    same(lambda L: (L.zeros(2, out=L.ones(3)), L.zeros(2, out=L.ones(2, dtype=L.int64))))

    def draw(L):
        L.manual_seed(3)
        o = L.ones(2, dtype=L.float64)
        return L.randn(2, out=o), o, L.rand(3, out=L.empty(0)), L.randint(9, (2,), out=L.empty(0, dtype=L.int64))
    same(draw)


# ---- type() printing and pickling ----
def test_type_prints_as_torch():
    same(lambda L: type(L.ones(2)))
    same(lambda L: type(L.ones(2, requires_grad=True) * 2))
    same(lambda L: type(L.nn.Parameter(L.ones(2))))
    same(lambda L: type(L.nn.Linear(2, 1).weight))
    same(lambda L: [str(type(p)) for p in L.nn.Linear(2, 1).parameters()])


def test_pickle_round_trips_tensors_parameters_modules():
    for obj in (A.ones(2, requires_grad=True), A.nn.Parameter(A.tensor([1.0, 2.0])), A.arange(3)):
        back = pickle.loads(pickle.dumps(obj))
        assert type(back) is type(obj) and repr(back) == repr(obj)
    m = A.nn.Linear(2, 1)
    back = pickle.loads(pickle.dumps(m))
    assert type(back.weight) is A.nn.Parameter and back.weight.tolist() == m.weight.tolist()
    assert repr(back) == repr(m)


@pytest.mark.parametrize("name", ["multiply", "divide", "true_divide", "subtract", "negative", "exp", "clip",
                                  "concat", "where", "sqrt", "abs"])
def test_out_error_names_the_op_not_the_alias(name):
    def call(L):
        x = L.ones(2, requires_grad=True)
        f = getattr(L, name)
        if name == "where":
            return f(x > 0, x, x, out=L.zeros(2))
        if name == "concat":
            return f([x], out=L.zeros(2))
        if name in ("negative", "exp", "sqrt", "abs"):
            return f(x, out=L.zeros(2))
        if name == "clip":
            return f(x, min=0, out=L.zeros(2))
        return f(x, 2, out=L.zeros(2))
    raises_same(call)


# ---- generator= and torch.Generator ----
GENERATOR_PROGRAM = '''
torch.manual_seed(11)
g = torch.Generator()
print(g.manual_seed(42) is g, g.initial_seed(), g.device, repr(g)[:24])
s = g.get_state()
print(s.dtype, s.shape, s[:10])
print(torch.rand(3, generator=g), torch.randn(2, generator=g), torch.randint(0, 10, (4,), generator=g),
      torch.randperm(5, generator=g))
g.set_state(s)
print(torch.rand(3, generator=g))
print(torch.normal(0., 1., (2,), generator=g), torch.normal(torch.zeros(2), torch.ones(2), generator=g))
print(torch.bernoulli(torch.full((4,), 0.5), generator=g),
      torch.multinomial(torch.tensor([0.2, 0.8]), 3, replacement=True, generator=g))
for dtype in (torch.float32, torch.float64):
    t = torch.empty(3, dtype=dtype)
    print(t.uniform_(-2, 3, generator=g), t.normal_(1, 2, generator=g), t.random_(0, 5, generator=g),
          t.random_(7, generator=g), t.exponential_(2.0, generator=g), t.bernoulli_(0.3, generator=g),
          t.bernoulli_(torch.full((3,), 0.7, dtype=dtype), generator=g), t.random_(generator=g))
for dtype in (torch.int64, torch.int32, torch.uint8, torch.int16, torch.bool):
    print(torch.empty(4, dtype=dtype).random_(generator=g))
print(torch.empty((), dtype=torch.int64).random_(generator=g))
print(torch.randn(3, 20, generator=g)[0, :4], torch.rand(20, generator=g, dtype=torch.float64)[:3])
w = torch.empty(2, 3)
torch.nn.init.uniform_(w, generator=g); print(w)
torch.nn.init.normal_(w, generator=g); print(w)
torch.nn.init.kaiming_uniform_(w, generator=g); print(w)
torch.nn.init.xavier_normal_(w, generator=g); print(w)
print(torch.rand(2), torch.Generator().manual_seed(7).initial_seed())
g2 = torch.Generator(device="cpu")
g2.set_state(torch.manual_seed(3).get_state())
print(torch.rand(2, generator=g2), torch.rand(2), torch.randint(5, (3,), generator=g2))
print(torch.empty(3).uniform_(), torch.empty(3).normal_(), torch.empty(3).random_(), torch.rand(1))
'''


def test_generators_draw_as_torch():
    prints_same(GENERATOR_PROGRAM)


def test_random_fill_refuses_a_leaf_that_requires_grad():
    raises_same(lambda L: L.ones(2, requires_grad=True).uniform_())
    raises_same(lambda L: L.ones(2, requires_grad=True).normal_())
    for L in LIBS:
        w = L.ones(2, requires_grad=True)
        with L.no_grad():
            w.uniform_()
        assert w._version == 1 and w.requires_grad


@pytest.mark.parametrize("call", [lambda L: L.ones(2).to(requires_grad=True), lambda L: L.ones(2).to("cpu", foo=1),
                                  lambda L: L.ones(2).to(L.float64, foo=1)])
def test_to_with_unknown_keywords(call):  # (with several, PyTorch's order of them is its hash table's)
    raises_same(call)
