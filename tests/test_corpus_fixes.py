"""Gaps the tutorial corpus (tests/corpus) found, each checked against PyTorch 2.13: what old and
new tutorials call and autograd_lab lacked or did differently."""
import warnings

import pytest
from oracle import error_of, import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402

LIBS = (A, torch)


# ---- torch.autograd.Variable (the nlp tutorials, the 2017 examples) ----

def _variable_facts(L):
    x = L.tensor([1.0, 2.0])
    v = L.autograd.Variable(x)
    w = L.autograd.Variable(x, requires_grad=True)
    y = L.ones(2, requires_grad=True) * 2
    u = L.autograd.Variable(y)
    w.sum().backward()
    return (v is x, v.requires_grad, v.tolist(), w is x, w.is_leaf, w.requires_grad, x.requires_grad,
            w.grad.tolist(), u.grad_fn is None, u.requires_grad, isinstance(x, L.autograd.Variable),
            isinstance(1.0, L.autograd.Variable), str(L.autograd.Variable(L.tensor([1, 2]))))


def test_variable_wraps_a_detached_tensor():
    assert _variable_facts(A) == _variable_facts(torch)


def test_variable_shares_data():
    for L in LIBS:
        x = L.zeros(2)
        L.autograd.Variable(x).add_(1)
        assert x.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("call", [
    lambda L: L.autograd.Variable([1.0]),
    lambda L: L.autograd.Variable(L.tensor([1, 2]), requires_grad=True),
])
def test_variable_errors(call):
    assert error_of(lambda: call(A)) == error_of(lambda: call(torch))


def test_variable_volatile_warns():
    said = []
    for L in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            L.autograd.Variable(L.ones(1), volatile=True)
        said.append([(x.category, str(x.message)) for x in w])
    assert said[0] == said[1] and said[0]


# ---- the legacy tensor types (torch.LongTensor([...]) in the nlp tutorials) ----

LEGACY = ("FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
          "ByteTensor", "BoolTensor")


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize("args", [([1, 0, 2],), ([[1.5, 2.7]],), ((2, 3),), (2, 3), (), (0,)])
def test_legacy_type_builds_its_dtype(name, args):
    made = [getattr(L, name)(*args) for L in LIBS]
    assert tuple(made[0].shape) == tuple(made[1].shape) and str(made[0].dtype) == str(made[1].dtype)
    if not all(isinstance(a, int) for a in args):  # sizes give uninitialised memory in PyTorch
        assert str(made[0]) == str(made[1])


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_type_is_a_dtype_check(name):
    def facts(L):
        T = getattr(L, name)
        return repr(T), [isinstance(L.zeros(1, dtype=d), T) for d in (L.float32, L.float64, L.int64, L.uint8, L.bool)]
    assert facts(A) == facts(torch)


@pytest.mark.parametrize("call", [
    lambda L: L.LongTensor(L.tensor([1.0, 2.0])),
    lambda L: L.FloatTensor(L.tensor([1])),
    lambda L: L.LongTensor([1], dtype=L.long),
    lambda L: L.LongTensor("a"),
])
def test_legacy_type_errors(call):
    assert error_of(lambda: call(A)) == error_of(lambda: call(torch))


def test_legacy_type_keeps_a_tensor_of_its_dtype():
    for L in LIBS:
        t = L.tensor([1, 2])
        u = L.LongTensor(t)
        u[0] = 5
        assert t.tolist() == [5, 2]


# ---- x.new_ones(...) and friends (the 60-minute blitz's tensor tutorial) ----

@pytest.mark.parametrize("src", [[5.5, 3.0], [1, 2]])
@pytest.mark.parametrize("call", [
    lambda x, L: x.new_ones(5, 3, dtype=L.double),
    lambda x, L: x.new_ones((2,)),
    lambda x, L: x.new_ones(size=(2, 1)),
    lambda x, L: x.new_zeros(2, 1),
    lambda x, L: x.new_full((2,), 7),
    lambda x, L: x.new_full((2,), 1.5),
    lambda x, L: x.new_tensor([1.5, 2]),
    lambda x, L: x.new_tensor([[1, 2]], dtype=L.float64),
    lambda x, L: x.new_empty(0, 3),
])
def test_new_factories_take_the_tensors_dtype(src, call):
    made = [call(L.tensor(src), L) for L in LIBS]
    assert str(made[0]) == str(made[1])
    assert tuple(made[0].shape) == tuple(made[1].shape) and str(made[0].dtype) == str(made[1].dtype)


