"""PyTorch's CPU random number generator, reproduced bit for bit with NumPy.

``from autograd_lab import random as agr`` gives you the same numbers that
``torch`` gives on the CPU for the same seed::

    torch.manual_seed(0); torch.randn(3)          # tensor([ 1.5410, -0.2934, -2.1788])
    agr.manual_seed(0);   agr.normal((3,))        # array([ 1.5410, -0.2934, -2.1788], dtype=float32)

This docstring explains, in plain words, how those numbers are made.

1. The raw bits: a Mersenne Twister
-----------------------------------
Everything starts from one engine, the 32-bit Mersenne Twister "mt19937".
It keeps 624 unsigned 32-bit words of state.  Each call returns one
32-bit integer; after 624 calls it mixes ("twists") the whole state to make
the next 624.  Seeding fills the 624 words from the seed with a fixed
recipe (only the low 32 bits of the seed are used, so seeds 7 and 2**40+7
give the same stream, although ``initial_seed()`` remembers the full
64-bit value).  NumPy ships the very same engine (``np.random.MT19937``), so
this module lets NumPy produce the raw 32-bit words and only re-implements
what PyTorch does with them.  When PyTorch needs 64 random bits it takes two
32-bit words and glues them together, the first one becoming the high half.

2. From bits to floats (``torch.rand``, ``uniform_``)
-----------------------------------------------------
A float32 has a 24-bit significand, so PyTorch keeps the low 24 bits of one
32-bit word, an integer k in [0, 2**24), and returns k / 2**24.  That is a
number in [0, 1) on a grid of spacing 2**-24.  A float64 uses the low 53
bits of a 64-bit draw (two words): k / 2**53.  For ``uniform_(low, high)``
the result is ``x * (high - low) + low``, and the compiler turns that into
one fused multiply-add (FMA: the product is not rounded before the
addition), so this module emulates an exact FMA.  If rounding lands exactly
on ``high``, PyTorch returns ``low`` instead, so the interval stays [low, high).

3. Normal numbers: Box-Muller
-----------------------------
Two independent uniforms u1, u2 give two independent standard normals::

    r = sqrt(-2 * log(u1)),   theta = 2 * pi * u2
    z1 = r * cos(theta),      z2 = r * sin(theta)

(r is the distance from the origin, theta the angle: a 2-D bell curve is
round, so the angle is uniform.)  PyTorch uses this in two different ways:

* Tensors with fewer than 16 elements take a one-number-at-a-time path in
  double precision: each call draws two float64 uniforms (four 32-bit words),
  returns ``r*cos`` and keeps ``r*sin`` in a cache inside the generator.  The
  next scalar-path normal -- even in a later ``randn`` call -- uses the cached
  value first.  ``manual_seed`` empties the cache, and so does ``set_state``
  when the saved state had no cached value.
* Tensors of 16 or more elements take a vectorized path: fill the whole tensor
  with uniforms, then transform each block of 16 in place, using the first 8
  as the u1's and the last 8 as the u2's.  If the size is not a multiple of 16,
  PyTorch draws 16 *new* uniforms and recomputes the last 16 outputs (which
  overwrites a few values of the previous block).  For float32 the log, sin
  and cos are not the C library's: on x86 CPUs they are the 8-wide AVX2
  polynomial approximations from "avx_mathfun" (Cephes-style), compiled with
  FMA.  This module replays those polynomials operation by operation, in
  float32, with an emulated FMA wherever the compiler fused a multiply and an
  add.  The cache is neither read nor written on this path.

So ``randn(15)`` and ``randn(16)[:15]`` are unrelated numbers, and the
first 15 values of ``randn(17)`` are not those of ``randn(16)``.

4. Integers and permutations
----------------------------
``randint(low, high)`` takes one 32-bit word modulo ``high - low`` (or one
64-bit draw when the range is 2**28 or larger) and adds ``low``.  The modulo
makes small values a tiny bit more likely; PyTorch accepts that.
``randperm(n)`` is a Fisher-Yates shuffle: for i = 0 .. n-2 swap position i
with position i + (word % (n - i)).  (For n >= 2**32 / 20 PyTorch switches to
the "inside-out" variant with 64-bit draws.)  The shuffle is sequential in C,
but it is computed here without a Python loop: the value that ends at
position i can be traced back through the swaps with a little index algebra.

5. Bernoulli, multinomial
-------------------------
``bernoulli_(p)`` with a float p compares one float64 uniform (two words)
with p per element.  ``torch.bernoulli(p_tensor)`` compares a float32 uniform
(one word) with p when p is float32/float16, and a float64 uniform when p is
float64.  ``multinomial`` without replacement (or with one sample) draws one
exponential number E = -log(1 - u) per category and picks the largest p / E
("exponential race", an exact trick equivalent to sampling without
replacement); with replacement it draws one float64 uniform per sample and
looks it up in the cumulative distribution.

Fidelity notes
--------------
Matches torch 2.x CPU on x86-64 (AVX2 / AVX-512 machines) bit for bit.  On
ARM machines, or x86 machines without AVX2, torch's float32 16+ normals use a
different kernel (the C library's logf/sinf/cosf), and uniform_ with bounds
may not use an FMA, so small differences are expected there.  The float64
16+ path and the scalar path call the C library's ``log``/``log1p``/``sin``/
``cos`` (through Python's ``math`` module, the same libm as torch).
"""

from __future__ import annotations

import math
import os
import threading
from typing import Iterable, Optional, Union

import numpy as np

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "uniform",
    "normal",
    "randint",
    "randperm",
    "bernoulli",
    "multinomial",
    "exponential",
]

# --------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------

