"""The Tensor: a NumPy array plus what autograd needs (requires_grad, grad, grad_fn, version)."""
import numbers
import warnings
import weakref

import numpy as np

from . import _device, _dtype, grad_mode
from ._device import device
from ._dtype import dtype as _dtype_cls
from ._printing import shape_str
from . import node as _node
from .node import AccumulateGrad, _add_hook, _Hooks

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
    "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
    "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
    "by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
    "for more information. (Triggered internally at /__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:493.)")


class Size(tuple):
    """``torch.Size``: a tuple that prints as ``torch.Size([2, 3])``."""

    def __repr__(self):
        return f"torch.Size([{', '.join(str(int(s)) for s in self)}])"

    __str__ = __repr__

    def numel(self):
        return int(np.prod(self, dtype=np.int64))

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r


_CPU = _device.CPU
_warned_float = [False]


def _edge_of(t):
    """The (node, output_nr) a gradient for ``t`` must be sent to."""
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (t._grad_accumulator(), 0)


def to_args(args, kwargs):
    """The dtype that ``Tensor.to`` / ``Module.to`` arguments ask for (None: keep), after checking
    the device they name: dtype, device, another tensor, positionally or as keywords."""
    target = kwargs.get("dtype")
    where = kwargs.get("device")
    for a in args:
        if isinstance(a, _dtype_cls):
            target = a
        elif isinstance(a, Tensor):
            target = a.dtype
        elif isinstance(a, (str, device, numbers.Integral)):
            where = a
    if where is not None:
        _device.check(device(where), factory=False)
    return target


_TO_OVERLOADS = (
    " * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None)\n"
    " * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = "
    "None)\n"
    " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)\n")


def _to_signature_error(args, kwargs):
    """PyTorch's argument-parser message for a call of ``to`` that matches no overload."""
    def kind(v):
        if isinstance(v, Tensor):
            return "Tensor"
        if isinstance(v, (_dtype_cls, device)):
            return f"torch.{type(v).__name__}"
        return type(v).__name__
    got = "".join(f"{kind(a)}, " for a in args) + "".join(f"{k}={kind(kwargs[k])}, " for k in sorted(kwargs))
    if args:  # the parser trims the last separator only after positional arguments
        got = got[:-2]
    return f"to() received an invalid combination of arguments - got ({got}), but expected one of:\n{_TO_OVERLOADS}"


