"""Embedding lookups: rows of a weight matrix picked by integer indices.

``out[..., :] = weight[indices[...], :]``. The gradient scatters back: every row of the weight gets
the sum of the gradients of the positions that picked it (PyTorch's ``embedding_dense_backward``).
"""
import numpy as np

from ..node import Node


def _counts(idx, num_weights):
    return np.bincount(idx.reshape(-1), minlength=num_weights)


class EmbeddingBackward0(Node):
    """out = weight[indices]        ∂weight = Σ over positions p with indices[p] = r of g[p], per row r
    (none for padding_idx; divided by how often r occurs when scale_grad_by_freq)"""

    def forward(self, weight, *, indices, padding_idx=-1, scale_grad_by_freq=False):
        self.num_weights, self.padding_idx, self.scale = weight.shape[0], padding_idx, scale_grad_by_freq
        self.indices = indices  # (for jvp; backward reads the saved copy, which knows when it was freed)
        self.save(indices=indices)
        return weight._data[indices._data]

    def jvp(self, dweight):
        """d(out) = dweight[indices]"""
        return EmbeddingBackward0.apply(dweight, indices=self.indices)

    def backward(self, g):
        return EmbeddingDenseBackwardBackward0.apply(g, indices=self.saved("indices"), num_weights=self.num_weights,
                                                     padding_idx=self.padding_idx,
                                                     scale_grad_by_freq=self.scale)


class EmbeddingDenseBackwardBackward0(Node):
    """out[r] = Σ_{p: indices[p] = r} g[p]  (embedding's backward; row padding_idx stays 0)
    ∂g = gg[indices], with the padding positions zeroed"""

    def forward(self, g, *, indices, num_weights, padding_idx, scale_grad_by_freq):
        self.padding_idx = padding_idx
        self.save(indices=indices)
        idx = indices._data.reshape(-1)
        rows = g._data.reshape(idx.shape[0], -1)
        out = np.zeros((num_weights, rows.shape[1]), g._data.dtype)
        np.add.at(out, idx, rows)
        if scale_grad_by_freq:
            counts = _counts(idx, num_weights)
            out /= np.maximum(counts, 1)[:, None].astype(out.dtype)
        if padding_idx >= 0:
            out[padding_idx] = 0
        return out

    def backward(self, gg):
        indices = self.saved("indices")
        picked = EmbeddingBackward0.apply(gg, indices=indices)
        if self.padding_idx >= 0:
            picked = picked.masked_fill((indices == self.padding_idx).unsqueeze(-1), 0.0)
        return picked


def embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rescale, in place and without a graph, each row that ``indices`` picks whose norm exceeds
    ``max_norm`` to norm max_norm (PyTorch divides by norm + 1e-7)."""
    data = weight._data
    rows = np.unique(indices._data.reshape(-1))
    # the norm in the weight's dtype, the factor in double, then cast: PyTorch's rounding
    norms = np.linalg.norm(data[rows], ord=norm_type, axis=1).astype(np.float64)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(data.dtype)
        data[rows[big]] *= scale[:, None]
        weight._bump_version()
    return weight