#: seed of a freshly constructed ``torch.Generator()``
DEFAULT_RNG_SEED = 67280421310721
#: size in bytes of ``torch.get_rng_state()`` for the CPU generator
STATE_SIZE = 5056
_MT_N = 624
# randperm switches algorithm at n >= UINT32_MAX / 20 (integer division)
_RANDPERM_SMALL_LIMIT = 0xFFFFFFFF // 20
# random_(from, to) uses 64-bit draws for ranges >= 2**28
_RANDOM64_RANGE = 1 << 28

_U32 = np.uint32
_U64 = np.uint64
_F32 = np.float32
_F64 = np.float64

# byte layout of CPUGeneratorImplState (native little-endian struct, see the
# "state" section of Generator)
_STATE_DTYPE = np.dtype(
    {
        "names": [
            "the_initial_seed", "left", "seeded", "next", "state",
            "normal_x", "normal_y", "normal_rho", "normal_is_valid",
            "next_float_normal_sample", "is_next_float_normal_sample_valid",
        ],
        "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", (_MT_N,)),
                    "<f8", "<f8", "<f8", "<i4", "<f4", "u1"],
        "offsets": [0, 8, 12, 16, 24, 5016, 5024, 5032, 5040, 5048, 5052],
        "itemsize": STATE_SIZE,
    }
)

ShapeLike = Union[int, Iterable[int]]


def _shape(shape: ShapeLike) -> tuple:
    if shape is None:
        return ()
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    out = tuple(int(s) for s in shape)
    if any(s < 0 for s in out):
        raise ValueError(f"negative dimension in shape {out}")
    return out


def _numel(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _float_dtype(dtype) -> np.dtype:
    dt = np.dtype(_F32 if dtype is None else dtype)
    if dt not in (np.dtype(np.float16), np.dtype(_F32), np.dtype(_F64)):
        raise TypeError(f"expected a floating dtype (float16, float32, float64), got {dt}")
    return dt


def _nondeterministic_seed() -> int:
    return int.from_bytes(os.urandom(8), "little")


def _to_uint64_seed(seed) -> int:
    """torch accepts seeds in [-2**63, 2**64); negatives wrap (two's complement)."""
    try:
        s = int(seed)
    except (TypeError, ValueError):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}") from None
    if isinstance(seed, float) and seed != s:
        raise TypeError("seed must be an integer")
    if not (-(1 << 63) <= s < (1 << 64)):
        raise ValueError("Overflow when unpacking long long")
    return s & 0xFFFFFFFFFFFFFFFF


# --------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------


class Generator:
    """A CPU random generator with the state and stream of ``torch.Generator``.

    ``Generator()`` starts from torch's fixed default seed 67280421310721, like
    ``torch.Generator()``.  Use :meth:`manual_seed` to choose another seed.
    """

    device = "cpu"

    def __init__(self, device: str = "cpu"):
        if str(device) != "cpu":
            raise ValueError(f"only the CPU generator is implemented, got device={device!r}")
        self._lock = threading.RLock()
        self._bg = np.random.MT19937(0)
        self._seed_engine(DEFAULT_RNG_SEED)

    # ------------------------------------------------------------ seeding
    def _seed_engine(self, seed64: int) -> None:
        low32 = seed64 & 0xFFFFFFFF
        if hasattr(self._bg, "_legacy_seeding"):
            self._bg._legacy_seeding(low32)  # mt19937 init_genrand, pos = 624
        else:  # pragma: no cover - very old / future numpy
            key = np.empty(_MT_N, dtype=_U32)
            key[0] = low32
            prev = low32
            for j in range(1, _MT_N):
                prev = (1812433253 * (prev ^ (prev >> 30)) + j) & 0xFFFFFFFF
                key[j] = prev
            self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _MT_N}}
        self._initial_seed = seed64
        self._next_when_left_is_1 = 0  # torch's `next` field right after seeding
        self._next_double_normal: Optional[float] = None
        self._next_float_normal: Optional[float] = None

    def manual_seed(self, seed) -> "Generator":
        """Seed the generator (like ``torch.Generator.manual_seed``); returns self."""
        s = _to_uint64_seed(seed)
        with self._lock:
            self._seed_engine(s)
        return self

    def seed(self) -> int:
        """Seed from OS entropy (non-deterministic) and return the seed used."""
        s = _nondeterministic_seed()
        with self._lock:
            self._seed_engine(s)
        return s

    def initial_seed(self) -> int:
        """The (64-bit) seed last given to this generator."""
        return self._initial_seed

    # ------------------------------------------------------------ state
    def get_state(self) -> np.ndarray:
        """The state as 5056 uint8 bytes, laid out exactly like ``torch.get_rng_state()``.

        Layout (little-endian): u64 initial seed, i32 left, i32 seeded, u64 next,
        624 x u64 Mersenne words, f64 normal_x (0), f64 normal_y (cached double
        normal), f64 normal_rho (0), i32 normal_is_valid, 4 pad bytes,
        f32 cached float normal, u8 its valid flag, 3 pad bytes.
        """
        with self._lock:
            st = self._bg.state["state"]
            pos = int(st["pos"])
            rec = np.zeros((), dtype=_STATE_DTYPE)
            rec["the_initial_seed"] = self._initial_seed
            # torch counts down `left` and up `next`; numpy keeps only `pos`.
            rec["left"] = _MT_N + 1 - pos
            rec["seeded"] = 1
            rec["next"] = pos if pos < _MT_N else self._next_when_left_is_1
            rec["state"] = np.asarray(st["key"], dtype=_U32).astype(_U64)
            if self._next_double_normal is not None:
                rec["normal_is_valid"] = 1
                rec["normal_y"] = self._next_double_normal
            if self._next_float_normal is not None:
                rec["is_next_float_normal_sample_valid"] = 1
                rec["next_float_normal_sample"] = self._next_float_normal
            return np.frombuffer(rec.tobytes(), dtype=np.uint8).copy()

    def set_state(self, new_state) -> "Generator":
        """Restore a state from :meth:`get_state` or from ``torch.get_rng_state()``."""
        arr = np.asarray(new_state)
        if arr.dtype != np.uint8:
            raise TypeError(f"RNG state must be a uint8 array, got dtype {arr.dtype}")
        arr = np.ascontiguousarray(arr).reshape(-1)
        if arr.size != STATE_SIZE:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the "
                f"input RNG state size to be {arr.size}"
            )
        rec = np.frombuffer(arr.tobytes(), dtype=_STATE_DTYPE)[0]
        left, nxt, seeded = int(rec["left"]), int(rec["next"]), int(rec["seeded"])
        if not (seeded and 0 < left <= _MT_N and 0 <= nxt <= _MT_N):
            raise RuntimeError("Invalid mt19937 state")
        if left > 1 and nxt != _MT_N + 1 - left:
            raise RuntimeError(
                "Invalid mt19937 state: 'left' and 'next' disagree (a state the engine never reaches)"
            )
        key = rec["state"].astype(_U32)  # torch truncates the 64-bit words too
        with self._lock:
            self._bg.state = {
                "bit_generator": "MT19937",
                "state": {"key": key, "pos": _MT_N + 1 - left},
            }
            self._initial_seed = int(rec["the_initial_seed"])
            self._next_when_left_is_1 = nxt
            self._next_double_normal = float(rec["normal_y"]) if rec["normal_is_valid"] else None
            self._next_float_normal = (
                float(rec["next_float_normal_sample"]) if rec["is_next_float_normal_sample_valid"] else None
            )
        return self

    def clone_state(self) -> "Generator":
        """A new generator in the same state (like ``torch.Generator.clone_state``)."""
        g = Generator()
        g.set_state(self.get_state())
        return g

    def __repr__(self) -> str:
        return f"<autograd_lab.random.Generator initial_seed={self._initial_seed}>"

    # ------------------------------------------------------------ raw draws
    def _random(self, n: int) -> np.ndarray:
        """n raw 32-bit words (``CPUGeneratorImpl::random``), as uint64."""
        if n <= 0:
            return np.empty(0, dtype=_U64)
        self._next_when_left_is_1 = _MT_N
        return self._bg.random_raw(n)

    def _random64(self, n: int) -> np.ndarray:
        """n 64-bit draws (``random64``): first word is the high half."""
        r = self._random(2 * n)
        hi = r[0::2]
        hi <<= _U64(32)
        hi |= r[1::2]
        return hi


