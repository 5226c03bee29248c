"""Graphs of realistic shape for the widget benchmark, built with autograd_lab itself.

Each builder takes a number of repeats (time steps, layers, blocks) and returns (loss, params);
`sized(kind, n)` picks the repeat count whose drawn graph (ops, leaves, saved tensors, as
GraphView draws it) comes closest to n nodes.
"""
import autograd_lab as torch
import autograd_lab.nn.functional as F


def rnn(steps, width=8, batch=2):
    """h = tanh(x_t @ W + h @ U) for `steps` time steps: every step's matmuls meet on the same W and U."""
    torch.manual_seed(0)
    xs = torch.randn(steps, batch, width)
    W = torch.randn(width, width, requires_grad=True)
    U = torch.randn(width, width, requires_grad=True)
    h = torch.zeros(batch, width)
    for t in range(steps):
        h = torch.tanh(xs[t] @ W + h @ U)
    return h.pow(2).mean(), {"W": W, "U": U}


def mlp(layers, width=8, batch=4):
    """A deep MLP: `layers` times relu(x @ W_i + b_i), then a mean-square loss."""
    torch.manual_seed(0)
    x = torch.randn(batch, width)
    params = {}
    for i in range(layers):
        W = torch.randn(width, width, requires_grad=True)
        b = torch.zeros(width, requires_grad=True)
        params[f"W{i}"], params[f"b{i}"] = W, b
        x = torch.relu(x @ W + b)
    return x.pow(2).mean(), params


def transformer(blocks, width=8, tokens=4):
    """`blocks` transformer-like blocks: single-head attention (q k^T / sqrt(d), softmax, @ v),
    a residual and a layer norm, then a two-layer feed-forward with its residual and layer norm."""
    torch.manual_seed(0)
    x = torch.randn(tokens, width)
    params = {}
    for i in range(blocks):
        Wq, Wk, Wv, Wo, W1, W2 = (torch.randn(width, width, requires_grad=True) for _ in range(6))
        params.update({f"Wq{i}": Wq, f"Wk{i}": Wk, f"Wv{i}": Wv, f"Wo{i}": Wo, f"W1_{i}": W1, f"W2_{i}": W2})
        q, k, v = x @ Wq, x @ Wk, x @ Wv
        att = torch.softmax(q @ k.t() / width ** 0.5, dim=-1)
        x = F.layer_norm(x + (att @ v) @ Wo, (width,))
        x = F.layer_norm(x + torch.relu(x @ W1) @ W2, (width,))
    return x.pow(2).mean(), params


BUILDERS = {"rnn": rnn, "mlp": mlp, "transformer": transformer}


def drawn_nodes(kind, repeats):
    from autograd_lab.viz import snapshot
    loss, params = BUILDERS[kind](repeats)
    return len(snapshot(loss, params=params).nodes)


def sized(kind, n):
    """(loss, params, repeats) with about n drawn nodes (the count grows linearly with the repeats)."""
    one, two = drawn_nodes(kind, 1), drawn_nodes(kind, 2)
    per = two - one
    repeats = max(1, round((n - (one - per)) / per))
    loss, params = BUILDERS[kind](repeats)
    return loss, params, repeats
