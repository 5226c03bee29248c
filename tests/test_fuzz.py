"""Differential fuzzer (issue #10): random expression graphs, run on autograd_lab and on PyTorch.

Hypothesis draws a small program -- leaves with random shapes (0-d and size-0 dims included),
float32 / float64 / int64 / int32 dtypes and random ``requires_grad``, then 1..8 ops among add, sub,
mul, div, pow, the elementwise ops of tests/op_table.py, sum / mean (dims, keepdim), max (with and
without dim), reshape / view, transpose / t / permute, unsqueeze, expand, getitem, cat, where,
matmul, softmax / log_softmax, detach, with Python scalars on either side -- and then a backward
pass (``Tensor.backward`` or ``autograd.grad``, random upstream gradient, ``inputs=``,
``retain_grad``, random ``retain_graph`` / ``create_graph``), then a second pass: through the
gradients when ``create_graph`` (second derivatives), again on the retained graph, or again on a
freed graph (which must fail, or not, exactly as PyTorch's does).

Every step runs the same Python source on both libraries (and on a float64 "shadow" PyTorch run, see
below) and compares:

- values: dtype, shape, ``requires_grad``, ``is_leaf``, ``grad_fn.name()``, ``output_nr``,
  ``is_contiguous()`` (strides decide matmul's graph and view's errors), and the numbers;
- errors: when PyTorch raises, autograd_lab raises the same type with the same first line; a
  backward that fails leaves every ``.grad`` in autograd_lab exactly as it was (our promise);
- gradients (``.grad`` of leaves and retained tensors, ``retains_grad``, ``autograd.grad``
  results). Under ``create_graph`` the ``.grad`` names are compared (a leaf's first .grad is a
  CopyBackwards, a retained one a CloneBackward0, then AddBackward0 ...), but not those of what
  ``autograd.grad`` returns, which are the backward formulas' own nodes: PyTorch's C++ formulas use
  Scalar overloads (``grad * alpha`` is a MulBackward1 there); the main ones are pinned by
  ``test_double_backward_node_names`` instead;
- the graph of the root: node names, ``next_functions`` structure and ``output_nr``;
- reprs, exactly -- but only where it is fair: when our numbers are bit-for-bit PyTorch's. PyTorch
  prints 4 significant digits and picks scientific notation from the values, so two results one ulp
  apart can legitimately print differently (``0.1235`` vs ``0.1234``); equal bits must print equally.
  (A few per case: printing is slow in both libraries.)

Tolerances. float32 graphs are compared against float32 PyTorch, with a bound that adapts to the
conditioning of the graph: the same program also runs in PyTorch with every float leaf in float64
(the shadow), and ``|ours - torch32|`` may be ``eps * max(1, |torch32|max) + 8 * |torch32 - torch64|``
where eps is that of the coarsest float dtype the value was computed through (1e-5 for float32,
1e-10 for float64). A cancellation that makes float32 lose digits makes the shadow differ as much,
and the bound follows. (When the shadow cannot follow -- ``.float()`` meets a float64 leaf -- it
stops, and the eps term alone remains.) Integers and bools compare exactly.

Operands are tamed from PyTorch's values before an op is applied, identically in every run (log of
``x.abs() + 0.5`` when some x <= 0.1, a denominator with small entries becomes ``|b| + 0.5``, exp of
large values goes through tanh, ...), so the fuzzer compares arithmetic, not overflow. Operands
are occasionally mismatched on purpose (broadcasting, matmul shapes, dims out of range, bad indices,
int dtypes) to exercise the error paths.

Running it::

    .venv/bin/python -m pytest tests/test_fuzz.py -q             # CI: 2,000 cases, derandomized
    FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/test_fuzz.py -q    # by hand: 20,000
    FUZZ_EXAMPLES=20000 FUZZ_RANDOM=1 ...                         # random (non-reproducible) seed

(``FUZZ_EXAMPLES`` is an environment variable rather than a ``--hypothesis-profile`` because
hypothesis loads profiles before this module is imported.) The case count is printed in pytest's
terminal summary ("fuzz: N cases compared"); a failure prints a runnable program that reproduces it.

Known core bugs found by this fuzzer have a small strict-xfail regression test (``test_bug_*``); when
the generator trips over one of them *and* its regression test still fails, the case is
``assume``-d away (see ``BUGS``) so the fuzzer keeps looking for new ones; the summary line counts
those as ``known:<bug>``. Once a fix lands, the fuzzer checks those cases again by itself. Bugs it
found that are fixed already are plain regression tests (``test_fixed_bug``).

A failure under hypothesis is shrunk; for a quick look at many cases without shrinking, drive
``run_case`` with ``random.Random(seed)`` instead of hypothesis' data (it accepts either).
"""
import os
import random
import re
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from oracle import import_torch

torch = import_torch()
torch.set_num_threads(1)  # tiny tensors: threads only contend

import autograd_lab as A  # noqa: E402
from _fuzz_graphs import counts  # noqa: E402
from op_table import BINARY, UNARY  # noqa: E402

FUZZ_UNARY = [op for op in UNARY if op.elementwise]
FUZZ_BINARY = [op for op in BINARY if op.differentiable and op.name != "pow"]

N_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))
SHADOW = "shadow"  # the float64 PyTorch run, used to size tolerances
WORLDS = (torch, A, SHADOW)
EPS = {"float32": 1e-5, "float64": 1e-10, "float16": 3e-3, "bfloat16": 3e-2}