default_generator = Generator()
default_generator.seed()


def _gen(generator: Optional[Generator]) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected an autograd_lab.random.Generator, got {type(generator).__name__}")
    return generator


def manual_seed(seed) -> Generator:
    """Seed the default generator (``torch.manual_seed``); returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator non-deterministically (``torch.seed``)."""
    return default_generator.seed()


def initial_seed() -> int:
    """``torch.initial_seed``."""
    return default_generator.initial_seed()


def get_rng_state() -> np.ndarray:
    """``torch.get_rng_state`` (5056 uint8)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """``torch.set_rng_state``."""
    default_generator.set_state(new_state)


# --------------------------------------------------------------------------
# bits -> uniform floats
# --------------------------------------------------------------------------

_MASK24 = _U64((1 << 24) - 1)
_MASK53 = _U64((1 << 53) - 1)


def _u24(raw: np.ndarray) -> np.ndarray:
    """float32 uniforms in [0, 1): low 24 bits of each 32-bit word times 2**-24."""
    raw &= _MASK24
    out = raw.astype(_F32)
    out *= _F32(2.0 ** -24)
    return out


def _u53(raw64: np.ndarray) -> np.ndarray:
    """float64 uniforms in [0, 1): low 53 bits of each 64-bit draw times 2**-53."""
    raw64 &= _MASK53
    out = raw64.astype(_F64)
    out *= 2.0 ** -53
    return out


# --------------------------------------------------------------------------
# exact fused multiply-add emulation
# --------------------------------------------------------------------------


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    c = 134217729.0 * a  # 2**27 + 1 (Veltkamp)
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _round_to_odd(s: np.ndarray, err: np.ndarray) -> np.ndarray:
    """Given s = RN(x) and the exact err = x - s, return x rounded to odd."""
    adj = (err != 0) & ((s.view(_U64) & _U64(1)) == 0)
    if adj.any():
        s = s.copy()
        s[adj] = np.nextafter(s[adj], np.copysign(np.inf, err[adj]))
    return s


def _fma64(a, b, c) -> np.ndarray:
    """Correctly rounded float64 a*b + c (Boldo & Melquiond's emulation with
    round-to-odd: a*b = uh + ul exactly, c + uh = th + tl exactly, then
    RN(th + RO(tl + ul)))."""
    a, b, c = np.broadcast_arrays(np.asarray(a, _F64), np.asarray(b, _F64), np.asarray(c, _F64))
    a, b, c = (np.array(v, dtype=_F64) for v in (a, b, c))
    with np.errstate(all="ignore"):
        uh, ul = _two_prod(a, b)
        th, tl = _two_sum(c, uh)
        s, err = _two_sum(tl, ul)
        out = th + _round_to_odd(s, err)
        # the error-free transforms need no overflow in the splits and no
        # underflow in the product; fall back to exact rationals elsewhere.
        aa, ab = np.abs(a), np.abs(b)
        bad = ~(np.isfinite(out) & (aa < 2.0 ** 995) & (ab < 2.0 ** 995)
                & ((uh == 0) | (np.abs(uh) > 2.0 ** -960)))
    if bad.any():
        from fractions import Fraction

        for i in zip(*np.nonzero(bad)):
            x, y, z = float(a[i]), float(b[i]), float(c[i])
            if all(map(math.isfinite, (x, y, z))):
                try:
                    out[i] = float(Fraction(x) * Fraction(y) + Fraction(z))
                except OverflowError:
                    out[i] = x * y + z
            else:
                out[i] = x * y + z
    return out


_MID_MASK = _U64((1 << 29) - 1)
_MID_VAL = _U64(1 << 28)


def _fma32_exact(a, b, c) -> np.ndarray:
    """Correctly rounded float32 fma of float32 inputs (any shapes)."""
    a = np.asarray(a, _F64)
    b = np.asarray(b, _F64)
    c = np.asarray(c, _F64)
    p = a * b  # exact: 24 + 24 bits fit in 53
    s, err = _two_sum(*np.broadcast_arrays(p, c))
    # 53-bit round-to-odd followed by rounding to 24 bits is correct rounding
    return _round_to_odd(np.array(s), np.array(err)).astype(_F32)


def _fma32(a, b, c) -> np.ndarray:
    """float32 fma(a, b, c) for float32 values: fast float64 evaluation, with the
    rare double-rounding cases (exact float32 midpoints, tiny results) redone exactly."""
    a32 = np.asarray(a, _F32)
    t = np.multiply(a32, np.asarray(b, _F32), dtype=_F64)
    t += np.asarray(c, _F32)
    out = t.astype(_F32)
    suspicious = ((t.view(_U64) & _MID_MASK) == _MID_VAL) | (np.abs(t) < 2.0 ** -125)
    if suspicious.any():
        a_, b_, c_ = np.broadcast_arrays(a32, np.asarray(b, _F32), np.asarray(c, _F32))
        out = np.array(out, dtype=_F32)
        out[suspicious] = _fma32_exact(a_[suspicious], b_[suspicious], c_[suspicious])
    return out


class _Fma32Workspace:
    """Preallocated buffers for the hot fma32 loop of the vectorized normal."""

    def __init__(self, n: int):
        self.t = np.empty(n, _F64)
        self.u = np.empty(n, _U64)
        self.b = np.empty(n, np.bool_)

    def fma(self, out, a, b64, c, b32=None, c_arr=None):
        """out[:] = fma32(a, b, c).

        a: float32 array; b64: float64 array holding float32 values, or a Python
        float; c: Python float (a float32 value) or float32 array.  ``out`` may
        alias ``a``.  b32/c_arr: float32 versions used only in the rare exact fix.
        """
        t = self.t
        np.multiply(a, b64, out=t)
        np.add(t, c, out=t)
        np.bitwise_and(t.view(_U64), _MID_MASK, out=self.u)
        np.equal(self.u, _MID_VAL, out=self.b)
        if self.b.any():
            idx = np.flatnonzero(self.b)
            bb = b64[idx] if isinstance(b64, np.ndarray) else b64
            cc = c[idx] if isinstance(c, np.ndarray) else c
            fixed = _fma32_exact(a[idx], bb, cc)
            out[...] = t
            out[idx] = fixed
        else:
            out[...] = t


# --------------------------------------------------------------------------
# AVX2 Box-Muller for float32 (torch's NormalFill16<float> on x86)
# --------------------------------------------------------------------------


def _f(v) -> float:
    """A Python float holding the float32 rounding of v."""
    return float(_F32(v))


_SQRTHF = _F32(0.707106781186547524)
_LOG_P = [_f(v) for v in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1,
                          -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
                          2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)]
_LOG_Q1 = _F32(-2.12194440e-4)
_LOG_Q2 = _F32(0.693359375)
_DP1 = _F32(-0.78515625)
_DP2 = _F32(-2.4187564849853515625e-4)
_DP3 = _f(-3.77489497744594108e-8)
_SIN_P = [_f(v) for v in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]
_COS_P = [_f(v) for v in (2.443315711809948e-005, -1.388731625493765e-003, 4.166664568298827e-002)]
_FOPI = _F32(1.27323954473516)
_TWO_PI_F32 = _F32(2.0 * math.pi)


def _log256(x: np.ndarray, ws: _Fma32Workspace) -> np.ndarray:
    """Replay of avx_mathfun's log256_ps (with the FMAs GCC forms) for x in (0, 1]."""
    bits = x.view(_U32)
    e = (bits >> _U32(23)).view(np.int32)
    e = e.astype(_F32)
    e -= _F32(126.0)  # (exponent - 127) + 1
    m = ((bits & _U32(0x807FFFFF)) | _U32(0x3F000000)).view(_F32)
    small = m < _SQRTHF
    xr = m - _F32(1.0)
    xr += np.where(small, m, _F32(0.0))
    e -= small
    z = xr * xr
    x64 = xr.astype(_F64)
    y = np.empty_like(xr)
    ws.fma(y, np.full_like(xr, _LOG_P[0]), x64, _LOG_P[1])
    for p in _LOG_P[2:]:
        ws.fma(y, y, x64, p)
    y *= xr
    ws.fma(y, y, z.astype(_F64), e * _LOG_Q1)
    y -= z * _F32(0.5)  # fnmadd with an exact product
    xr += y
    xr += e * _LOG_Q2  # exact product (small integer * 9-bit constant)
    return xr


