"""``torch.device`` and the default device. Only the CPU runs here; asking for CUDA or MPS fails
with the error a CPU build of PyTorch gives, so ``device = "cuda" if torch.cuda.is_available() else
"cpu"`` and the rest of a tutorial's boilerplate behave as they do on a machine without a GPU."""
import re

TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
         "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
NO_CUDA = "Torch not compiled with CUDA enabled"
NO_MPS = "PyTorch is not linked with support for mps devices"
# the first paragraph of PyTorch's dispatcher error when a factory is asked for an MPS tensor
NO_MPS_KERNEL = (
    "Could not run 'aten::empty.memory_format' with arguments from the 'MPS' backend. This could be because "
    "the operator doesn't exist for this backend, or was omitted during the selective/custom build process "
    "(if using custom build). If you are a Facebook employee using PyTorch on mobile, please visit "
    "https://fburl.com/ptmfixes for possible resolutions.")
# PyTorch's own pattern; compiled (and cached by re) at the first string with an index, not at import
_DEVICE_STRING = r"([a-zA-Z_]+)(?::([1-9]\d*|0))?"
NO_ACCELERATOR = "Cannot access accelerator device when none is available."


class device:
    """``device('cpu')``, ``device('cuda:0')``, ``device('cuda', 1)``: a type and an optional index.
    Any device PyTorch names can be described; only ``cpu`` can hold a tensor."""

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError(NO_ACCELERATOR)
        elif not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({_typename(type)}), "
                            "but expected one of:\n * (torch.device device)\n * (str type, int index = -1)\n")
        elif type not in TYPES:  # a bare type ("cpu", what most calls pass) needs no pattern
            m = re.fullmatch(_DEVICE_STRING, type)
            if m is None:
                raise RuntimeError(f"Invalid device string: '{type}'")
            if m[1] not in TYPES:
                raise RuntimeError(f"Expected one of {', '.join(TYPES)} device type at start of device string: {type}")
            if m[2] is not None:
                if index is not None:
                    raise RuntimeError(f"type (string) must not include an index because index was passed "
                                       f"explicitly: {type}")
                index = int(m[2])
            type = m[1]
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self._type, self._index = type, index

    @property
    def type(self):
        return self._type

    @property
    def index(self):
        return self._index

    def __repr__(self):
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __eq__(self, other):
        # as PyTorch: a device equals only a device (``t.device == 'cpu'`` is False)
        return isinstance(other, device) and (self._type, self._index) == (other._type, other._index)

    def __hash__(self):
        return hash((self._type, self._index))


def _typename(x):
    return type(x).__name__


CPU = device("cpu")
_default = [None]  # what set_default_device chose (None: the CPU)


def set_default_device(d):
    _default[0] = None if d is None else device(d)


def get_default_device():
    d = _default[0]
    if d is None:
        return CPU
    check(d)
    return d


def check(d, factory=True):
    """Fail as a CPU build of PyTorch does when a tensor is to live on ``d``; return nothing.
    ``factory``: creating a tensor there (rather than moving one with ``.to``)."""
    if d is None:
        d = _default[0]
        if d is None:
            return
    if not isinstance(d, device):
        d = device(d)
    if d.type == "cpu":
        return
    if d.type == "cuda":
        raise AssertionError(NO_CUDA)
    if d.type == "mps":
        if factory:
            raise NotImplementedError(NO_MPS_KERNEL)
        raise RuntimeError(NO_MPS)
    raise RuntimeError(f"autograd_lab runs on the CPU only; got device '{d}'")
