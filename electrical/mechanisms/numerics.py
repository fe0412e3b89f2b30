"""Shared numerics for mechanism kernels (all numba-compiled, ``cache=True``)."""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir as _ir
from numba import njit, types
from numba.core import cgutils
from numba.core.extending import intrinsic

# the LLVM/numba tuning is electrical.configure_numba(), called by electrical/__init__.py
from .._numba_config import VECTORIZER_MEMORY_CHECKS

__all__ = [
    "VECTORIZER_MEMORY_CHECKS",
    "vexp",
    "data_pointer",
    "stack_buffer",
    "exp_euler_gate",
    "exp_euler_gate_vec",
    "vtrap",
    "safe_exp",
    "table_lookup",
    "table_index",
    "table_interp",
    "build_table",
]


@intrinsic
def _f64_from_bits(typingctx, bits):
    """The float64 whose IEEE-754 bit pattern is the int64 ``bits`` (an LLVM bitcast)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], _ir.DoubleType())

    return sig, codegen


@intrinsic
def data_pointer(typingctx, arr):
    """Pointer to a contiguous array's data: index it as ``p[k]``, nothing else.

    Arrays handed to a called function are reference-counted around the call;
    those counts (NRT calls in the loop body) keep LLVM from vectorising the
    loop.  A pointer carries no count.
    """
    sig = types.CPointer(arr.dtype)(arr)

    def codegen(context, builder, signature, args):
        return context.make_array(signature.args[0])(context, builder, args[0]).data

    return sig, codegen


@intrinsic
def stack_buffer(typingctx, n):
    """A float64 scratch buffer of ``n`` (a literal int) values on the stack: ``p[k]``.

    LLVM knows that stack memory cannot alias an argument, so a loop that reads
    the model's arrays (also through indices: ``v[idx[j]]``, table rows) and
    writes only such a buffer needs no run-time alias checks and vectorises.
    """
    if not isinstance(n, types.IntegerLiteral):
        return None
    size = n.literal_value
    sig = types.CPointer(types.float64)(n)

    def codegen(context, builder, signature, args):
        return cgutils.alloca_once(
            builder, _ir.DoubleType(), size=context.get_constant(types.intp, size)
        )

    return sig, codegen


# exp(x) = 2^k exp(r), x = k ln2 + r, |r| <= ln2/2 (Cody & Waite's reduction with ln2
# split in two so that k*_LN2_HI is exact; the split is fdlibm's published value).
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10


@njit(cache=True, inline="always", error_model="numpy")
def vexp(x):
    """exp(x) in plain arithmetic, so that LLVM can vectorise loops that call it.

    libm's ``exp`` is an opaque call: a loop holding one runs one element at a
    time.  Here exp(r) is the Taylor polynomial of degree 13 (truncation error
    below 5e-18 for |r| <= ln2/2) and 2^k is built from its bit pattern in two
    factors, so that subnormal results and overflow come out as libm's.

    Accuracy: within 1 ulp of glibc's ``exp`` everywhere, bit-identical for about
    90% of arguments (measured over [-745, 709]; ``tests/unit/electrical/
    test_numerics.py``).  NaN in, NaN out; -inf -> 0; +inf -> inf.  No FMA
    contraction (numba does not allow it without fastmath), so the vector and
    the scalar paths give the same bits.
    """
    xc = min(max(x, -746.0), 710.0)
    kf = math.floor(xc * _LOG2E + 0.5)
    r = (xc - kf * _LN2_HI) - kf * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    e = 1.0 + (r + r * r * p)
    k = np.int64(kf)
    k1 = k >> 1
    res = e * _f64_from_bits((k1 + 1023) << 52) * _f64_from_bits((k - k1 + 1023) << 52)
    if math.isnan(x):
        res = x
    return res


@njit(cache=True, inline="always")
def exp_euler_gate(x, xinf, tau, dt):
    """NEURON's ``cnexp`` update of x' = (xinf - x)/tau over dt (exact for fixed xinf, tau)."""
    return x + (1.0 - math.exp(-dt / tau)) * (xinf - x)


@njit(cache=True, inline="always")
def exp_euler_gate_vec(x, xinf, tau, dt):
    """:func:`exp_euler_gate` with :func:`vexp`: for kernels whose loop vectorises.

    In a loop that stays scalar, libm's exp is faster than the polynomial.
    """
    return x + (1.0 - vexp(-dt / tau)) * (xinf - x)


@njit(cache=True, inline="always")
def vtrap(x, y):
    """x/(exp(x/y) - 1), with NEURON hh's series branch y*(1 - x/y/2) for |x/y| < 1e-6."""
    if abs(x / y) < 1e-6:
        return y * (1.0 - x / y / 2.0)
    return x / (math.exp(x / y) - 1.0)


@njit(cache=True, inline="always")
def safe_exp(x):
    """exp(x) clipped at x = 700 to avoid overflow."""
    return math.exp(min(x, 700.0))


@njit(cache=True, inline="always")
def table_lookup(aux, base, ntab, row, vmin, mfac, v):
    """Linear interpolation in a NEURON ``TABLE``, clamped at both ends.

    ``aux[base + row*(ntab+1) : ...]`` holds ``ntab + 1`` values at
    v_i = vmin + i/mfac; outside the range the end value is returned.
    """
    xi = mfac * (v - vmin)
    off = base + row * (ntab + 1)
    if xi <= 0.0:
        return aux[off]
    if xi >= ntab:
        return aux[off + ntab]
    i = int(xi)
    theta = xi - i
    return aux[off + i] + theta * (aux[off + i + 1] - aux[off + i])


@njit(cache=True, inline="always")
def table_index(v, vmin, mfac, ntab):
    """(i, theta) of v in a NEURON TABLE of ntab+1 points; clamped ends give theta = 0.

    Use with :func:`table_interp` to read several tables of the same grid with
    one index computation.  At the upper clamp i = ntab and theta = 0, so the
    table array must hold one finite value after its last entry (a pad).
    """
    # clamped without branches (the same values as testing both ends): a branch
    # here gets the row loads duplicated into each arm, which stops vectorisation
    xi = min(max(mfac * (v - vmin), 0.0), float(ntab))
    i = int(xi)
    return i, xi - i


@njit(cache=True, inline="always")
def table_interp(aux, off, theta):
    """aux[off] + theta*(aux[off+1] - aux[off]): NEURON's linear table interpolation."""
    return aux[off] + theta * (aux[off + 1] - aux[off])


def build_table(func, vmin: float, vmax: float, ntab: int, *args) -> np.ndarray:
    """Evaluate ``func(v, *args) -> tuple`` at ntab+1 points the way NEURON does.

    NEURON accumulates ``x += dx`` from vmin; the same sum is used here so that
    the table entries are bit-identical.  Returns an array of shape (nout, ntab+1).
    """
    dx = (vmax - vmin) / ntab
    cols = []
    x = vmin
    for _ in range(ntab + 1):
        cols.append(func(x, *args))
        x += dx
    return np.ascontiguousarray(np.array(cols, dtype=np.float64).T)
