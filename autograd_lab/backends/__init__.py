"""``torch.backends``: the flags tutorials read or set. No accelerator library is present."""
from . import cudnn, mps  # noqa: F401
