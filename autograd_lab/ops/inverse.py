"""Inverse, determinant and linear solve of square matrices (``torch.linalg.inv/det/solve``).

NumPy's LAPACK does the numbers; the backward formulas are written in matrix products, so they
are differentiable again."""
import numpy as np

from ..node import Node
from .linalg import matmul
from .registry import public
from .svd import _column_major


class LinAlgError(RuntimeError):
    """``torch.linalg.LinAlgError``: a RuntimeError raised for singular input."""


LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"  # PyTorch's class is torch._C._LinAlgError


def _mT(t):
    from .api import transpose
    return transpose(t, -2, -1)


def _check_square(A, op):
    if A.dim() < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {A.dtype.scalar_name}")


def _first_zero_pivot(a):
    """The 1-based index of the first zero on U's diagonal in LAPACK's LU with partial pivoting
    (getrf's ``info``), or 0 when every pivot is nonzero; for each matrix of a batch, the first found."""
    for m in a.reshape(-1, *a.shape[-2:]).astype(np.float64 if a.dtype == np.float64 else np.float32):
        m = m.copy()
        for j in range(m.shape[0]):
            p = j + int(np.argmax(np.abs(m[j:, j])))
            if m[p, j] == 0:
                return j + 1
            m[[j, p]] = m[[p, j]]
            m[j + 1:, j:] -= np.outer(m[j + 1:, j] / m[j, j], m[j, j:])
    return 0


class LinalgInvExBackward0(Node):
    """out = A⁻¹        ∂A = −A⁻ᵀ·g·A⁻ᵀ  (from d(A⁻¹) = −A⁻¹·dA·A⁻¹)"""

    save_result = True

    def forward(self, A):
        bad = _first_zero_pivot(A._data)
        if bad:
            raise LinAlgError(f"linalg.inv: The diagonal element {bad} is zero, the inversion could not be "
                              "completed because the input matrix is singular.")
        return _column_major(np.linalg.inv(A._data))  # LAPACK's layout, as PyTorch keeps it

    def backward(self, g):
        inv_t = _mT(self.result)
        return -matmul(matmul(inv_t, g), inv_t)


class LinalgDetBackward0(Node):
    """out = det(A)        ∂A = g·det(A)·A⁻ᵀ  (Jacobi's formula)

    Only for invertible A: PyTorch switches to an SVD-based formula for singular A, here the inverse
    in backward raises LinAlgError."""

    def forward(self, A):
        self.save(A=A)
        return np.asarray(np.linalg.det(A._data), dtype=A._data.dtype)

    def backward(self, g):
        A = self.saved("A")
        det = LinalgDetBackward0.apply(A)
        return (g * det).unsqueeze(-1).unsqueeze(-1) * _mT(LinalgInvExBackward0.apply(A))


class LinalgSolveExBackward0(Node):
    """X = A⁻¹·B        ∂B = A⁻ᵀ·g,   ∂A = −∂B·Xᵀ   (B a vector: ∂A = −∂B ⊗ X)"""

    save_result = True

    def forward(self, A, B, vector):
        self.vector, self.shapes = vector, (tuple(A.shape), tuple(B.shape))
        if _first_zero_pivot(A._data):
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.")
        b = B._data[..., None] if vector else B._data
        x = np.linalg.solve(np.broadcast_to(A._data, np.broadcast_shapes(A.shape[:-2], b.shape[:-2]) + A.shape[-2:]), b)
        self.save(A=A)
        if vector:  # PyTorch solves a batch of vectors as one matrix of columns
            x = x[..., 0]
        return _column_major(x) if x.ndim >= 2 else x  # LAPACK's layout, as PyTorch keeps it

    def backward(self, g):
        from ._util import sum_to
        A, X = self.saved("A"), self.result
        gB = LinalgSolveExBackward0.apply(_mT(A), g, vector=self.vector)
        if self.vector:
            gA = -gB.unsqueeze(-1) * X.unsqueeze(-2)
        else:
            gA = -matmul(gB, _mT(X))
        return sum_to(gA, self.shapes[0]), sum_to(gB, self.shapes[1])


@public
def inverse(input):
    """``torch.inverse`` / ``x.inverse()`` = ``torch.linalg.inv``."""
    _check_square(input, "linalg.inv")
    return LinalgInvExBackward0.apply(input)


@public
def det(input):
    """``torch.det`` / ``x.det()`` = ``torch.linalg.det``."""
    _check_square(input, "linalg.det")
    return LinalgDetBackward0.apply(input)
