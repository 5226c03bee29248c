"""Which module made each op: ``track_modules(model)`` groups a drawing by ``nn.Module``.

Inside ``with track_modules(model):``, a forward hook on every submodule walks back from the
module's outputs to its inputs and writes the module's name into each op's ``metadata["module"]``
(the public field both libraries give every node). A drawing then puts those ops, with the
parameters named ``"<module>.weight"``, in one box per module, nested along the dots. Modules run
inside out, so an op keeps the innermost module's name; the outer module's walk passes through.
Works alike on an autograd_lab model and a real ``torch.nn`` one.
"""
from . import view


def _tensors(value):
    if view.is_tensor(value):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def module_label(module):
    """"Linear(2→16)", "Conv2d(3→8, 3×3)", or the class name: what a layer's box is called."""
    kind = type(module).__name__
    if hasattr(module, "in_features") and hasattr(module, "out_features"):
        return f"{kind}({module.in_features}→{module.out_features})"
    if hasattr(module, "in_channels") and hasattr(module, "out_channels"):
        k = getattr(module, "kernel_size", None)
        k = "×".join(str(v) for v in k) if isinstance(k, (tuple, list)) else k
        return f"{kind}({module.in_channels}→{module.out_channels}" + (f", {k}" if k else "") + ")"
    return kind



class track_modules:
    """``with track_modules(model): loss = loss_fn(model(x), y)`` tags the ops each submodule made.

    Also usable without ``with``: ``tracker = track_modules(model)`` ... ``tracker.remove()``.
    """

    def __init__(self, model):
        self._handles = []
        self._inputs = {}  # id(module) -> ids of the grad_fns its inputs came from
        for name, module in model.named_modules():
            if not name:
                continue  # the model itself: one box around everything says nothing
            self._handles.append(module.register_forward_pre_hook(self._enter))
            self._handles.append(module.register_forward_hook(self._leave(name, module_label(module))))

    def _enter(self, module, args):
        self._inputs.setdefault(id(module), []).append(
            {id(t.grad_fn) for t in _tensors(args) if t.grad_fn is not None})

    def _leave(self, name, label):
        def hook(module, args, output):
            stack = self._inputs.get(id(module))
            boundary = stack.pop() if stack else set()
            nodes = [t.grad_fn for t in _tensors(output) if t.grad_fn is not None]
            seen = set()
            while nodes:
                node = nodes.pop()
                if id(node) in seen or id(node) in boundary or view.is_accumulate(node):
                    continue
                seen.add(id(node))
                if node.metadata.setdefault("module", name) == name:
                    node.metadata.setdefault("module_label", label)
                nodes.extend(nxt for nxt, _ in node.next_functions if nxt is not None)
        return hook

    def remove(self):
        for h in self._handles:
            h.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
