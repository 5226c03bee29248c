"""The singular value decomposition A = U·diag(S)·Vh, as ``torch.linalg.svd`` and ``torch.svd``.

Both record one ``LinalgSvdBackward0`` node with three outputs (U, S, Vh); ``torch.svd`` returns
V = Vhᵀ, a transposed view, so its V hangs off a ``TransposeBackward0``, as in PyTorch.
"""
import numpy as np

from ..node import Node
from ..tensor import Tensor
from .linalg import matmul
from .registry import public


def _column_major(d):
    """LAPACK hands back column-major matrices and PyTorch keeps them so: U and Vh are not contiguous."""
    return np.swapaxes(np.ascontiguousarray(np.swapaxes(d, -1, -2)), -1, -2)


def _check_input(a, legacy=False):
    if a.dim() < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has {a.dim()} dimensions instead"
                           if legacy else "linalg.svd: The input tensor A must have at least 2 dimensions.")
    if a.dtype.np.kind != "f":
        raise RuntimeError(f"linalg.svd: Expected a floating point or complex tensor as input. Got {a.dtype.scalar_name}")


class LinalgSvdBackward0(Node):
    """U, S, Vh = svd(A), A of shape m×n, k = min(m, n) singular values.

    Backward (real case; PyTorch's svd_backward). With F = UᵀgU − gUᵀU and G = VᵀgV − gVᵀV
    (antisymmetric parts, gV = gVhᵀ) and Eᵢⱼ = Sⱼ² − Sᵢ² (1 on the diagonal)::

        M  = (F·diag(S) + diag(S)·G) / E  +  diag(gS)
        gA = U·M·Vh                                   when m = n
        gA = (U·M + (I − UUᵀ)·gU·diag(1/S))·Vh        when m > n (U is tall)
        gA = U·(M·Vh + diag(1/S)·gVᵀ·(I − VVᵀ))       when m < n (Vh is wide)

    Only the first k columns of U (rows of Vh) matter: with ``full_matrices=True`` the rest are an
    arbitrary basis of the complement, and their gradient is dropped, as PyTorch drops it. The
    formula divides by Sⱼ² − Sᵢ², so repeated singular values give inf/NaN gradients (as in PyTorch).
    """

    num_outputs = 3
    materialize_grads = False  # a missing gU or gVh is a term that vanishes, not zeros to multiply

    def forward(self, a, full_matrices):
        self.full_matrices = full_matrices
        u, s, vh = np.linalg.svd(a._data, full_matrices=full_matrices)
        u, vh = _column_major(u), _column_major(vh)
        self.save(U=Tensor._make(u), S=Tensor._make(s), Vh=Tensor._make(vh))
        return u, s, vh

    def backward(self, gU, gS, gVh):
        from . import api as F
        from ..factories import eye
        U, S, Vh = self.saved("U"), self.saved("S"), self.saved("Vh")
        m, n = U.shape[-2], Vh.shape[-1]
        k = S.shape[-1]
        if self.full_matrices:
            U, Vh = U[..., :k], Vh[..., :k, :]
            gU = None if gU is None else gU[..., :k]
            gVh = None if gVh is None else gVh[..., :k, :]
        if gU is None and gVh is None:
            return matmul(U * gS.unsqueeze(-2), Vh)
        V = F.transpose(Vh, -2, -1)
        gV = None if gVh is None else F.transpose(gVh, -2, -1)

        def skew(X):
            return X - F.transpose(X, -2, -1)

        S2 = S * S
        I = eye(k, dtype=S.dtype)
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + I  # its diagonal is exactly 0 before: now 1
        if gU is not None and gV is not None:
            M = (skew(matmul(F.transpose(U, -2, -1), gU)) * S.unsqueeze(-2)
                 + S.unsqueeze(-1) * skew(matmul(Vh, gV))) / E
        elif gU is not None:
            M = skew(matmul(F.transpose(U, -2, -1), gU)) / E * S.unsqueeze(-2)
        else:
            M = S.unsqueeze(-1) * skew(matmul(Vh, gV)) / E
        if gS is not None:
            M = M + I * gS.unsqueeze(-1)
        if m > k and gU is not None:
            gUSinv = gU / S.unsqueeze(-2)
            gA = matmul(U, M) + gUSinv - matmul(U, matmul(F.transpose(U, -2, -1), gUSinv))
            return matmul(gA, Vh)
        if n > k and gV is not None:
            gVSinv = F.transpose(gV / S.unsqueeze(-2), -2, -1)
            gA = matmul(M, Vh) + gVSinv - matmul(matmul(gVSinv, V), Vh)
            return matmul(U, gA)
        return matmul(U, matmul(M, Vh)) if m >= n else matmul(matmul(U, M), Vh)


