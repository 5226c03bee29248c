"""``torch.profiler``: the same recorder as ``torch.autograd.profiler``, with the newer API's
arguments (``activities=[ProfilerActivity.CPU]``, ``record_shapes=True``)."""
import enum

from .autograd.profiler import EventList, record_function  # noqa: F401
from .autograd.profiler import profile as _autograd_profile


class ProfilerActivity(enum.Enum):
    CPU = 0
    CUDA = 2
    MTIA = 3
    XPU = 4
    HPU = 5
    PrivateUse1 = 6


def supported_activities():
    return {ProfilerActivity.CPU}


class profile(_autograd_profile):
    """``with profile(activities=[ProfilerActivity.CPU]) as prof:``; ``prof.step()`` is accepted."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False,
                 use_cuda=None, custom_trace_id_callback=None):
        super().__init__(record_shapes=record_shapes, profile_memory=profile_memory, with_stack=with_stack,
                         with_flops=with_flops, with_modules=with_modules)

    def step(self):
        pass
