"""Longitudinal diffusion of mechanism states along the cable (compiled kernels).

NEURON's ``LONGITUDINAL_DIFFUSION`` (nrnoc ldifus): for a density mechanism
that declares ``diffusion`` (:mod:`electrical.mechanisms.base`; the spine
calcium pools ``catrack``/``caltrack``), one backward-Euler step of diffusion
of those states over the tree of segments that carry it, after every state
update of the step.  The generated step (:mod:`electrical.codegen`) calls
:func:`diffusion_factor` once per diffusion coefficient (cached while the
coefficient does not change) and :func:`diffusion_solve` for the states that
share it; :func:`longitudinal_diffusion_step` is the one-state reference.
The neighbour structure comes from :func:`electrical.discretize.diffusion_neighbours`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["diffusion_factor", "diffusion_solve", "longitudinal_diffusion_step"]


@njit(cache=True)
def longitudinal_diffusion_step(c, dcoef, parent, order, area, dx, diag, rhs, dt):
    """One backward-Euler step of longitudinal diffusion over a tree of segments, in place.

    Solves vol_a (c_a' - c_a)/dt = sum_b Dab (c_b' - c_a')/dist_ab with
    vol = area*dx, Dab = (D_a area_a + D_b area_b)/2, dist_ab = (dx_a + dx_b)/2
    (NEURON's LONGITUDINAL_DIFFUSION, nrnoc ldifus), by Hines elimination.

    Parameters
    ----------
    c : ndarray
        Concentrations [mM] of the instances; overwritten with c'.
    dcoef : ndarray
        Diffusion coefficient D [um2/ms] per instance.
    parent : ndarray of int64
        Index of the neighbouring instance towards the root, or -1.
    order : ndarray of int64
        The instances, every parent before its children.
    area : ndarray
        Cross-section [um2] per instance.
    dx : ndarray
        Segment length [um] per instance.
    diag, rhs : ndarray
        Work arrays of the same size.
    dt : float
        Time step [ms].
    """
    m = c.size
    g = np.empty(m)
    f = np.empty(m)
    vol = np.empty(m)
    key = np.full(m, np.nan)
    up = np.where(parent >= 0, parent, np.arange(m))
    diffusion_factor(dcoef, parent, order, area, dx, dt, key, vol, g, f, diag)
    diffusion_solve((c,), up, order, vol, g, f, diag, rhs.reshape((m, 1)))


@njit(cache=True)
def diffusion_factor(dcoef, parent, order, area, dx, dt, key, vol, g, f, rdiag):
    """Eliminate the matrix of :func:`longitudinal_diffusion_step`, once for several states.

    Fills vol [um3/ms] = area*dx/dt, g (the coupling to the parent, 0 for a
    root), the elimination factors f = g/pivot and the reciprocal pivots
    ``rdiag``.  ``key`` holds the coefficients of the last factorisation:
    when ``dcoef`` equals it (the usual case: D is a parameter) nothing is
    recomputed; fill ``key`` with NaN to force a factorisation.
    """
    m = dcoef.size
    same = True
    for j in range(m):
        same &= dcoef[j] == key[j]
    if same:
        return
    diag = rdiag
    for j in range(m):
        key[j] = dcoef[j]
        vol[j] = area[j] * dx[j] / dt
        diag[j] = vol[j]
    for j in range(m):
        p = parent[j]
        if p >= 0:
            gj = 0.5 * (dcoef[j] * area[j] + dcoef[p] * area[p]) / (0.5 * (dx[j] + dx[p]))
            g[j] = gj
            diag[j] += gj
            diag[p] += gj
        else:
            g[j] = 0.0
    for k in range(m - 1, -1, -1):  # eliminate the children (off-diagonal -g)
        j = order[k]
        p = parent[j]
        if p >= 0:
            fj = g[j] / diag[j]
            f[j] = fj
            diag[p] -= fj * g[j]
        else:
            f[j] = 0.0
    for j in range(m):
        rdiag[j] = 1.0 / diag[j]


@njit(cache=True)
def diffusion_solve(cs, up, order, vol, g, f, rdiag, rhs):
    """Solve the factorised diffusion step for each array of the tuple ``cs``, in place.

    ``up`` is the parent of each instance, or the instance itself for a root
    (whose g and f are 0), so that the walks have no branch.  ``rhs`` is a
    work array of shape (m, len(cs)): the states of one instance side by
    side, so that one walk serves every state.
    """
    ns = len(cs)
    m = vol.size
    for s in range(ns):
        c = cs[s]
        for j in range(m):
            rhs[j, s] = vol[j] * c[j]
    for k in range(m - 1, -1, -1):
        j = order[k]
        p = up[j]
        fj = f[j]
        for s in range(ns):
            rhs[p, s] += fj * rhs[j, s]
    for k in range(m):  # back-substitution, parents first; the solution replaces rhs
        j = order[k]
        p = up[j]
        gj = g[j]
        rj = rdiag[j]
        for s in range(ns):
            rhs[j, s] = (rhs[j, s] + gj * rhs[p, s]) * rj
    for s in range(ns):
        c = cs[s]
        for j in range(m):
            c[j] = rhs[j, s]