def test_new_ones_requires_grad():
    made = [L.tensor([1.0]).new_ones(2, requires_grad=True) for L in LIBS]
    assert str(made[0]) == str(made[1]) and made[0].is_leaf


@pytest.mark.parametrize("call", [
    lambda L: L.tensor([1.0]).new_ones(2, 3, size=(1,)),
    lambda L: L.tensor([1.0]).new_ones("a"),
    lambda L: L.tensor([1.0]).new_full(2, 3.0),
    lambda L: L.tensor([1]).new_ones(2, requires_grad=True),
])
def test_new_factories_errors(call):
    assert error_of(lambda: call(A)) == error_of(lambda: call(torch))


def test_new_tensor_from_a_tensor_warns_and_copies():
    said = []
    for L in LIBS:
        x = L.tensor([1.0, 2.0])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            y = x.new_tensor(x)
        y[0] = 9
        said.append(([str(m.message) for m in w], x.tolist()))
    assert said[0] == said[1]


# ---- PyTorch's keyword names (torch.matmul(input=..., other=...) in the polynomial example) ----

def test_matmul_and_mm_keywords():
    for L in LIBS:
        a, b = L.tensor([[1.0, 2.0]]), L.tensor([[3.0], [4.0]])
        assert L.matmul(input=a, other=b).tolist() == [[11.0]]
        assert L.mm(input=a, mat2=b).tolist() == [[11.0]]
        assert a.matmul(other=b).tolist() == [[11.0]]


# ---- Module.register_backward_hook, the deprecated form (the former-Torch-users nn tutorial) ----

