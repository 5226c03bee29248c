"""``torch.utils``: the data loading tools (``torch.utils.data``)."""
from . import data  # noqa: F401
