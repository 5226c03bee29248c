"""torch.testing.assert_close against PyTorch 2.13: passes and failures alike, with the same
exception type and message (tolerances by dtype, NaN, scalars, containers, msg=)."""
import pytest
from oracle import import_torch

torch = import_torch()

import autograd_lab as A  # noqa: E402
from _torch_diff import LIBS  # noqa: E402

NAN = float("nan")
CASES = [
    "T.assert_close(L.tensor([1., 2., 3.]), L.tensor([1., 2.5, 3.]))",
    "T.assert_close(L.tensor([1., 2., 3.]), L.tensor([1., 2., 3.], dtype=L.float64))",
    "T.assert_close(L.tensor([1., 2.]), L.tensor([1., 2., 3.]))",
    "T.assert_close(L.tensor([[1, 2], [3, 4]]), L.tensor([[1, 2], [3, 5]]))",
    "T.assert_close(L.tensor(1.), L.tensor(1.5))",
    "T.assert_close(L.tensor([1., NAN]), L.tensor([1., NAN]))",
    "T.assert_close(L.tensor([1., NAN]), L.tensor([1., NAN]), equal_nan=True)",
    "T.assert_close(1.0, 1.0000001)", "T.assert_close(1.0, 1.1)", "T.assert_close(3, 4)",
    "T.assert_close(L.tensor([1., 2.]), L.tensor([1., 2.1]), msg='custom')",
    "T.assert_close(L.tensor([1., 2.]), L.tensor([1., 2.1]), msg=lambda m: 'wrapped: ' + m.splitlines()[0])",
    "T.assert_close(L.tensor([1., 2.]), L.tensor([1., 2.1]), rtol=0.1, atol=0)",
    "T.assert_close(L.tensor([1., 2.]), L.tensor([1., 2.1]), rtol=0.1)",
    "T.assert_close(L.tensor([1., 2.]), L.tensor([1., 2.1]), atol=0.1)",
    "T.assert_close([L.tensor([1.]), L.tensor([2.])], [L.tensor([1.]), L.tensor([3.])])",
    "T.assert_close(L.tensor([1., 2.], requires_grad=True), L.tensor([1., 2.]))",
    "T.assert_close(L.tensor([1., 2.]), [1., 2.])",
    "T.assert_close({'a': L.tensor([1.])}, {'a': L.tensor([2.])})",
    "T.assert_close(L.tensor([1., 2.]), L.tensor([1., 2.], dtype=L.float64), check_dtype=False)",
    "T.assert_close((L.tensor([1., 2.]),), (L.tensor([1., 2.]), L.tensor([1.])))",
    "T.assert_close(L.tensor([[0., 1e-6], [3., 4.]]), L.tensor([[1e-3, 0.], [3., 4.]]))",
    "T.assert_close(L.tensor([1., 2.], dtype=L.float64), L.tensor([1., 2.0000003], dtype=L.float64))",
    "T.assert_close(L.ones(2, 3) * 0.1 + 0.2, L.ones(2, 3) * 0.3)",
    "T.assert_close(L.tensor([True, False]), L.tensor([True, True]))",
    "T.assert_close(L.tensor([1., 2.], dtype=L.float16), L.tensor([1., 2.001], dtype=L.float16))",
]


@pytest.mark.parametrize("expr", CASES)
def test_assert_close_as_torch(expr):
    out = {}
    for L in LIBS:
        try:
            out[L] = repr(eval(expr, {"L": L, "T": L.testing, "NAN": NAN}))
        except Exception as e:  # noqa: BLE001 - the exception is what we compare
            out[L] = f"{type(e).__name__}: {e}"
    assert out[A] == out[torch]
