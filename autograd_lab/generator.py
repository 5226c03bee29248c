"""``torch.Generator``: random.py's generator (PyTorch's CPU Mersenne Twister) with PyTorch's
tensor-facing surface: ``get_state()`` gives a uint8 tensor and ``set_state`` takes one."""
import numpy as np

from . import _dtype, random
from .tensor import Tensor


class Generator(random.Generator):
    def get_state(self):
        return Tensor._make(super().get_state(), dtype=_dtype.uint8)

    def set_state(self, new_state):
        return super().set_state(new_state._data if isinstance(new_state, Tensor) else np.asarray(new_state))

    def __repr__(self):
        return f"<torch._C.Generator object at {hex(id(self))}>"
