"""``torch.linalg``: the linear-algebra functions under their PyTorch names."""
from .ops.linalg import matmul  # noqa: F401
from .ops.svd import LinalgSvdBackward0, _check_input, linalg_svd_result


def svd(A, full_matrices=True, *, driver=None):
    """``torch.linalg.svd``: A = U·diag(S)·Vh."""
    _check_input(A)
    return linalg_svd_result(LinalgSvdBackward0.apply(A, full_matrices=full_matrices, _num_outputs=3))


def svdvals(A, *, driver=None):
    """``torch.linalg.svdvals``: the singular values only (the same node; U and Vh are not returned)."""
    _check_input(A)
    return LinalgSvdBackward0.apply(A, full_matrices=False, _num_outputs=3)[1]
