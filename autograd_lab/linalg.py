"""``torch.linalg``: the linear-algebra functions under their PyTorch names."""
from .ops import api as _api
from .ops.inverse import LinAlgError, LinalgInvExBackward0, LinalgSolveExBackward0, _check_square, det  # noqa: F401
from .ops.linalg import matmul  # noqa: F401
from .ops.svd import LinalgEighBackward0, LinalgSvdBackward0, _check_input, _result_type, linalg_svd_result


def svd(A, full_matrices=True, *, driver=None):
    """``torch.linalg.svd``: A = U·diag(S)·Vh."""
    _check_input(A)
    return linalg_svd_result(LinalgSvdBackward0.apply(A, full_matrices=full_matrices, _num_outputs=3))


def svdvals(A, *, driver=None):
    """``torch.linalg.svdvals``: the singular values only (the same node; U and Vh are not returned)."""
    _check_input(A)
    return LinalgSvdBackward0.apply(A, full_matrices=False, _num_outputs=3)[1]


def inv(A):
    """``torch.linalg.inv``: A⁻¹ (``LinalgInvExBackward0``)."""
    _check_square(A, "linalg.inv")
    return LinalgInvExBackward0.apply(A)


def solve(A, B, *, left=True):
    """``torch.linalg.solve``: X with A·X = B. B is a (batch of) vector(s) when it is 1-d or has
    exactly A's batch shape and A's size, as PyTorch decides."""
    _check_square(A, "linalg.solve")
    if B.dtype is not A.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{A.dtype.scalar_name} and B of type {B.dtype.scalar_name} instead")
    n = A.shape[-1]
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    rows = B.shape[-1] if vector else B.shape[-2]
    if rows != n:
        cols = 1 if vector else B.shape[-1]
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and "
                           f"{rows}x{cols})")
    return LinalgSolveExBackward0.apply(A, B, vector=vector)


linalg_eigh_result = _result_type("linalg_eigh", ("eigenvalues", "eigenvectors"))


def eigh(A, UPLO="L"):
    """``torch.linalg.eigh``: eigenvalues (ascending) and eigenvectors of a symmetric matrix."""
    if A.dim() >= 2 and A.shape[-1] == A.shape[-2] and not A.dtype.is_floating_point:
        raise NotImplementedError(f'"linalg_eigh_cpu" not implemented for \'{A.dtype.scalar_name}\'')
    _check_square(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return linalg_eigh_result(LinalgEighBackward0.apply(A, UPLO=UPLO, _num_outputs=2))


def eigvalsh(A, UPLO="L"):
    """``torch.linalg.eigvalsh``: the eigenvalues only (the same node)."""
    return eigh(A, UPLO)[0]


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.vector_norm``: (Σ|x|^ord)^(1/ord) over ``dim`` (all of x by default)."""
    return _api.norm(x, ord, dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """``torch.linalg.matrix_norm``: 'fro' is the vector 2-norm of the entries, 'nuc' the sum of the
    singular values, ±2 the largest/smallest one, ±1 / ±inf the largest/smallest column/row abs-sum."""
    if A.dim() < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if ord == "fro":
        return _api.norm(A, 2, tuple(dim), keepdim)
    rows, cols = (A._wrap_dim(d) for d in dim)
    if ord in ("nuc", 2, -2):
        perm = [d for d in range(A.dim()) if d not in (rows, cols)] + [rows, cols]
        s = svdvals(_api.permute(A, perm))
        out = s.sum(-1, keepdim) if ord == "nuc" else s.amax(-1, keepdim) if ord == 2 else s.amin(-1, keepdim)
        if keepdim:
            out = _api.permute(out.unsqueeze(-1), [perm.index(d) for d in range(A.dim())])
        return out
    if ord in (1, -1, float("inf"), -float("inf")):
        sum_dim, pick_dim = (rows, cols) if abs(ord) == 1 else (cols, rows)
        sums = _api.norm(A, 1, sum_dim, keepdim)
        if not keepdim and pick_dim > sum_dim:
            pick_dim -= 1
        return sums.amax(pick_dim, keepdim) if ord > 0 else sums.amin(pick_dim, keepdim)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.norm``: a vector norm, or a matrix norm when ``ord`` is given for a matrix (or
    ``dim`` is a pair and ``ord`` a matrix order)."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim)
    if isinstance(ord, str) or (dim is None and A.dim() == 2) or (dim is not None and len(dim) == 2):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim)
    return vector_norm(A, ord, dim, keepdim)
