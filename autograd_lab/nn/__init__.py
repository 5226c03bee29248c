"""``torch.nn``: Module, Parameter, layers, losses, ``functional`` and ``init``."""
from . import functional, init  # noqa: F401
from .layers import (ELU, GELU, Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax,  # noqa: F401
                     ModuleList, ReLU, Sequential, SiLU, Sigmoid, Softmax, Softplus, Tanh)
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss  # noqa: F401
from .module import Module  # noqa: F401
from .parameter import Parameter  # noqa: F401
# sequence layers
from .sparse import Embedding  # noqa: F401
