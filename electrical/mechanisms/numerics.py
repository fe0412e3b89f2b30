"""Shared numerics for mechanism kernels (all numba-compiled, ``cache=True``)."""

from __future__ import annotations

import math

import llvmlite.binding as _llvm
import numpy as np
from numba import njit

__all__ = [
    "VECTORIZER_MEMORY_CHECKS",
    "exp_euler_gate",
    "vtrap",
    "safe_exp",
    "table_lookup",
    "table_index",
    "table_interp",
    "build_table",
]


#: Runtime alias checks LLVM's loop vectoriser may emit for one loop (its defaults, 8
#: and 128, are meant for loops over a few arrays).  Loops over a block of mechanism
#: instances read and write tens of separate state and parameter arrays, which numba
#: cannot mark as non-aliasing; with the default limits LLVM leaves them scalar
#: ("too many memory checks needed").  The checks run once per loop entry, not per
#: element, and only decide between the vector and the scalar loop, so raising the
#: limit changes speed, never results.  Set at import, before any kernel compiles;
#: it applies to every loop numba compiles in this process.
VECTORIZER_MEMORY_CHECKS = 4096


def _allow_vectorizer_memory_checks(n: int = VECTORIZER_MEMORY_CHECKS) -> None:
    _llvm.set_option("", f"-runtime-memory-check-threshold={n}")
    _llvm.set_option("", f"-vectorize-memory-check-threshold={n}")


_allow_vectorizer_memory_checks()


@njit(cache=True, inline="always")
def exp_euler_gate(x, xinf, tau, dt):
    """NEURON's ``cnexp`` update of x' = (xinf - x)/tau over dt (exact for fixed xinf, tau)."""
    return x + (1.0 - math.exp(-dt / tau)) * (xinf - x)


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
    xi = mfac * (v - vmin)
    if xi <= 0.0:
        return 0, 0.0
    if xi >= ntab:
        return ntab, 0.0
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
