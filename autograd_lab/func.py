"""``torch.func``: autodiff as function transforms (grad, vjp, jvp, jacrev, jacfwd, hessian, vmap).

Each transform takes a function and returns a new one, so they compose: ``hessian(f)`` is
``jacfwd(jacrev(f))``, a Hessian-vector product is ``jvp(grad(f), ...)``.

- Reverse mode (``grad``, ``vjp``, ``jacrev``) runs ``f`` on inputs that require grad and calls
  ``autograd.grad``. Under an outer reverse transform the inputs already require grad: the inner one
  then keeps the graph of its gradients (``create_graph``) so the outer one can differentiate them.
- Forward mode (``jvp``, ``jacfwd``) opens a forward-AD level of its own (levels nest here, unlike
  ``torch.autograd.forward_ad.dual_level``), runs ``f`` on dual tensors and reads the tangents.
  Tangents flow through backward formulas too, which is how forward-over-reverse works.
- ``vmap`` here is a plain loop over the batch: it calls ``f`` once per slice and stacks the results.
  It gives PyTorch's values and its ``in_dims``/``out_dims`` semantics, not its speed (PyTorch pushes
  the batch dimension into each op instead).
"""
import functools

from . import _forward, grad_mode
from .tensor import Tensor

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "functional_call"]


# ---- a small pytree: tensors inside (nested) tuples, lists and dicts ----
def _flatten(tree):
    """The leaves of ``tree`` in order, and a function that rebuilds it from new leaves."""
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(x) for x in tree]
        leaves = [leaf for p in parts for leaf in p[0]]

        def build(new):
            out, i = [], 0
            for p in parts:
                n = len(p[0])
                out.append(p[1](new[i:i + n]))
                i += n
            return type(tree)(out) if not hasattr(tree, "_fields") else type(tree)(*out)
        return leaves, build
    if isinstance(tree, dict):
        keys = list(tree)
        vals, build_vals = _flatten([tree[k] for k in keys])
        return vals, lambda new: dict(zip(keys, build_vals(new)))
    return [tree], lambda new: new[0]


def _treespec(tree):
    """PyTorch's text for a pytree's structure (as its error messages print it), for flat containers."""
    if isinstance(tree, (tuple, list)):
        return f"TreeSpec({type(tree).__name__}, None, [" + ",\n  ".join(_treespec(x) for x in tree) + "])"
    return "*"


def _check_tensor(x):
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")


def _diff_input(x):
    """``x`` as a tensor this transform can differentiate with respect to (keeping its tangents)."""
    _check_tensor(x)
    if x.requires_grad:
        return x.view_as(x)  # an outer reverse transform differentiates through this alias
    return _forward.detach_keeping_tangents(x).requires_grad_()


def _argnums_check(argnums, n):
    """argnums checked against n positional inputs, as a tuple."""
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
        if not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
    return nums


def _vjp_grads(outputs, inputs, cotangents, create_graph):
    """Σ cotangent·∂output/∂input for each input; zeros for inputs the outputs do not depend on."""
    from . import autograd
    from .factories import zeros_like
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if not pairs:
        return tuple(zeros_like(x) for x in inputs)
    grads = autograd.grad([o for o, _ in pairs], inputs, [c for _, c in pairs], retain_graph=True,
                          create_graph=create_graph, allow_unused=True)
    return tuple(zeros_like(x) if g is None else g for g, x in zip(grads, inputs))