def _sincos256(x: np.ndarray, ws: _Fma32Workspace):
    """Replay of avx_mathfun's sincos256_ps for x >= 0; returns (sin, cos)."""
    y = x * _FOPI
    j = y.astype(np.int32)  # truncation, like cvttps
    j += 1
    j &= ~1
    yf = j.astype(_F32)
    xr = x + yf * _DP1  # exact products
    xr += yf * _DP2
    ws.fma(xr, yf, _DP3, xr)  # inexact product: fused
    swap_sin = ((j & 4) << 29).view(_U32)
    sign_cos = ((~(j - 2) & 4) << 29).view(_U32)
    use_sin_poly = (j & 2) == 0
    z = xr * xr
    z64 = z.astype(_F64)
    yc = np.empty_like(xr)
    ws.fma(yc, np.full_like(xr, _COS_P[0]), z64, _COS_P[1])
    ws.fma(yc, yc, z64, _COS_P[2])
    yc *= z
    ws.fma(yc, yc, z64, -(z * _F32(0.5)))
    yc += _F32(1.0)
    ys = np.empty_like(xr)
    ws.fma(ys, np.full_like(xr, _SIN_P[0]), z64, _SIN_P[1])
    ws.fma(ys, ys, z64, _SIN_P[2])
    ys *= z
    ws.fma(ys, ys, xr.astype(_F64), xr)
    s = np.where(use_sin_poly, ys, yc)
    c = np.where(use_sin_poly, yc, ys)
    s.view(_U32)[...] ^= swap_sin
    c.view(_U32)[...] ^= sign_cos
    return s, c


