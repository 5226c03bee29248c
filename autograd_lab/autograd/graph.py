"""``torch.autograd.graph``: the Node base class (for isinstance checks) and hooks on saved tensors.

Every tensor an op saves for backward goes through one ``SavedTensor`` holder (node.py). Inside
``saved_tensors_hooks(pack_hook, unpack_hook)`` the holder calls ``pack_hook(tensor)`` when the op
saves it and keeps only what that returns; backward (or reading ``grad_fn._saved_self``) calls
``unpack_hook(packed)`` each time it needs the tensor back. What you can do with that: keep saved
activations compressed, on disk, or (in PyTorch) on the CPU while the model runs on a GPU.
"""
import contextlib
import weakref

from .. import engine
from ..node import Node, saved_tensors_hooks_stack  # noqa: F401  (Node: isinstance(x.grad_fn, Node))
from ..node import RemovableHandle  # noqa: F401

_disabled = [None]  # the error message while disable_saved_tensors_hooks is active


class saved_tensors_hooks:
    """``with saved_tensors_hooks(pack_hook, unpack_hook):`` tensors saved in the block are packed;
    blocks nest (the innermost pair applies)."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _disabled[0] is not None:
            raise RuntimeError(_disabled[0])
        saved_tensors_hooks_stack.append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *exc):
        saved_tensors_hooks_stack.pop()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept on the CPU and moved back to their device for backward. Everything
    lives on the CPU here, so the pair of hooks passes the tensors through, as in PyTorch on a CPU."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(tensor):
            return (tensor.device, tensor.cpu())

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Inside, entering ``saved_tensors_hooks`` raises RuntimeError(error_message)."""
    previous = _disabled[0]
    _disabled[0] = error_message
    try:
        yield
    finally:
        _disabled[0] = previous


def increment_version(tensor):
    """Bump the version counter of ``tensor`` (or of each tensor in an iterable), as an in-place op would."""
    from ..tensor import Tensor
    for t in (tensor,) if isinstance(tensor, Tensor) else tensor:
        t._bump_version()


class _MultiHandle:
    """Removes every hook that register_multi_grad_hook put on its tensors."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for h in self.handles:
            h.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """``mode="all"``: ``fn(grads)`` once per backward pass, when every tensor of ``tensors`` that the
    pass reaches has its gradient (None for the others). ``mode="any"``: ``fn(grad)`` with the first
    gradient computed, once per pass."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    # backward pass (GraphTask) -> what has arrived in it; weak, so that a pass that ended (or never
    # reached every tensor) is not kept alive, with its graph, by a hook that outlives it
    seen = weakref.WeakKeyDictionary()
    if mode == "any":
        def first(grad):
            task = engine.running[-1]
            if task not in seen:
                seen[task] = True
                fn(grad)
        return _MultiHandle(tuple(t.register_hook(first) for t in tensors if t.requires_grad))
    nodes = [t.grad_fn if t.grad_fn is not None else t._grad_accumulator() for t in tensors]

    def collector(i):
        def hook(grad):
            task = engine.running[-1]
            if task not in seen:  # first arrival: how many of the tensors will this pass reach?
                seen[task] = [sum(map(engine.will_execute, nodes)), [None] * len(tensors)]
            state = seen[task]
            state[1][i] = grad
            state[0] -= 1
            if state[0] == 0:
                del seen[task]
                fn(state[1])
        return hook
    return _MultiHandle(tuple(t.register_hook(collector(i)) for i, t in enumerate(tensors)))
