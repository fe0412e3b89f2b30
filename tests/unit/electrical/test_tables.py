"""Branch-free table lookups (electrical.mechanisms.tables) equal the reference lookups.

- ``function_table_uniform`` (index arithmetic) against the bisection lookup of a
  FUNCTION_TABLE, bit for bit, on every published MSN tau table: on the grid points,
  one ulp either side of them, between them and outside the range;
- ``rate_index``/``rate_row`` against NEURON's branching TABLE lookup
  (``numerics.table_lookup``), bit for bit, clamped ends included.
"""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from electrical.mechanisms.msn._common import function_table
from electrical.mechanisms.msn.calcium import TAU_TABLES as CA_TABLES
from electrical.mechanisms.msn.potassium import TAU_TABLES as K_TABLES
from electrical.mechanisms.msn.sodium import TAU_TABLES as NA_TABLES
from electrical.mechanisms.numerics import build_table, table_lookup
from electrical.mechanisms.tables import (
    FUNCTION_TABLE_HEAD,
    function_table_uniform,
    pack_function_table,
    rate_index,
    rate_row,
)

TABLES = {**NA_TABLES, **K_TABLES, **CA_TABLES}


@njit(cache=True)
def _uniform_all(aux, vv, out):
    for j in range(vv.size):
        out[j] = function_table_uniform(aux, 0, vv[j])


@njit(cache=True)
def _bisection_all(vs, ys, vv, out):
    for j in range(vv.size):
        out[j] = function_table(vs, ys, vv[j])


def _probe_voltages(vs: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(19)
    mids = 0.5 * (vs[1:] + vs[:-1])
    return np.concatenate(
        [
            vs,
            np.nextafter(vs, -np.inf),
            np.nextafter(vs, np.inf),
            mids,
            vs[:-1] + 0.1 * np.diff(vs),
            vs[:-1] + 0.9 * np.diff(vs),
            rng.uniform(vs[0] - 60.0, vs[-1] + 60.0, 20000),
            [-1e4, -250.0, 250.0, 1e4, -0.0, 0.0, -5e-324, 5e-324, -1e-20, 1e-20],
        ]
    )


@pytest.mark.parametrize("key", sorted(TABLES))
def test_uniform_function_table_equals_bisection_bit_for_bit(key):
    vs, ys = TABLES[key]
    aux = pack_function_table(vs, ys)
    vv = _probe_voltages(vs)
    got, want = np.empty_like(vv), np.empty_like(vv)
    _uniform_all(aux, vv, got)
    _bisection_all(vs, ys, vv, want)
    np.testing.assert_array_equal(got, want)
    # on the grid points the published values themselves, clamped outside
    np.testing.assert_array_equal(got[: vs.size], ys)
    assert function_table_uniform(aux, 0, vs[0] - 100.0) == ys[0]
    assert function_table_uniform(aux, 0, vs[-1] + 100.0) == ys[-1]


def test_packed_layout_and_offset():
    vs, ys = TABLES["cat_h"]
    packed = pack_function_table(vs, ys)
    assert packed.size == FUNCTION_TABLE_HEAD + ys.size
    np.testing.assert_array_equal(packed[:FUNCTION_TABLE_HEAD], [-65.0, 5.0, 0.2, ys.size - 1])
    aux = np.concatenate([[7.0, 8.0, 9.0], packed, [1e300]])  # read at an offset
    assert function_table_uniform(aux, 3, -62.5) == function_table(vs, ys, -62.5)


def test_pack_refuses_irregular_or_malformed_grids():
    with pytest.raises(ValueError, match="uniform"):
        pack_function_table([-50.0, -49.0, -20.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="uniform"):
        pack_function_table([0.0, -1.0, -2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="same size"):
        pack_function_table([0.0, 1.0], [1.0, 2.0, 3.0])


def _rates(v):
    return (1.0 / (1.0 + np.exp((v + 30.0) / -7.0)), 3.0 + v / 100.0)


@pytest.mark.parametrize("vmin,vmax,ntab", [(-200.0, 200.0, 201), (-100.0, 100.0, 201)])
def test_rate_row_equals_neurons_table_lookup(vmin, vmax, ntab):
    rows = build_table(_rates, vmin, vmax, ntab).ravel()  # row-major, nothing after it
    mfac = ntab / (vmax - vmin)
    dx = (vmax - vmin) / ntab
    grid = vmin + dx * np.arange(ntab + 1)
    rng = np.random.default_rng(3)
    vv = np.concatenate(
        [
            grid,
            np.nextafter(grid, np.inf),
            grid + 0.5 * dx,
            rng.uniform(vmin - 50, vmax + 50, 5000),
            [vmin, vmax, -1e4, 1e4],
        ]
    )
    for v in vv:
        i, i1, th = rate_index(v, vmin, mfac, ntab)
        for row in range(2):
            off = row * (ntab + 1)
            assert rate_row(rows, off, i, i1, th) == table_lookup(
                rows, 0, ntab, row, vmin, mfac, v
            ), v
    # the upper clamp reads the last point of the last row only (no pad needed)
    i, i1, th = rate_index(vmax + 10.0, vmin, mfac, ntab)
    assert (i, i1, th) == (ntab, ntab, 0.0)
    assert rate_row(rows, ntab + 1, i, i1, th) == rows[-1]
