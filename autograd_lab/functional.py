"""``torch.functional``: the module where PyTorch writes a few tensor functions in Python. They are the
very functions found on ``torch`` itself; here, those autograd_lab has."""
from . import norm, split  # noqa: F401

__all__ = ["norm", "split"]
