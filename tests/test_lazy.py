"""nn.LazyLinear and UninitializedParameter against PyTorch 2.13: reprs before and after the first
call, the same initial weights after manual_seed, errors, and pickling/copying before the call."""
import contextlib
import copy
import io
import pickle

import pytest
from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS, raises_same  # noqa: E402


def printed(src):
    out = {}
    for L in LIBS:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(src, {"torch": L, "nn": L.nn, "pickle": pickle, "copy": copy})
        out[L] = buf.getvalue()
    assert out[A] == out[torch]
    return out[A]


def test_lazy_linear_life_cycle():
    out = printed('''
torch.manual_seed(0)
m = nn.LazyLinear(3)
print(m, repr(m.weight), type(m.weight), m.has_uninitialized_params())
print([n for n, _ in m.named_parameters()], m.state_dict())
opt = torch.optim.SGD(m.parameters(), lr=0.1)   # accepted before the first call
x = torch.randn(2, 4)
y = m(x)
print(m, type(m).__name__, type(m.weight), m.weight, m.bias, y)
y.sum().backward()
opt.step()
print(m.weight, m.in_features, torch.rand(2))
''')
    assert "LazyLinear(in_features=0" in out and "Linear(in_features=4" in out


def test_lazy_linear_in_sequential_and_without_bias():
    printed('''
torch.manual_seed(1)
seq = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(1))
print(seq)
print(seq(torch.ones(3, 2)))
print(seq, [p.shape for p in seq.parameters()])
m = nn.LazyLinear(2, bias=False, dtype=torch.float64)
print(m, m.bias)
m(torch.ones(1, 5, dtype=torch.float64))
print(m, m.weight)
''')


def test_lazy_linear_pickles_and_copies_before_its_first_call():
    printed('''
torch.manual_seed(2)
m = nn.LazyLinear(2)
for m2 in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
    print(m2, m2.weight, m2(torch.ones(1, 3)).shape, m2, m2.weight)
''')


@pytest.mark.parametrize("expr", ["w + 1", "1 + w", "w - 1", "w * 2", "2 * w", "w / 2", "w @ w", "-w",
                                  "w.sum()", "w.t()", "w.mean()", "w.shape", "w.numel()", "w.dim()", "w.size(5)",
                                  "L.nn.LazyLinear(3)(L.tensor(2.0))", "L.nn.LazyLinear(3, device='cuda')"])
def test_uninitialized_errors(expr):
    raises_same(lambda L: eval(expr, {"L": L, "w": L.nn.parameter.UninitializedParameter()}))
