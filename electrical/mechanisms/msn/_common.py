"""Small helpers shared by the MSN channel modules (numba kernels and table set-up).

- :func:`boltzmann`: x_inf(V) = 1/(1 + exp((V - Vh)/k)) (MODEL.md section 3.1);
- :func:`function_table`: linear interpolation in a published (V, value) table,
  clamped to the end values outside its range, in the interval a bisection would
  find (NEURON ``FUNCTION_TABLE`` semantics, MODEL.md section 3.0);
- :func:`rate_table_aux`: NEURON ``TABLE ... FROM a TO b WITH 201`` -> 202 points,
  accumulated grid, stored in a mechanism's ``aux`` behind a 3-value header;
- :func:`channel_aux` / :func:`aux_offsets`: the same rate rows, behind the packed
  uniform-grid tau tables (:func:`~electrical.mechanisms.tables.pack_function_table`)
  that the branch-free tabulated kernels read (:mod:`electrical.mechanisms.tables`):
  ``aux = [usetable, vmin, mfac, tau table 1, tau table 2, ..., rate rows]``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..base import Param
from ..numerics import build_table, table_lookup
from ..tables import pack_function_table

#: ``WITH 201`` in the NMODL TABLE statements: 201 intervals, 202 points.
NTAB = 201
#: Header of a rate-table aux array: usetable, vmin [mV], mfac [1/mV].
AUX_HEAD = 3


@njit(cache=True, inline="always")
def boltzmann(v, vh, k):
    """Steady state 1/(1 + exp((v - vh)/k)); v, vh, k in mV."""
    return 1.0 / (1.0 + math.exp((v - vh) / k))


@njit(cache=True)
def function_table(vs, ys, v):
    """Clamped linear interpolation of ys(vs) at v (vs increasing)."""
    n = vs.size
    if v <= vs[0]:
        return ys[0]
    if v >= vs[n - 1]:
        return ys[n - 1]
    # the interval [vs[lo], vs[lo+1]) that holds v, as a bisection finds it; the
    # published grids are regular, so the guess from the first step is (nearly) it
    lo = int((v - vs[0]) / (vs[1] - vs[0]))
    lo = min(max(lo, 0), n - 2)
    while lo < n - 2 and vs[lo + 1] <= v:
        lo += 1
    while lo > 0 and vs[lo] > v:
        lo -= 1
    hi = lo + 1
    f = (v - vs[lo]) / (vs[hi] - vs[lo])
    return (1.0 - f) * ys[lo] + f * ys[hi]


@njit(cache=True, inline="always")
def tab(aux, row, v):
    """Row ``row`` of the rate table in ``aux`` at v [mV] (NEURON's clamped lookup)."""
    return table_lookup(aux, AUX_HEAD, NTAB, row, aux[1], aux[2], v)


def rate_table_aux(func, vmin: float, vmax: float, globals_) -> np.ndarray:
    """aux = [usetable, vmin, mfac, rows of func(v) at the 202 NEURON grid points]."""
    table = build_table(func, vmin, vmax, NTAB)
    head = [float(globals_.get("usetable", 1.0)), vmin, NTAB / (vmax - vmin)]
    return np.concatenate([np.array(head), table.ravel()])


def grid(vs_start_mV: float, step_mV: float, values) -> tuple[np.ndarray, np.ndarray]:
    """(voltages, values) of a published tau table on a regular voltage grid."""
    ys = np.array(values, dtype=np.float64)
    vs = vs_start_mV + step_mV * np.arange(ys.size, dtype=np.float64)
    return vs, ys


#: The ``usetable`` global shared by the tabulated MSN channels (as NEURON's).
USETABLE_GLOBALS = {
    "usetable": Param(1.0, "1", (0.0, 1.0), "1: NEURON rate tables (202 points); 0: exact")
}


def aux_offsets(tau_tables) -> tuple[list[int], int]:
    """(offset of each packed tau table, offset of the rate rows) in :func:`channel_aux`."""
    offs, off = [], AUX_HEAD
    for vs, ys in tau_tables:
        offs.append(off)
        off += len(pack_function_table(vs, ys))
    return offs, off


def channel_aux(func, vmin: float, vmax: float, globals_, tau_tables=()) -> np.ndarray:
    """aux = [usetable, vmin, mfac, packed tau tables..., rows of func(v) (202 points each)].

    The rows come last, as in :func:`rate_table_aux`; with no tau tables the two agree.
    """
    table = build_table(func, vmin, vmax, NTAB)
    head = [float(globals_.get("usetable", 1.0)), vmin, NTAB / (vmax - vmin)]
    packed = [pack_function_table(vs, ys) for vs, ys in tau_tables]
    return np.concatenate([np.array(head), *packed, table.ravel()])