def _backward_hook_log(L, make):
    L.manual_seed(0)
    m = make(L)
    log = []

    def hook(module, grad_input, grad_output):
        log.append((type(module).__name__, [None if g is None else g.tolist() for g in grad_input],
                    [g.tolist() for g in grad_output]))
    handle = m.register_backward_hook(hook)
    x = L.linspace(-1.0, 1.0, 6, requires_grad=True).reshape(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's FutureWarning for multi-node forwards
        out = m(x)
        (out * (L.arange(float(out.numel())).reshape(out.shape) - 2)).sum().backward()
        handle.remove()
        m(x).sum().backward()
    return log


@pytest.mark.parametrize("make", [
    lambda L: L.nn.Linear(3, 2),
    lambda L: L.nn.Sequential(L.nn.Linear(3, 2), L.nn.ReLU()),
    lambda L: L.nn.Tanh(),
])
def test_register_backward_hook_sees_the_last_nodes_gradients(make):
    got, want = _backward_hook_log(A, make), _backward_hook_log(torch, make)
    assert len(got) == len(want) == 1
    assert got[0][0] == want[0][0] and len(got[0][1]) == len(want[0][1])
    for g, w in zip(got[0][1] + got[0][2], want[0][1] + want[0][2]):
        assert (g is None) == (w is None)
        if g is not None:
            assert torch.allclose(torch.tensor(g), torch.tensor(w), rtol=1e-6, atol=1e-7)


# ---- the torch.functional module (imported, by mistake, by the building-models tutorial) ----

def test_torch_functional_holds_torchs_own_functions():
    import importlib
    F = importlib.import_module("autograd_lab.functional")
    assert set(F.__all__) <= set(importlib.import_module("torch.functional").__all__)
    for name in F.__all__:
        assert getattr(F, name) is getattr(A, name)


# ---- x.unsqueeze_ / x.squeeze_ (the tensors tutorial batches an image in place) ----

INPLACE_VIEWS = [lambda t: t.unsqueeze_(0), lambda t: t.unsqueeze_(-1), lambda t: t.squeeze_(),
                 lambda t: t.squeeze_(1), lambda t: t.squeeze_(0), lambda t: t.squeeze_((1, 2))]


@pytest.mark.parametrize("op", INPLACE_VIEWS)
def test_inplace_views_match_torch(op):
    def facts(L):
        a = L.arange(6.0).reshape(2, 1, 3).requires_grad_()
        t = a * 1
        before = t._version
        same = op(t) is t
        (t * L.arange(float(t.numel())).reshape(t.shape)).sum().backward()
        plain = L.zeros(2, 1, 3)
        op(plain)
        return (same, t.grad_fn.name(), tuple(t.shape), t._version - before, a.grad.tolist(), tuple(plain.shape),
                plain._version)
    assert facts(A) == facts(torch)


@pytest.mark.parametrize("op", INPLACE_VIEWS[:3])
def test_inplace_views_gradcheck(op):
    def f(x):
        t = x * 1
        return op(t)
    assert A.autograd.gradcheck(f, (A.rand(2, 1, 3, dtype=A.float64, requires_grad=True),))


def test_inplace_view_keeps_memory_and_base():
    for L in LIBS:
        b = L.zeros(3, 2)
        v = b[0]
        v.unsqueeze_(0)
        v[0, 1] = 5
        assert tuple(v.shape) == (1, 2) and v._base is b and b[0, 1].item() == 5


def test_inplace_view_on_a_leaf_errors():
    assert error_of(lambda: A.ones(2, 1, requires_grad=True).squeeze_(1)) == \
        error_of(lambda: torch.ones(2, 1, requires_grad=True).squeeze_(1))


# ---- torch.index_add / x.index_add_ (the former-Torch-users tensor tutorial) ----

@pytest.mark.parametrize("case", [
    ((5, 5), 1, [4, 0], (5, 2), {}),
    ((5, 5), 0, [1, 1, 3], (3, 5), {"alpha": 2}),
    ((3,), 0, [0, 0], (2,), {}),
    ((2, 3, 4), -1, [3, 0, 3], (2, 3, 3), {"alpha": -0.5}),
    ((), 0, [0], (), {}),
])
def test_index_add_matches_torch(case):
    shape, dim, index, src_shape, kw = case

    def run(L):
        a = L.linspace(-1.0, 1.0, int(L.zeros(shape).numel())).reshape(shape).requires_grad_()
        s = L.linspace(0.5, 2.0, int(L.zeros(src_shape).numel())).reshape(src_shape).requires_grad_()
        out = L.index_add(a, dim, L.tensor(index), s, **kw)
        (out * L.linspace(1.0, 3.0, out.numel()).reshape(out.shape)).sum().backward()
        inplace = a.detach().clone()
        inplace.index_add_(dim, L.tensor(index), s.detach(), **kw)
        return str(out), out.grad_fn.name(), str(a.grad), str(s.grad), str(inplace), inplace._version
    assert run(A) == run(torch)


def test_index_add_gradcheck():
    idx = A.tensor([2, 0, 2])
    assert A.autograd.gradcheck(lambda a, s: A.index_add(a, 1, idx, s, alpha=3),
                                (A.rand(2, 4, dtype=A.float64, requires_grad=True),
                                 A.rand(2, 3, dtype=A.float64, requires_grad=True)))


@pytest.mark.parametrize("call", [
    lambda L: L.index_add(L.ones(5, 5), 1, L.tensor([4.0, 0.0]), L.ones(5, 2)),
    lambda L: L.index_add(L.ones(5, 5), 1, L.tensor([4, 0]), L.ones(5, 1)),
    lambda L: L.index_add(L.ones(5, 5), 1, L.tensor([5, 0]), L.ones(5, 2)),
    lambda L: L.index_add(L.ones(5, 5), 2, L.tensor([4, 0]), L.ones(5, 2)),
    lambda L: L.ones(2, requires_grad=True).index_add_(0, L.tensor([0]), L.ones(1)),
    lambda L: L.index_add(L.zeros(4), 0, L.tensor([2]), L.tensor(5.0)),
    lambda L: L.index_add(L.zeros(4, 3), 0, L.tensor([2]), L.ones(1, 2)),
])
def test_index_add_errors(call):
    assert error_of(lambda: call(A)) == error_of(lambda: call(torch))


# ---- ceil, floor, asin, bitwise_xor, unique, cross (the tensors tutorial's tour of math ops) ----

@pytest.mark.parametrize("name", ["ceil", "floor", "asin", "arcsin"])
@pytest.mark.parametrize("data", [[[-0.7, 0.2], [0.95, -0.5]], [[1, -2]], [[-0.0, 2.5, -2.5]]])
def test_rounding_and_asin_match_torch(name, data):
    def run(L):
        x = L.tensor(data)
        if x.dtype.is_floating_point:
            x.requires_grad_()
        y = getattr(L, name)(x)
        out = [str(y), y.grad_fn.name() if y.grad_fn else None]
        if x.requires_grad:
            (y * L.linspace(1.0, 2.0, y.numel()).reshape(y.shape)).sum().backward()
            out.append(str(x.grad))
            z = x.detach().clone()
            getattr(z, name + "_")()
            out.append(str(z))
        return out
    assert run(A) == run(torch)


@pytest.mark.parametrize("name", ["ceil", "floor", "asin"])
def test_rounding_and_asin_gradcheck(name):
    x = A.tensor([[-0.7, 0.2], [0.45, -0.3]], dtype=A.float64, requires_grad=True)
    assert A.autograd.gradcheck(getattr(A, name), (x,))


@pytest.mark.parametrize("a, b", [
    ([1, 5, 11], [2, 7, 10]), ([True, False], [True, True]), ([1, 2], 3), ([True], 3),
    (("uint8", [1, 2]), ("int8", [1, 2])), (("int32", [1, 2]), ("int64", 3)),
])
def test_bitwise_xor_matches_torch(a, b):
    def make(L, v):
        if isinstance(v, tuple):
            return L.tensor(v[1], dtype=getattr(L, v[0]))
        return L.tensor(v) if isinstance(v, list) else v
    got, want = [L.bitwise_xor(make(L, a), make(L, b)) for L in LIBS]
    assert str(got) == str(want)


def test_bitwise_xor_refuses_floats():
    assert error_of(lambda: A.bitwise_xor(A.tensor([1]), 2.5)) == error_of(lambda: torch.bitwise_xor(torch.tensor([1]), 2.5))


@pytest.mark.parametrize("data, kw", [
    ([1, 2, 1, 2, 1, 2], {}), ([3.0, 1.0, 3.0], {"return_inverse": True}),
    ([[1, 2], [1, 2], [0, 5]], {"dim": 0, "return_inverse": True, "return_counts": True}),
    ([[4, 4], [1, 4]], {"return_counts": True}),
])
def test_unique_matches_torch(data, kw):
    got, want = [L.unique(L.tensor(data), **kw) for L in LIBS]
    assert str(got).replace("torch.", "") == str(want).replace("torch.", "")


@pytest.mark.parametrize("dim", [None, 0, -1])
def test_cross_matches_torch(dim):
    def run(L):
        a = L.tensor([[1.0, 0.0, 2.0], [0.5, -1.0, 3.0], [2.0, 2.0, 1.0]], requires_grad=True)
        b = L.tensor([[0.0, 1.0, 0.0], [1.5, 0.5, -2.0], [1.0, -1.0, 0.0]], requires_grad=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            c = L.cross(a, b) if dim is None else L.cross(a, b, dim=dim)
        (c * L.arange(9.0).reshape(3, 3)).sum().backward()
        return str(c), str(a.grad), str(b.grad), [str(m.message) for m in w]
    assert run(A) == run(torch)


def test_cross_gradcheck():
    assert A.autograd.gradcheck(lambda a, b: A.cross(a, b, dim=1),
                                (A.rand(2, 3, dtype=A.float64, requires_grad=True),
                                 A.rand(2, 3, dtype=A.float64, requires_grad=True)))


@pytest.mark.parametrize("call", [
    lambda L: L.cross(L.ones(2), L.ones(2)),
    lambda L: L.cross(L.ones(3, 2), L.ones(3, 2), dim=1),
    lambda L: L.cross(L.ones(3), L.ones(4), dim=0),
])
def test_cross_errors(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert error_of(lambda: call(A)) == error_of(lambda: call(torch))


# ---- x.to(requires_grad=True) is not a PyTorch signature (the former-Torch-users autograd tutorial) ----

@pytest.mark.parametrize("call", [
    lambda L, a: a.to(requires_grad=True),
    lambda L, a: a.to("cpu", requires_grad=True),
    lambda L, a: a.to(L.float64, foo=1),
    lambda L, a: a.to(requires_grad=True, foo=1),
    lambda L, a: a.to(a, L.device("cpu"), bar=2.0),
])
def test_to_rejects_unknown_keywords(call):
    assert error_of(lambda: call(A, A.ones(2))) == error_of(lambda: call(torch, torch.ones(2)))


def test_to_still_takes_its_keywords():
    for L in LIBS:
        a = L.ones(2)
        assert a.to(dtype=L.float64, device="cpu", non_blocking=False, copy=True).dtype == L.float64
        assert a.to(memory_format=L.preserve_format) is a


# ---- a range as an index (the nn tutorial's nll: input[range(n), target]) ----

@pytest.mark.parametrize("index", [
    lambda L: (range(3), L.tensor([0, 1, 2])), lambda L: range(1, 3), lambda L: (slice(None), range(0, 4, 2)),
    lambda L: range(0), lambda L: (range(2), range(2)),
])
def test_range_index_matches_torch(index):
    def run(L):
        x = L.arange(12.0).reshape(3, 4).requires_grad_()
        y = x[index(L)]
        y.sum().backward()
        z = L.arange(12.0).reshape(3, 4)
        z[index(L)] = -1
        return str(y), str(x.grad), str(z)
    assert run(A) == run(torch)


# ---- the operators & | ^ ~: logical on bools, bitwise on integers, refused on floats ----

@pytest.mark.parametrize("a, b", [([6, 12], [3, 10]), ([True, False], [True, True]), ([6, -1], 3), (("uint8", [200, 7]), ("int8", [3, -2]))])
@pytest.mark.parametrize("op", ["and", "or", "xor"])
def test_bitwise_operators_and_functions_match_torch(a, b, op):
    def make(L, v):
        if isinstance(v, tuple):
            return L.tensor(v[1], dtype=getattr(L, v[0]))
        return L.tensor(v) if isinstance(v, list) else v

    def run(L):
        x, y = make(L, a), make(L, b)
        sym = {"and": "__and__", "or": "__or__", "xor": "__xor__"}[op]
        out = [getattr(x, sym)(y), getattr(L, "bitwise_" + op)(x, y), getattr(x, "bitwise_" + op)(y)]
        if not isinstance(y, L.Tensor):
            out.append(getattr(x, "__r" + sym[2:])(y))  # 3 & x
        z = x.clone()
        getattr(z, "bitwise_" + op + "_")(y)
        return [str(t) for t in out] + [str(z), str(~x), str(L.bitwise_not(x))]
    assert run(A) == run(torch)


@pytest.mark.parametrize("expr", [lambda L: L.tensor([1.0]) & L.tensor([1.0]), lambda L: L.tensor([1]) | L.tensor([1.5]),
                                  lambda L: L.tensor([1.0]) ^ 1, lambda L: ~L.tensor([1.5]),
                                  lambda L: L.bitwise_not(L.tensor([1.5]))])
def test_bitwise_operators_refuse_floats_as_torch(expr):
    assert error_of(lambda: expr(A)) == error_of(lambda: expr(torch))


@pytest.mark.parametrize("into, value", [(("uint8", [200, 7]), ("int8", [3, -2])), (("int32", [5, 9]), ("int64", [300, 1])),
                                         (("bool", [True, False]), ("int64", [1, 0])), (("int64", [5]), ("float32", [1.5]))])
def test_in_place_writes_cast_as_torch(into, value):
    def run(L):
        x = L.tensor(into[1], dtype=getattr(L, into[0]))
        y = L.tensor(value[1], dtype=getattr(L, value[0]))
        out = error_of(lambda: x.add_(y))
        return out, str(x)
    assert run(A) == run(torch)


def test_in_place_bitwise_operators_match_torch():
    def run(L):
        x = L.tensor([6, 12])
        x &= L.tensor([3, 10])
        x |= 1
        x ^= L.tensor([2, 2])
        return str(x), x._version
    assert run(A) == run(torch)
