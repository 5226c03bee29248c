"""``torch.autograd``: backward, grad, custom Functions, gradcheck, functional transforms."""
import importlib

import numpy as np

from .. import _warnings, engine
from ..anomaly import detect_anomaly, set_detect_anomaly  # noqa: F401
from ..grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: F401
from ..tensor import Tensor, _edge_of
from .variable import Variable  # noqa: F401


def _as_tuple(x):
    """A "Tensor or sequence of Tensors" argument as a tuple: one Tensor (or any one value that is
    not a sequence) is the only item. backward, grad and gradcheck take their arguments this way."""
    if isinstance(x, Tensor) or not hasattr(type(x), "__iter__"):
        return (x,)
    return tuple(x)


def _grads_for(outputs, grads):
    """The gradients backward starts from, one per output (ones for a scalar where none is given);
    too few is PyTorch's engine error, extra ones are dropped, as PyTorch does."""
    grads = _make_grads(outputs, (None,) * len(outputs) if grads is None else _as_tuple(grads))
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    return grads


def _make_grads(outputs, grads):
    out = []
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if g is None:
            if o.requires_grad and o.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = Tensor._make(np.ones(o.shape, o.dtype.np))
        else:
            if not isinstance(g, Tensor):
                g = Tensor._make(np.asarray(g, o.dtype.np))
            if g.shape != o.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                                   f"has a shape of {o.shape}.")
        out.append(g)
    return out


def _roots(outputs):
    for i, o in enumerate(outputs):
        if not o.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    return [_edge_of(o) for o in outputs]


CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
    "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
    "to None after use to break the cycle and avoid the leak.")
_warned_create_graph = [False]


def backward_steps(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """The engine generator for ``tensors.backward(...)``: one ``Step`` per node, for steppers."""
    tensors = _as_tuple(tensors)
    grads = _grads_for(tensors, grad_tensors)
    roots = _roots(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    edges = None
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for t in inputs:
            t.retain_grad()  # a leaf keeps its grad anyway; a non-leaf gets it this way (as PyTorch)
        edges = [_edge_of(t) for t in inputs]
    if create_graph and not _warned_create_graph[0]:
        _warned_create_graph[0] = True  # PyTorch warns once per process
        _warnings.warn(CREATE_GRAPH_WARNING)
    return engine.run(roots, grads, retain_graph=retain_graph, create_graph=create_graph, inputs=edges)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad``. If it fails, no ``.grad`` changes."""
    for _ in backward_steps(tensors, grad_tensors, retain_graph, create_graph, inputs):
        pass


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching any ``.grad``."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if allow_unused is None:
        allow_unused = materialize_grads
    grads = _grads_for(outputs, grad_outputs)
    roots = _roots(outputs)  # PyTorch checks the outputs before the inputs
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    captured = [None] * len(inputs)
    edges = [_edge_of(t) for t in inputs]
    for _ in engine.run(roots, grads, retain_graph=retain_graph, create_graph=create_graph, inputs=edges,
                        accumulate=False, captured=captured, require_all=not allow_unused):
        pass
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured)):
        if g is None:  # (unused inputs without allow_unused already failed inside the engine)
            if materialize_grads:
                g = Tensor._make(np.zeros(t.shape, t.dtype.np))
        elif g.dtype is not t.dtype:
            g = g.to(t.dtype)
        result.append(g)
    return tuple(result)


# as in PyTorch, the function names shadow the submodules of the same name
from . import graph  # noqa: E402,F401
from .function import Function  # noqa: E402,F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402,F401
from . import forward_ad  # noqa: E402,F401


def __getattr__(name):
    # torch.autograd.profiler and torch.autograd.functional load on first use: 2-3 ms each of
    # `import autograd_lab` for tools few programs touch (import time is one of the benchmarks)
    if name in ("profiler", "functional"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
