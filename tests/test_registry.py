"""The public names: every op declared in ops/registry.py is reachable where PyTorch has it (torch.name,
x.name(), x.name_(), torch.name_) and nowhere else; every public function of the op modules is
declared (or is nn.functional's, or an internal helper); the in-place forms behave as PyTorch's."""
import importlib
import inspect
import pkgutil
import types

import numpy as np
import pytest
from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from _torch_diff import P, check  # noqa: E402
from autograd_lab import ops  # noqa: E402
from autograd_lab.ops import api, registry  # noqa: E402

DECLARED = sorted(registry.PUBLIC)
# the package's own extras, not in PyTorch's namespace
OWN = {"get_printoptions", "printoptions", "load_ipython_extension", "unload_ipython_extension"}
# api.py functions the operators and indexing use; no public name of their own in PyTorch
INTERNAL = {"rdiv", "getitem", "as_index_tuple", "silu_"}  # silu_: F.silu(inplace=True)


@pytest.mark.parametrize("name", DECLARED)
def test_declared_op_is_where_torch_has_it(name):
    d = registry.PUBLIC[name]
    assert hasattr(A, name) == hasattr(torch, name), f"torch.{name}"
    assert hasattr(A.Tensor, name) == hasattr(torch.Tensor, name), f"Tensor.{name}"
    if d.function:  # an op declared with out= is wrapped (ops/out.py)
        assert (getattr(A, name).__wrapped__ if d.out else getattr(A, name)) is d.fn
    if d.method:
        assert getattr(A.Tensor, name) is d.fn
    if d.inplace:
        assert hasattr(torch.Tensor, name + "_") and hasattr(A.Tensor, name + "_"), f"Tensor.{name}_"
    if d.inplace_function:
        assert hasattr(torch, name + "_") and hasattr(A, name + "_"), f"torch.{name}_"


def _declaring_modules():
    """The op modules that declare public ops (they import registry.public)."""
    for info in pkgutil.iter_modules(ops.__path__):
        module = importlib.import_module(f"{ops.__name__}.{info.name}")
        if module is not registry and getattr(module, "public", None) is registry.public:
            yield module


def test_every_public_op_function_is_declared():
    F = A.nn.functional
    assert api in list(_declaring_modules())
    for module in _declaring_modules():
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            if name in INTERNAL or hasattr(F, name):  # nn.functional wraps the activations
                continue
            assert any(d.fn is fn for d in registry.PUBLIC.values()), f"{module.__name__}.{name} is not declared"


def test_every_top_level_name_is_torchs():
    extra = [n for n, v in vars(A).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)
             and not hasattr(torch, n) and n not in OWN]
    assert extra == []


def test_every_tensor_attribute_is_torchs():
    assert [n for n in dir(A.Tensor) if not n.startswith("_") and not hasattr(torch.Tensor, n)] == []


def test_declaring_a_name_twice_fails():
    with pytest.raises(ValueError, match="declared twice"):
        registry.public(lambda a: a, name="add")


UNARY_INPLACE = [n for n in DECLARED if registry.PUBLIC[n].inplace
                 and len(inspect.signature(registry.PUBLIC[n].fn).parameters) == 1]


@pytest.mark.parametrize("name", UNARY_INPLACE)
def test_unary_inplace_method(name):
    x = P(np.random.default_rng(0).uniform(0.5, 2.0, (2, 3)).astype(np.float32))
    if name.startswith("bitwise_"):
        x = P(np.array([[1, -2, 7], [0, 5, 12]], dtype=np.int64))
    check(lambda L, a: getattr(a * 1, name + "_")(), x)


@pytest.mark.parametrize("name", [n for n in UNARY_INPLACE if registry.PUBLIC[n].inplace_function])
def test_unary_inplace_function(name):
    x = P(np.random.default_rng(1).uniform(0.5, 2.0, (3,)).astype(np.float64))
    check(lambda L, a: getattr(L, name + "_")(a * 1), x)


@pytest.mark.parametrize("name, args", [("clamp", (0.8, 1.5)), ("clip", (0.8, 1.5)), ("clamp_min", (1.0,)),
                                        ("clamp_max", (1.0,))])
def test_clamp_inplace_function(name, args):
    x = P(np.random.default_rng(2).uniform(0.5, 2.0, (4,)).astype(np.float32))
    check(lambda L, a: getattr(L, name + "_")(a * 1, *args), x)


@pytest.mark.parametrize("name", ["subtract", "multiply", "divide", "true_divide"])
def test_alias_inplace_method(name):
    x, y = (P(np.random.default_rng(s).uniform(0.5, 2.0, (2, 2)).astype(np.float32)) for s in (3, 4))
    check(lambda L, a, b: getattr(a * 1, name + "_")(b), x, y)


@pytest.mark.parametrize("name", ["greater_equal", "less_equal", "not_equal"])
def test_comparison_aliases(name):
    x, y = (P(np.array([1.0, 2.0, 3.0], np.float32), grad=False), P(np.array([2.0, 2.0, 2.0], np.float32), grad=False))
    check(lambda L, a, b: (getattr(L, name)(a, b), getattr(a, name)(b)), x, y)


def test_swapdims_and_sgn():
    x = P(np.random.default_rng(5).standard_normal((2, 3)).astype(np.float32))
    check(lambda L, a: (L.swapdims(a, 0, 1), a.swapdims(1, 0), L.sgn(a), a.sgn()), x)
