"""dtypes as PyTorch names them (``torch.float32``), each backed by a NumPy dtype; memory formats."""
import numpy as np


class dtype:
    """A tensor element type. ``repr`` is PyTorch's (``torch.float32``) so tutorials print the same."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_legacy",
                 "scalar_name", "c_name")

    def __init__(self, name, np_dtype, legacy, c_name):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_complex = self.np.kind == "c"
        self.is_signed = self.np.kind in "fic"
        self.itemsize = self.np.itemsize
        self._legacy = legacy  # the old tensor-type name PyTorch still uses in error messages
        # the two other names its messages use: c10's ScalarType ("expected scalar type Float") and the
        # C++ element type ("got mask with dtype long int")
        self.scalar_name = legacy[:-len("Tensor")]
        self.c_name = c_name

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


float32 = dtype("float32", np.float32, "FloatTensor", "float")
float64 = dtype("float64", np.float64, "DoubleTensor", "double")
float16 = dtype("float16", np.float16, "HalfTensor", "c10::Half")
int64 = dtype("int64", np.int64, "LongTensor", "long int")
int32 = dtype("int32", np.int32, "IntTensor", "int")
int16 = dtype("int16", np.int16, "ShortTensor", "short int")
int8 = dtype("int8", np.int8, "CharTensor", "signed char")
uint8 = dtype("uint8", np.uint8, "ByteTensor", "unsigned char")
bool_ = dtype("bool", np.bool_, "BoolTensor", "bool")

class memory_format:
    """``torch.memory_format``: how ``clone`` lays its copy out in memory."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")


ALL = (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
_NAMES.update(float=float32, double=float64, half=float16, long=int64, int=int32, short=int16)
_default_float = [float32]


def _by_name(name):
    return _NAMES[name]


def get_default_dtype():
    return _default_float[0]


def set_default_dtype(d):
    if d not in (float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default_float[0] = d


def from_numpy_dtype(np_dtype):
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. "
                        "The only supported types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


def to_dtype(d, fn="tensor"):
    """Accept what PyTorch accepts for ``dtype=``: a torch dtype, or Python's float/int/bool."""
    if d is None or isinstance(d, dtype):
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not {type(d).__name__}")


def category(d):
    """0 bool, 1 integer, 2 floating: the order PyTorch's type promotion climbs."""
    return 2 if d.is_floating_point else (0 if d is bool_ else 1)


def promote(a, b):
    if a is b:
        return a
    return from_numpy_dtype(np.promote_types(a.np, b.np))
