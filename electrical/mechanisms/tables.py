"""Branch-free table lookups for mechanism kernels whose advance loop vectorises.

Two kinds of NEURON tables, each read by plain index arithmetic (no bisection,
no branch, no call that is not inlined), so that a kernel built from them
vectorises in the engine's chunked ``advance`` loop (:mod:`electrical.codegen`):

- rate tables (NMODL ``TABLE ... FROM a TO b WITH n``): ``n + 1`` points on NEURON's
  accumulated grid (:func:`~electrical.mechanisms.numerics.build_table`), stored as
  rows of ``n + 1`` values; :func:`rate_index` gives the interval and the fraction
  once per voltage, :func:`rate_row` reads one row.  The upper clamp reads the last
  point twice (no pad value after the rows is needed), so the numbers are NEURON's
  ``t[i] + theta*(t[i+1] - t[i])`` with ``t[0]`` / ``t[n]`` outside the range;
- function tables (NMODL ``FUNCTION_TABLE`` filled from hoc vectors) on a uniform
  voltage grid: :func:`pack_function_table` stores ``[v0, step, 1/step, n - 1,
  y_0 .. y_{n-1}]``; :func:`function_table_uniform` finds the interval of v by index
  arithmetic, corrected by one comparison each way to the interval a bisection finds,
  and interpolates with NEURON's formula ``(1 - f) y_k + f y_{k+1}``, clamped to the
  end values.  The result is bit-identical to the bisection lookup
  (:func:`electrical.mechanisms.msn._common.function_table`).

Both read ``aux`` only by index, so they work on an array (scalar kernels, tests)
and on the data pointer the vectorised loop passes.  These are the shapes the NMODL
importer emits for ``TABLE`` and ``FUNCTION_TABLE``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "FUNCTION_TABLE_HEAD",
    "function_table_uniform",
    "pack_function_table",
    "rate_index",
    "rate_row",
]

#: Values in front of the y values of a packed function table: v0, step, 1/step, n - 1.
FUNCTION_TABLE_HEAD = 4


def pack_function_table(vs, ys) -> np.ndarray:
    """``[v0, step, 1/step, n - 1, ys...]`` for a table on a uniform grid.

    The grid must be exactly ``v0 + step*k`` in float64 (as
    :func:`electrical.mechanisms.msn._common.grid` builds it): the lookup
    recomputes the grid points that way instead of reading them.
    """
    vs = np.asarray(vs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    if vs.ndim != 1 or vs.shape != ys.shape or vs.size < 2:
        raise ValueError(
            f"function table: need two 1-D arrays of the same size >= 2, got {vs.shape} and "
            f"{ys.shape}"
        )
    v0, step = float(vs[0]), float(vs[1] - vs[0])
    if not step > 0.0 or not np.array_equal(vs, v0 + step * np.arange(vs.size, dtype=np.float64)):
        raise ValueError(
            f"function table: voltages {vs[:3]}... are not a uniform increasing grid "
            "v0 + step*k; use a bisection lookup for irregular grids"
        )
    return np.concatenate([[v0, step, 1.0 / step, float(vs.size - 1)], ys])


@njit(cache=True, inline="always", error_model="numpy")
def function_table_uniform(aux, off, v):
    """Clamped linear interpolation in the packed function table at ``aux[off]``.

    The same value, bit for bit, as the bisection lookup: v is clamped to
    [v_0, v_last]; the interval guess k = int((v - v0)/step) is off by at most
    one (rounding), and one comparison each way moves it to the interval
    [v_k, v_{k+1}) that holds v (k = n - 2 at v_last, where f = 1 exactly).
    """
    v0 = aux[off]
    step = aux[off + 1]
    kmax = int(aux[off + 3]) - 1  # n - 2: the last interval
    vlast = v0 + step * (kmax + 1)
    vc = min(max(v, v0), vlast)
    k = min(int((vc - v0) * aux[off + 2]), kmax)
    k = max(k - int(v0 + step * k > vc), 0)
    k = k + int((k < kmax) & (v0 + step * (k + 1) <= vc))
    vk = v0 + step * k
    f = (vc - vk) / ((v0 + step * (k + 1)) - vk)
    y = off + 4 + k
    return (1.0 - f) * aux[y] + f * aux[y + 1]


@njit(cache=True, inline="always", error_model="numpy")
def rate_index(v, vmin, mfac, ntab):
    """(i, i1, theta) of v in a rate table of ntab + 1 points (NEURON's lookup, clamped).

    Read a row with :func:`rate_row`; i1 = min(i + 1, ntab) so that the upper
    clamp (i = ntab, theta = 0) stays inside the row.
    """
    xi = min(max(mfac * (v - vmin), 0.0), float(ntab))
    i = int(xi)
    return i, min(i + 1, ntab), xi - i


@njit(cache=True, inline="always", error_model="numpy")
def rate_row(aux, off, i, i1, theta):
    """aux[off+i] + theta*(aux[off+i1] - aux[off+i]): NEURON's table interpolation."""
    return aux[off + i] + theta * (aux[off + i1] - aux[off + i])
