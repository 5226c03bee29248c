"""``torch.utils.data`` against PyTorch 2.13: the same programs print the same batches (shuffled
ones included: the generator is drawn from exactly as PyTorch draws it), lengths, splits and errors."""
import contextlib
import io
import warnings

import pytest
from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS, raises_same  # noqa: E402


def printed(src):
    """Run ``src`` with ``torch`` bound to each library; both must print the same."""
    out = {}
    for L in LIBS:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            exec(src, {"torch": L, "data": L.utils.data})
        out[L] = buf.getvalue() + "".join(f"{x.category.__name__}: {x.message}\n" for x in w)
    assert out[A] == out[torch]
    return out[A]


def test_shuffled_epochs_are_torchs():
    out = printed('''
torch.manual_seed(0)
X = torch.arange(20.).reshape(10, 2); y = torch.arange(10)
ds = data.TensorDataset(X, y)
print(len(ds), ds[3], ds[-1])
dl = data.DataLoader(ds, batch_size=4, shuffle=True)
print(len(dl))
for epoch in range(3):
    for xb, yb in dl:
        print(epoch, xb, yb)
print(torch.rand(3))  # the global stream moved on alike
''')
    assert out.count("\n") > 10


@pytest.mark.parametrize("kwargs", ["batch_size=3, shuffle=True, drop_last=True",
                                    "batch_size=3, shuffle=False, drop_last=True",
                                    "batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(5)",
                                    "batch_size=1", "batch_size=10", "batch_size=64, shuffle=True",
                                    "batch_size=None", "batch_size=None, shuffle=True",
                                    "batch_size=2, sampler=data.RandomSampler(ds, replacement=True, num_samples=7)",
                                    "batch_size=2, sampler=data.RandomSampler(ds, num_samples=13)",
                                    "batch_sampler=data.BatchSampler(data.SequentialSampler(ds), 3, False)",
                                    "batch_size=2, sampler=data.SubsetRandomSampler([1, 4, 6, 7])"])
def test_loader_options(kwargs):
    printed(f'''
torch.manual_seed(3)
ds = data.TensorDataset(torch.randn(10, 2), torch.arange(10))
dl = data.DataLoader(ds, {kwargs})
print(len(dl) if not isinstance(dl.sampler, data.SubsetRandomSampler) else "")
for _ in range(2):
    for batch in dl:
        print(batch)
print(torch.randn(2))
''')


def test_collate_of_python_samples():
    printed('''
class Samples(data.Dataset):
    def __len__(self):
        return 5
    def __getitem__(self, i):
        return {"x": float(i), "n": i, "flag": i % 2 == 0, "name": str(i), "v": torch.tensor([i, i + 1.0]),
                "pair": (i, [float(i), 2.0])}
for batch in data.DataLoader(Samples(), batch_size=2):
    print(batch)
for sample in data.DataLoader(Samples(), batch_size=None):
    print(sample)
''')


def test_random_split_and_subset():
    printed('''
torch.manual_seed(1)
ds = data.TensorDataset(torch.arange(10.), torch.arange(10))
a, b = data.random_split(ds, [0.7, 0.3])
print(len(a), len(b), a.indices, b.indices, a[0])
a, b = data.random_split(range(10), [3, 7], generator=torch.Generator().manual_seed(42))
print(list(a), list(b))
parts = data.random_split(range(7), [0.5, 0.5, 0.0])
print([list(p) for p in parts])
train, test = data.random_split(ds, [8, 2])
for xb, yb in data.DataLoader(train, batch_size=3, shuffle=True):
    print(xb, yb)
print(torch.rand(2))
''')


def test_iterable_dataset():
    printed('''
class Stream(data.IterableDataset):
    def __iter__(self):
        return iter(torch.arange(7.))
for b in data.DataLoader(Stream(), batch_size=3):
    print(b)
for b in data.DataLoader(Stream(), batch_size=3, drop_last=True):
    print(b)
''')


@pytest.mark.parametrize("call", [
    lambda L: L.utils.data.TensorDataset(L.ones(3), L.ones(4)),
    lambda L: L.utils.data.DataLoader(L.utils.data.TensorDataset(L.ones(3)), num_workers=-1),
    lambda L: L.utils.data.DataLoader(L.utils.data.TensorDataset(L.ones(3)), shuffle=True,
                                      sampler=L.utils.data.SequentialSampler(range(3))),
    lambda L: L.utils.data.DataLoader(L.utils.data.TensorDataset(L.ones(3)), batch_size=2,
                                      batch_sampler=L.utils.data.BatchSampler(range(3), 2, False)),
    lambda L: L.utils.data.DataLoader(L.utils.data.TensorDataset(L.ones(3)), batch_size=None, drop_last=True),
    lambda L: L.utils.data.DataLoader(L.utils.data.TensorDataset(L.ones(3)), batch_size=0),
    lambda L: L.utils.data.DataLoader(L.utils.data.TensorDataset(L.ones(3)), persistent_workers=True),
    lambda L: L.utils.data.random_split(range(5), [2, 2]),
    lambda L: L.utils.data.random_split(range(5), [1.5, -0.5]),
    lambda L: L.utils.data.RandomSampler(range(3), num_samples=0),
    lambda L: L.utils.data.RandomSampler(range(3), replacement=1),
    lambda L: L.utils.data.BatchSampler(range(3), 2, 1),
])
def test_errors(call):
    raises_same(call)


def test_training_loop_over_a_loader():
    """The usual tutorial loop: same losses and weights after two shuffled epochs."""
    printed('''
torch.manual_seed(0)
X = torch.randn(32, 3); y = X @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1 * torch.randn(32, 1)
loader = data.DataLoader(data.TensorDataset(X, y), batch_size=8, shuffle=True)
model = torch.nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(2):
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item()
    print(epoch, round(total, 4))
print(model.weight.detach().numpy().round(4), model.bias.detach().numpy().round(4))
''')
