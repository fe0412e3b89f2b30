"""function_table (MSN tau tables): the interval found by index guess equals bisection's."""

from __future__ import annotations

import numpy as np
import pytest

from electrical.mechanisms.msn._common import function_table, grid
from electrical.mechanisms.msn.calcium import TAU_TABLES as CA_TABLES
from electrical.mechanisms.msn.potassium import TAU_TABLES as K_TABLES


def _bisection(vs, ys, v):
    n = vs.size
    if v <= vs[0]:
        return ys[0]
    if v >= vs[n - 1]:
        return ys[n - 1]
    lo, hi = 0, n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if vs[mid] <= v:
            lo = mid
        else:
            hi = mid
    f = (v - vs[lo]) / (vs[hi] - vs[lo])
    return (1.0 - f) * ys[lo] + f * ys[hi]


TABLES = {**K_TABLES, **CA_TABLES, "irregular": (np.array([-50.0, -49.0, -20.0, 0.1, 30.0]),
                                                 np.array([1.0, 2.0, 3.0, 5.0, 4.0]))}


@pytest.mark.parametrize("key", sorted(TABLES))
def test_same_values_as_bisection_bit_for_bit(key):
    vs, ys = TABLES[key]
    rng = np.random.default_rng(1)
    vv = np.concatenate([rng.uniform(-150, 80, 5000), vs, np.nextafter(vs, -np.inf),
                         np.nextafter(vs, np.inf)])
    got = np.array([function_table(vs, ys, v) for v in vv])
    want = np.array([_bisection(vs, ys, v) for v in vv])
    np.testing.assert_array_equal(got, want)


def test_grid_helper():
    vs, ys = grid(-10.0, 5.0, [1, 2, 3])
    np.testing.assert_array_equal(vs, [-10.0, -5.0, 0.0])
    assert function_table(vs, ys, -7.5) == 1.5
