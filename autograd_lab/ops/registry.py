"""Where the public ops are declared: one line next to each function says how PyTorch exposes it.

How to add an op (say ``sin``)
------------------------------
1. Write its node (``SinBackward0``: a docstring with the maths, ``forward`` then ``backward``) in
   the file of its family, e.g. ``ops/arithmetic.py``; a new family gets a new file in ``ops/``.
2. Write the function users call, with PyTorch's argument checks, and declare it once::

       @public(inplace=True, inplace_function=True)
       def sin(input):
           return SinBackward0.apply(input)

   The flags say where PyTorch has it (look it up: ``hasattr(torch, "sin")``,
   ``hasattr(torch.Tensor, "sin_")``):

   ==================  ===========================  =======
   flag                adds                         default
   ==================  ===========================  =======
   function            ``torch.sin(x)``             True
   method              ``x.sin()``                  True
   inplace             ``x.sin_()``                 False
   inplace_function    ``torch.sin_(x)``            False
   out                 ``torch.sin(x, out=y)``      False
   aliases=("...",)    the same under other names   ()
   ==================  ===========================  =======

   The in-place forms come for free: they run the function out of place and write the result
   back (``inplace.apply_inplace``: version counter, leaf checks, views rebased). So does ``out=``
   (``out.with_out``: the result copied into ``out``, resized, PyTorch's checks).
3. If the file is new, import it in ``autograd_lab/__init__.py`` before ``registry.install``.
4. Test it. An elementwise op gets a row in ``tests/op_table.py`` (its domain, its kinks): the
   property test compares it with PyTorch on every dtype and shape, the fuzzer puts it in random
   programs, finite differences and gradcheck check its backward. Other ops get cases in
   tests/test_ops_torch.py and tests/test_gradcheck.py. ``tests/test_registry.py`` checks that every
   declared name is reachable, exists in PyTorch in the kinds declared, and that no public
   function is left out.

Operators (``__add__``...) and methods whose signature differs from the function
(``x.where(cond, y)``, ``x.view_as(y)``) are bound by hand in ``_methods.py``.
"""
from collections import namedtuple

# (a named tuple, not a frozen dataclass: ~400 of them are made while the package imports, and a
# frozen dataclass costs 10x more to define and to make; the import time is a benchmark)
Declaration = namedtuple("Declaration", "fn function method inplace inplace_function out")


PUBLIC = {}  # public name -> Declaration, in declaration order


def public(fn=None, *, name=None, function=True, method=True, inplace=False, inplace_function=False, out=False,
           aliases=()):
    """Declare ``fn`` public under its name (and ``aliases``); see the module docstring."""
    def declare(fn):
        for n in (name or fn.__name__, *aliases):
            if n in PUBLIC and PUBLIC[n].fn is not fn:
                raise ValueError(f"public op {n!r} is declared twice")
            PUBLIC[n] = Declaration(fn, function, method, inplace, inplace_function, out)
        return fn
    return declare if fn is None else declare(fn)


def inplace_form(fn, name):
    """``x.name_(...)``: ``fn`` out of place, the result written into ``x``."""
    from .inplace import apply_inplace

    def method(self, *args, **kwargs):
        return apply_inplace(self, fn, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return method


def install(namespace, tensor_cls):
    """Put every declared op where its declaration says: the module ``namespace`` and/or Tensor."""
    from .out import with_out
    primary = {}  # PyTorch's out= errors name the op as declared, not the alias called
    for name, d in PUBLIC.items():
        primary.setdefault(id(d.fn), name)
        if d.function:
            namespace[name] = with_out(d.fn, primary[id(d.fn)]) if d.out else d.fn
        if d.method:
            setattr(tensor_cls, name, d.fn)
        if d.inplace or d.inplace_function:
            form = inplace_form(d.fn, name + "_")
            if d.inplace:
                setattr(tensor_cls, name + "_", form)
            if d.inplace_function:
                namespace[name + "_"] = form
