"""Lazy layers: the input size is read off the first input, then the layer becomes the plain one."""
from .layers import Linear
from .module import Module
from .parameter import UninitializedParameter


class LazyModuleMixin:
    """Parameters start as UninitializedParameter; a forward pre-hook sizes and initialises them
    from the first call's arguments (``initialize_parameters``) and turns the module into
    ``cls_to_become``."""

    cls_to_become = None

    def _register_lazy_hook(self):
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self):
        params = list(self._parameters.values()) + list(self._buffers.values())
        return any(isinstance(p, UninitializedParameter) for p in params)


def _infer_parameters(module, args):
    module.initialize_parameters(*args)
    if not module.has_uninitialized_params():
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose in_features is the last dim of the first input. Until then it prints
    ``in_features=0``; the first forward draws the weights exactly as ``Linear(in, out)`` would."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features = 0
        self.out_features = out_features
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self._register_lazy_hook()

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