_CHUNK_ROWS = 2048  # blocks of 16 per chunk (keeps the work set in cache)


def _box_muller16_f32(u: np.ndarray) -> np.ndarray:
    """u: (m, 16) float32 uniforms -> (m, 16) float32 standard normals (no mean/std)."""
    m = u.shape[0]
    out = np.empty_like(u)
    ws = _Fma32Workspace(min(m, _CHUNK_ROWS) * 8)
    for s in range(0, m, _CHUNK_ROWS):
        e = min(m, s + _CHUNK_ROWS)
        k = (e - s) * 8
        if k != ws.t.size:
            ws = _Fma32Workspace(k)
        blk = u[s:e]
        u1 = _F32(1.0) - blk[:, :8]  # [0,1) -> (0,1]
        radius = _log256(u1.reshape(-1), ws)
        radius *= _F32(-2.0)
        np.sqrt(radius, out=radius)
        theta = _TWO_PI_F32 * blk[:, 8:]
        sn, cs = _sincos256(theta.reshape(-1), ws)
        np.multiply(radius, cs, out=cs)
        np.multiply(radius, sn, out=sn)
        out[s:e, :8] = cs.reshape(-1, 8)
        out[s:e, 8:] = sn.reshape(-1, 8)
    return out


# --------------------------------------------------------------------------
# float64 Box-Muller (torch's generic NormalFill16<double>): C library math
# --------------------------------------------------------------------------

_NUMPY_MATCHES_LIBM: dict = {}


def _numpy_matches_libm(name: str) -> bool:
    """Does np.<name> give the C library's results (what torch calls)?  NumPy
    may use its own SIMD code; probe once on a few thousand values."""
    if name not in _NUMPY_MATCHES_LIBM:
        probe = np.random.Generator(np.random.PCG64(12345)).random(4096)
        if name in ("sin", "cos"):
            probe = probe * (2 * math.pi)
        elif name == "log":
            probe = 1.0 - probe
        else:  # log1p
            probe = -probe
        fnp, fm = getattr(np, name), getattr(math, name)
        ok = bool(np.array_equal(fnp(probe), np.fromiter(map(fm, probe.tolist()), _F64, probe.size)))
        _NUMPY_MATCHES_LIBM[name] = ok
    return _NUMPY_MATCHES_LIBM[name]


def _libm(name: str, x: np.ndarray) -> np.ndarray:
    """Elementwise C-library function (float64)."""
    if _numpy_matches_libm(name):
        return getattr(np, name)(x)
    f = getattr(math, name)
    flat = x.reshape(-1)
    return np.fromiter(map(f, flat.tolist()), _F64, flat.size).reshape(x.shape)


def _box_muller16_f64(u: np.ndarray) -> np.ndarray:
    """u: (m, 16) float64 uniforms -> (m, 16) float64 standard normals (radius*cos/sin)."""
    u1 = 1.0 - u[:, :8]
    with np.errstate(divide="ignore"):
        radius = np.sqrt(-2.0 * _libm("log", u1))
    theta = (2.0 * math.pi) * u[:, 8:]
    out = np.empty_like(u)
    out[:, :8] = radius * _libm("cos", theta)
    out[:, 8:] = radius * _libm("sin", theta)
    return out


def _apply_mean_std(n: np.ndarray, mean: float, std: float, f32: bool) -> np.ndarray:
    """fma(n, std, mean) as the kernels compute it (exactly rounded)."""
    if mean == 0.0:
        if std != 1.0:
            n = n * (_F32(std) if f32 else std)
        return n + (_F32(0.0) if f32 else 0.0)  # fma(x, s, +0) turns -0 into +0
    if std == 1.0:
        return n + (_F32(mean) if f32 else mean)
    if f32:
        return _fma32(n, _F32(std), _F32(mean))
    return _fma64(n, std, mean)


# --------------------------------------------------------------------------
# samplers
# --------------------------------------------------------------------------


def _uniform_impl(gen: Generator, n: int, dt: np.dtype, low: float, high: float) -> np.ndarray:
    if dt == np.dtype(_F64):
        x = _u53(gen._random64(n))
        if low == 0.0 and high == 1.0:
            return x
        v = _fma64(x, high - low, low)
        v[v == high] = low
        return v
    # float32 and float16 compute in float32 (torch's opmath type)
    x = _u24(gen._random(n))
    lo, hi = _F32(low), _F32(high)
    if not (low == 0.0 and high == 1.0):
        x = _fma32(x, hi - lo, lo)
    if dt == np.dtype(np.float16):
        h = x.astype(np.float16)
        h[h == np.float16(high)] = np.float16(low)
        return h
    x[x == hi] = lo
    return x


