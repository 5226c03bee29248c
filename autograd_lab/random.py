"""PyTorch's CPU random number generator, reproduced bit for bit with NumPy.

``from autograd_lab import random as agr`` gives you the same numbers that
``torch`` gives on the CPU for the same seed::

    torch.manual_seed(0); torch.randn(3)          # tensor([ 1.5410, -0.2934, -2.1788])
    agr.manual_seed(0);   agr.normal((3,))        # array([ 1.5409961, -0.2934289, -2.1787894], dtype=float32)

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

So ``randn(15)`` and ``randn(16)[:15]`` are unrelated numbers, and values
2..16 of ``randn(17)`` are not those of ``randn(16)``.  (float16 computes in
float32 and rounds at the end; it draws block by block, so it skips the
``n % 16`` uniforms that float32 draws and then overwrites.)

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
Checked bit for bit (values, dtype, and the generator state bytes after every
call) against torch 2.13 on an x86-64 AVX-512 machine, which runs torch's
AVX2 normal kernel.  On ARM machines, or x86 machines without AVX2, torch's
float32 16+ normals use another kernel (the C library's logf/sinf/cosf) and
``uniform_`` with bounds may not be fused, so small differences are expected
there.  The float64 16+ path, the scalar path, and the exponential numbers
call the C library's ``log``/``log1p``/``sin``/``cos`` through Python's
``math`` module (the same libm torch uses; NumPy's own ``np.log`` differs in
the last bit for about 0.4% of inputs, so it is only used when a probe shows
it agrees with libm), which makes those paths slower than the float32 one.
"""

from __future__ import annotations

import math
import os
import sys
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

_MASK24 = _U32((1 << 24) - 1)
_MASK53 = _U64((1 << 53) - 1)
_LITTLE = sys.byteorder == "little"


def _low_words(raw: np.ndarray) -> np.ndarray:
    """uint32 view of the 32-bit words held in a uint64 array (no copy)."""
    w = raw.view(_U32)
    return w[0::2] if _LITTLE else w[1::2]


def _u24(raw: np.ndarray) -> np.ndarray:
    """float32 uniforms in [0, 1): low 24 bits of each 32-bit word times 2**-24."""
    k = np.bitwise_and(_low_words(raw), _MASK24).view(np.int32)
    out = k.astype(_F32)
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