FUZZ_SETTINGS = settings(
    max_examples=N_EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

STATS = {}


@pytest.fixture(scope="module", autouse=True)
def _stats(request):
    STATS["c"] = counts(request.config, "fuzz")


class Stop(Exception):
    """PyTorch raised (and autograd_lab raised the same): the program ends here."""


class Mismatch(AssertionError):
    pass


def first_line(e):
    s = str(e)
    return s.split("\n", 1)[0]


def to_np(t):
    if isinstance(t, torch.Tensor):
        if t._is_zerotensor():
            return np.zeros(tuple(t.shape), dtype=torch.empty(0, dtype=t.dtype).numpy().dtype)
        return t.detach().numpy()
    return np.asarray(t.detach()._data)


def gf_name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def graph_sig(fn, leaf_names, memo):
    """The graph below ``fn`` as a nested tuple: names, next_functions (with output_nr), leaves by name."""
    if fn is None:
        return None
    key = id(fn)
    if key in memo:
        return memo[key]
    name = fn.name()
    if name.endswith("AccumulateGrad"):
        sig = ("AccumulateGrad", leaf_names.get(id(fn.variable), "?"))
    else:
        sig = (name, tuple(None if n is None else (graph_sig(n, leaf_names, memo), nr)
                           for n, nr in fn.next_functions))
    memo[key] = sig
    return sig


def close(a, b, s, eps=0.0):
    """Ours (a) against PyTorch (b), with the shadow (s, float64 PyTorch) sizing the tolerance;
    ``eps`` is the coarsest precision any input of this value went through."""
    if b.dtype.kind not in "fc":
        return a.dtype == b.dtype and np.array_equal(a, b)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    eps = max(EPS.get(str(b.dtype), 1e-5), eps)
    fin = np.isfinite(b64)
    scale = max(1.0, float(np.abs(b64[fin]).max())) if fin.any() else 1.0
    tol = eps * scale + eps * np.abs(np.where(fin, b64, 0))
    if s is not None and s.shape == b.shape and s.dtype.kind == "f":
        diff = np.abs(b64 - s.astype(np.float64))
        tol = tol + 8 * np.nan_to_num(diff, nan=np.inf, posinf=np.inf)
    with np.errstate(invalid="ignore"):
        ok = (a64 == b64) | (np.isnan(a64) & np.isnan(b64)) | (np.abs(a64 - b64) <= tol)
    return bool(ok.all())


def bitwise_equal(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and (
        np.array_equal(a, b, equal_nan=a.dtype.kind == "f") and
        (a.dtype.kind != "f" or np.array_equal(np.signbit(a), np.signbit(b))))


SCALARS = (2, -1, 3, 0.5, -2.5, 1.5, 1)
POWERS = (2, 3, 0, 1, -1, 0.5, 2.5, -2, 1.5, 2.0, -0.5)
SIDES = (1, 2, 3, 1, 2, 4, 3, 0)  # index 0 (what hypothesis shrinks to) is 1; size 0 now and then


class Case:
    """One program, run in three worlds (autograd_lab, PyTorch, float64 PyTorch) in lockstep."""

    def __init__(self, data, stats):
        self.data = data
        self.stats = stats
        self.lines = []
        self.consts = {}
        self.env = {w: {} for w in WORLDS}
        self.glob = {torch: {"torch": torch, "np": np}, A: {"torch": A, "np": np},
                     SHADOW: {"torch": torch, "np": np}}
        self.pool = []
        self.leaves = []
        self.n = 0
        self.repr_budget = 5
        self.last_rel = np.inf  # the largest relative difference of the last "values differ"
        self.shadow_ok = True  # the float64 run follows until it cannot (then tolerances use eps only)
        self.eps = {}  # per value: the coarsest float precision among everything it was computed from
        self.tags = set()  # what the current step is doing, for BUGS

    # ---- drawing ----
    def int(self, lo, hi):
        if isinstance(self.data, random.Random):  # plain random driving, no shrinking
            return self.data.randint(lo, hi)
        return self.data.draw(st.integers(lo, hi))

    def pick(self, seq):
        return seq[self.int(0, len(seq) - 1)]

    def chance(self, pct):
        """True with probability pct% (hypothesis shrinks it to False)."""
        return self.int(0, 99) >= 100 - pct

    # ---- the worlds ----
    def ref(self, name):
        return self.env[torch][name]

    def val(self, name):
        return to_np(self.ref(name))

    def const(self, arr, shadow=None):
        name = f"c{len(self.consts)}"
        self.consts[name] = arr
        self.env[torch][name] = arr
        self.env[A][name] = arr
        if shadow is None:
            shadow = arr.astype(np.float64) if arr.dtype.kind == "f" else arr
        self.env[SHADOW][name] = shadow
        return name

    def fresh(self, prefix="v"):
        self.n += 1
        return f"{prefix}{self.n}"

    def repro(self):
        out = ["import numpy as np", "import torch  # or: import autograd_lab as torch"]
        for name, arr in self.consts.items():
            lit = re.sub(r"\b(nan|inf)\b", r"np.\1", repr(arr.tolist()))
            shape = f".reshape({arr.shape})" if arr.size == 0 and arr.ndim > 1 else ""
            out.append(f"{name} = np.array({lit}, dtype=np.{arr.dtype}){shape}")
        return "\n".join(out + self.lines)

    def fail(self, msg):
        found = known_bug(msg, self)
        if found is not None:
            raise KnownBug(found)
        raise Mismatch(f"{msg}\n\n--- program (runs on either library) ---\n{self.repro()}\n")

    def eps_of(self, src):
        """The coarsest precision among the values ``src`` reads (see close)."""
        return max([self.eps.get(n, 0.0) for n in re.findall(r"\b[vg]\d+\b", src)], default=0.0)

    def case_eps(self):
        return max(self.eps.values(), default=0.0)

    def run(self, src, mode="eval", before_ours=None):
        """Run ``src`` in the three worlds; returns (results, errors) keyed by world."""
        code = compile(src, "<fuzz>", mode)
        out, err = {}, {}
        for w in WORLDS:
            if w is SHADOW and not self.shadow_ok:
                continue
            if w is A and before_ours is not None:
                before_ours()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out[w] = eval(code, self.glob[w], self.env[w])
            except Exception as e:  # noqa: BLE001 - whatever is raised is compared
                if w is torch and isinstance(e, (MemoryError, RecursionError)):
                    raise
                err[w] = e
        if SHADOW in err and torch not in err:
            self.shadow_ok = False  # e.g. float32 (from .float()) meets float64: the shadow stops here
            out.pop(SHADOW, None)
        return out, err

    def errors_match(self, err, what):
        """False when neither library raised; True when both raised the same; else a Mismatch."""
        r, m = err.get(torch), err.get(A)
        if r is None and m is None:
            return False
        if r is None:
            self.fail(f"{what}: autograd_lab raised {type(m).__name__}: {first_line(m)}\n"
                      f"PyTorch did not raise")
        if m is None:
            self.fail(f"{what}: PyTorch raised {type(r).__name__}: {first_line(r)}\nautograd_lab did not raise")
        if type(m).__name__ != type(r).__name__ or first_line(m) != first_line(r):
            self.fail(f"{what}: different errors\n  autograd_lab: {type(m).__name__}: {first_line(m)}\n"
                      f"  PyTorch:      {type(r).__name__}: {first_line(r)}")
        self.stats["errors"] = self.stats.get("errors", 0) + 1
        return True

    def count(self, key, n=1):
        self.stats[key] = self.stats.get(key, 0) + n

    # ---- comparing ----
    def compare(self, what, m, r, s, graph=True, eps=0.0, names=True, repr_check=True):
        if not isinstance(r, torch.Tensor):
            if isinstance(r, (tuple, list)):
                if not isinstance(m, (tuple, list)) or len(m) != len(r):
                    self.fail(f"{what}: expected a sequence of {len(r)}, got {m!r}")
                if type(r).__module__ == "torch.return_types" and type(m).__name__ != type(r).__name__:
                    self.fail(f"{what}: return type {type(m).__name__} != {type(r).__name__}")
                for i, (mi, ri) in enumerate(zip(m, r)):
                    si = s[i] if isinstance(s, (tuple, list)) and len(s) == len(r) else None
                    self.compare(f"{what}[{i}]", mi, ri, si, graph, eps, names, repr_check)
                return
            if r is None:
                if m is not None and not (isinstance(m, A.Tensor) and what.startswith("grad2")
                                          and not to_np(m).any()):
                    self.fail(f"{what}: expected None, got {m!r}")
                return
            if m != r:
                self.fail(f"{what}: {m!r} != {r!r}")
            return
        if not isinstance(m, A.Tensor):
            if m is None and what.startswith("grad2") and not to_np(r).any():
                return  # a structurally-zero second derivative may be None or zeros
            self.fail(f"{what}: expected a tensor, got {m!r}")
        if str(m.dtype) != str(r.dtype):
            self.fail(f"{what}: dtype {m.dtype} != {r.dtype}")
        if tuple(m.shape) != tuple(r.shape):
            self.fail(f"{what}: shape {tuple(m.shape)} != {tuple(r.shape)}")
        a, b = to_np(m), to_np(r)
        sv = to_np(s) if isinstance(s, torch.Tensor) else None
        if not close(a, b, sv, eps):
            with np.errstate(all="ignore"):
                fa, fb = a.astype(np.float64), b.astype(np.float64)
                rel = np.abs(fa - fb) / np.maximum(np.abs(fb), 1e-300)
                self.last_rel = float(np.nanmax(rel)) if rel.size and np.isfinite(fa).all() and np.isfinite(fb).all() \
                    else np.inf
            self.fail(f"{what}: values differ\n  autograd_lab: {a!r}\n  PyTorch:      {b!r}")
        if m.requires_grad != r.requires_grad:
            self.fail(f"{what}: requires_grad {m.requires_grad} != {r.requires_grad}")
        if m.is_leaf != r.is_leaf:
            self.fail(f"{what}: is_leaf {m.is_leaf} != {r.is_leaf}")
        if names and gf_name(m) != gf_name(r):
            self.fail(f"{what}: grad_fn {gf_name(m)} != {gf_name(r)}")
        if names and r.grad_fn is not None and m.output_nr != r.output_nr:
            self.fail(f"{what}: output_nr {m.output_nr} != {r.output_nr}")
        if names and m.is_contiguous() != r.is_contiguous():
            self.fail(f"{what}: is_contiguous() {m.is_contiguous()} != {r.is_contiguous()} "
                      f"(strides decide matmul's graph and view's errors)")
        self.count("tensors")
        if names and repr_check and self.repr_budget > 0 and bitwise_equal(a, b):
            self.repr_budget -= 1  # printing is slow in both libraries: a few per case is plenty
            rm, rr = repr(m), repr(r)
            if rm != rr:
                self.fail(f"{what}: repr differs (values are bit-for-bit equal)\n{rm}\n!=\n{rr}")
            self.count("reprs")

    # ---- building ----
    def leaf_array(self, shape, kind):
        seed = self.int(0, 2 ** 16)
        rng = np.random.default_rng(seed)
        if kind in ("int64", "int32"):
            return rng.integers(-3, 4, size=shape).astype(kind)
        style = self.int(0, 9)
        if style < 5:
            arr = rng.integers(-8, 9, size=shape) / 4  # exact quarters: more ties, more exact reprs
        elif style < 9:
            arr = rng.standard_normal(shape)
        else:
            arr = rng.standard_normal(shape) * 10.0 ** rng.integers(-5, 6)  # sci-mode printing
        arr = np.asarray(arr, dtype=kind)
        if arr.size and self.chance(3):
            arr.reshape(-1)[rng.integers(arr.size)] = self.pick((np.nan, np.inf, -np.inf, 0.0))
        return arr

    def random_shape(self, max_dims=3):
        return tuple(self.pick(SIDES) for _ in range(self.int(0, max_dims)))

    def new_leaf(self, shape=None, kind=None, grad=None):
        if shape is None:
            shape = self.random_shape()
        if kind is None:
            kind = self.pick(("float32",) * 6 + ("float64", "float64", "int64", "int32"))
        if grad is None:
            grad = kind.startswith("float") and not self.chance(25)
        grad = grad and kind.startswith("float")
        c = self.const(self.leaf_array(tuple(shape), kind))
        name = self.fresh()
        src = f"torch.tensor({c}, requires_grad=True)" if grad else f"torch.tensor({c})"
        self.assign(name, src, leaf=True)
        return name

    def assign(self, name, src, leaf=False, pick=None):
        """``name = src`` in every world; compares; adds the tensor to the pool (None if it raised)."""
        out, err = self.run(src)
        self.lines.append(f"{name} = {src}" if pick is None else f"{name} = ({src})[{pick}]")
        if self.errors_match(err, src):
            self.lines[-1] += f"  # raises {type(err[torch]).__name__}: {first_line(err[torch])}"
            raise Stop
        r = out[torch]
        eps = self.eps_of(src)
        if isinstance(r, (tuple, list)) and r and isinstance(r[0], torch.Tensor):
            dt = str(r[0].dtype)[6:]
        else:
            dt = str(getattr(r, "dtype", "int64"))[6:]
        self.eps[name] = max(eps, EPS.get(dt, 0.0) if dt.startswith("float") else 0.0)
        self.compare(name, out[A], r, out.get(SHADOW), eps=eps, repr_check=not (leaf and self.leaves))
        self.count("ops" if not leaf else "leaves")
        if pick is not None:
            for w in WORLDS:
                out[w] = out[w][pick] if out.get(w) is not None else None
        for w in WORLDS:
            if w in out:
                self.env[w][name] = out[w]
        if isinstance(out[torch], torch.Tensor):
            self.pool.append(name)
            if leaf:
                self.leaves.append(name)
        return name

    def operand(self, floats_only=False, min_dim=0):
        names = [n for n in self.pool if self.ref(n).dim() >= min_dim and
                 (not floats_only or self.ref(n).is_floating_point())]
        if not names:
            return None
        return names[len(names) - 1 - self.int(0, len(names) - 1)]  # shrinks to the latest

    def partner_shape(self, shape):
        """A shape that broadcasts with ``shape`` (or, rarely, one that does not)."""
        if self.chance(4):
            return self.random_shape()
        shape = list(shape)
        drop = self.int(0, len(shape))
        shape = shape[drop:]
        shape = [1 if self.chance(30) else s for s in shape]
        if self.chance(15):
            shape = [self.pick((1, 2))] + shape
        return tuple(shape)

    def partner(self, shape, kind=None):
        """Another operand for a binary op: a pool tensor, a new leaf, or a Python scalar."""
        r = self.int(0, 9)
        if r < 3:
            return repr(self.pick(SCALARS))
        if r < 6:
            other = self.operand()
            if other is not None:
                return other
        return self.new_leaf(self.partner_shape(shape), kind=kind)

    # ---- taming (decided on PyTorch's values, applied identically everywhere) ----
    def tame_big(self, name, limit):
        v = self.val(name)
        if v.dtype.kind == "f" and v.size and not (np.abs(v[np.isfinite(v)]) <= limit).all():
            return f"(torch.tanh({name}) * 3)"
        if v.dtype.kind in "iu" and v.size and np.abs(v).max() > limit:
            return f"(torch.tanh({name}) * 3)"
        return name

    def positive(self, name, floor=0.1):
        v = self.val(name)
        if v.size and not (v > floor).all():
            return f"({name}.abs() + 0.5)"
        return name

    def denominator(self, name):
        v = self.val(name)
        if v.size and not (np.abs(v) >= 0.25).all():
            return f"({name}.abs() + 0.5)"
        return name


# ---------------------------------------------------------------- the ops
def op_unary(c):
    """An op of the shared table (tests/op_table.py), as a function or a method, on a tamed operand;
    or one of the spellings the table has no row for (``-x``, ``abs(x)``, ``x.detach()``)."""
    a = c.operand()
    if a is None:
        return None
    kind = c.pick(("table", "neg", "table", "abs", "table", "detach", "table"))
    if kind == "neg":
        return f"-{a}" if c.ref(a).dtype is not torch.bool else None
    if kind == "abs":
        return f"abs({a})"
    if kind == "detach":
        return f"{a}.detach()"
    op = c.pick(FUZZ_UNARY)
    if op.lo > -3:  # a domain bounded below (log, sqrt, reciprocal ...)
        a = c.positive(a)
    elif op.tame is not None:
        a = c.tame_big(a, op.tame)
    return op.source(a, method=c.chance(50))


def op_binary(c):
    """A binary op of the shared table (pow has op_pow): the operator, reflected (the partner on the
    left), or the function (``alpha=`` for add and sub); maximum / minimum as function or method."""
    a = c.operand()
    if a is None:
        return None
    b = c.partner(tuple(c.ref(a).shape))
    is_scalar = b[0] in "-0123456789"
    op = c.pick(FUZZ_BINARY)
    if op.symbol is None:
        if is_scalar:
            return None
        return f"torch.{op.name}({a}, {b})" if c.chance(50) else f"{a}.{op.name}({b})"
    if op.name in ("add", "sub") and c.chance(20):
        alpha = "" if is_scalar else f", alpha={c.pick((2, -1, 0.5))}"
        return f"torch.{op.name}({a}, {b}{alpha})"
    x, y = (b, a) if c.chance(40) else (a, b)
    x_scalar, y_scalar = (True, False) if x is b and is_scalar else (False, is_scalar)
    if op.name == "mul":
        x = x if x_scalar else c.tame_big(x, 1e3)
        y = y if y_scalar else c.tame_big(y, 1e3)
    if op.nonzero[1] and not y_scalar:
        y = c.denominator(y)
    return f"{x} {op.symbol} {y}"


def op_pow(c):
    a = c.operand()
    if a is None:
        return None
    ra = c.ref(a)
    form = c.int(0, 9)
    if form < 6:
        p = c.pick(POWERS)
        neg_int = isinstance(p, int) and p < 0
        if not ra.is_floating_point() and neg_int:
            base = a  # an error, as in PyTorch: integers to negative integer powers
        elif (isinstance(p, float) and p != int(p)) or (isinstance(p, (int, float)) and p < 0):
            base = c.positive(c.tame_big(a, 20) if c.tame_big(a, 20) == a else a)
        else:
            base = c.tame_big(a, 10)
        return f"{base} ** {p}" if form < 4 else f"torch.pow({base}, {p})"
    if form < 8:
        e = c.operand(floats_only=True) if c.chance(50) else c.new_leaf(c.partner_shape(tuple(ra.shape)))
        if e is None:
            return None
        return f"{c.positive(a)} ** {c.tame_big(e, 3)}"
    base = c.pick((2, 0.5, 1.5, 3))
    return f"{base} ** {c.tame_big(a, 8)}"


def dims_arg(c, ndim):
    """A dim argument: an int, a tuple, a list, or (rarely) out of range."""
    n = max(ndim, 1)
    if c.chance(3):
        return str(c.pick((n, -n - 1, n + 1)))
    form = c.int(0, 3)
    if form <= 1:
        d = c.int(0, n - 1)
        return str(d - n if c.chance(30) else d)
    picked = sorted({c.int(0, n - 1) for _ in range(c.int(1, n))})
    picked = [d - n if c.chance(30) else d for d in picked]
    return "(" + ", ".join(map(str, picked)) + ("," if len(picked) == 1 else "") + ")" if form == 2 else str(picked)


def op_reduce(c):
    a = c.operand()
    if a is None:
        return None
    ra = c.ref(a)
    fn = c.pick(("sum", "mean", "sum", "mean", "max", "max_dim", "max_dim"))
    if fn == "max":
        return f"{a}.max()" if c.chance(50) else f"torch.max({a})"
    if fn == "max_dim":
        d = dims_arg(c, ra.dim())
        if d.startswith("(") or d.startswith("["):
            d = d.strip("([,])").split(",")[0] or "0"
        kd = c.chance(40)
        return (f"torch.max({a}, {d}" + (", keepdim=True)" if kd else ")"), 0)
    if c.chance(25):
        return f"{a}.{fn}()" if c.chance(50) else f"torch.{fn}({a})"
    d = dims_arg(c, ra.dim())
    kd = c.chance(40)
    if c.chance(50):
        return f"{a}.{fn}({d}" + (", keepdim=True)" if kd else ")")
    return f"torch.{fn}({a}, dim={d}" + (", keepdim=True)" if kd else ")")


def _factor(n):
    out, p = [], 2
    while n > 1 and p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def op_reshape(c):
    a = c.operand()
    if a is None:
        return None
    ra = c.ref(a)
    n = ra.numel()
    if n == 0:
        shape = [0] + [c.pick((1, 2, 3)) for _ in range(c.int(0, 2))]
        order = list(shape)
        c.int(0, 1) and order.reverse()
        shape = order
    else:
        factors = _factor(n)
        ndim = c.int(0, 3) if factors else c.int(0, 2)
        ndim = max(ndim, 1) if factors else ndim
        dims = [1] * ndim
        for f in factors:
            dims[c.int(0, ndim - 1)] *= f
        shape = dims
    if shape and c.chance(30):
        shape[c.int(0, len(shape) - 1)] = -1
    if c.chance(3):
        shape = shape + [c.pick((2, 3))]  # a size that does not fit
    s = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    form = c.int(0, 3)
    if form == 0:
        return f"{a}.view({s})"
    if form == 1:
        return f"torch.reshape({a}, {s})"
    return f"{a}.reshape({s})"


def op_transpose(c):
    a = c.operand()
    if a is None:
        return None
    nd = c.ref(a).dim()
    form = c.int(0, 4)
    n = max(nd, 1)
    if form == 0 and nd <= 2:
        return f"{a}.t()"
    if form == 1 and nd >= 1:
        perm = list(range(nd))
        for i in range(nd - 1, 0, -1):
            j = c.int(0, i)
            perm[i], perm[j] = perm[j], perm[i]
        return f"{a}.permute({', '.join(map(str, perm))})" if nd > 1 else f"{a}.permute(0)"
    if form == 2 and nd >= 2:
        return f"{a}.mT"
    d0, d1 = c.int(-n, n - 1), c.int(-n, n - 1)
    if c.chance(3):
        d1 = n
    return f"{a}.transpose({d0}, {d1})" if c.chance(60) else f"torch.transpose({a}, {d0}, {d1})"


def op_unsqueeze(c):
    a = c.operand()
    if a is None:
        return None
    nd = c.ref(a).dim()
    d = c.int(-nd - 1, nd)
    if c.chance(3):
        d = nd + 1
    return f"{a}.unsqueeze({d})" if c.chance(70) else f"torch.unsqueeze({a}, {d})"


def op_expand(c):
    a = c.operand()
    if a is None:
        return None
    shape = list(c.ref(a).shape)
    sizes = []
    for s in shape:
        if s == 1:
            sizes.append(c.pick((1, 2, 3, -1)))
        else:
            sizes.append(-1 if c.chance(30) else s)
    if c.chance(25):
        sizes = [c.pick((1, 2))] + sizes
    if c.chance(3) and sizes:
        sizes[-1] = 5 if shape and shape[-1] not in (1, 5) else sizes[-1]
    if not sizes:
        sizes = [c.pick((1, 2))]
    args = ", ".join(map(str, sizes))
    return f"{a}.expand({args})" if c.chance(60) else f"{a}.expand(({args},))"


def op_getitem(c):
    a = c.operand()
    if a is None:
        return None
    shape = list(c.ref(a).shape)
    key, dim, used_ellipsis = [], 0, False
    n_parts = c.int(1, max(1, len(shape) + 1))
    for _ in range(n_parts):
        kind = c.int(0, 9)
        size = shape[dim] if dim < len(shape) else None
        if kind == 0:
            key.append("None")
            continue
        if kind == 1 and not used_ellipsis:
            key.append("...")
            used_ellipsis = True
            dim = len(shape) - (n_parts - len(key))  # roughly: later parts index the last dims
            dim = max(dim, 0)
            continue
        if size is None:
            if c.chance(5):
                key.append("0")  # too many indices
            break
        if kind <= 4:
            if size == 0 or c.chance(3):
                key.append(str(size + c.int(0, 1)))  # out of range
            else:
                i = c.int(-size, size - 1)
                key.append(str(i))
        elif kind <= 7:
            start = c.int(-size - 1, size + 1)
            stop = c.int(-size - 1, size + 1)
            step = c.pick((None, 1, 2, 3))
            parts = [str(start) if c.chance(70) else "", str(stop) if c.chance(70) else ""]
            key.append(":".join(parts + ([str(step)] if step else [])))
        elif kind == 8:
            idx = [c.int(-size, size - 1) if size else 0 for _ in range(c.int(1, 3))] if size else []
            key.append(repr(idx))
        else:
            mask = np.array([c.chance(50) for _ in range(size)], dtype=bool)
            key.append(f"torch.tensor({c.const(mask)})")
        dim += 1
    if not key:
        key = [":"]
    return f"{a}[{', '.join(key)}]"


def op_cat(c):
    a = c.operand()
    if a is None:
        return None
    ra = c.ref(a)
    nd = ra.dim()
    if nd == 0:
        return f"torch.cat([{a}, {a}])"  # an error: zero-dimensional tensor cannot be concatenated
    d = c.int(-nd, nd - 1)
    parts = [a]
    for _ in range(c.int(1, 2)):
        r = c.int(0, 9)
        if r < 3:
            parts.append(a)
        else:
            shape = list(ra.shape)
            shape[d] = c.pick((1, 2, 0, 3))
            if c.chance(4):
                shape = list(c.random_shape())
            match = [n for n in c.pool if tuple(c.ref(n).shape) == tuple(shape)]
            if match and r < 6:
                parts.append(c.pick(match))
            else:
                parts.append(c.new_leaf(tuple(shape), kind=None if c.chance(20) else str(ra.dtype)[6:]))
    fn = c.pick(("torch.cat", "torch.cat", "torch.concat"))
    return f"{fn}([{', '.join(parts)}], dim={d})" if c.chance(70) else f"{fn}(({', '.join(parts)}), {d})"


def op_where(c):
    a = c.operand()
    if a is None:
        return None
    shape = tuple(c.ref(a).shape)
    cond = c.operand() if c.chance(30) else a
    x = a if c.chance(50) else c.partner(shape)
    y = c.partner(shape)
    if x[0] in "-0123456789" and y[0] in "-0123456789":
        y = a
    cmp = c.pick((">", "<", ">=", "!="))
    # a threshold well away from every value: 1e-16 of rounding must not flip the condition
    v = c.val(cond).astype(np.float64)
    v = v[np.isfinite(v)]
    for thr in (0, 0.5, -0.5, 1.25, -1.25, 0.125):
        if not v.size or np.abs(v - thr).min() > 1e-6 * max(1.0, np.abs(v).max()):
            break
    else:
        return None
    return f"torch.where({cond} {cmp} {thr}, {x}, {y})"


def op_matmul(c):
    a = c.operand(min_dim=1)
    if a is None:
        return None
    ra = c.ref(a)
    shape = list(ra.shape)
    kind = str(ra.dtype)[6:]
    k = shape[-1]
    if c.chance(5):
        k = k + 1  # inner dims that do not match
    form = c.int(0, 4)
    if form == 0:
        bshape = (k,)
    elif form <= 2:
        bshape = (k, c.pick((1, 2, 3, 0)))
    else:
        batch = tuple(shape[:-2])
        if batch and c.chance(50):
            batch = tuple(1 if c.chance(30) else s for s in batch)
        elif not batch:
            batch = (c.pick((1, 2)),)
        bshape = batch + (k, c.pick((1, 2, 3)))
    if c.chance(50):
        b = c.new_leaf(bshape, kind=kind if not c.chance(8) else None)
    else:
        match = [n for n in c.pool if tuple(c.ref(n).shape) == bshape]
        b = c.pick(match) if match else c.new_leaf(bshape, kind=kind)
    if c.chance(25):
        a, b = b, a  # vector @ matrix and friends (shapes may no longer fit: an error to compare)
    ta, tb = c.tame_big(a, 1e3), c.tame_big(b, 1e3)
    form = c.int(0, 2)
    if form == 0:
        return f"{ta} @ {tb}" if ta == a and tb == b else f"({ta}) @ ({tb})"
    if form == 1:
        return f"torch.matmul({ta}, {tb})"
    return f"({ta}).matmul({tb})"


def op_softmax(c):
    a = c.operand()
    if a is None:
        return None
    nd = c.ref(a).dim()
    n = max(nd, 1)
    d = c.int(-n, n - 1)
    if c.chance(3):
        d = n
    fn = c.pick(("softmax", "log_softmax"))
    x = a if c.ref(a).is_floating_point() or c.chance(20) else f"{a}.float()"
    form = c.int(0, 2)
    if form == 0:
        return f"torch.{fn}({x}, {d})"
    if form == 1:
        return f"torch.{fn}({x}, dim={d})"
    return f"{x}.{fn}({d})"


OPS = [(op_unary, 4), (op_binary, 5), (op_pow, 2), (op_reduce, 3), (op_reshape, 2), (op_transpose, 2),
       (op_unsqueeze, 1), (op_expand, 1), (op_getitem, 2), (op_cat, 1), (op_where, 1), (op_matmul, 2),
       (op_softmax, 2)]
OP_TABLE = [fn for fn, w in OPS for _ in range(w)]


# ---------------------------------------------------------------- backward
def snapshot_grads(env):
    snap = {}
    for name, t in env.items():
        if isinstance(t, A.Tensor):
            g = t._grad
            snap[name] = (g, None if g is None else np.array(g._data, copy=True))
    return snap


def assert_grads_unchanged(c, snap, what):
    for name, (g, data) in snap.items():
        t = c.env[A][name]
        if t._grad is not g or (g is not None and not np.array_equal(g._data, data, equal_nan=True)):
            c.fail(f"{what} failed but changed {name}.grad in autograd_lab (a failed backward must change no .grad)")


def compare_grads(c, what, names):
    """``.grad`` of every leaf and retained tensor, in the three worlds."""
    eps = c.case_eps()
    for name in names:
        m, r, s = c.env[A][name], c.env[torch][name], c.env[SHADOW].get(name) if c.shadow_ok else None
        if not r.requires_grad:
            continue
        if r.grad_fn is not None and not r.retains_grad:
            continue
        rg = r.grad
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mg = m.grad
            sg = s.grad if isinstance(s, torch.Tensor) else None
        c.tags.discard("root")
        if name == c.root:
            c.tags.add("root")
        if name in c.targets and r.grad_fn is not None:
            c.tags.add("nonleaf-input")
        else:
            c.tags.discard("nonleaf-input")
        if rg is None:
            if mg is not None:
                c.fail(f"{what}: {name}.grad should be None, is {mg!r}")
            continue
        if mg is None:
            c.fail(f"{what}: {name}.grad is None; PyTorch has {rg!r}")
        c.compare(f"{what}: {name}.grad", mg, rg, sg, eps=eps, names=True)
        c.count("grads")
    c.tags.discard("root")
    c.tags.discard("nonleaf-input")


def compare_retains(c, what):
    for name in c.pool:
        m, r = c.env[A][name], c.env[torch][name]
        if m.retains_grad != r.retains_grad:
            c.fail(f"{what}: {name}.retains_grad {m.retains_grad} != {r.retains_grad}")


def backward_phase(c):
    """A backward pass from one of the values (and maybe a second one); see the module docstring."""
    diff = [n for n in c.pool if c.ref(n).requires_grad]
    if not diff:
        if c.pool and c.chance(30):
            src = f"{c.pool[-1]}.sum().backward()"
            c.lines.append(src)
            _, err = c.run(src)
            c.errors_match(err, "backward of a tensor that does not require grad")
        return
    c.root = root = diff[len(diff) - 1 - c.int(0, len(diff) - 1)]
    rr = c.ref(root)
    gm = graph_sig(c.env[A][root].grad_fn, {id(c.env[A][n]): n for n in c.leaves}, {})
    gr = graph_sig(rr.grad_fn, {id(c.env[torch][n]): n for n in c.leaves}, {})
    if gm != gr:
        c.fail(f"graph of {root}:\n  autograd_lab: {gm}\n  PyTorch:      {gr}")
    c.count("graphs")

    for n in diff:
        if c.ref(n).grad_fn is not None and c.chance(15):
            c.lines.append(f"{n}.retain_grad()")
            c.run(f"{n}.retain_grad()")
    if c.chance(4):
        n = c.pick(c.pool)
        c.lines.append(f"{n}.retain_grad()")
        _, err = c.run(f"{n}.retain_grad()")
        c.errors_match(err, f"{n}.retain_grad()")

    # the upstream gradient: implicit for one element, else random (rarely of a wrong shape)
    if rr.numel() == 1 and not c.chance(40):
        grad = None
    else:
        shape = c.random_shape() if c.chance(4) else tuple(rr.shape)
        rng = np.random.default_rng(c.int(0, 2 ** 16))
        arr = np.asarray(rng.integers(-8, 9, size=shape) / 4, dtype=to_np(rr).dtype)
        sdt = to_np(c.env[SHADOW][root]).dtype if c.shadow_ok else arr.dtype
        grad = f"torch.tensor({c.const(arr, shadow=arr.astype(sdt))})"
    if c.chance(3):
        grad = None  # implicit: an error unless the root has one element
    retain = c.pick(("None", "True", "False"))
    create = c.chance(35)
    opts = []
    if retain != "None":
        opts.append(f"retain_graph={retain}")
    if create:
        opts.append("create_graph=True")
    use_grad = c.chance(35)
    c.targets = targets = []
    if use_grad or c.chance(15):
        cands = [n for n in diff if n != root]
        targets = [n for n in c.leaves if c.ref(n).requires_grad]
        if cands and c.chance(40):
            targets = targets + [c.pick(cands)]
        if c.chance(40) and len(targets) > 1:
            targets = targets[:-1] if c.chance(50) else targets[1:]
        if not targets:
            targets = [root]
        c.targets = targets
    if use_grad:
        unused = "True" if c.chance(85) else "False"
        src = (f"torch.autograd.grad({root}, [{', '.join(targets)}], {grad or 'None'}"
               + "".join(", " + o for o in opts) + f", allow_unused={unused})")
        c.tags.add("autograd.grad")
    else:
        args = ([] if grad is None else [grad]) + ([f"inputs=[{', '.join(targets)}]"] if targets else []) + opts
        src = f"{root}.backward({', '.join(args)})"
        if targets:
            c.tags.add("inputs")
    snap = {}

    def take_snapshot():
        snap.clear()
        snap.update(snapshot_grads(c.env[A]))

    out, err = c.run(src, before_ours=take_snapshot)
    c.lines.append(src if not use_grad else f"g1 = {src}")
    c.count("backward")
    if c.errors_match(err, src):
        assert_grads_unchanged(c, snap, src)
        c.lines[-1] += f"  # raises {type(err[torch]).__name__}"
        return
    eps = c.case_eps()
    if use_grad:
        c.compare("autograd.grad", out[A], out[torch], out.get(SHADOW), eps=eps, names=not create)
        for w in WORLDS:
            if w in out:
                c.env[w]["g1"] = out[w]
    compare_grads(c, src, c.pool)
    compare_retains(c, src)

    # ---- a second pass ----
    again = c.int(0, 9)
    if create:
        c.tags.add("create_graph")
        if use_grad:
            firsts = [f"g1[{i}]" for i, n in enumerate(targets)
                      if out[torch][i] is not None and out[torch][i].requires_grad]
        else:
            firsts = [f"{n}.grad" for n in c.leaves if c.ref(n).grad is not None and c.ref(n).grad.requires_grad]
        if not firsts:
            return
        terms = []
        for p in firsts:
            t = eval(p, {}, c.env[torch])
            rng = np.random.default_rng(c.int(0, 2 ** 16))
            w = np.asarray(rng.integers(-4, 5, size=tuple(t.shape)) / 2, dtype=to_np(t).dtype)
            sdt = to_np(eval(p, {}, c.env[SHADOW])).dtype if c.shadow_ok else w.dtype
            terms.append(f"({p} * torch.tensor({c.const(w, shadow=w.astype(sdt))})).sum()")
        total = " + ".join(terms)
        wrt = [n for n in c.leaves if c.ref(n).requires_grad]
        c.count("double_backward")
        if again < 7:
            src2 = f"torch.autograd.grad({total}, [{', '.join(wrt)}], allow_unused=True)"
            out2, err2 = c.run(src2)
            c.lines.append(f"g2 = {src2}")
            if c.errors_match(err2, src2):
                return
            c.compare("grad2", out2[A], out2[torch], out2.get(SHADOW), eps=eps, names=False)
        else:
            # backward through the gradients into the same .grad they are part of
            src2 = f"({total}).backward()"
            out2, err2 = c.run(src2, before_ours=take_snapshot)
            c.lines.append(src2)
            if c.errors_match(err2, src2):
                assert_grads_unchanged(c, snap, src2)
                return
            compare_grads(c, src2, c.pool)
        return
    if again < 6:
        # the same backward again: accumulates on a retained graph, fails on a freed one (if it saved)
        c.tags.add("again")
        out2, err2 = c.run(src, before_ours=take_snapshot)
        c.lines.append(src if not use_grad else f"g1 = {src}")
        c.count("backward_again")
        if c.errors_match(err2, "the same backward again"):
            assert_grads_unchanged(c, snap, "the same backward again")
            c.lines[-1] += f"  # raises {type(err2[torch]).__name__}"
            return
        if use_grad:
            c.compare("autograd.grad again", out2[A], out2[torch], out2.get(SHADOW), eps=eps)
        compare_grads(c, "the same backward again", c.pool)


# ---------------------------------------------------------------- known core bugs
class KnownBug(Exception):
    """The case hit a bug that has its own xfail regression test below: discarded, not failed."""


def _program(c):
    return "\n".join(c.lines)


def same_in_both(src):
    """Run ``src`` (which sets ``out``) with ``torch`` bound to each library; the same ``out`` (repr,
    dtype, values) or the same error (type and first line) -- else AssertionError."""
    res = {}
    for lib in (torch, A):
        env = {"torch": lib, "np": np}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(textwrap.dedent(src), env)
            res[lib] = ("ok", env.get("out"))
        except Exception as e:  # noqa: BLE001
            res[lib] = ("raised", f"{type(e).__name__}: {first_line(e)}")
    (km, m), (kr, r) = res[A], res[torch]
    assert km == kr, f"autograd_lab {km} {m!r}; PyTorch {kr} {r!r}"
    if km == "raised":
        assert m == r, f"\n  autograd_lab: {m}\n  PyTorch:      {r}"
    else:
        assert repr(m) == repr(r), f"\n  autograd_lab: {m!r}\n  PyTorch:      {r!r}"
    return r


# Each known bug: an id, a one-line reason, a predicate recognising it in a fuzzer failure (narrow on
# purpose: a *new* bug with a similar symptom must still fail the fuzzer), and a minimal check that
# is also its strict-xfail regression test (test_bug_<id>). A predicate is only used while its check
# still fails: once a fix lands, the fuzzer compares those cases again by itself (and the xfail
# turns XPASS, which says to remove the marker: delete the ``@bug(...)`` decorator -- that is the
# marker -- and the test stays as a plain regression test).
BUGS = {}
_ACTIVE = {}


def bug(reason, predicate):
    def deco(check):
        bug_id = check.__name__[len("test_bug_"):]
        BUGS[bug_id] = (check, predicate)
        return pytest.mark.xfail(reason="bug: " + reason, strict=True)(check)
    return deco


def bug_active(bug_id):
    if bug_id not in _ACTIVE:
        try:
            BUGS[bug_id][0]()
            _ACTIVE[bug_id] = False
        except Exception:  # noqa: BLE001 - AssertionError or whatever the bug raises
            _ACTIVE[bug_id] = True
    return _ACTIVE[bug_id]


def known_bug(msg, c):
    for bug_id, (_check, predicate) in BUGS.items():
        if predicate(msg, c) and bug_active(bug_id):
            return bug_id
    return None


def test_bug_create_graph_leaf_grad_is_copy():
    """With create_graph a leaf's first .grad is a copy the graph goes through (CopyBackwards), as
    PyTorch's AccumulateGrad makes it; it was the backward formula's own output (MulBackward0)."""
    out = same_in_both("""
        x = torch.tensor(2., requires_grad=True)
        (x ** 3).backward(create_graph=True)
        out = x.grad
    """)
    assert "CopyBackwards" in repr(out)


DOUBLE_BACKWARD_NAMES = {
    "tanh": ("torch.tanh(x)", "TanhBackwardBackward0"),
    "sigmoid": ("torch.sigmoid(x)", "SigmoidBackwardBackward0"),
    "softmax": ("x.softmax(0) * w", "SoftmaxBackwardDataBackward0"),
    "log_softmax": ("x.log_softmax(0) * w", "LogSoftmaxBackwardDataBackward0"),
    "max_dim": ("x.max(0)[0] ** 2", "ScatterBackward0"),
    "index": ("x[[0]] ** 2", "IndexPutImplBackward0"),
}


@pytest.mark.parametrize("op", sorted(DOUBLE_BACKWARD_NAMES))
def test_double_backward_node_names(op):
    """The grad_fn of a create_graph gradient is PyTorch's backward formula's node (it shows in reprs).
    Found by this fuzzer (MulBackward0 where PyTorch has TanhBackwardBackward0 ...), fixed since."""
    expr, name = DOUBLE_BACKWARD_NAMES[op]
    out = same_in_both(f"""
        x = torch.tensor([0.5, -1.0], requires_grad=True)
        w = torch.tensor([1.0, 2.0])
        g, = torch.autograd.grad(({expr}).sum(), x, create_graph=True)
        out = g
    """)
    assert name in repr(out)


# The whole graph of a create_graph gradient, node by node: PyTorch's backward formulas use Scalar
# overloads (MulBackward1 in pow and sqrt, SubBackward1 in pow's exponent, DivBackward1 in a mean
# loss) and a negation where they say -sin.
DOUBLE_BACKWARD_GRAPHS = {
    "add_alpha": "torch.add(x, w, alpha=2)", "sub_alpha": "torch.sub(x, w, alpha=3)", "rsub": "2 - x",
    "mul": "x * w", "div": "x / w", "div_number": "x / 3", "pow2": "x ** 2", "pow3": "x ** 3",
    "pow_tensor": "x ** w", "rpow": "2 ** x", "square": "x.square()", "exp": "x.exp()",
    "log": "x.abs().log()", "sqrt": "x.abs().sqrt()", "rsqrt": "x.abs().rsqrt()", "sin": "x.sin()",
    "cos": "x.cos()", "tanh": "x.tanh()", "sigmoid": "x.sigmoid()", "relu": "x.relu()", "abs": "x.abs()",
    "mean": "x.mean()", "softmax": "x.softmax(0) * w", "log_softmax": "x.log_softmax(0) * w",
    "mm": "x.view(1, 2) @ w.view(2, 1)", "clamp": "x.clamp(-0.7, 0.7)", "max_dim": "x.max(0)[0] ** 2",
    "index": "x[[0]] ** 2", "where": "torch.where(x > 0, x, w)", "reciprocal": "x.reciprocal()",
    "bce_logits": "torch.nn.functional.binary_cross_entropy_with_logits(x, w.sigmoid())",
    "mse": "torch.nn.functional.mse_loss(x, w)", "mse_sum": "torch.nn.functional.mse_loss(x, w, reduction='sum')",
    "cross_entropy": "torch.nn.functional.cross_entropy(x.view(1, 2), torch.tensor([1]))",
    "nll_none": "torch.nn.functional.nll_loss(x.view(1, 2).log_softmax(1), torch.tensor([0]), reduction='none') ** 2",
    "leaky_relu": "torch.nn.functional.leaky_relu(x, 0.1) * w", "gelu": "torch.nn.functional.gelu(x)",
    "silu": "torch.nn.functional.silu(x)", "softplus": "torch.nn.functional.softplus(x)",
    "elu": "torch.nn.functional.elu(x)", "log1p": "x.abs().log1p()", "expm1": "x.expm1()", "cumsum": "x.cumsum(0) * w",
    "norm": "x.norm()", "norm_dim": "x.view(1, 2).norm(dim=1)", "var": "x.var()", "std": "x.std()",
    "var_dim": "x.view(1, 2).var(1)", "std_dim": "x.view(1, 2).std(1)", "std_one": "x[:1].std()",
}


@pytest.mark.filterwarnings("ignore:std\\(\\). degrees of freedom is <= 0")  # std_one, in both libraries (. is its colon)
@pytest.mark.parametrize("op", sorted(DOUBLE_BACKWARD_GRAPHS))
def test_double_backward_graph_names(op):
    def names(lib):
        x = lib.tensor([0.5, -1.0], requires_grad=True)
        w = lib.tensor([1.5, 2.0], requires_grad=True)
        y = eval(DOUBLE_BACKWARD_GRAPHS[op], {"torch": lib, "x": x, "w": w})
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        out, stack, seen = [], [g.grad_fn], set()
        while stack:  # depth first, inputs in order: the same walk on both graphs
            node = stack.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            out.append(node.name())
            stack.extend(n for n, _ in reversed(node.next_functions))
        return out
    assert names(A) == names(torch)


def test_bug_nonleaf_inputs_twice():
    same_in_both("""
        x = torch.tensor([1., 2.], requires_grad=True)
        y = x * 2
        (y * y).sum().backward(inputs=[y])
        out = y.grad
    """)


def test_bug_accumulate_keeps_grad_graph():
    """Accumulating without create_graph into a .grad that has a graph adds in place (the version
    goes up) and keeps its grad_fn; it used to replace it by a tensor without one."""
    same_in_both("""
        x = torch.tensor([1., 2.], requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        first = x.grad
        (x.grad * 2).sum().backward()
        out = (x.grad.requires_grad, x.grad.tolist(), x.grad is first, x.grad._version, x.grad.grad_fn.name())
    """)


def test_retained_grad_is_clone_then_sum():
    """retain_grad: a clone the first time (CloneBackward0 under create_graph), then grad + new, out
    of place (version 0); a leaf's .grad grows in place (version 1, 2, ...)."""
    same_in_both("""
        x = torch.tensor([1., 2.], requires_grad=True)
        y = x * 3
        y.retain_grad()
        (y ** 2).sum().backward(create_graph=True)
        first = (repr(y.grad), y.grad._version, repr(x.grad), x.grad._version)
        (y ** 2).sum().backward(retain_graph=True)
        out = (first, repr(y.grad), y.grad._version, repr(x.grad), x.grad._version)
    """)


def test_bug_root_retained_unreached():
    """A retain_grad()'d root that leads to none of backward(inputs=...) still gets its .grad (and its
    tensor hooks run), as in PyTorch; it used to be skipped whole."""
    same_in_both("""
        x = torch.tensor([1., 2.], requires_grad=True)
        w = torch.tensor(3., requires_grad=True)
        y = w * 2
        y.retain_grad()
        y.backward(inputs=[x])
        out = (y.grad, x.grad)
    """)


def test_bug_failed_grad_keeps_retained():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    u = A.tensor([5.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        A.autograd.grad((y * y).sum(), [x, u])
    assert y.grad is None, f"a failed autograd.grad changed y.grad to {y.grad}"


def test_bug_pow_mixed_dtype_precision():
    same_in_both("""
        e = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
        y = torch.tensor([3], dtype=torch.int32) ** e
        y.backward(torch.ones(1, dtype=torch.float64))
        out = e.grad.item()
    """)
    # a float32 base: ln(base) in float64 too; the base's own gradient comes back as float32
    same_in_both("""
        b = torch.tensor([3.3, 0.7], requires_grad=True)
        e = torch.tensor([0.3, -1.1], dtype=torch.float64, requires_grad=True)
        (b ** e).sum().backward()
        out = (e.grad.tolist(), b.grad.dtype, b.grad.tolist())
    """)


def test_bug_max_dim_inf_then_nan():
    same_in_both("""
        out = torch.tensor([[float('inf'), float('nan'), 1.]]).max(1)
    """)
    # with a graph the index too was the inf's, and so the gradient's place; min's mirror, amax, argmax
    same_in_both("""
        inf, nan = float('inf'), float('nan')
        x = torch.tensor([[inf, nan, 1.], [1., inf, nan], [-inf, nan, 2.], [2., 2., 1.]], requires_grad=True)
        v, i = x.max(1)
        w, j = x.t().min(0)
        (v.sum() + w.sum()).backward()
        out = (v, i, w, j, x.grad, x.amax(1), x.amin(1), x.argmax(1), x.argmin(1), x.max(), x.min())
    """)


def test_bug_dot_check_order():
    same_in_both("""
        out = torch.ones(3, dtype=torch.float64) @ torch.ones(4)
    """)


def test_bug_grad_runs_target_node():
    same_in_both("""
        x = torch.tensor([1., 2.], requires_grad=True)
        y = x * x
        z = y.sum()
        torch.autograd.grad(z, [y])
        out = torch.autograd.grad(z, [y])
    """)


def test_bug_rpow_layout():
    same_in_both("""
        x = torch.tensor([[1.5, 0.5], [0.0, -1.0]])
        out = (2 ** x.t()).is_contiguous()
    """)
    # any layout (permuted, sliced, an int exponent cast first) gives row-major; 0-d stays 0-d;
    # view only works on a row-major result
    same_in_both("""
        y = torch.arange(24.).reshape(2, 3, 4).permute(2, 0, 1)
        n = torch.tensor([[1, 2, 3], [0, 4, 2]])
        out = ((2 ** y).is_contiguous(), (2.5 ** n.t()).is_contiguous(), (2 ** y[:, ::2]).is_contiguous(),
               (2 ** torch.tensor(0.5)).shape, (2 ** y).view(-1)[:3])
    """)


def test_bug_grad_layout():
    same_in_both("""
        x = torch.ones(2, 3, requires_grad=True)
        x.t().backward(torch.ones(3, 2))
        out = (x.grad.is_contiguous(), x.grad.view(6))
    """)


# Found by this fuzzer and already fixed in the core: plain regression tests now.
FIXED = {
    "slice_of_0d": "out = torch.tensor(1.5)[:]",
    "cat_of_0d": "out = torch.cat([torch.tensor(1.), torch.tensor(2.)])",
    "cat_1d_with_0d": "out = torch.cat([torch.tensor([1.]), torch.tensor(2.)])",
    "cat_legacy_empty_dim": "out = torch.cat([torch.zeros(0, dtype=torch.float64), torch.ones(3, 1)], dim=-1)",
    "transpose_0d": "out = torch.tensor(1.5).transpose(-1, 0)",
    "softmax_0d_dim": "out = torch.tensor(1.5).softmax(1)",
    "max_0d_dim": "out = torch.tensor(1.5).max(1)",
    "softmax_int_0d_dim": "out = torch.tensor(1, dtype=torch.int32).softmax(1)",
    "reshape_empty_infer": "out = torch.zeros(0).reshape(-1, 0)",
    "addmv_dtype_message": "out = torch.ones(2, 3) @ torch.ones(3, dtype=torch.int32)",
    "bmm_dtype_message": "out = torch.ones(4, 2, 3) @ torch.ones(4, 3, 2, dtype=torch.float64)",
    "empty_matmul_skips_dtype_check": "out = torch.zeros(1, 0, dtype=torch.int64) @ torch.ones(1, 0, 3)",
    "empty_list_index": "out = torch.ones(2, 3)[[]]",
    "index_broadcast_message": "out = torch.ones(2, 3)[[0, 1, 1], [0, 1]]",
    "advanced_index_oob_dim": "out = torch.ones(3, 4)[:, [0, 9]]",
    "mask_then_none_message": "out = torch.ones(4, 2)[..., torch.tensor([True, False, True, True]), None]",
    "int_add_float_alpha": "out = torch.add(torch.tensor([1, 2]), torch.tensor([1, 2]), alpha=0.5)",
    "sign_of_nan": "out = torch.tensor([float('nan'), -0.0, 2.]).sign()",
    "abs_nan_grad": """
        x = torch.tensor([float('nan'), 1.], requires_grad=True)
        x.abs().sum().backward()
        out = x.grad""",
    "relu_nan_grad": """
        x = torch.tensor([float('nan'), -1., 2.], requires_grad=True)
        x.relu().backward(torch.tensor([5., 5., 5.]))
        out = x.grad""",
    "where_saves_condition": """
        x = torch.tensor([1., -2.], requires_grad=True)
        s = torch.where(x > 0, x, 0.).sum()
        s.backward()
        s.backward()""",
    "max_dim_saves_indices": """
        x = torch.tensor([[1., 3.], [4., 2.]], requires_grad=True)
        s = torch.max(x, 1)[0].sum()
        s.backward()
        s.backward()""",
    "index_saves_indices": """
        x = torch.tensor([1., 3., 4.], requires_grad=True)
        s = x[[0, 2]].sum()
        s.backward()
        s.backward()""",
    "masked_fill_saves_mask": """
        x = torch.tensor([1., 3., 4.], requires_grad=True)
        s = x.masked_fill(torch.tensor([True, False, True]), 0.).sum()
        s.backward()
        s.backward()""",
    "softmax_output_layout": """
        x = torch.ones(2, 3, 4).mT
        out = [x.softmax(1).is_contiguous(), x.log_softmax(1).is_contiguous(), x.sum(0).is_contiguous()]""",
    "binary_output_layout": """
        a = torch.arange(9.).reshape(3, 3)
        out = (a.t() + a).is_contiguous()""",
    "matmul_fold_after_softmax": """
        x = torch.ones(3, 3, 3, requires_grad=True)
        y = torch.softmax(x.mT, dim=1) @ torch.ones(3, 1)
        out = (y.grad_fn.name(), y.grad_fn.next_functions[0][0].name())""",
    "matmul_fold_after_expand": """
        x = torch.ones(3, 3, requires_grad=True)
        y = x.expand(1, 3, -1) @ torch.ones(3, 2)
        out = (y.grad_fn.name(), y.grad_fn.next_functions[0][0].name())""",
    "column_major_mat1_grad_layout": """
        a = torch.tensor([[1.5], [0.5]], requires_grad=True)
        b = torch.tensor([[[1.5, 0.5], [0., -1.]]], requires_grad=True)
        c = torch.ones(3, 2, requires_grad=True)
        d = torch.ones(3, 4, requires_grad=True)
        ga = torch.autograd.grad(a.t() @ b, [a, b], torch.ones(1, 1, 2))
        gc = torch.autograd.grad(c.t().mm(d), [c, d], torch.ones(2, 4))
        out = [g.is_contiguous() for g in ga + gc]""",
    "expanded_copy_layout": """
        e = torch.tensor([-2, 2]).expand(2, 2)
        out = [e.clone().stride(), e.to(torch.float64).stride(), torch.exp(e).stride(),
               torch.ones(4, 6)[:, ::2].t().clone().stride()]""",
    "retained_grad_is_row_major": """
        v1 = torch.ones(4, 2, 1, requires_grad=True)
        v2 = torch.unsqueeze(v1, 0)
        v3 = v2.transpose(-3, 3)
        v2.retain_grad()
        v3.backward(torch.ones(1, 1, 2, 4))
        out = (v2.grad.is_contiguous(), v2.grad.stride())""",
    "mse_double_backward": """
        out = []
        for red in ["mean", "sum", "none"]:
            for sx, sw in [((3,), (3,)), ((3, 1), (3,))]:
                x = torch.tensor([0.5, -1.0, 2.0]).reshape(sx).requires_grad_()
                w = torch.tensor([1.5, 2.0, -0.5]).reshape(sw).requires_grad_()
                gx, gw = torch.autograd.grad(torch.nn.functional.mse_loss(x, w, reduction=red).sum(), [x, w],
                                             create_graph=True)
                h = torch.autograd.grad(gx.sum() + (gx * gw.sum()).sum(), [x, w])
                out.append((gx.grad_fn.name(), gw.grad_fn.name(), gx.detach(), gw.detach()) + h)""",
    "nll_double_backward": """
        out = []
        for red in ["mean", "sum", "none"]:
            x = torch.tensor([[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]], requires_grad=True)
            lp = x.log_softmax(-1)
            y = torch.nn.functional.nll_loss(lp, torch.tensor([1, -100]), weight=torch.tensor([1., 2., 3.]),
                                             reduction=red)
            g, = torch.autograd.grad((y * y).sum(), lp, create_graph=True)
            h, = torch.autograd.grad((g * g).sum(), x)
            out.append((g.grad_fn.name(), g.detach(), h))""",
    "scalar_nodes_saved_other": """
        x = torch.tensor(2.0, requires_grad=True)
        (df,) = torch.autograd.grad(x ** 4, x, create_graph=True)
        (g,) = torch.autograd.grad(torch.nn.functional.binary_cross_entropy_with_logits(x.view(1), torch.ones(1)), x,
                                   create_graph=True)
        out = (df.grad_fn.next_functions[1][0]._saved_other, g.grad_fn.next_functions[0][0]._saved_other)""",
    "add_alpha_check_order": "out = torch.add(torch.ones(2, 3, dtype=torch.int64), torch.tensor([3, -1]), alpha=0.5)",
    "empty_matmul_int_requires_grad":
        "out = torch.zeros(4, 0, 2, requires_grad=True) @ torch.ones(4, 2, 3, dtype=torch.int64)",
    "pow0_saves_self": """
        x = torch.tensor([1., 3.], requires_grad=True)
        s = (x ** 0).sum()
        s.backward()
        s.backward()""",
}


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_bug(name):
    same_in_both(FIXED[name])


def run_case(data, stats):
    c = Case(data, stats)
    c.root, c.targets = None, []
    try:
        for _ in range(c.int(1, 3)):
            c.new_leaf()
        for _ in range(c.int(1, 8)):
            src = c.pick(OP_TABLE)(c)
            if src is None:
                continue
            pick = None
            if isinstance(src, tuple):
                src, pick = src
            c.assign(c.fresh(), src, pick=pick)
        backward_phase(c)
    except Stop:
        pass
    except KnownBug as e:
        c.count(f"known:{e}")
        c.count("discarded")
        if not isinstance(data, random.Random):
            assume(False)
        raise
    except Mismatch:
        stats["mismatches"] = stats.get("mismatches", 0) + 1
        raise
    stats["cases"] += 1
    return c


@pytest.mark.filterwarnings("ignore")
@FUZZ_SETTINGS
@given(data=st.data())
def test_fuzz_graphs(data):
    run_case(data, STATS["c"])


def test_fuzz_count():
    """Runs after the fuzzer: says how much was compared (also printed in the terminal summary)."""
    stats = STATS["c"]
    if stats["cases"] == 0:
        pytest.skip("the fuzzer did not run (deselected)")
    if stats.get("mismatches"):
        pytest.skip("the fuzzer failed (see test_fuzz_graphs); hypothesis stopped early")
    assert stats["cases"] >= N_EXAMPLES, stats
    print(f"fuzz: {stats['cases']} cases compared")