def grad_and_value(func, argnums=0, has_aux=False):
    """``(gradient of func's scalar output w.r.t. the argnums inputs, the output)``."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums_check(argnums, len(args))
        args = list(args)
        flat, builds = [], []
        outer = False
        for n in nums:
            leaves, build = _flatten(args[n])
            for x in leaves:
                _check_tensor(x)
                outer = outer or x.requires_grad
            leaves = [_diff_input(x) for x in leaves]
            args[n] = build(leaves)
            flat.append(leaves)
            builds.append(build)
        with grad_mode.enable_grad():
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be a tuple: "
                                       "(output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}")
            if out.dim() != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor "
                                   f"with {out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
            inputs = [x for leaves in flat for x in leaves]
            grads = _vjp_grads([out], inputs, [None], create_graph=outer)
        results, i = [], 0
        for leaves, build in zip(flat, builds):
            results.append(build(list(grads[i:i + len(leaves)])))
            i += len(leaves)
        g = tuple(results) if isinstance(argnums, tuple) else results[0]
        if outer:
            return (g, (out, aux)) if has_aux else (g, out)
        if has_aux:
            aux_leaves, aux_build = _flatten(aux)
            aux = aux_build([a.detach() if isinstance(a, Tensor) else a for a in aux_leaves])
        return (g, (out.detach(), aux)) if has_aux else (g, out.detach())
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of ``func`` (which returns a scalar) w.r.t. its ``argnums`` inputs."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(v)`` pulls a cotangent v back to the inputs (vᵀ·J)."""
    leaves, build = _flatten(list(primals))
    for x in leaves:
        _check_tensor(x)
    outer = any(x.requires_grad for x in leaves)
    inputs = [_diff_input(x) for x in leaves]
    with grad_mode.enable_grad():
        out = func(*build(inputs))
    aux = None
    if has_aux:
        out, aux = out
    out_leaves, out_build = _flatten(out)
    for o in out_leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"vjp(f, *primals): Expected f to be a function that has non-empty output, "
                               f"got unsupported type {type(o)}")

    def vjp_fn(*cotangents):
        cot = _flatten(cotangents[0] if len(cotangents) == 1 else cotangents)[0]
        if len(cot) != len(out_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               "outputs to the function")
        from .autograd import _make_grads
        cot = _make_grads(out_leaves, cot)  # PyTorch's shape check and words
        with grad_mode.enable_grad():
            grads = _vjp_grads(out_leaves, inputs, cot, create_graph=outer or any(c.requires_grad for c in cot))
        return tuple(build(list(grads)))

    value = out if outer else out_build([o.detach() for o in out_leaves])
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J·tangents)`` by forward mode: one pass, the tangent carried alongside."""
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    if not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected tangents to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    p_leaves, build = _flatten(primals)
    t_leaves, _ = _flatten(tangents)
    if not p_leaves:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to contain at least one Tensor.")
    if len(p_leaves) != len(t_leaves):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, tangents also must be. Got "
                           f"primals with structure {_treespec(primals)} and tangents with structure "
                           f"{_treespec(tangents)}")
    for name, leaves in (("primals", p_leaves), ("tangents", t_leaves)):
        for x in leaves:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"jvp(f, primals, tangents): Expected {name} to only contain Tensors, got {type(x)}")
    from .autograd.forward_ad import _make_dual
    level = _forward.open_level()
    try:
        duals = [_make_dual(p, t, level) for p, t in zip(p_leaves, t_leaves)]
        out = func(*build(duals))
        aux = None
        if has_aux:
            out, aux = out
        out_leaves, out_build = _flatten(out)
        tangents_out = []
        for o in out_leaves:
            if not isinstance(o, Tensor):
                raise RuntimeError("jvp(f, primals, tangents): expected f(*primals) to return only tensors, got "
                                   f"unsupported type {type(o)}")
            t = _forward.tangent(o, level)
            tangents_out.append(t if t is not None else _forward._zeros_like(o))
    finally:
        _forward.close_level(level)
    result = (out_build(out_leaves), out_build(tangents_out))
    return result + (aux,) if has_aux else result


def _stack(tensors, dim=0):
    from .ops.api import stack
    return stack(tensors, dim)


def _basis(x):
    """The one-hot tensors e_0, e_1, ... shaped like ``x`` (one per element)."""
    from .factories import eye
    n = x.numel()
    return [row.reshape(x.shape) for row in eye(n, dtype=x.dtype).unbind(0)] if n else []


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """The Jacobian by reverse mode: one vjp per output element, i.e. row by row."""
    @functools.wraps(func)
    def wrapper(*args):
        nums = _argnums_check(argnums, len(args))
        args = list(args)

        def inner(*diff):
            for n, d in zip(nums, diff):
                args[n] = d
            return func(*args)
        out, vjp_fn, *aux = vjp(inner, *[args[n] for n in nums], has_aux=has_aux)
        out_leaves, out_build = _flatten(out)
        per_output = []
        for k, o in enumerate(out_leaves):
            rows = []
            for e in _basis(o):
                cot = [e if j == k else _forward._zeros_like(q) for j, q in enumerate(out_leaves)]
                rows.append(vjp_fn(out_build(cot)))
            per_input = []
            for i, n in enumerate(nums):
                leaves, build = _flatten(args[n])
                flat = []
                for m, x in enumerate(leaves):
                    if rows:
                        col = _stack([_flatten(r[i])[0][m] for r in rows])
                    else:
                        from .factories import zeros
                        col = zeros((0,) + tuple(x.shape), dtype=x.dtype)
                    flat.append(col.reshape(tuple(o.shape) + tuple(x.shape)))
                per_input.append(build(flat))
            per_output.append(tuple(per_input) if isinstance(argnums, tuple) else per_input[0])
        jac = out_build(per_output)
        return (jac, aux[0]) if has_aux else jac
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian by forward mode: one jvp per input element, i.e. column by column."""
    @functools.wraps(func)
    def wrapper(*args):
        nums = _argnums_check(argnums, len(args))
        args = list(args)
        primals = [args[n] for n in nums]
        p_leaves, p_build = _flatten(primals)
        for x in p_leaves:
            _check_tensor(x)

        def inner(*diff):
            for n, d in zip(nums, diff):
                args[n] = d
            return func(*args)
        cols = []  # per input leaf: the jvp outputs of its basis directions
        out = aux = None
        for m, x in enumerate(p_leaves):
            results = []
            for e in _basis(x):
                tangents = [e if j == m else _forward._zeros_like(q) for j, q in enumerate(p_leaves)]
                r = jvp(inner, tuple(p_build(p_leaves)), tuple(p_build(tangents)), has_aux=has_aux)
                out, results = r[0], results + [r[1]]
                aux = r[2] if has_aux else None
            cols.append(results)
        if out is None:  # only empty inputs
            out = inner(*primals)
            if has_aux:
                out, aux = out
        out_leaves, out_build = _flatten(out)
        per_output = []
        for k, o in enumerate(out_leaves):
            flat = []
            for m, x in enumerate(p_leaves):
                if cols[m]:
                    j = _stack([_flatten(r)[0][k] for r in cols[m]], dim=-1)
                else:
                    from .factories import zeros
                    j = zeros(tuple(o.shape) + (0,), dtype=o.dtype)
                flat.append(j.reshape(tuple(o.shape) + tuple(x.shape)))
            per_input = p_build(flat)
            per_output.append(tuple(per_input) if isinstance(argnums, tuple) else per_input[0])
        jac = out_build(per_output)
        return (jac, aux) if has_aux else jac
    return wrapper


