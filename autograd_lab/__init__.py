"""autograd_lab: PyTorch's autograd on NumPy, written to be read, with a graph you can watch.

``import autograd_lab as torch`` and a PyTorch autograd tutorial prints the same thing.
"""
from . import _dtype
from .anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: F401
from ._dtype import (bool_ as bool, contiguous_format, dtype, float16, float32, float64,  # noqa: F401
                     get_default_dtype, int8, int16, int32, int64, memory_format, preserve_format,
                     set_default_dtype, uint8)
from ._printing import get_printoptions, printoptions, set_printoptions  # noqa: F401
from .factories import (arange, as_tensor, bernoulli, empty, empty_like, eye, from_numpy, full, full_like,  # noqa: F401
                        linspace, multinomial, normal, ones, ones_like, rand, rand_like, randint, randint_like,
                        randn, randn_like, randperm, tensor, zeros, zeros_like)
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,  # noqa: F401
                        no_grad, set_grad_enabled)
from .tensor import Size, Tensor, device  # noqa: F401
from .legacy_types import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor,  # noqa: F401
                           IntTensor, LongTensor, ShortTensor)
from ._device import get_default_device, set_default_device  # noqa: F401
from . import autograd  # noqa: F401,E402
from . import new_factories as _new_factories  # noqa: E402,F401  (declares x.new_ones ... with @public)
from .ops import index_add as _index_add, inplace_views as _inplace_views, rounding_trig as _rounding_trig  # noqa: E402,F401
from .ops import bitwise_unique_cross as _bitwise_unique_cross  # noqa: E402,F401
from .ops import _methods, api as _api, random_fill as _random_fill, registry as _registry  # noqa: E402,F401  (modules declaring @public ops)
from .ops import triangular as _triangular  # noqa: E402,F401
from .ops import svd as _svd, gather_scatter as _gather_scatter, nn_functions as _nn_functions  # noqa: E402,F401
from .ops import inverse as _inverse  # noqa: E402,F401

# torch.add, x.add(), x.add_() ...: each op is declared once, next to its function (ops/registry.py)
_registry.install(globals(), Tensor)
_methods.register()

# NumPy warns on inf/NaN arithmetic ("invalid value encountered in multiply"); PyTorch is silent and
# lets the values propagate. Silence NumPy's RuntimeWarnings raised from our own op code only.
import warnings as _warnings  # noqa: E402
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"autograd_lab(\.|$)")

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16

__version__ = "0.1.0"


def trace(input=True):
    """Two things share this name. ``trace(matrix)`` is PyTorch's sum of the diagonal;
    ``trace()`` / ``trace(False)`` (with ``with`` or as a call) records where each node was made."""
    if isinstance(input, Tensor):
        from .ops.linalg import TraceBackward0
        return TraceBackward0.apply(input)
    from .anomaly import trace as switch
    return switch(input)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def save(obj, f, *args, **kwargs):
    from .serialization import save as _save
    return _save(obj, f, *args, **kwargs)


def load(f, *args, **kwargs):
    from .serialization import load as _load
    return _load(f, *args, **kwargs)


def manual_seed(seed):
    from . import random
    return random.manual_seed(seed)


def seed():
    from . import random
    return random.seed()


def initial_seed():
    from . import random
    return random.initial_seed()


def get_rng_state():
    from . import random
    return tensor(random.get_rng_state(), dtype=uint8)


def set_rng_state(state):
    from . import random
    random.set_rng_state(state.numpy() if isinstance(state, Tensor) else state)


def __getattr__(name):
    # nn, optim and friends load on first use: ``import autograd_lab`` stays light
    import importlib
    if name in ("nn", "optim", "random", "utils", "testing", "cuda", "backends", "accelerator", "func", "profiler", "serialization", "linalg"):
        return importlib.import_module("." + name, __name__)
    if name == "vmap":
        from .func import vmap
        return vmap
    if name == "Generator":
        from .generator import Generator
        return Generator
    if name == "default_generator":
        from .random import default_generator
        return default_generator
    raise AttributeError(f"module 'autograd_lab' has no attribute '{name}'")


def load_ipython_extension(ip):
    """``%load_ext autograd_lab``: rich display of tensors and graphs, engine errors drawn on the graph."""
    from .ipython import load_ipython_extension as load
    load(ip)


def unload_ipython_extension(ip):
    from .ipython import unload_ipython_extension as unload
    unload(ip)
