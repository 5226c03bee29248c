"""``torch.save`` / ``torch.load``: objects (tensors, parameters, state dicts, optimizers' states)
to a file and back.

The file is a pickle, not PyTorch's zip format: autograd_lab reads what it wrote, and PyTorch does
not read it (nor autograd_lab PyTorch's). ``load`` unpickles only tensors, containers and plain
values unless ``weights_only=False``, as PyTorch does since 2.6, with PyTorch's error otherwise.
"""
import os
import pickle

DEFAULT_PROTOCOL = 4  # (PyTorch's is 2; 4 stores NumPy's bytes without a codecs call)

# what a weights-only load may rebuild: tensors (their NumPy data), containers and dtypes/devices
_SAFE = {
    ("collections", "OrderedDict"), ("collections", "defaultdict"), ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "slice"), ("builtins", "complex"), ("builtins", "bytearray"), ("_codecs", "encode"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("autograd_lab.tensor", "_rebuild"), ("autograd_lab.nn.parameter", "_rebuild_parameter"),
    ("autograd_lab.nn.parameter", "_rebuild_uninitialized"), ("autograd_lab._device", "device"),
}
_added = set()


def add_safe_globals(safe_globals):
    """Allow these classes/functions in weights-only loads too."""
    for g in safe_globals:
        _added.add((g.__module__, g.__qualname__))


def get_safe_globals():
    return sorted(_added)


def _refusal(module, name):
    return (
        "Weights only load failed. This file can still be loaded, to do so you have two options, \x1b[1mdo those "
        "steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) In PyTorch 2.6, we changed the default "
        "value of the `weights_only` argument in `torch.load` from `False` to `True`. Re-running `torch.load` with "
        "`weights_only` set to `False` will likely succeed, but it can result in arbitrary code execution. Do it "
        "only if you got the file from a trusted source.\n\t(2) Alternatively, to load with `weights_only=True` "
        "please check the recommended steps in the following error message.\n\tWeightsUnpickler error: Unsupported "
        f"global: GLOBAL {module}.{name} was not an allowed global by default. Please use "
        f"`torch.serialization.add_safe_globals([{module}.{name}])` or the "
        f"`torch.serialization.safe_globals([{module}.{name}])` context manager to allowlist this global if you "
        "trust this class/function.\n\nCheck the documentation of torch.load to learn more about types accepted by "
        "default with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


class _WeightsUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _SAFE or (module, name) in _added or (module == "numpy" and name.startswith("dtype")):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(_refusal(module, name))


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            pickle_module.dump(obj, fh, protocol=pickle_protocol)
    else:
        pickle_module.dump(obj, f, protocol=pickle_protocol)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """What ``save`` wrote. ``map_location`` may only name the CPU (or be omitted)."""
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        from . import _device
        if _device.device(map_location).type == "cuda":
            raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is "
                               "False. If you are running on a CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU.")
        _device.check(_device.device(map_location), factory=False)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return _load(fh, weights_only, pickle_module)
    return _load(f, weights_only, pickle_module)


def _load(fh, weights_only, pickle_module):
    if weights_only is False:
        return (pickle_module or pickle).load(fh)
    return _WeightsUnpickler(fh).load()
