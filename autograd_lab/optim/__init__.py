"""``torch.optim``: SGD, Adam and AdamW on top of the Optimizer base class."""
from .adam import Adam, AdamW  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .sgd import SGD  # noqa: F401
