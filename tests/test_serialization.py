"""torch.save / torch.load round trips (state dicts, optimizer state, tensors, parameters, Python
values) print what PyTorch 2.13 prints; weights-only loading refuses other globals in PyTorch's words."""
import contextlib
import io
import os

from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS  # noqa: E402

PROGRAM = '''
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
opt = torch.optim.Adam(model.parameters(), lr=0.1)
model(torch.randn(4, 3)).sum().backward()
opt.step()
torch.save(model.state_dict(), os.path.join(d, "model.pth"))
sd = torch.load(os.path.join(d, "model.pth"))
print(type(sd).__name__, list(sd), sd["0.weight"])
m2 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
print(m2.load_state_dict(torch.load(os.path.join(d, "model.pth"), weights_only=True)))
print(m2[0].weight)
torch.save({"epoch": 3, "opt": opt.state_dict(), "t": torch.arange(3), "p": torch.nn.Parameter(torch.ones(2)),
            "x": [1.5, "s", (2, None)]}, os.path.join(d, "ck.pt"))
ck = torch.load(os.path.join(d, "ck.pt"))
print(ck["epoch"], ck["t"], ck["p"], ck["x"], ck["opt"]["param_groups"][0]["lr"], ck["opt"]["state"][0]["exp_avg"])
opt2 = torch.optim.Adam(m2.parameters(), lr=0.1)
opt2.load_state_dict(ck["opt"])
print(opt2.state_dict()["state"][0]["step"])
torch.save({"a": Foo}, os.path.join(d, "foo.pt"))
try:
    torch.load(os.path.join(d, "foo.pt"))
except Exception as e:
    print(type(e).__name__, str(e)[:300])
print(torch.load(os.path.join(d, "foo.pt"), weights_only=False)["a"] is Foo)
buf = io.BytesIO()
torch.save(torch.tensor([1., 2.], requires_grad=True), buf)
buf.seek(0)
print(torch.load(buf))
try:
    torch.load(os.path.join(d, "ck.pt"), map_location="cuda")
except Exception as e:
    print(type(e).__name__, e)
print(torch.load(os.path.join(d, "ck.pt"), map_location="cpu")["t"],
      torch.load(os.path.join(d, "ck.pt"), map_location=torch.device("cpu"))["epoch"])
'''


class Foo:
    """A class weights-only loading must refuse."""


def test_save_load_programs_print_the_same(tmp_path):
    out = {}
    for L in LIBS:
        d = tmp_path / L.__name__
        d.mkdir()
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(PROGRAM, {"torch": L, "os": os, "io": io, "d": str(d), "Foo": Foo})
        out[L] = buf.getvalue()
    assert out[A] == out[torch]
