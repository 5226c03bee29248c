"""``torch.nn``: Module, Parameter, layers, losses, ``functional`` and ``init``."""
from . import functional, init  # noqa: F401
from .layers import (Dropout, Flatten, Identity, Linear, LogSoftmax, ModuleList, ReLU,  # noqa: F401
                     Sequential, Sigmoid, Softmax, Tanh)
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss  # noqa: F401
from .module import Module  # noqa: F401
from .parameter import Parameter  # noqa: F401