def uniform(shape: ShapeLike, dtype=np.float32, low: float = 0.0, high: float = 1.0,
            generator: Optional[Generator] = None) -> np.ndarray:
    """Uniform numbers in [low, high): ``torch.rand`` / ``Tensor.uniform_(low, high)``.

    float32 (and float16) use 24 bits of one 32-bit word per element; float64
    uses 53 bits of a 64-bit draw (two words, the first is the high half).
    """
    shp = _shape(shape)
    dt = _float_dtype(dtype)
    low, high = float(low), float(high)
    if not low <= high:
        raise ValueError(f"uniform_ expects to return a [from, to) range, but found from={low} > to={high}")
    gen = _gen(generator)
    with gen._lock:
        return _uniform_impl(gen, _numel(shp), dt, low, high).reshape(shp)


def _normal_scalar_path(gen: Generator, n: int) -> np.ndarray:
    """torch's one-at-a-time normal_distribution<double> (tensors < 16 elements).

    Returns n float64 standard normals; uses and refills the generator's cache."""
    vals = []
    if n > 0 and gen._next_double_normal is not None:
        vals.append(gen._next_double_normal)
        gen._next_double_normal = None
    pairs = (n - len(vals) + 1) // 2
    if pairs:
        u = _u53(gen._random64(2 * pairs)).tolist()
        for k in range(pairs):
            u1, u2 = u[2 * k], u[2 * k + 1]
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            vals.append(r * math.cos(theta))
            vals.append(r * math.sin(theta))
    if len(vals) > n:
        gen._next_double_normal = vals.pop()
    return np.array(vals, dtype=_F64)


def _normal_impl(gen: Generator, n: int, dt: np.dtype, mean: float, std: float) -> np.ndarray:
    """Tensor.normal_(mean, std) on a contiguous tensor of n elements."""
    if n < 16:
        z = _normal_scalar_path(gen, n)
        v = _apply_mean_std(z, mean, std, f32=False)
        if dt == np.dtype(np.float16):
            return v.astype(_F32).astype(np.float16)  # c10::Half is built from a float
        return v.astype(dt)
    tail = n % 16
    if dt == np.dtype(_F64):
        u = _u53(gen._random64(n))
        t = _u53(gen._random64(16)) if tail else None
        bm = _box_muller16_f64
        f32 = False
    else:
        u = _u24(gen._random(n))
        t = _u24(gen._random(16)) if tail else None
        bm = _box_muller16_f32
        f32 = True
    full = n - tail
    out = np.empty(n, dtype=u.dtype)
    out[:full] = bm(u[:full].reshape(-1, 16)).reshape(-1)
    if tail:
        # torch redraws 16 uniforms and recomputes the last 16 outputs
        out[n - 16:] = bm(t.reshape(1, 16)).reshape(-1)
    out = _apply_mean_std(out, mean, std, f32=f32)
    if dt == np.dtype(np.float16):
        return out.astype(np.float16)
    return out


def normal(shape: Optional[ShapeLike] = None, dtype=np.float32, mean=0.0, std=1.0,
           generator: Optional[Generator] = None) -> np.ndarray:
    """Normal numbers: ``torch.randn`` / ``Tensor.normal_(mean, std)`` / ``torch.normal``.

    * float mean and std: ``torch.normal(mean, std, shape)`` = ``empty(shape).normal_(mean, std)``.
    * array ``mean``, float ``std`` (``torch.normal(mean_t, std)``): draws
      ``normal_(0, std)`` in ``mean``'s shape and dtype, then adds ``mean``.
    * float ``mean``, array ``std``: draws ``normal_(0, 1)`` in ``std``'s shape and
      dtype, multiplies by ``std``, then adds ``mean`` (two roundings, like torch).
    * array ``mean`` and ``std``: broadcast shape, ``mean``'s dtype; ``normal_(0, 1)``
      then ``* std`` then ``+ mean``.

    For the tensor forms the dtype is the floating dtype of the array argument
    (as in torch); ``dtype`` is used only when it is not floating, and ``shape``
    may be None or must equal the result shape.
    """
    gen = _gen(generator)
    mean_is_arr = isinstance(mean, np.ndarray) or isinstance(mean, (list, tuple))
    std_is_arr = isinstance(std, np.ndarray) or isinstance(std, (list, tuple))
    if not mean_is_arr and not std_is_arr:
        shp = _shape(shape)
        dt = _float_dtype(dtype)
        mean, std = float(mean), float(std)
        if not std >= 0.0:
            raise ValueError(f"normal expects std >= 0.0, but found std {std}")
        with gen._lock:
            return _normal_impl(gen, _numel(shp), dt, mean, std).reshape(shp)

    def as_float_array(a):
        a = np.asarray(a)
        if a.dtype.kind != "f":
            a = a.astype(_float_dtype(dtype))
        return a

    if mean_is_arr and not std_is_arr:
        m = as_float_array(mean)
        std = float(std)
        if not std >= 0.0:
            raise ValueError(f"normal expects std >= 0.0, but found std {std}")
        out_shape, dt = m.shape, m.dtype
    elif std_is_arr and not mean_is_arr:
        s = as_float_array(std)
        if s.size and not (s.min() >= 0):
            raise ValueError("normal expects all elements of std >= 0.0")
        out_shape, dt = s.shape, s.dtype
    else:
        m, s = as_float_array(mean), as_float_array(std)
        if s.size and not (s.min() >= 0):
            raise ValueError("normal expects all elements of std >= 0.0")
        out_shape, dt = np.broadcast_shapes(m.shape, s.shape), m.dtype
    if shape is not None and _shape(shape) != tuple(out_shape):
        raise ValueError(f"shape {tuple(shape)} does not match the result shape {tuple(out_shape)}")
    _float_dtype(dt)
    n = _numel(out_shape)
    with gen._lock:
        if mean_is_arr and not std_is_arr:
            out = _normal_impl(gen, n, dt, 0.0, std).reshape(out_shape)
            return (out + m).astype(dt, copy=False)
        out = _normal_impl(gen, n, dt, 0.0, 1.0).reshape(out_shape)
    out = (out * s).astype(dt, copy=False)
    if not mean_is_arr:
        return (out + np.asarray(mean, dtype=dt)).astype(dt, copy=False)
    return (out + m).astype(dt, copy=False)


