"""Node orders of the tree solver (electrical._ordering): a renumbering keeps the matrix.

Re-rooting and renumbering a tree only permutes the tree system: in the new
order, every off-diagonal coefficient must be the old one at the permuted
position, bit for bit (the coefficients are copied, never recomputed).
"""

from __future__ import annotations

import numpy as np
import pytest

from electrical._ordering import solver_order, split_order
from electrical.errors import InternalError


def _random_forest(n: int, ncell: int, seed: int):
    rng = np.random.default_rng(seed)
    parent = np.full(n, -1, dtype=np.int64)
    for c in range(ncell, n):
        parent[c] = rng.integers(0, c)
    return parent, rng.random(n), rng.random(n)


def _matrix(parent, a, b, ncell):
    """Off-diagonal part: row c has b[c] at v[parent]; row parent has a[c] at v[c]."""
    m = np.zeros((parent.size, parent.size))
    for c in range(ncell, parent.size):
        m[c, parent[c]] = b[c]
        m[parent[c], c] = a[c]
    return m


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_solver_order_permutes_the_matrix(seed):
    ncell = 2
    parent, a, b = _random_forest(40, ncell, seed)
    perm, new_parent, new_a, new_b = solver_order(parent, a, b, ncell)
    assert sorted(perm.tolist()) == list(range(40))
    assert np.all(new_parent[ncell:] < np.arange(ncell, 40))  # parents first
    before = _matrix(parent, a, b, ncell)
    after = _matrix(new_parent, new_a, new_b, ncell)
    np.testing.assert_array_equal(after, before[np.ix_(perm, perm)])


def test_split_order_permutes_the_matrix_and_puts_the_trunk_first():
    parent = np.array([-1, 0, 1, 1, 3, 2, 5], dtype=np.int64)
    a = np.arange(7) + 0.5
    b = np.arange(7) + 0.25
    is_trunk = np.array([True, True, False, True, False, False, False])
    perm, new_parent, new_a, new_b, ntrunk, nsr = split_order(
        parent, a, b, 1, [0], is_trunk, np.arange(7)
    )
    assert ntrunk == 3 and nsr == 2  # nodes 2 and 4 hang off the trunk
    assert set(perm[:ntrunk].tolist()) == {0, 1, 3}
    before = _matrix(parent, a, b, 1)
    np.testing.assert_array_equal(_matrix(new_parent, new_a, new_b, 1), before[np.ix_(perm, perm)])


def test_split_order_faults_are_internal_errors():
    parent = np.array([-1, 0, 1, 2], dtype=np.int64)
    coef = np.ones(4)
    with pytest.raises(InternalError, match="please report"):
        split_order(parent, coef, coef, 1, [0], np.array([True, False, True, False]), np.arange(4))
