"""Custom autograd Functions: ``class MyFn(Function)`` with static ``forward(ctx, ...)`` and
``backward(ctx, ...)``, used as ``MyFn.apply(...)``.

Each Function subclass gets its own Node subclass, named ``<ClassName>Backward`` as in PyTorch,
and the node *is* the ``ctx``: what ``forward`` stores on ``ctx`` is there again in ``backward``
and on ``out.grad_fn``. Tensors saved with ``ctx.save_for_backward`` go through the same
``SavedTensor`` holders as every built-in op, so in-place edits and freed buffers raise the same
errors.
"""
import warnings

from .. import _forward, grad_mode
from ..node import Node, SavedTensor, notify, observers as node_observers, record
from ..tensor import Tensor


class FunctionCtx:
    """What ``forward`` can call on ``ctx`` (mixed into every ``<Name>Backward`` node class)."""

    def save_for_backward(self, *tensors):
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tensors

    def mark_dirty(self, *args):
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args):
        self.non_differentiable = args

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class BackwardCFunction(FunctionCtx, Node):
    """A node that runs a user-written backward. Subclassed once per Function (``MyFnBackward``)."""

    _forward_cls = None
    result = None  # ctx.result is the user's to set (Node.result is for built-in ops' saved output)
    materialize_grads = True
    to_save = ()
    dirty_tensors = ()
    non_differentiable = ()

    @property
    def saved_tensors(self):
        if self.__dict__.get("_in_jvp"):  # inside jvp, PyTorch hands back what save_for_forward kept
            return tuple(getattr(self, "saved_for_forward", ()))
        holders = self.__dict__.get("_saved_holders")
        if holders is None:
            return tuple(self.to_save) if self.to_save else ()
        return tuple(None if h is None else h.unpack() for h in holders)

    @property
    def needs_input_grad(self):
        return self._all_needs_input_grad

    def backward(self, *grads):
        fn = self._forward_cls
        name = self.name()
        with _once_guard(self):
            if fn.boxed_grads_call:  # one mutable list, so backward may drop grads as it goes
                result = _user_backward(fn)(self, list(grads))
            else:
                result = _user_backward(fn)(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_inputs = len(self._is_tensor_input)
        if len(result) > n_inputs and all(r is None for r in result[n_inputs:]):
            result = result[:n_inputs]
        if len(result) != n_inputs:
            raise RuntimeError(f"function {name} returned an incorrect number of gradients (expected {n_inputs}, "
                               f"got {len(result)})")
        out = []
        for i, (g, is_tensor) in enumerate(zip(result, self._is_tensor_input)):
            if not is_tensor:
                if g is not None:
                    raise RuntimeError(f"function {name} returned a gradient different than None at position "
                                       f"{i + 1}, but the corresponding forward input was not a Variable")
                continue
            out.append(g)
        return tuple(out)


class _once_guard:
    """``@once_differentiable`` backwards run without recording, whatever create_graph says."""

    def __init__(self, node):
        self.off = getattr(node._forward_cls.backward, "_once_differentiable", False)

    def __enter__(self):
        if self.off:
            self.ctx = grad_mode.no_grad()
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.off:
            self.ctx.__exit__(*exc)
        return False


def _user_backward(fn):
    """The backward a Function wrote: ``backward``, or ``vjp`` (its other name); not both."""
    wrote_backward = fn.backward is not Function.backward
    wrote_vjp = fn.vjp is not Function.vjp
    if wrote_backward and wrote_vjp:
        raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You should "
                           "only implement one of them.")
    return fn.vjp if wrote_vjp else fn.backward