def randint(low: int, high: Optional[int] = None, shape: ShapeLike = (), dtype=np.int64,
            generator: Optional[Generator] = None) -> np.ndarray:
    """Integers in [low, high): ``torch.randint`` / ``Tensor.random_(low, high)``.

    ``randint(high, shape=...)`` (high=None) means [0, low), like ``torch.randint(high, size)``.
    Each element is ``word % (high - low) + low`` with one 32-bit word, or one
    64-bit draw when ``high - low >= 2**28``.
    """
    if high is None:
        low, high = 0, low
    low, high = int(low), int(high)
    if not low < high:
        raise ValueError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if not (-(1 << 63) <= low and high <= (1 << 63)):
        raise ValueError("randint bounds must fit in int64")
    shp = _shape(shape)
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        if low < info.min or high - 1 > info.max:
            raise ValueError(f"randint range [{low}, {high}) is out of bounds for {dt}")
    n = _numel(shp)
    rng_ = high - low
    gen = _gen(generator)
    with gen._lock:
        raw = gen._random64(n) if rng_ >= _RANDOM64_RANGE else gen._random(n)
    if rng_ == 1 << 64:  # pragma: no cover - excluded by the bounds check
        v = raw.view(np.int64)
    else:
        v = (raw % _U64(rng_)).astype(np.int64)
        v += np.int64(low) if -(1 << 63) <= low < (1 << 63) else low
    return v.astype(dt, copy=False).reshape(shp)


def _randperm_fisher_yates(z: np.ndarray) -> np.ndarray:
    """Result of: r = arange(n); for i < n-1: swap(r[i], r[i + z[i]]), without a loop.

    Step i finalises position i, taking the value sitting at j_i = i + z_i.
    The value at position p just before step i is the value moved there by
    the last earlier step k with j_k == p (that value is W[k], what position k
    held just before step k), or p itself if no step touched it.  W follows
    the same rule, so it is a forest of "last writer" links resolved by
    pointer doubling; everything else is a stable sort.
    """
    m = z.size  # = n - 1
    n = m + 1
    idx = np.arange(m, dtype=np.int64)
    j = idx + z.astype(np.int64)
    # prev_same[i]: last k < i with j_k == j_i (or -1)
    order = np.argsort(j, kind="stable")
    js = j[order]
    prev_same = np.full(m, -1, dtype=np.int64)
    same = js[1:] == js[:-1]
    prev_same[order[1:][same]] = order[:-1][same]
    # writer[p]: last k < p with j_k == p, k != p (or -1), for p in [0, n)
    moved = j != idx
    writer = np.full(n, -1, dtype=np.int64)
    # among equal targets the stably sorted order is increasing k, so the
    # last occurrence of each target wins with a plain fancy assignment on
    # unique positions:
    km = idx[moved]
    jm = j[moved]
    o = np.argsort(jm, kind="stable")
    jm_s, km_s = jm[o], km[o]
    last = np.ones(jm_s.size, dtype=bool)
    last[:-1] = jm_s[1:] != jm_s[:-1]
    writer[jm_s[last]] = km_s[last]
    # W[p] = W[writer[p]] if writer[p] >= 0 else p  (pointer doubling)
    root = np.where(writer >= 0, writer, np.arange(n, dtype=np.int64))
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    W = root  # roots are positions never written before their own step
    out = np.empty(n, dtype=np.int64)
    has_prev = prev_same >= 0
    out[:m] = np.where(has_prev, W[np.maximum(prev_same, 0)], 0)
    # no earlier writer to j_i: the value is W[j_i] restricted to steps < i.
    # Since every writer of j_i is < i here iff it is a previous step with the
    # same target, "no prev" means j_i was untouched: value j_i itself
    # (or W[i] when j_i == i, which is the same rule applied to position i).
    untouched = ~has_prev
    ji = j[untouched]
    stay = ji == idx[untouched]
    vals = ji.copy()
    vals[stay] = W[ji[stay]]
    out[:m][untouched] = vals
    # the last position holds what is left: the value at n-1 before step n-1
    out[m] = W[n - 1] if writer[n - 1] >= 0 else n - 1
    return out


def randperm(n: int, dtype=np.int64, generator: Optional[Generator] = None) -> np.ndarray:
    """A random permutation of 0..n-1: ``torch.randperm``."""
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    dt = np.dtype(dtype)
    if dt.kind == "f":
        digits = {2: 11, 4: 24, 8: 53}[dt.itemsize]
        if n > (1 << digits) + 1:
            raise ValueError(f"n is too large for result tensor type: {dt}")
    elif dt.kind in "iu" and n > 0 and n - 1 > np.iinfo(dt).max:
        raise ValueError(f"n is too large for result tensor type: {dt}")
    gen = _gen(generator)
    if n < _RANDPERM_SMALL_LIMIT:
        with gen._lock:
            raw = gen._random(max(n - 1, 0))
        if n <= 1:
            return np.arange(n, dtype=np.int64).astype(dt)
        z = raw % (n - np.arange(n - 1, dtype=_U64))
        return _randperm_fisher_yates(z).astype(dt)
    # huge n: torch's "inside-out" shuffle with 64-bit draws (sequential)
    with gen._lock:
        raw = gen._random64(n)
    r = np.empty(n, dtype=np.int64)
    zs = (raw % (np.arange(n, dtype=_U64) + _U64(1))).tolist()
    for i, zi in enumerate(zs):  # pragma: no cover - needs > 1.7 GB
        r[i] = r[zi]
        r[zi] = i
    return r.astype(dt)