class Tensor:
    """A multi-dimensional array that can record the operations applied to it."""

    # ``type(t)`` prints <class 'torch.Tensor'> as in PyTorch; pickling is unaffected, since instances
    # pickle through __reduce_ex__ (a function of this module), never by the class's name
    __module__ = "torch"

    __array_priority__ = 1000  # so numpy scalars on the left defer to our operators
    # defaults on the class: most tensors never get history, hooks or a grad, and ops make many
    grad_fn = None
    _grad = None
    _output_nr = 0
    _base = None
    _accumulator = None
    _backward_hooks = None
    _retains_grad = False
    _wrapped_number = False  # True on WrappedNumber (below): a Python number an op turned into a tensor
    _fw_grads = None  # {forward-AD level: tangent} for dual tensors (see _forward.py)

    def __new__(cls, *args, **kwargs):
        """The legacy constructor: ``Tensor([1, 2])`` is float data, ``Tensor(2, 3)`` a 2x3 tensor."""
        if kwargs:
            raise TypeError(f"new(): unexpected keyword arguments {sorted(kwargs)}")
        dt = _dtype.get_default_dtype()
        if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray, Tensor)):
            data = args[0]._data if isinstance(args[0], Tensor) else args[0]
            return cls._make(np.array(data, dtype=dt.np), dtype=dt)
        if not all(isinstance(a, numbers.Integral) for a in args):
            raise TypeError("new(): argument 'size' must be tuple of ints")
        return cls._make(np.zeros(args if args else (0,), dtype=dt.np), dtype=dt)

    @classmethod
    def _make(cls, array, requires_grad=False, dtype=None):
        if type(array) is not np.ndarray:
            array = np.asarray(array)  # NumPy turns 0-d results into scalars; keep a writable array
        t = object.__new__(cls)
        t._data = array
        t._dtype = dtype if dtype is not None else _dtype.from_numpy_dtype(array.dtype)
        t._requires_grad = requires_grad
        t._version_box = [0]
        return t

    # ---- basic properties ----
    @property
    def dtype(self):
        return self._dtype

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return self.shape
        return self._data.shape[self._wrap_dim(dim)]

    def stride(self, dim=None):
        """Steps in elements between neighbours along each dim (the layout PyTorch would give)."""
        a = self._data
        if a.size:
            steps = tuple(st // a.itemsize for st in a.strides)
        else:  # NumPy gives an empty array zero strides; PyTorch the row-major ones (sizes read as >= 1)
            steps, step = [], 1
            for n in reversed(a.shape):
                steps.insert(0, step)
                step *= max(n, 1)
            steps = tuple(steps)
        if dim is None:
            return steps
        return steps[self._wrap_dim(dim)]

    def dim(self):
        return self._data.ndim

    ndim = property(dim)
    ndimension = dim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    @property
    def device(self):
        return _CPU

    @property
    def is_cuda(self):
        return False

    def is_floating_point(self):
        return self._dtype.is_floating_point

    def is_complex(self):
        return self._dtype.is_complex

    def element_size(self):
        return self._dtype.itemsize

    def _wrap_dim(self, dim, ndim=None):
        n = self._data.ndim if ndim is None else ndim
        lo, hi = (-n, n - 1) if n > 0 else (-1, 0)
        if not isinstance(dim, numbers.Integral):
            raise TypeError(f"dim must be an int, not {type(dim).__name__}")
        if dim < lo or dim > hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
        return dim % n if n > 0 else 0

    # ---- autograd state ----
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._set_requires_grad(value, "only Tensors of floating point and complex dtype can require gradients")

    def _set_requires_grad(self, value, int_message):
        if self.grad_fn is not None:
            hint = "" if value else (" If you want to use a computed variable in a subgraph that doesn't "
                                     "require differentiation use var_no_grad = var.detach().")
            raise RuntimeError("you can only change requires_grad flags of leaf variables." + hint)
        if value and not (self._dtype.is_floating_point or self._dtype.is_complex):
            raise RuntimeError(int_message)
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.grad_fn is not None:
            return self  # a non-leaf already requires grad: nothing to change (the setter refuses)
        # PyTorch words the integer-dtype error differently here than in the attribute setter
        self._set_requires_grad(requires_grad, "only Tensors of floating point dtype can require gradients")
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{shape_str(value.shape)}' to a tensor of "
                    f"size '{shape_str(self.shape)}'. Please ensure that the gradient and the tensor are the same size")
            if value.dtype is not self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype.c_name}' to a tensor with grad_dtype "
                    f"'{self.dtype._legacy[:-len('Tensor')]}'. The gradient must match the tensor's grad_dtype "
                    "(defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific "
                    "dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor "
                    "and its gradient may break downstream systems that assume they match.")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self):
        return self._retains_grad

    @property
    def output_nr(self):
        return self._output_nr

    @property
    def _version(self):
        return self._version_box[0]

    def _bump_version(self):
        self._version_box[0] += 1

    def _grad_accumulator(self):
        acc = self._accumulator() if self._accumulator is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._accumulator = weakref.ref(acc)
        return acc

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves keep it anyway)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        self.grad_fn._retains_grad = self.grad_fn._retains_grad or {}
        self.grad_fn._retains_grad[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook):
        """``hook(grad)`` runs when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._register_tensor_hook(self._output_nr, hook)
        if self._backward_hooks is None:
            self._backward_hooks = _Hooks()
        return _add_hook(self._backward_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor w.r.t. the graph leaves; see ``autograd.backward``."""
        from .autograd import backward
        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    def detach(self):
        """The same data, cut from the graph (shares memory and version counter)."""
        t = Tensor._make(self._data, dtype=self._dtype)
        t._version_box = self._version_box
        return t

    def detach_(self):
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead. If you are using "
                               "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view "
                               "is set as True, gradients are views of DDP buckets, and hence detach_() "
                               "cannot be called on these gradients. To fix this error, please refer to "
                               "the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        """The values without history: shares memory but not the version counter (so edits are unchecked)."""
        return Tensor._make(self._data, dtype=self._dtype)

    @data.setter
    def data(self, value):
        self._data = value._data
        self._dtype = value._dtype

    # ---- conversion ----
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data if dtype is None else self._data.astype(dtype)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __float__(self):
        if self._requires_grad and not _warned_float[0]:
            _warned_float[0] = True  # PyTorch warns once per process
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                          "Consider using tensor.detach() first. (Triggered internally at "
                          "/__w/pytorch/pytorch/torch/csrc/autograd/generated/python_variable_methods.cpp:822.)",
                          UserWarning, stacklevel=2)
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def __index__(self):
        if self._dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr
        extra = ()
        if self._fw_grads is not None:
            from ._forward import first_tangent
            tangent = first_tangent(self)
            if tangent is not None:  # a 0-d tangent prints as a Python number, as in PyTorch
                extra = (f"tangent={float(tangent._data) if tangent.dim() == 0 else tangent!r}",)
        return tensor_repr(self._data, dtype_name=self._dtype.name,
                           default_float=_dtype.get_default_dtype().name,
                           requires_grad=self._requires_grad,
                           grad_fn_name=type(self.grad_fn).__name__ if self.grad_fn is not None else None,
                           is_leaf=self.grad_fn is None, extra_suffixes=extra)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0 and spec:
            return self.item().__format__(spec)
        return str(self)

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                               "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        t = type(self)._make(self._data.copy(), requires_grad=self._requires_grad, dtype=self._dtype)
        if self._grad is not None:
            t._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = t
        return t

    # ---- type conversion (differentiable casts) ----
    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; a cast is differentiable
        (ToCopyBackward0). Only the CPU exists: other devices fail as in a CPU build of PyTorch."""
        unknown = set(kwargs) - {"dtype", "device", "non_blocking", "copy", "memory_format"}
        if unknown:  # e.g. the old tutorials' to(requires_grad=True)
            raise TypeError(_to_signature_error(args, kwargs))
        target = to_args(args, kwargs)
        if not kwargs.get("copy", False) and (target is None or target is self._dtype):
            return self
        from .ops.arithmetic import ToCopyBackward0
        return ToCopyBackward0.apply(self, dtype=target or self._dtype)

    def type(self, dtype=None):
        if dtype is None:
            return f"torch.{self._dtype._legacy}"
        return self.to(dtype)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def bool(self):
        return self.to(_dtype.bool_)

    def half(self):
        return self.to(_dtype.float16)

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        if device is not None and not isinstance(device, str):
            _device.device(device)  # an index alone: PyTorch's "no accelerator" error
        raise AssertionError(_device.NO_CUDA)

    @property
    def is_cpu(self):
        return True

    def get_device(self):
        return -1

    def contiguous(self, memory_format=None):
        return self

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def __setstate__(self, state):
        self.__dict__.update(state)


def reset_grad(p, set_to_none=True):
    """What ``zero_grad`` does to one parameter (shared by nn.Module and optim.Optimizer)."""
    if p._grad is None:
        return
    if set_to_none:
        p._grad = None
        return
    g = p._grad
    if g.grad_fn is not None:
        g.detach_()
    else:
        g.requires_grad_(False)
    with grad_mode.no_grad():
        g.zero_()


_node.Tensor = Tensor  # the graph layer below builds op outputs with it (node.py cannot import this module)


class WrappedNumber(Tensor):
    """A Python number an op turned into a 0-d tensor (``x * 2.0``): PyTorch flags these
    (``is_wrapped_number``) and never passes them through saved-tensor hooks. A class, not a flag set
    on each instance: an extra instance attribute would cost every graph node a bigger ``__dict__``."""
    __module__ = "torch"
    __qualname__ = __name__ = "Tensor"  # prints as PyTorch's, where it is a plain Tensor
    _wrapped_number = True


def _rebuild(data, requires_grad):
    return Tensor._make(data, requires_grad=requires_grad)