def _fma64_block(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        uh, ul = _two_prod(a, b)
        th, tl = _two_sum(c, uh)
        s, err = _two_sum(tl, ul)
        out = th + _round_to_odd(s, err)
        # the error-free transforms need no overflow in the splits and no
        # underflow in the product; fall back to exact rationals elsewhere.
        bad = ~(np.isfinite(out) & (np.abs(a) < 2.0 ** 995) & (np.abs(b) < 2.0 ** 995)
                & ((uh == 0) | (np.abs(uh) > 2.0 ** -960)))
    if bad.any():
        from fractions import Fraction

        for i in np.flatnonzero(bad):
            x, y, z = float(a[i]), float(b[i]), float(c[i])
            if not (math.isfinite(x) and math.isfinite(y)):
                out[i] = x * y + z
            elif not math.isfinite(z):
                out[i] = z  # the exact product is finite
            else:
                exact = Fraction(x) * Fraction(y) + Fraction(z)
                try:
                    out[i] = float(exact)
                except OverflowError:
                    out[i] = math.inf if exact > 0 else -math.inf
    return out


def _fma64(a, b, c) -> np.ndarray:
    """Correctly rounded float64 a*b + c.

    Boldo & Melquiond's emulation: a*b = uh + ul exactly (Dekker), c + uh =
    th + tl exactly (TwoSum), result = RN(th + RO(tl + ul)) where RO rounds to
    odd.  Works in cache-sized chunks."""
    a, b, c = np.broadcast_arrays(np.asarray(a, _F64), np.asarray(b, _F64), np.asarray(c, _F64))
    shape = a.shape
    a, b, c = (np.ascontiguousarray(v).reshape(-1) for v in (a, b, c))
    out = np.empty(a.size, _F64)
    for s in range(0, a.size, 1 << 15):
        e = s + (1 << 15)
        out[s:e] = _fma64_block(a[s:e], b[s:e], c[s:e])
    return out.reshape(shape)


def _fma32_exact(a, b, c) -> np.ndarray:
    """Correctly rounded float32 fma of float32 inputs (any shapes)."""
    a = np.asarray(a, _F64)
    b = np.asarray(b, _F64)
    c = np.asarray(c, _F64)
    p = a * b  # exact: 24 + 24 bits fit in 53
    s, err = _two_sum(*np.broadcast_arrays(p, c))
    # 53-bit round-to-odd followed by rounding to 24 bits is correct rounding
    return _round_to_odd(np.array(s), np.array(err)).astype(_F32)


# A float32 fma of float32 inputs can be evaluated in float64: the product is
# exact (24 + 24 bits), so t = RN64(a*b + c) has one rounding, and rounding t
# to float32 is then correct *unless* t lies exactly halfway between two
# float32 numbers (double rounding).  That shows as the low 29 bits of t's
# significand being exactly 1000...0; those rare elements are recomputed
# exactly (round-to-odd), everything else is a plain cast.
_SHIFT35 = _U64(35)
_INT64_MIN = np.iinfo(np.int64).min


class _Fma32:
    """Workspace (preallocated float64 buffers) for runs of exact float32 FMAs."""

    def __init__(self, n: int):
        self.n = n
        self.t = np.empty(n, _F64)
        self.bits = np.empty(n, _U64)
        self.y64 = np.empty(n, _F64)

    def _store(self, out32, a, b, c) -> None:
        # out32 = float32(t), fixing exact-midpoint double roundings
        bits = self.bits
        np.left_shift(self.t.view(_U64), _SHIFT35, out=bits)  # low 29 bits -> top
        if bits.view(np.int64).min() == _INT64_MIN:  # some t == midpoint pattern
            idx = np.flatnonzero(bits.view(np.int64) == _INT64_MIN)

            def pick(v):
                return v[idx] if isinstance(v, np.ndarray) else v

            fixed = _fma32_exact(pick(a), pick(b), pick(c))
            out32[...] = self.t
            out32[idx] = fixed
        else:
            out32[...] = self.t

    def fma(self, out32, a64, b64, c, exact: bool = False) -> None:
        """out32[:] = fma32(a, b, c); a64/b64 are float64 arrays (or floats)
        holding float32 values, c a float32 value or float32 array.  ``exact``:
        the caller has proven a*b + c is representable in float64."""
        t = self.t
        np.multiply(a64, b64, out=t)
        np.add(t, c, out=t)
        if exact:
            out32[...] = t
        else:
            self._store(out32, a64, b64, c)

    def horner(self, x64, coeffs, out32) -> None:
        """y = c0; y = fma(y, x, ck) for k = 1.. (float32 rounding each step)."""
        t, y64 = self.t, self.y64
        np.multiply(x64, coeffs[0], out=t)
        t += coeffs[1]
        self._store(out32, coeffs[0], x64, coeffs[1])
        for ck in coeffs[2:]:
            y64[...] = out32
            np.multiply(y64, x64, out=t)
            t += ck
            self._store(out32, y64, x64, ck)


def _fma32(a, b, c) -> np.ndarray:
    """Correctly rounded float32 fma(a, b, c) of float32 values (see _Fma32 for
    the method); tiny results (float32 subnormal range) are also redone exactly."""
    a32, b32, c32 = np.broadcast_arrays(np.asarray(a, _F32), np.asarray(b, _F32), np.asarray(c, _F32))
    t = np.multiply(a32, b32, dtype=_F64)
    t += c32
    out = np.array(t.astype(_F32), dtype=_F32)
    suspicious = ((t.view(_U64) << _SHIFT35).view(np.int64) == _INT64_MIN) | (np.abs(t) < 2.0 ** -125)
    if suspicious.any():
        out[suspicious] = _fma32_exact(a32[suspicious], b32[suspicious], c32[suspicious])
    return out


# --------------------------------------------------------------------------
# AVX2 Box-Muller for float32 (torch's NormalFill16<float> on x86)
# --------------------------------------------------------------------------


def _f(v) -> float:
    """A Python float holding the float32 rounding of v."""
    return float(_F32(v))


# avx_mathfun.h constants (Cephes), rounded to float32 as the C arrays are
_SQRTHF_MANT = _U32(int(np.array([0.707106781186547524], _F32).view(_U32)[0]) & 0x7FFFFF)
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
_FOPI = _F32(1.27323954473516)  # 4 / pi
_TWO_PI_F32 = _F32(2.0 * math.pi)  # torch: _mm256_set1_ps(2.0f * c10::pi<double>)
_TWO_PI_2M24 = _TWO_PI_F32 * _F32(2.0 ** -24)  # exact rescaling


def _log256(x: np.ndarray, ws: _Fma32) -> np.ndarray:
    """avx_mathfun's log256_ps, operation by operation, for x in (0, 1].

    GCC contracts every ``mul`` whose only use is an ``add``/``sub`` into an FMA
    (-ffp-contract=fast, -mfma): the Horner steps, ``y*z + e*q1`` and the last
    two updates.  Where the product is exact (z*0.5, e*q2) the FMA equals the
    plain float32 operations used here.
    """
    bits = x.view(_U32)
    mant = bits & _U32(0x7FFFFF)
    small = mant < _SQRTHF_MANT  # mantissa m in [0.5, 1) below sqrt(1/2)
    e = (bits >> _U32(23)).view(np.int32).astype(_F32)
    e -= _F32(126.0)  # (exponent field - 127) + 1
    e -= small
    # x = m - 1, or 2m - 1 when m < sqrt(1/2): build m or 2m from the bits
    mb = mant | _U32(0x3F000000)
    mb += small.astype(_U32) << _U32(23)
    xr = mb.view(_F32) - _F32(1.0)
    z = xr * xr
    y = np.empty_like(xr)
    ws.horner(xr.astype(_F64), _LOG_P, y)
    y *= xr
    ws.fma(y, y.astype(_F64), z.astype(_F64), e * _LOG_Q1)
    y -= z * _F32(0.5)
    xr += y
    xr += e * _LOG_Q2  # exact product: small integer times a 9-bit constant
    return xr


def _sincos256(x: np.ndarray, ws: _Fma32):
    """avx_mathfun's sincos256_ps for 0 <= x < 2*pi; returns (sin, cos)."""
    q = (x * _FOPI).astype(np.int32)  # cvttps: truncation
    q += 1
    q >>= 1  # j = (trunc + 1) & ~1 = 2q
    yf = q.astype(_F32)
    yf *= _F32(2.0)
    xr = x + yf * _DP1  # DP1, DP2 have few bits: exact products, FMA = mul+add
    xr += yf * _DP2
    # yf * DP3 is inexact but yf*DP3 + xr always fits in 47 bits: exact in float64
    ws.fma(xr, yf.astype(_F64), _DP3, xr, exact=True)
    z = xr * xr
    z64 = z.astype(_F64)
    yc = np.empty_like(xr)
    ws.horner(z64, _COS_P, yc)
    ws.fma(yc, (yc * z).astype(_F64), z64, -(z * _F32(0.5)))
    yc += _F32(1.0)
    ys = np.empty_like(xr)
    ws.horner(z64, _SIN_P, ys)
    ys *= z
    ws.fma(ys, ys.astype(_F64), xr.astype(_F64), xr)
    # quadrant q in 0..4: even q -> (sin, cos) = (ys, yc), odd q -> (yc, ys);
    # sin is negated for q in {2, 3}, cos for q in {1, 2}.  Done on the bits.
    m = q & 1
    m -= 1  # all ones when q is even
    ycb, ysb = yc.view(np.int32), ys.view(np.int32)
    d = ycb ^ ysb
    d &= m
    sb = ycb ^ d
    cb = ysb ^ d
    sg = q & 2
    sg <<= 30
    sb ^= sg
    q += 1
    q &= 2
    q <<= 30
    cb ^= q
    return sb.view(_F32), cb.view(_F32)


_CHUNK_ROWS = 2048  # blocks of 16 per chunk: keeps the working set in L2 cache


def _box_muller16_f32(words: np.ndarray, out: np.ndarray, mean: float, std: float) -> None:
    """words: (m, 16) uint32 raw words -> out: (m, 16) float32 normals.

    Row layout as in torch: uniforms u = (w & 0xFFFFFF) * 2**-24; the first 8
    give u1 = 1 - u (the radius), the last 8 give theta = 2*pi*u; the result is
    fma(radius * cos(theta), std, mean) and fma(radius * sin(theta), std, mean).
    """
    m = words.shape[0]
    ws = None
    plain = mean == 0.0 and std == 1.0
    for s in range(0, m, _CHUNK_ROWS):
        e = min(m, s + _CHUNK_ROWS)
        if ws is None or ws.n != (e - s) * 8:
            ws = _Fma32((e - s) * 8)
        blk = words[s:e]
        k1 = np.bitwise_and(blk[:, :8], _MASK24).view(np.int32)
        np.subtract(1 << 24, k1, out=k1)  # 1 - u is exact: (2**24 - k) * 2**-24
        u1 = k1.astype(_F32)
        u1 *= _F32(2.0 ** -24)
        radius = _log256(u1.reshape(-1), ws)
        radius *= _F32(-2.0)
        np.sqrt(radius, out=radius)
        k2 = np.bitwise_and(blk[:, 8:], _MASK24).view(np.int32)
        theta = k2.astype(_F32)
        theta *= _TWO_PI_2M24  # == float32(2*pi) * u, exactly
        sn, cs = _sincos256(theta.reshape(-1), ws)
        radius = radius.reshape(-1, 8)
        o = out[s:e]
        np.multiply(radius, cs.reshape(-1, 8), out=o[:, :8])
        np.multiply(radius, sn.reshape(-1, 8), out=o[:, 8:])
        if plain:
            if not radius.all():  # fma(-0.0, 1, 0) is +0.0
                o += _F32(0.0)
        else:
            o[...] = _apply_mean_std(o, mean, std, f32=True)


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
    full = n - tail
    if dt == np.dtype(_F64):
        u = _u53(gen._random64(n))
        out = np.empty(n, dtype=_F64)
        out[:full] = _box_muller16_f64(u[:full].reshape(-1, 16)).reshape(-1)
        if tail:  # torch redraws 16 uniforms and recomputes the last 16 outputs
            out[n - 16:] = _box_muller16_f64(_u53(gen._random64(16)).reshape(1, 16)).reshape(-1)
        return _apply_mean_std(out, mean, std, f32=False)
    # float32, and float16 (computed in float32, its opmath type, then cast).
    # float32 first fills all n elements with uniforms (the tail ones are then
    # overwritten); float16 draws block by block and so skips those n % 16 draws.
    words = _low_words(gen._random(n if dt == np.dtype(_F32) else full))
    out = np.empty(n, dtype=_F32)
    _box_muller16_f32(words[:full].reshape(-1, 16), out[:full].reshape(-1, 16), mean, std)
    if tail:  # torch redraws 16 uniforms and recomputes the last 16 outputs
        _box_muller16_f32(_low_words(gen._random(16)).reshape(1, 16), out[n - 16:].reshape(1, 16), mean, std)
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
    if not (-(1 << 63) <= low and high < (1 << 63)):
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
    v = (raw % _U64(rng_)).astype(np.int64)  # rng_ < 2**64 by the bounds check
    v += np.int64(low)  # wraps like the C++ uint64 arithmetic
    return v.astype(dt, copy=False).reshape(shp)


def random_full(shape: ShapeLike = (), dtype=np.int64, generator: Optional[Generator] = None) -> np.ndarray:
    """``Tensor.random_()`` with no bounds: every value the dtype holds exactly, from 0 up.

    One word per element (two, high first, for float64 and int64), reduced modulo 2^digits + 1 for
    floating types (2^24 + 1 for float32) and modulo max + 1 for integers; a bool takes the low bit."""
    shp = _shape(shape)
    dt = np.dtype(dtype)
    gen = _gen(generator)
    with gen._lock:
        raw = gen._random64(_numel(shp)) if dt in (np.dtype(np.float64), np.dtype(np.int64)) else \
            gen._random(_numel(shp))
    if dt == np.bool_:
        return (raw & _U64(1)).astype(np.bool_).reshape(shp)
    if dt.kind == "f":
        modulus = (1 << (np.finfo(dt).nmant + 1)) + 1
    else:
        modulus = int(np.iinfo(dt).max) + 1
    return (raw % _U64(modulus)).astype(dt).reshape(shp)


def _randperm_fisher_yates(z: np.ndarray) -> np.ndarray:
    """Result of ``r = arange(n); for i < n-1: swap(r[i], r[i + z[i]])``, without a loop.

    Step i finalises position i with the value sitting at j_i = i + z_i.  The
    value at a position p just before step i is the value moved there by the
    last earlier step k with j_k == p, or p itself if no step targeted it.
    That moved value is W[k], "what position k held just before step k", and
    W obeys the same rule: W[p] = W[last k < p with j_k == p], else p.  So:
    sort the steps by (target, step) once to find, for every step, the
    previous step with the same target, and resolve the W links (always
    pointing to smaller indices) by pointer jumping.
    """
    m = z.size  # = n - 1 swaps
    n = m + 1
    if m == 0:
        return np.zeros(1, dtype=np.int64)
    idx = np.arange(m, dtype=np.int64)
    j = z.astype(np.int64)
    j += idx
    key = j * n
    key += idx  # unique keys: sorting them = stable sort by target
    key.sort()
    js, ks = np.divmod(key, n)  # target and step, grouped by target
    same = js[1:] == js[:-1]  # sorted t and t+1 share a target
    # last writer of each target p, ignoring a self-swap at step p itself
    lastpos = np.flatnonzero(np.append(~same, True))
    cand = ks[lastpos]
    selfsw = cand == js[lastpos]
    if selfsw.any():
        sp = lastpos[selfsw]
        ok = sp > 0
        ok[ok] = same[sp[ok] - 1]
        cand[selfsw] = np.where(ok, ks[np.maximum(sp - 1, 0)], -1)
    W = np.arange(n, dtype=np.int64)
    has = cand >= 0
    active = js[lastpos][has]
    W[active] = cand[has]
    while active.size:  # pointer jumping on the unresolved entries only
        r = W[active]
        rr = W[r]
        W[active] = rr
        active = active[rr != r]
    out = np.empty(n, dtype=np.int64)
    out[ks[0]] = js[0]
    out[ks[1:]] = np.where(same, W[ks[:-1]], js[1:])
    out[m] = W[m]  # the last position keeps what is left there
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
    # huge n (>= 214748364): torch's "inside-out" shuffle with 64-bit draws
    with gen._lock:
        raw = gen._random64(n)
    return _randperm_inside_out(raw % (np.arange(n, dtype=_U64) + _U64(1))).astype(dt)


def _randperm_inside_out(z: np.ndarray) -> np.ndarray:
    """torch's randperm for huge n: ``r[i] = r[z_i]; r[z_i] = i`` with z_i <= i.

    A sequential Python loop (about a second per 5 million elements): the
    vectorized trick of _randperm_fisher_yates is not worked out for this
    variant, and torch only takes this path above 214 million elements.
    """
    n = z.size
    r = np.empty(n, dtype=np.int64)
    rl = r.tolist()
    for i, zi in enumerate(z.tolist()):
        rl[i] = rl[zi] if zi != i else i
        rl[zi] = i
    r[:] = rl
    return r


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