def bernoulli(p, shape: Optional[ShapeLike] = None, dtype=None,
              generator: Optional[Generator] = None) -> np.ndarray:
    """0/1 samples: ``Tensor.bernoulli_(p)``, ``torch.bernoulli(p_tensor)``.

    * float ``p`` (``Tensor.bernoulli_(0.3)``, ``torch.bernoulli(x, p=0.3)``, dropout):
      one float64 uniform (two words) per element, result ``u < p``.  ``shape``
      defaults to (), ``dtype`` to float32.
    * array ``p`` (``torch.bernoulli(p)``, ``Tensor.bernoulli_(p_tensor)``): ``p`` is
      broadcast to ``shape`` (default ``p.shape``).  float64 ``p`` uses a float64
      uniform per element, float32/float16 ``p`` a float32 uniform (one word)
      compared in float32.  ``dtype`` defaults to ``p.dtype``.
    """
    gen = _gen(generator)
    if np.ndim(p) == 0 and not isinstance(p, np.ndarray):
        pf = float(p)
        if not 0.0 <= pf <= 1.0:
            raise ValueError(f"bernoulli_ expects p to be in [0, 1], but got p={pf}")
        shp = _shape(shape)
        dt = np.dtype(_F32 if dtype is None else dtype)
        with gen._lock:
            u = _u53(gen._random64(_numel(shp)))
        return (u < pf).astype(dt).reshape(shp)
    pa = np.asarray(p)
    if pa.dtype.kind != "f":
        raise TypeError(f"bernoulli expects a floating point p, got {pa.dtype}")
    if pa.size and not (pa.min() >= 0 and pa.max() <= 1):
        raise ValueError("bernoulli expects all elements of p to be in [0, 1]")
    shp = pa.shape if shape is None else _shape(shape)
    pb = np.broadcast_to(pa, shp)
    dt = pa.dtype if dtype is None else np.dtype(dtype)
    n = _numel(shp)
    with gen._lock:
        if pa.dtype == np.dtype(_F64):
            u = _u53(gen._random64(n)).reshape(shp)
            res = u < pb
        else:
            u = _u24(gen._random(n)).reshape(shp)
            res = u < pb.astype(_F32)
    return res.astype(dt)


def exponential(shape: ShapeLike, dtype=np.float32, lambd: float = 1.0,
                generator: Optional[Generator] = None) -> np.ndarray:
    """``Tensor.exponential_(lambd)``: ``-1/lambd * log1p(-u)`` with a float64 uniform u."""
    shp = _shape(shape)
    dt = _float_dtype(dtype)
    lambd = float(lambd)
    if not lambd > 0:
        raise ValueError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    gen = _gen(generator)
    with gen._lock:
        u = _u53(gen._random64(_numel(shp)))
    v = (-1.0 / lambd) * _libm("log1p", -u)
    if dt == np.dtype(np.float16):
        return v.astype(_F32).astype(np.float16).reshape(shp)
    return v.astype(dt).reshape(shp)


def multinomial(probs, num_samples: int, replacement: bool = False,
                generator: Optional[Generator] = None) -> np.ndarray:
    """``torch.multinomial`` for 1-D or 2-D (rows = distributions) ``probs``; int64 result.

    Without replacement (or with a single sample) torch draws E ~ Exp(1) per
    category (shape and dtype of ``probs``) and takes the top ``num_samples`` of
    ``probs / E``.  With replacement it normalises the cumulative sum (in the
    dtype of ``probs``) and looks up one float64 uniform per sample.
    Known gap: when ``probs / E`` has exact ties (only happens for zero
    probabilities when asking for more samples than non-zero categories) the
    order among the tied categories may differ from torch's topk.
    """
    pa = np.asarray(probs)
    if pa.dtype.kind != "f":
        raise TypeError(f"multinomial only supports floating-point dtypes for input, got: {pa.dtype}")
    if pa.ndim not in (1, 2):
        raise ValueError("prob_dist must be 1 or 2 dim")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise ValueError("cannot sample n_sample <= 0 samples")
    n_cat = pa.shape[-1]
    if not replacement and num_samples > n_cat:
        raise ValueError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if pa.size and not (np.all(np.isfinite(pa)) and pa.min() >= 0):
        raise ValueError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = pa.reshape(-1, n_cat)
    if np.any(rows.sum(axis=1) == 0):
        raise ValueError("invalid multinomial distribution (sum of probabilities <= 0)")
    gen = _gen(generator)
    if not replacement or num_samples == 1:
        q = exponential(pa.shape, pa.dtype, 1.0, generator=gen)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = pa / q
        if num_samples == 1:
            return np.argmax(r, axis=-1)[..., None].astype(np.int64)
        key = np.where(np.isnan(r), np.inf, r)  # torch's topk treats NaN as largest
        order = np.argsort(-key, axis=-1, kind="stable")
        return order[..., :num_samples].astype(np.int64)
    acc = _F32 if pa.dtype == np.dtype(np.float16) else pa.dtype
    cum = np.cumsum(rows.astype(acc), axis=1, dtype=acc)  # sequential, like the C loop
    total = cum[:, -1:].copy()
    cum /= total
    cum[:, -1] = 1
    with gen._lock:
        u = _u53(gen._random64(rows.shape[0] * num_samples)).reshape(rows.shape[0], num_samples)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i in range(rows.shape[0]):
        out[i] = np.searchsorted(cum[i].astype(_F64), u[i], side="left")
    return out.reshape(pa.shape[:-1] + (num_samples,))