class FunctionMeta(type):
    """Gives every Function subclass its node class, ``<ClassName>Backward``."""

    def __init__(cls, name, bases, attrs):
        backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        backward_cls.__qualname__ = name + "Backward"
        backward_cls.__module__ = "autograd_lab.autograd.function"
        cls._backward_cls = backward_cls
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Base class for custom differentiable operations.

    ``forward(ctx, *args)`` computes the result from tensors (grad mode is off inside);
    ``backward(ctx, *grad_outputs)`` returns one gradient per forward argument (None for
    arguments that are not tensors or need none). Call ``MyFn.apply(*args)``.

    ``boxed_grads_call = True`` makes backward receive the gradients as one list,
    ``backward(ctx, grads)``, which it may empty as it goes to free memory early."""

    boxed_grads_call = False

    def __init__(self, *args, **kwargs):
        warnings.warn(f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, "
                      "so you should invoke them on the class itself. Instantiating an autograd function will raise "
                      "an error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use "
                           "new-style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        return _apply(cls, args, kwargs)


def _uses_setup_context(cls):
    return any("setup_context" in k.__dict__ for k in cls.__mro__ if k is not Function and issubclass(k, Function))


def _apply(cls, args, kwargs):
    ctx = cls._backward_cls()
    is_tensor = tuple(isinstance(a, Tensor) for a in args)
    ctx._is_tensor_input = is_tensor
    ctx._all_needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    tensors = [a for a in args if isinstance(a, Tensor)]
    needs = grad_mode.is_grad_enabled() and any(t.requires_grad for t in tensors)

    # gradcheck's observers get the arguments as they were before forward could change them
    snapshot = [snapshot_arg(a) for a in args] if needs and node_observers else None
    dual = bool(_forward.levels) and any(t._fw_grads for t in tensors)
    with grad_mode.no_grad(), _forward.hidden(_forward.levels if dual else ()):
        # forward sees the values only; the tangents go through jvp below
        if _uses_setup_context(cls):
            raw = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, raw)
        else:
            raw = cls.forward(ctx, *args, **kwargs)

    single = not isinstance(raw, tuple)
    outputs = (raw,) if single else raw
    dirty = {id(t) for t in ctx.dirty_tensors}
    non_diff = {id(t) for t in ctx.non_differentiable}
    inputs_by_id = {id(a): a for a in tensors}

    wrapped = []
    for o in outputs:
        if not isinstance(o, Tensor):
            wrapped.append(o)
            continue
        if id(o) in dirty:
            if needs and o.grad_fn is None and o.requires_grad:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            o._bump_version()  # PyTorch counts the Function's in-place write once more
            wrapped.append(o)  # modified in place: the same tensor now carries the new history
        elif id(o) in inputs_by_id:
            alias = Tensor._make(o._data, dtype=o.dtype)  # an input returned as is: a view of it
            alias._version_box, alias._base = o._version_box, (o._base if o._base is not None else o)
            wrapped.append(alias)
        else:
            wrapped.append(o)

    if needs:
        ctx._needs_input_grad = tuple(t.requires_grad for t in tensors)
        pairs = [(raw_o, w) for raw_o, w in zip(outputs, wrapped) if isinstance(w, Tensor)]
        # integer outputs cannot carry gradients; marked ones carry none
        differentiable = [id(raw_o) not in non_diff and w.dtype.is_floating_point for raw_o, w in pairs]
        for (raw_o, w), d in zip(pairs, differentiable):
            if d:
                w._requires_grad = True
            elif id(raw_o) in non_diff:
                w._requires_grad, w.grad_fn = False, None
        ctx.num_outputs = len(pairs)
        record(ctx, tensors, [w for _, w in pairs], differentiable)
        if node_observers:
            notify(ctx, cls.apply, snapshot, kwargs)
    if dual:  # before the outputs are saved: a saved output keeps its tangents
        _forward_grads(cls, ctx, args, wrapped)
    _pack_saved(ctx, outputs, wrapped, needs)
    if single:
        return wrapped[0]
    return tuple(wrapped)


def _forward_grads(cls, ctx, args, wrapped):
    """Forward mode through a custom Function: ``cls.jvp(ctx, *input_tangents)`` gives one tangent per
    output (None for an output that has none), checked as PyTorch checks it."""
    non_diff = {id(t) for t in ctx.non_differentiable}

    def jvp(tangents):
        ctx._in_jvp = True
        try:
            result = cls.jvp(ctx, *tangents)
        finally:
            ctx._in_jvp = False
        result = result if isinstance(result, tuple) else (result,)
        if len(result) != len(wrapped):
            raise RuntimeError(f"Function's jvp returned an invalid number of forward gradients (expected "
                               f"{len(wrapped)} but got {len(result)})")
        for i, (w, d) in enumerate(zip(wrapped, result)):
            if d is not None and isinstance(w, Tensor) and (id(w) in non_diff or not w.dtype.is_floating_point):
                raise RuntimeError(f"Function's jvp returned a gradient at position {i}, but  the corresponding "
                                   "forward output is not a differentiable Tensor.You should return None at that "
                                   "position instead.")
        return tuple(d for w, d in zip(wrapped, result) if isinstance(w, Tensor))

    _forward.push_tangents(args, [w for w in wrapped if isinstance(w, Tensor)], jvp, as_returned=True)


def snapshot_arg(a):
    """A tensor argument copied (values and requires_grad, no history); anything else as it is."""
    if not isinstance(a, Tensor):
        return a
    c = Tensor._make(a._data.copy(), dtype=a.dtype)
    c._requires_grad = a.requires_grad
    return c


def _pack_saved(ctx, outputs, wrapped, needs):
    """Put what forward saved into SavedTensor holders (outputs as outputs, to avoid a cycle)."""
    to_save = ctx.to_save or ()
    if not to_save:
        return
    if not needs:
        ctx._saved_holders = None
        return
    out_ids = {id(o): w for o, w in zip(outputs, wrapped) if isinstance(o, Tensor)}
    if "_saved" not in ctx.__dict__:
        ctx._saved = {}  # the class-level default dict is shared and must stay empty
    holders = []
    for i, t in enumerate(to_save):
        if t is None:
            holders.append(None)
            continue
        name = f"saved_tensors[{i}]"
        w = out_ids.get(id(t))
        if w is not None and w.grad_fn is ctx:
            holder = SavedTensor(name, w, ctx, is_output=True)
        else:
            holder = SavedTensor(name, w if w is not None else t, ctx)
        ctx._hold(name, holder)
        holders.append(holder)
    ctx._saved_holders = holders
    ctx.to_save = ()


def once_differentiable(fn):
    """Mark a backward as not differentiable: it runs without recording even under create_graph."""
    fn._once_differentiable = True
    return fn


class InplaceFunction(Function):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

