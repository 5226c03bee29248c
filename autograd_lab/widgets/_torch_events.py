"""GradWatch's events for real ``torch`` tensors, from PyTorch's own hooks.

autograd_lab's engine tells its observers about each accumulation and the end of each pass. For a
torch tensor the same events come from PyTorch:
- a tensor hook (``register_hook``) runs when a gradient for the tensor arrives: the tensor is
  touched in this pass, and a final callback is queued on PyTorch's engine (once per pass), which
  runs when the whole backward has finished: the "done" event;
- ``register_post_accumulate_grad_hook`` runs once a leaf's ``.grad`` is written: the live update;
- PyTorch's global optimizer step hook gives "optimizer_step".
PyTorch has no hook for ``zero_grad``: a watched ``.grad`` found changed (None, or all zeros) when
the next gradient arrives is recorded then, as "zero_grad".
"""


class TorchEvents:
    """Calls ``on_event(event, payload)`` as autograd_lab's engine listeners are called."""

    def __init__(self, tensors, on_event):
        import torch
        import torch.optim.optimizer as optimizer
        self._torch = torch
        self._on_event = on_event
        self._task = None  # the backward pass a final callback is queued for
        self._handles = []
        for t in tensors:
            if t.requires_grad:
                self._handles.append(t.register_hook(self._arrives(t)))
                if t.is_leaf:
                    self._handles.append(t.register_post_accumulate_grad_hook(self._accumulated))
        self._handles.append(optimizer.register_optimizer_step_post_hook(self._stepped))

    def _arrives(self, tensor):
        def hook(grad):
            task = self._torch._C._current_graph_task_id()
            if task != self._task:  # the first watched gradient of this pass
                self._task = task
                self._on_event("pass_starts", None)
                self._torch.autograd.Variable._execution_engine.queue_callback(self._done)
            self._on_event("arrives", tensor)
        hook.__qualname__ = "GradWatch"  # how an inspector lists it among the tensor's hooks
        return hook

    def _accumulated(self, tensor):
        self._on_event("accumulate", (tensor, tensor.grad))

    def _done(self):
        self._task = None
        self._on_event("done", None)

    def _stepped(self, opt, args, kwargs):
        self._on_event("optimizer_step", opt)

    def remove(self):
        for h in self._handles:
            h.remove()
        self._handles = []