class _SvdResult(tuple):
    """torch.return_types.svd / linalg_svd: a tuple with named fields."""
    __slots__ = ()
    _fields = ()

    def __new__(cls, items):
        return tuple.__new__(cls, items)

    def __repr__(self):
        body = ",\n".join(f"{f}={t!r}" for f, t in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{body})"

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _result_type(name, fields):
    ns = {"__slots__": (), "_fields": fields, "__module__": "autograd_lab.return_types"}
    ns.update({f: property(lambda self, i=i: self[i]) for i, f in enumerate(fields)})
    return type(name, (_SvdResult,), ns)


linalg_svd_result = _result_type("linalg_svd", ("U", "S", "Vh"))
svd_result = _result_type("svd", ("U", "S", "V"))


@public
def svd(input, some=True, compute_uv=True):
    """``torch.svd`` (the older form): returns V rather than Vh, and zeros for U, V if not compute_uv."""
    from . import api as F
    _check_input(input, legacy=True)
    U, S, Vh = LinalgSvdBackward0.apply(input, full_matrices=not some, _num_outputs=3)
    if not compute_uv:
        batch, (m, n) = tuple(input.shape[:-2]), tuple(input.shape[-2:])
        return svd_result((Tensor._make(np.zeros(batch + (m, m), S.dtype.np)), S,
                           Tensor._make(_column_major(np.zeros(batch + (n, n), S.dtype.np)))))
    return svd_result((U, S, F.transpose(Vh, -2, -1)))


class LinalgEighBackward0(Node):
    """L, V = eigh(A) for symmetric A: A = V·diag(L)·Vᵀ, L ascending (only one triangle of A is read).

    Backward (PyTorch's linalg_eig_backward, real symmetric case), with Eᵢⱼ = Lⱼ − Lᵢ::

        K  = ½(VᵀgV − gVᵀV) / E,  its diagonal replaced by gL
        gA = V·K·Vᵀ

    Repeated eigenvalues make E zero off the diagonal: inf/NaN gradients, as in PyTorch."""

    num_outputs = 2
    materialize_grads = False

    def forward(self, a, UPLO):
        w, v = np.linalg.eigh(a._data, UPLO=UPLO)
        v = _column_major(v)
        self.save(eigenvalues=Tensor._make(w), eigenvectors=Tensor._make(v))
        return w, v

    def backward(self, gL, gV):
        from . import api as F
        from ..factories import eye
        L, V = self.saved("eigenvalues"), self.saved("eigenvectors")
        Vt = F.transpose(V, -2, -1)
        if gV is None:
            return matmul(V * gL.unsqueeze(-2), Vt)
        n = L.shape[-1]
        I = eye(n, dtype=L.dtype)
        VtgV = matmul(Vt, gV)
        K = (VtgV - F.transpose(VtgV, -2, -1)) * 0.5 / (L.unsqueeze(-2) - L.unsqueeze(-1) + I)
        K = K * (1 - I)  # the skew part's diagonal is already 0; this keeps 0/1 from mattering
        if gL is not None:
            K = K + I * gL.unsqueeze(-1)
        return matmul(matmul(V, K), Vt)
