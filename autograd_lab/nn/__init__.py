"""``torch.nn``: Module, Parameter, layers, losses, ``functional`` and ``init``."""
from . import functional, init  # noqa: F401
from .layers import (ELU, GELU, Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax,  # noqa: F401
                     ModuleList, ReLU, Sequential, SiLU, Sigmoid, Softmax, Softplus, Tanh)
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss  # noqa: F401
from .module import Module  # noqa: F401
from .parameter import Parameter, UninitializedParameter  # noqa: F401
from . import parameter  # noqa: F401,E402
from .lazy import LazyLinear  # noqa: F401
# sequence layers
from .sparse import Embedding  # noqa: F401
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: F401
from .attention import MultiheadAttention  # noqa: F401
# convolutional networks
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm  # noqa: F401
from .padding import (ConstantPad1d, ConstantPad2d, ReflectionPad1d, ReflectionPad2d,  # noqa: F401
                      ReplicationPad1d, ReplicationPad2d, ZeroPad1d, ZeroPad2d)
from .layers import Dropout2d  # noqa: F401
from .pooling import AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d  # noqa: F401
