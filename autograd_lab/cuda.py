"""``torch.cuda`` as a CPU-only build of PyTorch answers it: no device, and the calls that need one
fail with PyTorch's own assertion. Tutorials' ``device = "cuda" if torch.cuda.is_available() else
"cpu"`` picks the CPU."""
from ._device import NO_CUDA


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def is_bf16_supported(including_emulation=True):
    return False


def _unavailable(*args, **kwargs):
    raise AssertionError(NO_CUDA)


init = current_device = synchronize = get_device_name = get_device_capability = get_device_properties = \
    mem_get_info = ipc_collect = initial_seed = get_rng_state = get_rng_state_all = set_rng_state = _unavailable


def _nothing(*args, **kwargs):
    """Seeding the CUDA generators is lazy in PyTorch: without CUDA nothing happens."""


manual_seed = manual_seed_all = seed = seed_all = empty_cache = _nothing


def memory_allocated(device=None):
    return 0


memory_reserved = max_memory_allocated = max_memory_reserved = memory_allocated