def hessian(func, argnums=0):
    """The matrix of second derivatives: ``jacfwd(jacrev(func))``, as PyTorch composes it."""
    return jacfwd(jacrev(func, argnums), argnums)


def _fn_name(func):
    return getattr(func, "__name__", repr(func))


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a batch dimension of its inputs.

    This vmap is a loop: it slices each batched input along its ``in_dims`` entry (None: not
    batched, passed whole), calls ``func`` once per batch element, and stacks each output along its
    ``out_dims`` entry. The values are PyTorch's; PyTorch instead runs every op once on the batch."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        name = _fn_name(func)
        if not isinstance(in_dims, (int, tuple)):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
                             f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
        if isinstance(in_dims, tuple) and len(in_dims) != len(args):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                             f"structure of `inputs`. in_dims has structure {_treespec(in_dims)} but inputs has "
                             f"structure {_treespec(args)}.")
        dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
        leaves, specs = [], []  # per arg: its leaves with their in_dim
        for a, d in zip(args, dims):
            arg_leaves, build = _flatten(a)
            d_leaves = _flatten(d)[0] if isinstance(d, (tuple, list, dict)) else [d] * len(arg_leaves)
            leaves.append(list(zip(arg_leaves, d_leaves)))
            specs.append(build)
        sizes = []
        for arg in leaves:
            for x, d in arg:
                if d is None:
                    continue
                if not isinstance(x, Tensor):
                    raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input "
                                     f"but the input is of type {type(x)}. We cannot vmap over non-Tensor arguments, "
                                     "please use None as the respective in_dim")
                if not -max(x.dim(), 1) <= d < max(x.dim(), 1) or x.dim() == 0:
                    raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, "
                                     f"but that input is a Tensor of dimensionality {x.dim()} so expected in_dim to "
                                     f"satisfy -{x.dim()} <= in_dim < {x.dim()}.")
                sizes.append(x.shape[d])
        if not sizes:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): at least one input must be a Tensor "
                             "with a batch dimension (an in_dim that is not None)")
        if len(set(sizes)) != 1:
            raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sizes} for the mapped dimension")
        results = []
        for b in range(sizes[0]):
            call = [build([x if d is None else x.select(d, b) for x, d in arg]) for arg, build in zip(leaves, specs)]
            results.append(func(*call, **kwargs))
        if not results:  # an empty batch: run one stand-in example of zeros for the output shapes
            from .factories import zeros
            call = [build([x if d is None else zeros(tuple(s for i, s in enumerate(x.shape) if i != d % x.dim()),
                                                     dtype=x.dtype) for x, d in arg])
                    for arg, build in zip(leaves, specs)]
            example, out_build = _flatten(func(*call, **kwargs))
            odims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(example)
            return out_build([e if od is None else zeros((0,) + tuple(e.shape), dtype=e.dtype).movedim(0, od)
                              for e, od in zip(example, odims)])
        first, out_build = _flatten(results[0])
        per_leaf = [[_flatten(r)[0][k] for r in results] for k in range(len(first))]
        odims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(first)
        if isinstance(out_dims, (tuple, list)) and not isinstance(results[0], (tuple, list)):
            odims = tuple(out_dims) * len(first)
        stacked = []
        for vals, od in zip(per_leaf, odims):
            if od is None:
                stacked.append(vals[0])
                continue
            if not isinstance(vals[0], Tensor):
                raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(vals[0])}. "
                                 "Did you mean to set out_dims= to None for output?")
            stacked.append(_stack(vals, od))
        return out_build(stacked)
    return wrapper


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True,
                    strict=False):
    """Call ``module`` with some of its parameters and buffers replaced by the given tensors
    (names as in ``named_parameters()``, dotted for submodules); the module is left as it was."""
    if isinstance(parameter_and_buffer_dicts, (list, tuple)):
        merged = {}
        for d in parameter_and_buffer_dicts:
            merged.update(d)
        parameter_and_buffer_dicts = merged
    values = dict(parameter_and_buffer_dicts)
    if strict:
        names = [n for n, _ in module.named_parameters()] + [n for n, _ in module.named_buffers()]
        missing = [n for n in names if n not in values]
        unexpected = [n for n in values if n not in names]
        if missing or unexpected:
            lines = []
            if unexpected:
                lines.append("\tUnexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + ".")
            if missing:
                lines.append("\tMissing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n" + "\n".join(lines))
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    kwargs = kwargs or {}
    swapped = []
    try:
        for name, value in values.items():
            *path, attr = name.split(".")
            owner = module
            for p in path:
                owner = getattr(owner, p)
            if not (attr in owner._parameters or attr in owner._buffers):
                continue  # PyTorch ignores names the module does not have (unless strict)
            store = owner._parameters if attr in owner._parameters else owner._buffers
            swapped.append((store, attr, store[attr]))
            store[attr] = value
        return module(*args, **kwargs)
    finally:
        for store, attr, old in reversed(swapped):
            store[attr] = old
