"""Numerical helpers that generated mechanism modules import (numba, ``cache=True``)."""

from __future__ import annotations

import math

from numba import njit

from ..mechanisms.numerics import table_index

__all__ = ["NEWTON_RTOL", "_exprelr", "_pow", "newton_solve", "table_args"]

#: Relative change of a Newton step below which a backward-Euler solve has converged
#: (nocmodl's derivimplicit stops at 1e-8; iterating further only removes its residual).
NEWTON_RTOL = 1e-13


@njit(cache=True, inline="always")
def _pow(a, b):
    """NMODL's ``a^b`` (C ``pow``)."""
    return a**b


@njit(cache=True, inline="always")
def _exprelr(x):
    """NEURON's exprelr: x/(exp(x) - 1), 1 near x = 0."""
    if abs(x) < 1e-5:
        return 1.0 - x / 2.0
    return x / (math.exp(x) - 1.0)


@njit(cache=True, inline="always")
def table_args(aux, base, ntab, x):
    """(i, theta) of x in a TABLE stored at aux[base] (tmin, mfac, then the rows)."""
    return table_index(x, aux[base], aux[base + 1], ntab)


@njit(cache=True)
def newton_solve(jac, f, y):
    """One Newton step y -= jac^-1 f (Gaussian elimination, partial pivoting), in place.

    Returns True when the step changed no component by more than NEWTON_RTOL
    relative (absolute below 1).
    """
    n = f.size
    a = jac.copy()
    b = -f.copy()
    for k in range(n):
        p = k
        for r in range(k + 1, n):
            if abs(a[r, k]) > abs(a[p, k]):
                p = r
        if p != k:
            for c in range(n):
                a[k, c], a[p, c] = a[p, c], a[k, c]
            b[k], b[p] = b[p], b[k]
        for r in range(k + 1, n):
            m = a[r, k] / a[k, k]
            for c in range(k, n):
                a[r, c] -= m * a[k, c]
            b[r] -= m * b[k]
    for k in range(n - 1, -1, -1):
        s = b[k]
        for c in range(k + 1, n):
            s -= a[k, c] * b[c]
        b[k] = s / a[k, k]
    done = True
    for k in range(n):
        if abs(b[k]) > NEWTON_RTOL * max(abs(y[k]), 1.0):
            done = False
        y[k] += b[k]
    return done
